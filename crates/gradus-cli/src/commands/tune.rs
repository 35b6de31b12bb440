//! `gradus tune`: grid or random search of hyperparameters, scored by cross-validation on the
//! training split; the best configuration is retrained on the whole training split and scored
//! once on the test split, which nothing reads before.

use super::train::train_params;
use super::{header, model_params, source, task};
use crate::args::TuneArgs;
use crate::output::outln;
use crate::plot::{self, Series};
use anyhow::{Context, Result, bail};
use gradus::data::Dataset;
use gradus::data::spec::{DataSpec, SplitRule};
use gradus::estimator::Fitted;
use gradus::modelfile::{DataOrigin, write_atomically};
use gradus::tune::{self, Metric, Plan, Space, TrialResult, Validation};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

/// Flags of `train` that a search does not take.
const NOT_FOR_TUNE: [(&str, &str); 8] = [
    ("record_path", "--record-path"),
    ("compare_lr", "--compare-lr"),
    ("checkpoint", "--checkpoint"),
    ("history", "--history"),
    ("early_stopping", "--early-stopping"),
    ("val_data", "--val-data"),
    ("distributed", "--distributed"),
    ("reduce", "--reduce"),
];

/// The training rows, a way to the test rows that reads nothing until it is called, and where
/// the rows come from (for the best model to record).
struct Data {
    train: Dataset,
    test: Box<dyn FnOnce() -> Result<Option<Dataset>>>,
    origin: DataOrigin,
}

/// Reads the training split of the data flags; the test split (a drawn fraction, the official
/// split, or `--test-data`) is read or used only by `Data::test`.
fn data(a: &TuneArgs, impute: bool) -> Result<Data> {
    let t = &a.train;
    let spec: DataSpec = t.data.data.parse()?;
    let mut csv = source(
        &spec,
        t.data.label_column.as_deref(),
        task(t.data.task.as_deref()),
        header(&spec, &t.data)?,
        &t.data,
    )?;
    spec.check_csv_option("impute", impute)?;
    csv.missing = impute;
    let rule = SplitRule {
        test_fraction: t.data.test_fraction,
        val_fraction: 0.0,
        seed: t.seed,
    }
    .check()?;
    let origin = DataOrigin {
        header: header(&spec, &t.data)?,
        test_data: super::splits::own_rows(t.test_data.as_deref())?,
        hash_bits: csv.hash_bits,
        ..DataOrigin::of(&spec, t.data.label_column.clone(), rule)?
    };
    if let Some(test) = t.test_data.clone() {
        let train = spec.load_training(&csv)?;
        let columns = train
            .columns()
            .cloned()
            .with_context(|| format!("--test-data applies to CSV training data, not to {spec}"))?;
        let csv = columns.reading(&csv);
        return Ok(Data {
            train,
            test: Box::new(move || Ok(Some(test.parse::<DataSpec>()?.load(&csv)?.train))),
            origin,
        });
    }
    if spec.has_test_split() {
        let train = spec.load_training(&csv)?;
        return Ok(Data {
            train,
            test: Box::new(move || Ok(spec.load_official_test(&csv)?)),
            origin,
        });
    }
    let all = spec.load(&csv)?.train;
    if rule.test_fraction == 0.0 {
        return Ok(Data {
            train: all,
            test: Box::new(|| Ok(None)),
            origin,
        });
    }
    let (kept, held) = rule.test_split(&all);
    let test = all.subset(&held);
    Ok(Data {
        train: all.subset(&kept),
        test: Box::new(move || Ok(Some(test))),
        origin,
    })
}

/// The results an interrupted search wrote to `path`, one JSON object a line; a last line cut
/// short (the search was killed while writing it) is left out.
fn read_results(path: &Path) -> Result<Vec<TrialResult>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("--resume {}", path.display()))?;
    let complete = match text.rfind('\n') {
        Some(end) => &text[..=end],
        None => "",
    };
    complete
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).with_context(|| format!("{}: line {} is not a trial result", path.display(), i + 1))
        })
        .collect()
}

/// Writes `results` to `path`, one JSON object a line, atomically.
fn write_lines(path: &Path, results: &[TrialResult]) -> Result<()> {
    let mut text = String::new();
    for r in results {
        text.push_str(&serde_json::to_string(r)?);
        text.push('\n');
    }
    Ok(write_atomically(path, text.as_bytes())?)
}

