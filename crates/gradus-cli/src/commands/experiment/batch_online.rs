//! `gradus experiment batch-vs-online`.

use super::{Out, load};
use crate::args::BatchOnlineArgs;
use crate::output::outln;
use crate::plot::{Chart, Series, short};
use anyhow::Result;
use gradus::experiments::batch_online::{self, Params};
use std::fmt::Write as _;

pub fn run(a: BatchOnlineArgs) -> Result<()> {
    let out = Out::new(&a.common, "batch-vs-online")?;
    let data = load(&a.data, None)?.train;
    let p = Params {
        distinct: a.distinct,
        copies: a.copies,
        epochs: a.epochs,
        minibatch: a.minibatch,
        lr: a.lr,
        seed: a.common.seed,
        ..Params::default()
    };
    let o = batch_online::run(&data, &p)?;
    let mut text = String::from("method,batch,examples,objective\n");
    for c in &o.curves {
        for (e, v) in &c.points {
            let _ = writeln!(text, "\"{}\",{},{e},{v}", c.name, c.batch);
        }
    }
    out.csv("", &text)?;
    let series: Vec<Series> = o
        .curves
        .iter()
        .enumerate()
        .map(|(k, c)| {
            Series::line(
                c.name.clone(),
                c.points.iter().map(|&(e, v)| (e as f64, v)).collect(),
                k,
                k,
            )
        })
        .collect();
    let title = format!(
        "{} copies of {} {} examples: objective against examples processed (η = {})",
        a.copies,
        a.distinct,
        a.data,
        short(o.lr)
    );
    out.chart(
        "",
        &Chart {
            title: &title,
            x_label: "examples processed",
            y_label: "objective (softmax cross-entropy)",
            series: &series,
            marks: &[],
            log_x: false,
            log_y: true,
        },
    )?;
    outln!(
        "{} rows ({} copies of {} distinct), step η = {} (1/L = {}), objective at 0 = {}",
        o.rows,
        a.copies,
        a.distinct,
        short(o.lr),
        short(1.0 / o.curvature),
        short(o.curves[0].points[0].1)
    )?;
    let n = o.rows as u64;
    outln!(
        "{:<40} {:>14} {:>14}",
        "objective after",
        "1 epoch",
        format!("{} epochs", a.epochs)
    )?;
    for c in &o.curves {
        outln!(
            "{:<40} {:>14} {:>14}",
            c.name,
            short(c.at(n)),
            short(c.at(n * a.epochs))
        )?;
    }
    Ok(())
}
