//! Update rules on 2-D test functions: the path θ₀, θ₁, … an optimizer takes.
//!
//! [`run`] applies an [`Optimizer`] to a [`TestFunction`] from a start point θ₀, in `f64`
//! throughout. Step k (1-based) is
//!
//! ```text
//! α_{k−1} = schedule.lr(epoch = k−1, epochs = steps, step = k−1, steps_per_epoch = 1)
//! g_k     = ∇f(θ_{k−1}) + σ ε_k,        ε_k ~ N(0, I₂)  (ε_k = 0 when σ = 0)
//! θ_k     = rule(θ_{k−1}, g_k, α_{k−1})
//! ```
//!
//! so every step is one "epoch" of the schedule (see [`crate::schedule`]), and the `plateau`
//! schedule watches f(θ_k) after each step. The noise σ ε_k mimics the error of a minibatch
//! gradient; step k's two draws (x, then y) come from ChaCha8 stream k − 1 of `seed`
//! ([`GaussianNoise`](crate::train::GaussianNoise)), so a seed gives the same path on every
//! platform.
//!
//! A path **diverges** at step K when θ_K has a non-finite coordinate, or f(θ_K) is not finite
//! or |f(θ_K)| > [`DIVERGENCE_BOUND`]; the run then stops, keeping θ₀ … θ_{K−1}.

use crate::data::batch::BatchSize;
use crate::functions::TestFunction;
use crate::optim::Optimizer;
use crate::schedule::LrSchedule;
use crate::train::{EpochReport, Flow, Observer, StepReport, TrainParams, TrainState, Trainer};
use crate::{Error, Result};

/// |f| beyond which a path counts as diverged (10¹²).
pub const DIVERGENCE_BOUND: f64 = 1e12;

/// The path of one run.
#[derive(Clone, Debug, PartialEq)]
pub struct Trajectory {
    /// (θ_k, f(θ_k)) for k = 0 (the start), 1, …: one entry after each step that stayed
    /// finite, so `steps + 1` entries for a run that did not diverge, K for one that diverged at
    /// step K. Never empty.
    pub points: Vec<([f64; 2], f64)>,
    /// α_k, the learning rate of step k + 1 (the one from `points[k]` to `points[k + 1]`): one
    /// per step attempted, the diverging step included.
    pub lrs: Vec<f64>,
    /// The step K (≥ 1) at which the path diverged, if it did.
    pub diverged_at: Option<u64>,
}

impl Trajectory {
    /// The last point kept and its value: θ_steps, or θ_{K−1} for a path that diverged at K
    /// (NaNs for an empty `points`, which [`run`] never returns).
    pub fn last(&self) -> ([f64; 2], f64) {
        self.points.last().copied().unwrap_or(([f64::NAN; 2], f64::NAN))
    }
}

/// Whether θ and f(θ) are within the finite range a path may stay in.
fn in_range([x, y]: [f64; 2], value: f64) -> bool {
    x.is_finite() && y.is_finite() && value.is_finite() && value.abs() <= DIVERGENCE_BOUND
}

/// What happens to each gradient before the update, as in training
/// ([`Chain::from_config`](crate::train::Chain::from_config)): `g ← g + ε` with
/// `ε ~ N(0, noise²·I)` ([`GaussianNoise`](crate::train::GaussianNoise), to mimic minibatch
/// noise), then, with `clip_norm = C`, `g ← g · min(1, C/(‖g‖ + 1e-6))`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Gradients {
    /// Standard deviation of the added noise (0: none).
    pub noise: f64,
    /// Seed of the noise.
    pub seed: u64,
    /// Bound on the gradient's norm.
    pub clip_norm: Option<f64>,
}

