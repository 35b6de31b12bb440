//! `gradus trajectory`: run update rules on a 2-D test function and show their paths, as CSV
//! (`step,x,y,f`, full precision), a contour plot or an animation.
//!
//! Three modes: one rule (`--optimizer`), several rules from the same start (`--compare`), or one
//! rule at several learning rates (`--lr-sweep`). A single run that diverges is an error, after
//! its rows so far are written; in the other modes a diverged path is labelled as such.

use super::{flag, optimizer_params};
use crate::args::TrajectoryArgs;
use crate::plot::{self, short};
use anyhow::{Result, bail};
use gradus::functions::TestFunction;
use gradus::modelfile;
use gradus::optim::{NAMES, Optimizer, OptimizerParams};
use gradus::schedule::{LrSchedule, Schedule};
use gradus::trajectory::{self, Trajectory};
use std::fmt::Write as _;

/// The most steps a run may take.
const MAX_STEPS: u64 = 1_000_000;

/// What the runs vary.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// One rule at one rate.
    Single,
    /// Several rules (`--compare`).
    Compare,
    /// One rule at several rates (`--lr-sweep`).
    Sweep,
}

/// One run: its rule, base rate and path.
struct Run {
    opt: Optimizer,
    lr: f64,
    path: Trajectory,
}

impl Run {
    /// The legend entry's name: rule and rate as the mode needs them (the plot adds f, or the
    /// step at which the run diverged).
    fn name(&self, mode: Mode) -> String {
        match mode {
            Mode::Single | Mode::Compare => format!("{} (lr {})", self.opt.name(), self.lr),
            Mode::Sweep => format!("lr {}", self.lr),
        }
    }
}

pub fn run(a: TrajectoryArgs) -> Result<()> {
    let f: TestFunction = a.function.parse()?;
    let start = parse_start(&a.start)?;
    if let Some(out) = &a.plot {
        plot::check_picture(out)?;
    }
    if let Some(out) = &a.animate {
        plot::check_animation(out)?;
    }
    if a.steps > MAX_STEPS {
        bail!("--steps must be at most {MAX_STEPS}, got {}", a.steps);
    }
    let schedule: Schedule = a.optim.schedule.parse()?;
    let flags = optimizer_params(&a.optim);
    let gradients = trajectory::Gradients {
        noise: a.noise,
        seed: a.seed,
        clip_norm: a.optim.clip_norm,
    };
    let go = |opt: Optimizer, lr: f64| -> Result<Run> {
        let rates = LrSchedule::new(lr, schedule.clone(), a.optim.warmup)?;
        let path = trajectory::run(&f, &opt, &rates, start, a.steps, &gradients)?;
        Ok(Run { opt, lr, path })
    };
    let (mode, runs) = match (&a.compare, &a.lr_sweep) {
        (Some(rules), _) => {
            let mut runs = Vec::new();
            for rule in list("--compare", rules)? {
                if !NAMES.contains(&rule) {
                    bail!("--compare must list rules from {}, got '{rule}'", NAMES.join(", "));
                }
                let opt = applicable(&flags, rule).build()?;
                let lr = a.optim.lr.unwrap_or_else(|| opt.torch_lr());
                runs.push(go(opt, lr)?);
            }
            (Mode::Compare, runs)
        }
        (None, Some(rates)) => {
            let opt = flags.build()?;
            let mut runs = Vec::new();
            for rate in list("--lr-sweep", rates)? {
                match rate.parse::<f64>() {
                    Ok(lr) if lr.is_finite() && lr > 0.0 => runs.push(go(opt.clone(), lr)?),
                    _ => bail!("--lr-sweep must be learning rates > 0 separated by commas, got '{rate}'"),
                }
            }
            (Mode::Sweep, runs)
        }
        (None, None) => {
            let opt = flags.build()?;
            let lr = a.optim.lr.unwrap_or_else(|| opt.torch_lr());
            (Mode::Single, vec![go(opt, lr)?])
        }
    };

    for run in &runs {
        let ([x, y], v) = run.path.last();
        let end = match run.path.diverged_at {
            // A single run's divergence is the error at the end.
            Some(_) if mode == Mode::Single => continue,
            Some(k) => format!("diverged at step {k}"),
            None => format!(
                "{} steps, ends at ({}, {}) with f = {}",
                a.steps,
                short(x),
                short(y),
                short(v)
            ),
        };
        eprintln!("gradus: {} on {}, lr {}: {end}", run.opt.describe(), f.name(), run.lr);
    }
    // The rows go to --csv; to stdout only when nothing else was asked for (a plot or an
    // animation shows the paths, and the summary above gives their ends).
    let text = csv(mode, &runs);
    match &a.csv {
        Some(out) => modelfile::write_atomically(out, text.as_bytes())?,
        None if a.plot.is_none() && a.animate.is_none() => crate::output::write(&text)?,
        None => {}
    }
    let title = title(&f, mode, &runs, &a, start, &schedule);
    let paths: Vec<plot::Path> = runs
        .iter()
        .map(|run| plot::Path {
            name: run.name(mode),
            points: run.path.points.iter().map(|&(p, _)| p).collect(),
            values: run.path.points.iter().map(|&(_, v)| v).collect(),
            diverged_at: run.path.diverged_at,
        })
        .collect();
    if let Some(out) = &a.plot {
        plot::contour_with_paths(&f, &paths, &title, out)?;
    }
    if let Some(out) = &a.animate {
        plot::animate(&f, &paths, &title, out)?;
    }
    if let (Mode::Single, Some(run)) = (mode, runs.first())
        && let Some(k) = run.path.diverged_at
    {
        let lr = run.path.lrs.last().copied().unwrap_or(run.lr);
        let advice = if f.minima().is_empty() {
            format!("the {} is unbounded below", f.name())
        } else {
            "try a smaller --lr".into()
        };
        bail!(
            "{} on {} diverged at step {k} (lr {lr}); {advice}",
            run.opt.name(),
            f.name()
        );
    }
    Ok(())
}

