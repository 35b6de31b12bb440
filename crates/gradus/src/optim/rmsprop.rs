//! RMSprop: steps divided by a running root-mean-square of the gradient.

use super::{Convention, OptimizerParams, Range, UpdateRule, buffers, checked, coupled, lerp, num};
use crate::{Real, Result};

/// `rmsprop`: `torch.optim.RMSprop`.
///
/// With g ← ∇L(θ) + λθ (coupled weight decay λ ≥ 0, default 0):
///
/// v ← ρv + (1 − ρ)g²,  then  s = √v + ε, or, `centered`, ḡ ← ρḡ + (1 − ρ)g and
/// s = √(v − ḡ²) + ε;
///
/// θ ← θ − α g/s, or with momentum μ > 0: b ← μb + g/s, θ ← θ − αb.
///
/// ρ ∈ [0, 1] is torch's `alpha` (default 0.99), ε ≥ 0 (default 1e-8) sits outside the root,
/// μ ≥ 0 defaults to 0; v, ḡ and b start at 0. Default learning rate 1e-2 (torch's too).
/// Parity: torch's single-tensor order (ḡ by `lerp`).
///
/// **Textbook form** ([`Convention::Textbook`], optax's `eps_in_sqrt`): s = √(v + ε), or
/// √(v − ḡ² + ε) centred — Hinton's lecture and Goodfellow et al.'s Alg. 8.5 write
/// θ ← θ − α g/√(v + ε); it differs from torch's only while v is of the order of ε.
#[derive(Clone, Debug, PartialEq)]
pub struct RmsProp {
    pub(super) rho: f64,
    pub(super) eps: f64,
    pub(super) momentum: f64,
    pub(super) centered: bool,
    pub(super) weight_decay: f64,
    pub(super) eps_in_sqrt: bool,
}

impl RmsProp {
    /// Checks and reads `p`.
    pub(super) fn from_params(p: &OptimizerParams) -> Result<Self> {
        Ok(RmsProp {
            rho: checked("rho", p.rho, 0.99, Range::Unit)?,
            eps: checked("eps", p.eps, 1e-8, Range::NonNegative)?,
            momentum: checked("momentum", p.momentum, 0.0, Range::NonNegative)?,
            centered: p.centered,
            weight_decay: checked("weight_decay", p.weight_decay, 0.0, Range::NonNegative)?,
            eps_in_sqrt: p.convention == Some(Convention::Textbook),
        })
    }

    /// Every hyperparameter, explicit.
    pub(super) fn to_params(&self) -> OptimizerParams {
        OptimizerParams {
            rho: Some(self.rho),
            eps: Some(self.eps),
            momentum: Some(self.momentum),
            centered: self.centered,
            weight_decay: Some(self.weight_decay),
            convention: self.eps_in_sqrt.then_some(Convention::Textbook),
            ..OptimizerParams::named("rmsprop")
        }
    }
}

impl UpdateRule for RmsProp {
    fn name(&self) -> &'static str {
        "rmsprop"
    }

    fn default_lr(&self) -> f64 {
        1e-2
    }

    fn torch_lr(&self) -> f64 {
        1e-2
    }

    fn slot_names(&self) -> &'static [&'static str] {
        match (self.momentum > 0.0, self.centered) {
            (false, false) => &["square_avg"],
            (true, false) => &["square_avg", "momentum_buffer"],
            (false, true) => &["square_avg", "grad_avg"],
            (true, true) => &["square_avg", "momentum_buffer", "grad_avg"],
        }
    }

    fn describe(&self) -> String {
        format!(
            "rmsprop(rho={}, eps={}, momentum={}, weight_decay={}{}{})",
            num(self.rho),
            num(self.eps),
            num(self.momentum),
            num(self.weight_decay),
            if self.centered { ", centered" } else { "" },
            if self.eps_in_sqrt { ", textbook" } else { "" }
        )
    }

    fn update<T: Real>(&self, params: &mut [T], grads: &[T], lr: f64, _t: u64, slots: &mut [&mut [T]]) {
        let (square_avg, mut momentum_buffer, mut grad_avg) = match (self.momentum > 0.0, self.centered) {
            (false, false) => {
                let [v] = buffers(slots);
                (v, None, None)
            }
            (true, false) => {
                let [v, b] = buffers(slots);
                (v, Some(b), None)
            }
            (false, true) => {
                let [v, m] = buffers(slots);
                (v, None, Some(m))
            }
            (true, true) => {
                let [v, b, m] = buffers(slots);
                (v, Some(b), Some(m))
            }
        };
        let (rho, mix) = (T::of(self.rho), T::of(1.0 - self.rho));
        let (mu, eps, wd, neg_lr) = (
            T::of(self.momentum),
            T::of(self.eps),
            T::of(self.weight_decay),
            T::of(-lr),
        );
        for (i, ((p, &g), v)) in params.iter_mut().zip(grads).zip(square_avg).enumerate() {
            let g = coupled(g, *p, wd);
            *v = *v * rho + mix * g * g;
            let square = match grad_avg.as_deref_mut() {
                Some(m) => {
                    m[i] = lerp(m[i], g, mix);
                    *v - m[i] * m[i]
                }
                None => *v,
            };
            let s = if self.eps_in_sqrt {
                (square + eps).sqrt()
            } else {
                square.sqrt() + eps
            };
            match momentum_buffer.as_deref_mut() {
                Some(b) => {
                    b[i] = b[i] * mu + g / s;
                    *p += neg_lr * b[i];
                }
                None => *p += neg_lr * g / s,
            }
        }
    }
}
