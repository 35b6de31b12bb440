//! `gradus predict`: one CSV row of predictions per example.

use super::rows;
use crate::args::PredictArgs;
use anyhow::Result;
use gradus::estimator::{Fitted, Predictions, RowRequest};
use gradus::modelfile;
use std::fmt::Write;

pub fn run(a: PredictArgs) -> Result<()> {
    let model = Fitted::load(&a.model, rayon::current_num_threads())?;
    let data = model.rows(&RowRequest {
        data: a.data.as_deref(),
        label_column: a.label_column.as_deref(),
        rows: rows(a.split),
        allow_unlabelled: true,
    })?;
    let names = model.class_names();
    let mut text = String::new();
    if a.proba {
        let header: Vec<String> = names.iter().map(|n| csv_field(&format!("p_{n}"))).collect();
        let _ = writeln!(text, "{}", header.join(","));
        for p in model.predict_proba(&data)? {
            let cells: Vec<String> = p.iter().map(|v| v.to_string()).collect();
            let _ = writeln!(text, "{}", cells.join(","));
        }
    } else {
        match model.predict(&data)? {
            Predictions::Values(v) => {
                text.push_str("prediction\n");
                for s in v {
                    let _ = writeln!(text, "{s}");
                }
            }
            Predictions::Classes(c) => {
                text.push_str("class\n");
                for k in c {
                    let _ = writeln!(text, "{}", csv_field(&names[k]));
                }
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
