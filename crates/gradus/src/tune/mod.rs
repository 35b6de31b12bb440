//! Choosing hyperparameters on held-out data: grid and random search (Bergstra & Bengio 2012)
//! over a [`Space`], scored by k-fold cross-validation or on a validation split, with successive
//! halving (Jamieson & Talwalkar 2016, scikit-learn's `HalvingGridSearchCV`) over epochs.
//!
//! Each trial trains a fresh model per fold on the fold's training rows, whose preprocessing is
//! fitted on those rows alone (no leakage from the held-out rows), and scores it on the fold's
//! held-out rows. Linear configurations that share preprocessing and batches train together,
//! fold by fold, in one pass over the data ([`Fitted::fit_together`]): one product computes
//! every model's scores. The others train on their own, one model per thread. Every model is
//! seeded, so the results do not depend on the number of threads or the order trials finish
//! in. The test split is no part of it: the caller scores the chosen configuration on it once,
//! at the end.

mod space;

pub use space::{Space, Trial, Values};

use crate::data::Dataset;
use crate::data::split;
use crate::error::{Error, Result};
use crate::estimator::{Fitted, ModelConfig, ModelParams, Score};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// What a trial is scored by, on the held-out rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// Fraction classified correctly (higher is better).
    Accuracy,
    /// The data loss `(1/N) Σ L_i` (lower is better).
    Loss,
    /// Root-mean-square error of a regressor (lower is better).
    Rmse,
}

impl std::str::FromStr for Metric {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "accuracy" => Ok(Metric::Accuracy),
            "loss" => Ok(Metric::Loss),
            "rmse" => Ok(Metric::Rmse),
            _ => Err(Error::param(
                "metric",
                format!("must be accuracy, loss or rmse, got '{s}'"),
            )),
        }
    }
}

impl std::fmt::Display for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Metric::Accuracy => "accuracy",
            Metric::Loss => "loss",
            Metric::Rmse => "rmse",
        })
    }
}

impl Metric {
    /// Whether a larger value is better.
    pub fn higher_is_better(self) -> bool {
        self == Metric::Accuracy
    }

    /// The metric's value in `score`, if the model's task has it.
    pub fn of(self, score: &Score) -> Option<f64> {
        match self {
            Metric::Accuracy => score.accuracy,
            Metric::Loss => Some(score.loss),
            Metric::Rmse => score.rmse,
        }
    }
}

/// Where a trial is scored.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Validation {
    /// k-fold cross-validation ([`split::kfold`]): each fold held out once.
    Folds(usize),
    /// One stratified validation split of this fraction of the rows.
    Holdout(f64),
}

/// A search: the trials, how they are scored, and whether successive halving prunes them.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The configurations to try, each applied over the base parameters.
    pub trials: Vec<Trial>,
    /// Where each is scored.
    pub validation: Validation,
    /// What it is scored by.
    pub metric: Metric,
    /// Successive halving with this factor η ≥ 2: rung `i` trains the best `⌈n/ηⁱ⌉`
    /// configurations for `⌊E/η^(R−1−i)⌋` epochs (at least 1), where `E` is the base epoch
    /// budget and `R = 1 + ⌊log_η n⌋` the number of rungs; `None`: every trial for `E` epochs.
    pub halving: Option<usize>,
    /// Seed of the folds (each model keeps its own training seed).
    pub seed: u64,
    /// Train the configurations that can share a pass over each fold's rows together
    /// ([`Fitted::fit_together`]); `false` trains every configuration on its own.
    pub together: bool,
}

/// One trial's result in one rung.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrialResult {
    /// The trial's index in [`Plan::trials`].
    pub trial: usize,
    /// The rung (0 without halving).
    pub rung: usize,
    /// Epochs each model trained for.
    pub epochs: u64,
    /// The hyperparameters the trial set.
    pub params: Trial,
    /// The metric on each fold's held-out rows.
    pub scores: Vec<f64>,
    /// Their mean (`None` when training failed).
    pub mean: Option<f64>,
    /// Their population standard deviation.
    pub std: Option<f64>,
    /// Why training failed (it diverged), if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Wall-clock seconds of the trial's training and scoring, over its folds (a trial trained
    /// in a shared pass counts the whole pass).
    pub seconds: f64,
}

