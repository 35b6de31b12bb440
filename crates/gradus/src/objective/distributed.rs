//! [`Distributed`]: an objective bound to its data on one rank of a data-parallel run, whose
//! every evaluation is shared out over the ranks and combined by a
//! [`Collective`] ([`crate::collective`] says how, and why this is the seam).

use super::{Buffers, CHUNK_ROWS, Objective, add_into, data_stats, mean_scale, tree};
use crate::collective::{Collective, Reduce};
use crate::data::batch::Examples;
use crate::error::{Error, Result};
use crate::problem::{BatchStats, Problem};

/// An [`Objective`] over the rows of `data` on one rank of a data-parallel run: a [`Problem`]
/// whose [`value_and_grad`](Problem::value_and_grad) and [`value`](Problem::value) on a batch
/// compute this rank's part of it and combine every rank's parts ([`Reduce`]), so that each
/// rank gets the whole batch's `L` and `∇L`. Every rank must evaluate the same batches in the
/// same order.
pub struct Distributed<'a, E> {
    objective: &'a Objective,
    data: &'a E,
    comm: &'a dyn Collective,
    reduce: Reduce,
    buf: Buffers<f32>,
    /// Exact mode: this rank's shards' gradients, then every rank's.
    sent: Vec<f32>,
    gathered: Vec<f32>,
    /// Exact mode: this rank's shards' losses at each chunk and correct counts, then every
    /// rank's.
    tallies: Vec<f64>,
    all_tallies: Vec<f64>,
}

impl Objective {
    /// This objective over the rows of `data` on rank `comm.rank()` of `comm.size()`, its
    /// evaluations shared out and combined as `reduce` says.
    ///
    /// # Errors
    /// [`Error::Param`] `distributed` for a linear model on sparse rows, whose steps touch the
    /// batch's columns alone (a sparse gradient and a deferred penalty) and are not shared out.
    pub fn distributed<'a, E: Examples>(
        &'a self,
        data: &'a E,
        comm: &'a dyn Collective,
        reduce: Reduce,
    ) -> Result<Distributed<'a, E>> {
        if self.sparse_input(data).is_some() {
            return Err(Error::param(
                "distributed",
                "does not train a linear model on sparse rows (its steps touch the batch's columns alone); train it in one process",
            ));
        }
        Ok(Distributed {
            objective: self,
            data,
            comm,
            reduce,
            buf: Buffers::default(),
            sent: Vec::new(),
            gathered: Vec::new(),
            tallies: Vec::new(),
            all_tallies: Vec::new(),
        })
    }
}

