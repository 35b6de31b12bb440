//! Derivative-free search on a real objective (a linear softmax classifier on the embedded
//! digits): exact evaluation counts, the same bytes for every thread count, and a search that
//! is interrupted and continued ends where an uninterrupted one does.

mod common;
use common::digits;

use gradus::data::batch::BatchSize;
use gradus::estimator::{Fitted, ModelConfig, ModelParams};
use gradus::optim::OptimizerParams;
use gradus::search::SearchParams;
use gradus::train::{Observer, Silent, StopReason};

fn config(name: &str, trials: u64, threads: usize) -> ModelConfig {
    let mut p = ModelParams::default();
    p.train.optimizer = OptimizerParams::named(name);
    p.train.batch = BatchSize::Full;
    p.train.epochs = 3;
    p.train.threads = threads;
    p.train.search = SearchParams {
        trials: Some(trials),
        step: (name == "random-local-search").then_some(0.02),
        init_scale: None,
    };
    p.check().unwrap()
}

/// T trials of random search take T evaluations of the objective on the N training rows, T·N
/// example-loss evaluations; random local search one more (its start).
#[test]
fn evaluations_are_counted_exactly() {
    for (name, evaluations) in [("random-search", 7), ("random-local-search", 8)] {
        let config = config(name, 7, 2);
        let s = digits(&config);
        let n = s.train.len() as u64;
        let mut model = Fitted::new(&config, &s.train).unwrap();
        let report = model.train(&s.train, None, &mut Silent, None).unwrap();
        // 7 trials over 3 epochs: 2, 2, 3.
        let per_epoch: Vec<u64> = report.history.iter().map(|h| h.evaluations).collect();
        let first = evaluations - 5;
        assert_eq!(per_epoch, [first, 2, 3], "{name}");
        assert_eq!(report.history.iter().map(|h| h.examples).sum::<u64>(), evaluations * n);
        assert_eq!(model.state().unwrap().step, 7);
        // The kept objective is the model's objective on the training split.
        let kept = model.state().unwrap().search.unwrap();
        assert!((kept.objective - model.score(&s.train).unwrap().objective).abs() < 1e-9);
    }
}

#[test]
fn the_same_seed_gives_the_same_bytes_on_any_number_of_threads() {
    for name in gradus::search::NAMES {
        let params = |threads| {
            let config = config(name, 12, threads);
            let s = digits(&config);
            Fitted::fit(&config, &s.train, None).unwrap().params().to_vec()
        };
        let one = params(1);
        assert_eq!(one, params(2), "{name}");
        assert_eq!(one, params(3), "{name}");
    }
}

/// Stops between two trials after `after` of them (an interruption).
struct StopAfter {
    steps: usize,
    after: usize,
}

impl Observer for StopAfter {
    fn on_step(&mut self, _: &gradus::train::StepReport) {
        self.steps += 1;
    }
    fn stop_requested(&mut self) -> bool {
        self.steps >= self.after
    }
}

#[test]
fn an_interrupted_search_continues_exactly() {
    for name in gradus::search::NAMES {
        let config = config(name, 9, 2);
        let s = digits(&config);
        let whole = Fitted::fit(&config, &s.train, None).unwrap();
        let mut part = Fitted::new(&config, &s.train).unwrap();
        let mut stop = StopAfter { steps: 0, after: 4 };
        let report = part.train(&s.train, None, &mut stop, None).unwrap();
        assert_eq!(report.stop, StopReason::Requested);
        // Through a checkpoint file, as `gradus train --resume` does.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ck.st");
        part.save_checkpoint(&path).unwrap();
        let mut resumed = Fitted::load(&path, 2).unwrap();
        resumed.train(&s.train, None, &mut Silent, None).unwrap();
        assert_eq!(resumed.params(), whole.params(), "{name}");
        assert_eq!(resumed.state().unwrap().search, whole.state().unwrap().search, "{name}");
        let e = resumed.set_epochs(4).unwrap_err().to_string();
        assert!(e.starts_with(&format!("epochs cannot change for {name}")), "{e}");
    }
}