/// `name=value …` of a trial.
fn describe(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A trial's figure: `0.9512 ± 0.0031`, or why it failed.
fn figure(r: &TrialResult) -> String {
    match (r.mean, r.std, &r.error) {
        // One validation split: no spread to show.
        (Some(m), _, _) if r.scores.len() == 1 => format!("{m:.4}"),
        (Some(m), Some(s), _) => format!("{m:.4} ± {s:.4}"),
        (_, _, Some(e)) => format!("failed: {e}"),
        _ => "failed".into(),
    }
}

pub fn run(a: TuneArgs) -> Result<()> {
    let started = Instant::now();
    let t = &a.train;
    for (id, flag) in NOT_FOR_TUNE {
        if t.given.iter().any(|g| g == id) {
            bail!("{flag} does not apply to tune, which scores each trial on held-out folds");
        }
    }
    if let Some(p) = &t.plot {
        plot::check_picture(p)?;
    }
    let threads = rayon::current_num_threads();
    let mut base = model_params(&t.model, &t.scale, &t.data, None, train_params(t, threads)?)?;
    base.target_scaling = t.target_scale.as_deref().map(str::parse).transpose()?;
    base.impute = t.impute.as_deref().map(str::parse).transpose()?;
    base.check()?;
    let (space, trials) = match (&a.grid, &a.space, a.random) {
        (Some(g), _, _) => {
            let space = Space::parse(g)?;
            let trials = space.grid()?;
            (space, trials)
        }
        (None, Some(s), Some(n)) if n > 0 => {
            let space = Space::parse(s)?;
            let trials = space.sample(n, t.seed);
            (space, trials)
        }
        (None, Some(_), Some(_)) => bail!("--random must be at least 1, got 0"),
        _ => bail!("give --grid SPACE, or --random N with --space SPACE"),
    };
    let data = data(&a, base.impute.is_some())?;
    let metric: Metric = match &a.metric {
        Some(m) => m.parse()?,
        None if data.train.task() == gradus::data::Task::Regress => Metric::Rmse,
        None => Metric::Accuracy,
    };
    let validation = match (a.folds, t.val_fraction) {
        (_, Some(f)) => Validation::Holdout(f),
        (k, None) => Validation::Folds(k.unwrap_or(5)),
    };
    let plan = Plan {
        trials,
        validation,
        metric,
        halving: a.halving.then_some(a.factor),
        seed: t.seed,
        together: !a.separately,
    };
    let done = t.resume.as_deref().map(read_results).transpose()?.unwrap_or_default();
    let results_path: Option<PathBuf> = a.results.clone().or_else(|| t.resume.clone());
    if let Some(p) = results_path.as_ref().filter(|p| Some(*p) == t.resume.as_ref()) {
        // Without a last line cut short, so that new results follow whole lines.
        write_lines(p, &done)?;
    }
    let file = results_path
        .as_ref()
        .map(|p| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .with_context(|| format!("--results {}", p.display()))
        })
        .transpose()?;
    let file = Mutex::new(file);
    let n = plan.trials.len();
    eprintln!(
        "gradus: tune {} trials on {} training rows ({}), by {metric}{}",
        n,
        data.train.len(),
        match plan.validation {
            Validation::Folds(k) => format!("{k}-fold cross-validation"),
            Validation::Holdout(f) => format!("a validation split of {f}"),
        },
        plan.halving
            .map_or(String::new(), |eta| format!(", successive halving by {eta}")),
    );
    let report = |r: &TrialResult| -> gradus::Result<()> {
        eprintln!(
            "gradus: trial {}/{n} rung {} ({} epochs): {}  {metric} {}  {:.2}s",
            r.trial + 1,
            r.rung,
            r.epochs,
            describe(&r.params),
            figure(r),
            r.seconds
        );
        let mut guard = file.lock().unwrap_or_else(|e| e.into_inner());
        if let (Some(f), Some(p)) = (guard.as_mut(), results_path.as_ref()) {
            let line = serde_json::to_string(r).unwrap_or_default();
            writeln!(f, "{line}")
                .and_then(|_| f.flush())
                .map_err(|e| gradus::Error::io(p, e))?;
        }
        Ok(())
    };
    let results = tune::search(&plan, &base, &data.train, &done, &report)?;
    if let Some(p) = &results_path {
        write_lines(p, &results)?;
    }
    let best = tune::best(&results, metric).context("every trial failed")?;
    // The best configuration, retrained on the whole training split on every thread.
    let mut config = tune::configure(&base, &best.params)?;
    config.train.threads = threads;
    config.train.epochs = best.epochs;
    let mut model = Fitted::fit(&config, &data.train, None)?;
    model.set_origin(data.origin);
    let test = (data.test)()?;
    let test_score = test.as_ref().map(|t| model.score(t)).transpose()?;
    if let Some(out) = &t.out {
        model.save(out)?;
    }
    let test_figure = test_score.as_ref().and_then(|s| metric.of(s));
    if let Some(path) = &t.plot {
        draw(&results, &space, metric, a.halving, path)?;
    }
    let summary = json!({
        "trials": n,
        "metric": metric,
        "best": {
            "trial": best.trial,
            "params": best.params.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
            "epochs": best.epochs,
            "mean": best.mean,
            "std": best.std,
        },
        format!("test_{metric}"): test_figure,
        "seconds": started.elapsed().as_secs_f64(),
        "results": results_path,
        "model_file": t.out,
    });
    if t.json {
        return outln!("{summary}");
    }
    let last = results.iter().map(|r| r.rung).max().unwrap_or(0);
    outln!("trial  rung  epochs  {metric:<17}  seconds  hyperparameters")?;
    for r in &results {
        outln!(
            "{:>5}  {:>4}  {:>6}  {:<17}  {:>7.2}  {}",
            r.trial + 1,
            r.rung,
            r.epochs,
            figure(r),
            r.seconds,
            describe(&r.params)
        )?;
    }
    let held_out = match plan.validation {
        Validation::Folds(k) => format!("mean ± std over {k} held-out folds"),
        Validation::Holdout(_) => "on the validation split".to_string(),
    };
    outln!(
        "best (rung {last}): trial {}, {}: {metric} {} ({held_out})",
        best.trial + 1,
        describe(&best.params),
        figure(best)
    )?;
    match test_figure {
        Some(v) => outln!(
            "retrained on all {} training rows: test {metric} {v:.4}",
            data.train.len()
        )?,
        None => outln!("retrained on all {} training rows; no test rows", data.train.len())?,
    }
    outln!("{:.1}s in all", started.elapsed().as_secs_f64())
}

