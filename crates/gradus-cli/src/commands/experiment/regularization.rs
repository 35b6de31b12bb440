//! `gradus experiment regularization`.

use super::{Out, load};
use crate::args::RegularizationArgs;
use crate::output::outln;
use crate::plot::{Chart, Series, short};
use anyhow::{Result, bail};
use gradus::data::Task;
use gradus::experiments::regularization::{self, Table};
use std::fmt::Write as _;

pub fn run(a: RegularizationArgs) -> Result<()> {
    let out = Out::new(&a.common, "regularization")?;
    let (train, test) = match (&a.data, &a.test_data) {
        (None, _) => (Table::lecture_train(), Table::lecture_test()),
        (Some(d), t) => {
            let train = Table::from_dataset(&load(d, Some(Task::Regress))?.train, "train")?;
            let test = match t {
                Some(t) => Table::from_dataset(&load(t, Some(Task::Regress))?.train, "test")?,
                None => bail!("--data needs --test-data too"),
            };
            (train, test)
        }
    };
    let o = regularization::run(&train, &test, &[0.0, a.lambda], !a.raw, 100_000)?;
    let names: Vec<&String> = train.names.iter().chain(&test.names).collect();
    let xs: Vec<f64> = train.x.iter().chain(&test.x).copied().collect();
    let ys: Vec<f64> = train.y.iter().chain(&test.y).copied().collect();
    let split = |i: usize| if i < train.x.len() { "train" } else { "test" };
    let mut text = String::from("name,split,x,y");
    for f in &o.fits {
        let _ = write!(text, ",prediction_lambda_{0},error_lambda_{0}", f.lambda);
    }
    text.push('\n');
    for (i, name) in names.iter().enumerate() {
        let _ = write!(text, "\"{name}\",{},{},{}", split(i), xs[i], ys[i]);
        for f in &o.fits {
            let _ = write!(text, ",{},{}", f.predictions[i], f.predictions[i] - ys[i]);
        }
        text.push('\n');
    }
    out.csv("", &text)?;
    let (lo, hi) = xs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| (l.min(x), h.max(x)));
    let mut series: Vec<Series> = o
        .fits
        .iter()
        .enumerate()
        .map(|(k, f)| {
            Series::line(
                format!("λ = {}: y = {}x + {}", f.lambda, short(f.trained.0), short(f.trained.1)),
                [lo, hi].iter().map(|&x| (x, f.trained.0 * x + f.trained.1)).collect(),
                k,
                k,
            )
        })
        .collect();
    for (k, (label, t)) in [("training rows", &train), ("test rows", &test)]
        .into_iter()
        .enumerate()
    {
        series.push(Series {
            label: label.into(),
            points: t.x.iter().copied().zip(t.y.iter().copied()).collect(),
            colour: 3 + k,
            dash: 0,
            markers_only: true,
        });
    }
    let scale = if a.raw { "raw values" } else { "standardized" };
    let title = format!("ridge regression ({scale}): least squares and λ = {}", a.lambda);
    out.chart(
        "",
        &Chart {
            title: &title,
            x_label: "latitude (°)",
            y_label: "temperature (°F)",
            series: &series,
            marks: &[],
            log_x: false,
            log_y: false,
        },
    )?;
    outln!("objective (1/N) Σ ½(wx + b − y)² + λw² on {scale} values, trained by heavy-ball gradient descent")?;
    for (f, l) in o.fits.iter().zip(&o.textbook_lambda) {
        outln!(
            "λ = {}: y = {:.4}x + {:.3} (closed form {:.4}x + {:.3}; {} steps); the same line as Σ(wx + b − y)² + λ'w² with λ' = {}",
            f.lambda,
            f.trained.0,
            f.trained.1,
            f.exact.0,
            f.exact.1,
            f.steps,
            short(*l)
        )?;
    }
    let mut head = format!("{:<16} {:>6} {:>6} {:>6}", "", "split", "x", "y");
    for f in &o.fits {
        let _ = write!(head, " {:>11} {:>8}", format!("pred λ={}", f.lambda), "error");
    }
    outln!("{head}")?;
    for (i, name) in names.iter().enumerate() {
        let mut row = format!("{:<16} {:>6} {:>6} {:>6}", name, split(i), xs[i], ys[i]);
        for f in &o.fits {
            let _ = write!(row, " {:>11.1} {:>8.1}", f.predictions[i], f.predictions[i] - ys[i]);
        }
        outln!("{row}")?;
    }
    for f in &o.fits {
        outln!(
            "λ = {}: training MSE {:.2}, test MSE {:.2}",
            f.lambda,
            f.train_mse,
            f.test_mse
        )?;
    }
    Ok(())
}
