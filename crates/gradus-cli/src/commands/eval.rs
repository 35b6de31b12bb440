//! `gradus eval`: a saved model's loss and metrics on a data split.

use super::{class_names, model_scores, rows_for_model, set_threads};
use crate::args::EvalArgs;
use anyhow::Result;
use gradus::data::{TargetSlice, Targets};
use gradus::metrics;
use gradus::modelfile;
use serde_json::json;

pub fn run(a: EvalArgs) -> Result<()> {
    let threads = set_threads(a.threads)?;
    let model = modelfile::load(&a.model)?;
    let data = rows_for_model(&model, a.data.as_deref(), a.label_column.as_deref(), a.split, false)?;
    let scores = model_scores(&model, &data, threads)?;
    let loss = &model.meta.loss;
    let out = model.meta.outputs;
    let targets = match data.targets() {
        Targets::Classes { labels, .. } => TargetSlice::Classes(labels),
        Targets::Values(v) => TargetSlice::Values(v),
    };
    let mut scratch = vec![0.0f32; scores.len()];
    let mean_loss = loss.batch_value_grad(&scores, out, targets, &mut scratch, 1.0) / data.len().max(1) as f64;
    let mut report = json!({ "model": a.model, "rows": data.len(), "loss": mean_loss });
    match data.targets() {
        Targets::Classes { labels, .. } => {
            let predicted: Vec<usize> = scores.chunks_exact(out).map(|s| loss.predict_class(s)).collect();
            let m = metrics::classification(&predicted, labels, model.meta.n_classes);
            report["accuracy"] = json!(m.accuracy);
            report["precision"] = json!(m.precision);
            report["recall"] = json!(m.recall);
            report["confusion"] = json!(m.confusion);
            if a.json {
                println!("{report}");
                return Ok(());
            }
            println!("{} rows  loss {mean_loss:.5}  accuracy {:.4}", data.len(), m.accuracy);
            let names = class_names(&model.meta);
            let w = names.iter().map(String::len).max().unwrap_or(5).max(5);
            println!("{:>w$}  precision  recall", "class");
            for (c, name) in names.iter().enumerate() {
                println!("{name:>w$}  {:>9.4}  {:>6.4}", m.precision[c], m.recall[c]);
            }
            println!("confusion matrix (rows: true class, columns: predicted)");
            for row in &m.confusion {
                let cells: Vec<String> = row.iter().map(|v| format!("{v:>6}")).collect();
                println!("{}", cells.join(""));
            }
        }
        Targets::Values(t) => {
            let rmse = metrics::rmse(&scores, t);
            report["rmse"] = json!(rmse);
            if a.json {
                println!("{report}");
            } else {
                println!("{} rows  loss {mean_loss:.5}  rmse {rmse:.5}", data.len());
            }
        }
    }
    Ok(())
}
