//! Adam and AdamW: bias-corrected running moments of the gradient.

use super::{Convention, OptimizerParams, Range, UpdateRule, buffers, checked, coupled, lerp, num};
use crate::{Real, Result};

/// `adam` and `adamw`: `torch.optim.Adam` and `torch.optim.AdamW`.
///
/// At step t = 1, 2, …, with g = ∇L(θ):
///
/// * weight decay λ ≥ 0: `adam` couples it, g ← g + λθ (default λ = 0); `adamw` decouples it,
///   θ ← θ(1 − αλ) before the step (default λ = 0.01);
/// * m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g²  (m, v start at 0);
/// * `amsgrad`: v̂ ← max(v̂, v), used in place of v below;
/// * θ ← θ − (α / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε).
///
/// β₁, β₂ ∈ [0, 1) (defaults 0.9, 0.999), ε ≥ 0 (default 1e-8, outside the root). Default
/// learning rate 1e-2 (torch's: 1e-3). Parity: torch's single-tensor order — m by `lerp`, the
/// denominator (√v/√(1 − β₂ᵗ)) + ε, the step size α/(1 − β₁ᵗ) — with the bias corrections in
/// `f64`.
///
/// **Textbook form** ([`Convention::Textbook`], optax's `eps_in_sqrt`, its `eps_root`):
/// θ ← θ − (α / (1 − β₁ᵗ)) · m / √(v/(1 − β₂ᵗ) + ε) = θ − α m̂/√(v̂ + ε). With ε = 1e-8 inside
/// the root the floor of the denominator is 1e-4 instead of 1e-8.
///
/// **Lecture forms.** Kingma & Ba's θ ← θ − α m̂/(√v̂ + ε) with m̂ = m/(1 − β₁ᵗ),
/// v̂ = v/(1 − β₂ᵗ) is the same rule; their "efficient" form α_t = α√(1 − β₂ᵗ)/(1 − β₁ᵗ),
/// θ ← θ − α_t m/(√v + ε) moves ε inside the correction, which matters only while √v ~ ε.
/// Loshchilov & Hutter's AdamW decays by ηλθ with η the schedule multiplier alone; torch (and
/// this rule) decays by αλθ, so λ is measured relative to the learning rate.
#[derive(Clone, Debug, PartialEq)]
pub struct Adam {
    pub(super) beta1: f64,
    pub(super) beta2: f64,
    pub(super) eps: f64,
    pub(super) weight_decay: f64,
    pub(super) amsgrad: bool,
    pub(super) decoupled: bool,
    pub(super) eps_in_sqrt: bool,
}

impl Adam {
    /// Checks and reads `p`, whose name is `adam` or `adamw`.
    pub(super) fn from_params(p: &OptimizerParams) -> Result<Self> {
        let decoupled = p.name == "adamw";
        let default_decay = if decoupled { 0.01 } else { 0.0 };
        Ok(Adam {
            beta1: checked("beta1", p.beta1, 0.9, Range::UnitOpen)?,
            beta2: checked("beta2", p.beta2, 0.999, Range::UnitOpen)?,
            eps: checked("eps", p.eps, 1e-8, Range::NonNegative)?,
            weight_decay: checked("weight_decay", p.weight_decay, default_decay, Range::NonNegative)?,
            amsgrad: p.amsgrad,
            decoupled,
            eps_in_sqrt: p.convention == Some(Convention::Textbook),
        })
    }

    /// Every hyperparameter, explicit.
    pub(super) fn to_params(&self) -> OptimizerParams {
        OptimizerParams {
            beta1: Some(self.beta1),
            beta2: Some(self.beta2),
            eps: Some(self.eps),
            weight_decay: Some(self.weight_decay),
            amsgrad: self.amsgrad,
            convention: self.eps_in_sqrt.then_some(Convention::Textbook),
            ..OptimizerParams::named(self.name())
        }
    }
}

