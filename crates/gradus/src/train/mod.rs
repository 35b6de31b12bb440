//! Training: one loop for full-batch gradient descent, minibatch SGD, single-example SGD,
//! optimizer paths on 2-D functions and derivative-free search, composed from a
//! [`Problem`](crate::problem::Problem), a [`Strategy`] (an [`Optimizer`](crate::optim::Optimizer)
//! or a [`Search`](crate::search::Search)), an [`LrSchedule`](crate::schedule::LrSchedule) and a
//! [`Chain`] of gradient transforms, none of which it knows the details of.
//!
//! Per step ([`Trainer::step_batch`]), for an update rule: `lr = schedule.lr(…)` →
//! `value_and_grad` on the batch → the transform chain (noise, clipping, …) →
//! `optimizer.step`; for a search, one trial on every row ([`Search::trial`](crate::search::Search::trial)).
//! Per epoch ([`Trainer::run_epoch`]): the batches of a seeded permutation, or of rows drawn
//! with replacement ([`Sampling`](crate::data::batch::Sampling)); a search's share of its
//! trials ([`Strategy::trials_in_epoch`]). [`Trainer::fit`] then evaluates
//! the validation split after each epoch, reports to the [`Observer`], and stops by the first
//! of these rules to fire:
//!
//! * the epoch budget;
//! * `|L_k − L_{k−1}| ≤ tol` in `tol_epochs` consecutive epochs (default 5), L_k the epoch's
//!   mean objective — one small change is not enough, because a run with momentum passes
//!   through turning points where the objective stalls for an epoch while the parameters are
//!   still moving fast;
//! * `‖∇L(θ)‖₂ ≤ grad_tol`, the gradient of the objective on the whole training split after
//!   the epoch (one extra gradient pass per epoch, only when asked for);
//! * no better validation loss for `patience` epochs (restoring the best parameters);
//! * the observer asking.
//!
//! With [`TrainConfig::average`], the model is the Polyak–Ruppert average of the iterates
//! ([`Average`]): what is validated, restored, saved and predicts, while the steps go on from
//! the iterate.
//!
//! Everything it needs to continue is in [`TrainState`].

mod average;
mod config;
mod health;
mod lazy;
mod state;
mod strategy;
mod trainer;
mod transform;

pub use average::Average;
pub use config::DEFAULT_TOL_EPOCHS;
pub use config::{TrainConfig, TrainParams};
pub use health::{LayerUpdate, Layers};
pub use state::{Best, Cursor, TrainState};
pub use strategy::{Strategy, StrategyParams};
pub use trainer::{EpochStats, Member, Trainer};
pub use transform::{Chain, ClipNorm, Freeze, GaussianNoise, GradientTransform, clip_global_norm};

use crate::error::Result;
use serde::{Deserialize, Serialize};

/// What one step did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepReport {
    /// 1-based epoch number.
    pub epoch: u64,
    /// 1-based batch number within the epoch.
    pub batch: usize,
    /// Batches in the epoch.
    pub batches: usize,
    /// The learning rate of the step (0 for a search, which has none).
    pub lr: f64,
    /// The batch objective, before the update (for a search, the kept objective after the
    /// trial).
    pub objective: f64,
    /// ‖g‖₂ of the step's batch gradient ([`EpochStats::mean_grad_norm`] says which).
    pub grad_norm: f64,
}

/// What one epoch did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochReport {
    /// 1-based epoch number.
    pub epoch: u64,
    /// Mean objective over the epoch's batches, each evaluated before its update (for a
    /// search, the mean over its trials of the kept objective after each).
    pub objective: f64,
    /// Fraction of training rows classified correctly during the epoch (before each update;
    /// for a search, by the kept parameters after each trial).
    pub train_accuracy: Option<f64>,
    /// Validation data loss after the epoch.
    pub val_loss: Option<f64>,
    /// Validation accuracy after the epoch.
    pub val_accuracy: Option<f64>,
    /// The learning rate of the epoch's last step.
    pub lr: f64,
    /// Wall-clock seconds of the epoch (training only, not validation).
    pub seconds: f64,
    /// Evaluations of the objective the epoch's steps took (one per step with the analytic
    /// gradient).
    #[serde(default)]
    pub evaluations: u64,
    /// Example evaluations the epoch's steps took, Σ rows × evaluations over its steps: one
    /// forward and one backward pass of one example each for an analytic gradient, one forward
    /// pass each for a search's trials or a numerical gradient.
    #[serde(default)]
    pub examples: u64,
    /// ‖∇L(θ)‖₂ on the whole training split after the epoch (with a gradient tolerance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grad_norm: Option<f64>,
    /// Mean over the epoch's steps of the batch gradient's norm ‖g_t‖₂
    /// ([`EpochStats::mean_grad_norm`]).
    #[serde(default)]
    pub mean_grad_norm: f64,
    /// Per layer, how far the epoch moved the parameters relative to their size
    /// ([`EpochStats::updates`]).
    #[serde(default)]
    pub updates: Vec<LayerUpdate>,
}

