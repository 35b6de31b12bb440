//! The one interface every optimisation in gradus runs on: `(θ, rows) ↦ (L, ∇L)`.
//!
//! A [`Problem`] is anything with parameters θ, `rows()` examples, and an objective over a
//! subset of them: a model's [`Objective`](crate::objective::Objective) bound to its data
//! ([`Objective::on`](crate::objective::Objective::on)), or a 2-D
//! [`TestFunction`](crate::functions::TestFunction) (one "row", the function itself). The
//! [`Trainer`](crate::train::Trainer), the gradient checker and the landscapes call nothing
//! else, so one update rule and one loop drive a multilayer perceptron and Rosenbrock's valley
//! alike.
//!
//! [`NumericalGradient`] wraps any problem and replaces its gradient by finite differences of
//! its values ([`Gradient`]), to show what the analytic gradient saves.

mod numerical;

pub use numerical::{Gradient, NumericalGradient};

use crate::params::ParamLayout;
use crate::real::Real;
use crate::regularizer::Regularizer;

/// What one evaluation of an objective on a batch found.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BatchStats {
    /// `L = data_loss + penalty`.
    pub objective: f64,
    /// `(1/N) Σ_i L_i`.
    pub data_loss: f64,
    /// `λ R(θ)`.
    pub penalty: f64,
    /// Rows whose predicted class equals the label (0 for regression).
    pub correct: usize,
    /// Rows in the batch.
    pub rows: usize,
    /// Evaluations of the objective on the batch these figures took: 1 for a value, or a value
    /// and its analytic gradient (one forward and one backward pass); `2n + 1` for a gradient by
    /// centred differences over n parameters.
    pub evaluations: u64,
}

/// An objective `L(θ) = (1/|B|) Σ_{i∈B} L_i(θ) + λR(θ)` over a batch B of row indices.
///
/// Methods take `&mut self` so that an implementation can keep scratch buffers between calls;
/// the value must depend only on `params` and `rows`.
pub trait Problem<T: Real> {
    /// The number of rows (examples) batches are drawn from.
    fn rows(&self) -> usize;
    /// Whether [`BatchStats::correct`] counts correct class predictions.
    fn classifies(&self) -> bool {
        false
    }
    /// `L` on `rows`, with `∇L` written into `grads` (as long as `params`).
    fn value_and_grad(&mut self, params: &[T], rows: &[usize], grads: &mut [T]) -> BatchStats;
    /// `L` on `rows`, without the gradient.
    fn value(&mut self, params: &[T], rows: &[usize]) -> BatchStats;
    /// For a problem with a sparse path: the data term of `L` on `rows` and its gradient on its
    /// support alone, compact (zero elsewhere), the penalty left to the caller, to apply
    /// lazily (the trainer's sparse step), in time proportional to the support rather than
    /// to θ. `None` (the default) when the problem has no sparse path: the caller then asks
    /// [`value_and_grad`](Self::value_and_grad), which always writes the whole `∇L`.
    fn sparse_value_and_grad(&mut self, _params: &[T], _rows: &[usize]) -> Option<(BatchStats, SparseGrad<'_, T>)> {
        None
    }
    /// For a problem with a sparse path: the coordinates of θ its evaluation on `rows` reads
    /// (its gradient's support), increasing, so that a caller who defers updates can bring
    /// them up to date first. `None` (the default) when every evaluation reads all of θ.
    fn sparse_support(&mut self, _rows: &[usize]) -> Option<&[usize]> {
        None
    }
}

/// A gradient on its support only, compact, and the penalty still to add: what
/// [`Problem::sparse_value_and_grad`] gives.
#[derive(Clone, Copy, Debug)]
pub struct SparseGrad<'a, T> {
    /// The coordinates of the support, increasing.
    pub support: &'a [usize],
    /// `∂L/∂θ_{support[k]}` (the data term), for each k.
    pub values: &'a [T],
    /// The penalty `λR(θ)` left out.
    pub regularizer: &'a Regularizer,
    /// The parameters' tensors (which are penalised: [`Regularizer`]).
    pub layout: &'a ParamLayout,
}

/// The objectives of several models over the same rows, evaluated together on a batch: what
/// [`Trainer::fit_together`](crate::train::Trainer::fit_together) steps. Model `k`'s value and
/// gradient must not depend on which other models are evaluated with it.
pub trait JointProblem<T: Real> {
    /// The number of rows batches are drawn from.
    fn rows(&self) -> usize;
    /// Whether [`BatchStats::correct`] counts correct class predictions.
    fn classifies(&self) -> bool {
        false
    }
    /// For each `j`, model `models[j]`'s `L` on `rows` at `points[j]`, with its `∇L` written
    /// into `grads[j]` (as long as `points[j]`).
    fn value_and_grads(
        &mut self,
        rows: &[usize],
        models: &[usize],
        points: &[&[T]],
        grads: &mut [&mut [T]],
    ) -> Vec<BatchStats>;
}
