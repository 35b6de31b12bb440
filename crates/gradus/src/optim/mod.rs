//! Update rules: the step from a gradient to new parameters, with `torch.optim` semantics.
//!
//! Every rule is a small state machine over flat slices. [`OptimizerParams`] holds the
//! hyperparameters as the user gives them (each optional, so a flag that does not apply to the
//! chosen rule is an error); [`OptimizerParams::build`] checks them once and returns an
//! [`Optimizer`], which is plain data. The per-parameter buffers live apart from it, in a
//! [`State`] made by [`Optimizer::init`]:
//!
//! ```text
//! let opt = params.build()?;            // validated hyperparameters
//! let mut state = opt.init::<f32>(n);   // step 0, zeroed buffers named as torch names them
//! opt.step(&mut theta, &grad, lr, &mut state);
//! ```
//!
//! | name | rule (torch's form) | state | default lr | torch's lr |
//! |------|------|-------|-----------|-----------|
//! | `sgd` | θ ← θ − α g | — | 0.1 | 1e-3 |
//! | `momentum` | b ← μb + (1−τ)g, θ ← θ − α b | `momentum_buffer` | 0.01 | 1e-3 |
//! | `nesterov` | b ← μb + g, θ ← θ − α(g + μb) | `momentum_buffer` | 0.01 | 1e-3 |
//! | `adagrad` | G ← G + g², θ ← θ − α_t g/(√G + ε) | `sum` | 0.1 | 1e-2 |
//! | `rmsprop` | v ← ρv + (1−ρ)g², θ ← θ − α g/(√v + ε) | `square_avg` (+ `momentum_buffer`, `grad_avg`) | 1e-2 | 1e-2 |
//! | `adadelta` | see [`AdaDelta`] | `square_avg`, `acc_delta` | 1.0 | 1.0 |
//! | `adam`, `adamw` | see [`Adam`] | `exp_avg`, `exp_avg_sq` (+ `max_exp_avg_sq`) | 1e-2 | 1e-3 |
//!
//! **Default learning rates.** torch's defaults are made for no data in particular, and plain
//! SGD at its 1e-3 barely moves a linear classifier on standardized features in ten epochs
//! (test accuracy 0.18 on the embedded digits). gradus' defaults
//! ([`Optimizer::default_lr`], [`Preset::Gradus`]) are those that train the embedded digits
//! (linear softmax, standardized, batches of 64, 10 epochs) to ≥ 0.93 test accuracy: 0.96–0.98
//! for every rule, and the same rates train MLPs there as well. They are scaled for features of
//! unit variance; [`Preset::Torch`] ([`Optimizer::torch_lr`]) keeps torch's numbers, for
//! parity.
//!
//! **Conventions.** [`Convention::Torch`] (the default) follows the operation order of torch's
//! single-tensor (`foreach=False`) implementation, so `f64` trajectories agree with
//! `torch.optim` in float64 to rounding (`tests/optim_parity.rs` checks 1e-9 relative over 150
//! steps). Scalars are computed in `f64`, as Python computes them, and rounded to `T` where
//! torch's kernels would round them. [`Convention::Textbook`] is the form the lecture notes
//! write (Goodfellow, Bengio & Courville, *Deep Learning*, §8.3–8.5): the learning rate inside
//! the velocity for `momentum`, the gradient at the look-ahead point for `nesterov`, ε inside
//! the square root for `adagrad`, `rmsprop`, `adam` and `adamw` (optax's `eps_in_sqrt`). The
//! two forms side by side:
//!
//! | rule | `torch` | `textbook` |
//! | --- | --- | --- |
//! | `momentum` | b ← μb + (1−τ)g, θ ← θ − αb (b = g at t = 1) | v ← μv − α(1−τ)g, θ ← θ + v (v = 0 at t = 0) |
//! | `nesterov` | g = ∇L(θ), b ← μb + g, θ ← θ − α(g + μb) | g = ∇L(θ + μv), v ← μv − αg, θ ← θ + v |
//! | `adagrad` | θ ← θ − α_t g/(√G + ε) | θ ← θ − α_t g/√(G + ε) |
//! | `rmsprop` | θ ← θ − α g/(√v + ε) | θ ← θ − α g/√(v + ε) |
//! | `adam`, `adamw` | θ ← θ − α m̂/(√v̂ + ε) | θ ← θ − α m̂/√(v̂ + ε) |
//!
//! With a constant learning rate the two momentum forms give the same iterates (v = −αb); when α
//! changes, the textbook velocity keeps the old step sizes while torch rescales the whole buffer
//! by the new α. The two Nesterov forms give the same points, but torch's parameters are the
//! textbook's look-ahead points θ + μv. The ε forms differ while v is of the order of ε.
//!
//! Weight decay λ is coupled (g ← g + λθ, as torch) for every rule except `adamw`, which decays
//! the parameters directly (θ ← θ(1 − αλ)).
//!
//! A checkpoint saves [`State::step`] and each slot by name; restoring them into a fresh
//! [`Optimizer::init`] state (checked by [`Optimizer::check_state`]) continues the run bit for
//! bit.

mod adadelta;
mod adagrad;
mod adam;
mod rmsprop;
mod sgd;

pub use adadelta::AdaDelta;
pub use adagrad::Adagrad;
pub use adam::Adam;
pub use rmsprop::RmsProp;
pub use sgd::Sgd;

