//! Stochastic gradient descent, with heavy-ball or Nesterov momentum.

use super::{Convention, OptimizerParams, Range, State, UpdateRule, buffers, checked, coupled, num};
use crate::{Error, Real, Result};

/// `sgd`, `momentum` and `nesterov`: `torch.optim.SGD`.
///
/// With g ← ∇L(θ) + λθ (coupled weight decay λ ≥ 0, default 0):
///
/// * `sgd`: θ ← θ − α g.
/// * `momentum` (μ ≥ 0, default 0.9; dampening τ ∈ [0, 1], default 0):
///   b ← μb + (1 − τ)g, with b = g at the first step; θ ← θ − α b.
/// * `nesterov` (μ > 0, default 0.9; τ must be 0): b as above, θ ← θ − α(g + μb).
///
/// Default learning rate 0.1 for `sgd`, 0.01 for `momentum` and `nesterov` (torch's: 1e-3).
/// torch's default momentum is 0, which is plain SGD; the `momentum` and `nesterov` rules
/// default to the conventional 0.9, and `momentum` with μ = 0 and τ = 0 *is* `sgd` (its
/// [`name`](UpdateRule::name) says so). Parity: the operations and their order are those of
/// torch's single-tensor SGD.
///
/// **Textbook forms** ([`Convention::Textbook`], buffer `velocity`, starting at 0):
///
/// * `momentum` (Goodfellow et al., Alg. 8.2; CS231n): v ← μv − α(1 − τ)g, θ ← θ + v. With a
///   constant α this gives torch's iterates (v = −αb); when α changes, the velocity keeps the
///   old step sizes while torch's form rescales the whole buffer by the new α. (With τ > 0 the
///   first step differs too: torch's buffer starts at g undamped.)
/// * `nesterov` (Alg. 8.3; Sutskever et al. 2013): g = ∇L(θ + μv) + λ(θ + μv), v ← μv − αg,
///   θ ← θ + v, the gradient taken at the look-ahead point θ̃ = θ + μv
///   ([`Optimizer::gradient_point`](super::Optimizer::gradient_point)). Rewritten in θ̃ it is
///   θ̃ ← θ̃ + v′ + μ(v′ − v), which with v = −αb is torch's θ ← θ − α(g + μb): the parameters
///   torch holds are the textbook's look-ahead points, and at a constant α the two runs visit
///   the same points.
#[derive(Clone, Debug, PartialEq)]
pub struct Sgd {
    pub(super) momentum: f64,
    pub(super) dampening: f64,
    pub(super) nesterov: bool,
    pub(super) weight_decay: f64,
    /// The textbook (velocity) form; never set when μ = 0, where both forms are `sgd`.
    pub(super) textbook: bool,
}

impl Sgd {
    /// Checks and reads `p`, whose name is `sgd`, `momentum` or `nesterov`.
    pub(super) fn from_params(p: &OptimizerParams) -> Result<Self> {
        let plain = p.name == "sgd";
        let nesterov = p.name == "nesterov";
        let default_momentum = if plain { 0.0 } else { 0.9 };
        let momentum = checked("momentum", p.momentum, default_momentum, Range::NonNegative)?;
        let dampening = checked("dampening", p.dampening, 0.0, Range::Unit)?;
        if nesterov && momentum == 0.0 {
            return Err(Error::param("momentum", "must be > 0 for nesterov, got 0"));
        }
        if nesterov && dampening != 0.0 {
            return Err(Error::param(
                "dampening",
                format!("must be 0 for nesterov, got {dampening}"),
            ));
        }
        let weight_decay = checked("weight_decay", p.weight_decay, 0.0, Range::NonNegative)?;
        let textbook = p.convention == Some(Convention::Textbook) && momentum != 0.0;
        Ok(Sgd {
            momentum,
            dampening,
            nesterov,
            weight_decay,
            textbook,
        })
    }

    /// Textbook Nesterov's look-ahead point θ + μv into `point` (see [`Optimizer::gradient_point`](super::Optimizer::gradient_point)).
    pub(super) fn lookahead<T: Real>(&self, params: &[T], state: &State<T>, point: &mut Vec<T>) -> bool {
        let Some((_, v)) = state.slots.first().filter(|_| self.nesterov && self.textbook) else {
            return false;
        };
        let mu = T::of(self.momentum);
        point.clear();
        point.extend(params.iter().zip(v).map(|(&p, &v)| p + mu * v));
        true
    }

    /// Every hyperparameter, explicit.
    pub(super) fn to_params(&self) -> OptimizerParams {
        let with_momentum = self.name() != "sgd";
        OptimizerParams {
            momentum: with_momentum.then_some(self.momentum),
            dampening: (with_momentum && !self.nesterov).then_some(self.dampening),
            weight_decay: Some(self.weight_decay),
            convention: self.textbook.then_some(Convention::Textbook),
            ..OptimizerParams::named(self.name())
        }
    }
}

impl UpdateRule for Sgd {
    fn name(&self) -> &'static str {
        if self.nesterov {
            "nesterov"
        } else if self.momentum != 0.0 || self.dampening != 0.0 {
            "momentum"
        } else {
            "sgd"
        }
    }

    fn default_lr(&self) -> f64 {
        if self.name() == "sgd" { 0.1 } else { 0.01 }
    }

    fn torch_lr(&self) -> f64 {
        1e-3
    }

    fn slot_names(&self) -> &'static [&'static str] {
        if self.momentum == 0.0 {
            &[]
        } else if self.textbook {
            &["velocity"]
        } else {
            &["momentum_buffer"]
        }
    }

    fn describe(&self) -> String {
        let wd = num(self.weight_decay);
        let form = if self.textbook { ", textbook" } else { "" };
        match self.name() {
            "sgd" => format!("sgd(weight_decay={wd})"),
            "nesterov" => format!("nesterov(momentum={}, weight_decay={wd}{form})", num(self.momentum)),
            _ => format!(
                "momentum(momentum={}, dampening={}, weight_decay={wd}{form})",
                num(self.momentum),
                num(self.dampening)
            ),
        }
    }

    fn update<T: Real>(&self, params: &mut [T], grads: &[T], lr: f64, t: u64, slots: &mut [&mut [T]]) {
        let (wd, neg_lr) = (T::of(self.weight_decay), T::of(-lr));
        if self.momentum == 0.0 {
            for (p, &g) in params.iter_mut().zip(grads) {
                *p += neg_lr * coupled(g, *p, wd);
            }
            return;
        }
        let [buf] = buffers(slots);
        let (mu, keep) = (T::of(self.momentum), T::of(1.0 - self.dampening));
        if self.textbook {
            // v ← μv − α(1 − τ)g, θ ← θ + v; Nesterov's g (and its weight decay) at θ + μv.
            let step = T::of(-lr * (1.0 - self.dampening));
            for ((p, &g), v) in params.iter_mut().zip(grads).zip(buf) {
                let at = if self.nesterov { *p + mu * *v } else { *p };
                *v = mu * *v + step * coupled(g, at, wd);
                *p += *v;
            }
            return;
        }
        for ((p, &g), b) in params.iter_mut().zip(grads).zip(buf) {
            let g = coupled(g, *p, wd);
            *b = if t == 1 { g } else { *b * mu + keep * g };
            let d = if self.nesterov { g + mu * *b } else { *b };
            *p += neg_lr * d;
        }
    }
}
