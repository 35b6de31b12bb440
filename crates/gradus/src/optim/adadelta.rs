//! AdaDelta: step sizes from the ratio of two running root-mean-squares.

use super::{OptimizerParams, Range, UpdateRule, buffers, checked, coupled, num};
use crate::{Real, Result};

/// `adadelta`: `torch.optim.Adadelta`.
///
/// With g ← ∇L(θ) + λθ (coupled weight decay λ ≥ 0, default 0):
///
/// v ← ρv + (1 − ρ)g²,  Δ = √(u + ε) / √(v + ε) · g,  u ← ρu + (1 − ρ)Δ²,  θ ← θ − αΔ
///
/// v is torch's `square_avg`, u its `acc_delta`, both starting at 0. ρ ∈ [0, 1] (default 0.9);
/// ε > 0 (default 1e-6) sits inside both roots, and is what makes the first steps move at all
/// (u = 0 at the start). Default learning rate 1.0: Zeiler's original rule has no learning rate,
/// and torch's α scales it. Parity: torch's single-tensor order.
#[derive(Clone, Debug, PartialEq)]
pub struct AdaDelta {
    pub(super) rho: f64,
    pub(super) eps: f64,
    pub(super) weight_decay: f64,
}

impl AdaDelta {
    /// Checks and reads `p`.
    pub(super) fn from_params(p: &OptimizerParams) -> Result<Self> {
        Ok(AdaDelta {
            rho: checked("rho", p.rho, 0.9, Range::Unit)?,
            eps: checked("eps", p.eps, 1e-6, Range::Positive)?,
            weight_decay: checked("weight_decay", p.weight_decay, 0.0, Range::NonNegative)?,
        })
    }

    /// Every hyperparameter, explicit.
    pub(super) fn to_params(&self) -> OptimizerParams {
        OptimizerParams {
            rho: Some(self.rho),
            eps: Some(self.eps),
            weight_decay: Some(self.weight_decay),
            ..OptimizerParams::named("adadelta")
        }
    }
}

impl UpdateRule for AdaDelta {
    fn name(&self) -> &'static str {
        "adadelta"
    }

    fn default_lr(&self) -> f64 {
        1.0
    }

    fn torch_lr(&self) -> f64 {
        1.0
    }

    fn slot_names(&self) -> &'static [&'static str] {
        &["square_avg", "acc_delta"]
    }

    fn describe(&self) -> String {
        format!(
            "adadelta(rho={}, eps={}, weight_decay={})",
            num(self.rho),
            num(self.eps),
            num(self.weight_decay)
        )
    }

    fn update<T: Real>(&self, params: &mut [T], grads: &[T], lr: f64, _t: u64, slots: &mut [&mut [T]]) {
        let [square_avg, acc_delta] = buffers(slots);
        let (rho, mix) = (T::of(self.rho), T::of(1.0 - self.rho));
        let (wd, eps, neg_lr) = (T::of(self.weight_decay), T::of(self.eps), T::of(-lr));
        for (((p, &g), v), u) in params.iter_mut().zip(grads).zip(square_avg).zip(acc_delta) {
            let g = coupled(g, *p, wd);
            *v = *v * rho + mix * g * g;
            let delta = (*u + eps).sqrt() / (*v + eps).sqrt() * g;
            *u = *u * rho + mix * delta * delta;
            *p += neg_lr * delta;
        }
    }
}
