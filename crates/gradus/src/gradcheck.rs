//! Gradient checks: the analytic gradient against centred differences, in `f64`.
//!
//! For each checked coordinate `θ_i` the numerical derivative is the centred difference
//!
//! ```text
//! n_i = (L(θ + h e_i) − L(θ − h e_i)) / 2h
//! ```
//!
//! of the objective `L` of [`Objective`] on a few rows, and it is compared with the analytic
//! `a_i = ∂L/∂θ_i` as `torch.autograd.gradcheck` does: the coordinate passes when
//! `|a_i − n_i| ≤ atol + rtol·|n_i|` (defaults `atol = 1e-5`, `rtol = 1e-3`). Each tensor of the
//! [`ParamLayout`](crate::params::ParamLayout) reports how many coordinates it checked and the
//! largest relative error `|a_i − n_i| / max(|a_i|, |n_i|, 1e-12)`.
//!
//! A centred difference across a point where `L` is not differentiable measures neither side's
//! slope, so a coordinate is skipped (and counted) when moving it by `±h` can cross a kink:
//!
//! * a ReLU or leaky-ReLU unit changes sign between `θ − h e_i` and `θ + h e_i` on some row;
//! * some row's scores move by `d > 0` and the loss has a corner within `d` of them
//!   ([`ExampleLoss::near_kink`]: a hinge term or Huber's threshold);
//! * `θ_i` is penalised by an L1 or elastic-net term and `|θ_i| ≤ 2h`
//!   ([`Regularizer::near_kink`](crate::regularizer::Regularizer::near_kink)).

use crate::data::batch::{Examples, epoch_order};
use crate::data::{TargetBuf, TargetSlice, Task};
use crate::error::{Error, Result};
use crate::loss::{ExampleLoss, Loss, target_of};
use crate::objective::{Buffers, CHUNK_ROWS, Objective};
use crate::params::Role;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// How a gradient check perturbs and compares.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradCheckConfig {
    /// The step `h` of the centred difference `(L(θ + h e_i) − L(θ − h e_i)) / 2h`.
    pub eps: f64,
    /// Absolute tolerance: a coordinate passes when `|a − n| ≤ atol + rtol·|n|`.
    pub atol: f64,
    /// Relative tolerance (see [`atol`](Self::atol)).
    pub rtol: f64,
    /// Models with at most this many parameters have every coordinate checked.
    pub exhaustive_limit: usize,
    /// In larger models, a seeded random subset of at most this many coordinates per tensor.
    pub max_per_tensor: usize,
    /// Seed of that subset.
    pub seed: u64,
}

impl Default for GradCheckConfig {
    /// `h = 1e-6`, `atol = 1e-5`, `rtol = 1e-3`; every coordinate up to 20,000 parameters, else
    /// 200 per tensor.
    fn default() -> Self {
        Self {
            eps: 1e-6,
            atol: 1e-5,
            rtol: 1e-3,
            exhaustive_limit: 20_000,
            max_per_tensor: 200,
            seed: 0,
        }
    }
}

impl GradCheckConfig {
    /// Checks the values: `h` finite and `> 0`, tolerances finite and `≥ 0`, at least one
    /// coordinate per tensor.
    pub fn check(self) -> Result<Self> {
        if !(self.eps.is_finite() && self.eps > 0.0) {
            return Err(Error::param(
                "eps",
                format!("must be a finite number > 0, got {}", self.eps),
            ));
        }
        for (name, v) in [("atol", self.atol), ("rtol", self.rtol)] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(Error::param(name, format!("must be a finite number ≥ 0, got {v}")));
            }
        }
        if self.max_per_tensor == 0 {
            return Err(Error::param("max_per_tensor", "must be at least 1, got 0"));
        }
        Ok(self)
    }
}

/// The result for one parameter tensor.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TensorCheck {
    /// The tensor's name (`layers.0.weight`).
    pub name: String,
    /// Its shape.
    pub shape: Vec<usize>,
    /// Coordinates compared.
    pub checked: usize,
    /// Coordinates skipped because a `±h` step can cross a kink.
    pub skipped: usize,
    /// Coordinates with `|a − n| > atol + rtol·|n|`.
    pub failed: usize,
    /// `max |a − n| / max(|a|, |n|, 1e-12)` over the checked coordinates (∞ if one is NaN).
    pub max_rel_error: f64,
    /// `max |a − n|` over the checked coordinates (∞ if one is NaN).
    pub max_abs_error: f64,
    /// Whether no checked coordinate failed.
    pub passed: bool,
}

/// The result of a gradient check: one entry per tensor, in layout order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GradCheckReport {
    /// Per-tensor results.
    pub tensors: Vec<TensorCheck>,
    /// Whether every tensor passed.
    pub passed: bool,
}

impl GradCheckReport {
    /// The tensors that failed.
    pub fn failures(&self) -> impl Iterator<Item = &TensorCheck> {
        self.tensors.iter().filter(|t| !t.passed)
    }
}

