//! `gradus experiment loss-comparison`.

use super::{Out, numbers};
use crate::args::LossComparisonArgs;
use crate::output::outln;
use crate::plot::{Chart, Series, short};
use anyhow::Result;
use gradus::experiments::loss_comparison::{self, LECTURE_SCORES};
use std::fmt::Write as _;

/// `[a, b, c]`, each number by `show`.
fn vector(v: &[f64], show: fn(f64) -> String) -> String {
    let parts: Vec<String> = v.iter().map(|x| show(*x)).collect();
    format!("[{}]", parts.join(", "))
}

/// A score as given.
fn plain(x: f64) -> String {
    x.to_string()
}

pub fn run(a: LossComparisonArgs) -> Result<()> {
    let out = Out::new(&a.common, "loss-comparison")?;
    let scores: Vec<Vec<f64>> = match &a.scores {
        Some(text) => text.split(';').map(|s| numbers("--scores", s)).collect::<Result<_>>()?,
        None => LECTURE_SCORES.iter().map(|s| s.to_vec()).collect(),
    };
    let rows = loss_comparison::table(&scores, a.label, a.margin, a.nudge)?;
    let mut text =
        String::from("scores,hinge,cross_entropy,hinge_grad,cross_entropy_grad,hinge_nudged,cross_entropy_nudged\n");
    let join = |v: &[f64]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(" ");
    for r in &rows {
        let _ = writeln!(
            text,
            "{},{},{},{},{},{},{}",
            join(&r.scores),
            r.hinge,
            r.cross_entropy,
            join(&r.hinge_grad),
            join(&r.cross_entropy_grad),
            join(&r.hinge_nudged),
            join(&r.cross_entropy_nudged)
        );
    }
    out.csv("", &text)?;
    let deltas: Vec<f64> = (0..=240).map(|i| -12.0 + 0.1 * i as f64).collect();
    let mut series = Vec::new();
    for (k, s) in scores.iter().enumerate() {
        let sweep = loss_comparison::sweep(s, a.label, a.margin, &deltas)?;
        series.push(Series::line(
            format!("hinge, {}", vector(s, plain)),
            sweep.iter().map(|p| (p.0, p.1)).collect(),
            k,
            0,
        ));
        series.push(Series::line(
            format!("cross-entropy, {}", vector(s, plain)),
            sweep.iter().map(|p| (p.0, p.2)).collect(),
            k,
            1,
        ));
    }
    let title = format!(
        "losses as the correct score s_{} moves by δ (margin Δ = {})",
        a.label, a.margin
    );
    out.chart(
        "",
        &Chart {
            title: &title,
            x_label: "δ added to the correct class's score",
            y_label: "loss",
            series: &series,
            marks: &[],
            log_x: false,
            log_y: false,
        },
    )?;
    outln!(
        "correct class {}, hinge margin Δ = {}, each score nudged by {} in turn",
        a.label,
        a.margin,
        a.nudge
    )?;
    outln!(
        "{:<20} {:>7} {:>12} {:>26} {:>34}",
        "scores",
        "hinge",
        "cross-ent.",
        "hinge change per nudge",
        "cross-entropy change per nudge"
    )?;
    for r in &rows {
        outln!(
            "{:<20} {:>7} {:>12} {:>26} {:>34}",
            vector(&r.scores, plain),
            short(r.hinge),
            short(r.cross_entropy),
            vector(&r.hinge_nudged, short),
            vector(&r.cross_entropy_nudged, short)
        )?;
    }
    outln!(
        "the hinge is 0 once every margin is met and ignores changes that keep it met; cross-entropy is never 0 and always rewards a larger gap"
    )
}
