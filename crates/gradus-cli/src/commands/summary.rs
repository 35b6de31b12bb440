//! What `gradus train` reports at the end: the summary (text or one JSON object) and the
//! learning-curve plot.

use crate::output::outln;
use crate::plot::{Mark, Series};
use gradus::data::Dataset;
use gradus::data::spec::DataSpec;
use gradus::estimator::{Fitted, Score};
use gradus::problem::Gradient;
use gradus::train::{EpochReport, FitReport, StopReason};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::Path;

/// A fresh model's objective on the training split before its first step, and the loss at
/// zero scores the lectures expect of small weights (ln C for softmax, (C − 1)Δ for the SVM),
/// printed on stderr; `None` for a model that has trained already (a resumed checkpoint).
pub fn initial(model: &Fitted, train: &Dataset) -> gradus::Result<Option<(f64, Option<f64>)>> {
    if model.state().is_some_and(|s| s.step > 0) {
        return Ok(None);
    }
    let objective = model.score(train)?.objective;
    let meta = model.meta();
    let expected = meta.loss.value_at_zero_scores(meta.n_classes);
    let mut line = format!("gradus: initial objective {objective:.4} on the training split");
    if let Some(v) = expected {
        let c = meta.n_classes;
        let form = match meta.loss {
            gradus::loss::Loss::Softmax(_) => format!("ln {c}"),
            gradus::loss::Loss::Svm(l) => format!("({c} − 1)·{}", l.margin),
            gradus::loss::Loss::SquaredSvm(l) => format!("({c} − 1)·{}²", l.margin),
            _ => "ln 2".to_string(),
        };
        let _ = write!(line, "; at small weights the {} loss is {form} = {v:.4}", meta.loss);
    }
    eprintln!("{line}");
    Ok(Some((objective, expected)))
}

/// Adds [`initial`]'s figures to the summary: `initial_objective`, `zero_scores_loss`.
pub fn add_initial(s: &mut Value, initial: Option<(f64, Option<f64>)>) {
    if let Some((objective, expected)) = initial {
        s["initial_objective"] = json!(objective);
        if let Some(v) = expected {
            s["zero_scores_loss"] = json!(v);
        }
    }
}

/// Minimum, median, mean and maximum of `values` (all 0 for none).
fn statistics(values: &[f64]) -> Value {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = match n {
        0 => 0.0,
        _ if n % 2 == 1 => v[n / 2],
        _ => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    };
    json!({
        "min": v.first().copied().unwrap_or(0.0),
        "median": median,
        "mean": v.iter().sum::<f64>() / n.max(1) as f64,
        "max": v.last().copied().unwrap_or(0.0),
    })
}

/// The layers whose update/weight ratios `history` records, in the order they first appear.
pub fn layer_names(history: &[EpochReport]) -> Vec<&str> {
    let mut layers: Vec<&str> = Vec::new();
    for u in history.iter().flat_map(|e| &e.updates) {
        if !layers.contains(&u.layer.as_str()) {
            layers.push(&u.layer);
        }
    }
    layers
}

/// The update/weight ratio of `layer` in epoch `h`, where it was measured.
pub fn update_ratio(h: &EpochReport, layer: &str) -> Option<f64> {
    h.updates.iter().find(|u| u.layer == layer).and_then(|u| u.ratio)
}

/// Writes the per-epoch history as CSV: `epoch,objective,train_accuracy,val_loss,
/// val_accuracy,lr,seconds,evaluations,grad_norm,mean_grad_norm`, then `update_ratio:LAYER`
/// for each layer, empty where a figure does not apply.
pub fn write_history(fit: &FitReport, path: &Path) -> gradus::Result<()> {
    let layers = layer_names(&fit.history);
    let mut text = String::from(
        "epoch,objective,train_accuracy,val_loss,val_accuracy,lr,seconds,evaluations,grad_norm,mean_grad_norm",
    );
    for layer in &layers {
        let _ = write!(text, ",update_ratio:{layer}");
    }
    text.push('\n');
    let opt = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
    for h in &fit.history {
        let _ = write!(
            text,
            "{},{},{},{},{},{},{},{},{},{}",
            h.epoch,
            h.objective,
            opt(h.train_accuracy),
            opt(h.val_loss),
            opt(h.val_accuracy),
            h.lr,
            h.seconds,
            h.evaluations,
            opt(h.grad_norm),
            h.mean_grad_norm
        );
        for layer in &layers {
            let _ = write!(text, ",{}", opt(update_ratio(h, layer)));
        }
        text.push('\n');
    }
    gradus::modelfile::write_atomically(path, text.as_bytes())
}