/// The rows a check uses: the first `samples` (at most `n`) of a seeded permutation of `0..n`
/// ([`epoch_order`]`(n, seed, 0)`).
pub fn pick_rows(n: usize, samples: usize, seed: u64) -> Result<Vec<usize>> {
    if samples == 0 || samples > CHUNK_ROWS {
        return Err(Error::param(
            "samples",
            format!("must be in 1..={CHUNK_ROWS}, got {samples}"),
        ));
    }
    if n == 0 {
        return Err(Error::data("there are no rows to check the gradient on"));
    }
    let mut order = epoch_order(n, seed, 0);
    order.truncate(samples);
    Ok(order)
}

/// The analytic gradient `∇L(θ)` on `rows` of `data`, from [`Objective::value_and_grad`] in
/// `f64`.
pub fn gradient<E: Examples>(objective: &Objective, params: &[f64], data: &E, rows: &[usize]) -> Result<Vec<f64>> {
    validate(objective, params, data, rows)?;
    let mut grads = vec![0.0; params.len()];
    objective.value_and_grad(params, data, rows, &mut Buffers::new(1), &mut grads);
    Ok(grads)
}

/// Checks [`gradient`] against centred differences on `rows` of `data` at `params`.
pub fn check<E: Examples>(
    objective: &Objective,
    params: &[f64],
    data: &E,
    rows: &[usize],
    cfg: &GradCheckConfig,
) -> Result<GradCheckReport> {
    check_with(objective, params, data, rows, cfg, |p| {
        gradient(objective, p, data, rows)
    })
}

/// Checks the gradient returned by `analytic(θ)` against centred differences of the objective:
/// the same as [`check`], for a gradient computed some other way (or deliberately broken).
pub fn check_with<E, G>(
    objective: &Objective,
    params: &[f64],
    data: &E,
    rows: &[usize],
    cfg: &GradCheckConfig,
    analytic: G,
) -> Result<GradCheckReport>
where
    E: Examples,
    G: FnOnce(&[f64]) -> Result<Vec<f64>>,
{
    let cfg = cfg.check()?;
    let targets = validate(objective, params, data, rows)?;
    let grad = analytic(params)?;
    if grad.len() != params.len() {
        return Err(Error::data(format!(
            "the analytic gradient has {} values, the model {} parameters",
            grad.len(),
            params.len()
        )));
    }
    let mut probe = Probe {
        objective,
        data,
        rows,
        targets,
        buf: Buffers::new(1),
    };
    let [mut base, mut plus, mut minus] = std::array::from_fn(|_| Snapshot::default());
    probe.eval(params, &mut base);
    let mut theta = params.to_vec();
    let layout = objective.network.layout();
    let mut tensors = Vec::with_capacity(layout.segments().len());
    for (t, seg) in layout.segments().iter().enumerate() {
        let mut tc = TensorCheck {
            name: seg.name.clone(),
            shape: seg.shape.clone(),
            checked: 0,
            skipped: 0,
            failed: 0,
            max_rel_error: 0.0,
            max_abs_error: 0.0,
            passed: true,
        };
        let penalised = seg.role == Role::Weight || objective.regularizer.include_bias;
        for i in coordinates(seg.len(), t, layout.len(), &cfg)
            .into_iter()
            .map(|k| seg.offset + k)
        {
            let x = params[i];
            let (up, down) = (x + cfg.eps, x - cfg.eps);
            theta[i] = up;
            probe.eval(&theta, &mut plus);
            theta[i] = down;
            probe.eval(&theta, &mut minus);
            theta[i] = x;
            if (penalised && objective.regularizer.near_kink(x, cfg.eps)) || probe.crosses_kink(&base, &plus, &minus) {
                tc.skipped += 1;
                continue;
            }
            let (a, n) = (grad[i], (plus.value - minus.value) / (up - down));
            let abs = nan_to_inf((a - n).abs());
            let rel = nan_to_inf(abs / a.abs().max(n.abs()).max(1e-12));
            tc.checked += 1;
            tc.max_abs_error = tc.max_abs_error.max(abs);
            tc.max_rel_error = tc.max_rel_error.max(rel);
            // False when `n` is NaN, so a NaN numerical derivative fails.
            let within = abs <= cfg.atol + cfg.rtol * n.abs();
            if !within {
                tc.failed += 1;
            }
        }
        tc.passed = tc.failed == 0;
        tensors.push(tc);
    }
    let passed = tensors.iter().all(|t| t.passed);
    Ok(GradCheckReport { tensors, passed })
}

fn nan_to_inf(v: f64) -> f64 {
    if v.is_nan() { f64::INFINITY } else { v }
}

/// Offsets inside a tensor of `len` values (tensor number `t`) to check.
fn coordinates(len: usize, t: usize, total: usize, cfg: &GradCheckConfig) -> Vec<usize> {
    if total <= cfg.exhaustive_limit || len <= cfg.max_per_tensor {
        return (0..len).collect();
    }
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    rng.set_stream(t as u64);
    let mut picked = rand::seq::index::sample(&mut rng, len, cfg.max_per_tensor).into_vec();
    picked.sort_unstable();
    picked
}

