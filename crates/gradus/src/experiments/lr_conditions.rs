//! What the Robbins–Monro conditions Σηₜ = ∞, Σηₜ² < ∞ buy (Robbins & Monro 1951; Bottou,
//! Curtis & Nocedal 2018, Theorems 4.6–4.7): single-example SGD on a linear least-squares
//! problem with label noise, where the gradient stays noisy at the optimum.
//!
//! | schedule | ηₜ | Σηₜ | Σηₜ² | what SGD does |
//! | --- | --- | --- | --- | --- |
//! | constant | η₀ | ∞ | ∞ | stalls in a noise ball of size ∝ η₀ |
//! | 1/t | η₀ t₀/(t₀ + t) | ∞ | < ∞ | converges, excess loss ∝ 1/t |
//! | 1/√t | η₀ √(t₀/(t₀ + t)) | ∞ | ∞ | creeps down, ∝ 1/√t |
//!
//! The excess objective `L(θₜ) − L(θ*)` is measured against the least-squares optimum θ*
//! ([`closed_form::ridge`] at λ = 0).

use super::{check_count, check_positive, closed_form, regression_set, round};
use crate::data::Affine;
use crate::data::batch::{BatchSize, Prepared, Sampling};
use crate::error::Result;
use crate::loss::{Loss, Squared};
use crate::model::{Architecture, Network};
use crate::objective::Objective;
use crate::problem::Problem;
use crate::regularizer::Regularizer;
use crate::train::{TrainParams, TrainState, Trainer};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// A step-size schedule by step t (0-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decay {
    /// ηₜ = η₀.
    Constant,
    /// ηₜ = η₀ t₀/(t₀ + t).
    InverseT,
    /// ηₜ = η₀ √(t₀/(t₀ + t)).
    InverseSqrtT,
}

impl Decay {
    /// ηₜ for base `lr0` and offset `t0`.
    pub fn lr(self, lr0: f64, t0: f64, t: u64) -> f64 {
        let r = t0 / (t0 + t as f64);
        match self {
            Decay::Constant => lr0,
            Decay::InverseT => lr0 * r,
            Decay::InverseSqrtT => lr0 * r.sqrt(),
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Decay::Constant => "constant",
            Decay::InverseT => "1/t",
            Decay::InverseSqrtT => "1/sqrt(t)",
        }
    }
}

/// The experiment's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// Training rows (1000).
    pub rows: usize,
    /// Features (5), drawn N(0, 1).
    pub features: usize,
    /// Standard deviation of the label noise (1).
    pub noise: f64,
    /// SGD steps, one example each (20000).
    pub steps: u64,
    /// η₀ (0.05).
    pub lr: f64,
    /// t₀ of the decaying schedules (100).
    pub t0: f64,
    /// Points recorded per curve (100).
    pub points: usize,
    /// Seed of the data and the permutations.
    pub seed: u64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            rows: 1000,
            features: 5,
            noise: 1.0,
            steps: 20_000,
            lr: 0.05,
            t0: 100.0,
            points: 100,
            seed: 0,
        }
    }
}

/// One schedule's run.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    /// The schedule.
    pub decay: Decay,
    /// (step, L(θₜ) − L(θ*)), from step 0.
    pub points: Vec<(u64, f64)>,
    /// Σηₜ over the run.
    pub sum_lr: f64,
    /// Σηₜ² over the run.
    pub sum_lr2: f64,
}

/// The curves and the optimum.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// L(θ*), the least-squares optimum's objective.
    pub optimum: f64,
    /// One curve per schedule.
    pub curves: Vec<Curve>,
}

