//! `gradus predict`: one CSV row of predictions per example.

use super::{class_names, model_scores, rows_for_model, set_threads};
use crate::args::PredictArgs;
use anyhow::{Result, bail};
use gradus::data::Task;
use gradus::modelfile;
use std::fmt::Write;

pub fn run(a: PredictArgs) -> Result<()> {
    let threads = set_threads(a.threads)?;
    let model = modelfile::load(&a.model)?;
    if a.proba && model.meta.task == Task::Regress {
        bail!("--proba needs a classifier; this model is a regressor");
    }
    let data = rows_for_model(&model, Some(&a.data), a.label_column.as_deref(), a.split, true)?;
    let scores = model_scores(&model, &data, threads)?;
    let out = model.meta.outputs;
    let loss = &model.meta.loss;
    let names = class_names(&model.meta);
    let mut text = String::new();
    match (model.meta.task, a.proba) {
        (Task::Regress, _) => {
            text.push_str("prediction\n");
            for s in &scores {
                let _ = writeln!(text, "{s}");
            }
        }
        (Task::Classify, false) => {
            text.push_str("class\n");
            for s in scores.chunks_exact(out) {
                let _ = writeln!(text, "{}", csv_field(&names[loss.predict_class(s)]));
            }
        }
        (Task::Classify, true) => {
            let header: Vec<String> = names.iter().map(|n| csv_field(&format!("p_{n}"))).collect();
            let _ = writeln!(text, "{}", header.join(","));
            for s in scores.chunks_exact(out) {
                let Some(p) = loss.probabilities(s) else {
                    bail!("--proba needs a model trained with the softmax or logistic loss, not {loss}");
                };
                let cells: Vec<String> = p.iter().map(|v| v.to_string()).collect();
                let _ = writeln!(text, "{}", cells.join(","));
            }
        }
    }
    match &a.out {
        Some(path) => modelfile::write_atomically(path, text.as_bytes())?,
        None => print!("{text}"),
    }
    Ok(())
}

/// Quotes a CSV field when it needs it.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
