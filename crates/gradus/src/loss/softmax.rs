//! Softmax cross-entropy.

use super::{ExampleLoss, Target, class};
use crate::real::Real;
use serde::{Deserialize, Serialize};

/// `L_i = −log(e^{s_y} / Σ_j e^{s_j}) = LSE(s) − s_y`, with `∂L_i/∂s_j = p_j − 1(j = y)` and
/// `p = softmax(s)`.
///
/// The log-sum-exp is taken around the largest score `m = s_k`, with the other terms inside
/// `log1p`:
///
/// ```text
/// r = Σ_{j≠k} e^{s_j − m},   LSE(s) = m + log1p(r),   L_i = log1p(r) + (m − s_y)
/// p_j = e^{s_j − m}/(1 + r) (j ≠ k),   p_k = 1/(1 + r),   and for y = k:  p_k − 1 = −r/(1 + r)
/// ```
///
/// so the loss is exact and finite for any finite scores, and stays positive where the correct
/// class wins by a wide margin: for s = (10, −100, −100) and y = 0 it is `log1p(2e^{−110})` ≈
/// 3.4e-48, not the 0 that `log(1 + 2e^{−110})` rounds to, and the gradient (−r/(1 + r),
/// e^{−110}/(1 + r), e^{−110}/(1 + r)) sums to zero. (CS231n's "numeric stability" note
/// shifts by m; `log1p` keeps the digits the shift alone loses, as in scipy's `logsumexp`.)
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SoftmaxCrossEntropy;

impl ExampleLoss for SoftmaxCrossEntropy {
    fn value_grad<T: Real>(&self, s: &[T], y: Target, grad: &mut [T]) -> f64 {
        let y = class(y);
        let k = super::argmax(s);
        let m = s[k];
        let mut r = T::zero();
        for (j, (g, &sj)) in grad.iter_mut().zip(s).enumerate() {
            *g = if j == k { T::zero() } else { (sj - m).exp() };
            r += *g;
        }
        let inv = T::one() / (T::one() + r);
        grad.iter_mut().for_each(|g| *g *= inv);
        if y == k {
            // p_k − 1 without the cancellation of 1/(1 + r) − 1.
            grad[k] = -r * inv;
        } else {
            grad[k] = inv;
            grad[y] -= T::one();
        }
        (r.ln_1p() + (m - s[y])).f64()
    }
}

/// `softmax(s)` in f64.
pub(super) fn probabilities(s: &[f32]) -> Vec<f64> {
    let m = s.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let e: Vec<f64> = s.iter().map(|&v| (v as f64 - m).exp()).collect();
    let z: f64 = e.iter().sum();
    e.into_iter().map(|v| v / z).collect()
}
