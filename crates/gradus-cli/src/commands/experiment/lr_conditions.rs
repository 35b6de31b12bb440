//! `gradus experiment lr-conditions`.

use super::Out;
use crate::args::LrConditionsArgs;
use crate::output::outln;
use crate::plot::{Chart, Series, short};
use anyhow::Result;
use gradus::experiments::lr_conditions::{self, Params};
use std::fmt::Write as _;

pub fn run(a: LrConditionsArgs) -> Result<()> {
    let out = Out::new(&a.common, "lr-conditions")?;
    let p = Params {
        rows: a.rows,
        features: a.features,
        noise: a.noise,
        steps: a.steps,
        lr: a.lr,
        t0: a.t0,
        seed: a.common.seed,
        ..Params::default()
    };
    let o = lr_conditions::run(&p)?;
    let mut text = String::from("schedule,step,excess_objective\n");
    for c in &o.curves {
        for (t, v) in &c.points {
            let _ = writeln!(text, "{},{t},{v}", c.decay.name());
        }
    }
    out.csv("", &text)?;
    let series: Vec<Series> = o
        .curves
        .iter()
        .enumerate()
        .map(|(k, c)| Series {
            label: format!(
                "{} (Σηₜ = {}, Σηₜ² = {})",
                c.decay.name(),
                short(c.sum_lr),
                short(c.sum_lr2)
            ),
            points: c.points.iter().map(|&(t, v)| (t as f64, v)).collect(),
            colour: k,
            dash: k,
            markers_only: false,
        })
        .collect();
    let title = format!(
        "single-example SGD, least squares with noise σ = {}: η₀ = {}, t₀ = {}",
        a.noise, a.lr, a.t0
    );
    out.chart(
        "",
        &Chart {
            title: &title,
            x_label: "step t",
            y_label: "L(θₜ) − L(θ*)",
            series: &series,
            marks: &[],
            log_x: true,
            log_y: true,
        },
    )?;
    outln!("least-squares optimum L(θ*) = {} (closed form)", short(o.optimum))?;
    outln!(
        "{:<10} {:>12} {:>12} {:>18} {:>18}",
        "schedule",
        "Σηₜ",
        "Σηₜ²",
        "excess at t/2",
        "excess at end"
    )?;
    for c in &o.curves {
        let mid = c.points[c.points.len() / 2];
        let end = c.points[c.points.len() - 1];
        outln!(
            "{:<10} {:>12} {:>12} {:>18} {:>18}",
            c.decay.name(),
            short(c.sum_lr),
            short(c.sum_lr2),
            short(mid.1),
            short(end.1)
        )?;
    }
    outln!(
        "a constant step stalls near η₀σ²(d + 1)/4 = {} (its noise ball); 1/t keeps falling",
        short(a.lr * a.noise * a.noise * (a.features + 1) as f64 / 4.0)
    )
}