/// The summary of a training run: configuration, stopping reason, figures on the training and
/// test splits at the final parameters (the test figures null without test rows), and timings.
pub fn of_training(
    model: &Fitted,
    spec: &DataSpec,
    fit: &FitReport,
    tr: &Score,
    te: Option<&Score>,
    seconds: f64,
) -> Value {
    let meta = model.meta();
    let cfg = meta.train.as_ref();
    let epochs = fit.history.len();
    // Epochs of the whole run, a resumed one's earlier epochs included.
    let total = model.state().map_or(epochs as u64, |st| st.epoch);
    let mut s = json!({
        "data": spec.to_string(),
        "model": meta.architecture.to_string(),
        "loss": meta.loss.to_string(),
        "optimizer": cfg.map(|c| c.strategy.name()),
        "lr": cfg.filter(|c| c.strategy.rule().is_some()).map(|c| c.schedule.base_lr),
        "batch_size": cfg.map(|c| c.batch.to_string()),
        "parameters": model.params().len(),
        "epochs": total,
        "epochs_run": epochs,
        "stop": fit.stop,
        "train_loss": tr.objective,
        "test_loss": te.map(|t| t.loss),
        "seconds": seconds,
        "train_seconds": fit.train_seconds,
        "seconds_per_epoch": fit.train_seconds / epochs.max(1) as f64,
        "epoch_seconds": statistics(&fit.history.iter().map(|h| h.seconds).collect::<Vec<_>>()),
        "evaluations": fit.history.iter().map(|h| h.evaluations).sum::<u64>(),
        "example_evaluations": fit.history.iter().map(|h| h.examples).sum::<u64>(),
        "health": health(&fit.history),
    });
    if let Some(search) = cfg.and_then(|c| c.strategy.search()) {
        s["trials"] = json!(search.trials());
        s["trials_run"] = json!(model.state().map_or(0, |st| st.step));
        s["accepted"] = json!(model.state().and_then(|st| st.search).map_or(0, |k| k.accepted));
    }
    if let Some(c) = cfg.filter(|c| c.tol.is_some()) {
        s["tol_epochs"] = json!(c.tol_epochs);
    }
    if let Some(k0) = cfg.and_then(|c| c.average) {
        // The model is the mean of the iterates of the steps from k0 on (none yet: the iterate).
        s["average"] = json!(k0);
        s["averaged_steps"] = json!(
            model
                .state()
                .and_then(|st| st.average.as_ref())
                .map_or(0, |a| a.count())
        );
    }
    if let Some(c) = cfg.filter(|c| !c.gradient.is_analytic()) {
        s["gradient"] = json!(c.gradient.to_string());
        s["evaluations_per_step"] = json!(c.gradient.evaluations(model.params().len()));
    }
    // Without test rows, the test figures of the model's task are null.
    let test = |f: fn(&Score) -> Option<f64>| te.and_then(f);
    for (name, train, test) in [
        ("accuracy", tr.accuracy, test(|t| t.accuracy)),
        ("rmse", tr.rmse, test(|t| t.rmse)),
    ] {
        if let Some(v) = train {
            s[format!("train_{name}")] = json!(v);
            s[format!("test_{name}")] = json!(test);
        }
    }
    s
}

/// The health figures of each epoch: `{epoch, mean_grad_norm, updates: [{layer, norm, update,
/// ratio}]}` (see [`gradus::train::EpochStats`] for their definitions).
fn health(history: &[EpochReport]) -> Value {
    history
        .iter()
        .map(|h| json!({"epoch": h.epoch, "mean_grad_norm": h.mean_grad_norm, "updates": h.updates}))
        .collect()
}

/// Learning curves: the training objective per epoch, the validation loss when there is one,
/// and the epoch early stopping kept.
pub fn plot_curves(fit: &FitReport, summary: &Value, path: &Path) -> anyhow::Result<()> {
    let lr = match &summary["lr"] {
        Value::Null => String::new(),
        lr => format!(" (lr {lr})"),
    };
    let title = format!(
        "{} on {}: {}{lr}",
        summary["model"].as_str().unwrap_or("model"),
        summary["data"].as_str().unwrap_or("data"),
        summary["optimizer"].as_str().unwrap_or("sgd"),
    );
    let kept = match fit.stop {
        StopReason::EarlyStopped { best_epoch } => Some(best_epoch),
        _ => None,
    };
    let run = Curves {
        name: String::new(),
        history: &fit.history,
        kept,
    };
    plot_learning_curves(&title, &[run], path)
}

/// One run's learning curves.
pub struct Curves<'a> {
    /// What tells it apart on a plot of several (`lr 0.01`); empty on a plot of one.
    pub name: String,
    /// Its epochs.
    pub history: &'a [EpochReport],
    /// The epoch whose parameters early stopping kept.
    pub kept: Option<u64>,
}

/// The learning curves of `runs` on one plot: each run its colour (on a plot of one, the
/// training and validation curves theirs), training objectives solid, validation losses dashed,
/// each kept epoch ringed; the loss axis logarithmic when the values span more than a decade.
pub fn plot_learning_curves(title: &str, runs: &[Curves], path: &Path) -> anyhow::Result<()> {
    let (series, marks) = learning_series(runs);
    crate::plot::curves(title, "epoch", "loss", &series, &marks, spans_decades(&series), path)
}