/// The numeric part of a value (`l2:1e-4` → 1e-4), if it has one.
fn number(value: &str) -> Option<f64> {
    value.rsplit(':').next()?.parse().ok()
}

/// Draws the held-out metric of the first rung against each numeric hyperparameter (a log
/// axis, as log₁₀, where the space is log-uniform or the values span more than a decade), to
/// `PATH-NAME.ext`, and with halving each surviving trial's metric against its epochs, to
/// `PATH-rungs.ext`.
fn draw(results: &[TrialResult], space: &Space, metric: Metric, halving: bool, path: &Path) -> Result<()> {
    let named = |name: &str| {
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("tune");
        let ext = path.extension().and_then(|s| s.to_str()).unwrap_or("svg");
        path.with_file_name(format!("{stem}-{name}.{ext}"))
    };
    let first: Vec<&TrialResult> = results.iter().filter(|r| r.rung == 0 && r.mean.is_some()).collect();
    for (name, _) in &space.dims {
        let values: Vec<(f64, f64)> = first
            .iter()
            .filter_map(|r| {
                let v = r.params.iter().find(|(n, _)| n == name).and_then(|(_, v)| number(v))?;
                Some((v, r.mean?))
            })
            .collect();
        if values.len() < first.len() || values.is_empty() {
            continue; // Not numeric (an optimizer's name, a model).
        }
        let (lo, hi) = values
            .iter()
            .fold((f64::INFINITY, 0.0f64), |(a, b), &(x, _)| (a.min(x), b.max(x)));
        let log = space.is_log(name) || (lo > 0.0 && hi / lo >= 10.0);
        let points = values
            .iter()
            .map(|&(x, y)| (if log { x.log10() } else { x }, y))
            .collect();
        // `reg (l2:…)`: what the number is, for values written with a prefix.
        let prefix = first
            .iter()
            .find_map(|r| r.params.iter().find(|(n, _)| n == name))
            .and_then(|(_, v)| v.rsplit_once(':'))
            .map_or(String::new(), |(p, _)| format!(" ({p}:…)"));
        let x_label = if log {
            format!("log₁₀ {name}{prefix}")
        } else {
            format!("{name}{prefix}")
        };
        let series = [Series {
            label: String::new(),
            points,
            colour: 0,
            dash: 0,
            markers_only: true,
        }];
        let title = format!("held-out {metric} against {name} ({} trials)", first.len());
        plot::curves(&title, &x_label, &metric.to_string(), &series, &[], false, &named(name))?;
    }
    if halving {
        let last = results.iter().map(|r| r.rung).max().unwrap_or(0);
        let series: Vec<Series> = results
            .iter()
            .filter(|r| r.rung == 0)
            .map(|r| {
                let points: Vec<(f64, f64)> = results
                    .iter()
                    .filter(|s| s.trial == r.trial)
                    .filter_map(|s| Some((s.epochs as f64, s.mean?)))
                    .collect();
                let reached = results
                    .iter()
                    .filter(|s| s.trial == r.trial)
                    .map(|s| s.rung)
                    .max()
                    .unwrap_or(0);
                Series {
                    label: if reached == last && last > 0 {
                        format!("trial {}", r.trial + 1)
                    } else {
                        String::new()
                    },
                    points,
                    colour: reached,
                    dash: 0,
                    markers_only: false,
                }
            })
            .collect();
        let title = format!("successive halving: {metric} per rung (colour: the last rung reached)");
        plot::curves(
            &title,
            "epochs",
            &metric.to_string(),
            &series,
            &[],
            false,
            &named("rungs"),
        )?;
    }
    Ok(())
}