/// The configuration of `trial` over `base`: its hyperparameters set, one thread per model (the
/// trials run in parallel), no validation split of its own.
///
/// # Errors
/// [`Error::Param`] naming the hyperparameter: an unknown name, a bad value.
pub fn configure(base: &ModelParams, trial: &Trial) -> Result<ModelConfig> {
    let mut p = base.clone();
    for (name, value) in trial {
        p.set(name, value)?;
    }
    p.train.threads = 1;
    p.val_fraction = Some(0.0);
    p.check()
}

/// The number of rungs and each rung's epochs for `n` trials, halving factor `eta` and epoch
/// budget `epochs`.
pub fn rungs(n: usize, eta: usize, epochs: u64) -> Vec<(usize, u64)> {
    let mut count = 1;
    let mut reach = eta;
    while reach <= n {
        count += 1;
        reach = reach.saturating_mul(eta);
    }
    (0..count)
        .map(|i| {
            let keep = n.div_ceil(eta.pow(i as u32));
            let shrink = (eta as u64).saturating_pow((count - 1 - i) as u32);
            (keep, (epochs / shrink).max(1))
        })
        .collect()
}

/// Mean and population standard deviation.
fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let mean = v.iter().sum::<f64>() / n;
    (mean, (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt())
}

/// Most models in one pass. A pass's products run as fast with 8 models (N = 80 columns for
/// 10 classes) as with 16 or 32 (about 90 GFLOP/s on one core, batch 64, 784 features), so
/// smaller passes cost little and balance the cores: 16 configurations × 5 folds make 10 passes
/// for 2 workers rather than 5 (whose last would run alone). A constant, not a function of the
/// thread count, so that the same search gives the same bits on any number of threads.
const PASS_MODELS: usize = 8;

/// Trials trained on one fold: together in one pass, or one alone.
struct Unit {
    trials: Vec<usize>,
    fold: usize,
}

/// Each trial's metric on the held-out rows of `fold`, after training on the fold's other
/// rows (the models of `configs`, all trained together when there are several), with the
/// wall-clock seconds it took; a trial whose training diverged gets its error instead.
fn run_unit(
    configs: &[ModelConfig],
    data: &Dataset,
    held: &[usize],
    metric: Metric,
    threads: usize,
) -> Result<(Vec<std::result::Result<f64, String>>, f64)> {
    let started = Instant::now();
    let mut out = vec![true; data.len()];
    held.iter().for_each(|&i| out[i] = false);
    let kept: Vec<usize> = (0..data.len()).filter(|&i| out[i]).collect();
    let train = data.subset(&kept);
    let models = match configs {
        [one] => vec![Fitted::fit(one, &train, None)],
        many => Fitted::fit_together(many, &train, threads)?,
    };
    let held = data.subset(held);
    let scores = models
        .into_iter()
        .map(|model| match model {
            Ok(model) => metric
                .of(&model.score(&held)?)
                .map(Ok)
                .ok_or_else(|| Error::param("metric", format!("{metric} does not apply to this model's task"))),
            Err(e @ Error::Diverged(_)) => Ok(Err(e.to_string())),
            Err(e) => Err(e),
        })
        .collect::<Result<_>>()?;
    Ok((scores, started.elapsed().as_secs_f64()))
}

/// The units of a rung: for each fold, the trials `todo` in groups that train together
/// (configurations with the same [`pass_key`](ModelConfig::pass_key), when `together`, at most
/// [`PASS_MODELS`] to a pass), or one by one.
fn units(configs: &[ModelConfig], todo: &[usize], folds: usize, together: bool, data: &Dataset) -> Vec<Unit> {
    let mut groups: Vec<(Option<crate::estimator::PassKey>, Vec<usize>)> = Vec::new();
    for &t in todo {
        let key = configs[t].pass_key(data).filter(|_| together);
        match groups.iter_mut().find(|(k, _)| key.is_some() && *k == key) {
            Some((_, g)) => g.push(t),
            None => groups.push((key, vec![t])),
        }
    }
    groups
        .into_iter()
        .flat_map(|(_, trials)| {
            let passes: Vec<Vec<usize>> = trials.chunks(PASS_MODELS).map(<[usize]>::to_vec).collect();
            (0..folds).flat_map(move |fold| passes.clone().into_iter().map(move |trials| Unit { trials, fold }))
        })
        .collect()
}

/// What a trial's folds gave: each fold's metric or training error.
type FoldScores = [std::result::Result<f64, String>];

