//! The training loop: one loop for full-batch gradient descent, minibatch SGD and single-example
//! SGD, composed from an [`Objective`], an [`Optimizer`] and an [`LrSchedule`], none of which it
//! knows the details of.
//!
//! Per step: gather a batch → `value_and_grad` → clip the global gradient norm → `lr =
//! schedule.lr(…)` → `optimizer.step`. Per epoch: report to the [`Observer`], evaluate the
//! validation split, and stop at the epoch budget, when `|L_k − L_{k−1}| ≤ tol`, or when the
//! validation loss has not improved for `patience` epochs (the best parameters are restored).

mod config;

pub use config::{TrainConfig, TrainParams};

use crate::data::batch::{Examples, epoch_order};
use crate::error::{Error, Result};
use crate::objective::{BatchStats, Buffers, Objective};
use crate::optim::State;
use crate::schedule::PlateauState;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Where a run stands: everything a checkpoint needs to continue exactly.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainState {
    /// Epochs completed.
    pub epoch: u64,
    /// Optimizer steps taken.
    pub step: u64,
    /// The update rule's state.
    pub optimizer: State<f32>,
    /// Reduce-on-plateau's state.
    pub plateau: PlateauState,
}

impl TrainState {
    /// The state before the first step, for `n` parameters.
    pub fn new(config: &TrainConfig, n: usize) -> Self {
        Self {
            epoch: 0,
            step: 0,
            optimizer: config.optimizer.init(n),
            plateau: PlateauState::default(),
        }
    }
}

/// What one epoch did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochReport {
    /// 1-based epoch number.
    pub epoch: u64,
    /// Mean objective over the epoch's batches, each evaluated before its update.
    pub objective: f64,
    /// Fraction of training rows classified correctly during the epoch (before each update).
    pub train_accuracy: Option<f64>,
    /// Validation data loss after the epoch.
    pub val_loss: Option<f64>,
    /// Validation accuracy after the epoch.
    pub val_accuracy: Option<f64>,
    /// The learning rate of the epoch's last step.
    pub lr: f64,
    /// Wall-clock seconds of the epoch (training only, not validation).
    pub seconds: f64,
}

/// Why training stopped.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum StopReason {
    /// The epoch budget was spent.
    MaxEpochs,
    /// `|L_k − L_{k−1}| ≤ tol`.
    Converged {
        /// The last change of the epoch objective.
        change: f64,
    },
    /// The validation loss stopped improving; the parameters of `best_epoch` were restored.
    EarlyStopped {
        /// The epoch whose parameters were kept.
        best_epoch: u64,
    },
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

/// Receives progress; every method does nothing by default.
pub trait Observer {
    /// After each optimizer step: `done` of `total` batches of `epoch` (1-based).
    fn on_batch(&mut self, _epoch: u64, _done: usize, _total: usize) {}
    /// After each epoch, with the parameters and state reached (to write a checkpoint); an
    /// error stops training.
    fn on_epoch(&mut self, _report: &EpochReport, _params: &[f32], _state: &TrainState) -> Result<()> {
        Ok(())
    }
}

/// An observer that ignores everything.
pub struct Silent;
impl Observer for Silent {}

/// Composes an objective with a validated training configuration.
pub struct Trainer<'a> {
    objective: &'a Objective,
    config: &'a TrainConfig,
}

impl<'a> Trainer<'a> {
    /// A trainer for `objective` under `config`.
    pub fn new(objective: &'a Objective, config: &'a TrainConfig) -> Self {
        Self { objective, config }
    }

