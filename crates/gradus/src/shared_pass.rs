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
//! update rule and its state, stopping rules. Each trains in a thread of its own through the
//! ordinary [`Trainer`](crate::train::Trainer), on a [`Seat`] of the pass: a [`Problem`] whose
//! `value_and_grad` waits (blocking, not spinning) until every model still training has asked
//! for its batch, and then computes every model's loss and gradient at once. A model that stops
//! (its epochs done, early stopping, divergence) leaves the pass, and the others go on without
//! it. Each model's result equals training it alone to float rounding: the same products, only
//! with other columns beside its own.

use crate::data::TargetBuf;
use crate::data::batch::Examples;
use crate::error::{Error, Result};
use crate::linalg::{Op, matmul};
use crate::objective::{Objective, OnData};
use crate::problem::{BatchStats, Problem};
use rayon::prelude::*;
use std::sync::{Condvar, Mutex, MutexGuard};

/// The linear models that train together on the rows of one data set.
pub struct SharedPass<'a, E: Examples> {
    data: &'a E,
    objectives: Vec<Objective>,
    threads: usize,
    round: Mutex<Round>,
    turn: Condvar,
}

/// What the current round of requests holds.
struct Round {
    /// Seats that have not left.
    active: usize,
    /// Seats counted in this round.
    counted: usize,
    /// Rounds completed.
    generation: u64,
    /// The batch of this round (the first request's rows).
    rows: Vec<usize>,
    requests: Vec<Request>,
    scratch: Scratch,
}

/// One seat's request and answer.
#[derive(Default)]
struct Request {
    /// Counted in this round.
    counted: bool,
    /// Waiting for the pass to compute its gradient at `params` (a seat whose rows differ from
    /// the round's is counted but computes alone).
    wants: bool,
    params: Vec<f32>,
    grads: Vec<f32>,
    stats: BatchStats,
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
    /// A pass over the rows of `data` for linear models with these objectives, computed on
    /// `threads` threads.
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
        let requests = objectives.iter().map(|_| Request::default()).collect();
        Ok(Self {
            data,
            threads: threads.max(1),
            round: Mutex::new(Round {
                active: objectives.len(),
                counted: 0,
                generation: 0,
                rows: Vec::new(),
                requests,
                scratch: Scratch::default(),
            }),
            turn: Condvar::new(),
            objectives,
        })
    }

    /// One seat per model, in the order of the objectives. A seat that is dropped leaves the
    /// pass, so each must be moved to the thread that trains its model (or dropped).
    pub fn seats(&self) -> Vec<Seat<'_, 'a, E>> {
        (0..self.objectives.len())
            .map(|k| Seat {
                pass: self,
                k,
                alone: self.objectives[k].on(self.data),
            })
            .collect()
    }

    fn lock(&self) -> MutexGuard<'_, Round> {
        self.round
            .lock()
            .expect("a model of the shared pass panicked while holding it")
    }

    /// Waits until the round after `generation` has completed.
    fn wait<'g>(&self, mut r: MutexGuard<'g, Round>, generation: u64) -> MutexGuard<'g, Round> {
        while r.generation == generation {
            r = self
                .turn
                .wait(r)
                .expect("a model of the shared pass panicked while holding it");
        }
        r
    }

    /// Computes every waiting request of the round, then opens the next round and wakes the
    /// seats. Called by the last seat counted in, or by a seat leaving when all the others are
    /// in.
    fn complete(&self, r: &mut Round) {
        let wake = Wake(&self.turn);
        let Round {
            rows,
            requests,
            scratch,
            ..
        } = r;
        let members: Vec<usize> = (0..requests.len()).filter(|&k| requests[k].wants).collect();
        if !members.is_empty() {
            self.compute(rows, requests, &members, scratch);
        }
        for q in requests.iter_mut() {
            q.counted = false;
            q.wants = false;
        }
        r.counted = 0;
        r.generation += 1;
        drop(wake);
    }

    /// The losses and gradients of the models `members` on the batch `rows`.
    fn compute(&self, rows: &[usize], requests: &mut [Request], members: &[usize], sc: &mut Scratch) {
        let dims = self.objectives[0].network.dims();
        let (d, c, m) = (dims[0], dims[1], rows.len());
        let kc = members.len() * c;
        self.data.gather(rows, &mut sc.x, &mut sc.targets);
        sc.w.resize(kc * d, 0.0);
        sc.s.resize(m * kc, 0.0);
        sc.g.resize(kc * d, 0.0);
        sc.own.resize_with(members.len(), Default::default);
        for (j, &k) in members.iter().enumerate() {
            let p = &requests[k].params;
            sc.w[j * c * d..(j + 1) * c * d].copy_from_slice(&p[..c * d]);
            for row in sc.s.chunks_exact_mut(kc) {
                row[j * c..(j + 1) * c].copy_from_slice(&p[c * d..]);
            }
        }
        matmul(m, kc, d, &sc.x, Op::N, &sc.w, Op::T, &mut sc.s, 1.0, self.threads);
        // Each model's loss gradient on its own columns, in parallel over the models.
        let scale = 1.0 / m.max(1) as f64;
        let targets = sc.targets.as_slice();
        let s = &sc.s;
        let losses: Vec<(f64, usize)> = sc
            .own
            .par_iter_mut()
            .with_max_len(if self.threads > 1 { 1 } else { usize::MAX })
            .zip(members)
            .enumerate()
            .map(|(j, ((own, ds), &k))| {
                own.clear();
                own.extend(s.chunks_exact(kc).flat_map(|row| &row[j * c..(j + 1) * c]));
                ds.resize(m * c, 0.0);
                let objective = &self.objectives[k];
                let loss = objective.loss.batch_value_grad(own, c, targets, ds, scale);
                (loss, objective.count_correct(own, targets))
            })
            .collect();
        for (j, (_, ds)) in sc.own.iter().enumerate() {
            for (row, from) in sc.s.chunks_exact_mut(kc).zip(ds.chunks_exact(c)) {
                row[j * c..(j + 1) * c].copy_from_slice(from);
            }
        }
        matmul(kc, d, m, &sc.s, Op::T, &sc.x, Op::N, &mut sc.g, 0.0, self.threads);
        for (j, &k) in members.iter().enumerate() {
            let objective = &self.objectives[k];
            let q = &mut requests[k];
            q.grads.resize(q.params.len(), 0.0);
            q.grads[..c * d].copy_from_slice(&sc.g[j * c * d..(j + 1) * c * d]);
            let gb = &mut q.grads[c * d..];
            gb.fill(0.0);
            for row in sc.own[j].1.chunks_exact(c) {
                gb.iter_mut().zip(row).for_each(|(g, &v)| *g += v);
            }
            let (loss, correct) = losses[j];
            let penalty = objective
                .regularizer
                .penalty_grad(&q.params, objective.network.layout(), &mut q.grads);
            q.stats = BatchStats {
                objective: loss * scale + penalty,
                data_loss: loss * scale,
                penalty,
                correct,
                rows: m,
                evaluations: 1,
            };
        }
    }
}

