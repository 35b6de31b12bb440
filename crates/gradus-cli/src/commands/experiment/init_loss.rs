//! `gradus experiment init-loss`.

use super::{Out, load, numbers};
use crate::args::InitLossArgs;
use crate::output::outln;
use crate::plot::{Chart, Series, short};
use anyhow::Result;
use gradus::experiments::init_loss;
use gradus::loss::Loss;
use gradus::model::Architecture;
use std::fmt::Write as _;

pub fn run(a: InitLossArgs) -> Result<()> {
    let out = Out::new(&a.common, "init-loss")?;
    let data = load(&a.data, None)?.train;
    let architecture: Architecture = a.model.parse()?;
    let sigmas: Vec<f64> = numbers("--sigmas", &a.sigmas)?;
    let losses = [
        Loss::new("softmax", 1.0, 1.0)?,
        Loss::new("svm", 1.0, 1.0)?,
        Loss::new("squared-svm", 1.0, 1.0)?,
    ];
    let rows = init_loss::run(&data, &architecture, &losses, &sigmas, a.common.seed)?;
    let mut text = String::from("loss,sigma,measured,formula\n");
    for r in &rows {
        let _ = writeln!(text, "\"{}\",{},{},{}", r.loss, r.sigma, r.measured, r.formula);
    }
    out.csv("", &text)?;
    let mut series = Vec::new();
    for (k, chunk) in rows.chunks(sigmas.len()).enumerate() {
        series.push(Series::line(
            format!("{}: measured", chunk[0].loss),
            chunk.iter().map(|r| (r.sigma, r.measured)).collect(),
            k,
            0,
        ));
        series.push(Series::line(
            format!("{}: value at zero scores {}", chunk[0].loss, short(chunk[0].formula)),
            chunk.iter().map(|r| (r.sigma, r.formula)).collect(),
            k,
            2,
        ));
    }
    let c = data.n_classes();
    let title = format!("loss at initialisation, {} model on {} (C = {c})", a.model, a.data);
    out.chart(
        "",
        &Chart {
            title: &title,
            x_label: "σ of the initial weights (biases 0)",
            y_label: "mean loss",
            series: &series,
            marks: &[],
            log_x: true,
            log_y: true,
        },
    )?;
    outln!(
        "{} model on {} ({} rows, C = {c} classes), weights N(0, σ²), biases 0",
        a.model,
        a.data,
        data.len()
    )?;
    outln!(
        "{:<24} {:>10} {:>12} {:>12} {:>10}",
        "loss",
        "σ",
        "measured",
        "formula",
        "rel. diff"
    )?;
    for r in &rows {
        outln!(
            "{:<24} {:>10} {:>12} {:>12} {:>10}",
            r.loss.to_string(),
            r.sigma,
            short(r.measured),
            short(r.formula),
            format!("{:.1e}", (r.measured - r.formula).abs() / r.formula)
        )?;
    }
    outln!(
        "formulas: softmax ln C = {:.6}, svm (C − 1)Δ = {}, squared-svm (C − 1)Δ² = {}",
        (c as f64).ln(),
        c - 1,
        c - 1
    )
}
