//! `gradus schedule`: a learning-rate schedule tick by tick, as CSV (`step,lr`) or a plot.
//!
//! Each tick t = 0 … N−1 is one epoch and one optimizer step, as in a trajectory: the rate is
//! `lr(epoch = t, epochs = N, step = t, rows = t)`.

use crate::args::ScheduleArgs;
use crate::plot;
use anyhow::{Result, bail};
use gradus::modelfile;
use gradus::schedule::{LrSchedule, PlateauState, Schedule};
use std::fmt::Write as _;

/// The most ticks shown.
const MAX_STEPS: u64 = 1_000_000;

pub fn run(a: ScheduleArgs) -> Result<()> {
    let schedule: Schedule = a.schedule.parse()?;
    if matches!(schedule, Schedule::Plateau { .. } | Schedule::Adaptive { .. }) {
        bail!(
            "--schedule {schedule} follows the training loss, which `gradus schedule` does not have; try it with `gradus trajectory`"
        );
    }
    if !(1..=MAX_STEPS).contains(&a.steps) {
        bail!("--steps must be between 1 and {MAX_STEPS}, got {}", a.steps);
    }
    if let Some(out) = &a.plot {
        plot::check_picture(out)?;
    }
    let rates = LrSchedule::new(a.lr, schedule.clone(), a.warmup)?;
    let plateau = PlateauState::default();
    let lrs: Vec<(f64, f64)> = (0..a.steps)
        .map(|t| (t as f64, rates.lr(t, a.steps, t, 1, t, &plateau)))
        .collect();

    let mut text = String::from("step,lr\n");
    for &(t, lr) in &lrs {
        let _ = writeln!(text, "{t},{lr}");
    }
    match &a.csv {
        Some(out) => modelfile::write_atomically(out, text.as_bytes())?,
        None => crate::output::write(&text)?,
    }
    if let Some(out) = &a.plot {
        let (lo, hi) = lrs
            .iter()
            .fold((f64::INFINITY, 0.0_f64), |(lo, hi), &(_, lr)| (lo.min(lr), hi.max(lr)));
        // Decays over orders of magnitude read best on a log scale; cosine is drawn as it is.
        let log_y = schedule != Schedule::Cosine && lo > 0.0 && hi / lo > 100.0;
        let mut title = format!("learning rate: {schedule} from lr {}", a.lr);
        if a.warmup > 0 {
            let _ = write!(title, ", warm-up {}", a.warmup);
        }
        let _ = write!(title, ", {} steps", a.steps);
        plot::line_chart(&title, "step", "learning rate", &[(String::new(), lrs)], log_y, out)?;
    }
    Ok(())
}
