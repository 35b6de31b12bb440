//! The linear model on sparse rows, never made dense.
//!
//! For a batch B of sparse rows, row r storing the features j ∈ J_r with the preprocessed
//! values `x'_{rj} = x_{rj} · scale_j` (every other feature is 0):
//!
//! ```text
//! s_r = b + Σ_{j ∈ J_r} x'_{rj} W_{:,j}
//! ∂L/∂W_{ij} = Σ_{r ∈ B} ds_{ri} x'_{rj}   (non-zero only for j ∈ ∪_r J_r)
//! ∂L/∂b_i    = Σ_{r ∈ B} ds_{ri}
//! ```
//!
//! so a step costs O(nnz(B) · outputs), whatever the number of features, and writes the
//! gradient only on its support: the columns of W the batch touches, and b. This is how
//! Bottou's `sgd` and scikit-learn's `sgd_fast` train on text and click data. Rows are taken in
//! batch order and every sum accumulated in that order, on one thread, so the result is the
//! same bits on any number of threads.

use super::Objective;
use crate::data::TargetBuf;
use crate::data::batch::{Examples, SparseRows};
use crate::real::Real;

/// Scratch space of the sparse path, and the support of the last gradient it wrote.
#[derive(Clone, Debug, Default)]
pub(crate) struct SparseScratch<T> {
    scores: Vec<T>,
    dscores: Vec<T>,
    targets: TargetBuf,
    columns: Vec<u32>,
    /// The coordinates of θ the last gradient was written on, increasing.
    pub(crate) support: Vec<usize>,
    /// The last gradient, compact: its value at `support[k]` is `values[k]`, so that a step
    /// reads and writes the batch's columns of θ alone, never a θ-sized gradient buffer.
    pub(crate) values: Vec<T>,
    /// The rows whose support `support` is.
    support_rows: Vec<usize>,
}

impl Objective {
    /// The rows of `data` in sparse form, when this objective's model is linear and the rows
    /// are stored sparse ([`Examples::sparse`]).
    pub(crate) fn sparse_input<'d, E: Examples>(&self, data: &'d E) -> Option<SparseRows<'d>> {
        (self.network.dims().len() == 2).then(|| data.sparse()).flatten()
    }

    /// `(Σ_{r∈rows} L_r, correct)` of the linear model `params` on the sparse rows `x` of
    /// `data`; with `grad`, also `scale · Σ_r ∇L_r` on its support, compact
    /// (`scratch.support` and `scratch.values`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn sparse_pass<T: Real, E: Examples>(
        &self,
        params: &[T],
        x: SparseRows,
        data: &E,
        rows: &[usize],
        scratch: &mut SparseScratch<T>,
        grad: bool,
        scale: f64,
    ) -> (f64, usize) {
        let c = self.network.outputs();
        scratch.scores.clear();
        for &r in rows {
            self.push_scores(params, x, r, &mut scratch.scores);
        }
        data.gather_targets(rows, &mut scratch.targets);
        let targets = scratch.targets.as_slice();
        scratch.dscores.resize(scratch.scores.len(), T::zero());
        let loss = self.loss.batch_value_grad(
            &scratch.scores,
            c,
            targets,
            self.class_weight.as_deref(),
            &mut scratch.dscores,
            scale,
        );
        let correct = self.count_correct(&scratch.scores, targets);
        if grad {
            self.sparse_grad(x, rows, scratch);
        }
        (loss, correct)
    }

    /// The coordinates of θ that the scores of `rows` read and their gradient is written on:
    /// the columns of W the rows store a feature of, and b; into `scratch.support`, increasing,
    /// unless it holds them already.
    pub(crate) fn sparse_support<T>(&self, x: SparseRows, rows: &[usize], scratch: &mut SparseScratch<T>) {
        if scratch.support_rows == rows {
            return;
        }
        let (d, c) = (self.network.inputs(), self.network.outputs());
        scratch.columns.clear();
        for &r in rows {
            scratch.columns.extend_from_slice(x.rows.row(r).0);
        }
        // One row's indices increase strictly already (a [`Csr`](crate::data::Csr) invariant).
        if rows.len() > 1 {
            scratch.columns.sort_unstable();
            scratch.columns.dedup();
        }
        scratch.support.clear();
        for i in 0..c {
            scratch
                .support
                .extend(scratch.columns.iter().map(|&j| i * d + j as usize));
        }
        scratch.support.extend(c * d..c * d + c);
        scratch.support_rows.clear();
        scratch.support_rows.extend_from_slice(rows);
    }

    /// `Σ_r ∇L_r` from the loss gradients in `scratch.dscores`, on its support, into
    /// `scratch.values`: output i's weight on the k-th column at `i · columns + k`, then b.
    /// Each coordinate adds its rows' terms in batch order, as a dense accumulation would.
    fn sparse_grad<T: Real>(&self, x: SparseRows, rows: &[usize], scratch: &mut SparseScratch<T>) {
        let c = self.network.outputs();
        self.sparse_support(x, rows, scratch);
        let (columns, k) = (&scratch.columns, scratch.columns.len());
        scratch.values.clear();
        scratch.values.resize(c * k + c, T::zero());
        let (gw, gb) = scratch.values.split_at_mut(c * k);
        let single = rows.len() == 1;
        for (&r, ds) in rows.iter().zip(scratch.dscores.chunks_exact(c)) {
            let (idx, val) = x.rows.row(r);
            let mut at = 0;
            for (e, (&j, &v)) in idx.iter().zip(val).enumerate() {
                // A single row's columns are its indices; otherwise each index, larger than
                // the row's last, is found after it.
                at = if single {
                    e
                } else {
                    at + columns[at..].partition_point(|&col| col < j)
                };
                let v = T::of(x.value(j, v) as f64);
                ds.iter().enumerate().for_each(|(i, &dsi)| gw[i * k + at] += dsi * v);
            }
            gb.iter_mut().zip(ds).for_each(|(g, &v)| *g += v);
        }
    }

    /// The `rows × outputs` scores of every row of the sparse rows `x`, in order.
    pub(crate) fn sparse_scores(&self, params: &[f32], x: SparseRows) -> Vec<f32> {
        let mut all = Vec::with_capacity(x.rows.rows() * self.network.outputs());
        for r in 0..x.rows.rows() {
            self.push_scores(params, x, r, &mut all);
        }
        all
    }

    /// Appends `s_r = b + Σ_{j ∈ J_r} x'_{rj} W_{:,j}` for row `r` of `x` to `out`, each output's
    /// sum taken in the row's order.
    fn push_scores<T: Real>(&self, params: &[T], x: SparseRows, r: usize, out: &mut Vec<T>) {
        let (d, c) = (self.network.inputs(), self.network.outputs());
        let (w, b) = params.split_at(c * d);
        let (idx, val) = x.rows.row(r);
        out.extend(w.chunks_exact(d).zip(b).map(|(wi, &bi)| {
            idx.iter()
                .zip(val)
                .fold(bi, |s, (&j, &v)| s + T::of(x.value(j, v) as f64) * wi[j as usize])
        }));
    }
}