/// Parses `--start X,Y`.
fn parse_start(s: &str) -> Result<[f64; 2]> {
    let coords: Vec<Option<f64>> = s
        .split(',')
        .map(|c| c.trim().parse::<f64>().ok().filter(|v| v.is_finite()))
        .collect();
    match coords[..] {
        [Some(x), Some(y)] => Ok([x, y]),
        _ => bail!("--start must be two finite numbers X,Y (e.g. --start=-1.5,2), got '{s}'"),
    }
}

/// The comma-separated items of `flag`'s value, checked to be distinct and non-empty.
fn list<'s>(flag: &str, s: &'s str) -> Result<Vec<&'s str>> {
    let items: Vec<&str> = s.split(',').map(str::trim).collect();
    for (k, item) in items.iter().enumerate() {
        if item.is_empty() {
            bail!("{flag} must be a comma-separated list, got '{s}'");
        }
        if items[..k].contains(item) {
            bail!("{flag} lists {item} twice");
        }
    }
    Ok(items)
}

/// The rule `name` with those of the given rule flags that apply to it; the others are left
/// out, with a note.
fn applicable(flags: &OptimizerParams, name: &str) -> OptimizerParams {
    let (p, dropped) = flags.for_rule(name);
    let dropped: Vec<String> = dropped.iter().map(|h| flag(h)).collect();
    if !dropped.is_empty() {
        let (verb, them) = if dropped.len() == 1 {
            ("does", "it")
        } else {
            ("do", "them")
        };
        eprintln!(
            "gradus: note: {} {verb} not apply to {name}, which runs without {them}",
            dropped.join(", ")
        );
    }
    p
}

/// The rows: `step,x,y,f`, after the rule (`--compare`) or the rate (`--lr-sweep`).
fn csv(mode: Mode, runs: &[Run]) -> String {
    let mut text = String::from(match mode {
        Mode::Single => "step,x,y,f\n",
        Mode::Compare => "optimizer,step,x,y,f\n",
        Mode::Sweep => "lr,step,x,y,f\n",
    });
    for run in runs {
        for (k, ([x, y], v)) in run.path.points.iter().enumerate() {
            match mode {
                Mode::Single => {}
                Mode::Compare => {
                    let _ = write!(text, "{},", run.opt.name());
                }
                Mode::Sweep => {
                    let _ = write!(text, "{},", run.lr);
                }
            }
            let _ = writeln!(text, "{k},{x},{y},{v}");
        }
    }
    text
}

/// The plot's title: function, rules, steps, start, and the schedule and noise when used.
fn title(
    f: &TestFunction,
    mode: Mode,
    runs: &[Run],
    a: &TrajectoryArgs,
    [x, y]: [f64; 2],
    schedule: &Schedule,
) -> String {
    let rules = match (mode, runs.first()) {
        (Mode::Compare, _) => format!("{} rules", runs.len()),
        (_, Some(run)) => run.opt.name().to_string(),
        (_, None) => String::new(),
    };
    let mut title = format!("{}: {rules}, {} steps from ({x}, {y})", f.name(), a.steps);
    if *schedule != Schedule::Constant {
        let _ = write!(title, ", {schedule}");
    }
    if a.optim.warmup > 0 {
        let _ = write!(title, ", warm-up {}", a.optim.warmup);
    }
    if a.noise > 0.0 {
        let _ = write!(title, ", noise σ = {}", a.noise);
    }
    title
}