/// Runs `units` as jobs of the rayon pool, one per worker thread, each taking the next unit
/// when it finishes one (a pass steps its models in lockstep on its worker; a model trained
/// alone splits its batches on the pool, by work stealing), each pass's products on the
/// threads left over; calls `finish` with each trial's fold results in fold order and its total
/// seconds as soon as its last fold is done, and returns what it returns.
fn run_units(
    units: &[Unit],
    configs: &[ModelConfig],
    data: &Dataset,
    folds: &[Vec<usize>],
    metric: Metric,
    finish: &(dyn Fn(usize, &FoldScores, f64) -> Result<TrialResult> + Sync),
) -> Result<Vec<TrialResult>> {
    let threads = rayon::current_num_threads();
    let workers = threads.min(units.len()).max(1);
    let per_pass = (threads / workers).max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    // Per trial: each fold's result, and the seconds so far.
    let progress = std::sync::Mutex::new(std::collections::BTreeMap::<
        usize,
        (Vec<Option<std::result::Result<f64, String>>>, f64),
    >::new());
    let results = std::sync::Mutex::new(Vec::new());
    let failed = std::sync::Mutex::new(None);
    rayon::scope(|s| {
        for _ in 0..workers {
            s.spawn(|_| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= units.len() || failed.lock().is_ok_and(|f| f.is_some()) {
                        return;
                    }
                    let unit = &units[i];
                    let group: Vec<ModelConfig> = unit.trials.iter().map(|&t| configs[t].clone()).collect();
                    let outcome =
                        run_unit(&group, data, &folds[unit.fold], metric, per_pass).and_then(|(scores, seconds)| {
                            for (&t, score) in unit.trials.iter().zip(scores) {
                                let mut p = progress.lock().expect("a tuning worker panicked");
                                let (fold_scores, total) = p.entry(t).or_insert_with(|| (vec![None; folds.len()], 0.0));
                                fold_scores[unit.fold] = Some(score);
                                *total += seconds;
                                if fold_scores.iter().all(Option::is_some) {
                                    let scores: Vec<_> = fold_scores.iter().flatten().cloned().collect();
                                    let total = *total;
                                    drop(p);
                                    let result = finish(t, &scores, total)?;
                                    results.lock().expect("a tuning worker panicked").push(result);
                                }
                            }
                            Ok(())
                        });
                    if let Err(e) = outcome {
                        failed.lock().expect("a tuning worker panicked").get_or_insert(e);
                        return;
                    }
                }
            });
        }
    });
    if let Some(e) = failed.into_inner().expect("a tuning worker panicked") {
        return Err(e);
    }
    Ok(results.into_inner().expect("a tuning worker panicked"))
}

/// Whether result `a` ranks before `b`: a better mean, failed trials last, ties to the lower
/// trial index.
fn better(metric: Metric, a: &TrialResult, b: &TrialResult) -> std::cmp::Ordering {
    let key = |r: &TrialResult| match r.mean {
        Some(m) if metric.higher_is_better() => -m,
        Some(m) => m,
        None => f64::INFINITY,
    };
    key(a).total_cmp(&key(b)).then(a.trial.cmp(&b.trial))
}