/// Why training stopped.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum StopReason {
    /// The epoch budget was spent.
    MaxEpochs,
    /// `|L_k − L_{k−1}| ≤ tol`, `tol_epochs` epochs in a row.
    Converged {
        /// The last change of the epoch objective.
        change: f64,
    },
    /// `‖∇L(θ)‖₂ ≤ grad_tol` on the training split.
    SmallGradient {
        /// The gradient's norm.
        norm: f64,
    },
    /// The `adaptive` schedule ran out of reductions: the monitored loss stopped improving
    /// with the rate already at [`ADAPTIVE_FLOOR`](crate::schedule::ADAPTIVE_FLOOR) or below
    /// (scikit-learn's stop for `learning_rate="adaptive"`).
    RateExhausted {
        /// The rate of the last epoch.
        lr: f64,
    },
    /// The validation loss stopped improving; the parameters of `best_epoch` were restored.
    EarlyStopped {
        /// The epoch whose parameters were kept.
        best_epoch: u64,
    },
    /// The observer asked to stop: after an epoch (a path that left its range) or between two
    /// steps ([`Observer::stop_requested`], an interruption).
    Requested,
}

/// The outcome of [`Trainer::fit`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    /// One entry per epoch run.
    pub history: Vec<EpochReport>,
    /// Why it stopped.
    pub stop: StopReason,
    /// Seconds spent in training steps (validation excluded).
    pub train_seconds: f64,
}

/// Whether training goes on after an epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Go on.
    Continue,
    /// Stop now, with [`StopReason::Requested`].
    Stop,
}

/// Receives progress; every method does nothing by default (argmin's observers).
pub trait Observer<T = f32> {
    /// After each optimizer step.
    fn on_step(&mut self, _report: &StepReport) {}
    /// After each optimizer step (and [`on_step`](Self::on_step)), with the parameters it reached
    /// (the iterate θ; with averaging the model is [`state.model(params)`](TrainState::model))
    /// and the complete state: `state.step` steps taken so far, and the epoch's place in
    /// [`TrainState::cursor`]. To record the optimizer's path, or to write a checkpoint within an
    /// epoch that resumes exactly; an error (a full disk) stops training.
    fn on_params(&mut self, _params: &[T], _state: &TrainState<T>) -> Result<()> {
        Ok(())
    }
    /// Whether [`on_params`](Self::on_params) reads the parameters after this step
    /// (`state.step` steps taken): when it does not, a trainer whose parameters lag behind
    /// (sparse training's deferred penalty) need not bring them up to date first, an O(θ)
    /// pass. By default, always.
    fn wants_params(&self, _state: &TrainState<T>) -> bool {
        true
    }
    /// Asked before each step: `true` stops training there, between two steps, with the epoch's
    /// place kept in [`TrainState::cursor`] (an interruption: Ctrl-C).
    fn stop_requested(&mut self) -> bool {
        false
    }
    /// After each epoch, with the parameters (the iterate, as [`on_params`](Self::on_params)) and
    /// the complete state reached (to write a checkpoint); an error stops training, and so does
    /// [`Flow::Stop`].
    fn on_epoch(&mut self, _report: &EpochReport, _params: &[T], _state: &TrainState<T>) -> Result<Flow> {
        Ok(Flow::Continue)
    }
}

/// An observer that ignores everything.
pub struct Silent;
impl<T> Observer<T> for Silent {
    fn wants_params(&self, _state: &TrainState<T>) -> bool {
        false
    }
}
