//! Lazily regularised sparse steps: the update of a problem whose gradient has a small support
//! ([`Problem::sparse_value_and_grad`](crate::problem::Problem::sparse_value_and_grad)), in time proportional to the support
//! rather than to θ.
//!
//! At step t the data gradient `g` is zero outside its support S. Under plain SGD (no momentum,
//! no weight decay of its own) a coordinate outside S moves by the penalty alone:
//! `w ← (1 − 2η_tλ₂)·w` for the squared part, and `w ← w − η_tλ₁ sign(w)` for the absolute
//! part. Both are deferred. Since the last flush the trainer keeps
//!
//! ```text
//! D_k = Π_{τ<k} (1 − 2η_τλ₂),   U_k = Σ_{τ<k} η_τλ₁,
//! ```
//!
//! and a coordinate last brought up to date after step k is caught up, before the next batch
//! that reads it (or at a flush) at step t, to `w' = w·D_t/D_k` and then `sign(w')·max(|w'| − (U_t − U_k), 0)`.
//! For L2 this is the dense run's arithmetic to rounding: Bottou's `W = s·V` scaling (*Stochastic
//! gradient descent tricks*, 2012), kept per coordinate. For L1 it is the cumulative penalty
//! with truncation of Tsuruoka, Tsujii & Ananiadou (ACL 2009), which stops a weight at zero where
//! the dense subgradient would carry it across and back. Then the coordinates of S take the
//! ordinary step on `g_j + ∂(λR)/∂w_j`.
//!
//! Every other rule (momentum, Nesterov, SGD with weight decay, AdaGrad, RMSprop, AdaDelta,
//! Adam, AdamW) has no such closed form for a coordinate without a data gradient: its buffers
//! keep moving it. Those update the coordinates of S alone, the penalty's gradient included
//! there and nowhere else, and a coordinate no batch touches keeps its value and buffers, as
//! PyTorch's `SparseAdam` does (its step count, and so Adam's bias corrections, still counts
//! every step). Without a penalty this is exact for AdaGrad too, whose buffers do not move
//! without a gradient.
//!
//! A flush brings every coordinate up to date in O(θ): at the end of every epoch, before an
//! observer reads θ, when training is interrupted, and when `D` nears underflow.

use crate::optim::{Optimizer, State};
use crate::params::ParamLayout;
use crate::problem::SparseGrad;
use crate::real::Real;
use crate::regularizer::Regularizer;
use std::ops::Range;

/// The deferred penalty of a sparse run, and the scratch space of its steps.
pub(super) struct Lazy<T> {
    regularizer: Regularizer,
    layout: ParamLayout,
    penalised: Vec<Range<usize>>,
    /// Whether coordinates outside the support decay in closed form (plain SGD with a penalty).
    deferred: bool,
    /// Per coordinate, the steps since the flush after which it is up to date.
    current: Vec<u32>,
    /// `D_k`, one per step since the flush, and one more.
    decay: Vec<f64>,
    /// `U_k`, likewise.
    shrink: Vec<f64>,
    /// The step's gradient on its support, penalty included.
    grads: Vec<T>,
    scratch: Vec<T>,
}

/// Below this magnitude `D` is reset by a flush, long before it could underflow.
const SMALLEST_DECAY: f64 = 1e-100;

