//! One module per subcommand, plus the pieces they share: turning flags into library values.
//! The commands parse arguments, show progress and write files; everything else is the
//! library's [`gradus::estimator`].

mod compare_lr;
mod compare_strategies;
mod eval;
mod experiment;
mod gradcheck;
mod gradcheck_table;
mod landscape;
mod loss;
mod predict;
mod record;
mod report;
mod schedule;
mod splits;
mod stream;
pub(crate) mod summary;
pub(crate) mod train;
mod trajectory;
mod tune;

use crate::args::{Cli, Command, DataArgs, ModelArgs, OptimArgs, Split};
use anyhow::{Result, bail};
use gradus::data::Dataset;
use gradus::data::Task;
use gradus::data::columns::{Categorical, ColumnRef, quoted_list};
use gradus::data::csv::{CsvOptions, Header};
use gradus::data::encode::unseen_note;
use gradus::data::hashing::HashBits;
use gradus::data::spec::DataSpec;
use gradus::estimator::{Fitted, ModelParams, Rows};
use gradus::optim::OptimizerParams;
use gradus::regularizer::Regularizer;
use gradus::train::TrainParams;

/// Runs the chosen subcommand on a pool of `--threads` threads (default: all cores).
pub fn run(cli: Cli) -> Result<()> {
    let threads = match &cli.command {
        Command::Train(a) => a.threads,
        Command::Eval(a) => a.threads,
        Command::Predict(a) => a.threads,
        Command::Tune(a) => a.train.threads,
        Command::Landscape(a) => a.threads,
        Command::CompareStrategies(a) => a.threads,
        _ => None,
    };
    let n = threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if n == 0 {
        bail!("--threads must be at least 1, got 0");
    }
    let pool = rayon::ThreadPoolBuilder::new().num_threads(n).build()?;
    pool.install(|| match cli.command {
        Command::Train(a) => train::run(*a),
        Command::Eval(a) => eval::run(a),
        Command::Predict(a) => predict::run(a),
        Command::Loss(a) => loss::run(a),
        Command::Gradcheck(a) => gradcheck::run(a),
        Command::Trajectory(a) => trajectory::run(a),
        Command::Schedule(a) => schedule::run(a),
        Command::Tune(a) => tune::run(*a),
        Command::CompareStrategies(a) => compare_strategies::run(*a),
        Command::Report(a) => report::run(a),
        Command::Landscape(a) => landscape::run(*a),
        Command::Experiment(a) => experiment::run(a),
    })
}

/// The task `--task` names, if given.
pub fn task(name: Option<&str>) -> Option<Task> {
    name.map(|t| if t == "regress" { Task::Regress } else { Task::Classify })
}

/// `--header`, if given (CSV data only).
pub fn header(spec: &DataSpec, d: &DataArgs) -> Result<Option<bool>> {
    let Some(text) = &d.header else {
        return Ok(None);
    };
    if !matches!(spec, DataSpec::Csv(_)) {
        bail!("--header applies only to CSV data (csv:PATH), not to {spec}");
    }
    Ok(text.parse::<Header>()?.as_said())
}

/// The CSV options of a source's label column, task and header (for CSV data only), with the
/// data flags' limits and column choices.
pub fn source(
    spec: &DataSpec,
    label: Option<&str>,
    task: Option<Task>,
    header: Option<bool>,
    d: &DataArgs,
) -> Result<CsvOptions> {
    let mut csv = spec.csv_options(label, task)?;
    csv.header = Header::said(header);
    csv.max_record_bytes = d.max_record_mib.saturating_mul(1 << 20);
    for (name, given) in [
        ("features", &d.features),
        ("ignore_columns", &d.ignore_columns),
        ("categorical", &d.categorical),
    ] {
        spec.check_csv_option(name, given.is_some())?;
    }
    csv.hash_bits = hash_bits(spec, d)?;
    csv.features = d.features.as_deref().map(ColumnRef::list);
    csv.ignore = d.ignore_columns.as_deref().map(ColumnRef::list).unwrap_or_default();
    csv.categorical = match d.categorical.as_deref() {
        Some(c) => c.parse()?,
        None => Categorical::None,
    };
    Ok(csv)
}