use crate::{Error, Real, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// The registry of update rules: each rule's name and the hyperparameters that apply to it, in
/// the order they are listed ([`HYPERPARAMETERS`] names them). A rule is added here, in
/// [`OptimizerParams::build`] and in its own module.
pub const RULES: [(&str, &[&str]); 8] = [
    ("sgd", &["weight_decay"]),
    ("momentum", &["momentum", "dampening", "weight_decay", "convention"]),
    ("nesterov", &["momentum", "dampening", "weight_decay", "convention"]),
    ("adagrad", &["lr_decay", "eps", "weight_decay", "convention"]),
    (
        "rmsprop",
        &["rho", "eps", "momentum", "centered", "weight_decay", "convention"],
    ),
    ("adadelta", &["rho", "eps", "weight_decay"]),
    (
        "adam",
        &["beta1", "beta2", "eps", "weight_decay", "amsgrad", "convention"],
    ),
    (
        "adamw",
        &["beta1", "beta2", "eps", "weight_decay", "amsgrad", "convention"],
    ),
];

/// The rule names [`OptimizerParams::build`] accepts, in [`RULES`] order.
pub const NAMES: [&str; RULES.len()] = {
    let mut names = [""; RULES.len()];
    let mut i = 0;
    while i < RULES.len() {
        names[i] = RULES[i].0;
        i += 1;
    }
    names
};

/// A hyperparameter of [`OptimizerParams`]: its name, whether it is given, and how to unset it.
type Hyperparameter = (&'static str, fn(&OptimizerParams) -> bool, fn(&mut OptimizerParams));

/// Every optional hyperparameter of [`OptimizerParams`], in a fixed order.
pub const HYPERPARAMETERS: [Hyperparameter; 11] = [
    ("momentum", |p| p.momentum.is_some(), |p| p.momentum = None),
    ("dampening", |p| p.dampening.is_some(), |p| p.dampening = None),
    ("rho", |p| p.rho.is_some(), |p| p.rho = None),
    ("beta1", |p| p.beta1.is_some(), |p| p.beta1 = None),
    ("beta2", |p| p.beta2.is_some(), |p| p.beta2 = None),
    ("eps", |p| p.eps.is_some(), |p| p.eps = None),
    ("weight_decay", |p| p.weight_decay.is_some(), |p| p.weight_decay = None),
    ("centered", |p| p.centered, |p| p.centered = false),
    ("amsgrad", |p| p.amsgrad, |p| p.amsgrad = false),
    ("lr_decay", |p| p.lr_decay.is_some(), |p| p.lr_decay = None),
    ("convention", |p| p.convention.is_some(), |p| p.convention = None),
];

/// One parallel task of [`Optimizer::step`]: parameters, gradients and each buffer's matching chunk.
type Chunk<'a, T> = (&'a mut [T], &'a [T], Vec<&'a mut [T]>);

/// Parameters per parallel task of [`Optimizer::step`]: below twice this, one thread steps all.
const PARALLEL_CHUNK: usize = 1 << 14;

/// An update rule: hyperparameters, and the step they define.
pub trait UpdateRule {
    /// The rule's name (`"adam"`), as [`OptimizerParams::name`] spells it.
    fn name(&self) -> &'static str;
    /// gradus' default learning rate for the rule (see the [module docs](self)).
    fn default_lr(&self) -> f64;
    /// torch's default learning rate for the rule.
    fn torch_lr(&self) -> f64;
    /// The names of the per-parameter buffers the rule keeps, in order.
    fn slot_names(&self) -> &'static [&'static str];
    /// The rule and its hyperparameters, e.g. `adam(beta1=0.9, beta2=0.999, eps=1e-8,
    /// weight_decay=0)`; on/off options are listed only when on.
    fn describe(&self) -> String;
    /// Applies step number `t` (1 at the first step) with learning rate `lr` to `params`.
    ///
    /// `grads` and every buffer in `slots` are as long as `params`, and `slots` holds the
    /// buffers named by [`slot_names`](UpdateRule::slot_names), in that order; the rule
    /// panics otherwise. [`Optimizer::step`] checks this and counts `t`. Every rule is
    /// elementwise, so `step` may apply it to matching chunks of the slices in parallel.
    fn update<T: Real>(&self, params: &mut [T], grads: &[T], lr: f64, t: u64, slots: &mut [&mut [T]]);
}

/// Hyperparameters as given on the command line, before validation.
///
/// `None` (or `false`) means "not given": the rule's default is used, and a given value that
/// the rule has no use for is an error. Serialized with the unset fields left out; this is also
/// the form in which an [`Optimizer`] is serialized.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OptimizerParams {
    /// The rule, one of [`NAMES`].
    pub name: String,
    /// Momentum μ (`momentum`, `nesterov`: default 0.9; `rmsprop`: default 0), ≥ 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub momentum: Option<f64>,
    /// Dampening τ of the momentum (`momentum`: in [0, 1], default 0; `nesterov`: must be 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dampening: Option<f64>,
    /// Decay ρ of the running averages, in [0, 1] (`rmsprop`: torch's `alpha`, default 0.99;
    /// `adadelta`: default 0.9).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rho: Option<f64>,
    /// β₁ of Adam, in [0, 1), default 0.9.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beta1: Option<f64>,
    /// β₂ of Adam, in [0, 1), default 0.999.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beta2: Option<f64>,
    /// ε of the adaptive rules, ≥ 0 (`adadelta`: > 0); defaults: `adagrad` 1e-10, `rmsprop`
    /// and `adam` 1e-8, `adadelta` 1e-6.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eps: Option<f64>,
    /// Weight decay λ ≥ 0; default 0, `adamw` 0.01.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight_decay: Option<f64>,
    /// `rmsprop`: normalise by the centred second moment v − ḡ².
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub centered: bool,
    /// `adam`, `adamw`: normalise by the running maximum of the second moment.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub amsgrad: bool,
    /// `adagrad`: learning-rate decay κ ≥ 0, α_t = α/(1 + (t−1)κ); default 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lr_decay: Option<f64>,
    /// Which form of the rule's formulas (default [`Convention::Torch`]); applies to
    /// `momentum`, `nesterov`, `adagrad`, `rmsprop`, `adam` and `adamw`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub convention: Option<Convention>,
}

/// The form of an update rule's formulas; see the [module docs](self) for both side by side.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Convention {
    /// torch.optim's operations, in torch's order (parity to rounding).
    #[default]
    Torch,
    /// The lecture notes' forms (Goodfellow et al., Alg. 8.2–8.5): the learning rate inside
    /// the velocity, Nesterov's gradient at the look-ahead point, ε inside the square root.
    Textbook,
}