impl<T: Real> Lazy<T> {
    /// The deferred state of a sparse run of `rule` on `n` parameters, penalised as `sparse`
    /// says.
    pub(super) fn new(rule: &Optimizer, sparse: &SparseGrad<T>, n: usize) -> Self {
        let regularizer = *sparse.regularizer;
        let (l2, l1) = regularizer.strengths();
        let deferred = rule.is_plain_sgd() && (l2 != 0.0 || l1 != 0.0);
        Self {
            penalised: regularizer.penalised(sparse.layout),
            layout: sparse.layout.clone(),
            regularizer,
            deferred,
            current: if deferred { vec![0; n] } else { Vec::new() },
            decay: vec![1.0],
            shrink: vec![0.0],
            grads: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Whether these are the deferred state of a run on `n` parameters.
    pub(super) fn fits(&self, n: usize) -> bool {
        !self.deferred || self.current.len() == n
    }

    fn penalised(&self, j: usize) -> bool {
        self.penalised.iter().any(|r| r.contains(&j))
    }

    /// One step of `rule` at `lr` on the support of the sparse gradient `sparse` (the data
    /// term): catches the support up, adds the penalty's gradient there, steps, and defers the
    /// penalty of everything else. Returns ‖g‖₂ over the support, penalty included.
    pub(super) fn step(
        &mut self,
        rule: &Optimizer,
        params: &mut [T],
        sparse: &SparseGrad<T>,
        lr: f64,
        optimizer: &mut State<T>,
    ) -> f64 {
        let now = self.decay.len() - 1;
        let support = sparse.support;
        let mut grads = std::mem::take(&mut self.grads);
        grads.clear();
        grads.extend_from_slice(sparse.values);
        if self.regularizer.strengths() != (0.0, 0.0) {
            for (&j, g) in support.iter().zip(&mut grads) {
                if self.penalised(j) {
                    self.bring(j, params, now);
                    *g += self.regularizer.coordinate_grad(params[j]);
                }
            }
        }
        let sq = grads.iter().fold(0.0, |sq, g| sq + g.f64() * g.f64());
        rule.step_on(params, &grads, lr, optimizer, support, &mut self.scratch);
        self.grads = grads;
        if self.deferred {
            let next = u32::try_from(now + 1).unwrap_or(u32::MAX);
            support.iter().for_each(|&j| self.current[j] = next);
            let (l2, l1) = self.regularizer.strengths();
            let (d, u) = (self.decay[now], self.shrink[now]);
            self.decay.push(d * (1.0 - 2.0 * lr * l2));
            self.shrink.push(u + lr * l1);
            if self.decay[now + 1].abs() < SMALLEST_DECAY || next == u32::MAX {
                self.flush(params);
            }
        }
        sq.sqrt()
    }

    /// Whether coordinates outside a step's support decay in closed form, deferred: then a
    /// batch's support must be brought up to date ([`catch_up`](Self::catch_up)) before the
    /// batch reads it.
    pub(super) fn defers(&self) -> bool {
        self.deferred
    }

    /// Brings the coordinates `support` up to date: before a batch reads them.
    pub(super) fn catch_up(&mut self, support: &[usize], params: &mut [T]) {
        let now = self.decay.len() - 1;
        for &j in support {
            if self.penalised(j) {
                self.bring(j, params, now);
            }
        }
    }

    /// Brings coordinate `j` up to date after `now` steps since the flush.
    #[inline]
    fn bring(&mut self, j: usize, params: &mut [T], now: usize) {
        if !self.deferred {
            return;
        }
        let k = self.current[j] as usize;
        if k == now {
            return;
        }
        let w = params[j].f64() * (self.decay[now] / self.decay[k]);
        let cut = self.shrink[now] - self.shrink[k];
        params[j] = T::of(w.signum() * (w.abs() - cut).max(0.0));
        self.current[j] = u32::try_from(now).unwrap_or(u32::MAX);
    }

    /// Brings every coordinate up to date, and starts the products and sums again.
    pub(super) fn flush(&mut self, params: &mut [T]) {
        if !self.deferred || self.decay.len() == 1 {
            return;
        }
        let now = self.decay.len() - 1;
        for r in self.penalised.clone() {
            for j in r {
                self.bring(j, params, now);
            }
        }
        self.current.fill(0);
        self.decay.truncate(1);
        self.shrink.truncate(1);
    }

    /// `λR(θ)` of up-to-date parameters `params`.
    pub(super) fn penalty(&self, params: &[T]) -> f64 {
        self.regularizer.value(params, &self.layout)
    }
}
