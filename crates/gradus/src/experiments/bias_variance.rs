//! The bias–variance decomposition (Abu-Mostafa, Magdon-Ismail & Lin, *Learning from Data*,
//! §2.3; Hastie, Tibshirani & Friedman, *Elements of Statistical Learning*, §7.3): for a
//! target f with noise, y = f(x) + σε, and a model g_D fitted to a data set D of n points,
//!
//! ```text
//! E_D E_{x,y}[(g_D(x) − y)²] = E_x[(ḡ(x) − f(x))²] + E_x E_D[(g_D(x) − ḡ(x))²] + σ²
//!          E_out                       bias²                   variance          noise
//! ```
//!
//! with ḡ(x) = E_D[g_D(x)]. Here f(x) = sin πx on [−1, 1], x uniform; the models are
//! polynomials of degree k (features the Legendre polynomials P₁ … P_k, well conditioned on
//! [−1, 1]; degree 0 is the constant, a bias alone), each trained by gradus' heavy-ball
//! gradient descent on the squared loss from 0 and checked against the least-squares closed
//! form. bias² and variance are averaged over a grid of x; E_out is measured on fresh noisy
//! test points, so the identity holds to within sampling error, not by construction.

use super::{HeavyBall, check_count, check_positive, closed_form, regression_set, round};
use crate::error::{Error, Result};
use crate::loss::{Loss, Squared};
use crate::model::{Architecture, Network};
use crate::objective::Objective;
use crate::regularizer::Regularizer;
use crate::train::StopReason;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use std::f64::consts::PI;

/// The target, sin πx.
pub fn target(x: f64) -> f64 {
    (PI * x).sin()
}

/// The Legendre polynomials P₁(x) … P_k(x) (Bonnet's recursion
/// `(m + 1)P_{m+1} = (2m + 1)xP_m − mP_{m−1}`); `[0]` for k = 0, a feature the constant
/// model never uses.
pub fn legendre(x: f64, k: usize) -> Vec<f64> {
    if k == 0 {
        return vec![0.0];
    }
    let (mut prev, mut cur) = (1.0, x);
    let mut out = vec![x];
    for m in 1..k {
        let m = m as f64;
        let next = ((2.0 * m + 1.0) * x * cur - m * prev) / (m + 1.0);
        (prev, cur) = (cur, next);
        out.push(cur);
    }
    out
}

/// The experiment's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// Points per data set (10).
    pub n: usize,
    /// Data sets (300).
    pub datasets: usize,
    /// σ of the label noise (0.3).
    pub noise: f64,
    /// Polynomial degrees of the models (0, 1, 3, 5).
    pub degrees: Vec<usize>,
    /// Grid points for bias² and variance (201).
    pub grid: usize,
    /// Fresh test points per data set for E_out (200).
    pub test_points: usize,
    /// Most gradient-descent steps per fit (20000).
    pub steps: u64,
    /// Seed of the data sets.
    pub seed: u64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            n: 10,
            datasets: 300,
            noise: 0.3,
            degrees: vec![0, 1, 3, 5],
            grid: 201,
            test_points: 200,
            steps: 20_000,
            seed: 0,
        }
    }
}

/// One model's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// The polynomial degree.
    pub degree: usize,
    /// ḡ on the grid.
    pub mean: Vec<f64>,
    /// The standard deviation of g_D on the grid, over the data sets.
    pub sd: Vec<f64>,
    /// E_x[(ḡ − f)²].
    pub bias2: f64,
    /// E_x E_D[(g_D − ḡ)²].
    pub variance: f64,
    /// The measured E_out.
    pub e_out: f64,
    /// The standard error of `e_out` (over the data sets).
    pub e_out_se: f64,
    /// The largest distance between a trained and a closed-form fit, relative to the latter's
    /// norm, over the data sets whose training converged.
    pub fit_gap: f64,
    /// Data sets whose training used up its steps before the gradient fell to its tolerance
    /// (points so close together that the fit is nearly singular; see [`HeavyBall::within`]).
    pub unconverged: usize,
    /// The fits' mean training error.
    pub e_in: f64,
}

