//! `gradus train --compare-lr 0.01,0.03,0.1 --plot curves.png`: the same model trained once per
//! learning rate, from the same initialisation and batch order, and the learning curves drawn
//! on one plot — the lectures' figure of rates too small, good and too large.

use super::train::train_params;
use super::{data_source, model_params, summary};
use crate::args::TrainArgs;
use crate::output::outln;
use crate::progress::Progress;
use anyhow::{Result, bail};
use gradus::estimator::Fitted;
use gradus::train::{EpochReport, Flow, Observer, StepReport, TrainState};
use serde_json::{Value, json};

/// The progress display, keeping each epoch's report: a run that diverges still has its curve.
struct Recorder {
    progress: Progress,
    history: Vec<EpochReport>,
}

impl Observer for Recorder {
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
    fn on_epoch(&mut self, report: &EpochReport, params: &[f32], state: &TrainState<f32>) -> gradus::Result<Flow> {
        self.history.push(report.clone());
        self.progress.on_epoch(report, params, state)
    }
}

/// The most rates one plot compares.
const MAX_RATES: usize = 10;

pub fn run(a: TrainArgs) -> Result<()> {
    let rates = rates(a.compare_lr.as_deref().unwrap_or_default())?;
    let Some(plot) = &a.plot else {
        bail!("--compare-lr needs --plot, where the learning curves go");
    };
    crate::plot::check_picture(plot)?;
    let threads = rayon::current_num_threads();
    let (spec, csv) = data_source(&a.data)?;
    let base = train_params(&a, threads)?;
    let first = model_params(&a.model, &a.scale, &a.data, a.val_fraction, base.clone())?.check()?;
    let splits = first.split.apply(spec.load(&csv)?)?;
    let mut runs: Vec<(f64, Vec<EpochReport>, Option<u64>, Value)> = Vec::new();
    for lr in rates {
        let params = gradus::train::TrainParams {
            lr: Some(lr),
            ..base.clone()
        };
        let config = model_params(&a.model, &a.scale, &a.data, a.val_fraction, params)?.check()?;
        let mut model = Fitted::new(&config, &splits.train)?;
        eprintln!(
            "gradus: {} on {spec}, {} at lr {lr}",
            model.meta().architecture,
            config.train.strategy.describe()
        );
        let mut recorder = Recorder {
            progress: Progress::new(config.train.epochs)?,
            history: Vec::new(),
        };
        let fit = model.train(&splits.train, splits.val.as_ref(), &mut recorder, None);
        recorder.progress.finish();
        if let Some(signal) = recorder.progress.interrupted() {
            return Err(signal.into());
        }
        // A rate that diverges is one of the curves to see, not the end of the comparison.
        let fit = match fit {
            Ok(fit) => fit,
            Err(gradus::Error::Diverged(msg)) => {
                eprintln!("gradus: lr {lr}: {msg}");
                let r = json!({ "lr": lr, "epochs": recorder.history.len(), "diverged": msg });
                runs.push((lr, recorder.history, None, r));
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let kept = match fit.stop {
            gradus::train::StopReason::EarlyStopped { best_epoch } => Some(best_epoch),
            _ => None,
        };
        let tr = model.score(&splits.train)?;
        let te = splits.test.as_ref().map(|t| model.score(t)).transpose()?;
        let mut r = json!({
            "lr": lr,
            "epochs": fit.history.len(),
            "stop": fit.stop,
            "train_loss": tr.objective,
        });
        for (key, v) in [
            ("test_accuracy", te.as_ref().and_then(|t| t.accuracy)),
            ("test_rmse", te.as_ref().and_then(|t| t.rmse)),
        ] {
            if let Some(v) = v {
                r[key] = json!(v);
            }
        }
        runs.push((lr, fit.history, kept, r));
    }
    let title = format!(
        "{} on {spec}: {}, {} learning rates",
        first.architecture,
        first.train.strategy.name(),
        runs.len()
    );
    let curves: Vec<summary::Curves> = runs
        .iter()
        .map(|(lr, history, kept, _)| summary::Curves {
            name: format!("lr {lr}"),
            history,
            kept: *kept,
        })
        .collect();
    summary::plot_learning_curves(&title, &curves, plot)?;
    let table: Vec<Value> = runs.into_iter().map(|(_, _, _, r)| r).collect();
    if a.json {
        return outln!("{}", json!({ "runs": table, "plot": plot }));
    }
    for r in &table {
        let lr = r["lr"].as_f64().unwrap_or(f64::NAN);
        match (
            r["diverged"].as_str(),
            r["test_accuracy"].as_f64(),
            r["test_rmse"].as_f64(),
        ) {
            (Some(_), _, _) => outln!("lr {lr}: diverged")?,
            (None, Some(acc), _) => outln!(
                "lr {lr}: {} epochs, train objective {:.5}, test accuracy {acc:.4}",
                r["epochs"],
                r["train_loss"].as_f64().unwrap_or(f64::NAN)
            )?,
            (None, None, rmse) => outln!(
                "lr {lr}: {} epochs, train objective {:.5}, test rmse {:.4}",
                r["epochs"],
                r["train_loss"].as_f64().unwrap_or(f64::NAN),
                rmse.unwrap_or(f64::NAN)
            )?,
        }
    }
    outln!("learning curves in {}", plot.display())
}

/// The rates of `--compare-lr`: positive, distinct, at most [`MAX_RATES`].
fn rates(s: &str) -> Result<Vec<f64>> {
    let mut rates = Vec::new();
    for item in s.split(',').map(str::trim) {
        match item.parse::<f64>() {
            Ok(lr) if lr.is_finite() && lr > 0.0 => {
                if rates.contains(&lr) {
                    bail!("--compare-lr lists {item} twice");
                }
                rates.push(lr);
            }
            _ => bail!("--compare-lr must be learning rates > 0 separated by commas, got '{item}'"),
        }
    }
    if rates.len() > MAX_RATES {
        bail!("--compare-lr takes at most {MAX_RATES} rates, got {}", rates.len());
    }
    Ok(rates)
}