/// Runs `opt` on `f` for `steps` steps from `start`, with the rates of `schedule` and the
/// gradients perturbed as `gradients` says; see the [module docs](self) for the recurrence.
/// Stops early, with [`Trajectory::diverged_at`] set, when the path diverges.
///
/// The path is the training loop's own: a [`Trainer`] over `f` as a one-row [`Problem`](crate::problem::Problem), one
/// step per epoch, with `f` as its validation set too, so that the `plateau` schedule watches
/// f(θ_k).
///
/// # Errors
/// [`Error::Param`]: `start` when a coordinate is not finite or f(start) is already out of
/// range (|f| > [`DIVERGENCE_BOUND`]), `noise` when `noise` is not finite and ≥ 0, `clip_norm`
/// when the bound is not finite and > 0.
pub fn run(
    f: &TestFunction,
    opt: &Optimizer,
    schedule: &LrSchedule,
    start: [f64; 2],
    steps: u64,
    gradients: &Gradients,
) -> Result<Trajectory> {
    let [x0, y0] = start;
    if !(x0.is_finite() && y0.is_finite()) {
        return Err(Error::param("start", format!("must be finite, got {x0},{y0}")));
    }
    let f0 = f.value(start);
    if !in_range(start, f0) {
        return Err(Error::param(
            "start",
            format!(
                "is too far out for {}: f = {f0:.3e} there, beyond ±{DIVERGENCE_BOUND:e}",
                f.name()
            ),
        ));
    }
    let mut config = TrainParams {
        epochs: steps.max(1),
        batch: BatchSize::Full,
        lr: Some(schedule.base_lr),
        optimizer: opt.clone().into(),
        schedule: schedule.schedule.clone(),
        warmup: schedule.warmup,
        clip_norm: gradients.clip_norm,
        noise: Some(gradients.noise),
        seed: gradients.seed,
        ..TrainParams::default()
    }
    .check()?;
    config.epochs = steps;
    // Room for the whole path, up to a bound so that a huge `steps` does not reserve memory
    // before the first step.
    let room = usize::try_from(steps).map_or(1 << 20, |s| s.min(1 << 20));
    let mut path = Recorder {
        points: Vec::with_capacity(room + 1),
        lrs: Vec::with_capacity(room),
        diverged_at: None,
    };
    path.points.push((start, f0));
    let mut theta = start;
    let mut state = TrainState::new(&config.strategy, 2);
    let (mut train, mut watch) = (*f, *f);
    match Trainer::new(&config).fit(&mut train, Some(&mut watch), &mut theta, &mut state, &mut path) {
        Ok(_) => {}
        Err(Error::Diverged(_)) => path.diverged_at = Some(state.step),
        Err(e) => return Err(e),
    }
    Ok(Trajectory {
        points: path.points,
        lrs: path.lrs,
        diverged_at: path.diverged_at,
    })
}

/// Records the path as the trainer reports it, and stops it where it leaves the range.
struct Recorder {
    points: Vec<([f64; 2], f64)>,
    lrs: Vec<f64>,
    diverged_at: Option<u64>,
}

