//! Softmax cross-entropy.

use super::{ExampleLoss, Target, class};
use crate::real::Real;
use serde::{Deserialize, Serialize};

/// `L_i = −log(e^{s_y} / Σ_j e^{s_j}) = log Σ_j e^{s_j − m} − (s_y − m)` with `m = max_j s_j`,
/// which is exact and finite for any finite scores; `∂L_i/∂s_j = p_j − 1(j = y)` with
/// `p = softmax(s)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SoftmaxCrossEntropy;

impl ExampleLoss for SoftmaxCrossEntropy {
    fn value_grad<T: Real>(&self, s: &[T], y: Target, grad: &mut [T]) -> f64 {
        let y = class(y);
        let m = s.iter().copied().fold(T::neg_infinity(), T::max);
        let mut z = T::zero();
        for (g, &sj) in grad.iter_mut().zip(s) {
            *g = (sj - m).exp();
            z += *g;
        }
        let inv = T::one() / z;
        grad.iter_mut().for_each(|g| *g *= inv);
        grad[y] -= T::one();
        (z.ln() - (s[y] - m)).f64()
    }
}

/// `softmax(s)` in f64.
pub(super) fn probabilities(s: &[f32]) -> Vec<f64> {
    let m = s.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let e: Vec<f64> = s.iter().map(|&v| (v as f64 - m).exp()).collect();
    let z: f64 = e.iter().sum();
    e.into_iter().map(|v| v / z).collect()
}