impl<E: Examples> Distributed<'_, E> {
    /// The data term over `rows`, with `grads` its gradient, on every rank.
    fn data_pass(&mut self, params: &[f32], rows: &[usize], grads: Option<&mut [f32]>) -> BatchStats {
        let sums = match self.reduce {
            Reduce::Exact => self.exact(params, rows, grads),
            Reduce::Fast => self.fast(params, rows, grads),
        };
        data_stats(rows, sums)
    }

    /// Fast mode: rows `⌊r·B/p⌋ .. ⌊(r+1)·B/p⌋` of the `B` of the batch on rank `r` of `p`,
    /// the ranks' loss sums, counts and gradients added by all-reduces.
    fn fast(&mut self, params: &[f32], rows: &[usize], mut grads: Option<&mut [f32]>) -> (f64, usize) {
        let (r, p, b) = (self.comm.rank(), self.comm.size(), rows.len());
        let part = &rows[r * b / p..(r + 1) * b / p];
        let (loss, correct) = match grads.as_deref_mut() {
            Some(g) if part.is_empty() => {
                g.fill(0.0);
                (0.0, 0)
            }
            _ if part.is_empty() => (0.0, 0),
            g => self
                .objective
                .scaled_pass(params, self.data, part, &mut self.buf, g, mean_scale(rows)),
        };
        if let Some(g) = grads {
            self.comm.sum_f32(g);
        }
        let mut sums = [loss, correct as f64];
        self.comm.sum_f64(&mut sums);
        (sums[0], sums[1] as usize)
    }

    /// Exact mode: of the batch's `k` shards, `m = ⌈k/p⌉` consecutive ones on each rank
    /// (`r·m ..`, none on a rank past them); every rank's shard gradients, per-chunk losses and
    /// correct counts are gathered, and each rank folds all `k` along [`tree`], chunk by chunk
    /// for the losses as one process does.
    fn exact(&mut self, params: &[f32], rows: &[usize], grads: Option<&mut [f32]>) -> (f64, usize) {
        let (r, p, n) = (self.comm.rank(), self.comm.size(), params.len());
        let k = self.buf.shards_of(rows);
        let m = k.div_ceil(p);
        let owned = (r * m).min(k)..((r + 1) * m).min(k);
        let chunks = rows.len().div_ceil(CHUNK_ROWS).max(1);
        // One tally per shard: its loss at each chunk, then its correct count.
        let width = chunks + 1;
        self.tallies.clear();
        self.tallies.resize(m * width, 0.0);
        let mut outs: Vec<Option<&mut [f32]>> = match grads {
            Some(_) => {
                self.sent.resize(m * n, 0.0);
                self.sent.chunks_mut(n.max(1)).map(Some).collect()
            }
            None => (0..m).map(|_| None).collect(),
        };
        let (tallies, mut c) = (&mut self.tallies, 0);
        let scale = mean_scale(rows);
        let (objective, data) = (self.objective, self.data);
        objective.leaf_passes(
            params,
            data,
            rows,
            &mut self.buf.shards,
            owned,
            &mut outs,
            scale,
            false,
            |leaves| {
                for (tally, leaf) in tallies.chunks_mut(width).zip(leaves) {
                    tally[c] = leaf.loss;
                    tally[chunks] += leaf.correct as f64;
                }
                c += 1;
            },
        );
        self.all_tallies.resize(p * m * width, 0.0);
        self.comm.gather_f64(&self.tallies, &mut self.all_tallies);
        let all = &self.all_tallies[..k * width];
        let mut total = 0.0;
        for c in 0..chunks {
            let mut losses: Vec<f64> = all.chunks(width).map(|t| t[c]).collect();
            tree(&mut losses, &|_: &mut f64| {}, &|a: &mut f64, b: &f64| *a += *b);
            total += losses[0];
        }
        let correct = all.chunks(width).map(|t| t[chunks] as usize).sum();
        if let Some(g) = grads {
            self.gathered.resize(p * m * n, 0.0);
            self.comm.gather_f32(&self.sent, &mut self.gathered);
            let mut leaves: Vec<&mut [f32]> = self.gathered.chunks_mut(n.max(1)).take(k).collect();
            tree(
                &mut leaves,
                &|_: &mut &mut [f32]| {},
                &|a: &mut &mut [f32], b: &&mut [f32]| add_into(a, b),
            );
            g.copy_from_slice(leaves[0]);
        }
        (total, correct)
    }
}