impl std::str::FromStr for Convention {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "torch" => Ok(Convention::Torch),
            "textbook" => Ok(Convention::Textbook),
            _ => Err(Error::param(
                "convention",
                format!("must be torch or textbook, got '{s}'"),
            )),
        }
    }
}

/// Where the default learning rate comes from when none is given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Preset {
    /// gradus' rates ([`Optimizer::default_lr`]): they train standardized data well.
    #[default]
    Gradus,
    /// torch.optim's rates ([`Optimizer::torch_lr`]), for parity.
    Torch,
}

impl Preset {
    /// The default learning rate of `opt` under this preset.
    pub fn lr(self, opt: &Optimizer) -> f64 {
        match self {
            Preset::Gradus => opt.default_lr(),
            Preset::Torch => opt.torch_lr(),
        }
    }
}

impl std::str::FromStr for Preset {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "gradus" => Ok(Preset::Gradus),
            "torch" => Ok(Preset::Torch),
            _ => Err(Error::param("preset", format!("must be gradus or torch, got '{s}'"))),
        }
    }
}

impl OptimizerParams {
    /// The parameters with only `name` set: the rule with torch's defaults.
    pub fn named(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            ..Self::default()
        }
    }

    /// Checks the hyperparameters and builds the rule.
    ///
    /// # Errors
    /// [`Error::Param`] naming the flag: an unknown rule (`--optimizer`), a flag that does not
    /// apply to the rule (`--beta1 does not apply to sgd`), or a value out of its range
    /// (`--beta1 must be in [0, 1), got 1.2`).
    pub fn build(&self) -> Result<Optimizer> {
        if NAMES.contains(&self.name.as_str()) {
            self.allow()?;
        }
        match self.name.as_str() {
            "sgd" | "momentum" | "nesterov" => Sgd::from_params(self).map(Optimizer::Sgd),
            "adagrad" => Adagrad::from_params(self).map(Optimizer::Adagrad),
            "rmsprop" => RmsProp::from_params(self).map(Optimizer::RmsProp),
            "adadelta" => AdaDelta::from_params(self).map(Optimizer::AdaDelta),
            "adam" | "adamw" => Adam::from_params(self).map(Optimizer::Adam),
            other => Err(Error::param(
                "optimizer",
                format!("must be one of {}, got '{other}'", NAMES.join(", ")),
            )),
        }
    }

    /// The hyperparameters given, in [`HYPERPARAMETERS`] order.
    fn given(&self) -> Vec<&'static str> {
        HYPERPARAMETERS
            .iter()
            .filter(|(_, is_given, _)| is_given(self))
            .map(|(name, _, _)| *name)
            .collect()
    }

    /// Fails on the first hyperparameter that is given but does not apply to the rule.
    fn allow(&self) -> Result<()> {
        let allowed = applicable(&self.name);
        match self.given().into_iter().find(|h| !allowed.contains(h)) {
            Some(h) => Err(Error::param(h, format!("does not apply to {}", self.name))),
            None => Ok(()),
        }
    }

    /// These hyperparameters for the rule `name`, keeping those that apply to it; also returns
    /// the names of those left out. For comparing several rules with one set of values.
    pub fn for_rule(&self, name: &str) -> (OptimizerParams, Vec<&'static str>) {
        let mut p = OptimizerParams {
            name: name.to_owned(),
            ..self.clone()
        };
        let allowed = applicable(name);
        let mut dropped = Vec::new();
        for (h, is_given, unset) in HYPERPARAMETERS {
            if is_given(self) && !allowed.contains(&h) {
                unset(&mut p);
                dropped.push(h);
            }
        }
        (p, dropped)
    }
}

/// The hyperparameters that apply to the rule `name` (none for an unknown name).
pub fn applicable(name: &str) -> &'static [&'static str] {
    RULES.iter().find(|(rule, _)| *rule == name).map_or(&[], |(_, h)| h)
}

/// The valid range of a hyperparameter.
#[derive(Clone, Copy)]
enum Range {
    /// Finite, ≥ 0.
    NonNegative,
    /// Finite, > 0.
    Positive,
    /// [0, 1].
    Unit,
    /// [0, 1).
    UnitOpen,
}

impl Range {
    fn contains(self, x: f64) -> bool {
        match self {
            Range::NonNegative => x.is_finite() && x >= 0.0,
            Range::Positive => x.is_finite() && x > 0.0,
            Range::Unit => (0.0..=1.0).contains(&x),
            Range::UnitOpen => (0.0..1.0).contains(&x),
        }
    }

    fn text(self) -> &'static str {
        match self {
            Range::NonNegative => "finite and >= 0",
            Range::Positive => "finite and > 0",
            Range::Unit => "in [0, 1]",
            Range::UnitOpen => "in [0, 1)",
        }
    }
}

/// `value`, or `default` when not given, checked against `range`.
fn checked(flag: &str, value: Option<f64>, default: f64, range: Range) -> Result<f64> {
    let x = value.unwrap_or(default);
    if range.contains(x) {
        Ok(x)
    } else {
        Err(Error::param(flag, format!("must be {}, got {}", range.text(), num(x))))
    }
}

/// A number for [`UpdateRule::describe`]: plain when that is short, `1e-8` otherwise.
pub(crate) fn num(x: f64) -> String {
    if x != 0.0 && (x.abs() < 1e-3 || x.abs() >= 1e6) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// g + λθ, torch's coupled weight decay; exactly g when λ = 0, as torch skips the addition.
#[inline(always)]
fn coupled<T: Real>(g: T, theta: T, weight_decay: T) -> T {
    if weight_decay == T::zero() {
        g
    } else {
        g + weight_decay * theta
    }
}

/// `torch.lerp(start, end, w)`: start + w(end − start), or end − (end − start)(1 − w) when
/// |w| ≥ ½, the form that is exact at w = 1.
#[inline(always)]
fn lerp<T: Real>(start: T, end: T, w: T) -> T {
    if w.abs() < T::of(0.5) {
        start + w * (end - start)
    } else {
        end - (end - start) * (T::one() - w)
    }
}

/// The `K` buffers of `slots`; panics when there are not exactly `K`.
fn buffers<'s, T, const K: usize>(slots: &'s mut [&mut [T]]) -> [&'s mut [T]; K] {
    let found = slots.len();
    let slots: &mut [&mut [T]; K] = slots
        .try_into()
        .unwrap_or_else(|_| panic!("optimizer state holds {found} buffers, the rule needs {K}"));
    slots.each_mut().map(|buffer| &mut **buffer)
}

