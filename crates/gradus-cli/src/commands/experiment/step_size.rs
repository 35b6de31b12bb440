//! `gradus experiment step-size`.

use super::{Out, load, numbers};
use crate::args::StepSizeArgs;
use crate::output::outln;
use crate::plot::{self, Chart, Path, Series, short};
use anyhow::Result;
use gradus::experiments::step_size::{self, Outcome, Regime};
use gradus::functions::TestFunction;
use std::fmt::Write as _;

pub fn run(a: StepSizeArgs) -> Result<()> {
    let out = Out::new(&a.common, "step-size")?;
    let f: TestFunction = a.function.parse()?;
    let start: Vec<f64> = numbers("--start", &a.start)?;
    let [x, y] = start[..] else {
        anyhow::bail!("--start must be two numbers X,Y, got '{}'", a.start);
    };
    let fractions: Vec<f64> = numbers("--fractions", &a.fractions)?;
    let quad = step_size::quadratic(&f, [x, y], &fractions, a.steps)?;
    let mut text = String::from("fraction,lr,regime,step,x,y,objective\n");
    for r in &quad.runs {
        for (k, (p, v)) in r.path.iter().zip(&r.objective).enumerate() {
            let _ = writeln!(
                text,
                "{},{},{},{k},{},{},{v}",
                r.fraction,
                r.lr,
                r.regime.name(),
                p[0],
                p[1]
            );
        }
    }
    out.csv("quadratic", &text)?;
    let paths: Vec<Path> = quad
        .runs
        .iter()
        .map(|r| Path {
            name: label(r),
            points: r.path.clone(),
            values: r.objective.clone(),
            diverged_at: r.diverged_at,
        })
        .collect();
    let title = format!(
        "gradient descent on {}: L = {}, 2/L = {}",
        f.name(),
        short(quad.curvature),
        short(quad.critical)
    );
    out.figure("paths", |p| plot::contour_with_paths(&f, &paths, &title, p))?;
    out.figure("quadratic", |p| {
        curves(&quad, &format!("{}: objective per step", f.name()), p)
    })?;

    let data = load(&a.data, None)?.train;
    let threads = rayon::current_num_threads();
    let soft = step_size::softmax(&data, &fractions, a.steps, threads)?;
    let mut text = String::from("fraction,lr,regime,step,objective\n");
    for r in &soft.runs {
        for (k, v) in r.objective.iter().enumerate() {
            let _ = writeln!(text, "{},{},{},{k},{v}", r.fraction, r.lr, r.regime.name());
        }
    }
    out.csv("softmax", &text)?;
    let title = format!(
        "full-batch GD, linear softmax on {}: L = {}",
        a.data,
        short(soft.curvature)
    );
    out.figure("softmax", |p| curves(&soft, &title, p))?;

    summary(&format!("quadratic {}", f.name()), &quad)?;
    summary(
        &format!("linear softmax on {} ({} rows, from W = 0)", a.data, data.len()),
        &soft,
    )
}

/// `η = … (F × 2/L): regime`.
fn label(r: &step_size::Run) -> String {
    format!("η = {} ({} × 2/L): {}", short(r.lr), r.fraction, r.regime.name())
}

/// The objective per step of each run, on a log scale.
fn curves(o: &Outcome, title: &str, path: &std::path::Path) -> Result<()> {
    let series: Vec<Series> = o
        .runs
        .iter()
        .enumerate()
        .map(|(k, r)| {
            Series::line(
                label(r),
                r.objective.iter().enumerate().map(|(s, v)| (s as f64, *v)).collect(),
                k,
                k,
            )
        })
        .collect();
    plot::chart(
        &Chart {
            title,
            x_label: "step",
            y_label: "objective",
            series: &series,
            marks: &[],
            log_x: false,
            log_y: true,
        },
        path,
    )
}

fn summary(what: &str, o: &Outcome) -> Result<()> {
    outln!(
        "{what}: largest curvature L = {:.6} (power method), critical step 2/L = {:.6}",
        o.curvature,
        o.critical
    )?;
    for r in &o.runs {
        let (first, last) = (r.objective[0], *r.objective.last().unwrap_or(&f64::NAN));
        let end = match r.diverged_at {
            Some(k) => format!("diverged at step {k}"),
            None => format!(
                "objective {} → {} after {} steps",
                short(first),
                short(last),
                r.objective.len() - 1
            ),
        };
        outln!(
            "  η = {:<10} ({:>5} × 2/L, ηL = {:.2}) {:<11} {end}",
            short(r.lr),
            r.fraction,
            r.lr * o.curvature,
            r.regime.name()
        )?;
    }
    let survived = o
        .runs
        .iter()
        .any(|r| r.regime == Regime::Diverging && r.diverged_at.is_none() && r.objective.last() < r.objective.first());
    if survived {
        outln!(
            "  (the regimes are those of the quadratic model at the start; this objective's curvature falls away from it, so a step beyond 2/L can still converge)"
        )?;
    }
    Ok(())
}
