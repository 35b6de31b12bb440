//! Regression losses on one output.

use super::{ExampleLoss, Target, value};
use crate::real::Real;
use serde::{Deserialize, Serialize};

/// Least squares: `L_i = ½ (s − t)²`, `∂L_i/∂s = s − t` (the ½ makes the gradient the residual,
/// as scikit-learn's `squared_error`; PyTorch's `MSELoss` omits it and doubles the gradient).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Squared;

/// Huber: `L_i = ½ r²` for `|r| ≤ δ`, else `δ(|r| − ½δ)`, with `r = s − t`; the gradient is `r`
/// clipped to `[−δ, δ]`. Equal to PyTorch's `HuberLoss(delta=δ)`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Huber {
    /// The threshold δ between the quadratic and linear parts (default 1).
    pub delta: f64,
}

impl ExampleLoss for Squared {
    fn value_grad<T: Real>(&self, s: &[T], y: Target, grad: &mut [T]) -> f64 {
        grad[0] = s[0] - T::of(value(y));
        self.value(s, y)
    }
    fn value<T: Real>(&self, s: &[T], y: Target) -> f64 {
        let r = s[0] - T::of(value(y));
        (T::of(0.5) * r * r).f64()
    }
}

impl ExampleLoss for Huber {
    fn value_grad<T: Real>(&self, s: &[T], y: Target, grad: &mut [T]) -> f64 {
        let r = s[0] - T::of(value(y));
        let d = T::of(self.delta);
        grad[0] = if r.abs() <= d { r } else { d * r.signum() };
        self.value(s, y)
    }
    fn value<T: Real>(&self, s: &[T], y: Target) -> f64 {
        let r = s[0] - T::of(value(y));
        let d = T::of(self.delta);
        if r.abs() <= d {
            (T::of(0.5) * r * r).f64()
        } else {
            (d * (r.abs() - T::of(0.5) * d)).f64()
        }
    }
    fn near_kink(&self, s: &[f64], y: Target, h: f64) -> bool {
        ((s[0] - value(y)).abs() - self.delta).abs() <= 2.0 * h
    }
}