/// `--hash-bits`, checked, for a LIBSVM source only.
pub fn hash_bits(spec: &DataSpec, d: &DataArgs) -> Result<Option<HashBits>> {
    let bits = d.hash_bits.map(HashBits::new).transpose()?;
    if bits.is_some() && !matches!(spec, DataSpec::Libsvm(..)) {
        return Err(gradus::Error::param(
            "hash_bits",
            format!("applies only to LIBSVM data (libsvm:TRAIN[,TEST]), not to {spec}"),
        )
        .into());
    }
    Ok(bits)
}

/// The data spec and CSV options of the data flags.
pub fn data_source(d: &DataArgs) -> Result<(DataSpec, CsvOptions)> {
    let spec: DataSpec = d.data.parse()?;
    let csv = source(
        &spec,
        d.label_column.as_deref(),
        task(d.task.as_deref()),
        header(&spec, d)?,
        d,
    )?;
    Ok((spec, csv))
}

/// The model's hyperparameters from the model flags, `--scale`, the split fractions and the
/// training parameters.
pub fn model_params(
    m: &ModelArgs,
    scale: &str,
    d: &DataArgs,
    val_fraction: Option<f64>,
    train: TrainParams,
) -> Result<ModelParams> {
    let mut architecture: gradus::model::Architecture = m.model.parse()?;
    architecture.activation = m.activation.parse()?;
    Ok(ModelParams {
        architecture,
        init: m.init.parse()?,
        loss: gradus::loss::Loss::parse(
            m.loss.as_deref().unwrap_or(match task(d.task.as_deref()) {
                Some(Task::Regress) => "squared",
                _ => "softmax",
            }),
            m.margin,
            m.delta,
        )?,
        class_weight: m.class_weight.as_deref().map(str::parse).transpose()?,
        regularizer: Regularizer {
            penalty: m.reg.parse()?,
            include_bias: m.reg_bias,
        },
        scaling: scale.parse()?,
        target_scaling: None,
        impute: None,
        train,
        test_fraction: d.test_fraction,
        val_fraction,
        val_data: false,
    })
}

/// The update-rule flags.
pub fn optimizer_params(o: &OptimArgs) -> OptimizerParams {
    OptimizerParams {
        name: o.optimizer.clone(),
        momentum: o.momentum,
        dampening: o.dampening,
        rho: o.rho,
        beta1: o.beta1,
        beta2: o.beta2,
        eps: o.eps,
        weight_decay: o.weight_decay,
        centered: o.centered,
        amsgrad: o.amsgrad,
        lr_decay: o.lr_decay,
        convention: o.convention,
    }
}

/// Notes on stderr what of `data`'s table the model leaves aside: columns it does not use
/// (other than those its training table had and left aside too), and categories its training
/// rows did not have.
pub fn note_columns(model: &Fitted, data: &Dataset) -> Result<()> {
    let known = model
        .meta()
        .encoding
        .as_ref()
        .map(|e| &e.columns.unused[..])
        .unwrap_or_default();
    let extra: Vec<&str> = data
        .columns()
        .map(|c| &c.unused[..])
        .unwrap_or_default()
        .iter()
        .filter(|c| !known.contains(c))
        .map(String::as_str)
        .collect();
    if !extra.is_empty() {
        let s = if extra.len() == 1 { "" } else { "s" };
        eprintln!(
            "gradus: note: ignoring column{s} {}, which the model does not use",
            quoted_list(extra)
        );
    }
    if let Some(note) = unseen_note(&model.encode(data)?.unseen) {
        eprintln!("gradus: warning: {note}");
    }
    Ok(())
}

/// The library's choice of rows for `--split`.
pub fn rows(split: Split) -> Rows {
    match split {
        Split::Auto => Rows::Auto,
        Split::Test => Rows::Test,
        Split::Train => Rows::Train,
        Split::All => Rows::All,
    }
}

/// The command-line flag of a library parameter name: `beta1` → `--beta1`,
/// `batch_size` → `--batch-size`, `patience` → `--early-stopping`.
pub fn flag(name: &str) -> String {
    match name {
        "patience" => "--early-stopping".into(),
        "noise" | "start" | "split" | "data" => format!("--{name}"),
        _ => format!("--{}", name.replace('_', "-")),
    }
}
