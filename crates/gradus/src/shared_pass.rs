//! Several linear models trained together, in one pass over the data.
//!
//! For K linear models `s_k = W_k x + b_k` of C outputs each on the same batch X (m × d), the
//! scores of all K are one product and the weight gradients one more:
//!
//! ```text
//! S = X [W_1; …; W_K]ᵀ + [b_1 … b_K]          (m × KC)
//! [∇W_1; …; ∇W_K] = dSᵀ X,   ∇b_k = Σ_rows dS_k   (KC × d)
//! ```
//!
//! where `dS = [∂L_1/∂S_1 … ∂L_K/∂S_K]` holds each model's own loss gradient side by side. On a
//! small machine one linear model's epoch is bound by gathering the rows and by a skinny product
//! (N = C = 10); side by side the rows are gathered once for all K models and the products have
//! N = KC columns, which a GEMM runs near its peak. This is what a hyperparameter search over
//! learning rates, penalties and update rules needs: many configurations that share a data order.
//!
//! Each model keeps everything else of its own: loss, regulariser, learning rate and schedule,
//! update rule and its state, stopping rules. A [`SharedPass`] is the [`JointProblem`] that
//! [`Trainer::fit_together`](crate::train::Trainer::fit_together) steps in lockstep, from one
//! thread: at each step every model still training asks for its gradient on the same batch,
//! the pass computes them all, and each model takes its own step. A model that stops (its
//! epochs done, the tolerance, divergence) drops out and the others go on without it. Each
//! model's result equals training it alone to float rounding: the same products, only with
//! other columns beside its own.

use crate::data::TargetBuf;
use crate::data::batch::Examples;
use crate::error::{Error, Result};
use crate::linalg::{Op, matmul};
use crate::objective::Objective;
use crate::problem::{BatchStats, JointProblem};
use rayon::prelude::*;

/// The linear models that train together on the rows of one data set.
pub struct SharedPass<'a, E: Examples> {
    data: &'a E,
    objectives: Vec<Objective>,
    threads: usize,
    scratch: Scratch,
}

/// Buffers of the pass, reused from batch to batch.
#[derive(Default)]
struct Scratch {
    x: Vec<f32>,
    targets: TargetBuf,
    /// `[W_1; …; W_K]`, KC × d.
    w: Vec<f32>,
    /// Scores, then loss gradients, m × KC.
    s: Vec<f32>,
    /// `[∇W_1; …; ∇W_K]`, KC × d.
    g: Vec<f32>,
    /// Each model's scores and loss gradients, m × C.
    own: Vec<(Vec<f32>, Vec<f32>)>,
}

impl<'a, E: Examples> SharedPass<'a, E> {
    /// A pass over the rows of `data` for linear models with these objectives, its products
    /// computed on `threads` threads.
    ///
    /// # Errors
    /// [`Error::Param`] `model` when a network has hidden layers or the networks differ in
    /// inputs or outputs; [`Error::Data`] when they do not fit `data`'s features.
    pub fn new(data: &'a E, objectives: Vec<Objective>, threads: usize) -> Result<Self> {
        let Some(first) = objectives.first() else {
            return Err(Error::param("model", "a shared pass needs at least one model"));
        };
        let dims = first.network.dims().to_vec();
        if let Some(o) = objectives
            .iter()
            .find(|o| o.network.dims() != [dims[0], dims[dims.len() - 1]])
        {
            return Err(Error::param(
                "model",
                format!(
                    "models that share a pass must be linear with the same inputs and outputs, got {:?} and {:?}",
                    dims,
                    o.network.dims()
                ),
            ));
        }
        if dims[0] != data.n_features() {
            return Err(Error::data(format!(
                "the rows have {} features, the models expect {}",
                data.n_features(),
                dims[0]
            )));
        }
        Ok(Self {
            data,
            objectives,
            threads: threads.max(1),
            scratch: Scratch::default(),
        })
    }
}

