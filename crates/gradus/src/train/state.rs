//! Where a run stands: [`TrainState`], everything the loop needs to continue exactly.
//!
//! Nothing else is remembered between steps: the data order of epoch `e` is a pure function of
//! `(seed, e)` ([`epoch_order`](crate::data::batch::epoch_order)), the learning rate of a pure
//! function of the counters and the plateau state ([`LrSchedule::lr`](crate::schedule::LrSchedule::lr)),
//! and gradient noise of `(seed, step)` ([`GaussianNoise`](super::GaussianNoise)). So a
//! checkpoint is this state, the parameters and the configuration, and nothing else.
//!
//! Serialized (into a checkpoint's metadata) without its large buffers: the optimizer's slots,
//! the best parameters and the average's mean are tensors of their own in the file.

use super::{Average, Strategy};
use crate::optim::State;
use crate::schedule::PlateauState;
use crate::search::Kept;
use serde::{Deserialize, Serialize};

/// Everything a run needs to continue exactly.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "", deserialize = ""))]
pub struct TrainState<T> {
    /// Epochs completed.
    pub epoch: u64,
    /// Optimizer steps taken.
    pub step: u64,
    /// Progress through the current epoch (zero between epochs).
    #[serde(default)]
    pub cursor: Cursor,
    /// The update rule's state.
    pub optimizer: State<T>,
    /// Reduce-on-plateau's state.
    pub plateau: PlateauState,
    /// The last epoch's objective, for the tolerance test `|L_k − L_{k−1}| ≤ tol`.
    #[serde(default)]
    pub previous_objective: Option<f64>,
    /// Consecutive epochs, up to the last, whose objective changed by at most `tol`.
    #[serde(default)]
    pub calm_epochs: u64,
    /// The best validation loss so far and its parameters, for early stopping.
    #[serde(default)]
    pub best: Option<Best<T>>,
    /// What a derivative-free search has kept (left out for update rules, so their
    /// checkpoints are as before searches existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<Kept>,
    /// The Polyak–Ruppert average of the iterates ([`Average`]), from the configuration's first
    /// averaged step on (left out before it and without averaging, so those checkpoints are
    /// as before averaging existed, and load as they were).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average: Option<Average<T>>,
}

/// How far the current epoch has got: batches done, and the running sums its report needs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    /// Batches of the current epoch already stepped.
    pub batch: u64,
    /// Σ over those batches of (batch objective × batch rows).
    pub loss_sum: f64,
    /// Rows of those batches classified correctly before their update.
    pub correct: u64,
    /// Evaluations of the objective those batches took.
    #[serde(default)]
    pub evaluations: u64,
    /// Example evaluations those batches took (rows × evaluations; left out at 0, so
    /// checkpoints between epochs are as before it was counted).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub examples: u64,
    /// Σ over those batches of their gradient's norm ‖g_t‖₂
    /// ([`EpochStats::mean_grad_norm`](super::EpochStats::mean_grad_norm)); left out of a
    /// checkpoint between epochs, where it is 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub grad_norm_sum: f64,
}

/// Whether `x` is zero (serde's `skip_serializing_if` takes a reference).
fn is_zero<N: Default + PartialEq>(x: &N) -> bool {
    *x == N::default()
}

/// The best epoch seen by early stopping.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "", deserialize = ""))]
pub struct Best<T> {
    /// Its validation loss.
    pub loss: f64,
    /// Its 1-based epoch number.
    pub epoch: u64,
    /// Its parameters (a tensor of its own in a checkpoint).
    #[serde(skip)]
    pub params: Vec<T>,
}

impl<T: crate::Real> TrainState<T> {
    /// The state before the first step of `strategy` on `n` parameters.
    pub fn new(strategy: &Strategy, n: usize) -> Self {
        Self {
            epoch: 0,
            step: 0,
            cursor: Cursor::default(),
            optimizer: strategy.init(n),
            plateau: PlateauState::default(),
            previous_objective: None,
            calm_epochs: 0,
            best: None,
            search: None,
            average: None,
        }
    }

    /// The model reached with the iterate `params`: the average of the iterates once averaging
    /// has begun ([`Average`]), else `params`.
    pub fn model<'a>(&'a self, params: &'a [T]) -> &'a [T] {
        self.average.as_ref().map_or(params, Average::params)
    }
}
