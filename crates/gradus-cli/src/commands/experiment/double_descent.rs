//! `gradus experiment double-descent`.

use super::{Out, numbers};
use crate::args::DoubleDescentArgs;
use crate::output::outln;
use crate::plot::{Chart, Series, short};
use anyhow::Result;
use gradus::experiments::double_descent::{self, Params};
use std::fmt::Write as _;

pub fn run(a: DoubleDescentArgs) -> Result<()> {
    let out = Out::new(&a.common, "double-descent")?;
    let p = Params {
        n: a.n,
        inputs: a.inputs,
        widths: a
            .widths
            .as_deref()
            .map(|w| numbers("--widths", w))
            .transpose()?
            .unwrap_or_default(),
        noise: a.noise,
        repeats: a.repeats,
        steps: a.steps,
        seed: a.common.seed,
        ..Params::default()
    };
    let points = double_descent::run(&p)?;
    let mut text = String::from("d,d_over_n,test_gd,test_min_norm,train_gd,norm_gd,norm_min_norm,rel_diff,steps\n");
    for q in &points {
        let _ = writeln!(
            text,
            "{},{},{},{},{},{},{},{},{}",
            q.d,
            q.d as f64 / a.n as f64,
            q.test_gd,
            q.test_min_norm,
            q.train_gd,
            q.norm_gd,
            q.norm_min_norm,
            q.rel_diff,
            q.steps
        );
    }
    out.csv("", &text)?;
    let ratio = |d: usize| d as f64 / a.n as f64;
    let line = |label: &str, k: usize, f: &dyn Fn(&double_descent::Point) -> f64| {
        Series::line(label, points.iter().map(|q| (ratio(q.d), f(q))).collect(), k, k)
    };
    let series = [
        line("test error, gradient descent from β = 0", 0, &|q| q.test_gd),
        line("test error, minimum-norm β⁺ = Φ⁺y", 1, &|q| q.test_min_norm),
    ];
    let title = format!(
        "random ReLU features, n = {} points in {} dimensions, σ = {}: error against d/n",
        a.n, a.inputs, a.noise
    );
    out.chart(
        "",
        &Chart {
            title: &title,
            x_label: "d/n (features per training point)",
            y_label: "test mean squared error",
            series: &series,
            marks: &[],
            log_x: true,
            log_y: true,
        },
    )?;
    let norms = [
        line("‖β‖, gradient descent", 0, &|q| q.norm_gd),
        line("‖β⁺‖, minimum norm", 1, &|q| q.norm_min_norm),
    ];
    out.chart(
        "norms",
        &Chart {
            title: &format!("random ReLU features, n = {}: norm of the fit", a.n),
            x_label: "d/n",
            y_label: "‖β‖₂",
            series: &norms,
            marks: &[],
            log_x: true,
            log_y: true,
        },
    )?;
    outln!(
        "n = {} points in {} dimensions, noise σ = {}, {} feature draws per d",
        a.n,
        a.inputs,
        a.noise,
        a.repeats
    )?;
    outln!(
        "{:>6} {:>6} {:>10} {:>10} {:>10} {:>10} {:>10} {:>11} {:>7}",
        "d",
        "d/n",
        "test GD",
        "test β⁺",
        "train GD",
        "‖β‖ GD",
        "‖β⁺‖",
        "‖β−β⁺‖/‖β⁺‖",
        "steps"
    )?;
    for q in &points {
        outln!(
            "{:>6} {:>6} {:>10} {:>10} {:>10} {:>10} {:>10} {:>11} {:>7}",
            q.d,
            short(ratio(q.d)),
            short(q.test_gd),
            short(q.test_min_norm),
            short(q.train_gd),
            short(q.norm_gd),
            short(q.norm_min_norm),
            format!("{:.1e}", q.rel_diff),
            q.steps
        )?;
    }
    let over: Vec<&double_descent::Point> = points.iter().filter(|q| q.d > a.n).collect();
    let close = over.iter().filter(|q| q.rel_diff <= 1e-4).count();
    let from = over.iter().rev().take_while(|q| q.rel_diff <= 1e-4).last().map(|q| q.d);
    let peak = points.iter().max_by(|x, y| x.test_min_norm.total_cmp(&y.test_min_norm));
    if let Some(peak) = peak {
        outln!(
            "minimum-norm test error peaks at d = {} (d/n = {})",
            peak.d,
            short(ratio(peak.d))
        )?;
    }
    outln!(
        "for d > n, gradient descent from 0 reached the minimum-norm solution to 1e-4 relative at {close} of {} widths{}",
        over.len(),
        from.map_or(String::new(), |d| format!(", every width from d = {d} on"))
    )
}