impl UpdateRule for Adam {
    fn name(&self) -> &'static str {
        if self.decoupled { "adamw" } else { "adam" }
    }

    fn default_lr(&self) -> f64 {
        1e-2
    }

    fn torch_lr(&self) -> f64 {
        1e-3
    }

    fn slot_names(&self) -> &'static [&'static str] {
        if self.amsgrad {
            &["exp_avg", "exp_avg_sq", "max_exp_avg_sq"]
        } else {
            &["exp_avg", "exp_avg_sq"]
        }
    }

    fn describe(&self) -> String {
        format!(
            "{}(beta1={}, beta2={}, eps={}, weight_decay={}{}{})",
            self.name(),
            num(self.beta1),
            num(self.beta2),
            num(self.eps),
            num(self.weight_decay),
            if self.amsgrad { ", amsgrad" } else { "" },
            if self.eps_in_sqrt { ", textbook" } else { "" }
        )
    }

    fn update<T: Real>(&self, params: &mut [T], grads: &[T], lr: f64, t: u64, slots: &mut [&mut [T]]) {
        let (exp_avg, exp_avg_sq, max_exp_avg_sq) = if self.amsgrad {
            let [m, v, v_max] = buffers(slots);
            (m, v, Some(v_max))
        } else {
            let [m, v] = buffers(slots);
            (m, v, None)
        };
        let t = t as f64;
        let correction1 = 1.0 - self.beta1.powf(t);
        let correction2_sqrt = (1.0 - self.beta2.powf(t)).powf(0.5);
        let neg_step = T::of(-(lr / correction1));
        let (c2, eps) = (T::of(correction2_sqrt), T::of(self.eps));
        let (w1, beta2, w2) = (T::of(1.0 - self.beta1), T::of(self.beta2), T::of(1.0 - self.beta2));
        let wd = self.weight_decay;
        let shrink = (self.decoupled && wd != 0.0).then(|| T::of(1.0 - lr * wd));
        let coupled_wd = if self.decoupled { T::zero() } else { T::of(wd) };
        // AdamW's decay θ ← θ(1 − αλ) comes first and touches nothing else, so it is a pass of
        // its own; the loops below then have no per-element branches and vectorise.
        if let Some(shrink) = shrink {
            params.iter_mut().for_each(|p| *p *= shrink);
        }
        let moments = |p: &mut T, g: T, m: &mut T, v: &mut T| {
            let g = coupled(g, *p, coupled_wd);
            *m = lerp(*m, g, w1);
            *v = *v * beta2 + w2 * g * g;
        };
        let buffers = (params, grads, exp_avg, exp_avg_sq, max_exp_avg_sq);
        if self.eps_in_sqrt {
            // √(v/(1 − β₂ᵗ) + ε)
            let c2_squared = T::of(1.0 - self.beta2.powf(t));
            apply(buffers, neg_step, moments, |v| (v / c2_squared + eps).sqrt());
        } else {
            // √v/√(1 − β₂ᵗ) + ε
            apply(buffers, neg_step, moments, |v| v.sqrt() / c2 + eps);
        }
    }
}

/// The parameters, gradients, m, v and (AMSGrad) v̂ of [`Adam::update`].
type Buffers<'a, T> = (&'a mut [T], &'a [T], &'a mut [T], &'a mut [T], Option<&'a mut [T]>);

/// θ ← θ + (−α/(1 − β₁ᵗ)) m / denominator(v) after `moments` updates m and v, with v̂ in place
/// of v for AMSGrad: one loop per denominator form, so neither has a per-element branch.
#[inline(always)]
fn apply<T: Real>(
    (params, grads, exp_avg, exp_avg_sq, max_exp_avg_sq): Buffers<T>,
    neg_step: T,
    moments: impl Fn(&mut T, T, &mut T, &mut T),
    denominator: impl Fn(T) -> T,
) {
    let pairs = exp_avg.iter_mut().zip(exp_avg_sq.iter_mut());
    match max_exp_avg_sq {
        None => {
            for ((p, &g), (m, v)) in params.iter_mut().zip(grads).zip(pairs) {
                moments(p, g, m, v);
                *p += neg_step * *m / denominator(*v);
            }
        }
        Some(v_max) => {
            for (((p, &g), (m, v)), vm) in params.iter_mut().zip(grads).zip(pairs).zip(v_max) {
                moments(p, g, m, v);
                // torch.maximum: NaN wins.
                if *v > *vm || v.is_nan() {
                    *vm = *v;
                }
                *p += neg_step * *m / denominator(*vm);
            }
        }
    }
}
