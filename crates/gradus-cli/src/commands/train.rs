//! `gradus train`: load, split, scale, train, evaluate on the test split, save.

use super::{data_source, model_parts, optimizer_params, set_threads};
use crate::args::TrainArgs;
use crate::progress::Progress;
use anyhow::{Context, Result, bail};
use gradus::data::batch::Prepared;
use gradus::data::spec::SplitRule;
use gradus::data::{Affine, Dataset, Scaling, Task};
use gradus::metrics;
use gradus::model::Network;
use gradus::modelfile::{self, DataOrigin, ModelMeta, Progress as Saved, SavedModel};
use gradus::objective::{Buffers, Objective};
use gradus::train::{EpochReport, FitReport, Observer, StopReason, TrainConfig, TrainParams, TrainState, Trainer};
use serde_json::json;
use std::path::Path;
use std::time::Instant;

pub fn run(a: TrainArgs) -> Result<()> {
    let started = Instant::now();
    let threads = set_threads(a.threads)?;
    let (spec, csv) = data_source(&a.data)?;
    let (arch, loss, regularizer) = model_parts(&a.model)?;
    let scaling: Scaling = a.scale.parse()?;
    if let Some(p) = &a.plot {
        crate::plot::check_picture(p)?;
    }
    let val_fraction = a
        .val_fraction
        .unwrap_or(if a.early_stopping.is_some() { 0.1 } else { 0.0 });
    if a.early_stopping.is_some() && val_fraction == 0.0 {
        bail!("--early-stopping needs a validation split: --val-fraction must be > 0");
    }
    let rule = SplitRule {
        test_fraction: a.data.test_fraction,
        val_fraction,
        seed: a.seed,
    }
    .check()?;
    let params = TrainParams {
        epochs: a.epochs,
        batch: a.batch_size,
        lr: a.optim.lr,
        optimizer: optimizer_params(&a.optim),
        schedule: a.optim.schedule.parse()?,
        warmup: a.optim.warmup,
        tol: a.tol,
        patience: a.early_stopping,
        clip_norm: a.optim.clip_norm,
        seed: a.seed,
        threads,
    };
    let mut config = params.check()?;

    let splits = rule.apply(spec.load(&csv)?)?;
    let outputs = loss.outputs(splits.train.task(), splits.train.n_classes())?;
    let n_classes = splits.train.n_classes();

    let (network, mut theta, affine, mut state) = match &a.resume {
        Some(path) => resume(path, &spec.to_string(), splits.train.n_features(), &mut config)?,
        None => {
            let network = Network::new(splits.train.n_features(), &arch, outputs)?;
            let theta = network.init(a.seed);
            let state = TrainState::new(&config, theta.len());
            (network, theta, scaling.fit(&splits.train), state)
        }
    };
    let objective = Objective {
        network,
        loss,
        regularizer,
    };
    let train = Prepared {
        data: &splits.train,
        affine: &affine,
    };
    let val = splits.val.as_ref().map(|v| Prepared {
        data: v,
        affine: &affine,
    });

    let meta = |progress: Option<Saved>| ModelMeta {
        architecture: objective.network.architecture(),
        inputs: objective.network.inputs(),
        outputs: objective.network.outputs(),
        loss: objective.loss,
        regularizer: objective.regularizer,
        task: splits.train.task(),
        n_classes,
        class_names: splits.train.class_names().map(<[String]>::to_vec),
        scaling,
        data: Some(DataOrigin {
            spec: spec.to_string(),
            label_column: a.data.label_column.clone(),
            split: rule,
        }),
        train: Some(config.clone()),
        progress,
    };
    eprintln!(
        "gradus: {} on {spec}: {} train / {} val / {} test rows, {} features, {} parameters; {} (lr {}), batch {}",
        objective.network.architecture(),
        splits.train.len(),
        splits.val.as_ref().map_or(0, Dataset::len),
        splits.test.len(),
        splits.train.n_features(),
        theta.len(),
        config.optimizer.describe(),
        config.schedule.base_lr,
        config.batch,
    );
    let mut progress = Progress::new(config.epochs);
    let snapshot = |theta: &[f32], state: &TrainState| SavedModel {
        meta: meta(Some(Saved {
            epoch: state.epoch,
            step: state.step,
            optimizer_step: state.optimizer.step,
            plateau: state.plateau.clone(),
        })),
        params: theta.to_vec(),
        affine: affine.clone(),
        optimizer: Some(state.optimizer.clone()),
    };
    let mut observer = Checkpointer {
        path: a.checkpoint.as_deref(),
        progress: &mut progress,
        snapshot,
    };
    let fit = Trainer::new(&objective, &config).fit(&mut theta, &mut state, &train, val.as_ref(), &mut observer);
    progress.finish();
    let fit = fit?;

    // Final figures on the whole training and test splits, at the final parameters.
    let mut buf = Buffers::new(threads);
    let all = |d: &Dataset| (0..d.len()).collect::<Vec<usize>>();
    let tr = objective.value(&theta, &train, &all(&splits.train), &mut buf);
    let test = Prepared {
        data: &splits.test,
        affine: &affine,
    };
    let te = objective.value(&theta, &test, &all(&splits.test), &mut buf);
    let seconds = started.elapsed().as_secs_f64();
    let epochs = fit.history.len();
    let mut summary = json!({
        "data": spec.to_string(),
        "model": objective.network.architecture().to_string(),
        "loss": objective.loss.to_string(),
        "optimizer": config.optimizer.name(),
        "lr": config.schedule.base_lr,
        "batch_size": config.batch.to_string(),
        "epochs": epochs,
        "stop": fit.stop,
        "train_loss": tr.objective,
        "test_loss": te.data_loss,
        "seconds": seconds,
        "train_seconds": fit.train_seconds,
        "seconds_per_epoch": fit.train_seconds / epochs.max(1) as f64,
        "epoch_seconds": fit.history.iter().map(|h| h.seconds).collect::<Vec<_>>(),
    });
    match splits.train.task() {
        Task::Classify => {
            summary["train_accuracy"] = json!(tr.correct as f64 / tr.rows as f64);
            summary["test_accuracy"] = json!(te.correct as f64 / te.rows as f64);
        }
        Task::Regress => {
            let rmse = |d: &Dataset| {
                let p = objective.scores(
                    &theta,
                    &Prepared {
                        data: d,
                        affine: &affine,
                    },
                    threads,
                );
                match d.targets() {
                    gradus::data::Targets::Values(t) => metrics::rmse(&p, t),
                    _ => f64::NAN,
                }
            };
            summary["train_rmse"] = json!(rmse(&splits.train));
            summary["test_rmse"] = json!(rmse(&splits.test));
        }
    }
    if let Some(out) = &a.out {
        modelfile::save(
            out,
            &SavedModel {
                meta: meta(None),
                params: theta.clone(),
                affine: affine.clone(),
                optimizer: None,
            },
        )?;
        summary["model_file"] = json!(out);
    }
    if let Some(path) = &a.plot {
        plot_curves(&fit, &summary, path)?;
        summary["plot"] = json!(path);
    }
    print_summary(&summary, &fit, a.json);
    Ok(())
}