/// A validated update rule; `momentum` and `nesterov` are [`Sgd`], `adamw` is [`Adam`] with
/// decoupled weight decay.
///
/// Serialized as its [`OptimizerParams`] with every hyperparameter explicit, and validated again
/// when deserialized.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(into = "OptimizerParams", try_from = "OptimizerParams")]
pub enum Optimizer {
    /// `sgd`, `momentum`, `nesterov`.
    Sgd(Sgd),
    /// `adagrad`.
    Adagrad(Adagrad),
    /// `rmsprop`.
    RmsProp(RmsProp),
    /// `adadelta`.
    AdaDelta(AdaDelta),
    /// `adam`, `adamw`.
    Adam(Adam),
}

/// Calls `$body` with `$rule` bound to the rule inside `$opt`.
macro_rules! dispatch {
    ($opt:expr, $rule:ident => $body:expr) => {
        match $opt {
            Optimizer::Sgd($rule) => $body,
            Optimizer::Adagrad($rule) => $body,
            Optimizer::RmsProp($rule) => $body,
            Optimizer::AdaDelta($rule) => $body,
            Optimizer::Adam($rule) => $body,
        }
    };
}

impl Optimizer {
    /// The rule's name, one of [`NAMES`].
    pub fn name(&self) -> &'static str {
        dispatch!(self, r => r.name())
    }

    /// gradus' default learning rate: `sgd` 0.1; `momentum`, `nesterov` 0.01 (the same
    /// long-run step α/(1 − μ) at μ = 0.9); `adagrad` 0.1; `rmsprop` 0.01; `adadelta` 1.0;
    /// `adam`, `adamw` 0.01. Each trains the embedded digits to ≥ 0.93 test accuracy with
    /// `gradus train`'s other defaults (see the [module docs](self)).
    pub fn default_lr(&self) -> f64 {
        dispatch!(self, r => r.default_lr())
    }

    /// torch's default learning rate: `sgd`, `momentum`, `nesterov` 1e-3; `adagrad`, `rmsprop`
    /// 1e-2; `adadelta` 1.0; `adam`, `adamw` 1e-3.
    pub fn torch_lr(&self) -> f64 {
        dispatch!(self, r => r.torch_lr())
    }

    /// The form of the rule's formulas.
    pub fn convention(&self) -> Convention {
        match self {
            Optimizer::Sgd(r) if r.textbook => Convention::Textbook,
            Optimizer::Adagrad(r) if r.eps_in_sqrt => Convention::Textbook,
            Optimizer::RmsProp(r) if r.eps_in_sqrt => Convention::Textbook,
            Optimizer::Adam(r) if r.eps_in_sqrt => Convention::Textbook,
            _ => Convention::Torch,
        }
    }

    /// Where the next step's gradient is to be taken: `false` when at θ itself; `true` when
    /// at another point, which is then written into `point`. Only textbook Nesterov asks for
    /// another point, the look-ahead θ + μv (Goodfellow et al., Alg. 8.3); the
    /// [`Trainer`](crate::train::Trainer) evaluates the gradient there and passes it to
    /// [`step`](Self::step).
    pub fn gradient_point<T: Real>(&self, params: &[T], state: &State<T>, point: &mut Vec<T>) -> bool {
        match self {
            Optimizer::Sgd(r) => r.lookahead(params, state, point),
            _ => false,
        }
    }

    /// Whether this is plain SGD, `θ ← θ − α g` (no momentum, no weight decay of its own): the
    /// rule under which a coordinate without a data gradient moves by the penalty alone, which
    /// sparse training defers in closed form.
    pub fn is_plain_sgd(&self) -> bool {
        matches!(self, Optimizer::Sgd(r) if r.momentum == 0.0 && r.weight_decay == 0.0)
    }

    /// The names of the per-parameter buffers, in [`State::slots`] order.
    pub fn slot_names(&self) -> &'static [&'static str] {
        dispatch!(self, r => r.slot_names())
    }

    /// The rule and its hyperparameters, e.g. `adam(beta1=0.9, beta2=0.999, eps=1e-8,
    /// weight_decay=0)`.
    pub fn describe(&self) -> String {
        dispatch!(self, r => r.describe())
    }

    /// The state before the first step for `n` parameters: step 0, every buffer zero.
    pub fn init<T: Real>(&self, n: usize) -> State<T> {
        let slots = self
            .slot_names()
            .iter()
            .map(|&name| (name, vec![T::zero(); n]))
            .collect();
        State { step: 0, slots }
    }

    /// Checks that `state` belongs to this rule and `n` parameters (a restored checkpoint).
    ///
    /// # Errors
    /// [`Error::Data`] when the slot names differ from [`slot_names`](Self::slot_names) or a
    /// buffer's length from `n`.
    pub fn check_state<T>(&self, state: &State<T>, n: usize) -> Result<()> {
        let names = self.slot_names();
        if !state.slots.iter().map(|(name, _)| *name).eq(names.iter().copied()) {
            let found: Vec<&str> = state.slots.iter().map(|(name, _)| *name).collect();
            return Err(Error::data(format!(
                "optimizer state holds [{}], {} needs [{}]",
                found.join(", "),
                self.name(),
                names.join(", ")
            )));
        }
        match state.slots.iter().find(|(_, buffer)| buffer.len() != n) {
            Some((name, buffer)) => Err(Error::data(format!(
                "optimizer state {name} holds {} values, the model has {n} parameters",
                buffer.len()
            ))),
            None => Ok(()),
        }
    }

    /// One step: advances `state.step` to t and applies the rule's step t to `params`, with
    /// learning rate `lr` and gradient `grads` (left untouched).
    ///
    /// # Panics
    /// When `grads` and `params` differ in length, or `state` does not fit them
    /// ([`check_state`](Self::check_state)).
    pub fn step<T: Real>(&self, params: &mut [T], grads: &[T], lr: f64, state: &mut State<T>) {
        assert_eq!(params.len(), grads.len(), "parameters and gradients differ in length");
        if let Err(e) = self.check_state(state, params.len()) {
            panic!("{e}");
        }
        state.step += 1;
        let t = state.step;
        if params.len() < 2 * PARALLEL_CHUNK {
            let mut slots: Vec<&mut [T]> = state.slots.iter_mut().map(|(_, b)| b.as_mut_slice()).collect();
            dispatch!(self, r => r.update(params, grads, lr, t, &mut slots));
            return;
        }
        // The rules are elementwise: matching chunks of parameters, gradients and buffers are
        // independent tasks, and the result is the same bits as one sequential pass.
        let mut slot_chunks: Vec<_> = state
            .slots
            .iter_mut()
            .map(|(_, b)| b.chunks_mut(PARALLEL_CHUNK))
            .collect();
        let tasks: Vec<Chunk<T>> = params
            .chunks_mut(PARALLEL_CHUNK)
            .zip(grads.chunks(PARALLEL_CHUNK))
            .map(|(p, g)| (p, g, slot_chunks.iter_mut().filter_map(Iterator::next).collect()))
            .collect();
        tasks
            .into_par_iter()
            .for_each(|(p, g, mut slots)| dispatch!(self, r => r.update(p, g, lr, t, &mut slots)));
    }

    /// One step of the rule on the coordinates `support` alone (increasing), whose gradient
    /// is `grads` (`grads[k]` that of `support[k]`), every other parameter and buffer left as
    /// it is: the coordinates and their buffers are gathered into `scratch`, updated by the
    /// rule as if they were the whole vector, and scattered back. The step count `t` is the
    /// run's, as in PyTorch's `SparseAdam` (Adam's bias corrections count every step, touched
    /// or not).
    ///
    /// # Panics
    /// As [`step`](Self::step), and when `grads` and `support` differ in length.
    pub fn step_on<T: Real>(
        &self,
        params: &mut [T],
        grads: &[T],
        lr: f64,
        state: &mut State<T>,
        support: &[usize],
        scratch: &mut Vec<T>,
    ) {
        assert_eq!(
            support.len(),
            grads.len(),
            "the support and its gradient differ in length"
        );
        if let Err(e) = self.check_state(state, params.len()) {
            panic!("{e}");
        }
        state.step += 1;
        let (t, k) = (state.step, support.len());
        if k == 0 {
            return;
        }
        scratch.clear();
        scratch.extend(support.iter().map(|&i| params[i]));
        scratch.extend_from_slice(grads);
        for (_, buf) in &state.slots {
            scratch.extend(support.iter().map(|&i| buf[i]));
        }
        let (p, rest) = scratch.split_at_mut(k);
        let (g, buffers) = rest.split_at_mut(k);
        let mut slots: Vec<&mut [T]> = buffers.chunks_mut(k).collect();
        dispatch!(self, r => r.update(p, g, lr, t, &mut slots));
        for (&i, &v) in support.iter().zip(p.iter()) {
            params[i] = v;
        }
        for ((_, buf), gathered) in state.slots.iter_mut().zip(&slots) {
            for (&i, &v) in support.iter().zip(gathered.iter()) {
                buf[i] = v;
            }
        }
    }
}

