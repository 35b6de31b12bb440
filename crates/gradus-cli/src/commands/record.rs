//! `train --record-path`: the optimizer's path, θ every K steps, for `gradus landscape --path`.

use anyhow::Result;
use gradus::estimator::Fitted;
use gradus::landscape::path::PathWriter;
use gradus::train::{EpochReport, Flow, Observer, StepReport, TrainState};
use std::path::Path;

/// Records θ while training, when asked to.
pub struct Recorder {
    writer: Option<PathWriter>,
}

impl Recorder {
    /// Starts recording `model`'s path to `path` (if given) every `every` steps, from the
    /// parameters it has now (step 0, or a resumed checkpoint's step).
    pub fn start(path: Option<&Path>, every: u64, model: &Fitted) -> Result<Self> {
        let writer = match path {
            Some(p) => {
                let mut w = PathWriter::create(p, model.objective().network.layout(), every)?;
                w.record(model.state().map_or(0, |s| s.step), model.iterate())?;
                Some(w)
            }
            None => None,
        };
        Ok(Self { writer })
    }

    /// An observer that records the path and passes everything on to `inner`.
    pub fn observing<'a>(&'a mut self, inner: &'a mut dyn Observer) -> Recording<'a> {
        Recording {
            writer: self.writer.as_mut(),
            inner,
        }
    }

    /// Writes the path file, ending it at `model`'s parameters (where training ended, after an
    /// interruption too); returns its number of records.
    pub fn finish(self, model: &Fitted) -> Result<Option<u64>> {
        Ok(match self.writer {
            Some(mut w) => {
                w.end(model.state().map_or(0, |s| s.step), model.iterate())?;
                let n = w.records();
                w.finish()?;
                Some(n)
            }
            None => None,
        })
    }
}

/// [`Recorder::observing`].
pub struct Recording<'a> {
    writer: Option<&'a mut PathWriter>,
    inner: &'a mut dyn Observer,
}

impl Observer for Recording<'_> {
    fn on_step(&mut self, report: &StepReport) {
        self.inner.on_step(report);
    }
    fn on_params(&mut self, params: &[f32], state: &TrainState<f32>) -> gradus::Result<()> {
        if let Some(w) = self.writer.as_mut() {
            w.step(state.step, params)?;
        }
        self.inner.on_params(params, state)
    }
    fn wants_params(&self, state: &TrainState<f32>) -> bool {
        self.writer.as_ref().is_some_and(|w| w.records_after(state.step)) || self.inner.wants_params(state)
    }
    fn stop_requested(&mut self) -> bool {
        self.inner.stop_requested()
    }
    fn on_epoch(&mut self, report: &EpochReport, params: &[f32], state: &TrainState<f32>) -> gradus::Result<Flow> {
        self.inner.on_epoch(report, params, state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gradus::optim::OptimizerParams;
    use gradus::params::{ParamLayout, Role};
    use gradus::train::{Silent, Strategy};

    /// θ is asked for after the steps the path records, and after no other: a sparse run then
    /// defers its penalty between them instead of bringing all of θ up to date at every step.
    #[test]
    fn the_parameters_are_asked_for_only_on_the_steps_the_path_records() {
        let mut layout = ParamLayout::new();
        layout.push("w", &[2, 3], Role::Weight);
        let sgd = OptimizerParams {
            name: "sgd".into(),
            ..Default::default()
        }
        .build()
        .unwrap();
        let mut state = TrainState::new(&Strategy::Gradient(sgd), 6);
        let mut silent = Silent;
        let unrecorded = Recording {
            writer: None,
            inner: &mut silent,
        };
        let asked = |r: &Recording, state: &mut TrainState<f32>| {
            (1..=6)
                .filter(|&k| {
                    state.step = k;
                    r.wants_params(state)
                })
                .collect::<Vec<u64>>()
        };
        assert_eq!(asked(&unrecorded, &mut state), Vec::<u64>::new());
        let dir = tempfile::tempdir().unwrap();
        let mut writer = PathWriter::create(&dir.path().join("run.path"), &layout, 3).unwrap();
        let mut silent = Silent;
        let recorded = Recording {
            writer: Some(&mut writer),
            inner: &mut silent,
        };
        assert_eq!(asked(&recorded, &mut state), [3, 6]);
    }
}
