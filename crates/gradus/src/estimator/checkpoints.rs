//! Checkpoints while [`Fitted::train`](super::Fitted::train) runs: where, how often, and the
//! observer that writes them.
//!
//! A checkpoint is the model with its complete [`TrainState`] (the epoch's place included), so
//! one written after any step resumes exactly: the data order of epoch `e` is a pure function of
//! `(seed, e)` and gradient noise of `(seed, step)`. Each is written atomically and checksummed
//! ([`modelfile::save`]): a process killed while writing leaves the previous checkpoint whole.

use crate::data::Affine;
use crate::error::{Error, Result};
use crate::modelfile::{self, ModelMeta, SavedModel};
use crate::train::{EpochReport, Flow, Observer, StepReport, TrainState};
use std::path::Path;

/// Where [`Fitted::train`](super::Fitted::train) writes checkpoints: after every epoch, and
/// every [`every`](Self::every) optimizer steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checkpointing<'a> {
    /// The checkpoint file, replaced at each write.
    pub path: &'a Path,
    every: Option<u64>,
}

impl<'a> Checkpointing<'a> {
    /// Checkpoints to `path` after every epoch, and also after every `every` steps (counted from
    /// the run's first step: after steps `every`, `2·every`, …).
    ///
    /// # Errors
    /// [`Error::Param`] `checkpoint_every` for 0.
    pub fn new(path: &'a Path, every: Option<u64>) -> Result<Self> {
        if every == Some(0) {
            return Err(Error::param("checkpoint_every", "must be at least 1 step, got 0"));
        }
        Ok(Self { path, every })
    }

    /// Checkpoints to `path` after every epoch only.
    pub fn at_epochs(path: &'a Path) -> Self {
        Self { path, every: None }
    }

    /// The steps between two checkpoints within an epoch (`None`: at epoch ends only).
    pub fn every(&self) -> Option<u64> {
        self.every
    }
}

/// Passes training progress to the caller's observer and writes the model with its state as
/// the plan says, when there is one.
pub(super) struct Checkpoints<'a> {
    pub observer: &'a mut dyn Observer,
    pub plan: Option<Checkpointing<'a>>,
    pub meta: &'a ModelMeta,
    pub affine: &'a Affine,
}

impl Checkpoints<'_> {
    /// Writes `params` with `state` to the plan's path.
    fn write(&self, path: &Path, params: &[f32], state: &TrainState<f32>) -> Result<()> {
        let mut meta = self.meta.clone();
        meta.progress = Some(state.clone());
        modelfile::save(
            path,
            &SavedModel {
                meta,
                params: params.to_vec(),
                affine: self.affine.clone(),
            },
        )
    }
}

impl Observer for Checkpoints<'_> {
    fn on_step(&mut self, report: &StepReport) {
        self.observer.on_step(report);
    }
    fn on_params(&mut self, params: &[f32], state: &TrainState<f32>) -> Result<()> {
        self.observer.on_params(params, state)?;
        match self.plan {
            Some(Checkpointing { path, every: Some(k) }) if state.step.is_multiple_of(k) => {
                self.write(path, params, state)
            }
            _ => Ok(()),
        }
    }
    fn wants_params(&self, state: &TrainState<f32>) -> bool {
        let due = matches!(self.plan, Some(Checkpointing { every: Some(k), .. }) if state.step.is_multiple_of(k));
        due || self.observer.wants_params(state)
    }
    fn stop_requested(&mut self) -> bool {
        self.observer.stop_requested()
    }
    fn on_epoch(&mut self, report: &EpochReport, params: &[f32], state: &TrainState<f32>) -> Result<Flow> {
        let flow = self.observer.on_epoch(report, params, state)?;
        if let Some(plan) = self.plan {
            self.write(plan.path, params, state)?;
        }
        Ok(flow)
    }
}