impl From<Optimizer> for OptimizerParams {
    /// Every hyperparameter of the rule, explicit.
    fn from(opt: Optimizer) -> Self {
        dispatch!(&opt, r => r.to_params())
    }
}

impl TryFrom<OptimizerParams> for Optimizer {
    type Error = Error;
    fn try_from(params: OptimizerParams) -> Result<Self> {
        params.build()
    }
}

/// The per-parameter state of an update rule.
///
/// Serialized as its step counter alone: the buffers are tensors of their own in a checkpoint
/// (`optimizer.{slot}`, see [`crate::modelfile`]), restored into [`Optimizer::init`]'s.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "", deserialize = ""))]
pub struct State<T> {
    /// Steps taken so far (torch's `step`).
    pub step: u64,
    /// The buffers, named and ordered as [`Optimizer::slot_names`], each as long as the
    /// parameter vector.
    #[serde(skip)]
    pub slots: Vec<(&'static str, Vec<T>)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(name: &str) -> OptimizerParams {
        OptimizerParams::named(name)
    }

    fn err(p: OptimizerParams) -> String {
        p.build().unwrap_err().to_string()
    }

    #[test]
    fn for_rule_keeps_only_the_flags_that_apply() {
        let flags = OptimizerParams {
            momentum: Some(0.5),
            beta1: Some(0.8),
            amsgrad: true,
            ..params("adam")
        };
        let (p, dropped) = flags.for_rule("rmsprop");
        assert_eq!(dropped, vec!["beta1", "amsgrad"]);
        assert_eq!((p.momentum, p.beta1, p.amsgrad), (Some(0.5), None, false));
        assert!(p.build().is_ok());
        let (p, dropped) = flags.for_rule("adam");
        assert_eq!(dropped, vec!["momentum"]);
        assert!(p.build().is_ok());
    }

    /// Steps `opt` on f(θ) = ½ Σ cᵢθᵢ² from a fixed start.
    fn run(opt: &Optimizer, steps: usize) -> Vec<f64> {
        let c = [1.0, 10.0, 0.5];
        let mut theta = vec![1.0, -2.0, 3.0];
        let mut state = opt.init::<f64>(theta.len());
        for _ in 0..steps {
            let g: Vec<f64> = theta.iter().zip(c).map(|(x, c)| c * x).collect();
            opt.step(&mut theta, &g, 0.05, &mut state);
        }
        theta
    }

