//! `gradus train`: load, split, fit, score on the test split, save.

use super::record::Recorder;
use super::{header, model_params, optimizer_params, source, splits, summary, task};
use crate::args::TrainArgs;
use crate::progress::{Interrupted, Progress};
use anyhow::{Context, Result, bail};
use gradus::collective::{Collective, Reduce};
use gradus::data::batch::BatchSize;
use gradus::data::spec::DataSpec;
use gradus::estimator::{Checkpointing, Fitted, ModelConfig};
use gradus::modelfile::DataOrigin;
use gradus::search::SearchParams;
use gradus::train::TrainParams;
use std::path::Path;
use std::time::Instant;

pub fn run(a: TrainArgs) -> Result<()> {
    if a.distributed && (a.compare_lr.is_some() || a.stream) {
        bail!("--distributed trains one model on rows held in memory: not with --compare-lr or --stream");
    }
    if a.compare_lr.is_some() {
        return super::compare_lr::run(a);
    }
    if a.stream {
        return super::stream::run(a);
    }
    match a.distributed {
        true => crate::distributed::run(a),
        false => run_on(a, None),
    }
}

/// `gradus train` in this process, or as one rank of `ranks` (`--distributed`): every rank
/// loads the data and trains, rank 0 alone shows progress and writes the results.
pub fn run_on(a: TrainArgs, ranks: Option<&dyn Collective>) -> Result<()> {
    let started = Instant::now();
    let threads = rayon::current_num_threads();
    let lead = ranks.is_none_or(|c| c.rank() == 0);
    let reduce: Reduce = a.reduce.parse()?;
    if let (Some(p), true) = (&a.plot, lead) {
        crate::plot::check_picture(p)?;
    }
    if let (Some(dir), true) = (&a.report, lead) {
        crate::report::create_dir(dir)?;
    }
    let mut params = model_params(&a.model, &a.scale, &a.data, a.val_fraction, train_params(&a, threads)?)?;
    params.target_scaling = a.target_scale.as_deref().map(str::parse).transpose()?;
    params.impute = a.impute.as_deref().map(str::parse).transpose()?;
    params.val_data = a.val_data.is_some();
    let config = params.check()?;
    let checkpoint = a
        .checkpoint
        .as_deref()
        .map(|path| Checkpointing::new(path, a.checkpoint_every))
        .transpose()?;
    let resumed = a.resume.as_deref().map(|path| resume(path, &a, &config)).transpose()?;
    // A resumed run reads and splits its data as the checkpoint's run did.
    let (origin, task) = match &resumed {
        Some(m) => (
            m.meta()
                .data
                .clone()
                .context("the checkpoint does not record its training data")?,
            Some(m.meta().task),
        ),
        None => {
            let spec: DataSpec = a.data.data.parse()?;
            spec.check_csv_option("impute", a.impute.is_some())?;
            let origin = DataOrigin {
                header: header(&spec, &a.data)?,
                test_data: splits::own_rows(a.test_data.as_deref())?,
                val_data: splits::own_rows(a.val_data.as_deref())?,
                hash_bits: super::hash_bits(&spec, &a.data)?,
                ..DataOrigin::of(&spec, a.data.label_column.clone(), config.split)?
            };
            (origin, task(a.data.task.as_deref()))
        }
    };
    let spec: DataSpec = origin.spec.parse()?;
    // A checkpoint's task is the data's own unless the data's labels are read as the task says.
    let task = task.filter(|_| resumed.is_none() || spec.reads_task());
    let mut csv = source(&spec, origin.label_column.as_deref(), task, origin.header, &a.data)?;
    csv.missing = config.impute.is_some();
    // A resumed run hashes as its checkpoint's run did.
    csv.hash_bits = origin.hash_bits;
    // A resumed run reads the columns its checkpoint's run chose.
    if let Some(e) = resumed.as_ref().and_then(|m| m.meta().encoding.as_ref()) {
        csv.missing = e.impute.is_some();
        csv = e.columns.reading(&csv);
    }
    let splits = splits::load(&origin, &csv)?;
    let mut model = match resumed {
        Some(m) => m,
        None => {
            let mut m = Fitted::new(&config, &splits.train)?;
            m.set_origin(origin);
            m
        }
    };
    if let Some(comm) = ranks {
        let val = splits.val.as_ref().map_or(0, |v| v.len());
        let figures = [splits.train.len(), val, splits.train.n_features(), model.params().len()];
        let names = ["training rows", "validation rows", "features", "parameters"];
        crate::distributed::check_same(comm, &names, &figures.map(|f| f as f64))?;
    }
    let cfg = model.config()?.clone();
    let steps = match cfg.strategy.search() {
        None => format!(" (lr {}), batch {}", cfg.schedule.base_lr, cfg.batch),
        Some(_) => format!(", each trial on all {} training rows", splits.train.len()),
    };
    let ranks_note = ranks.map_or(String::new(), |c| format!(", {} ranks ({reduce})", c.size()));
    if lead {
        eprintln!(
            "gradus: {} on {spec}: {} train / {} val / {} test rows, {} features, {} parameters; {}{steps}{ranks_note}",
            model.meta().architecture,
            splits.train.len(),
            splits.val.as_ref().map_or(0, |v| v.len()),
            splits.test.as_ref().map_or(0, |t| t.len()),
            splits.train.n_features(),
            model.params().len(),
            cfg.strategy.describe(),
        );
    }
    // Random search replaces the initial weights by its first draw: their objective says nothing.
    let initial = match cfg.strategy.search() {
        _ if !lead => None,
        Some(gradus::search::Search::Random(_)) => None,
        _ => summary::initial(&model, &splits.train)?,
    };
    let mut progress = Progress::new(cfg.epochs)?.counting(&cfg.strategy);
    let record_path = a.record_path.as_deref().filter(|_| lead);
    let mut recorder = Recorder::start(record_path, a.record_every, &model)?;
    let (train, val) = (&splits.train, splits.val.as_ref());
    let mut observer = recorder.observing(&mut progress);
    let fit = match ranks {
        None => model.train(train, val, &mut observer, checkpoint),
        Some(comm) => {
            let mut agreed = crate::distributed::Agreed {
                comm,
                inner: &mut observer,
                lead,
            };
            let checkpoint = checkpoint.filter(|_| lead);
            model.train_distributed(train, val, &mut agreed, checkpoint, comm, reduce)
        }
    };
    progress.finish();
    // What was recorded is written after an interruption too.
    let recorded = recorder.finish(&model)?;
    let fit = fit?;
    if !lead {
        return progress.interrupted().map_or(Ok(()), |signal| Err(signal.into()));
    }
    if let Some(signal) = progress.interrupted() {
        return stop_here(&model, &a, signal);
    }
    let tr = model.score(&splits.train)?;
    let te = splits.test.as_ref().map(|t| model.score(t)).transpose()?;
    let mut s = summary::of_training(&model, &spec, &fit, &tr, te.as_ref(), started.elapsed().as_secs_f64());
    summary::add_initial(&mut s, initial);
    if let Some(spent) = ranks.and_then(|c| c.seconds_spent()) {
        // Rank 0's time in collectives: the exchange itself, and the wait for slower ranks.
        let steps = model.state().map_or(0, |st| st.step);
        s["collective_seconds"] = serde_json::json!(spent);
        s["collective_ms_per_step"] = serde_json::json!(1e3 * spent / steps.max(1) as f64);
    }
    if let (Some(path), Some(n)) = (&a.record_path, recorded) {
        s["path_file"] = serde_json::json!(path);
        s["path_records"] = serde_json::json!(n);
    }
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
    if let Some(dir) = &a.report {
        let page = crate::report::write(dir, &crate::report::collect(&model, &spec, &splits, &fit, &s)?)?;
        eprintln!("gradus: report written to {}", page.display());
        s["report"] = serde_json::json!(page);
    }
    summary::print(&s, &fit, a.json)
}