/// Checks that the parameters, rows and targets fit the objective (so nothing below can index
/// out of range); returns the rows' targets.
fn validate<E: Examples>(objective: &Objective, params: &[f64], data: &E, rows: &[usize]) -> Result<TargetBuf> {
    let net = &objective.network;
    let layout = net.layout();
    if params.len() != layout.len() {
        return Err(Error::data(format!(
            "the model has {} parameters, expected {}",
            params.len(),
            layout.len()
        )));
    }
    if let Some(i) = params.iter().position(|p| !p.is_finite()) {
        let name = layout
            .segments()
            .iter()
            .find(|s| s.range().contains(&i))
            .map_or("?", |s| s.name.as_str());
        return Err(Error::data(format!(
            "parameter {i} ({name}) is {}, not a finite number",
            params[i]
        )));
    }
    if rows.is_empty() || rows.len() > CHUNK_ROWS {
        return Err(Error::data(format!(
            "a gradient check takes 1 to {CHUNK_ROWS} rows, got {}",
            rows.len()
        )));
    }
    if let Some(&r) = rows.iter().find(|&&r| r >= data.len()) {
        return Err(Error::data(format!("row {r} is out of range for {} rows", data.len())));
    }
    if data.n_features() != net.inputs() {
        return Err(Error::data(format!(
            "the rows have {} features, the model expects {}",
            data.n_features(),
            net.inputs()
        )));
    }
    let (mut x, mut targets) = (Vec::<f64>::new(), TargetBuf::default());
    data.gather(rows, &mut x, &mut targets);
    let classes = if matches!(objective.loss, Loss::Logistic(_)) {
        2
    } else {
        net.outputs()
    };
    let (task, labels) = match targets.as_slice() {
        TargetSlice::Classes(labels) => (Task::Classify, labels),
        TargetSlice::Values(_) => (Task::Regress, &[][..]),
    };
    let want = objective.loss.outputs(task, classes)?;
    if want != net.outputs() {
        return Err(Error::data(format!(
            "the {} loss needs {want} outputs, the model has {}",
            objective.loss,
            net.outputs()
        )));
    }
    if let Some(&l) = labels.iter().find(|&&l| l as usize >= classes) {
        return Err(Error::data(format!("label {l} is out of range for {classes} classes")));
    }
    Ok(targets)
}

/// What one evaluation of the objective records.
#[derive(Default)]
struct Snapshot {
    /// `L(θ)`.
    value: f64,
    /// The `rows × outputs` scores.
    scores: Vec<f64>,
    /// For ReLU-like activations, whether each hidden unit is positive, row by row.
    active: Vec<bool>,
}

/// Evaluates the objective on the checked rows and records what kink detection needs.
struct Probe<'a, E> {
    objective: &'a Objective,
    data: &'a E,
    rows: &'a [usize],
    targets: TargetBuf,
    buf: Buffers<f64>,
}

impl<E: Examples> Probe<'_, E> {
    fn eval(&mut self, theta: &[f64], out: &mut Snapshot) {
        // `rows` fits in one chunk (checked by `validate`), so after `value` the workspace
        // holds the forward pass of exactly these rows.
        out.value = self
            .objective
            .value(theta, self.data, self.rows, &mut self.buf)
            .objective;
        let net = &self.objective.network;
        let n = self.rows.len();
        let acts = self.buf.first_workspace().activations();
        let (hidden, last) = acts.split_at(acts.len() - 1);
        out.scores.clear();
        out.scores.extend_from_slice(&last[0][..n * net.outputs()]);
        out.active.clear();
        if net.activation().has_kinks() {
            for (a, &width) in hidden.iter().zip(&net.dims()[1..]) {
                out.active.extend(a[..n * width].iter().map(|&v| v > 0.0));
            }
        }
    }

    /// Whether `L` has a kink between the evaluations `minus` and `plus` around `base`.
    fn crosses_kink(&self, base: &Snapshot, plus: &Snapshot, minus: &Snapshot) -> bool {
        if plus.active != minus.active {
            return true;
        }
        let k = self.objective.network.outputs();
        let targets = self.targets.as_slice();
        let rows = base
            .scores
            .chunks_exact(k)
            .zip(plus.scores.chunks_exact(k))
            .zip(minus.scores.chunks_exact(k));
        rows.enumerate().any(|(r, ((s, sp), sm))| {
            let moved = s
                .iter()
                .zip(sp)
                .zip(sm)
                .map(|((s, p), m)| (p - s).abs().max((m - s).abs()))
                .fold(0.0, f64::max);
            // The ±h step moves this row's scores by at most `moved` (0: the row's loss is
            // unchanged, kink or not).
            moved > 0.0 && self.objective.loss.near_kink(s, target_of(targets, r), moved)
        })
    }
}
