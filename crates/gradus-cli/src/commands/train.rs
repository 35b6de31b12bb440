//! `gradus train`: load, split, fit, score on the test split, save.

use super::{model_params, optimizer_params, source, summary};
use crate::args::TrainArgs;
use crate::progress::Progress;
use anyhow::{Context, Result, bail};
use gradus::data::spec::DataSpec;
use gradus::estimator::Fitted;
use gradus::modelfile::DataOrigin;
use gradus::train::TrainParams;
use std::path::Path;
use std::time::Instant;

pub fn run(a: TrainArgs) -> Result<()> {
    if a.compare_lr.is_some() {
        return super::compare_lr::run(a);
    }
    let started = Instant::now();
    let threads = rayon::current_num_threads();
    let (spec, csv) = source(&a.data)?;
    if let Some(p) = &a.plot {
        crate::plot::check_picture(p)?;
    }
    let config = model_params(&a.model, &a.scale, &a.data, a.val_fraction, train_params(&a, threads)?)?.check()?;
    let resumed = a
        .resume
        .as_deref()
        .map(|path| resume(path, &spec, a.epochs, threads))
        .transpose()?;
    // A resumed run splits its data as the checkpoint's run did.
    let rule = match &resumed {
        Some(m) => m.meta().data.as_ref().map_or(config.split, |o| o.split),
        None => config.split,
    };
    let splits = rule.apply(spec.load(&csv)?)?;
    let mut model = match resumed {
        Some(m) => m,
        None => {
            let mut m = Fitted::new(&config, &splits.train)?;
            m.set_origin(DataOrigin {
                spec: spec.to_string(),
                label_column: a.data.label_column.clone(),
                split: rule,
            });
            m
        }
    };
    let cfg = model.config()?.clone();
    eprintln!(
        "gradus: {} on {spec}: {} train / {} val / {} test rows, {} features, {} parameters; {} (lr {}), batch {}",
        model.meta().architecture,
        splits.train.len(),
        splits.val.as_ref().map_or(0, |v| v.len()),
        splits.test.len(),
        splits.train.n_features(),
        model.params().len(),
        cfg.optimizer.describe(),
        cfg.schedule.base_lr,
        cfg.batch,
    );
    let initial = summary::initial(&model, &splits.train)?;
    let mut progress = Progress::new(cfg.epochs);
    let fit = model.train(
        &splits.train,
        splits.val.as_ref(),
        &mut progress,
        a.checkpoint.as_deref(),
    );
    progress.finish();
    let fit = fit?;
    let (tr, te) = (model.score(&splits.train)?, model.score(&splits.test)?);
    let mut s = summary::of_training(&model, &spec, &fit, &tr, &te, started.elapsed().as_secs_f64());
    summary::add_initial(&mut s, initial);
    if let Some(path) = &a.history {
        summary::write_history(&fit, path)?;
        s["history"] = serde_json::json!(path);
    }
    if let Some(out) = &a.out {
        model.save(out)?;
        s["model_file"] = serde_json::json!(out);
    }
    if let Some(path) = &a.plot {
        summary::plot_curves(&fit, &s, path)?;
        s["plot"] = serde_json::json!(path);
    }
    summary::print(&s, &fit, a.json);
    Ok(())
}

/// The training flags as the library's parameters, on `threads` threads.
pub fn train_params(a: &TrainArgs, threads: usize) -> Result<TrainParams> {
    Ok(TrainParams {
        epochs: a.epochs,
        batch: a.batch_size,
        lr: a.optim.lr,
        preset: a.preset,
        optimizer: optimizer_params(&a.optim),
        schedule: a.optim.schedule.parse()?,
        warmup: a.optim.warmup,
        tol: a.tol,
        tol_epochs: a.tol_epochs,
        grad_tol: a.grad_tol,
        patience: a.early_stopping,
        clip_norm: a.optim.clip_norm,
        noise: None,
        seed: a.seed,
        threads,
        sampling: a.sampling.parse()?,
        freeze: a.freeze.clone(),
        gradient: a.gradient.parse()?,
    })
}

/// A checkpoint to continue from, on the same data; `epochs` is the new total.
fn resume(path: &Path, spec: &DataSpec, epochs: u64, threads: usize) -> Result<Fitted> {
    let mut model = Fitted::load(path, threads)?;
    model
        .state()
        .with_context(|| format!("{}: not a checkpoint (no training progress saved)", path.display()))?;
    if model.meta().data.as_ref().is_some_and(|d| d.spec != spec.to_string()) {
        bail!("{}: the checkpoint was trained on other data", path.display());
    }
    model.set_epochs(epochs)?;
    Ok(model)
}
