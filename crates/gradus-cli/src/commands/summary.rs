//! What `gradus train` reports at the end: the summary (text or one JSON object) and the
//! learning-curve plot.

use crate::output::outln;
use gradus::data::spec::DataSpec;
use gradus::estimator::{Fitted, Score};
use gradus::train::{EpochReport, FitReport, StopReason};
use serde_json::{Value, json};
use std::path::Path;

/// The summary of a training run: configuration, stopping reason, figures on the training and
/// test splits at the final parameters, and timings.
pub fn of_training(model: &Fitted, spec: &DataSpec, fit: &FitReport, tr: &Score, te: &Score, seconds: f64) -> Value {
    let meta = model.meta();
    let cfg = meta.train.as_ref();
    let epochs = fit.history.len();
    let mut s = json!({
        "data": spec.to_string(),
        "model": meta.architecture.to_string(),
        "loss": meta.loss.to_string(),
        "optimizer": cfg.map(|c| c.optimizer.name()),
        "lr": cfg.map(|c| c.schedule.base_lr),
        "batch_size": cfg.map(|c| c.batch.to_string()),
        "epochs": epochs,
        "stop": fit.stop,
        "train_loss": tr.objective,
        "test_loss": te.loss,
        "seconds": seconds,
        "train_seconds": fit.train_seconds,
        "seconds_per_epoch": fit.train_seconds / epochs.max(1) as f64,
        "epoch_seconds": fit.history.iter().map(|h| h.seconds).collect::<Vec<_>>(),
    });
    for (split, score) in [("train", tr), ("test", te)] {
        if let Some(a) = score.accuracy {
            s[format!("{split}_accuracy")] = json!(a);
        }
        if let Some(r) = score.rmse {
            s[format!("{split}_rmse")] = json!(r);
        }
    }
    s
}

/// Learning curves: the training objective per epoch, and the validation loss when there is one.
pub fn plot_curves(fit: &FitReport, summary: &Value, path: &Path) -> anyhow::Result<()> {
    let curve = |f: &dyn Fn(&EpochReport) -> Option<f64>| -> Vec<(f64, f64)> {
        fit.history
            .iter()
            .filter_map(|h| f(h).map(|v| (h.epoch as f64, v)))
            .collect()
    };
    let mut series = vec![("training objective".to_string(), curve(&|h| Some(h.objective)))];
    let val = curve(&|h| h.val_loss);
    if !val.is_empty() {
        series.push(("validation loss".to_string(), val));
    }
    let title = format!(
        "{} on {}: {} (lr {})",
        summary["model"].as_str().unwrap_or("model"),
        summary["data"].as_str().unwrap_or("data"),
        summary["optimizer"].as_str().unwrap_or("sgd"),
        summary["lr"]
    );
    // A log axis only when the losses span more than a decade; within one it shows no ticks.
    let values = series.iter().flat_map(|(_, pts)| pts.iter().map(|p| p.1));
    let (lo, hi) = values.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    crate::plot::line_chart(&title, "epoch", "loss", &series, lo > 0.0 && hi / lo > 10.0, path)
}

/// Prints the summary: one JSON object with `json`, else a few lines.
pub fn print(s: &Value, fit: &FitReport, json: bool) -> anyhow::Result<()> {
    if json {
        return outln!("{s}");
    }
    let stop = match &fit.stop {
        StopReason::MaxEpochs => "the epoch budget".to_string(),
        StopReason::Converged { change } => format!("convergence (objective changed by {change:.3e})"),
        StopReason::EarlyStopped { best_epoch } => format!("early stopping (kept epoch {best_epoch})"),
        StopReason::Requested => "request".to_string(),
    };
    outln!("stopped after {} epochs by {stop}", s["epochs"])?;
    outln!("train objective {:.5}", s["train_loss"].as_f64().unwrap_or(f64::NAN))?;
    for key in ["train_accuracy", "test_accuracy", "train_rmse", "test_rmse"] {
        if let Some(v) = s[key].as_f64() {
            outln!("{} {v:.4}", key.replace('_', " "))?;
        }
    }
    outln!(
        "{:.2}s in all, {:.3}s per epoch",
        s["seconds"].as_f64().unwrap_or(0.0),
        s["seconds_per_epoch"].as_f64().unwrap_or(0.0)
    )?;
    if let Some(p) = s["model_file"].as_str() {
        outln!("model saved to {p}")?;
    }
    Ok(())
}