    #[test]
    fn momentum_zero_is_plain_sgd() {
        let sgd = params("sgd").build().unwrap();
        let zero = OptimizerParams {
            momentum: Some(0.0),
            ..params("momentum")
        }
        .build()
        .unwrap();
        assert_eq!(run(&sgd, 20), run(&zero, 20));
        assert_eq!(zero.name(), "sgd");
        assert!(zero.slot_names().is_empty());
    }

    #[test]
    fn plain_sgd_is_gradient_descent() {
        let opt = params("sgd").build().unwrap();
        let mut theta = [1.0_f64, -2.0];
        let mut state = opt.init(2);
        opt.step(&mut theta, &[0.5, 4.0], 0.1, &mut state);
        assert_eq!(theta, [1.0 - 0.1 * 0.5, -2.0 - 0.1 * 4.0]);
        assert_eq!(state.step, 1);
    }

    #[test]
    fn momentum_buffer_starts_at_the_gradient() {
        let opt = OptimizerParams {
            momentum: Some(0.5),
            dampening: Some(0.5),
            ..params("momentum")
        }
        .build()
        .unwrap();
        let mut theta = [0.0_f64];
        let mut state = opt.init(1);
        opt.step(&mut theta, &[2.0], 1.0, &mut state);
        assert_eq!(state.slots[0].1, [2.0]);
        opt.step(&mut theta, &[2.0], 1.0, &mut state);
        assert_eq!(state.slots[0].1, [0.5 * 2.0 + 0.5 * 2.0]);
        assert_eq!(theta, [-4.0]);
    }

    fn textbook(name: &str) -> OptimizerParams {
        OptimizerParams {
            convention: Some(Convention::Textbook),
            ..params(name)
        }
    }

