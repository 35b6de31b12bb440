//! Polyak–Ruppert iterate averaging (averaged SGD): training goes on from the last iterate, and
//! the model is the mean of the iterates since step k₀.
//!
//! With θ_k the parameters after optimizer step k (1-based) and k₀ ≥ 1 the first averaged step
//! ([`TrainConfig::average`](super::TrainConfig::average)), after every step k ≥ k₀ the trainer
//! updates
//!
//! ```text
//! m ← m + 1,   θ̄ ← θ̄ + (θ_k − θ̄)/m          (m = k − k₀ + 1, θ̄ = 0 before the first)
//! ```
//!
//! so that θ̄ = (1/m) Σ_{j=k₀}^{k} θ_j, and θ̄ = θ_{k₀} exactly at the first averaged step. The
//! update rule steps θ, never θ̄; θ̄ is what the run produces: the parameters that predict, are
//! saved in a model file, are validated after each epoch (early stopping's loss, its best
//! parameters, reduce-on-plateau), and whose gradient norm `grad_tol` tests. The epoch objective
//! stays the mean of the iterate's batch objectives (scikit-learn's loss is the iterate's too).
//! Before step k₀ the model is the iterate θ.
//!
//! Why: with a step size that decays more slowly than 1/k, or a constant one on a least-squares
//! problem, SGD's iterate keeps wandering around the optimum at a distance set by the step size
//! and the gradient noise, while the average of the iterates converges at the optimal rate
//! (Polyak & Juditsky, *Acceleration of stochastic approximation by averaging*, SIAM J. Control
//! Optim. 30(4), 1992; Ruppert, *Efficient estimations from a slowly convergent Robbins–Monro
//! process*, Cornell TR 781, 1988). Bottou (*Stochastic gradient descent tricks*, 2012, §5)
//! recommends starting the average after some time t₀, once the early, far-off iterates are
//! behind. scikit-learn's `average` is this from its `average`-th row on (`True`: from the
//! first); `torch.optim.ASGD` keeps `ax` with μ_t = 1/max(1, t − t0), which copies the iterate
//! up to step t0 + 1 and averages from there: k₀ = t0 + 1.
//!
//! The mean is kept in `f64`, whatever the parameters' type, and rounded to it after each
//! update for the model. In `f32` the increment (θ_k − θ̄)/m falls below half an ulp of θ̄ once
//! m·2⁻²⁴ exceeds |θ_k − θ̄|/|θ̄|: with iterates within 1 % of their mean, the average stops
//! moving after about 170,000 steps and ignores every later iterate (scikit-learn keeps its
//! average in `float64` too). The cost: 12 bytes per `f32` parameter (the mean and its rounding),
//! one O(θ) pass per averaged step, and the mean as an `f64` tensor in checkpoints. The update
//! is elementwise in a fixed order, so the same run gives the same bits on any thread count.

use crate::real::Real;
use serde::{Deserialize, Serialize};

/// The running mean θ̄ of the iterates since step k₀, and their count m.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "", deserialize = ""))]
pub struct Average<T> {
    /// m, the iterates averaged.
    count: u64,
    /// θ̄ in `f64` (a tensor of its own in a checkpoint).
    #[serde(skip)]
    mean: Vec<f64>,
    /// θ̄ rounded to the parameters' type: the model.
    #[serde(skip)]
    params: Vec<T>,
}

impl<T: Real> Average<T> {
    /// The average of `count` iterates whose mean is `mean` (read back from a checkpoint).
    pub fn from_mean(count: u64, mean: Vec<f64>) -> Self {
        let params = mean.iter().map(|&x| T::of(x)).collect();
        Self { count, mean, params }
    }

    /// m, the iterates averaged.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// θ̄ in `f64`.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// θ̄ rounded to the parameters' type: the model.
    pub fn params(&self) -> &[T] {
        &self.params
    }

    /// Adds the iterate `theta`: m ← m + 1, θ̄ ← θ̄ + (θ − θ̄)/m.
    pub(super) fn add(&mut self, theta: &[T]) {
        if self.count == 0 {
            self.mean = vec![0.0; theta.len()];
            self.params = vec![T::zero(); theta.len()];
        }
        self.count += 1;
        let m = self.count as f64;
        for ((mean, p), &t) in self.mean.iter_mut().zip(&mut self.params).zip(theta) {
            *mean += (t.f64() - *mean) / m;
            *p = T::of(*mean);
        }
    }

    /// Makes `theta` the average (early stopping's best parameters, restored), keeping the
    /// count.
    pub(super) fn set(&mut self, theta: &[T]) {
        self.mean = theta.iter().map(|t| t.f64()).collect();
        self.params = theta.to_vec();
    }
}