impl Observer<f64> for Recorder {
    fn on_step(&mut self, report: &StepReport) {
        self.lrs.push(report.lr);
    }
    fn on_epoch(&mut self, report: &EpochReport, params: &[f64], state: &TrainState<f64>) -> Result<Flow> {
        let theta = [params[0], params[1]];
        let value = report.val_loss.unwrap_or(f64::NAN);
        if !in_range(theta, value) {
            self.diverged_at = Some(state.step);
            return Ok(Flow::Stop);
        }
        self.points.push((theta, value));
        Ok(Flow::Continue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::OptimizerParams;
    use crate::schedule::Schedule;

    fn opt(name: &str) -> Optimizer {
        OptimizerParams::named(name).build().unwrap()
    }

    fn constant(lr: f64) -> LrSchedule {
        LrSchedule::new(lr, Schedule::Constant, 0).unwrap()
    }

    #[test]
    fn adam_on_booth_converges_to_the_minimum() {
        let t = run(
            &TestFunction::Booth,
            &opt("adam"),
            &constant(0.1),
            [-8.0, 8.0],
            2000,
            &Gradients {
                noise: 0.0,
                seed: 0,
                clip_norm: None,
            },
        )
        .unwrap();
        assert_eq!(t.points.len(), 2001);
        assert_eq!(t.lrs, vec![0.1; 2000]);
        assert_eq!(t.diverged_at, None);
        assert_eq!(t.points[0], ([-8.0, 8.0], TestFunction::Booth.value([-8.0, 8.0])));
        let ([x, y], value) = t.last();
        assert!((x - 1.0).abs() < 1e-3 && (y - 3.0).abs() < 1e-3, "({x}, {y})");
        assert!(value < 1e-6, "{value}");
    }

    /// Goodfellow et al., Alg. 8.3 by hand on ravine:1 (f = ½(x² + y²), ∇f = θ), μ = 0.9,
    /// α = 0.1, from (1, −2), in x: look-ahead 1, g = 1, v = −0.1, x = 0.9; look-ahead
    /// 0.9 − 0.09 = 0.81, v = −0.09 − 0.081 = −0.171, x = 0.729; look-ahead 0.729 − 0.1539 =
    /// 0.5751, v = −0.1539 − 0.05751 = −0.21141, x = 0.51759 (y = −2x throughout). torch's
    /// Nesterov visits the look-ahead points instead: 0.81, 0.5751, …
    #[test]
    fn textbook_nesterov_takes_its_gradient_at_the_look_ahead_point() {
        use crate::optim::{Convention, OptimizerParams};
        let book = OptimizerParams {
            convention: Some(Convention::Textbook),
            ..OptimizerParams::named("nesterov")
        }
        .build()
        .unwrap();
        let go = |opt: &Optimizer, steps| {
            let t = run(
                &TestFunction::Ravine(1.0),
                opt,
                &constant(0.1),
                [1.0, -2.0],
                steps,
                &Gradients::default(),
            )
            .unwrap();
            t.points.iter().map(|&(p, _)| p).collect::<Vec<[f64; 2]>>()
        };
        let near = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1.0);
        let path = go(&book, 3);
        for (p, x) in path.iter().zip([1.0, 0.9, 0.729, 0.51759]) {
            assert!(near(p[0], x) && near(p[1], -2.0 * x), "{path:?}");
        }
        let torch = go(&opt("nesterov"), 3);
        assert!(near(torch[1][0], 0.81) && near(torch[2][0], 0.5751), "{torch:?}");
        // Over a long run: torch's θ_k is the textbook's θ_k + μv_k = θ_k + μ(θ_k − θ_{k−1}).
        let (book, torch) = (go(&book, 60), go(&opt("nesterov"), 60));
        for k in 1..=60 {
            for i in 0..2 {
                let ahead = book[k][i] + 0.9 * (book[k][i] - book[k - 1][i]);
                assert!(near(torch[k][i], ahead), "step {k}: {} vs {ahead}", torch[k][i]);
            }
        }
    }

    #[test]
    fn tiny_steps_fall_short() {
        let start = [1.5, 1.5];
        let f0 = TestFunction::Bowl.value(start);
        let t = run(
            &TestFunction::Bowl,
            &opt("sgd"),
            &constant(1e-4),
            start,
            100,
            &Gradients {
                noise: 0.0,
                seed: 0,
                clip_norm: None,
            },
        )
        .unwrap();
        let (_, value) = t.last();
        // Each step shrinks f by at most a factor (1 − 3α)² along the steepest direction.
        assert!(value < f0 && value > 0.9 * f0, "{value} vs {f0}");
    }

    #[test]
    fn plain_sgd_matches_the_closed_form() {
        // On ravine:K, sgd multiplies x by (1 − α) and y by (1 − αK) each step.
        let (lr, k) = (0.05, 4.0);
        let t = run(
            &TestFunction::Ravine(k),
            &opt("sgd"),
            &constant(lr),
            [2.0, -1.0],
            10,
            &Gradients {
                noise: 0.0,
                seed: 0,
                clip_norm: None,
            },
        )
        .unwrap();
        let ([x, y], _) = t.last();
        assert!((x - 2.0 * (1.0 - lr).powi(10)).abs() < 1e-14);
        assert!((y + (1.0 - lr * k).powi(10)).abs() < 1e-14);
    }

    #[test]
    fn divergence_is_detected_and_the_path_kept() {
        // y ← y(1 − 0.2·20) = −3y: f grows ninefold per step.
        let t = run(
            &TestFunction::Ravine(20.0),
            &opt("sgd"),
            &constant(0.2),
            [1.0, 1.0],
            100,
            &Gradients {
                noise: 0.0,
                seed: 0,
                clip_norm: None,
            },
        )
        .unwrap();
        let k = t.diverged_at.expect("diverges");
        // 10·9^k > 1e12 first at k = 12.
        assert_eq!(k, 12);
        assert_eq!(t.points.len() as u64, k);
        assert_eq!(t.lrs.len() as u64, k);
        assert!(t.points.iter().all(|&(p, v)| in_range(p, v)));
    }

    #[test]
    fn schedule_and_plateau_drive_the_rates() {
        let s = LrSchedule::new(0.1, "step:3,0.5".parse().unwrap(), 0).unwrap();
        let t = run(
            &TestFunction::Bowl,
            &opt("sgd"),
            &s,
            [1.0, 1.0],
            7,
            &Gradients {
                noise: 0.0,
                seed: 0,
                clip_norm: None,
            },
        )
        .unwrap();
        assert_eq!(t.lrs, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025]);
        // On ravine:20 a rate of 0.11 overshoots (y ← −1.2y), so f(θ₂) > f(θ₁) and plateau:0
        // halves the rate; at 0.055 the steps improve again.
        let s = LrSchedule::new(0.11, "plateau:0,0.5".parse().unwrap(), 0).unwrap();
        let f = TestFunction::Ravine(20.0);
        let t = run(
            &f,
            &opt("sgd"),
            &s,
            [0.0, 1.0],
            4,
            &Gradients {
                noise: 0.0,
                seed: 0,
                clip_norm: None,
            },
        )
        .unwrap();
        assert_eq!(t.lrs, [0.11, 0.11, 0.055, 0.055]);
    }