/// The decomposition for each model.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The grid (midpoints of equal cells of [−1, 1]).
    pub grid: Vec<f64>,
    /// σ².
    pub noise_var: f64,
    /// One entry per degree.
    pub models: Vec<Model>,
}

/// Draws the data sets and fits every model to each.
///
/// # Errors
/// [`Error::Param`] for settings out of range; whatever training returns.
pub fn run(p: &Params) -> Result<Outcome> {
    let n = check_count("n", p.n, 1, 100_000)?;
    let sets = check_count("datasets", p.datasets, 2, 100_000)?;
    check_positive("noise", p.noise, true)?;
    let g = check_count("grid", p.grid, 2, 100_000)?;
    let t = check_count("test_points", p.test_points, 1, 100_000)?;
    if p.degrees.is_empty() || p.degrees.iter().any(|&k| k > 20) {
        return Err(Error::param(
            "degrees",
            format!("must list degrees from 0 to 20, got {:?}", p.degrees),
        ));
    }
    let grid: Vec<f64> = (0..g).map(|j| -1.0 + (j as f64 + 0.5) * 2.0 / g as f64).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
    let mut draw = |m: usize| -> (Vec<f64>, Vec<f64>) {
        let x: Vec<f64> = (0..m).map(|_| rng.random_range(-1.0..1.0)).collect();
        let y = x
            .iter()
            .map(|&x| target(x) + p.noise * Distribution::<f64>::sample(&StandardNormal, &mut rng))
            .collect();
        (x, y)
    };
    let sets_drawn: Vec<[(Vec<f64>, Vec<f64>); 2]> = (0..sets).map(|_| [draw(n), draw(t)]).collect();
    let models = p
        .degrees
        .iter()
        .map(|&k| fit_model(k, &sets_drawn, &grid, p.steps))
        .collect::<Result<Vec<_>>>()?;
    Ok(Outcome {
        grid,
        noise_var: p.noise * p.noise,
        models,
    })
}

