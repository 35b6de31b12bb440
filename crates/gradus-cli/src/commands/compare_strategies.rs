//! `gradus compare-strategies --data SPEC --budget E`: the lectures' three strategies — random
//! search, random local search and minibatch SGD — on the same data, from the same seed, each
//! allowed the same E example evaluations; a CSV of their progress and a chart of the objective
//! and the test accuracy against evaluations.
//!
//! **The budget.** One example evaluation is one example's loss (a forward pass: a search's
//! trial on N rows costs N) or one example's gradient (a forward and a backward pass: an SGD
//! batch of B rows costs B), so E buys P = ⌊E/N⌋ passes over the N training rows: P epochs of
//! SGD, P trials of random search, and P − 1 trials of random local search, whose first pass
//! evaluates its start. Each strategy uses exactly P·N ≤ E. (A gradient costs about twice a
//! loss in arithmetic; the lectures' comparison, like this one, counts examples seen.)
//!
//! **The points.** One after every pass: the objective on the whole training split at the
//! parameters reached (for a search the kept objective, which its trial has just measured; for
//! SGD measured there, outside the budget) and the test loss and accuracy there. SGD and local
//! search, which start from the model's initial weights, also have a point at 0.

use super::{data_source, model_params};
use crate::args::CompareStrategiesArgs;
use crate::output::outln;
use crate::plot::{Panel, Series};
use crate::progress::Progress;
use anyhow::{Result, bail};
use gradus::data::Affine;
use gradus::data::batch::{BatchSize, Prepared};
use gradus::estimator::Fitted;
use gradus::objective::Objective;
use gradus::optim::OptimizerParams;
use gradus::problem::{BatchStats, Problem};
use gradus::search::SearchParams;
use gradus::train::{EpochReport, Flow, Observer, StepReport, TrainParams, TrainState};
use serde_json::{Value, json};
use std::fmt::Write as _;

/// The strategies compared, in the order they run and are drawn.
const STRATEGIES: [&str; 3] = ["random-search", "random-local-search", "sgd"];

/// One point of a strategy's progress.
struct Point {
    /// Example evaluations used so far.
    evaluations: u64,
    /// The objective on the whole training split.
    objective: f64,
    /// The data loss on the test split.
    test_loss: f64,
    /// The fraction of the test split classified correctly (classifiers).
    test_accuracy: Option<f64>,
}

/// Evaluates the parameters after every epoch (one pass) on the training and test splits.
struct Recorder<'a> {
    progress: Progress,
    objective: &'a Objective,
    train: Prepared<'a>,
    test: Prepared<'a>,
    /// Whether the epoch's objective is the objective at the parameters (a search's, with one
    /// trial per epoch), so it need not be measured again.
    exact: bool,
    evaluations: u64,
    points: Vec<Point>,
}

impl Recorder<'_> {
    /// L on every row of `data` at `params`.
    fn value(&self, data: &Prepared, params: &[f32]) -> BatchStats {
        let all: Vec<usize> = (0..data.data.len()).collect();
        self.objective.on(data).value(params, &all)
    }

    /// Records the point `params` reached, with `objective` when it is known.
    fn record(&mut self, params: &[f32], objective: Option<f64>) {
        let objective = objective.unwrap_or_else(|| self.value(&self.train, params).objective);
        let test = self.value(&self.test, params);
        self.points.push(Point {
            evaluations: self.evaluations,
            objective,
            test_loss: test.data_loss,
            test_accuracy: self
                .test
                .data
                .labels()
                .map(|_| test.correct as f64 / test.rows.max(1) as f64),
        });
    }
}

impl Observer for Recorder<'_> {
    fn on_step(&mut self, report: &StepReport) {
        self.progress.on_step(report);
    }
    /// θ is read at the epoch's end alone: sparse steps may defer their penalty until then.
    fn wants_params(&self, _: &TrainState<f32>) -> bool {
        false
    }
    fn stop_requested(&mut self) -> bool {
        self.progress.stop_requested()
    }
    fn on_epoch(&mut self, report: &EpochReport, params: &[f32], _: &TrainState<f32>) -> gradus::Result<Flow> {
        self.evaluations += report.examples;
        self.record(params, self.exact.then_some(report.objective));
        Ok(Flow::Continue)
    }
}

