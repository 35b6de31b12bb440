//! Derivative-free search: the lectures' strategies #1 and #2, which ask the objective for
//! values only (CS231n, "Optimization: Stochastic Gradient Descent", strategies "random search"
//! and "random local search").
//!
//! | strategy | trial t (0-based) | kept when |
//! | --- | --- | --- |
//! | [`RandomSearch`] `random-search` | θ′ = σ_init·z_t | L(θ′) < L(θ_kept), or no θ kept yet |
//! | [`LocalSearch`] `random-local-search` | θ′ = θ + σ·z_t | L(θ′) < L(θ) |
//!
//! z_t ~ N(0, I) over every parameter (weights and biases: the lectures' W with its bias
//! column), drawn coordinate by coordinate in layout order from ChaCha8 stream t of the seed
//! `seed ⊕` [`SALT`] ([`draws`]): a pure function of `(seed, t)`, so a resumed run draws what an
//! uninterrupted one would, and the draws never coincide with the initialisation's (stream 0 of
//! `seed` itself). θ′ is then rounded to `T`.
//!
//! **What a trial evaluates.** L on the rows it is given: the [`Trainer`](crate::train::Trainer)
//! gives every trial the whole training split, as the lectures do, so `L` is the training
//! objective itself, and the kept objective never rises. (A trial on a minibatch would compare
//! two noisy estimates, and keep a candidate that is merely lucky on its rows.)
//!
//! **Counting.** One evaluation of L on N rows is N example-loss evaluations (one forward pass
//! of one example each). A random-search trial costs one evaluation; a local-search trial one,
//! and the first also evaluates the start θ₀: T trials cost T + 1 evaluations. These counts are
//! [`BatchStats::evaluations`], and what `gradus compare-strategies` budgets.
//!
//! **Reproducibility.** The draws do not depend on the thread count; the decisions compare
//! objectives, whose f64 sums agree across thread counts up to their last bits, so the kept θ
//! (and the bytes of a saved model) is the same unless two candidates tie to 1e-15.

use crate::error::{Error, Result};
use crate::optim::num;
use crate::problem::{BatchStats, Problem};
use crate::real::Real;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// Mixed into the seed of the trials' draws, so that they never repeat the initialisation's.
pub const SALT: u64 = 0x5EA2_C4ED_D1A7_0F5E;

/// The names of the derivative-free strategies, as `--optimizer` takes them.
pub const NAMES: [&str; 2] = ["random-search", "random-local-search"];

/// The values of [`SearchParams`], by name, in order.
pub const VALUES: [&str; 3] = ["trials", "step", "init_scale"];

/// The hyperparameters of the derivative-free strategies as given, before validation (`None`:
/// not given; a value given to a strategy that has no use for it is an error).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchParams {
    /// Trials in all, ≥ 1 (both strategies; required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trials: Option<u64>,
    /// σ of [`LocalSearch`]'s perturbations, finite and > 0 (required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<f64>,
    /// σ_init of [`RandomSearch`]'s draws, finite and > 0 (default [`DEFAULT_INIT_SCALE`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init_scale: Option<f64>,
}

/// [`RandomSearch`]'s σ_init when none is given: on standardized features a linear layer with
/// 784 inputs then has scores of standard deviation about 0.3, where the softmax loss is still
/// near ln C (CS231n's 0.0001 is for raw pixels in [0, 255]).
pub const DEFAULT_INIT_SCALE: f64 = 0.01;

impl SearchParams {
    /// Whether any value is given.
    pub fn is_empty(&self) -> bool {
        *self == SearchParams::default()
    }