/// The degree-`k` model fitted to every data set, and its figures.
fn fit_model(k: usize, sets: &[[(Vec<f64>, Vec<f64>); 2]], grid: &[f64], steps: u64) -> Result<Model> {
    let d = legendre(0.0, k).len();
    let objective = Objective {
        network: Network::new(d, &Architecture::linear(), 1)?,
        loss: Loss::Squared(Squared),
        class_weight: None,
        regularizer: Regularizer::none(),
    };
    let features = |x: &[f64]| -> Vec<f64> { x.iter().flat_map(|&x| legendre(x, k)).map(round).collect() };
    let predict =
        |theta: &[f64], x: f64| -> f64 { legendre(x, k).iter().zip(theta).map(|(a, b)| a * b).sum::<f64>() + theta[d] };
    let grid_features: Vec<Vec<f64>> = grid.iter().map(|&x| legendre(x, k)).collect();
    let (mut sum, mut sum2) = (vec![0.0; grid.len()], vec![0.0; grid.len()]);
    let (mut errors, mut fit_gap, mut e_in) = (Vec::with_capacity(sets.len()), 0.0f64, 0.0);
    let mut unconverged = 0;
    for [(x, y), (tx, ty)] in sets {
        let phi = features(x);
        let y: Vec<f64> = y.iter().map(|&v| round(v)).collect();
        let data = regression_set(&phi, d, &y)?;
        let (w, b) = closed_form::ridge(&phi, d, &y, 0.0)?;
        let exact: Vec<f64> = w.into_iter().chain([b]).collect();
        let norm = exact.iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-12);
        // ‖θ − θ*‖ ≤ ‖∇L(θ)‖/μ: stop at 10⁻⁸ of ‖θ*‖.
        let [mu, l] = closed_form::curvatures(&phi, d, true)?;
        let mut theta = vec![0.0; d + 1];
        let config = HeavyBall::within(mu, l, steps).train_params(steps, (1e-8 * mu * norm).max(1e-15));
        let report = super::train(&objective, &data, &mut theta, &config)?;
        unconverged += usize::from(report.stop == StopReason::MaxEpochs);
        let gap = theta
            .iter()
            .zip(&exact)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            .sqrt();
        if report.stop != StopReason::MaxEpochs {
            fit_gap = fit_gap.max(gap / norm);
        }
        for (j, f) in grid_features.iter().enumerate() {
            let v = f.iter().zip(&theta).map(|(a, b)| a * b).sum::<f64>() + theta[d];
            sum[j] += v;
            sum2[j] += v * v;
        }
        let sq = |xs: &[f64], ys: &[f64]| -> f64 {
            xs.iter()
                .zip(ys)
                .map(|(&x, &y)| (predict(&theta, x) - y).powi(2))
                .sum::<f64>()
                / xs.len() as f64
        };
        errors.push(sq(tx, ty));
        e_in += sq(x, &y);
    }
    let m = sets.len() as f64;
    let mean: Vec<f64> = sum.iter().map(|s| s / m).collect();
    let var: Vec<f64> = sum2
        .iter()
        .zip(&mean)
        .map(|(s2, mu)| (s2 / m - mu * mu).max(0.0))
        .collect();
    let avg = |v: &mut dyn Iterator<Item = f64>| v.sum::<f64>() / grid.len() as f64;
    let bias2 = avg(&mut grid.iter().zip(&mean).map(|(&x, g)| (g - target(x)).powi(2)));
    let variance = avg(&mut var.iter().copied());
    let e_out = errors.iter().sum::<f64>() / m;
    let spread = errors.iter().map(|e| (e - e_out).powi(2)).sum::<f64>() / (m - 1.0);
    Ok(Model {
        degree: k,
        mean,
        sd: var.iter().map(|v| v.sqrt()).collect(),
        bias2,
        variance,
        e_out,
        e_out_se: (spread / m).sqrt(),
        fit_gap,
        e_in: e_in / m,
        unconverged,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// bias² + variance = E_out − σ² within four standard errors of E_out, for each model;
    /// the trained fits are the least-squares ones.
    #[test]
    fn bias_and_variance_add_up_to_the_out_of_sample_error() {
        let p = Params {
            datasets: 400,
            degrees: vec![0, 1, 3],
            grid: 101,
            test_points: 100,
            ..Params::default()
        };
        let out = run(&p).unwrap();
        for m in &out.models {
            let sum = m.bias2 + m.variance + out.noise_var;
            assert!(
                (sum - m.e_out).abs() < 4.0 * m.e_out_se + 2e-3,
                "degree {}: bias² {} + variance {} + σ² {} = {sum}, E_out {} ± {}",
                m.degree,
                m.bias2,
                m.variance,
                out.noise_var,
                m.e_out,
                m.e_out_se
            );
            assert!(m.fit_gap < 1e-6, "degree {}: {}", m.degree, m.fit_gap);
        }
        // Capacity trades bias for variance.
        assert!(out.models[0].bias2 > out.models[2].bias2 && out.models[0].variance < out.models[2].variance);
    }

    /// The lectures' two points without noise: the constant has bias² 0.50 and variance 0.25,
    /// the line bias² 0.21 and variance 1.69 (*Learning from Data*, Example 2.8).
    #[test]
    fn two_points_give_the_lectures_figures() {
        let p = Params {
            n: 2,
            datasets: 2000,
            noise: 0.0,
            degrees: vec![0, 1],
            grid: 201,
            test_points: 10,
            ..Params::default()
        };
        let out = run(&p).unwrap();
        let (c, l) = (&out.models[0], &out.models[1]);
        assert!(
            (c.bias2 - 0.50).abs() < 0.03 && (c.variance - 0.25).abs() < 0.03,
            "{c:?}"
        );
        assert!(
            (l.bias2 - 0.21).abs() < 0.04 && (l.variance - 1.69).abs() < 0.15,
            "{} {}",
            l.bias2,
            l.variance
        );
        assert!(l.unconverged < 10, "{}", l.unconverged);
    }

    #[test]
    fn legendre_polynomials_follow_the_closed_forms() {
        let x = 0.3;
        let p = legendre(x, 3);
        assert!((p[1] - (3.0 * x * x - 1.0) / 2.0).abs() < 1e-15);
        assert!((p[2] - (5.0 * x * x * x - 3.0 * x) / 2.0).abs() < 1e-15);
    }
}