/// After an interruption: says where training stopped, saves `--out` (the parameters reached)
/// and says how to continue.
fn stop_here(model: &Fitted, a: &TrainArgs, signal: Interrupted) -> Result<()> {
    let (epoch, step) = model.state().map_or((0, 0), |s| (s.epoch + 1, s.step));
    eprintln!("gradus: interrupted in epoch {epoch} after step {step}");
    if let Some(out) = &a.out {
        model.save(out)?;
        eprintln!("gradus: model at step {step} saved to {}", out.display());
    }
    match &a.checkpoint {
        Some(ck) => eprintln!(
            "gradus: checkpoint saved to {0}; continue with: {1}",
            ck.display(),
            resume_command(ck, a)
        ),
        None => eprintln!("gradus: no checkpoint was asked for (--checkpoint PATH makes a run resumable)"),
    }
    Err(signal.into())
}

/// The command line that continues an interrupted run from its checkpoint `ck`, checkpointing
/// as often and saving `--out` as it would have.
fn resume_command(ck: &Path, a: &TrainArgs) -> String {
    let quoted = |p: &Path| {
        let p = p.display().to_string();
        match p.contains(|c: char| !(c.is_ascii_alphanumeric() || "/._-+,:=@%".contains(c))) {
            true => format!("'{}'", p.replace('\'', r"'\''")),
            false => p,
        }
    };
    let mut line = format!(
        "gradus train --resume {0} --epochs {1} --checkpoint {0}",
        quoted(ck),
        a.epochs
    );
    if let Some(n) = a.checkpoint_every {
        line += &format!(" --checkpoint-every {n}");
    }
    if let Some(out) = &a.out {
        line += &format!(" --out {}", quoted(out));
    }
    line
}