    /// Steps `opt` on f(θ) = ½θ² (g = θ) from θ = 1 at the rates `lrs`, returning each θ.
    fn steps(opt: &Optimizer, lrs: &[f64]) -> Vec<f64> {
        let mut theta = [1.0_f64];
        let mut state = opt.init(1);
        lrs.iter()
            .map(|&lr| {
                let g = [theta[0]];
                opt.step(&mut theta, &g, lr, &mut state);
                theta[0]
            })
            .collect()
    }

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-12)
    }

    /// Goodfellow et al., Alg. 8.2 by hand, μ = 0.9, α = 0.1 then 0.05, on ½θ² from 1:
    /// v = −0.1, θ = 0.9; v = −0.09 − 0.045 = −0.135, θ = 0.765; v = −0.1215 − 0.03825 =
    /// −0.15975, θ = 0.60525. torch's buffer is rescaled by the new rate instead: b = 1, θ = 0.9;
    /// b = 1.8, θ = 0.81; b = 2.43, θ = 0.6885.
    #[test]
    fn textbook_momentum_keeps_the_old_step_sizes() {
        let lrs = [0.1, 0.05, 0.05];
        let book = textbook("momentum").build().unwrap();
        let torch = params("momentum").build().unwrap();
        assert!(
            close(&steps(&book, &lrs), &[0.9, 0.765, 0.60525]),
            "{:?}",
            steps(&book, &lrs)
        );
        assert!(
            close(&steps(&torch, &lrs), &[0.9, 0.81, 0.6885]),
            "{:?}",
            steps(&torch, &lrs)
        );
        // At a constant rate the two forms are the same method (v = −αb).
        assert!(close(&steps(&book, &[0.05; 40]), &steps(&torch, &[0.05; 40])));
        assert_eq!(book.slot_names(), ["velocity"]);
        assert_eq!(book.convention(), Convention::Textbook);
        assert_eq!(
            book.describe(),
            "momentum(momentum=0.9, dampening=0, weight_decay=0, textbook)"
        );
        // With μ = 0 both forms are plain SGD.
        let zero = OptimizerParams {
            momentum: Some(0.0),
            ..textbook("momentum")
        }
        .build()
        .unwrap();
        assert_eq!((zero.name(), zero.convention()), ("sgd", Convention::Torch));
    }

    /// ε inside the root (optax's `eps_in_sqrt`), by hand with ε = 0.01, α = 0.1, g = θ from 1.
    #[test]
    fn textbook_eps_sits_inside_the_root() {
        let eps = |name: &str, form: Convention| {
            OptimizerParams {
                eps: Some(0.01),
                convention: Some(form),
                ..params(name)
            }
            .build()
            .unwrap()
        };
        let (book, torch) = (Convention::Textbook, Convention::Torch);
        // AdaGrad: G = 1, θ₁ = 1 − 0.1/√1.01; G = 1 + θ₁², θ₂ = θ₁ − 0.1 θ₁/√(G + 0.01).
        let t1 = 1.0 - 0.1 / 1.01f64.sqrt();
        let t2 = t1 - 0.1 * t1 / (1.0 + t1 * t1 + 0.01f64).sqrt();
        assert!(close(&steps(&eps("adagrad", book), &[0.1, 0.1]), &[t1, t2]));
        assert!(close(&steps(&eps("adagrad", torch), &[0.1]), &[1.0 - 0.1 / 1.01]));
        // RMSprop, ρ = 0.99: v = 0.01, θ₁ = 1 − 0.1/√0.02 (torch: 1 − 0.1/(0.1 + 0.01)).
        assert!(close(
            &steps(&eps("rmsprop", book), &[0.1]),
            &[1.0 - 0.1 / 0.02f64.sqrt()]
        ));
        assert!(close(&steps(&eps("rmsprop", torch), &[0.1]), &[1.0 - 0.1 / 0.11]));
        // Adam: m̂ = 1, v̂ = 1 at the first step: θ₁ = 1 − 0.1/√1.01 (torch: 1 − 0.1/1.01);
        // then m = 0.09 + 0.1 θ₁, v = 0.000999 + 0.001 θ₁², m̂ = m/0.19, v̂ = v/0.001999.
        let m = 0.9 * 0.1 + 0.1 * t1;
        let v = 0.999 * 0.001 + 0.001 * t1 * t1;
        let a2 = t1 - 0.1 * (m / 0.19) / (v / (1.0 - 0.999f64.powi(2)) + 0.01).sqrt();
        for name in ["adam", "adamw"] {
            let opt = OptimizerParams {
                eps: Some(0.01),
                weight_decay: Some(0.0),
                convention: Some(book),
                ..params(name)
            }
            .build()
            .unwrap();
            assert!(
                close(&steps(&opt, &[0.1, 0.1]), &[t1, a2]),
                "{name}: {:?}",
                steps(&opt, &[0.1, 0.1])
            );
        }
        assert!(close(&steps(&eps("adam", torch), &[0.1]), &[1.0 - 0.1 / 1.01]));
        assert_eq!(
            eps("adam", book).describe(),
            "adam(beta1=0.9, beta2=0.999, eps=0.01, weight_decay=0, textbook)"
        );
    }

    #[test]
    fn the_convention_applies_where_the_forms_differ() {
        assert_eq!(err(textbook("sgd")), "convention does not apply to sgd");
        assert_eq!(err(textbook("adadelta")), "convention does not apply to adadelta");
        for name in ["momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"] {
            let opt = textbook(name).build().unwrap();
            assert_eq!(opt.convention(), Convention::Textbook, "{name}");
            let json = serde_json::to_string(&opt).unwrap();
            assert!(json.contains(r#""convention":"textbook""#), "{json}");
            assert_eq!(serde_json::from_str::<Optimizer>(&json).unwrap(), opt);
            // torch's form is the default and is not written.
            let json = serde_json::to_string(&params(name).build().unwrap()).unwrap();
            assert!(!json.contains("convention"), "{json}");
        }
        assert_eq!("textbook".parse::<Convention>().unwrap(), Convention::Textbook);
        assert!("book".parse::<Convention>().is_err());
    }

    #[test]
    fn every_rule_decreases_a_quadratic() {
        for name in NAMES {
            let opt = params(name).build().unwrap();
            let start = run(&opt, 0);
            let end = run(&opt, 50);
            let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>();
            assert!(norm(&end) < norm(&start), "{name}: {end:?}");
        }
    }

    #[test]
    fn names_and_slots() {
        let slots = |p: OptimizerParams| p.build().unwrap().slot_names().to_vec();
        assert_eq!(slots(params("sgd")), Vec::<&str>::new());
        assert_eq!(slots(params("momentum")), ["momentum_buffer"]);
        assert_eq!(slots(params("nesterov")), ["momentum_buffer"]);
        assert_eq!(slots(params("adagrad")), ["sum"]);
        assert_eq!(slots(params("rmsprop")), ["square_avg"]);
        assert_eq!(
            slots(OptimizerParams {
                momentum: Some(0.9),
                centered: true,
                ..params("rmsprop")
            }),
            ["square_avg", "momentum_buffer", "grad_avg"]
        );
        assert_eq!(slots(params("adadelta")), ["square_avg", "acc_delta"]);
        assert_eq!(slots(params("adam")), ["exp_avg", "exp_avg_sq"]);
        assert_eq!(
            slots(OptimizerParams {
                amsgrad: true,
                ..params("adamw")
            }),
            ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"]
        );
        for name in NAMES {
            let opt = params(name).build().unwrap();
            assert_eq!(opt.name(), name);
            let state = opt.init::<f32>(3);
            assert_eq!(state.step, 0);
            assert!(state.slots.iter().all(|(_, b)| b == &[0.0; 3]));
        }
    }

    #[test]
    fn defaults_and_descriptions() {
        let cases = [
            ("sgd", 1e-3, "sgd(weight_decay=0)"),
            ("momentum", 1e-3, "momentum(momentum=0.9, dampening=0, weight_decay=0)"),
            ("nesterov", 1e-3, "nesterov(momentum=0.9, weight_decay=0)"),
            ("adagrad", 1e-2, "adagrad(lr_decay=0, eps=1e-10, weight_decay=0)"),
            (
                "rmsprop",
                1e-2,
                "rmsprop(rho=0.99, eps=1e-8, momentum=0, weight_decay=0)",
            ),
            ("adadelta", 1.0, "adadelta(rho=0.9, eps=1e-6, weight_decay=0)"),
            ("adam", 1e-3, "adam(beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0)"),
            (
                "adamw",
                1e-3,
                "adamw(beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01)",
            ),
        ];
        for (name, lr, text) in cases {
            let opt = params(name).build().unwrap();
            assert_eq!(opt.torch_lr(), lr, "{name}");
            assert_eq!(Preset::Torch.lr(&opt), lr, "{name}");
            assert_eq!(opt.describe(), text);
        }
        // gradus' own defaults, which train the embedded digits (tests/estimator.rs).
        for (name, lr) in [
            ("sgd", 0.1),
            ("momentum", 0.01),
            ("nesterov", 0.01),
            ("adagrad", 0.1),
            ("rmsprop", 0.01),
            ("adadelta", 1.0),
            ("adam", 0.01),
            ("adamw", 0.01),
        ] {
            let opt = params(name).build().unwrap();
            assert_eq!((opt.default_lr(), Preset::Gradus.lr(&opt)), (lr, lr), "{name}");
        }
        let on = OptimizerParams {
            centered: true,
            ..params("rmsprop")
        }
        .build()
        .unwrap();
        assert_eq!(
            on.describe(),
            "rmsprop(rho=0.99, eps=1e-8, momentum=0, weight_decay=0, centered)"
        );
        let on = OptimizerParams {
            amsgrad: true,
            ..params("adam")
        }
        .build()
        .unwrap();
        assert_eq!(
            on.describe(),
            "adam(beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0, amsgrad)"
        );
    }

    #[test]
    fn validation_messages() {
        let names = "sgd, momentum, nesterov, adagrad, rmsprop, adadelta, adam, adamw";
        assert_eq!(
            err(params("lbfgs")),
            format!("optimizer must be one of {names}, got 'lbfgs'")
        );
        let cases = [
            (
                OptimizerParams {
                    beta1: Some(0.9),
                    ..params("sgd")
                },
                "beta1 does not apply to sgd",
            ),
            (
                OptimizerParams {
                    momentum: Some(0.9),
                    ..params("sgd")
                },
                "momentum does not apply to sgd",
            ),
            (
                OptimizerParams {
                    centered: true,
                    ..params("adam")
                },
                "centered does not apply to adam",
            ),
            (
                OptimizerParams {
                    amsgrad: true,
                    ..params("rmsprop")
                },
                "amsgrad does not apply to rmsprop",
            ),
            (
                OptimizerParams {
                    lr_decay: Some(0.1),
                    ..params("adam")
                },
                "lr_decay does not apply to adam",
            ),
            (
                OptimizerParams {
                    rho: Some(0.9),
                    ..params("adagrad")
                },
                "rho does not apply to adagrad",
            ),
            (
                OptimizerParams {
                    eps: Some(1e-8),
                    ..params("nesterov")
                },
                "eps does not apply to nesterov",
            ),
            (
                OptimizerParams {
                    beta1: Some(1.2),
                    ..params("adam")
                },
                "beta1 must be in [0, 1), got 1.2",
            ),
            (
                OptimizerParams {
                    beta2: Some(1.0),
                    ..params("adamw")
                },
                "beta2 must be in [0, 1), got 1",
            ),
            (
                OptimizerParams {
                    momentum: Some(-0.5),
                    ..params("momentum")
                },
                "momentum must be finite and >= 0, got -0.5",
            ),
            (
                OptimizerParams {
                    momentum: Some(f64::NAN),
                    ..params("rmsprop")
                },
                "momentum must be finite and >= 0, got NaN",
            ),
            (
                OptimizerParams {
                    dampening: Some(1.5),
                    ..params("momentum")
                },
                "dampening must be in [0, 1], got 1.5",
            ),
            (
                OptimizerParams {
                    momentum: Some(0.0),
                    ..params("nesterov")
                },
                "momentum must be > 0 for nesterov, got 0",
            ),
            (
                OptimizerParams {
                    dampening: Some(0.1),
                    ..params("nesterov")
                },
                "dampening must be 0 for nesterov, got 0.1",
            ),
            (
                OptimizerParams {
                    eps: Some(0.0),
                    ..params("adadelta")
                },
                "eps must be finite and > 0, got 0",
            ),
            (
                OptimizerParams {
                    eps: Some(-1e-8),
                    ..params("adam")
                },
                "eps must be finite and >= 0, got -1e-8",
            ),
            (
                OptimizerParams {
                    rho: Some(1.1),
                    ..params("rmsprop")
                },
                "rho must be in [0, 1], got 1.1",
            ),
            (
                OptimizerParams {
                    weight_decay: Some(f64::INFINITY),
                    ..params("sgd")
                },
                "weight_decay must be finite and >= 0, got inf",
            ),
            (
                OptimizerParams {
                    lr_decay: Some(-1.0),
                    ..params("adagrad")
                },
                "lr_decay must be finite and >= 0, got -1",
            ),
        ];
        for (p, msg) in cases {
            assert_eq!(err(p), msg);
        }
        assert!(
            OptimizerParams {
                dampening: Some(0.0),
                ..params("nesterov")
            }
            .build()
            .is_ok()
        );
        assert!(
            OptimizerParams {
                eps: Some(0.0),
                ..params("adam")
            }
            .build()
            .is_ok()
        );
    }

    #[test]
    fn serde_round_trip_validates() {
        for p in [
            params("sgd"),
            OptimizerParams {
                momentum: Some(0.0),
                dampening: Some(0.2),
                ..params("momentum")
            },
            OptimizerParams {
                momentum: Some(0.5),
                weight_decay: Some(0.1),
                ..params("nesterov")
            },
            OptimizerParams {
                lr_decay: Some(0.01),
                ..params("adagrad")
            },
            OptimizerParams {
                centered: true,
                momentum: Some(0.3),
                ..params("rmsprop")
            },
            OptimizerParams {
                rho: Some(0.95),
                ..params("adadelta")
            },
            OptimizerParams {
                amsgrad: true,
                beta1: Some(0.8),
                ..params("adam")
            },
            params("adamw"),
        ] {
            let opt = p.build().unwrap();
            let json = serde_json::to_string(&opt).unwrap();
            let back: Optimizer = serde_json::from_str(&json).unwrap();
            assert_eq!(back, opt, "{json}");
        }
        let json = r#"{"name":"adam","beta1":1.5}"#;
        let e = serde_json::from_str::<Optimizer>(json).unwrap_err().to_string();
        assert!(e.contains("beta1 must be in [0, 1), got 1.5"), "{e}");
    }

    #[test]
    fn check_state_names_the_mismatch() {
        let adam = params("adam").build().unwrap();
        let sgd = params("momentum").build().unwrap();
        let state = adam.init::<f32>(4);
        assert!(adam.check_state(&state, 4).is_ok());
        assert_eq!(
            adam.check_state(&state, 5).unwrap_err().to_string(),
            "optimizer state exp_avg holds 4 values, the model has 5 parameters"
        );
        assert_eq!(
            sgd.check_state(&state, 4).unwrap_err().to_string(),
            "optimizer state holds [exp_avg, exp_avg_sq], momentum needs [momentum_buffer]"
        );
    }

    #[test]
    fn f32_and_f64_agree_to_f32_precision() {
        for name in NAMES {
            let opt = params(name).build().unwrap();
            let (mut a, mut b) = ([1.0_f32, -0.5], [1.0_f64, -0.5]);
            let (mut sa, mut sb) = (opt.init::<f32>(2), opt.init::<f64>(2));
            for _ in 0..20 {
                let (ga, gb) = ([2.0 * a[0], 6.0 * a[1]], [2.0 * b[0], 6.0 * b[1]]);
                opt.step(&mut a, &ga, 0.01, &mut sa);
                opt.step(&mut b, &gb, 0.01, &mut sb);
            }
            for (x, y) in a.iter().zip(b) {
                assert!((f64::from(*x) - y).abs() < 1e-5, "{name}: {a:?} vs {b:?}");
            }
        }
    }
}
