//! `gradus experiment NAME`: the lectures' experiments, one file each. The library
//! ([`gradus::experiments`]) computes; each file here writes the CSV data, draws the figures
//! (SVG and PNG) and prints the summary.

mod batch_online;
mod bias_variance;
mod double_descent;
mod init_loss;
mod loss_comparison;
mod lr_conditions;
mod regularization;
mod step_size;
mod templates;

use crate::args::{Cli, Experiment, ExperimentArgs, ExperimentCommon};
use crate::output::outln;
use crate::plot::{self, Chart};
use anyhow::{Context, Result, bail};
use clap::CommandFactory;
use gradus::data::Task;
use gradus::data::spec::{DataSpec, Loaded};
use std::path::PathBuf;
use std::str::FromStr;

pub fn run(a: ExperimentArgs) -> Result<()> {
    let Some(name) = a.name else {
        return list();
    };
    match name {
        Experiment::StepSize(a) => step_size::run(a),
        Experiment::BatchVsOnline(a) => batch_online::run(a),
        Experiment::LrConditions(a) => lr_conditions::run(a),
        Experiment::BiasVariance(a) => bias_variance::run(a),
        Experiment::DoubleDescent(a) => double_descent::run(a),
        Experiment::Regularization(a) => regularization::run(a),
        Experiment::LossComparison(a) => loss_comparison::run(a),
        Experiment::Templates(a) => templates::run(a),
        Experiment::InitLoss(a) => init_loss::run(a),
    }
}

/// `--list` (and a bare `gradus experiment`): each experiment's name and its one-line help.
fn list() -> Result<()> {
    let cli = Cli::command();
    let Some(cmd) = cli.find_subcommand("experiment") else {
        bail!("the experiment command is missing");
    };
    for sub in cmd.get_subcommands() {
        let about = sub.get_about().map(|s| s.to_string()).unwrap_or_default();
        outln!("{:<16} {about}", sub.get_name())?;
    }
    Ok(())
}

/// Where an experiment's files go: `DIR/NAME…`.
struct Out {
    dir: PathBuf,
    name: &'static str,
}

impl Out {
    /// Creates `--out` if missing.
    fn new(common: &ExperimentCommon, name: &'static str) -> Result<Self> {
        std::fs::create_dir_all(&common.out).with_context(|| format!("--out {}", common.out.display()))?;
        Ok(Self {
            dir: common.out.clone(),
            name,
        })
    }

    /// `DIR/NAME[-part].ext`.
    fn path(&self, part: &str, ext: &str) -> PathBuf {
        let stem = if part.is_empty() {
            self.name.to_string()
        } else {
            format!("{}-{part}", self.name)
        };
        self.dir.join(format!("{stem}.{ext}"))
    }

    /// Writes `text` to `DIR/NAME[-part].csv`.
    fn csv(&self, part: &str, text: &str) -> Result<()> {
        let path = self.path(part, "csv");
        gradus::modelfile::write_atomically(&path, text.as_bytes())?;
        outln!("wrote {}", path.display())
    }

    /// Draws a figure twice, as `DIR/NAME[-part].svg` and `.png`.
    fn figure(&self, part: &str, draw: impl Fn(&std::path::Path) -> Result<()>) -> Result<()> {
        for ext in ["svg", "png"] {
            draw(&self.path(part, ext))?;
        }
        outln!("wrote {} (and .png)", self.path(part, "svg").display())
    }

    /// Draws the line chart `c` as `DIR/NAME[-part].svg` and `.png`.
    fn chart(&self, part: &str, c: &Chart) -> Result<()> {
        self.figure(part, |path| plot::chart(c, path))
    }
}

/// The comma-separated numbers of `flag`.
fn numbers<T: FromStr>(flag: &str, text: &str) -> Result<Vec<T>> {
    text.split(',')
        .map(|s| {
            s.trim()
                .parse::<T>()
                .map_err(|_| anyhow::anyhow!("{flag} must be numbers separated by commas, got '{s}'"))
        })
        .collect()
}

/// The data of `spec` (CSV files read with the task given).
fn load(spec: &str, task: Option<Task>) -> Result<Loaded> {
    let spec: DataSpec = spec.parse()?;
    let csv = spec.csv_options(None, task)?;
    Ok(spec.load(&csv)?)
}
