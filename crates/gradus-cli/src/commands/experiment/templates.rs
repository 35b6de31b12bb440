//! `gradus experiment templates`.

use super::{Out, load};
use crate::args::TemplatesArgs;
use crate::output::outln;
use crate::plot;
use anyhow::Result;
use gradus::experiments::templates;
use std::fmt::Write as _;

pub fn run(a: TemplatesArgs) -> Result<()> {
    let out = Out::new(&a.common, "templates")?;
    let part = a.data.split(':').next().unwrap_or_default();
    let loaded = load(&a.data, None)?;
    let o = templates::run(&loaded.train, loaded.test.as_ref(), a.epochs, a.lambda, a.common.seed)?;
    let mut text = String::from("class,row,col,weight\n");
    for t in &o.templates {
        for (k, w) in t.weights.iter().enumerate() {
            let _ = writeln!(text, "\"{}\",{},{},{w}", t.name, k / o.side, k % o.side);
        }
    }
    out.csv(part, &text)?;
    let tiles: Vec<(String, Vec<f32>)> = o
        .templates
        .iter()
        .map(|t| (t.name.clone(), t.weights.clone()))
        .collect();
    let title = format!(
        "rows of W of a linear softmax classifier on {} (red: positive weight, blue: negative)",
        a.data
    );
    out.figure(part, |path| plot::tiles(&title, o.side, &tiles, path))?;
    outln!(
        "linear softmax classifier on {} ({} rows of {}×{} pixels scaled to [0, 1]), {} epochs, L2 λ = {}",
        a.data,
        loaded.train.len(),
        o.side,
        o.side,
        a.epochs,
        a.lambda
    )?;
    let split = if o.on_test { "test" } else { "training" };
    outln!("{split} accuracy {:.2} %", 100.0 * o.accuracy)?;
    for t in &o.templates {
        let norm = t.weights.iter().map(|w| (*w as f64).powi(2)).sum::<f64>().sqrt();
        outln!("{:<14} ‖w‖ = {norm:.3}", t.name)?;
    }
    Ok(())
}