/// Runs single-example SGD with each schedule on `y = w*ᵀx + b* + σε`.
///
/// # Errors
/// [`Error::Param`](crate::Error::Param) for settings out of range.
pub fn run(p: &Params) -> Result<Outcome> {
    let n = check_count("rows", p.rows, 2, 1_000_000)?;
    let d = check_count("features", p.features, 1, 1000)?;
    check_positive("noise", p.noise, true)?;
    check_count("steps", p.steps as usize, 1, 10_000_000)?;
    check_positive("lr", p.lr, false)?;
    check_positive("t0", p.t0, false)?;
    let points = check_count("points", p.points, 1, 10_000)?;
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
    let mut normal = || -> f64 { StandardNormal.sample(&mut rng) };
    let w: Vec<f64> = (0..=d).map(|_| normal()).collect();
    let x: Vec<f64> = (0..n * d).map(|_| round(normal())).collect();
    let y: Vec<f64> = x
        .chunks_exact(d)
        .map(|r| round(r.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() + w[d] + p.noise * normal()))
        .collect();
    let data = regression_set(&x, d, &y)?;
    let objective = Objective {
        network: Network::new(d, &Architecture::linear(), 1)?,
        loss: Loss::Squared(Squared),
        class_weight: None,
        regularizer: Regularizer::none(),
    };
    let affine = Affine::identity(d);
    let prepared = Prepared {
        data: &data,
        affine: &affine,
    };
    let mut problem = objective.on::<f64, _>(&prepared);
    let all: Vec<usize> = (0..n).collect();
    let (w_star, b_star) = closed_form::ridge(&x, d, &y, 0.0)?;
    let theta_star: Vec<f64> = w_star.into_iter().chain([b_star]).collect();
    let optimum = problem.value(&theta_star, &all).objective;
    let config = TrainParams {
        batch: BatchSize::Rows(1),
        lr: Some(p.lr),
        seed: p.seed,
        ..TrainParams::default()
    }
    .check()?;
    let every = (p.steps / points as u64).max(1);
    let curves = [Decay::Constant, Decay::InverseT, Decay::InverseSqrtT]
        .into_iter()
        .map(|decay| {
            let mut trainer = Trainer::new(&config);
            let mut state = TrainState::new(&config.strategy, d + 1);
            let mut theta = vec![0.0; d + 1];
            let mut curve = Curve {
                decay,
                points: vec![(0, problem.value(&theta, &all).objective - optimum)],
                sum_lr: 0.0,
                sum_lr2: 0.0,
            };
            while state.step < p.steps {
                let order = Sampling::Permutation.order(n, config.seed, state.epoch);
                for row in order.chunks(1) {
                    let lr = decay.lr(p.lr, p.t0, state.step);
                    curve.sum_lr += lr;
                    curve.sum_lr2 += lr * lr;
                    trainer.step_batch(&mut problem, &mut theta, &mut state, row, lr)?;
                    if state.step % every == 0 || state.step == p.steps {
                        let excess = problem.value(&theta, &all).objective - optimum;
                        curve.points.push((state.step, excess));
                    }
                    if state.step == p.steps {
                        break;
                    }
                }
                state.epoch += 1;
            }
            Ok(curve)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Outcome { optimum, curves })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The constant step stalls: its excess loss over the last half of the run stays near its
    /// noise-ball level (for ½(wᵀx − y)² with E[xxᵀ] = I, about η₀σ²(d + 1)/4), while 1/t
    /// ends far below it and keeps falling; the recorded Σηₜ match the schedules' sums.
    #[test]
    fn a_constant_step_stalls_and_one_over_t_converges() {
        let p = Params {
            steps: 8000,
            ..Params::default()
        };
        let out = run(&p).unwrap();
        let [constant, inv, inv_sqrt] = &out.curves[..] else {
            panic!("three curves expected");
        };
        let tail = |c: &Curve| {
            let half = &c.points[c.points.len() / 2..];
            half.iter().map(|q| q.1).sum::<f64>() / half.len() as f64
        };
        let ball = p.lr * p.noise * p.noise * (p.features + 1) as f64 / 4.0;
        assert!(
            tail(constant) > 0.3 * ball && tail(constant) < 3.0 * ball,
            "{} against {ball}",
            tail(constant)
        );
        let last = |c: &Curve| c.points.last().unwrap().1;
        assert!(
            last(inv) < 0.2 * tail(constant),
            "{} against {}",
            last(inv),
            tail(constant)
        );
        assert!(last(inv) < last(inv_sqrt));
        assert!(out.curves.iter().all(|c| c.points.iter().all(|q| q.1 >= -1e-12)));
        let harmonic: f64 = (0..p.steps).map(|t| p.lr * p.t0 / (p.t0 + t as f64)).sum();
        assert!((inv.sum_lr - harmonic).abs() < 1e-9 && (constant.sum_lr - 400.0).abs() < 1e-9);
    }
}
