//! Loss landscapes: the full objective `L(θ) = (1/N) Σ L_i + λR(θ)` on a line
//! `θ₀ + a·d₁` or a plane `θ₀ + a·d₁ + b·d₂` through parameter space, and a training path
//! projected onto the plane.
//!
//! The first layer's pre-activations are affine in the coordinates:
//! `Z(a, b) = X(W₀ + aD₁ + bD₂)ᵀ + (b₀ + a·b_{D₁} + b·b_{D₂}) = Z₀ + aZ₁ + bZ₂`, where `Zₖ` is
//! the first layer applied to θ₀, d₁, d₂ (weights and biases). So the data are read once, a
//! chunk of rows at a time: three products give the chunk's `Z₀, Z₁, Z₂`, and then for every
//! grid point only `Z₀ + aZ₁ + bZ₂` is formed and the rest of the network run (for a linear
//! model `Z` is the scores: only the loss is left). The first layer, 200,704 of an MLP
//! 784-256-128-10's 234,752 multiply–adds per example, is thereby paid three times per row
//! instead of once per row and grid point. The grid points of a chunk are evaluated in
//! parallel; each point sums its chunks in order in f64, so a grid is the same to the bit for
//! any number of threads.

mod directions;
pub mod path;

pub use directions::{filter_normalize, gaussian, principal, project};

use crate::data::TargetBuf;
use crate::data::batch::Examples;
use crate::error::{Error, Result};
use crate::model::Workspace;
use crate::objective::Objective;
use rayon::prelude::*;

/// The most points a grid may have (a 1001 × 1001 plane).
pub const MAX_POINTS: usize = 1001 * 1001;

/// Rows read at a time: the chunk's `Z₀, Z₁, Z₂` of a 256-wide first layer take 1.5 MB.
const CHUNK: usize = 512;

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

/// `L(θ₀ + a·d)` for each `a` of `alphas`, on every row of `data`. `progress(k)` is called as
/// the work of `k` points is done, `threads` chunks of rows at a time.
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
    let coords: Vec<[f64; 1]> = alphas.iter().map(|&a| [a]).collect();
    grid(objective, data, theta, [d], &coords, threads, progress)
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
    let coords: Vec<[f64; 2]> = betas
        .iter()
        .flat_map(|&b| alphas.iter().map(move |&a| [a, b]))
        .collect();
    grid(objective, data, theta, [d1, d2], &coords, threads, progress)
}

/// `out = z₀ + Σ_k c_k z_k`, summed in f64 and rounded once: a grid point's parameters from θ₀
/// and the directions, or its first-layer pre-activations from `Z₀` and the `Zₖ`.
fn combine<const N: usize>(out: &mut [f32], z0: &[f32], zs: [&[f32]; N], c: &[f64; N]) {
    let len = out.len();
    let (z0, zs) = (&z0[..len], zs.map(|z| &z[..len]));
    for (i, o) in out.iter_mut().enumerate() {
        let mut acc = z0[i] as f64;
        for (ck, zk) in c.iter().zip(&zs) {
            acc += ck * zk[i] as f64;
        }
        *o = acc as f32;
    }
}

