//! Double descent with random ReLU features (Belkin, Hsu, Ma & Mandal, PNAS 2019; Hastie,
//! Montanari, Rosset & Tibshirani, Ann. Statist. 2022): the model
//! `g(x) = Σ_k β_k max(0, a_kᵀx + b_k)` with `(a_k, b_k)` random and frozen, β learned by
//! gradient descent from β = 0 on the mean squared loss over n noisy samples of a smooth target.
//!
//! Below d = n the least-squares fit is unique; at d = n it must interpolate the noise with a
//! barely invertible feature matrix, and the test error peaks; beyond, gradient descent from 0
//! stays in the row space of the feature matrix Φ and so converges to the minimum-norm
//! interpolant `β⁺ = Φ⁺y`, whose norm falls as d grows, and the test error falls again.
//!
//! The inputs are p-dimensional (p = 3 by default), x uniform on [−1, 1]^p, the target
//! `f(x) = sin(π/2 · Σ_j x_j/√p)`, `a_k ~ N(0, I_p)`, `b_k ~ N(0, 1)`. With p = 1 the
//! features of a 1-D input are hinge functions whose span on n points grows only as their
//! kinks fall into new gaps between the points, so Φ reaches rank n well after d = n and the
//! peak moves right; with p ≥ 2 they are in general position and the peak sits at d = n.
//!
//! The network is gradus' one-hidden-layer ReLU network with its first layer (and the output
//! bias) frozen ([`Freeze`](crate::train::Freeze)). Training is heavy-ball gradient descent
//! tuned to the curvatures of the feature matrix ([`HeavyBall`]), which stays in the row space
//! as plain gradient descent does and reaches β⁺ in about √κ rather than κ steps (κ the
//! condition number of ΦᵀΦ restricted to the row space); `β⁺` itself comes from faer's SVD.
//! Just above d = n, κ is so large (10⁸ and more) that no first-order method reaches β⁺ in a
//! feasible number of steps; the table says how far each fit got.

use super::{HeavyBall, check_count, check_positive, closed_form, regression_set, round};
use crate::error::{Error, Result};
use crate::loss::{Loss, Squared};
use crate::model::{Activation, Architecture, Network};
use crate::objective::Objective;
use crate::regularizer::Regularizer;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// The experiment's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// Training points, uniform on [−1, 1]^p (40).
    pub n: usize,
    /// The input dimension p (3).
    pub inputs: usize,
    /// Feature counts d; empty: 25 values from n/10 to 10n, geometrically spaced, with n.
    pub widths: Vec<usize>,
    /// σ of the label noise (0.2).
    pub noise: f64,
    /// Feature draws averaged per d (5).
    pub repeats: usize,
    /// Test points, uniform on [−1, 1]^p (2000), scored against the noiseless target.
    pub test_points: usize,
    /// Most gradient-descent steps per fit (100000).
    pub steps: u64,
    /// Seed of the noise and the features.
    pub seed: u64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            n: 40,
            inputs: 3,
            widths: Vec::new(),
            noise: 0.2,
            repeats: 5,
            test_points: 2000,
            steps: 100_000,
            seed: 0,
        }
    }
}

/// The figures at one width, averaged over the repeats.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// Features d.
    pub d: usize,
    /// Test MSE of the trained β.
    pub test_gd: f64,
    /// Test MSE of the minimum-norm least-squares β⁺.
    pub test_min_norm: f64,
    /// Training MSE of the trained β.
    pub train_gd: f64,
    /// ‖β‖ trained.
    pub norm_gd: f64,
    /// ‖β⁺‖.
    pub norm_min_norm: f64,
    /// The largest ‖β − β⁺‖ / ‖β⁺‖ over the repeats.
    pub rel_diff: f64,
    /// The most steps a repeat took.
    pub steps: u64,
}

/// The target `f(x) = sin(π/2 · Σ_j x_j/√p)` at each row of the row-major `x` (p columns).
pub fn target(x: &[f64], p: usize) -> Vec<f64> {
    let k = std::f64::consts::FRAC_PI_2 / (p as f64).sqrt();
    x.chunks_exact(p).map(|r| (k * r.iter().sum::<f64>()).sin()).collect()
}

/// The widths of `p`, checked, ascending.
pub fn widths(p: &Params) -> Result<Vec<usize>> {
    let n = p.n;
    let mut w = if p.widths.is_empty() {
        let (lo, hi) = ((n as f64 / 10.0).max(1.0), 10.0 * n as f64);
        let mut w: Vec<usize> = (0..25)
            .map(|i| (lo * (hi / lo).powf(i as f64 / 24.0)).round() as usize)
            .collect();
        w.push(n);
        w
    } else {
        p.widths.clone()
    };
    w.sort_unstable();
    w.dedup();
    if let Some(&bad) = w.iter().find(|&&d| d == 0 || d > 100_000) {
        return Err(Error::param(
            "widths",
            format!("must be between 1 and 100000, got {bad}"),
        ));
    }
    Ok(w)
}

