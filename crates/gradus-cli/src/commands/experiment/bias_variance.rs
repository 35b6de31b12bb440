//! `gradus experiment bias-variance`.

use super::{Out, numbers};
use crate::args::BiasVarianceArgs;
use crate::output::outln;
use crate::plot::{Chart, Series, short};
use anyhow::Result;
use gradus::experiments::bias_variance::{self, Params, target};
use std::fmt::Write as _;

pub fn run(a: BiasVarianceArgs) -> Result<()> {
    let out = Out::new(&a.common, "bias-variance")?;
    let p = Params {
        n: a.n,
        datasets: a.datasets,
        noise: a.noise,
        degrees: numbers("--degrees", &a.degrees)?,
        seed: a.common.seed,
        ..Params::default()
    };
    let o = bias_variance::run(&p)?;
    let mut text = String::from("degree,bias2,variance,noise,bias2_plus_variance_plus_noise,e_out,e_out_se,e_in\n");
    for m in &o.models {
        let _ = writeln!(
            text,
            "{},{},{},{},{},{},{},{}",
            m.degree,
            m.bias2,
            m.variance,
            o.noise_var,
            m.bias2 + m.variance + o.noise_var,
            m.e_out,
            m.e_out_se,
            m.e_in
        );
    }
    out.csv("table", &text)?;
    let mut text = String::from("degree,x,target,mean,sd\n");
    for m in &o.models {
        for (j, &x) in o.grid.iter().enumerate() {
            let _ = writeln!(text, "{},{x},{},{},{}", m.degree, target(x), m.mean[j], m.sd[j]);
        }
    }
    out.csv("curves", &text)?;
    for m in &o.models {
        let f: Vec<(f64, f64)> = o.grid.iter().map(|&x| (x, target(x))).collect();
        let band = |sign: f64| -> Vec<(f64, f64)> {
            o.grid
                .iter()
                .enumerate()
                .map(|(j, &x)| (x, m.mean[j] + sign * m.sd[j]))
                .collect()
        };
        let series = [
            Series::line("target sin πx", f, 7, 0),
            Series::line(
                "ḡ(x), the mean fit",
                o.grid.iter().copied().zip(m.mean.iter().copied()).collect(),
                0,
                0,
            ),
            Series::line("ḡ(x) ± one standard deviation over data sets", band(1.0), 0, 1),
            Series::line(String::new(), band(-1.0), 0, 1),
        ];
        let title = format!(
            "degree {}, n = {}: bias² {}, variance {}, E_out {}",
            m.degree,
            a.n,
            short(m.bias2),
            short(m.variance),
            short(m.e_out)
        );
        out.chart(
            &format!("degree{}", m.degree),
            &Chart {
                title: &title,
                x_label: "x",
                y_label: "g(x)",
                series: &series,
                marks: &[],
                log_x: false,
                log_y: false,
            },
        )?;
    }
    let by_degree = |f: &dyn Fn(&bias_variance::Model) -> f64| -> Vec<(f64, f64)> {
        o.models.iter().map(|m| (m.degree as f64, f(m))).collect()
    };
    let series: Vec<Series> = [
        ("bias²", by_degree(&|m| m.bias2)),
        ("variance", by_degree(&|m| m.variance)),
        ("E_out (measured)", by_degree(&|m| m.e_out)),
        (
            "bias² + variance + σ²",
            by_degree(&|m| m.bias2 + m.variance + o.noise_var),
        ),
    ]
    .into_iter()
    .enumerate()
    .map(|(k, (label, points))| Series {
        label: label.into(),
        points,
        colour: k,
        dash: if k == 3 { 1 } else { 0 },
        markers_only: false,
    })
    .collect();
    let title = format!("bias–variance, n = {}, σ = {}, {} data sets", a.n, a.noise, a.datasets);
    out.chart(
        "table",
        &Chart {
            title: &title,
            x_label: "polynomial degree",
            y_label: "squared error",
            series: &series,
            marks: &[],
            log_x: false,
            log_y: true,
        },
    )?;
    outln!(
        "{} data sets of n = {} points of sin πx + N(0, {}²): σ² = {}",
        a.datasets,
        a.n,
        a.noise,
        short(o.noise_var)
    )?;
    outln!(
        "{:>6} {:>9} {:>9} {:>9} {:>22} {:>9} {:>12}",
        "degree",
        "bias²",
        "variance",
        "E_in",
        "bias² + variance + σ²",
        "E_out",
        "fit vs exact"
    )?;
    for m in &o.models {
        outln!(
            "{:>6} {:>9} {:>9} {:>9} {:>22} {:>9} {:>12}",
            m.degree,
            short(m.bias2),
            short(m.variance),
            short(m.e_in),
            short(m.bias2 + m.variance + o.noise_var),
            format!("{} ± {}", short(m.e_out), short(m.e_out_se)),
            format!("{:.1e}", m.fit_gap)
        )?;
        if m.unconverged > 0 {
            outln!(
                "       ({} fits stopped at the step limit: nearly singular data sets)",
                m.unconverged
            )?;
        }
    }
    Ok(())
}