/// The training flags as the library's parameters, on `threads` threads. A derivative-free
/// search evaluates every trial on the whole training split: its batch is `full` unless
/// `--batch-size` says otherwise (which the library refuses).
pub fn train_params(a: &TrainArgs, threads: usize) -> Result<TrainParams> {
    let searches = gradus::search::NAMES.contains(&a.optim.optimizer.as_str());
    let batch = if searches && !a.given.iter().any(|g| g == "batch_size") {
        BatchSize::Full
    } else {
        a.batch_size
    };
    Ok(TrainParams {
        epochs: a.epochs,
        batch,
        lr: a.optim.lr,
        preset: a.preset,
        optimizer: optimizer_params(&a.optim),
        search: SearchParams {
            trials: a.trials,
            step: a.step,
            init_scale: a.init_scale,
        },
        schedule: a.optim.schedule.parse()?,
        warmup: a.optim.warmup,
        tol: a.tol,
        tol_epochs: a.tol_epochs,
        grad_tol: a.grad_tol,
        patience: a.early_stopping,
        average: a.average,
        clip_norm: a.optim.clip_norm,
        noise: None,
        seed: a.seed,
        threads,
        sampling: a.sampling.parse()?,
        freeze: a.freeze.clone(),
        gradient: a.gradient.parse()?,
    })
}

/// A checkpoint to continue from, on the same data; `--epochs` is the new total. Its
/// configuration wins: a flag given with `--resume` that asks for another value is an error.
fn resume(path: &Path, a: &TrainArgs, asked: &ModelConfig) -> Result<Fitted> {
    let mut model = Fitted::load(path, rayon::current_num_threads())?;
    let meta = model.meta();
    model
        .state()
        .with_context(|| format!("{}: not a checkpoint (no training progress saved)", path.display()))?;
    let column = |c: Option<&String>| c.map_or_else(|| "(the last)".to_string(), String::clone);
    let label = column(meta.data.as_ref().and_then(|d| d.label_column.as_ref()));
    for flag in ["features", "ignore_columns", "categorical", "test_data", "val_data"] {
        if a.given.iter().any(|g| g == flag) {
            bail!(
                "{} cannot be given with --resume: a resumed run reads its data as its checkpoint's run did",
                super::flag(flag)
            );
        }
    }
    let mut conflicts = asked.differences(&model.model_config()?);
    let spec = a.data.data.parse::<DataSpec>()?.to_string();
    conflicts.push((
        "data",
        spec,
        meta.data.as_ref().map_or("unknown".into(), |d| d.spec.clone()),
    ));
    conflicts.push(("label_column", column(a.data.label_column.as_ref()), label));
    let said = |h: Option<bool>| h.map_or("auto", |h| if h { "yes" } else { "no" }).to_string();
    let asked_header = a.data.header.clone().unwrap_or_else(|| "auto".into());
    conflicts.push(("header", asked_header, said(meta.data.as_ref().and_then(|d| d.header))));
    let name = |t: gradus::data::Task| format!("{t:?}").to_lowercase();
    let asked = task(a.data.task.as_deref()).unwrap_or(gradus::data::Task::Classify);
    conflicts.push(("task", name(asked), name(meta.task)));
    for (name, ours, theirs) in conflicts {
        let id = if name == "patience" { "early_stopping" } else { name };
        if ours != theirs && a.given.iter().any(|g| g == id) {
            bail!(
                "{} {ours} conflicts with the checkpoint's {theirs}: a resumed run keeps its checkpoint's configuration (only --epochs, the new total, may change)",
                super::flag(name)
            );
        }
    }
    // A search's epochs stay as they began unless asked otherwise (and then it refuses).
    if model.config()?.strategy.search().is_none() || a.given.iter().any(|g| g == "epochs") {
        model.set_epochs(a.epochs)?;
    }
    if let Some(st) = model.state() {
        let within = match st.cursor.batch {
            0 => String::new(),
            b => format!(", {b} batches into epoch {}", st.epoch + 1),
        };
        eprintln!(
            "gradus: resuming {} after epoch {} (step {}{within}), to epoch {}",
            path.display(),
            st.epoch,
            st.step,
            a.epochs
        );
    }
    Ok(model)
}