/// Learning curves: the training objective per epoch, and the validation loss when there is one.
fn plot_curves(fit: &FitReport, summary: &serde_json::Value, path: &Path) -> Result<()> {
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

/// Loads a checkpoint to continue from; `--epochs` sets the new total.
fn resume(
    path: &Path,
    spec: &str,
    features: usize,
    config: &mut TrainConfig,
) -> Result<(Network, Vec<f32>, Affine, TrainState)> {
    let saved = modelfile::load(path)?;
    let progress = saved
        .meta
        .progress
        .clone()
        .with_context(|| format!("{}: not a checkpoint (no training progress saved)", path.display()))?;
    let stored = saved
        .meta
        .train
        .clone()
        .context("checkpoint without training configuration")?;
    if saved.meta.data.as_ref().is_some_and(|d| d.spec != spec) || saved.meta.inputs != features {
        bail!("{}: the checkpoint was trained on other data", path.display());
    }
    let epochs = config.epochs;
    *config = TrainConfig {
        epochs,
        threads: config.threads,
        ..stored
    };
    let network = saved.network()?;
    let optimizer = saved.optimizer.clone().context("checkpoint without optimizer state")?;
    let state = TrainState {
        epoch: progress.epoch,
        step: progress.step,
        optimizer,
        plateau: progress.plateau,
    };
    Ok((network, saved.params, saved.affine, state))
}

/// Forwards progress and, after each epoch, writes a checkpoint when asked to.
struct Checkpointer<'a, F> {
    path: Option<&'a Path>,
    progress: &'a mut Progress,
    snapshot: F,
}

impl<F: Fn(&[f32], &TrainState) -> SavedModel> Observer for Checkpointer<'_, F> {
    fn on_batch(&mut self, epoch: u64, done: usize, total: usize) {
        self.progress.on_batch(epoch, done, total);
    }
    fn on_epoch(&mut self, r: &EpochReport, theta: &[f32], state: &TrainState) -> gradus::Result<()> {
        self.progress.on_epoch(r, theta, state)?;
        match self.path {
            Some(path) => modelfile::save(path, &(self.snapshot)(theta, state)),
            None => Ok(()),
        }
    }
}

fn print_summary(s: &serde_json::Value, fit: &FitReport, json: bool) {
    if json {
        println!("{s}");
        return;
    }
    let stop = match &fit.stop {
        StopReason::MaxEpochs => "the epoch budget".to_string(),
        StopReason::Converged { change } => format!("convergence (objective changed by {change:.3e})"),
        StopReason::EarlyStopped { best_epoch } => format!("early stopping (kept epoch {best_epoch})"),
    };
    println!("stopped after {} epochs by {stop}", s["epochs"]);
    println!("train objective {:.5}", s["train_loss"].as_f64().unwrap_or(f64::NAN));
    for key in ["train_accuracy", "test_accuracy", "train_rmse", "test_rmse"] {
        if let Some(v) = s[key].as_f64() {
            println!("{} {v:.4}", key.replace('_', " "));
        }
    }
    println!(
        "{:.2}s in all, {:.3}s per epoch",
        s["seconds"].as_f64().unwrap_or(0.0),
        s["seconds_per_epoch"].as_f64().unwrap_or(0.0)
    );
    if let Some(p) = s["model_file"].as_str() {
        println!("model saved to {p}");
    }
}