    #[test]
    fn clipping_bounds_every_step() {
        // On bowl from (3, 3), ‖∇f‖ = 9√2; clipped to 1, sgd with lr 0.1 moves 0.1 per step.
        let clip = Gradients {
            clip_norm: Some(1.0),
            ..Gradients::default()
        };
        let t = run(&TestFunction::Bowl, &opt("sgd"), &constant(0.1), [3.0, 3.0], 1, &clip).unwrap();
        let ([x, y], _) = t.last();
        assert!(((3.0 - x).hypot(3.0 - y) - 0.1).abs() < 1e-6, "{x} {y}");
        let bad = Gradients {
            clip_norm: Some(0.0),
            ..Gradients::default()
        };
        let e = run(&TestFunction::Bowl, &opt("sgd"), &constant(0.1), [3.0, 3.0], 1, &bad).unwrap_err();
        assert!(e.to_string().starts_with("clip_norm"), "{e}");
    }

    #[test]
    fn noise_is_seeded() {
        let go = |noise, seed| {
            run(
                &TestFunction::Rosenbrock,
                &opt("adam"),
                &constant(0.01),
                [-1.5, 2.0],
                50,
                &Gradients {
                    noise,
                    seed,
                    clip_norm: None,
                },
            )
            .unwrap()
        };
        assert_eq!(go(0.5, 7), go(0.5, 7));
        assert_ne!(go(0.5, 7), go(0.5, 8));
        assert_ne!(go(0.5, 7), go(0.0, 7));
        // Without noise the seed does not matter.
        assert_eq!(go(0.0, 7), go(0.0, 8));
    }

    #[test]
    fn bad_inputs_are_errors() {
        let go = |start, noise| {
            run(
                &TestFunction::Rosenbrock,
                &opt("sgd"),
                &constant(0.01),
                start,
                5,
                &Gradients {
                    noise,
                    seed: 0,
                    clip_norm: None,
                },
            )
            .map(|_| ())
            .unwrap_err()
            .to_string()
        };
        assert_eq!(go([f64::NAN, 0.0], 0.0), "start must be finite, got NaN,0");
        assert_eq!(
            go([1e4, 0.0], 0.0),
            "start is too far out for rosenbrock: f = 1.000e18 there, beyond ±1e12"
        );
        assert_eq!(go([0.0, 0.0], -1.0), "noise must be a finite number ≥ 0, got -1");
        assert_eq!(
            go([0.0, 0.0], f64::INFINITY),
            "noise must be a finite number ≥ 0, got inf"
        );
        // Zero steps: just the start.
        let t = run(
            &TestFunction::Bowl,
            &opt("sgd"),
            &constant(0.1),
            [1.0, 0.0],
            0,
            &Gradients {
                noise: 0.0,
                seed: 0,
                clip_norm: None,
            },
        )
        .unwrap();
        assert_eq!(t.points, [([1.0, 0.0], 1.0)]);
        assert!(t.lrs.is_empty());
    }
}
