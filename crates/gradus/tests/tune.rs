//! Hyperparameter search: folds without leakage, results independent of the thread count,
//! resumed searches, successive halving, and bad spaces.

use gradus::data::Dataset;
use gradus::data::csv::CsvOptions;
use gradus::data::spec::DataSpec;
use gradus::data::split;
use gradus::estimator::{Fitted, ModelParams};
use gradus::tune::{self, Metric, Plan, Space, TrialResult, Validation};
use std::sync::Mutex;

/// 600 of the embedded digits.
fn digits() -> Dataset {
    let all = DataSpec::Digits.load(&CsvOptions::default()).unwrap().train;
    all.subset(&(0..600).collect::<Vec<_>>())
}

fn base() -> ModelParams {
    let mut p = ModelParams::default();
    p.train.epochs = 3;
    p
}

fn plan(space: &str, validation: Validation, halving: Option<usize>) -> Plan {
    Plan {
        trials: Space::parse(space).unwrap().grid().unwrap(),
        validation,
        metric: Metric::Accuracy,
        halving,
        seed: 4,
        together: true,
    }
}

/// The results without their timings.
fn figures(results: &[TrialResult]) -> Vec<TrialResult> {
    results
        .iter()
        .map(|r| TrialResult {
            seconds: 0.0,
            ..r.clone()
        })
        .collect()
}

fn run(plan: &Plan, data: &Dataset, done: &[TrialResult]) -> (Vec<TrialResult>, Vec<usize>) {
    let reported = Mutex::new(Vec::new());
    let results = tune::search(plan, &base(), data, done, &|r| {
        reported.lock().unwrap().push(r.trial);
        Ok(())
    })
    .unwrap();
    (results, reported.into_inner().unwrap())
}

#[test]
fn each_fold_is_fitted_on_its_training_rows_alone() {
    let data = digits();
    let p = plan("lr=0.05", Validation::Folds(3), None);
    let (results, _) = run(&p, &data, &[]);
    // The same by hand: preprocessing and weights fitted on the other folds only.
    let folds = split::kfold(&data, 3, 4).unwrap();
    let config = tune::configure(&base(), &p.trials[0]).unwrap();
    let by_hand: Vec<f64> = folds
        .iter()
        .map(|held| {
            let kept: Vec<usize> = (0..data.len()).filter(|i| !held.contains(i)).collect();
            let model = Fitted::fit(&config, &data.subset(&kept), None).unwrap();
            model.score(&data.subset(held)).unwrap().accuracy.unwrap()
        })
        .collect();
    assert_eq!(results[0].scores, by_hand);
    assert!(results[0].mean.unwrap() > 0.5, "{:?}", results[0]);
}

#[test]
fn results_do_not_depend_on_the_thread_count_and_a_resumed_search_ends_the_same() {
    let data = digits();
    let p = plan("lr=0.01,0.1 reg=l2:1e-4,l2:1e-2", Validation::Folds(3), None);
    let pool = |n| rayon::ThreadPoolBuilder::new().num_threads(n).build().unwrap();
    let (one, _) = pool(1).install(|| run(&p, &data, &[]));
    let (two, reported) = pool(2).install(|| run(&p, &data, &[]));
    assert_eq!(figures(&one), figures(&two));
    assert_eq!(reported.len(), 4);
    // Interrupted after two trials: those are kept, the rest run.
    let (resumed, reported) = run(&p, &data, &one[..2]);
    assert_eq!(figures(&resumed), figures(&one));
    let mut rest = reported;
    rest.sort_unstable();
    assert_eq!(rest, [2, 3]);
}

/// Linear configurations that share batches train together in one pass; trained separately,
/// each fold's models end the same to float rounding, so their held-out accuracies agree to a
/// row or two.
#[test]
fn configurations_trained_together_score_as_when_trained_separately() {
    let data = digits();
    let mut p = plan(
        "lr=0.003,0.03 reg=l2:1e-4,l1:1e-3 optimizer=sgd,adam loss=softmax,svm",
        Validation::Folds(3),
        None,
    );
    let (together, _) = run(&p, &data, &[]);
    p.together = false;
    let (separately, _) = run(&p, &data, &[]);
    assert_eq!(together.len(), 16);
    let held = data.len() as f64 / 3.0;
    for (a, b) in together.iter().zip(&separately) {
        assert_eq!((a.trial, &a.params), (b.trial, &b.params));
        for (x, y) in a.scores.iter().zip(&b.scores) {
            assert!((x - y).abs() <= 2.5 / held, "{:?}: {x} against {y}", a.params);
        }
    }
}

#[test]
fn halving_keeps_the_best_third_and_trains_them_longer() {
    let data = digits();
    let p = plan("lr=0.003,0.01,0.03,0.1,0.3,1", Validation::Holdout(0.25), Some(3));
    let mut b = base();
    b.train.epochs = 6;
    let results = tune::search(&p, &b, &data, &[], &|_| Ok(())).unwrap();
    let rung = |i: usize| -> Vec<&TrialResult> { results.iter().filter(|r| r.rung == i).collect() };
    assert_eq!(rung(0).len(), 6);
    assert!(rung(0).iter().all(|r| r.epochs == 2));
    let second: Vec<usize> = rung(1).iter().map(|r| r.trial).collect();
    assert_eq!(second.len(), 2);
    assert!(rung(1).iter().all(|r| r.epochs == 6));
    // The two survivors are the two best of the first rung.
    let mut first = rung(0);
    first.sort_by(|a, b| b.mean.unwrap().total_cmp(&a.mean.unwrap()).then(a.trial.cmp(&b.trial)));
    let mut best_two: Vec<usize> = first[..2].iter().map(|r| r.trial).collect();
    best_two.sort_unstable();
    assert_eq!(second, best_two);
    let best = tune::best(&results, Metric::Accuracy).unwrap();
    assert_eq!(best.rung, 1);
}

#[test]
fn bad_searches_are_errors_naming_the_part() {
    let data = digits();
    let err = |space: &str, validation| {
        let p = Plan {
            trials: Space::parse(space).unwrap().grid().unwrap(),
            validation,
            metric: Metric::Accuracy,
            halving: None,
            seed: 0,
            together: true,
        };
        tune::search(&p, &base(), &data, &[], &|_| Ok(()))
            .unwrap_err()
            .to_string()
    };
    assert!(err("learning_rate=0.1", Validation::Folds(3)).starts_with("learning_rate is not a hyperparameter"));
    assert_eq!(
        err("lr=abc", Validation::Folds(3)),
        "lr must be a finite number, got 'abc'"
    );
    assert_eq!(
        err("lr=-1", Validation::Folds(3)),
        "lr must be a finite number > 0, got -1"
    );
    // 600 digits hold 55 to 64 rows of each class.
    assert!(err("lr=0.1", Validation::Folds(100)).starts_with("folds 100 is more than the"));
    assert!(Space::parse("lr=log(0,1)").is_err());
}
