//! Training progress: a progress bar on a terminal, plain lines otherwise (both on stderr, so
//! stdout carries only results); and interruptions: SIGINT (Ctrl-C) and SIGTERM ask training to
//! stop between two steps, a second one ends the process at once.

use gradus::train::{EpochReport, Flow, Observer, StepReport, TrainState};
use indicatif::{ProgressBar, ProgressStyle};
use signal_hook::consts::{SIGINT, SIGKILL, SIGTERM};
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Reports each epoch's objective, accuracies and learning rate, and asks training to stop
/// after a SIGINT or SIGTERM.
pub struct Progress {
    bar: Option<ProgressBar>,
    epochs: u64,
    signal: Arc<AtomicUsize>,
    /// Whether the steps are a search's trials (no learning rate to show).
    trials: bool,
    /// The step after which the process kills itself ([`KILL_AT_STEP`]).
    kill_at: Option<u64>,
}

/// A hook for the crash tests: with `GRADUS_KILL_AT_STEP=N` in the environment, the process
/// sends itself SIGKILL right after optimizer step N, before any checkpoint of that step is
/// written, as a crash or `kill -9` would (a value that is not a number is ignored).
pub const KILL_AT_STEP: &str = "GRADUS_KILL_AT_STEP";

/// Training stopped at a signal, after saving what was asked for; the process exits with
/// 128 + the signal's number (130 for SIGINT, 143 for SIGTERM).
#[derive(Debug)]
pub struct Interrupted(pub i32);

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "interrupted by signal {}", self.0)
    }
}

impl std::error::Error for Interrupted {}

impl Progress {
    /// A reporter for a run of `epochs` epochs, watching for SIGINT and SIGTERM.
    pub fn new(epochs: u64) -> std::io::Result<Self> {
        let signal = Arc::new(AtomicUsize::new(0));
        let second = Arc::new(AtomicBool::new(false));
        for sig in [SIGINT, SIGTERM] {
            // A second signal ends the process at once (registered first: it sees the flag the
            // first signal sets).
            signal_hook::flag::register_conditional_shutdown(sig, 128 + sig, Arc::clone(&second))?;
            signal_hook::flag::register(sig, Arc::clone(&second))?;
            signal_hook::flag::register_usize(sig, Arc::clone(&signal), sig as usize)?;
        }
        let bar = std::io::stderr().is_terminal().then(|| ProgressBar::new(1));
        let progress = Self {
            bar,
            epochs,
            signal,
            trials: false,
            kill_at: std::env::var(KILL_AT_STEP).ok().and_then(|v| v.parse().ok()),
        };
        progress.style("batches");
        Ok(progress)
    }

    /// The same reporter, counting what `strategy`'s steps are: batches, or a search's trials.
    pub fn counting(mut self, strategy: &gradus::train::Strategy) -> Self {
        self.trials = strategy.search().is_some();
        self.style(if self.trials { "trials" } else { "batches" });
        self
    }

    fn style(&self, steps: &str) {
        if let Some(bar) = &self.bar {
            let style = ProgressStyle::with_template(&format!(
                "epoch {{prefix}} [{{bar:30}}] {{pos}}/{{len}} {steps} {{msg}}"
            ))
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
        }
    }

    /// The same reporter showing bytes read out of `total` (a streamed run) instead of batches.
    pub fn reading(self, total: u64) -> Self {
        if let Some(bar) = &self.bar {
            let style = ProgressStyle::with_template("read [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
            bar.set_style(style);
            bar.set_length(total);
        }
        self
    }

    /// Shows `bytes` read so far.
    pub fn read(&self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(bytes);
        }
    }

    /// The signal that asked training to stop, if one did.
    pub fn interrupted(&self) -> Option<Interrupted> {
        match self.signal.load(Ordering::Relaxed) {
            0 => None,
            sig => Some(Interrupted(sig as i32)),
        }
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

fn line(r: &EpochReport, epochs: u64, trials: bool) -> String {
    let mut s = format!("epoch {:>3}/{epochs}  objective {:.5}", r.epoch, r.objective);
    if let Some(a) = r.train_accuracy {
        s += &format!("  train acc {a:.4}");
    }
    if let Some(l) = r.val_loss {
        s += &format!("  val loss {l:.5}");
    }
    if let Some(a) = r.val_accuracy {
        s += &format!("  val acc {a:.4}");
    }
    if let Some(g) = r.grad_norm {
        s += &format!("  |grad| {g:.3e}");
    }
    if !trials {
        s += &format!("  lr {:.3e}", r.lr);
    }
    s + &format!("  {:.2}s", r.seconds)
}

impl Observer for Progress {
    fn on_step(&mut self, r: &StepReport) {
        if let Some(b) = &self.bar {
            if r.batch == 1 {
                b.set_length(r.batches as u64);
                b.set_prefix(format!("{}/{}", r.epoch, self.epochs));
            }
            b.set_position(r.batch as u64);
        }
    }

    fn on_params(&mut self, _: &[f32], state: &TrainState<f32>) -> gradus::Result<()> {
        if self.kill_at == Some(state.step) {
            // SIGKILL cannot be caught: nothing after this runs.
            signal_hook::low_level::raise(SIGKILL).map_err(|e| gradus::Error::data(e.to_string()))?;
        }
        Ok(())
    }

    /// The parameters are never read (the test hook above only counts steps).
    fn wants_params(&self, _: &TrainState<f32>) -> bool {
        false
    }

    fn stop_requested(&mut self) -> bool {
        self.signal.load(Ordering::Relaxed) != 0
    }

    fn on_epoch(&mut self, r: &EpochReport, _: &[f32], _: &TrainState<f32>) -> gradus::Result<Flow> {
        match &self.bar {
            Some(b) => b.println(line(r, self.epochs, self.trials)),
            None => eprintln!("{}", line(r, self.epochs, self.trials)),
        }
        Ok(Flow::Continue)
    }
}
