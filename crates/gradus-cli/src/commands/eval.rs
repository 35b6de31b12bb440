//! `gradus eval`: a saved model's loss and metrics on a data split.

use super::rows;
use crate::args::EvalArgs;
use crate::output::outln;
use anyhow::Result;
use gradus::estimator::{Fitted, RowRequest};
use serde_json::json;

pub fn run(a: EvalArgs) -> Result<()> {
    let model = Fitted::load(&a.model, rayon::current_num_threads())?;
    let data = model
        .rows(&RowRequest {
            data: a.data.as_deref(),
            label_column: a.label_column.as_deref(),
            rows: rows(a.split),
            allow_unlabelled: false,
        })?
        .data;
    super::note_columns(&model, &data)?;
    let score = model.score(&data)?;
    let mut report = json!({ "model": a.model, "rows": score.rows, "loss": score.loss });
    if let Some(rmse) = score.rmse {
        report["rmse"] = json!(rmse);
        if !a.json {
            outln!("{} rows  loss {:.5}  rmse {rmse:.5}", score.rows, score.loss)?;
        }
    }
    if let Some(m) = model.class_metrics(&data)? {
        report["accuracy"] = json!(m.accuracy);
        report["precision"] = json!(m.precision);
        report["recall"] = json!(m.recall);
        report["confusion"] = json!(m.confusion);
        if !a.json {
            outln!(
                "{} rows  loss {:.5}  accuracy {:.4}",
                score.rows,
                score.loss,
                m.accuracy
            )?;
            let names = model.class_names();
            let w = names.iter().map(String::len).max().unwrap_or(5).max(5);
            outln!("{:>w$}  precision  recall", "class")?;
            for (c, name) in names.iter().enumerate() {
                outln!("{name:>w$}  {:>9.4}  {:>6.4}", m.precision[c], m.recall[c])?;
            }
            outln!("confusion matrix (rows: true class, columns: predicted)")?;
            for row in &m.confusion {
                let cells: Vec<String> = row.iter().map(|v| format!("{v:>6}")).collect();
                outln!("{}", cells.join(""))?;
            }
        }
    }
    if a.json {
        outln!("{report}")?;
    }
    Ok(())
}