    /// Trains `params` on `train` from `state` until a stopping rule fires; `val` is evaluated
    /// after every epoch and drives early stopping and reduce-on-plateau.
    pub fn fit<E: Examples>(
        &self,
        params: &mut [f32],
        state: &mut TrainState,
        train: &E,
        val: Option<&E>,
        observer: &mut dyn Observer,
    ) -> Result<FitReport> {
        let cfg = self.config;
        let n = train.len();
        if n == 0 {
            return Err(Error::data("the training split has no rows"));
        }
        let batch = cfg.batch.rows(n);
        let batches = n.div_ceil(batch);
        let mut buf = Buffers::new(cfg.threads);
        let mut grads = vec![0.0f32; params.len()];
        let mut history = Vec::new();
        let mut train_seconds = 0.0;
        let mut prev: Option<f64> = None;
        let mut best: Option<(f64, u64, Vec<f32>)> = None;
        let classify = self.objective.loss.task() == crate::data::Task::Classify;
        let val_rows: Vec<usize> = val.map(|v| (0..v.len()).collect()).unwrap_or_default();

        while state.epoch < cfg.epochs {
            let epoch = state.epoch + 1;
            let started = Instant::now();
            let order = epoch_order(n, cfg.seed, state.epoch);
            let (mut sum, mut correct, mut lr) = (0.0, 0usize, 0.0);
            for (b, rows) in order.chunks(batch).enumerate() {
                lr = cfg.schedule.lr(state.epoch, cfg.epochs, state.step, &state.plateau);
                let stats = self.objective.value_and_grad(params, train, rows, &mut buf, &mut grads);
                if !stats.objective.is_finite() {
                    return Err(diverged(epoch, state.step, lr, &stats));
                }
                if let Some(c) = cfg.clip_norm {
                    clip_global_norm(&mut grads, c);
                }
                cfg.optimizer.step(params, &grads, lr, &mut state.optimizer);
                state.step += 1;
                sum += stats.objective * rows.len() as f64;
                correct += stats.correct;
                observer.on_batch(epoch, b + 1, batches);
            }
            let seconds = started.elapsed().as_secs_f64();
            train_seconds += seconds;
            state.epoch = epoch;
            let objective = sum / n as f64;
            if !objective.is_finite() || params.iter().any(|p| !p.is_finite()) {
                return Err(Error::Diverged(format!(
                    "the parameters became NaN or infinite in epoch {epoch} (learning rate {lr}); try a smaller --lr"
                )));
            }
            let val_stats: Option<BatchStats> = val.map(|v| self.objective.value(params, v, &val_rows, &mut buf));
            let monitored = val_stats.map_or(objective, |s| s.data_loss);
            cfg.schedule.observe(&mut state.plateau, monitored);
            let report = EpochReport {
                epoch,
                objective,
                train_accuracy: classify.then(|| correct as f64 / n as f64),
                val_loss: val_stats.map(|s| s.data_loss),
                val_accuracy: val_stats
                    .filter(|_| classify)
                    .map(|s| s.correct as f64 / s.rows.max(1) as f64),
                lr,
                seconds,
            };
            observer.on_epoch(&report, params, state)?;
            history.push(report);

            if let (Some(patience), Some(vs)) = (cfg.patience, val_stats) {
                let improved = best.as_ref().is_none_or(|(b, _, _)| vs.data_loss < *b);
                if improved {
                    best = Some((vs.data_loss, epoch, params.to_vec()));
                } else if let Some((_, best_epoch, kept)) = &best
                    && epoch - best_epoch >= patience
                {
                    params.copy_from_slice(kept);
                    return Ok(FitReport {
                        history,
                        stop: StopReason::EarlyStopped {
                            best_epoch: *best_epoch,
                        },
                        train_seconds,
                    });
                }
            }
            if let (Some(tol), Some(p)) = (cfg.tol, prev) {
                let change = (objective - p).abs();
                if change <= tol {
                    return Ok(FitReport {
                        history,
                        stop: StopReason::Converged { change },
                        train_seconds,
                    });
                }
            }
            prev = Some(objective);
        }
        Ok(FitReport {
            history,
            stop: StopReason::MaxEpochs,
            train_seconds,
        })
    }
}

fn diverged(epoch: u64, step: u64, lr: f64, stats: &BatchStats) -> Error {
    Error::Diverged(format!(
        "the objective became {} in epoch {epoch} (step {}, learning rate {lr}); try a smaller --lr",
        stats.objective,
        step + 1
    ))
}

/// Scales `g` so that `‖g‖₂ ≤ c` (PyTorch's `clip_grad_norm_`: `g ← g · min(1, c/(‖g‖ + 1e-6))`).
pub fn clip_global_norm<T: crate::Real>(g: &mut [T], c: f64) {
    let norm = g.iter().map(|v| v.f64() * v.f64()).sum::<f64>().sqrt();
    let k = c / (norm + 1e-6);
    if k < 1.0 {
        let k = T::of(k);
        g.iter_mut().for_each(|v| *v *= k);
    }
}