/// The curve of test error against d.
///
/// # Errors
/// [`Error::Param`] for settings out of range; whatever training returns.
pub fn run(p: &Params) -> Result<Vec<Point>> {
    let n = check_count("n", p.n, 2, 10_000)?;
    check_positive("noise", p.noise, true)?;
    let repeats = check_count("repeats", p.repeats, 1, 1000)?;
    let t = check_count("test_points", p.test_points, 1, 1_000_000)?;
    let dim = check_count("inputs", p.inputs, 1, 1000)?;
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
    let mut points = |m: usize| -> Vec<f64> { (0..m * dim).map(|_| round(rng.random_range(-1.0..1.0))).collect() };
    let (x, tx) = (points(n), points(t));
    let y: Vec<f64> = target(&x, dim)
        .into_iter()
        .map(|f| round(f + p.noise * Distribution::<f64>::sample(&StandardNormal, &mut rng)))
        .collect();
    let ty = target(&tx, dim);
    let data = regression_set(&x, dim, &y)?;
    widths(p)?
        .into_iter()
        .map(|d| {
            let mut acc = Point {
                d,
                test_gd: 0.0,
                test_min_norm: 0.0,
                train_gd: 0.0,
                norm_gd: 0.0,
                norm_min_norm: 0.0,
                rel_diff: 0.0,
                steps: 0,
            };
            for _ in 0..repeats {
                let one = fit(&data, &x, &y, &tx, &ty, d, p.steps, &mut rng)?;
                acc.test_gd += one.test_gd / repeats as f64;
                acc.test_min_norm += one.test_min_norm / repeats as f64;
                acc.train_gd += one.train_gd / repeats as f64;
                acc.norm_gd += one.norm_gd / repeats as f64;
                acc.norm_min_norm += one.norm_min_norm / repeats as f64;
                acc.rel_diff = acc.rel_diff.max(one.rel_diff);
                acc.steps = acc.steps.max(one.steps);
            }
            Ok(acc)
        })
        .collect()
}

/// One draw of d features, β trained and β⁺.
#[allow(clippy::too_many_arguments)]
fn fit(
    data: &crate::data::Dataset,
    x: &[f64],
    y: &[f64],
    tx: &[f64],
    ty: &[f64],
    d: usize,
    steps: u64,
    rng: &mut ChaCha8Rng,
) -> Result<Point> {
    let dim = data.n_features();
    let mut normal = || round(Distribution::<f64>::sample(&StandardNormal, rng));
    let a: Vec<f64> = (0..d * dim).map(|_| normal()).collect();
    let b: Vec<f64> = (0..d).map(|_| normal()).collect();
    let features = |xs: &[f64]| -> Vec<f64> {
        xs.chunks_exact(dim)
            .flat_map(|x| {
                a.chunks_exact(dim)
                    .zip(&b)
                    .map(move |(a, b)| (a.iter().zip(x).map(|(a, x)| a * x).sum::<f64>() + b).max(0.0))
            })
            .collect()
    };
    let network = Network::new(
        dim,
        &Architecture {
            hidden: vec![d],
            activation: Activation::Relu,
        },
        1,
    )?;
    let objective = Objective {
        network,
        loss: Loss::Squared(Squared),
        class_weight: None,
        regularizer: Regularizer::none(),
    };
    // layers.0.weight [d × p], layers.0.bias [d], layers.1.weight [1 × d] = β = 0, layers.1.bias = 0.
    let mut theta: Vec<f64> = a.iter().chain(&b).copied().collect();
    let start = theta.len();
    theta.resize(start + d + 1, 0.0);
    let phi = features(x);
    let exact = closed_form::lstsq(&phi, y.len(), d, y)?;
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    // ‖β − β⁺‖ ≤ ‖∇L(β)‖/μ within the row space: stop at 10⁻⁶ of ‖β⁺‖.
    let [mu, l] = closed_form::curvatures(&phi, d, false)?;
    let mut config = HeavyBall::within(mu, l, steps).train_params(steps, (1e-6 * mu * norm(&exact)).max(1e-15));
    config.freeze = vec!["layers.0".into(), "layers.1.bias".into()];
    let report = super::train(&objective, data, &mut theta, &config)?;
    let beta = &theta[start..start + d];
    let diff: Vec<f64> = beta.iter().zip(&exact).map(|(p, q)| p - q).collect();
    let mse = |phi: &[f64], beta: &[f64], ys: &[f64]| -> f64 {
        phi.chunks_exact(d)
            .zip(ys)
            .map(|(row, y)| (row.iter().zip(beta).map(|(f, w)| f * w).sum::<f64>() - y).powi(2))
            .sum::<f64>()
            / ys.len() as f64
    };
    let test_phi = features(tx);
    Ok(Point {
        d,
        test_gd: mse(&test_phi, beta, ty),
        test_min_norm: mse(&test_phi, &exact, ty),
        train_gd: mse(&phi, beta, y),
        norm_gd: norm(beta),
        norm_min_norm: norm(&exact),
        rel_diff: norm(&diff) / norm(&exact).max(1e-300),
        steps: report.history.len() as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// For d ≥ 2n the trained β is the minimum-norm least-squares solution Φ⁺y to 1e-4
    /// relative; the test error of β⁺ peaks at d = n and falls on both sides.
    #[test]
    fn gradient_descent_from_zero_finds_the_minimum_norm_interpolant() {
        let p = Params {
            n: 12,
            widths: vec![3, 6, 12, 24, 48, 96],
            repeats: 3,
            test_points: 500,
            ..Params::default()
        };
        let points = run(&p).unwrap();
        for q in points.iter().filter(|q| q.d >= 2 * p.n) {
            assert!(q.rel_diff < 1e-4, "d = {}: ‖β − β⁺‖/‖β⁺‖ = {}", q.d, q.rel_diff);
            assert!(q.train_gd < 1e-10, "d = {}: training error {}", q.d, q.train_gd);
        }
        let at = |d: usize| points.iter().find(|q| q.d == d).unwrap();
        assert!(at(12).test_min_norm > at(6).test_min_norm && at(12).test_min_norm > at(96).test_min_norm);
        assert!(at(96).norm_min_norm < at(24).norm_min_norm);
    }
}