    /// The names of the values given, as [`Error::Param`] names them.
    pub fn given(&self) -> Vec<&'static str> {
        let given = [self.trials.is_some(), self.step.is_some(), self.init_scale.is_some()];
        VALUES
            .into_iter()
            .zip(given)
            .filter_map(|(name, g)| g.then_some(name))
            .collect()
    }

    /// Checks the values for the strategy `name` (one of [`NAMES`]) and builds it.
    ///
    /// # Errors
    /// [`Error::Param`] naming the value: `trials` missing or 0, `step` missing or not finite
    /// and > 0, `init_scale` not finite and > 0, or a value the strategy has no use for
    /// (`step does not apply to random-search`).
    pub fn build(&self, name: &str) -> Result<Search> {
        let trials = match self.trials {
            None => return Err(Error::param("trials", format!("is required by {name}"))),
            Some(0) => return Err(Error::param("trials", "must be at least 1, got 0")),
            Some(t) => t,
        };
        let positive = |flag: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(v)
            } else {
                Err(Error::param(flag, format!("must be finite and > 0, got {v}")))
            }
        };
        match name {
            "random-search" => {
                if self.step.is_some() {
                    return Err(Error::param("step", format!("does not apply to {name}")));
                }
                let sigma = positive("init_scale", self.init_scale.unwrap_or(DEFAULT_INIT_SCALE))?;
                Ok(Search::Random(RandomSearch { trials, sigma }))
            }
            "random-local-search" => {
                if self.init_scale.is_some() {
                    return Err(Error::param(
                        "init_scale",
                        format!("does not apply to {name}, which starts from the model's initial weights (--init)"),
                    ));
                }
                let step = self
                    .step
                    .ok_or_else(|| Error::param("step", format!("is required by {name}")))?;
                Ok(Search::Local(LocalSearch {
                    trials,
                    sigma: positive("step", step)?,
                }))
            }
            other => Err(Error::param(
                "optimizer",
                format!("must be one of {}, got '{other}'", NAMES.join(", ")),
            )),
        }
    }
}

/// Random search: draw candidates θ′ = σ_init·z, keep the one of lowest objective.
///
/// The parameters the run starts from are not a candidate: after the first trial they are the
/// first draw, after trial t the best of the first t draws (the first of equals).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RandomSearch {
    /// Trials in all.
    pub trials: u64,
    /// σ_init > 0.
    pub sigma: f64,
}

/// Random local search: from the model's initial weights θ₀, try θ′ = θ + σ·z and move there
/// only when L(θ′) < L(θ) — the kept objective never rises.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LocalSearch {
    /// Trials in all.
    pub trials: u64,
    /// σ > 0, the perturbation's scale.
    pub sigma: f64,
}

/// A validated derivative-free strategy.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Search {
    /// `random-search`.
    Random(RandomSearch),
    /// `random-local-search`.
    Local(LocalSearch),
}

/// What a search has kept: the figures of the current θ on the rows its trials evaluate, and
/// how many candidates it accepted. Part of [`TrainState`](crate::train::TrainState), so a
/// resumed search compares with what the uninterrupted one would.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Kept {
    /// L(θ).
    pub objective: f64,
    /// Its data loss (1/N) Σ L_i.
    pub data_loss: f64,
    /// Its penalty λR(θ).
    pub penalty: f64,
    /// Rows θ classifies correctly.
    pub correct: u64,
    /// Candidates accepted so far (random search: the first draw included).
    pub accepted: u64,
}

impl Kept {
    fn new(stats: &BatchStats, accepted: u64) -> Self {
        Kept {
            objective: stats.objective,
            data_loss: stats.data_loss,
            penalty: stats.penalty,
            correct: stats.correct as u64,
            accepted,
        }
    }

    /// These figures as one trial's statistics on `rows` rows, after `evaluations` evaluations.
    fn stats(&self, rows: usize, evaluations: u64) -> BatchStats {
        BatchStats {
            objective: self.objective,
            data_loss: self.data_loss,
            penalty: self.penalty,
            correct: self.correct as usize,
            rows,
            evaluations,
        }
    }
}

/// Writes `base + σ·z` into `out`, z the N(0, I) draws of trial `t` (see the [module
/// docs](self)); `base` `None` is the origin.
pub fn draws<T: Real>(base: Option<&[T]>, n: usize, sigma: f64, seed: u64, t: u64, out: &mut Vec<T>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ SALT);
    rng.set_stream(t);
    out.clear();
    out.extend((0..n).map(|i| {
        let z: f64 = StandardNormal.sample(&mut rng);
        let step = T::of(sigma * z);
        base.map_or(step, |b| b[i] + step)
    }));
}

