//! Loss landscapes: the full objective `L(θ) = (1/N) Σ L_i + λR(θ)` on a line
//! `θ₀ + a·d₁` or a plane `θ₀ + a·d₁ + b·d₂` through parameter space, and a training path
//! projected onto the plane.
//!
//! For a linear model the scores are affine in the coordinates,
//! `S(a, b) = X(W₀ + aD₁ + bD₂)ᵀ + (b₀ + a·b_{D₁} + b·b_{D₂}) = S₀ + aS₁ + bS₂`, so a whole grid
//! takes three passes over the data (the scores of θ₀, d₁ and d₂) and then, per grid point,
//! only the loss of its scores, computed for the grid points in parallel. Other models are
//! evaluated point by point through the [`Problem`] interface, each evaluation split across
//! the threads.

mod directions;
pub mod path;

pub use directions::{filter_normalize, gaussian, principal, project};

use crate::data::batch::Examples;
use crate::data::{TargetBuf, TargetSlice};
use crate::error::{Error, Result};
use crate::objective::Objective;
use crate::problem::Problem;
use rayon::prelude::*;

/// The most points a grid may have (a 1001 × 1001 plane).
pub const MAX_POINTS: usize = 1001 * 1001;

/// Rows gathered at a time for the targets of the linear path.
const CHUNK: usize = 4096;

/// Rows whose combined scores the linear path holds at a time, per grid point.
const ROWS: usize = 256;

/// The objective at one grid point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// `L = data_loss + penalty`.
    pub objective: f64,
    /// `(1/N) Σ L_i`.
    pub data_loss: f64,
    /// Fraction of rows classified correctly (classifiers).
    pub accuracy: Option<f64>,
}

/// `n` evenly spaced coordinates from `lo` to `hi` (both included; `lo` alone for `n` = 1).
///
/// # Errors
/// [`Error::Param`] `points` for 0 points, `range` for bounds that are not finite or not
/// increasing.
pub fn coordinates(lo: f64, hi: f64, n: usize) -> Result<Vec<f64>> {
    if n == 0 {
        return Err(Error::param("points", "must be at least 1, got 0"));
    }
    if !(lo.is_finite() && hi.is_finite() && lo < hi) {
        return Err(Error::param(
            "range",
            format!("must be two finite numbers a < b, got {lo},{hi}"),
        ));
    }
    // (lo·(n−1−i) + hi·i)/(n−1): exact at both ends and at 0 for a symmetric range.
    let m = n.saturating_sub(1).max(1) as f64;
    Ok((0..n).map(|i| (lo * (m - i as f64) + hi * i as f64) / m).collect())
}

