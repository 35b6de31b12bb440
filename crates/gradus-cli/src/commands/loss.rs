//! `gradus loss`: one example's loss and its gradient with respect to the scores, to check a
//! hand calculation.

use crate::args::LossArgs;
use crate::output::outln;
use anyhow::{Result, bail};
use gradus::data::Task;
use gradus::loss::{ExampleLoss, Loss, Target};

pub fn run(a: LossArgs) -> Result<()> {
    let loss = Loss::parse(&a.loss, a.margin, a.delta)?;
    let scores = a
        .scores
        .split(',')
        .map(|s| match s.trim().parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => bail!("--scores must be finite numbers separated by commas, got '{s}'"),
        })
        .collect::<Result<Vec<f64>>>()?;
    let target = match (loss.task(), a.label, a.target) {
        (Task::Classify, Some(label), None) => {
            let classes = if matches!(loss, Loss::Logistic(_)) {
                2
            } else {
                scores.len()
            };
            let want = loss.outputs(Task::Classify, classes)?;
            if scores.len() != want {
                bail!("--scores has {} values, the {loss} loss needs {want}", scores.len());
            }
            if label as usize >= classes {
                bail!("--label {label} is out of range for {classes} classes");
            }
            Target::Class(label)
        }
        (Task::Regress, None, Some(t)) if t.is_finite() => {
            if scores.len() != 1 {
                bail!("--scores has {} values, the {loss} loss needs 1", scores.len());
            }
            Target::Value(t as f32)
        }
        (Task::Classify, _, _) => bail!("the {loss} loss needs --label (and no --target)"),
        (Task::Regress, _, _) => bail!("the {loss} loss needs a finite --target (and no --label)"),
    };
    let mut grad = vec![0.0; scores.len()];
    let value = loss.value_grad(&scores, target, &mut grad);
    if a.json {
        outln!("{}", serde_json::json!({ "loss": value, "grad": grad }))?;
    } else {
        outln!("loss {value}")?;
        let g: Vec<String> = grad.iter().map(|g| g.to_string()).collect();
        outln!("grad {}", g.join(","))?;
    }
    Ok(())
}
