//! Stochastic gradient descent, with heavy-ball or Nesterov momentum.

use super::{OptimizerParams, Range, UpdateRule, buffers, checked, coupled, num};
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
/// Default learning rate 1e-3 (torch's). torch's default momentum is 0, which is plain SGD; the
/// `momentum` and `nesterov` rules default to the conventional 0.9, and `momentum` with μ = 0 and
/// τ = 0 *is* `sgd` (its [`name`](UpdateRule::name) says so). Parity: the operations and their
/// order are those of torch's single-tensor SGD.
///
/// **Lecture forms.** The velocity form v ← μv − αg, θ ← θ + v (CS231n) gives the same
/// iterates as b ← μb + g, θ ← θ − αb when α is constant (v = −αb); when α changes, the velocity
/// form keeps the old step sizes in v while torch's form rescales the whole buffer by the new α.
/// Nesterov's look-ahead form v ← μv − α∇L(θ + μv), θ ← θ + v evaluates the gradient at the
/// look-ahead point θ̃ = θ + μv; rewritten in θ̃ it is θ̃ ← θ̃ + v′ + μ(v′ − v), which with v = −αb
/// is torch's θ ← θ − α(g + μb): the parameters torch holds are the lecture's look-ahead points.
#[derive(Clone, Debug, PartialEq)]
pub struct Sgd {
    pub(super) momentum: f64,
    pub(super) dampening: f64,
    pub(super) nesterov: bool,
    pub(super) weight_decay: f64,
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
        Ok(Sgd {
            momentum,
            dampening,
            nesterov,
            weight_decay,
        })
    }

    /// Every hyperparameter, explicit.
    pub(super) fn to_params(&self) -> OptimizerParams {
        let with_momentum = self.name() != "sgd";
        OptimizerParams {
            momentum: with_momentum.then_some(self.momentum),
            dampening: (with_momentum && !self.nesterov).then_some(self.dampening),
            weight_decay: Some(self.weight_decay),
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
        1e-3
    }

    fn slot_names(&self) -> &'static [&'static str] {
        if self.momentum == 0.0 {
            &[]
        } else {
            &["momentum_buffer"]
        }
    }

    fn describe(&self) -> String {
        let wd = num(self.weight_decay);
        match self.name() {
            "sgd" => format!("sgd(weight_decay={wd})"),
            "nesterov" => format!("nesterov(momentum={}, weight_decay={wd})", num(self.momentum)),
            _ => format!(
                "momentum(momentum={}, dampening={}, weight_decay={wd})",
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
        for ((p, &g), b) in params.iter_mut().zip(grads).zip(buf) {
            let g = coupled(g, *p, wd);
            *b = if t == 1 { g } else { *b * mu + keep * g };
            let d = if self.nesterov { g + mu * *b } else { *b };
            *p += neg_lr * d;
        }
    }
}
