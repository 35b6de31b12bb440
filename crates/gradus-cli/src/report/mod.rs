//! The training report: one self-contained HTML page per run (`train --report DIR`, `gradus
//! report DIR`), and the data it is made from.
//!
//! A run directory holds
//! * `run.json`: a [`Run`] — the configuration, a data summary, the per-epoch history with its
//!   health figures, the test split's confusion matrix and per-class figures, a linear image
//!   model's weight rows, and the run's summary as `train --json` prints it;
//! * `templates.png`: a linear image model's weight templates, as a picture of their own;
//! * `report.html`: the page [`html::render`] makes of it, which needs nothing else (charts are
//!   inline SVG, the weight templates an embedded PNG, no scripts), so it can be mailed or opened
//!   offline. `gradus report DIR` renders it again from `run.json`.
//!
//! Both files are written under a temporary name and renamed into place.

mod base64;
mod html;

use anyhow::{Context, Result};
use gradus::data::Dataset;
use gradus::data::spec::{DataSpec, Splits};
use gradus::estimator::Fitted;
use gradus::metrics::ClassMetrics;
use gradus::train::{EpochReport, FitReport, StopReason};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The format of `run.json`; a reader refuses others.
const VERSION: u32 = 1;

/// Everything a report shows, as saved in `run.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Run {
    /// [`VERSION`].
    pub version: u32,
    /// The run's summary, as `train --json` prints it (final figures, timings).
    pub summary: Value,
    /// The model's configuration: architecture, loss, regulariser, preprocessing, training.
    pub config: Value,
    /// Where the data came from and what it holds.
    pub data: DataSummary,
    /// One entry per epoch of this run (a resumed run's earlier epochs are not in it).
    pub history: Vec<EpochReport>,
    /// Why training stopped.
    pub stop: StopReason,
    /// The classifier's figures on the test split (`None` for a regressor, or without test
    /// rows).
    pub test: Option<ClassMetrics>,
    /// The rows of a linear model's weight matrix, for models of images.
    pub templates: Option<TemplateRows>,
}

/// What the data holds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DataSummary {
    /// The `--data` spec.
    pub spec: String,
    /// Rows in each split: train, validation, test.
    pub rows: [usize; 3],
    /// Input features.
    pub features: usize,
    /// Class names (empty for a regressor).
    pub classes: Vec<String>,
    /// Rows of each class in the training and the test split.
    pub class_rows: Vec<[u64; 2]>,
}

/// A linear model's weight rows, one per class, and the image shape of a row.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TemplateRows {
    /// `(height, width, channels)`.
    pub shape: (usize, usize, usize),
    /// The name of each row.
    pub names: Vec<String>,
    /// The rows of W, one after the other.
    pub weights: Vec<f32>,
}

/// Rows of each class (`n` of them) among `data`'s labels.
fn class_rows(data: &Dataset, n: usize) -> Vec<u64> {
    let mut counts = vec![0; n];
    for &l in data.labels().unwrap_or_default() {
        if let Some(c) = counts.get_mut(l as usize) {
            *c += 1;
        }
    }
    counts
}

/// The report's data for a model trained on `splits` of `spec`, with `fit`'s history and the
/// run's `summary`.
pub fn collect(model: &Fitted, spec: &DataSpec, splits: &Splits, fit: &FitReport, summary: &Value) -> Result<Run> {
    let meta = model.meta();
    let mut config = serde_json::to_value(meta)?;
    if let Value::Object(map) = &mut config {
        map.retain(|k, _| {
            [
                "architecture",
                "loss",
                "regularizer",
                "scaling",
                "target_scaling",
                "init",
                "train",
            ]
            .contains(&k.as_str())
        });
    }
    config["model"] = Value::String(meta.architecture.to_string());
    let classes = if meta.task == gradus::data::Task::Classify {
        model.class_names()
    } else {
        Vec::new()
    };
    let (train, test) = (
        class_rows(&splits.train, classes.len()),
        splits
            .test
            .as_ref()
            .map_or_else(|| vec![0; classes.len()], |t| class_rows(t, classes.len())),
    );
    let templates = plot_shape(model, spec).map(|shape| TemplateRows {
        shape,
        names: classes.clone(),
        weights: model.params()[..classes.len() * meta.inputs].to_vec(),
    });
    Ok(Run {
        version: VERSION,
        summary: summary.clone(),
        config,
        data: DataSummary {
            spec: spec.to_string(),
            rows: [
                splits.train.len(),
                splits.val.as_ref().map_or(0, Dataset::len),
                splits.test.as_ref().map_or(0, Dataset::len),
            ],
            features: splits.train.n_features(),
            class_rows: train.into_iter().zip(test).map(|(a, b)| [a, b]).collect(),
            classes,
        },
        history: fit.history.clone(),
        stop: fit.stop.clone(),
        test: splits
            .test
            .as_ref()
            .map(|t| model.class_metrics(t))
            .transpose()?
            .flatten(),
        templates,
    })
}

/// The image shape of a linear classifier's weight rows (one per class, the first tensor of
/// its layout), when its inputs are images.
fn plot_shape(model: &Fitted, spec: &DataSpec) -> Option<(usize, usize, usize)> {
    let meta = model.meta();
    let linear = meta.architecture.hidden.is_empty();
    let rows_are_classes = meta.task == gradus::data::Task::Classify && meta.outputs == meta.n_classes;
    (linear && rows_are_classes)
        .then(|| crate::plot::image_shape(spec, meta.inputs))
        .flatten()
}

/// Makes the run directory `dir` when it is missing (before training, so that a place that
/// cannot hold it is an error before the work).
pub fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create the report directory", dir.display()))
}

/// `DIR/report.html`, `DIR/run.json` and `DIR/templates.png` (when there are templates) for
/// `run`, in the directory [`create_dir`] made; returns the page's path.
pub fn write(dir: &Path, run: &Run) -> Result<PathBuf> {
    let data = serde_json::to_vec_pretty(run)?;
    gradus::modelfile::write_atomically(&dir.join("run.json"), &data)?;
    if let Some(t) = &run.templates {
        let title = templates_title(&run.data.spec);
        crate::plot::Templates::new(&title, &t.weights, &t.names, t.shape)?.save(&dir.join("templates.png"))?;
    }
    render(dir, run)
}

/// The title of a run's weight templates on `spec`.
fn templates_title(spec: &str) -> String {
    format!("Rows of W, {spec}")
}

/// Renders `run` into `DIR/report.html`; returns its path.
fn render(dir: &Path, run: &Run) -> Result<PathBuf> {
    let page = html::render(run)?;
    let path = dir.join("report.html");
    gradus::modelfile::write_atomically(&path, page.as_bytes())?;
    Ok(path)
}

/// Renders `DIR/report.html` again from `DIR/run.json`; returns its path.
pub fn rerender(dir: &Path) -> Result<PathBuf> {
    let path = dir.join("run.json");
    let text = std::fs::read(&path).with_context(|| format!("{}: cannot read the run's data", path.display()))?;
    let bad = || format!("{}: not a gradus run file", path.display());
    let value: Value = serde_json::from_slice(&text).with_context(bad)?;
    match &value["version"] {
        Value::Number(v) if v.as_u64() == Some(u64::from(VERSION)) => {}
        Value::Number(v) => anyhow::bail!(
            "{}: run file version {v} is not {VERSION}, the one this gradus reads",
            path.display()
        ),
        _ => anyhow::bail!(bad()),
    }
    render(dir, &serde_json::from_value(value).with_context(bad)?)
}