impl Search {
    /// The strategy's name, one of [`NAMES`].
    pub fn name(&self) -> &'static str {
        match self {
            Search::Random(_) => NAMES[0],
            Search::Local(_) => NAMES[1],
        }
    }

    /// Trials in all.
    pub fn trials(&self) -> u64 {
        match self {
            Search::Random(s) => s.trials,
            Search::Local(s) => s.trials,
        }
    }

    /// The strategy and its values, e.g. `random-local-search(step=0.01, trials=100)`.
    pub fn describe(&self) -> String {
        match self {
            Search::Random(s) => format!("random-search(init_scale={}, trials={})", num(s.sigma), s.trials),
            Search::Local(s) => format!("random-local-search(step={}, trials={})", num(s.sigma), s.trials),
        }
    }

    /// The values as given (every one explicit), the form a model file records.
    pub fn params(&self) -> SearchParams {
        match *self {
            Search::Random(s) => SearchParams {
                trials: Some(s.trials),
                init_scale: Some(s.sigma),
                step: None,
            },
            Search::Local(s) => SearchParams {
                trials: Some(s.trials),
                step: Some(s.sigma),
                init_scale: None,
            },
        }
    }

    /// Trial `t` (0-based, counted over the whole run) on the rows `rows` of `problem`: draws
    /// θ′ into `candidate`, evaluates L(θ′) and, when it is lower than the kept objective,
    /// copies θ′ into `params` and records it in `kept` (a local search first evaluates the
    /// start, when nothing is kept yet). Returns the kept θ's figures after the trial, with the
    /// evaluations the trial took.
    ///
    /// # Errors
    /// [`Error::Diverged`] when nothing with a finite objective is kept after the trial: the
    /// first draw of a random search, or a local search's start, is NaN or infinite.
    #[allow(clippy::too_many_arguments)]
    pub fn trial<T: Real, P: Problem<T> + ?Sized>(
        &self,
        problem: &mut P,
        params: &mut [T],
        rows: &[usize],
        kept: &mut Option<Kept>,
        seed: u64,
        t: u64,
        candidate: &mut Vec<T>,
    ) -> Result<BatchStats> {
        let mut evaluations = 0;
        let mut current = *kept;
        match self {
            Search::Random(s) => draws(None, params.len(), s.sigma, seed, t, candidate),
            Search::Local(s) => {
                if current.is_none() {
                    let start = problem.value(params, rows);
                    evaluations += start.evaluations;
                    current = Some(Kept::new(&start, 0));
                }
                draws(Some(params), params.len(), s.sigma, seed, t, candidate);
            }
        }
        let tried = problem.value(candidate, rows);
        evaluations += tried.evaluations;
        // NaN is never lower, so a candidate whose objective is not finite is never kept.
        let better = match current {
            None => tried.objective.is_finite(),
            Some(k) => tried.objective < k.objective,
        };
        if better {
            params.copy_from_slice(candidate);
            current = Some(Kept::new(&tried, current.map_or(0, |k| k.accepted) + 1));
        }
        match current {
            Some(k) if k.objective.is_finite() => {
                *kept = Some(k);
                Ok(k.stats(rows.len(), evaluations))
            }
            Some(k) => Err(Error::Diverged(format!(
                "{}: the objective at the starting weights is {}; check the data and --init",
                self.name(),
                k.objective
            ))),
            None => Err(Error::Diverged(format!(
                "{}: the objective of the first draw is {}; try a smaller --init-scale",
                self.name(),
                tried.objective
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::TestFunction;
    use crate::optim::OptimizerParams;
    use crate::train::{Silent, TrainParams, TrainState, Trainer};

    /// `gradus train` on Rosenbrock's function from (−1.2, 1) with the search `name`, `trials`
    /// trials over `epochs` epochs: θ, the kept figures and the report.
    fn run(name: &str, search: SearchParams, epochs: u64) -> ([f64; 2], Kept, crate::train::FitReport) {
        let config = TrainParams {
            epochs,
            batch: crate::data::batch::BatchSize::Full,
            optimizer: OptimizerParams::named(name),
            search,
            seed: 7,
            ..TrainParams::default()
        }
        .check()
        .unwrap();
        let mut f = TestFunction::Rosenbrock;
        let mut theta = [-1.2, 1.0];
        let mut state = TrainState::new(&config.strategy, 2);
        let report = Trainer::new(&config)
            .fit(&mut f, None, &mut theta, &mut state, &mut Silent)
            .unwrap();
        (theta, state.search.unwrap(), report)
    }

    /// The N(0, 1) draws of trial `t`, written out again from the recipe of the module docs.
    fn normals(seed: u64, t: u64) -> [f64; 2] {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ SALT);
        rng.set_stream(t);
        [StandardNormal.sample(&mut rng), StandardNormal.sample(&mut rng)]
    }

    #[test]
    fn random_search_keeps_the_best_of_its_draws() {
        let (sigma, trials) = (2.0, 50);
        let search = SearchParams {
            trials: Some(trials),
            init_scale: Some(sigma),
            ..SearchParams::default()
        };
        let (theta, kept, report) = run("random-search", search, 4);
        // Brute force: every draw, its value, the first of the lowest.
        let f = TestFunction::Rosenbrock;
        let draws: Vec<[f64; 2]> = (0..trials).map(|t| normals(7, t).map(|z| sigma * z)).collect();
        let best = draws
            .iter()
            .copied()
            .reduce(|a, b| if f.value(b) < f.value(a) { b } else { a })
            .unwrap();
        assert_eq!(theta, best);
        assert_eq!(kept.objective, f.value(best));
        let improvements = (1..draws.len())
            .filter(|&k| draws[..k].iter().all(|d| f.value(draws[k]) < f.value(*d)))
            .count();
        assert_eq!(kept.accepted, improvements as u64 + 1);
        // 50 trials over 4 epochs: 12, 13, 12, 13; one evaluation each.
        let evaluations: Vec<u64> = report.history.iter().map(|h| h.evaluations).collect();
        assert_eq!(evaluations, [12, 13, 12, 13]);
        assert_eq!(report.history.iter().map(|h| h.examples).sum::<u64>(), trials);
    }

    #[test]
    fn local_search_moves_only_downhill() {
        let search = Search::Local(LocalSearch {
            trials: 200,
            sigma: 0.05,
        });
        let mut f = TestFunction::Rosenbrock;
        let (mut theta, mut kept, mut candidate) = (vec![-1.2, 1.0], None, Vec::new());
        let (mut accepted, mut values) = (0, vec![f.value([-1.2, 1.0])]);
        for t in 0..200 {
            let before = [theta[0], theta[1]];
            let stats = search
                .trial(&mut f, &mut theta, &[0], &mut kept, 7, t, &mut candidate)
                .unwrap();
            // The candidate, drawn again: θ + σz, kept exactly when it is lower.
            let tried = [0, 1].map(|i| before[i] + 0.05 * normals(7, t)[i]);
            let lower = f.value(tried) < f.value(before);
            assert_eq!([theta[0], theta[1]], if lower { tried } else { before }, "trial {t}");
            accepted += u64::from(lower);
            assert_eq!(stats.objective, f.value([theta[0], theta[1]]));
            assert!(stats.objective <= *values.last().unwrap());
            // The first trial also evaluates the start.
            assert_eq!(stats.evaluations, if t == 0 { 2 } else { 1 });
            values.push(stats.objective);
        }
        assert_eq!(kept.unwrap().accepted, accepted);
        assert!(accepted > 10 && values[200] < 0.5 * values[0], "{accepted} {values:?}");
        // Through the trainer, over 10 epochs: the same path, T + 1 evaluations in all.
        let params = SearchParams {
            trials: Some(200),
            step: Some(0.05),
            ..SearchParams::default()
        };
        let (trained, k, report) = run("random-local-search", params, 10);
        assert_eq!(trained.to_vec(), theta);
        assert_eq!(k, kept.unwrap());
        assert_eq!(report.history.iter().map(|h| h.evaluations).sum::<u64>(), 201);
        assert!(report.history.windows(2).all(|w| w[1].objective <= w[0].objective));
    }

    #[test]
    fn trials_are_shared_out_over_the_epochs() {
        let search = |trials| crate::train::Strategy::Search(Search::Random(RandomSearch { trials, sigma: 1.0 }));
        let shares = |trials, epochs| -> Vec<u64> {
            let s = search(trials);
            let epochs = TrainParams {
                epochs,
                batch: crate::data::batch::BatchSize::Full,
                optimizer: OptimizerParams::named("random-search"),
                search: s.search().unwrap().params(),
                ..TrainParams::default()
            }
            .check()
            .unwrap()
            .epochs;
            (0..epochs).map(|e| s.trials_in_epoch(e, epochs).unwrap()).collect()
        };
        assert_eq!(shares(1000, 10), [100; 10]);
        assert_eq!(shares(7, 3), [2, 2, 3]);
        assert_eq!(shares(5, 10), [1; 5]);
    }

    #[test]
    fn values_are_checked_and_name_their_flag() {
        let err = |name: &str, p: SearchParams| {
            TrainParams {
                batch: crate::data::batch::BatchSize::Full,
                optimizer: OptimizerParams::named(name),
                search: p,
                ..TrainParams::default()
            }
            .check()
            .unwrap_err()
            .to_string()
        };
        let p = |trials, step, init_scale| SearchParams {
            trials,
            step,
            init_scale,
        };
        assert_eq!(
            err("random-search", p(None, None, None)),
            "trials is required by random-search"
        );
        assert_eq!(
            err("random-search", p(Some(0), None, None)),
            "trials must be at least 1, got 0"
        );
        assert_eq!(
            err("random-search", p(Some(3), None, Some(f64::INFINITY))),
            "init_scale must be finite and > 0, got inf"
        );
        assert_eq!(
            err("random-search", p(Some(3), Some(0.1), None)),
            "step does not apply to random-search"
        );
        assert_eq!(
            err("random-local-search", p(Some(3), Some(-1.0), None)),
            "step must be finite and > 0, got -1"
        );
        assert!(err("random-local-search", p(Some(3), None, Some(0.1))).starts_with("init_scale does not apply"));
        assert!(err("sgd", p(Some(3), None, None)).starts_with("trials does not apply to sgd"));
        let search = p(Some(3), None, None);
        let with = |f: &dyn Fn(&mut TrainParams)| {
            let mut t = TrainParams {
                batch: crate::data::batch::BatchSize::Full,
                optimizer: OptimizerParams::named("random-search"),
                search: search.clone(),
                ..TrainParams::default()
            };
            f(&mut t);
            t.check().unwrap_err().to_string()
        };
        assert!(with(&|t| t.lr = Some(0.1)).starts_with("lr does not apply to random-search"));
        assert!(with(&|t| t.clip_norm = Some(1.0)).starts_with("clip_norm does not apply"));
        assert!(with(&|t| t.optimizer.momentum = Some(0.9)).starts_with("momentum does not apply"));
        assert!(with(&|t| t.batch = crate::data::batch::BatchSize::Rows(8)).starts_with("batch_size must be full"));
    }

    #[test]
    fn a_search_is_written_beside_the_rule_form() {
        let rule = crate::train::StrategyParams {
            rule: OptimizerParams::named("adam"),
            ..Default::default()
        }
        .build()
        .unwrap();
        let adam = OptimizerParams::named("adam").build().unwrap();
        // An update rule is written exactly as before searches existed.
        assert_eq!(
            serde_json::to_string(&rule).unwrap(),
            serde_json::to_string(&adam).unwrap()
        );
        let search = crate::train::Strategy::Search(Search::Local(LocalSearch { trials: 9, sigma: 0.5 }));
        let text = serde_json::to_string(&search).unwrap();
        assert_eq!(text, r#"{"name":"random-local-search","trials":9,"step":0.5}"#);
        assert_eq!(serde_json::from_str::<crate::train::Strategy>(&text).unwrap(), search);
        let bad = r#"{"name":"random-local-search","trials":0,"step":0.5}"#;
        assert!(serde_json::from_str::<crate::train::Strategy>(bad).is_err());
    }
}