impl<E: Examples> Problem<f32> for Distributed<'_, E> {
    fn rows(&self) -> usize {
        self.data.len()
    }
    fn classifies(&self) -> bool {
        self.objective.loss.task() == crate::data::Task::Classify
    }
    /// `L` and `∇L` on `rows`, the same on every rank.
    fn value_and_grad(&mut self, params: &[f32], rows: &[usize], grads: &mut [f32]) -> BatchStats {
        let stats = self.data_pass(params, rows, Some(&mut *grads));
        self.objective.penalized(stats, params, Some(grads))
    }
    /// `L` on `rows`, the same on every rank.
    fn value(&mut self, params: &[f32], rows: &[usize]) -> BatchStats {
        let stats = self.data_pass(params, rows, None);
        self.objective.penalized(stats, params, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::batch::Prepared;
    use std::sync::{Arc, Barrier, Mutex};

    /// `size` ranks as threads of this process: each puts its part in its slot, and all read
    /// every slot between two barriers.
    struct Threads {
        rank: usize,
        size: usize,
        slots: Arc<(Barrier, Mutex<Vec<Vec<f64>>>)>,
    }

    impl Threads {
        /// Every rank's `local`, in rank order (f32 widened exactly).
        fn all(&self, local: Vec<f64>) -> Vec<f64> {
            let (barrier, slots) = &*self.slots;
            slots.lock().unwrap()[self.rank] = local;
            barrier.wait();
            let all = slots.lock().unwrap().concat();
            barrier.wait();
            all
        }
    }

    impl Collective for Threads {
        fn rank(&self) -> usize {
            self.rank
        }
        fn size(&self) -> usize {
            self.size
        }
        fn sum_f32(&self, values: &mut [f32]) {
            let (all, n) = (self.all(values.iter().map(|&v| v as f64).collect()), values.len());
            for (i, v) in values.iter_mut().enumerate() {
                *v = (0..self.size).fold(0.0, |s, r| s + all[r * n + i] as f32);
            }
        }
        fn sum_f64(&self, values: &mut [f64]) {
            let (all, n) = (self.all(values.to_vec()), values.len());
            for (i, v) in values.iter_mut().enumerate() {
                *v = (0..self.size).fold(0.0, |s, r| s + all[r * n + i]);
            }
        }
        fn gather_f32(&self, local: &[f32], all: &mut [f32]) {
            let got = self.all(local.iter().map(|&v| v as f64).collect());
            all.iter_mut().zip(got).for_each(|(a, g)| *a = g as f32);
        }
        fn gather_f64(&self, local: &[f64], all: &mut [f64]) {
            all.copy_from_slice(&self.all(local.to_vec()));
        }
    }

    /// Every rank's objective, correct count and gradient on `rows`, on `size` ranks.
    fn on_ranks(size: usize, reduce: Reduce, rows: &[usize], grads: bool) -> Vec<(f64, usize, Vec<f32>)> {
        let (objective, data, affine, params) = super::super::tests::digits_mlp::<f32>();
        let examples = Prepared {
            data: &data,
            affine: &affine,
        };
        let slots = Arc::new((Barrier::new(size), Mutex::new(vec![Vec::new(); size])));
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..size)
                .map(|rank| {
                    let comm = Threads {
                        rank,
                        size,
                        slots: Arc::clone(&slots),
                    };
                    let (objective, examples, params) = (&objective, &examples, &params);
                    s.spawn(move || {
                        let mut problem = objective.distributed(examples, &comm, reduce).unwrap();
                        let mut g = vec![0.0; params.len()];
                        // A batch evaluated before leaves nothing behind.
                        problem.value_and_grad(params, &[5, 6, 7], &mut g);
                        let st = match grads {
                            true => problem.value_and_grad(params, rows, &mut g),
                            false => problem.value(params, rows),
                        };
                        (st.objective, st.correct, g)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        })
    }

    /// Exact mode gives every rank the single-process objective, count and gradient to the
    /// bit, on 1 to 5 ranks (more ranks than shards included), for batches of one shard to
    /// several chunks (5,000 rows: three chunks of four shards, rows repeated); fast mode
    /// agrees to rounding. Values without gradients too.
    #[test]
    fn exact_mode_gives_the_single_process_bits() {
        let (objective, data, affine, params) = super::super::tests::digits_mlp::<f32>();
        let examples = Prepared {
            data: &data,
            affine: &affine,
        };
        for n in [1usize, 20, 64, 100, 2088, 5000] {
            let rows: Vec<usize> = (0..n).map(|i| (i * 7) % 1797).collect();
            let mut g1 = vec![0.0f32; params.len()];
            let one = objective.value_and_grad(&params, &examples, &rows, &mut Buffers::default(), &mut g1);
            let value = objective.value(&params, &examples, &rows, &mut Buffers::default());
            for size in 1..=5 {
                for (objective_bits, correct, g) in on_ranks(size, Reduce::Exact, &rows, true) {
                    assert_eq!(
                        (objective_bits.to_bits(), correct),
                        (one.objective.to_bits(), one.correct)
                    );
                    let same = g.iter().zip(&g1).all(|(a, b)| a.to_bits() == b.to_bits());
                    assert!(same, "{n} rows on {size} ranks");
                }
                for (v, correct, _) in on_ranks(size, Reduce::Exact, &rows, false) {
                    assert_eq!((v.to_bits(), correct), (value.objective.to_bits(), value.correct));
                }
                let scale = g1.iter().fold(0.0f32, |m, g| m.max(g.abs()));
                for (v, correct, g) in on_ranks(size, Reduce::Fast, &rows, true) {
                    assert!((v - one.objective).abs() <= 1e-5 * one.objective.abs() && correct == one.correct);
                    for (a, b) in g.iter().zip(&g1) {
                        assert!((a - b).abs() <= 1e-5 * scale, "{n} rows on {size} ranks: {a} vs {b}");
                    }
                }
            }
        }
    }
}