/// The training parameters of `strategy` for `passes` passes over the training rows.
fn params_of(strategy: &str, passes: u64, a: &CompareStrategiesArgs, threads: usize) -> TrainParams {
    let base = TrainParams {
        seed: a.seed,
        threads,
        optimizer: OptimizerParams::named(strategy),
        batch: BatchSize::Full,
        ..TrainParams::default()
    };
    // A search runs one trial per epoch, so that every pass is a point.
    match strategy {
        "random-search" => TrainParams {
            epochs: passes,
            search: SearchParams {
                trials: Some(passes),
                init_scale: a.init_scale,
                step: None,
            },
            ..base
        },
        "random-local-search" => TrainParams {
            epochs: passes - 1,
            search: SearchParams {
                trials: Some(passes - 1),
                step: Some(a.step),
                init_scale: None,
            },
            ..base
        },
        _ => TrainParams {
            epochs: passes,
            batch: a.batch_size,
            lr: a.lr,
            ..base
        },
    }
}

pub fn run(a: CompareStrategiesArgs) -> Result<()> {
    if let Some(p) = &a.plot {
        crate::plot::check_picture(p)?;
    }
    let threads = rayon::current_num_threads();
    let (spec, csv) = data_source(&a.data)?;
    let configs = STRATEGIES
        .iter()
        .map(|s| Ok(model_params(&a.model, &a.scale, &a.data, Some(0.0), params_of(s, 2, &a, threads))?.check()?))
        .collect::<Result<Vec<_>>>()?;
    let splits = configs[0].split.apply(spec.load(&csv)?)?;
    let Some(test_rows) = splits.test.as_ref() else {
        bail!("compare-strategies needs test rows: --test-fraction must be above 0");
    };
    let n = splits.train.len() as u64;
    let passes = a.budget.checked_div(n).unwrap_or(0);
    if passes < 2 {
        bail!(
            "--budget must buy at least 2 passes over the {n} training rows ({} example evaluations), got {}",
            2 * n,
            a.budget
        );
    }
    let mut runs = Vec::new();
    for strategy in STRATEGIES {
        let config = model_params(
            &a.model,
            &a.scale,
            &a.data,
            Some(0.0),
            params_of(strategy, passes, &a, threads),
        )?
        .check()?;
        let mut model = Fitted::new(&config, &splits.train)?;
        eprintln!("gradus: {strategy}: {}", config.train.strategy.describe());
        let (objective, affine): (Objective, Affine) = (model.objective().clone(), model.affine().clone());
        // The rows as the network's inputs (a table's categorical columns one-hot encoded).
        let (train_inputs, test_inputs) = (model.encode(&splits.train)?.data, model.encode(test_rows)?.data);
        let mut recorder = Recorder {
            progress: Progress::new(config.train.epochs)?.counting(&config.train.strategy),
            objective: &objective,
            train: Prepared {
                data: &train_inputs,
                affine: &affine,
            },
            test: Prepared {
                data: &test_inputs,
                affine: &affine,
            },
            exact: config.train.strategy.search().is_some(),
            evaluations: 0,
            points: Vec::new(),
        };
        if strategy != "random-search" {
            recorder.record(model.params(), None);
        }
        let fit = model.train(&splits.train, None, &mut recorder, None);
        recorder.progress.finish();
        if let Some(signal) = recorder.progress.interrupted() {
            return Err(signal.into());
        }
        let fit = fit?;
        let last = recorder
            .points
            .last()
            .map_or((f64::NAN, None), |p| (p.objective, p.test_accuracy));
        let mut r = json!({
            "strategy": strategy,
            "evaluations": recorder.evaluations,
            "steps": model.state().map_or(0, |s| s.step),
            "objective": last.0,
            "train_seconds": fit.train_seconds,
        });
        if let Some(acc) = last.1 {
            r["test_accuracy"] = json!(acc);
        }
        if let Some(kept) = model.state().and_then(|s| s.search) {
            r["accepted"] = json!(kept.accepted);
        }
        runs.push((strategy, recorder.points, r));
    }
    let classifies = test_rows.labels().is_some();
    let mut text = String::from("strategy,evaluations,objective,test_loss,test_accuracy\n");
    for (strategy, points, _) in &runs {
        for p in points {
            let acc = p.test_accuracy.map_or(String::new(), |v| v.to_string());
            let _ = writeln!(
                text,
                "{strategy},{},{},{},{acc}",
                p.evaluations, p.objective, p.test_loss
            );
        }
    }
    if let Some(path) = &a.csv {
        gradus::modelfile::write_atomically(path, text.as_bytes())?;
    }
    if let Some(path) = &a.plot {
        let title = format!(
            "{} on {spec}: {} example evaluations each ({passes} passes over {n} rows)",
            configs[0].architecture, a.budget
        );
        plot(&runs, &title, classifies, path)?;
    }
    let table: Vec<Value> = runs.into_iter().map(|(_, _, r)| r).collect();
    if a.json {
        let s = json!({
            "data": spec.to_string(),
            "budget": a.budget,
            "train_rows": n,
            "passes": passes,
            "runs": table,
            "csv": a.csv,
            "plot": a.plot,
        });
        return outln!("{s}");
    }
    if a.csv.is_none() && a.plot.is_none() {
        return crate::output::write(&text);
    }
    outln!(
        "{} example evaluations each: {passes} passes over the {n} training rows",
        a.budget
    )?;
    for r in &table {
        let acc = r["test_accuracy"]
            .as_f64()
            .map_or(String::new(), |v| format!(", test accuracy {v:.4}"));
        let accepted = r["accepted"]
            .as_u64()
            .map_or(String::new(), |k| format!(" ({k} accepted)"));
        outln!(
            "{:<20} {} evaluations, {} steps{accepted}: objective {:.5}{acc}",
            r["strategy"].as_str().unwrap_or_default(),
            r["evaluations"],
            r["steps"],
            r["objective"].as_f64().unwrap_or(f64::NAN),
        )?;
    }
    for (what, path) in [("points", &a.csv), ("chart", &a.plot)] {
        if let Some(p) = path {
            outln!("{what} in {}", p.display())?;
        }
    }
    Ok(())
}

