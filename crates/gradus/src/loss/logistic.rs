//! Binary logistic loss.

use super::{ExampleLoss, Target, class};
use crate::real::Real;
use crate::real::sigmoid;
use serde::{Deserialize, Serialize};

/// Binary cross-entropy on one score `s` with `y ∈ {0, 1}`:
/// `L_i = −y log σ(s) − (1−y) log(1−σ(s)) = max(s, 0) − y·s + log(1 + e^{−|s|})`
/// (the right-hand form never overflows); `∂L_i/∂s = σ(s) − y`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Logistic;

impl ExampleLoss for Logistic {
    fn value_grad<T: Real>(&self, s: &[T], y: Target, grad: &mut [T]) -> f64 {
        grad[0] = sigmoid(s[0]) - T::of(class(y) as f64);
        self.value(s, y)
    }
    fn value<T: Real>(&self, s: &[T], y: Target) -> f64 {
        let y = T::of(class(y) as f64);
        let s0 = s[0];
        (s0.max(T::zero()) - y * s0 + (-s0.abs()).exp().ln_1p()).f64()
    }
}
