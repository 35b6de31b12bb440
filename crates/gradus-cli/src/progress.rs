//! Training progress: a progress bar on a terminal, plain lines otherwise (both on stderr, so
//! stdout carries only results).

use gradus::train::{EpochReport, Flow, Observer, StepReport, TrainState};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

/// Reports each epoch's objective, accuracies and learning rate.
pub struct Progress {
    bar: Option<ProgressBar>,
    epochs: u64,
}

impl Progress {
    /// A reporter for a run of `epochs` epochs.
    pub fn new(epochs: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(1);
            let style = ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} batches {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
            bar.set_style(style);
            bar
        });
        Self { bar, epochs }
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

fn line(r: &EpochReport, epochs: u64) -> String {
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
    s + &format!("  lr {:.3e}  {:.2}s", r.lr, r.seconds)
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

    fn on_epoch(&mut self, r: &EpochReport, _: &[f32], _: &TrainState<f32>) -> gradus::Result<Flow> {
        match &self.bar {
            Some(b) => b.println(line(r, self.epochs)),
            None => eprintln!("{}", line(r, self.epochs)),
        }
        Ok(Flow::Continue)
    }
}