/// The chart: the training objective above (log scale when it spans more than a decade), the
/// test accuracy (a regressor's test loss) below, one colour per strategy.
fn plot(runs: &[(&str, Vec<Point>, Value)], title: &str, classifies: bool, path: &std::path::Path) -> Result<()> {
    let series = |f: &dyn Fn(&Point) -> f64| -> Vec<Series> {
        runs.iter()
            .enumerate()
            .map(|(k, (strategy, points, _))| Series {
                label: strategy.to_string(),
                points: points.iter().map(|p| (p.evaluations as f64, f(p))).collect(),
                colour: k,
                dash: 0,
                markers_only: false,
            })
            .collect()
    };
    let objective = series(&|p| p.objective);
    let (lo, hi) = objective
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let below = if classifies {
        ("test accuracy", series(&|p| p.test_accuracy.unwrap_or(f64::NAN)))
    } else {
        ("test loss", series(&|p| p.test_loss))
    };
    let panels = [
        Panel {
            title: title.to_string(),
            y_label: "training objective",
            series: objective,
            log_y: lo > 0.0 && hi / lo > 10.0,
        },
        Panel {
            title: format!("{} against example evaluations", below.0),
            y_label: below.0,
            series: below.1,
            log_y: false,
        },
    ];
    crate::plot::stacked("example evaluations", &panels, path)
}