/// The objective at `θ₀ + Σ_k c_k d_k` for each coordinate vector `c` of `coords`.
fn grid<E: Examples, const N: usize>(
    objective: &Objective,
    data: &E,
    theta: &[f32],
    dirs: [&[f32]; N],
    coords: &[[f64; N]],
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
    let n = data.len();
    let starts: Vec<usize> = (0..n).step_by(CHUNK).collect();
    let mut sums = vec![(0.0f64, 0usize); coords.len()];
    let mut done = 0;
    for group in starts.chunks(threads.max(1)) {
        let chunks: Vec<Chunk> = group
            .par_iter()
            .map(|&s| Chunk::new(objective, data, theta, dirs, s..(s + CHUNK).min(n)))
            .collect();
        sums.par_iter_mut().zip(coords).for_each_init(
            || Scratch::new(theta),
            |sc, (sum, c)| {
                sc.point(objective, theta, dirs, c);
                for chunk in &chunks {
                    let (loss, correct) = sc.evaluate(objective, chunk, c);
                    sum.0 += loss;
                    sum.1 += correct;
                }
            },
        );
        done += chunks.iter().map(|c| c.rows).sum::<usize>();
        progress(coords.len() * done / n);
    }
    let classifies = objective.loss.task() == crate::data::Task::Classify;
    let layout = objective.network.layout();
    Ok(coords
        .par_iter()
        .zip(sums)
        .map_init(
            || (vec![0.0f32; theta.len()], vec![0.0f32; theta.len()]),
            |(p, scratch), (c, (total, correct))| {
                combine(p, theta, dirs, c);
                let penalty = objective.regularizer.penalty_grad(p, layout, scratch);
                let data_loss = total / n as f64;
                Point {
                    objective: data_loss + penalty,
                    data_loss,
                    accuracy: classifies.then(|| correct as f64 / n as f64),
                }
            },
        )
        .collect())
}

/// A chunk of rows: its targets and the first layer's pre-activations at θ₀ (`z[0]`) and at
/// each direction (`z[1..]`), each `rows × width`.
struct Chunk {
    rows: usize,
    z: Vec<Vec<f32>>,
    targets: TargetBuf,
}

impl Chunk {
    fn new<E: Examples, const N: usize>(
        objective: &Objective,
        data: &E,
        theta: &[f32],
        dirs: [&[f32]; N],
        rows: std::ops::Range<usize>,
    ) -> Self {
        let net = &objective.network;
        let (mut x, mut targets) = (Vec::<f32>::new(), TargetBuf::default());
        let rows: Vec<usize> = rows.collect();
        data.gather(&rows, &mut x, &mut targets);
        let m = rows.len();
        let z = std::iter::once(theta)
            .chain(dirs)
            .map(|p| {
                let mut z = vec![0.0f32; m * net.dims()[1]];
                net.pre_activation(p, 0, &x, m, &mut z, 1);
                z
            })
            .collect();
        Chunk { rows: m, z, targets }
    }
}

/// One thread's buffers: a grid point's parameters (those of layers 1… are read), its
/// first-layer pre-activations on a chunk, and the workspace of the layers after the first.
struct Scratch {
    params: Vec<f32>,
    z: Vec<f32>,
    ws: Workspace<f32>,
}

impl Scratch {
    fn new(theta: &[f32]) -> Self {
        Scratch {
            params: theta.to_vec(),
            z: Vec::new(),
            ws: Workspace::new(1),
        }
    }

    /// Sets the parameters of layers 1… to the grid point `c`'s.
    fn point<const N: usize>(&mut self, objective: &Objective, theta: &[f32], dirs: [&[f32]; N], c: &[f64; N]) {
        let segments = objective.network.layout().segments();
        if let Some(tail) = segments.get(2).map(|s| s.offset) {
            combine(&mut self.params[tail..], &theta[tail..], dirs.map(|d| &d[tail..]), c);
        }
    }

    /// `(Σ L_i, correct)` over `chunk` at the grid point `c` (whose parameters of layers 1… are
    /// set by [`point`](Self::point)).
    fn evaluate<const N: usize>(&mut self, objective: &Objective, chunk: &Chunk, c: &[f64; N]) -> (f64, usize) {
        let net = &objective.network;
        let len = chunk.rows * net.dims()[1];
        if self.z.len() < len {
            self.z.resize(len, 0.0);
        }
        let z = &mut self.z[..len];
        combine(z, &chunk.z[0], std::array::from_fn(|k| chunk.z[k + 1].as_slice()), c);
        let scores: &[f32] = if net.dims().len() == 2 {
            z
        } else {
            net.activation().apply(z);
            net.forward_from(&self.params, 1, z, chunk.rows, &mut self.ws)
        };
        objective.loss.batch_value(
            scores,
            net.outputs(),
            chunk.targets.as_slice(),
            objective.class_weight.as_deref(),
        )
    }
}
