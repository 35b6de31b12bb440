//! How the step size decides gradient descent's fate: on a quadratic with largest curvature L,
//! the error along that direction is multiplied by `1 − ηL` each step, so
//!
//! | ηL | regime |
//! | --- | --- |
//! | < 0.2 | crawling: converges monotonically, but slowly (more than 0.8 of the error left per step) |
//! | 0.2 … 1 | converging monotonically (ηL = 1: in one step along that direction) |
//! | 1 … 2 | oscillating: the sign flips every step while the error shrinks |
//! | ≥ 2 | diverging: the error grows (at exactly 2/L it keeps its size, flipping forever) |
//!
//! and `2/L` is the critical step (Goodfellow, Bengio & Courville, *Deep Learning*, §4.3;
//! Nesterov 2018, §1.2.3). L is measured, not assumed: [`curvature`] runs the power method on
//! Hessian–vector products taken as differences of gradients, on any [`Problem`] — a 2-D
//! quadratic or the softmax objective of a data set.

use super::check_count;
use crate::data::Dataset;
use crate::data::batch::{BatchSize, Prepared};
use crate::data::preprocess::Scaling;
use crate::error::{Error, Result};
use crate::functions::TestFunction;
use crate::loss::{Loss, SoftmaxCrossEntropy};
use crate::model::{Architecture, Network};
use crate::objective::Objective;
use crate::optim::OptimizerParams;
use crate::problem::Problem;
use crate::regularizer::Regularizer;
use crate::schedule::{LrSchedule, Schedule};
use crate::train::{EpochReport, Flow, Observer, TrainParams, TrainState, Trainer};
use crate::trajectory::{self, Gradients};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// The four regimes of a step size η on a quadratic of largest curvature L.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Regime {
    /// ηL < 0.2.
    Crawling,
    /// 0.2 ≤ ηL ≤ 1.
    Converging,
    /// 1 < ηL < 2.
    Oscillating,
    /// ηL ≥ 2.
    Diverging,
}

impl Regime {
    /// The regime of step `lr` at largest curvature `l` (see the [module docs](self)).
    pub fn of(lr: f64, l: f64) -> Self {
        match lr * l {
            x if x < 0.2 => Regime::Crawling,
            x if x <= 1.0 => Regime::Converging,
            x if x < 2.0 => Regime::Oscillating,
            _ => Regime::Diverging,
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Regime::Crawling => "crawling",
            Regime::Converging => "converging",
            Regime::Oscillating => "oscillating",
            Regime::Diverging => "diverging",
        }
    }
}

/// The largest eigenvalue of the Hessian of `problem` (over all its rows) at `theta`, by
/// `iterations` steps of the power method from a seeded random direction: `v ← Hv/‖Hv‖`, with
/// `Hv ≈ (∇L(θ + hv) − ∇L(θ − hv)) / 2h`, `h = 10⁻⁴(1 + ‖θ‖)` (exact for a quadratic up to
/// rounding); returns the Rayleigh quotient `vᵀHv` of the last direction. For a convex
/// objective this is L, the curvature that fixes the critical step 2/L.
pub fn curvature<P: Problem<f64> + ?Sized>(problem: &mut P, theta: &[f64], iterations: usize, seed: u64) -> f64 {
    let n = theta.len();
    let rows: Vec<usize> = (0..problem.rows()).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut v: Vec<f64> = (0..n).map(|_| StandardNormal.sample(&mut rng)).collect();
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let h = 1e-4 * (1.0 + norm(theta));
    let (mut point, mut gp, mut gm) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    let mut lambda = 0.0;
    for _ in 0..iterations.max(1) {
        let size = norm(&v);
        if size == 0.0 {
            break;
        }
        v.iter_mut().for_each(|x| *x /= size);
        for (sign, g) in [(1.0, &mut gp), (-1.0, &mut gm)] {
            for ((p, t), d) in point.iter_mut().zip(theta).zip(&v) {
                *p = t + sign * h * d;
            }
            problem.value_and_grad(&point, &rows, g);
        }
        let hv: Vec<f64> = gp.iter().zip(&gm).map(|(a, b)| (a - b) / (2.0 * h)).collect();
        lambda = hv.iter().zip(&v).map(|(a, b)| a * b).sum();
        v = hv;
    }
    lambda
}

/// One step size's run.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// The step η.
    pub lr: f64,
    /// η as a multiple of the critical step 2/L.
    pub fraction: f64,
    /// Its regime by the curvature ([`Regime::of`]).
    pub regime: Regime,
    /// The objective at θ₀, θ₁, … (up to the divergence).
    pub objective: Vec<f64>,
    /// The path θ₀, θ₁, … (2-D problems only).
    pub path: Vec<[f64; 2]>,
    /// The step at which the objective stopped being finite (or left ±10¹²), if it did.
    pub diverged_at: Option<u64>,
}