/// Whether the values of `series` are all positive and span more than a decade (a loss axis is
/// then logarithmic).
pub fn spans_decades(series: &[Series]) -> bool {
    let values = series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
    let (lo, hi) = values.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    lo > 0.0 && hi / lo > 10.0
}

/// The series and marks of [`plot_learning_curves`].
pub fn learning_series(runs: &[Curves]) -> (Vec<Series>, Vec<Mark>) {
    let (mut series, mut marks) = (Vec::new(), Vec::new());
    let one = runs.len() == 1;
    for (k, run) in runs.iter().enumerate() {
        let curve = |f: &dyn Fn(&EpochReport) -> Option<f64>| -> Vec<(f64, f64)> {
            run.history
                .iter()
                .filter_map(|h| f(h).map(|v| (h.epoch as f64, v)))
                .collect()
        };
        let prefix = if run.name.is_empty() {
            String::new()
        } else {
            format!("{}: ", run.name)
        };
        series.push(Series {
            label: format!("{prefix}training objective"),
            points: curve(&|h| Some(h.objective)),
            colour: k,
            dash: 0,
            markers_only: false,
        });
        let val = curve(&|h| h.val_loss);
        let val_colour = if one { 1 } else { k };
        if !val.is_empty() {
            series.push(Series {
                label: format!("{prefix}validation loss"),
                points: val,
                colour: val_colour,
                dash: 1,
                markers_only: false,
            });
        }
        let kept = run.kept.and_then(|e| run.history.iter().find(|h| h.epoch == e));
        if let Some(h) = kept {
            marks.push(Mark {
                at: (h.epoch as f64, h.val_loss.unwrap_or(h.objective)),
                colour: val_colour,
                label: format!("{prefix}kept epoch {}", h.epoch),
            });
        }
    }
    (series, marks)
}

/// Why a run stopped, in words, for its `summary` (which says the run's `tol_epochs`).
pub fn stop_reason(stop: &StopReason, summary: &Value) -> String {
    match stop {
        StopReason::MaxEpochs => "the epoch budget".to_string(),
        StopReason::Converged { change } => format!(
            "convergence (objective changed by at most --tol for {} epochs in a row, last by {change:.3e})",
            summary["tol_epochs"]
        ),
        StopReason::SmallGradient { norm } => format!("a small gradient (‖∇L‖ = {norm:.3e})"),
        StopReason::RateExhausted { lr } => format!("the adaptive rate's floor (lr {lr:.3e})"),
        StopReason::EarlyStopped { best_epoch } => format!("early stopping (kept epoch {best_epoch})"),
        StopReason::Requested => "request".to_string(),
    }
}

/// Prints the summary: one JSON object with `json`, else a few lines.
pub fn print(s: &Value, fit: &FitReport, json: bool) -> anyhow::Result<()> {
    if json {
        return outln!("{s}");
    }
    let stop = stop_reason(&fit.stop, s);
    let resumed = match (s["epochs"].as_u64(), s["epochs_run"].as_u64()) {
        (Some(total), Some(run)) if run < total => format!(" ({run} of them in this run)"),
        _ => String::new(),
    };
    outln!("stopped after {} epochs{resumed} by {stop}", s["epochs"])?;
    if let (Some(g), Some(n)) = (s["gradient"].as_str(), s["evaluations_per_step"].as_u64()) {
        let gradient: Gradient = g.parse().unwrap_or_default();
        let form = match gradient {
            Gradient::Forward => "n + 1",
            _ => "2n + 1",
        };
        outln!(
            "gradient by {g} differences: {n} objective evaluations per step ({form}, n = {} parameters), {} in all",
            s["parameters"],
            s["evaluations"]
        )?;
    }
    if let Some(trials) = s["trials_run"].as_u64() {
        outln!(
            "{}: {trials} trials, {} accepted; {} objective evaluations, {} example-loss evaluations in all",
            s["optimizer"].as_str().unwrap_or("search"),
            s["accepted"],
            s["evaluations"],
            s["example_evaluations"]
        )?;
    }
    // The epoch lines show running means during each epoch (each batch before its update);
    // these are the final parameters' figures on whole splits.
    outln!("at the final parameters, on the whole splits (the epoch lines are running means during each epoch):")?;
    outln!("  train objective {:.5}", s["train_loss"].as_f64().unwrap_or(f64::NAN))?;
    if s["test_loss"].is_null() {
        outln!("  no test rows (--test-fraction 0): training figures only")?;
    }
    for key in ["train_accuracy", "test_accuracy", "train_rmse", "test_rmse"] {
        if let Some(v) = s[key].as_f64() {
            outln!("  {} {v:.4}", key.replace('_', " "))?;
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