impl<E: Examples> JointProblem<f32> for SharedPass<'_, E> {
    fn rows(&self) -> usize {
        self.data.len()
    }
    fn classifies(&self) -> bool {
        self.objectives[0].loss.task() == crate::data::Task::Classify
    }

    /// The losses and gradients of the models `models` on the batch `rows`, at `points`: one
    /// product for every model's scores, each model's own loss gradient (in parallel over the
    /// models), one product for every weight gradient, then each model's bias gradient and
    /// penalty.
    fn value_and_grads(
        &mut self,
        rows: &[usize],
        models: &[usize],
        points: &[&[f32]],
        grads: &mut [&mut [f32]],
    ) -> Vec<BatchStats> {
        let dims = self.objectives[0].network.dims();
        let (d, c, m) = (dims[0], dims[1], rows.len());
        let kc = models.len() * c;
        let sc = &mut self.scratch;
        self.data.gather(rows, &mut sc.x, &mut sc.targets);
        sc.w.resize(kc * d, 0.0);
        sc.s.resize(m * kc, 0.0);
        sc.g.resize(kc * d, 0.0);
        sc.own.resize_with(models.len(), Default::default);
        for (j, p) in points.iter().enumerate() {
            sc.w[j * c * d..(j + 1) * c * d].copy_from_slice(&p[..c * d]);
            for row in sc.s.chunks_exact_mut(kc) {
                row[j * c..(j + 1) * c].copy_from_slice(&p[c * d..]);
            }
        }
        matmul(m, kc, d, &sc.x, Op::N, &sc.w, Op::T, &mut sc.s, 1.0, self.threads);
        let scale = 1.0 / m.max(1) as f64;
        let targets = sc.targets.as_slice();
        let s = &sc.s;
        let objectives = &self.objectives;
        // Each model's loss gradient on its own columns; in parallel over the models when the
        // pass has threads to spare (a single-threaded pass stays off the rayon pool, whose
        // wake-ups would cost more than a model's softmax).
        let own = |j: usize, (own, ds): &mut (Vec<f32>, Vec<f32>)| {
            own.clear();
            own.extend(s.chunks_exact(kc).flat_map(|row| &row[j * c..(j + 1) * c]));
            ds.resize(m * c, 0.0);
            let objective = &objectives[models[j]];
            let weights = objective.class_weight.as_deref();
            let loss = objective.loss.batch_value_grad(own, c, targets, weights, ds, scale);
            (loss, objective.count_correct(own, targets))
        };
        let losses: Vec<(f64, usize)> = if self.threads > 1 {
            sc.own
                .par_iter_mut()
                .enumerate()
                .with_max_len(1)
                .map(|(j, pair)| own(j, pair))
                .collect()
        } else {
            sc.own.iter_mut().enumerate().map(|(j, pair)| own(j, pair)).collect()
        };
        for (j, (_, ds)) in sc.own.iter().enumerate() {
            for (row, from) in sc.s.chunks_exact_mut(kc).zip(ds.chunks_exact(c)) {
                row[j * c..(j + 1) * c].copy_from_slice(from);
            }
        }
        matmul(kc, d, m, &sc.s, Op::T, &sc.x, Op::N, &mut sc.g, 0.0, self.threads);
        models
            .iter()
            .enumerate()
            .map(|(j, &k)| {
                let objective = &self.objectives[k];
                let g = &mut *grads[j];
                g[..c * d].copy_from_slice(&sc.g[j * c * d..(j + 1) * c * d]);
                let gb = &mut g[c * d..];
                gb.fill(0.0);
                for row in sc.own[j].1.chunks_exact(c) {
                    gb.iter_mut().zip(row).for_each(|(g, &v)| *g += v);
                }
                let (loss, correct) = losses[j];
                let penalty = objective
                    .regularizer
                    .penalty_grad(points[j], objective.network.layout(), g);
                BatchStats {
                    objective: loss * scale + penalty,
                    data_loss: loss * scale,
                    penalty,
                    correct,
                    rows: m,
                    evaluations: 1,
                }
            })
            .collect()
    }
}