/// The runs of one problem.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The measured largest curvature L at θ₀.
    pub curvature: f64,
    /// The critical step 2/L.
    pub critical: f64,
    /// One run per step size.
    pub runs: Vec<Run>,
}

/// Checks the step-size fractions (finite, > 0, at most 20) and the step count.
fn check(fractions: &[f64], steps: u64) -> Result<()> {
    if fractions.is_empty() {
        return Err(Error::param("fractions", "must list at least one step size"));
    }
    if let Some(f) = fractions.iter().find(|f| !(f.is_finite() && **f > 0.0 && **f <= 20.0)) {
        return Err(Error::param(
            "fractions",
            format!("must be numbers in (0, 20] (multiples of 2/L), got {f}"),
        ));
    }
    check_count("steps", steps as usize, 1, 100_000)?;
    Ok(())
}

/// Plain gradient descent on the 2-D function `f` from `start` for `steps` steps, at the step
/// sizes `fractions × 2/L`, L measured at `start` by [`curvature`] ([`trajectory::run`]
/// walks each path).
///
/// # Errors
/// [`Error::Param`] for fractions outside (0, 20], steps outside 1…100000, a bad start.
pub fn quadratic(f: &TestFunction, start: [f64; 2], fractions: &[f64], steps: u64) -> Result<Outcome> {
    check(fractions, steps)?;
    let mut problem = *f;
    let l = curvature(&mut problem, &start, 50, 0);
    if !(l.is_finite() && l > 0.0) {
        return Err(Error::param(
            "function",
            format!("{} has no positive curvature at the start (L = {l})", f.name()),
        ));
    }
    let sgd = OptimizerParams::named("sgd").build()?;
    let runs = fractions
        .iter()
        .map(|&fraction| {
            let lr = fraction * 2.0 / l;
            let schedule = LrSchedule::new(lr, Schedule::Constant, 0)?;
            let t = trajectory::run(f, &sgd, &schedule, start, steps, &Gradients::default())?;
            Ok(Run {
                lr,
                fraction,
                regime: Regime::of(lr, l),
                objective: t.points.iter().map(|p| p.1).collect(),
                path: t.points.iter().map(|p| p.0).collect(),
                diverged_at: t.diverged_at,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Outcome {
        curvature: l,
        critical: 2.0 / l,
        runs,
    })
}

/// Records the objective before each step.
struct Objectives(Vec<f64>);

impl Observer<f64> for Objectives {
    fn on_epoch(&mut self, report: &EpochReport, _params: &[f64], _state: &TrainState<f64>) -> Result<Flow> {
        self.0.push(report.objective);
        let diverging = !report.objective.is_finite() || report.objective.abs() > trajectory::DIVERGENCE_BOUND;
        Ok(if diverging { Flow::Stop } else { Flow::Continue })
    }
}

/// Full-batch gradient descent on the linear softmax objective of `data` (features
/// standardized), from W = 0, b = 0, for `steps` steps at `fractions × 2/L`, L measured at 0.
///
/// # Errors
/// As [`quadratic`]; [`Error::Data`] for data without classes.
pub fn softmax(data: &Dataset, fractions: &[f64], steps: u64, threads: usize) -> Result<Outcome> {
    check(fractions, steps)?;
    let loss = Loss::Softmax(SoftmaxCrossEntropy);
    let outputs = loss.outputs(data.task(), data.n_classes())?;
    let network = Network::new(data.n_features(), &Architecture::linear(), outputs)?;
    let objective = Objective {
        network,
        loss,
        class_weight: None,
        regularizer: Regularizer::none(),
    };
    let affine = Scaling::Standardize.fit(data);
    let prepared = Prepared { data, affine: &affine };
    let mut problem = objective.on::<f64, _>(&prepared);
    let zero = vec![0.0; objective.network.layout().len()];
    let l = curvature(&mut problem, &zero, 300, 0);
    let runs = fractions
        .iter()
        .map(|&fraction| {
            let lr = fraction * 2.0 / l;
            let config = TrainParams {
                epochs: steps,
                batch: BatchSize::Full,
                lr: Some(lr),
                threads,
                ..TrainParams::default()
            }
            .check()?;
            let mut theta = zero.clone();
            let mut state = TrainState::new(&config.strategy, theta.len());
            let mut seen = Objectives(Vec::new());
            let result = Trainer::new(&config).fit(&mut problem, None, &mut theta, &mut state, &mut seen);
            let mut objective = seen.0;
            let diverged_at = match result {
                Err(Error::Diverged(_)) => Some(state.step),
                Err(e) => return Err(e),
                Ok(_) if objective.last().is_some_and(|v| v.abs() > trajectory::DIVERGENCE_BOUND) => {
                    objective.pop();
                    Some(state.step)
                }
                Ok(_) => {
                    let rows: Vec<usize> = (0..problem.rows()).collect();
                    objective.push(problem.value(&theta, &rows).objective);
                    None
                }
            };
            Ok(Run {
                lr,
                fraction,
                regime: Regime::of(lr, l),
                objective,
                path: Vec::new(),
                diverged_at,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Outcome {
        curvature: l,
        critical: 2.0 / l,
        runs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiments::closed_form;

    /// ½(x² + 9y²) has curvatures 1 and 9: the power method finds L = 9, so 2/L = 2/9, and
    /// each run behaves as its regime says: just below 2/L the path shrinks while flipping
    /// sign in y, just above it grows, and a crawling step leaves most of the error.
    #[test]
    fn the_critical_step_is_two_over_the_measured_curvature() {
        let f = TestFunction::Ravine(9.0);
        let out = quadratic(&f, [1.0, 1.0], &[0.05, 0.45, 0.9, 1.1], 40).unwrap();
        assert!((out.curvature - 9.0).abs() < 1e-6, "{}", out.curvature);
        assert!((out.critical - 2.0 / 9.0).abs() < 1e-7);
        let regimes: Vec<Regime> = out.runs.iter().map(|r| r.regime).collect();
        use Regime::*;
        assert_eq!(regimes, [Crawling, Converging, Oscillating, Diverging]);
        let last = |r: &Run| *r.objective.last().unwrap();
        let f0 = out.runs[0].objective[0];
        // Crawling: 0.989 of the x error left per step, 0.64 of it after 40.
        let x = out.runs[0].path.last().unwrap()[0];
        assert!((x - (1.0 - 0.1f64 / 9.0).powi(40)).abs() < 1e-9, "{x}");
        // Converging: 0.9 of the x error left per step, 0.9⁴⁰ = 0.015 after 40.
        assert!(last(&out.runs[1]) < 1e-4 * f0);
        // Oscillating: y flips sign every step, and the value falls.
        let ys: Vec<f64> = out.runs[2].path.iter().map(|p| p[1]).collect();
        assert!(ys.windows(2).all(|w| w[0] * w[1] < 0.0));
        assert!(last(&out.runs[2]) < 1e-3 * f0);
        // Diverging: |1 − 1.1·2| = 1.2 per step in y.
        let y = out.runs[3].path.last().unwrap()[1];
        let want = 1.2f64.powi(40);
        assert!((y.abs() - want).abs() < 1e-9 * want, "{y}");
        assert!(last(&out.runs[3]) > f0);
    }

    /// At W = 0 the softmax objective's Hessian is (1/C)(I − 11ᵀ/C) ⊗ M with
    /// M = (1/N) Σ x̃x̃ᵀ (x̃ = (x, 1)), whose largest eigenvalue is λ_max(M)/C: the power
    /// method's L, against faer's eigenvalues of M.
    #[test]
    fn the_softmax_curvature_matches_its_closed_form_at_zero() {
        let digits = crate::data::digits::load().unwrap();
        let data = digits.subset(&(0..300).collect::<Vec<_>>());
        let affine = Scaling::Standardize.fit(&data);
        let d = data.n_features();
        let x: Vec<f64> = (0..data.len())
            .flat_map(|i| (0..d).map(move |j| (i, j)))
            .map(|(i, j)| ((data.value(i, j) as f32 - affine.shift()[j]) * affine.scale()[j]) as f64)
            .collect();
        let m = closed_form::gram(&x, d, true);
        let top = *closed_form::eigenvalues(&m, d + 1).unwrap().last().unwrap();
        let want = top / data.n_classes() as f64;
        let out = softmax(&data, &[0.5], 3, 1).unwrap();
        assert!(
            (out.curvature - want).abs() < 1e-3 * want,
            "{} against {want}",
            out.curvature
        );
        assert!(out.runs[0].objective.windows(2).all(|w| w[1] < w[0]));
    }

    #[test]
    fn bad_step_sizes_are_refused() {
        let f = TestFunction::Ravine(2.0);
        for fr in [vec![], vec![0.0], vec![f64::NAN], vec![25.0]] {
            assert!(quadratic(&f, [1.0, 1.0], &fr, 10).is_err());
        }
        let e = quadratic(&f, [1.0, 1.0], &[0.5], 0).unwrap_err();
        assert_eq!(e.to_string(), "steps must be between 1 and 100000, got 0");
    }
}
