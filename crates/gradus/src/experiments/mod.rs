//! The lectures' experiments, one module each: the computation and its numbers, no drawing
//! (the `gradus experiment` command writes the CSV files, figures and summaries).
//!
//! | module | what it shows |
//! | --- | --- |
//! | [`step_size`] | crawling, converging, oscillating and diverging gradient descent, and the critical step 2/L |
//! | [`batch_online`] | online SGD against full-batch gradient descent on redundant data (Bottou & Bousquet) |
//! | [`lr_conditions`] | constant, 1/t and 1/√t step sizes on a noisy problem (Σηₜ = ∞, Σηₜ² < ∞) |
//! | [`bias_variance`] | bias², variance and E_out of models of growing capacity |
//! | [`double_descent`] | test error of random ReLU features against d/n, and the minimum-norm solution |
//! | [`regularization`] | ridge regression on the latitude/temperature table |
//! | [`loss_comparison`] | hinge and cross-entropy losses on the lectures' score vectors |
//! | [`templates`] | the rows of a trained linear classifier as images |
//! | [`init_loss`] | the loss at small random weights against ln C and (C − 1)Δ |
//!
//! Every model is trained by gradus' own [`Trainer`] on an [`Objective`] bound to its data;
//! closed forms (least squares, ridge, the minimum-norm solution) come from [`closed_form`],
//! in `f64`, and serve as the independent check.

pub mod batch_online;
pub mod bias_variance;
pub mod closed_form;
pub mod double_descent;
pub mod init_loss;
pub mod loss_comparison;
pub mod lr_conditions;
pub mod regularization;
pub mod step_size;
pub mod templates;

use crate::data::batch::{BatchSize, Prepared};
use crate::data::{Affine, Dataset, Features, Targets};
use crate::error::{Error, Result};
use crate::objective::Objective;
use crate::optim::OptimizerParams;
use crate::train::{Chain, FitReport, Silent, TrainParams, TrainState, Trainer};

/// A regression data set of `rows.len() / d` rows of `d` features, stored as `f32` (so call
/// [`round`] on values first when a closed form must see the same numbers).
pub fn regression_set(rows: &[f64], d: usize, y: &[f64]) -> Result<Dataset> {
    Dataset::new(
        d,
        Features::F32(rows.iter().map(|&v| v as f32).collect()),
        Targets::Values(y.iter().map(|&v| v as f32).collect()),
    )
}

/// `v` rounded to `f32` and back: the value a [`Dataset`] stores.
pub fn round(v: f64) -> f64 {
    v as f32 as f64
}

/// Polyak's heavy ball for a quadratic whose Hessian's nonzero eigenvalues lie in [μ, L]:
/// `α = 4/(√L + √μ)²`, `β = ((√κ − 1)/(√κ + 1))²` with κ = L/μ, which contracts the error by
/// about `(√κ − 1)/(√κ + 1)` per step instead of plain gradient descent's `1 − 1/κ`
/// (Polyak 1964; Nesterov, *Lectures on Convex Optimization*, 2018, §2.2).
///
/// In PyTorch's form (`b ← μb + g`, `θ ← θ − αb`) the same recurrence. Every update is a
/// combination of gradients, so a run from θ = 0 stays in the row space of the data, as plain
/// gradient descent does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeavyBall {
    /// The step α.
    pub lr: f64,
    /// The momentum β.
    pub momentum: f64,
}

impl HeavyBall {
    /// The tuning for curvatures in `[mu, l]`, 0 < μ ≤ L.
    pub fn tuned(mu: f64, l: f64) -> Self {
        let (a, b) = (l.sqrt(), mu.sqrt());
        let rate = (a - b) / (a + b);
        Self {
            lr: 4.0 / ((a + b) * (a + b)),
            momentum: rate * rate,
        }
    }

    /// [`tuned`](Self::tuned) for `[max(μ, L(40/steps)²), L]`: when κ = L/μ is too large
    /// for `steps` steps (heavy ball needs about √κ · ln(1/tolerance) of them), the rule is
    /// tuned to the curvatures it can resolve in time. Directions of smaller curvature then
    /// move monotonically, as under plain gradient descent, rather than through the large
    /// transient excursions a heavy ball tuned to a tiny μ makes before it settles.
    pub fn within(mu: f64, l: f64, steps: u64) -> Self {
        let floor = l * (40.0 / steps.max(1) as f64).powi(2);
        Self::tuned(mu.max(floor).min(l), l)
    }

    /// Full-batch training with this rule for at most `steps` steps, stopping when the
    /// gradient's norm is at most `grad_tol`.
    pub fn train_params(&self, steps: u64, grad_tol: f64) -> TrainParams {
        let mut optimizer = OptimizerParams::named("momentum");
        optimizer.momentum = Some(self.momentum);
        TrainParams {
            epochs: steps.max(1),
            batch: BatchSize::Full,
            lr: Some(self.lr),
            optimizer,
            grad_tol: Some(grad_tol),
            ..TrainParams::default()
        }
    }
}

/// Trains `params` (in `f64`) on the raw rows of `data` (no preprocessing) by the configuration
/// `p` (its `freeze` list applied), from the start: the training loop of every experiment.
pub fn train(objective: &Objective, data: &Dataset, params: &mut [f64], p: &TrainParams) -> Result<FitReport> {
    let config = p.check()?;
    let affine = Affine::identity(data.n_features());
    let prepared = Prepared { data, affine: &affine };
    let mut problem = objective.on::<f64, _>(&prepared);
    let chain = Chain::for_model(&config, objective.network.layout())?;
    let mut state = TrainState::new(&config.strategy, params.len());
    Trainer::with_transforms(&config, chain).fit(&mut problem, None, params, &mut state, &mut Silent)
}

/// Checks that a count parameter `name` is within `lo..=hi`.
pub(crate) fn check_count(name: &str, v: usize, lo: usize, hi: usize) -> Result<usize> {
    if (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(Error::param(name, format!("must be between {lo} and {hi}, got {v}")))
    }
}

/// Checks that `v` is finite and > 0 (≥ 0 with `zero`).
pub(crate) fn check_positive(name: &str, v: f64, zero: bool) -> Result<f64> {
    if v.is_finite() && (v > 0.0 || (zero && v == 0.0)) {
        Ok(v)
    } else {
        let bound = if zero { "≥ 0" } else { "> 0" };
        Err(Error::param(name, format!("must be a finite number {bound}, got {v}")))
    }
}
