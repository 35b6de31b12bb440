//! `gradus predict`: one CSV row of predictions per example.

use super::rows;
use crate::args::PredictArgs;
use crate::args::Split;
use crate::output;
use anyhow::Result;
use gradus::data::spec::DataSpec;
use gradus::estimator::{Fitted, Predictions, RowRequest, Rows, Selected};
use gradus::modelfile;
use std::fmt::Write;

pub fn run(a: PredictArgs) -> Result<()> {
    let model = Fitted::load(&a.model, rayon::current_num_threads())?;
    // A CSV file's every row, unless --split says otherwise: that is what one predicts on.
    let source = a
        .data
        .as_deref()
        .or(model.meta().data.as_ref().map(|o| o.spec.as_str()));
    let csv = source.is_some_and(|s| matches!(s.parse(), Ok(DataSpec::Csv(_))));
    let which = match a.split {
        Split::Auto if csv => Rows::All,
        split => rows(split),
    };
    let Selected { data, ids } = model.rows(&RowRequest {
        data: a.data.as_deref(),
        label_column: a.label_column.as_deref(),
        rows: which,
        allow_unlabelled: true,
    })?;
    super::note_columns(&model, &data)?;
    let names = model.class_names();
    let mut text = String::new();
    // Each line starts with the row's 0-based position among the source's data rows.
    if a.proba {
        let header: Vec<String> = names.iter().map(|n| csv_field(&format!("p_{n}"))).collect();
        let _ = writeln!(text, "row,{}", header.join(","));
        for (id, p) in ids.iter().zip(model.predict_proba(&data)?) {
            let cells: Vec<String> = p.iter().map(|v| v.to_string()).collect();
            let _ = writeln!(text, "{id},{}", cells.join(","));
        }
    } else {
        match model.predict(&data)? {
            Predictions::Values(v) => {
                text.push_str("row,prediction\n");
                for (id, s) in ids.iter().zip(v) {
                    let _ = writeln!(text, "{id},{s}");
                }
            }
            Predictions::Classes(c) => {
                text.push_str("row,class\n");
                for (id, k) in ids.iter().zip(c) {
                    let _ = writeln!(text, "{id},{}", csv_field(&names[k]));
                }
            }
        }
    }
    match &a.out {
        Some(path) => modelfile::write_atomically(path, text.as_bytes())?,
        None => output::write(&text)?,
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