/// Runs `plan` over `base` on `data` (the training split): every trial, or with halving the
/// rungs' survivors, each scored on the held-out rows of every fold. Results found in `done`
/// (an interrupted search's, same trial, rung and hyperparameters) are kept rather than run
/// again; `report` is called with each new result as it finishes (from any thread). Returns
/// every result, ordered by rung and trial.
///
/// # Errors
/// [`Error::Param`] for a trial that does not configure ([`configure`]), a metric of another
/// task, the folds ([`split::kfold`]), `epochs` searched together with halving; an error of
/// `report`. A trial whose training diverges is a result with its error, not an error.
pub fn search(
    plan: &Plan,
    base: &ModelParams,
    data: &Dataset,
    done: &[TrialResult],
    report: &(dyn Fn(&TrialResult) -> Result<()> + Sync),
) -> Result<Vec<TrialResult>> {
    if plan.trials.is_empty() {
        return Err(Error::param("space", "gives no trials"));
    }
    let configs = plan
        .trials
        .iter()
        .map(|t| configure(base, t))
        .collect::<Result<Vec<_>>>()?;
    let regression = data.task() == crate::data::Task::Regress;
    if (regression && plan.metric == Metric::Accuracy) || (!regression && plan.metric == Metric::Rmse) {
        return Err(Error::param(
            "metric",
            format!(
                "{} does not apply to {}",
                plan.metric,
                if regression { "regression" } else { "classification" }
            ),
        ));
    }
    let folds = match plan.validation {
        Validation::Folds(k) => split::kfold(data, k, plan.seed)?,
        Validation::Holdout(f) => {
            if !(f > 0.0 && f < 1.0) {
                return Err(Error::param("val_fraction", format!("must be in (0, 1), got {f}")));
            }
            vec![split::stratified(data, f, plan.seed).1]
        }
    };
    let schedule = match plan.halving {
        Some(eta) if eta < 2 => return Err(Error::param("factor", format!("must be at least 2, got {eta}"))),
        Some(_) if plan.trials.iter().flatten().any(|(n, _)| n == "epochs") => {
            return Err(Error::param(
                "space",
                "searches epochs, which successive halving sets itself (its resource)",
            ));
        }
        Some(eta) => rungs(plan.trials.len(), eta, base.train.epochs),
        None => vec![(plan.trials.len(), 0)],
    };
    let mut results = Vec::new();
    let mut alive: Vec<usize> = (0..plan.trials.len()).collect();
    for (rung, &(keep, epochs)) in schedule.iter().enumerate() {
        alive.truncate(keep);
        let rung_epochs = |t: usize| {
            if plan.halving.is_some() {
                epochs
            } else {
                configs[t].train.epochs
            }
        };
        let key = |t: usize, r: &TrialResult| {
            r.trial == t && r.rung == rung && r.params == plan.trials[t] && r.epochs == rung_epochs(t)
        };
        let mut round: Vec<TrialResult> = alive
            .iter()
            .filter_map(|&t| done.iter().find(|r| key(t, r)).cloned())
            .collect();
        let todo: Vec<usize> = alive
            .iter()
            .copied()
            .filter(|&t| !done.iter().any(|r| key(t, r)))
            .collect();
        let mut rung_configs = configs.clone();
        for &t in &todo {
            rung_configs[t].train.epochs = rung_epochs(t);
        }
        let units = units(&rung_configs, &todo, folds.len(), plan.together, data);
        let finished = run_units(
            &units,
            &rung_configs,
            data,
            &folds,
            plan.metric,
            &|t, scores, seconds| {
                let error = scores.iter().find_map(|s| s.as_ref().err().cloned());
                let scores: Vec<f64> = scores.iter().filter_map(|s| s.as_ref().ok().copied()).collect();
                let (mean, std) = mean_std(&scores);
                let result = TrialResult {
                    trial: t,
                    rung,
                    epochs: rung_epochs(t),
                    params: plan.trials[t].clone(),
                    mean: error.is_none().then_some(mean),
                    std: error.is_none().then_some(std),
                    scores: if error.is_none() { scores } else { Vec::new() },
                    error,
                    seconds,
                };
                report(&result)?;
                Ok(result)
            },
        )?;
        round.extend(finished);
        round.sort_by(|a, b| better(plan.metric, a, b));
        alive = round.iter().map(|r| r.trial).collect();
        round.sort_by_key(|r| r.trial);
        results.extend(round);
    }
    Ok(results)
}

/// The best result of the last rung (`None` when every trial failed).
pub fn best(results: &[TrialResult], metric: Metric) -> Option<&TrialResult> {
    let last = results.iter().map(|r| r.rung).max()?;
    results
        .iter()
        .filter(|r| r.rung == last && r.mean.is_some())
        .min_by(|a, b| better(metric, a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halving_rungs_shrink_candidates_and_grow_epochs_by_the_factor() {
        assert_eq!(rungs(16, 3, 27), vec![(16, 3), (6, 9), (2, 27)]);
        assert_eq!(rungs(9, 3, 9), vec![(9, 1), (3, 3), (1, 9)]);
        assert_eq!(rungs(2, 3, 10), vec![(2, 10)]);
        assert_eq!(rungs(8, 2, 4), vec![(8, 1), (4, 1), (2, 2), (1, 4)]);
    }

    #[test]
    fn mean_and_deviation() {
        assert_eq!(mean_std(&[1.0, 3.0]), (2.0, 1.0));
    }
}