/// `L(θ₀ + a·d)` for each `a` of `alphas`, on every row of `data`.
///
/// # Errors
/// Those of [`slice_2d`].
pub fn slice_1d<E: Examples>(
    objective: &Objective,
    data: &E,
    theta: &[f32],
    d: &[f32],
    alphas: &[f64],
    threads: usize,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<Point>> {
    let coords: Vec<Vec<f64>> = alphas.iter().map(|&a| vec![a]).collect();
    grid(objective, data, theta, &[d], &coords, threads, progress)
}

/// `L(θ₀ + a·d₁ + b·d₂)` on the grid `alphas × betas`, on every row of `data`: point
/// `(alphas[i], betas[j])` at index `j · alphas.len() + i`.
///
/// # Errors
/// [`Error::Param`] `points` for an empty grid or one of more than [`MAX_POINTS`];
/// [`Error::Data`] when θ₀ or a direction does not fit the model.
#[allow(clippy::too_many_arguments)]
pub fn slice_2d<E: Examples>(
    objective: &Objective,
    data: &E,
    theta: &[f32],
    d1: &[f32],
    d2: &[f32],
    alphas: &[f64],
    betas: &[f64],
    threads: usize,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<Point>> {
    let coords: Vec<Vec<f64>> = betas
        .iter()
        .flat_map(|&b| alphas.iter().map(move |&a| vec![a, b]))
        .collect();
    grid(objective, data, theta, &[d1, d2], &coords, threads, progress)
}

/// `θ₀ + Σ_k c_k d_k`.
fn point(theta: &[f32], dirs: &[&[f32]], c: &[f64]) -> Vec<f32> {
    let mut p = theta.to_vec();
    for (d, &ck) in dirs.iter().zip(c) {
        p.iter_mut()
            .zip(d.iter())
            .for_each(|(x, &dx)| *x = (*x as f64 + ck * dx as f64) as f32);
    }
    p
}

/// The objective at `θ₀ + Σ_k c_k d_k` for each coordinate vector `c` of `coords`.
fn grid<E: Examples>(
    objective: &Objective,
    data: &E,
    theta: &[f32],
    dirs: &[&[f32]],
    coords: &[Vec<f64>],
    threads: usize,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<Point>> {
    if coords.is_empty() || coords.len() > MAX_POINTS {
        return Err(Error::param(
            "points",
            format!("make a grid of {} points; it must have 1 to {MAX_POINTS}", coords.len()),
        ));
    }
    objective.check_params(theta)?;
    for d in dirs {
        objective.check_params(d)?;
    }
    if data.is_empty() {
        return Err(Error::data("no rows to evaluate the objective on"));
    }
    if objective.network.architecture().hidden.is_empty() {
        return Ok(linear(objective, data, theta, dirs, coords, threads, progress));
    }
    let mut problem = objective.on::<f32, E>(data);
    let rows: Vec<usize> = (0..data.len()).collect();
    let classifies = problem.classifies();
    Ok(coords
        .iter()
        .enumerate()
        .map(|(k, c)| {
            let s = problem.value(&point(theta, dirs, c), &rows);
            progress(k + 1);
            Point {
                objective: s.objective,
                data_loss: s.data_loss,
                accuracy: classifies.then(|| s.correct as f64 / s.rows.max(1) as f64),
            }
        })
        .collect())
}

/// [`grid`] for a linear model, from the scores of θ₀ and of each direction.
fn linear<E: Examples>(
    objective: &Objective,
    data: &E,
    theta: &[f32],
    dirs: &[&[f32]],
    coords: &[Vec<f64>],
    threads: usize,
    progress: &(dyn Fn(usize) + Sync),
) -> Vec<Point> {
    let out = objective.network.outputs();
    let s0 = objective.scores(theta, data, threads);
    let sk: Vec<Vec<f32>> = dirs.iter().map(|d| objective.scores(d, data, threads)).collect();
    // The targets, gathered as the objective gathers them (a regressor's scaled).
    let n = data.len();
    let mut targets = TargetBuf::default();
    let (mut x, mut labels, mut values) = (Vec::<f32>::new(), Vec::new(), Vec::new());
    for start in (0..n).step_by(CHUNK) {
        let rows: Vec<usize> = (start..(start + CHUNK).min(n)).collect();
        data.gather(&rows, &mut x, &mut targets);
        match targets.as_slice() {
            TargetSlice::Classes(l) => labels.extend_from_slice(l),
            TargetSlice::Values(v) => values.extend_from_slice(v),
        }
    }
    drop(x);
    let classifies = values.is_empty();
    let rows_of = |r: std::ops::Range<usize>| match classifies {
        true => TargetSlice::Classes(&labels[r]),
        false => TargetSlice::Values(&values[r]),
    };
    let done = std::sync::atomic::AtomicUsize::new(0);
    let layout = objective.network.layout();
    coords
        .par_iter()
        .map_init(
            || {
                (
                    vec![0.0f32; ROWS * out],
                    vec![0.0f32; ROWS * out],
                    vec![0.0f32; theta.len()],
                )
            },
            |(s, g, scratch), c| {
                let (mut total, mut correct) = (0.0, 0usize);
                for start in (0..n).step_by(ROWS) {
                    let m = ROWS.min(n - start);
                    let span = start * out..(start + m) * out;
                    for (j, v) in s[..m * out].iter_mut().enumerate() {
                        let mut acc = s0[span.start + j] as f64;
                        for (k, ck) in c.iter().enumerate() {
                            acc += ck * sk[k][span.start + j] as f64;
                        }
                        *v = acc as f32;
                    }
                    let s = &s[..m * out];
                    let t = rows_of(start..start + m);
                    total += objective
                        .loss
                        .batch_value_grad(&s[..m * out], out, t, &mut g[..m * out], 1.0);
                    if let TargetSlice::Classes(l) = t {
                        let predicted = s[..m * out].chunks_exact(out).map(|r| objective.loss.predict_class(r));
                        correct += predicted.zip(l).filter(|(p, l)| *p == **l as usize).count();
                    }
                }
                let penalty = objective
                    .regularizer
                    .penalty_grad(&point(theta, dirs, c), layout, scratch);
                let data_loss = total / n as f64;
                progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1);
                Point {
                    objective: data_loss + penalty,
                    data_loss,
                    accuracy: classifies.then(|| correct as f64 / n as f64),
                }
            },
        )
        .collect()
}
