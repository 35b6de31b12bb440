//! One module per subcommand, plus the pieces they share: turning flags into library values.

mod eval;
mod gradcheck;
mod loss;
mod predict;
mod schedule;
mod train;
mod trajectory;

use crate::args::{Cli, Command, DataArgs, ModelArgs, OptimArgs, Split};
use anyhow::{Context, Result};
use gradus::data::Dataset;
use gradus::data::csv::{CsvOptions, LabelColumn};
use gradus::data::spec::{DataSpec, label_column};
use gradus::data::{Task, batch::Prepared};
use gradus::loss::Loss;
use gradus::model::Architecture;
use gradus::modelfile::SavedModel;
use gradus::optim::OptimizerParams;
use gradus::regularizer::{Penalty, Regularizer};

/// Runs the chosen subcommand.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Train(a) => train::run(*a),
        Command::Eval(a) => eval::run(a),
        Command::Predict(a) => predict::run(a),
        Command::Loss(a) => loss::run(a),
        Command::Gradcheck(a) => gradcheck::run(a),
        Command::Trajectory(a) => trajectory::run(a),
        Command::Schedule(a) => schedule::run(a),
    }
}

/// Sets the size of rayon's pool (the matrix products' threads); returns it.
pub fn set_threads(threads: Option<usize>) -> Result<usize> {
    let n = threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if n == 0 {
        anyhow::bail!("--threads must be at least 1, got 0");
    }
    // The global pool can be set once per process; a second call (tests) keeps the first.
    let _ = rayon::ThreadPoolBuilder::new().num_threads(n).build_global();
    Ok(n)
}

/// The CSV reading options of `--label-column` and `--task`.
pub fn csv_options(label: Option<&str>, task: Task) -> CsvOptions {
    CsvOptions {
        label: label_column(label),
        task,
    }
}

/// Parses `--task`.
pub fn task_of(s: &str) -> Task {
    if s == "regress" { Task::Regress } else { Task::Classify }
}

/// The data spec and CSV options of the data flags.
pub fn data_source(d: &DataArgs) -> Result<(DataSpec, CsvOptions)> {
    Ok((
        d.data.parse()?,
        csv_options(d.label_column.as_deref(), task_of(&d.task)),
    ))
}

/// The architecture, loss and regulariser of the model flags.
pub fn model_parts(m: &ModelArgs) -> Result<(Architecture, Loss, Regularizer)> {
    let mut arch: Architecture = m.model.parse()?;
    arch.activation = m.activation.parse()?;
    let loss = Loss::new(&m.loss, m.margin, m.delta)?;
    let penalty: Penalty = m.reg.parse()?;
    Ok((
        arch,
        loss,
        Regularizer {
            penalty,
            include_bias: m.reg_bias,
        },
    ))
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
    }
}

/// The rows of `--data` that `eval` and `predict` use with a saved model.
pub fn rows_for_model(
    model: &SavedModel,
    spec_text: Option<&str>,
    label: Option<&str>,
    split: Split,
    allow_unlabelled: bool,
) -> Result<Dataset> {
    let origin = model.meta.data.as_ref();
    let spec_text = spec_text
        .map(str::to_string)
        .or_else(|| origin.map(|o| o.spec.clone()))
        .context("--data is required: the model does not record its training data")?;
    let spec: DataSpec = spec_text.parse()?;
    let same_source = origin.is_some_and(|o| o.spec == spec.to_string());
    let label = label.map(str::to_string).or_else(|| {
        if same_source {
            origin.and_then(|o| o.label_column.clone())
        } else {
            None
        }
    });
    let csv = csv_options(label.as_deref(), model.meta.task);
    let unlabelled = CsvOptions {
        label: LabelColumn::Absent,
        task: model.meta.task,
    };
    // A CSV file to predict on may have no label column: use it as it is when its width fits.
    let try_unlabelled = allow_unlabelled && label.is_none() && matches!(spec, DataSpec::Csv(_));
    let loaded = match try_unlabelled.then(|| spec.load(&unlabelled)) {
        Some(Ok(l)) if l.train.n_features() == model.meta.inputs => l,
        _ => spec.load(&csv)?,
    };
    let data = match (split, loaded.test) {
        (Split::Auto | Split::Test, Some(test)) => test,
        (Split::Train, Some(_)) | (Split::All, None) => loaded.train,
        (Split::All, Some(test)) => concat(&loaded.train, &test)?,
        (Split::Auto, None) if !same_source => loaded.train,
        (split, None) => {
            let rule = origin
                .map(|o| o.split)
                .context("the model does not record how its data was split; use --split all")?;
            if !same_source {
                anyhow::bail!(
                    "--split {} needs the model's own training data ({}) or data with an official test split",
                    format!("{split:?}").to_lowercase(),
                    origin.map_or("unknown".into(), |o| o.spec.clone())
                );
            }
            let (train, test) = rule.test_split(&loaded.train);
            loaded.train.subset(if split == Split::Train { &train } else { &test })
        }
    };
    if data.n_features() != model.meta.inputs {
        anyhow::bail!(
            "{spec}: the rows have {} features, the model expects {}",
            data.n_features(),
            model.meta.inputs
        );
    }
    if data.task() == Task::Classify && model.meta.task == Task::Classify && data.n_classes() > model.meta.n_classes {
        anyhow::bail!(
            "{spec}: the data has {} classes, the model knows {}",
            data.n_classes(),
            model.meta.n_classes
        );
    }
    Ok(data)
}

fn concat(a: &Dataset, b: &Dataset) -> Result<Dataset> {
    use gradus::data::{Features, Targets};
    let features = match (a.features(), b.features()) {
        (Features::U8(x), Features::U8(y)) => Features::U8([x.as_slice(), y].concat()),
        (Features::F32(x), Features::F32(y)) => Features::F32([x.as_slice(), y].concat()),
        _ => anyhow::bail!("the two splits store features differently"),
    };
    let targets = match (a.targets(), b.targets()) {
        (Targets::Classes { labels: x, n_classes }, Targets::Classes { labels: y, .. }) => Targets::Classes {
            labels: [x.as_slice(), y].concat(),
            n_classes: *n_classes,
        },
        (Targets::Values(x), Targets::Values(y)) => Targets::Values([x.as_slice(), y].concat()),
        _ => anyhow::bail!("the two splits have different kinds of targets"),
    };
    Ok(Dataset::new(a.n_features(), features, targets)?)
}

/// The model's class names, or the class numbers where it has none.
pub fn class_names(meta: &gradus::modelfile::ModelMeta) -> Vec<String> {
    (0..meta.n_classes)
        .map(|c| {
            meta.class_names
                .as_ref()
                .and_then(|n| n.get(c).cloned())
                .unwrap_or_else(|| c.to_string())
        })
        .collect()
}

/// A model's scores on `data`, preprocessed as at training time.
pub fn model_scores(model: &SavedModel, data: &Dataset, threads: usize) -> Result<Vec<f32>> {
    let objective = model.objective()?;
    objective.check_params(&model.params)?;
    Ok(objective.scores(
        &model.params,
        &Prepared {
            data,
            affine: &model.affine,
        },
        threads,
    ))
}