/// Wakes every seat when dropped: after a round completes, or when computing it panicked (the
/// seats then find the lock poisoned rather than waiting forever).
struct Wake<'c>(&'c Condvar);

impl Drop for Wake<'_> {
    fn drop(&mut self) {
        self.0.notify_all();
    }
}

/// One model's place in a [`SharedPass`]: the [`Problem`] its trainer steps.
pub struct Seat<'p, 'a, E: Examples> {
    pass: &'p SharedPass<'a, E>,
    k: usize,
    /// The model's objective on the pass's rows, for evaluations outside the pass.
    alone: OnData<'p, f32, E>,
}

impl<E: Examples> Problem<f32> for Seat<'_, '_, E> {
    fn rows(&self) -> usize {
        self.pass.data.len()
    }
    fn classifies(&self) -> bool {
        self.alone.classifies()
    }

    /// `L` and `∇L` on `rows`, computed in the pass together with every other model's once
    /// all have asked; alone (but still counted in the round) when `rows` differ from the
    /// round's batch.
    fn value_and_grad(&mut self, params: &[f32], rows: &[usize], grads: &mut [f32]) -> BatchStats {
        let pass = self.pass;
        let mut r = pass.lock();
        // A seat counted in the round (it computed alone) waits for the round to end.
        if r.requests[self.k].counted {
            let generation = r.generation;
            r = pass.wait(r, generation);
        }
        let joins = r.counted == 0 || r.rows.as_slice() == rows;
        if r.counted == 0 {
            r.rows.clear();
            r.rows.extend_from_slice(rows);
        }
        let q = &mut r.requests[self.k];
        q.counted = true;
        q.wants = joins;
        if joins {
            q.params.clear();
            q.params.extend_from_slice(params);
        }
        r.counted += 1;
        let generation = r.generation;
        if r.counted == r.active {
            pass.complete(&mut r);
        } else if joins {
            r = pass.wait(r, generation);
        }
        if !joins {
            drop(r);
            return self.alone.value_and_grad(params, rows, grads);
        }
        let q = &r.requests[self.k];
        grads.copy_from_slice(&q.grads);
        q.stats
    }

    fn value(&mut self, params: &[f32], rows: &[usize]) -> BatchStats {
        self.alone.value(params, rows)
    }
}

impl<E: Examples> Drop for Seat<'_, '_, E> {
    /// Leaves the pass; when every other seat has asked already, completes their round.
    fn drop(&mut self) {
        let pass = self.pass;
        let Ok(mut r) = pass.round.lock() else {
            return;
        };
        r.active -= 1;
        if r.counted > 0 && r.counted == r.active {
            pass.complete(&mut r);
        }
    }
}
