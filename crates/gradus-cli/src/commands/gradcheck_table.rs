//! `gradus gradcheck`'s text output: the per-tensor table, the verdict, and what failed.

use crate::output::outln;
use gradus::gradcheck::{GradCheckConfig, GradCheckReport};

/// Prints the table and the verdict line.
pub fn print(report: &GradCheckReport, cfg: &GradCheckConfig, checked: usize, skipped: usize) -> anyhow::Result<()> {
    print_table(report)?;
    let verdict = if report.passed { "PASS" } else { "FAIL" };
    outln!(
        "{verdict}: {checked} coordinates checked, {skipped} skipped at kinks (|a − n| ≤ {} + {}·|n|)",
        cfg.atol,
        cfg.rtol
    )
}

/// The tensors that failed, one phrase each, or `None` when all passed.
pub fn failures(report: &GradCheckReport) -> Option<String> {
    if report.passed {
        return None;
    }
    let failed: Vec<String> = report
        .failures()
        .map(|t| {
            format!(
                "{} ({} of {} coordinates off, max relative error {:.2e})",
                t.name, t.failed, t.checked, t.max_rel_error
            )
        })
        .collect();
    Some(failed.join(", "))
}

fn print_table(report: &GradCheckReport) -> anyhow::Result<()> {
    let width = report
        .tensors
        .iter()
        .map(|t| t.name.len())
        .max()
        .unwrap_or(0)
        .max("tensor".len());
    outln!(
        "{:<width$}  {:>10}  {:>8}  {:>8}  {:>13}  {:>13}  result",
        "tensor",
        "shape",
        "checked",
        "skipped",
        "max rel error",
        "max abs error"
    )?;
    for t in &report.tensors {
        let shape: Vec<String> = t.shape.iter().map(|d| d.to_string()).collect();
        // A tensor whose every coordinate sat on a kink has no errors to show.
        let error = |e: f64| {
            if t.checked > 0 { format!("{e:.2e}") } else { "-".into() }
        };
        outln!(
            "{:<width$}  {:>10}  {:>8}  {:>8}  {:>13}  {:>13}  {}",
            t.name,
            shape.join("×"),
            t.checked,
            t.skipped,
            error(t.max_rel_error),
            error(t.max_abs_error),
            if t.passed { "pass" } else { "FAIL" }
        )?;
    }
    Ok(())
}
