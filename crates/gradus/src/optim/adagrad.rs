//! AdaGrad: per-coordinate step sizes from the sum of squared gradients.

use super::{Convention, OptimizerParams, Range, UpdateRule, buffers, checked, coupled, num};
use crate::{Real, Result};

/// `adagrad`: `torch.optim.Adagrad`.
///
/// With g ← ∇L(θ) + λθ (coupled weight decay λ ≥ 0, default 0), at step t = 1, 2, …:
///
/// G ← G + g²,  α_t = α / (1 + (t − 1)κ),  θ ← θ − α_t g / (√G + ε)
///
/// G starts at 0 (torch's `initial_accumulator_value`); ε ≥ 0 (default 1e-10) is added outside
/// the root; the learning-rate decay κ ≥ 0 defaults to 0. Default learning rate 0.1 (torch's:
/// 1e-2). Parity: torch's single-tensor order, (−α_t g)/(√G + ε).
///
/// **Textbook form** ([`Convention::Textbook`], optax's `eps_in_sqrt`): θ ← θ − α_t g/√(G + ε),
/// ε inside the root, which differs from torch's only while G is of the order of ε (Duchi,
/// Hazan & Singer 2011 write it with ε = 0).
#[derive(Clone, Debug, PartialEq)]
pub struct Adagrad {
    pub(super) lr_decay: f64,
    pub(super) eps: f64,
    pub(super) weight_decay: f64,
    pub(super) eps_in_sqrt: bool,
}

impl Adagrad {
    /// Checks and reads `p`.
    pub(super) fn from_params(p: &OptimizerParams) -> Result<Self> {
        Ok(Adagrad {
            lr_decay: checked("lr_decay", p.lr_decay, 0.0, Range::NonNegative)?,
            eps: checked("eps", p.eps, 1e-10, Range::NonNegative)?,
            weight_decay: checked("weight_decay", p.weight_decay, 0.0, Range::NonNegative)?,
            eps_in_sqrt: p.convention == Some(Convention::Textbook),
        })
    }

    /// Every hyperparameter, explicit.
    pub(super) fn to_params(&self) -> OptimizerParams {
        OptimizerParams {
            lr_decay: Some(self.lr_decay),
            eps: Some(self.eps),
            weight_decay: Some(self.weight_decay),
            convention: self.eps_in_sqrt.then_some(Convention::Textbook),
            ..OptimizerParams::named("adagrad")
        }
    }
}

impl UpdateRule for Adagrad {
    fn name(&self) -> &'static str {
        "adagrad"
    }

    fn default_lr(&self) -> f64 {
        1e-1
    }

    fn torch_lr(&self) -> f64 {
        1e-2
    }

    fn slot_names(&self) -> &'static [&'static str] {
        &["sum"]
    }

    fn describe(&self) -> String {
        format!(
            "adagrad(lr_decay={}, eps={}, weight_decay={}{})",
            num(self.lr_decay),
            num(self.eps),
            num(self.weight_decay),
            if self.eps_in_sqrt { ", textbook" } else { "" }
        )
    }

    fn update<T: Real>(&self, params: &mut [T], grads: &[T], lr: f64, t: u64, slots: &mut [&mut [T]]) {
        let [sum] = buffers(slots);
        let clr = lr / (1.0 + t.saturating_sub(1) as f64 * self.lr_decay);
        let (wd, eps, neg_clr) = (T::of(self.weight_decay), T::of(self.eps), T::of(-clr));
        for ((p, &g), s) in params.iter_mut().zip(grads).zip(sum) {
            let g = coupled(g, *p, wd);
            *s += g * g;
            let root = if self.eps_in_sqrt {
                (*s + eps).sqrt()
            } else {
                s.sqrt() + eps
            };
            *p += neg_clr * g / root;
        }
    }
}
