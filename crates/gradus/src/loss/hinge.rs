//! Multiclass SVM losses (Weston–Watkins form, as the lectures write it).

use super::{ExampleLoss, Target, class};
use crate::real::Real;
use serde::{Deserialize, Serialize};

/// `L_i = Σ_{j≠y} max(0, s_j − s_y + Δ)`.
///
/// Subgradient: `+1` at each `j ≠ y` with a positive margin term, and minus their count at `y`
/// (at a corner, where `s_j − s_y + Δ = 0`, the term counts as inactive). Note PyTorch's
/// `MultiMarginLoss` divides this by the number of classes; gradus does not.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MulticlassHinge {
    /// The margin Δ (default 1).
    pub margin: f64,
}

/// `L_i = Σ_{j≠y} max(0, s_j − s_y + Δ)²`, gradient `2·max(0, ·)` at `j` and minus their sum at `y`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SquaredHinge {
    /// The margin Δ (default 1).
    pub margin: f64,
}

/// Shared body: `term(m)` maps a positive margin violation to (loss term, its derivative); the
/// subgradient is written into `grad` when there is one.
fn hinge<T: Real>(s: &[T], y: usize, margin: f64, mut grad: Option<&mut [T]>, term: impl Fn(T) -> (T, T)) -> f64 {
    let delta = T::of(margin);
    let sy = s[y];
    let mut loss = T::zero();
    let mut gy = T::zero();
    for (j, &sj) in s.iter().enumerate() {
        let m = sj - sy + delta;
        let mut d = T::zero();
        if j != y && m > T::zero() {
            let (l, dj) = term(m);
            loss += l;
            d = dj;
            gy -= d;
        }
        if let Some(g) = grad.as_deref_mut() {
            g[j] = d;
        }
    }
    if let Some(g) = grad {
        g[y] = gy;
    }
    loss.f64()
}

fn near_corner(s: &[f64], y: usize, margin: f64, h: f64) -> bool {
    s.iter()
        .enumerate()
        .any(|(j, &sj)| j != y && (sj - s[y] + margin).abs() <= 2.0 * h)
}

impl ExampleLoss for MulticlassHinge {
    fn value_grad<T: Real>(&self, s: &[T], y: Target, grad: &mut [T]) -> f64 {
        hinge(s, class(y), self.margin, Some(grad), |m| (m, T::one()))
    }
    fn value<T: Real>(&self, s: &[T], y: Target) -> f64 {
        hinge(s, class(y), self.margin, None, |m| (m, T::one()))
    }
    fn near_kink(&self, s: &[f64], y: Target, h: f64) -> bool {
        near_corner(s, class(y), self.margin, h)
    }
}

impl ExampleLoss for SquaredHinge {
    fn value_grad<T: Real>(&self, s: &[T], y: Target, grad: &mut [T]) -> f64 {
        hinge(s, class(y), self.margin, Some(grad), |m| (m * m, m + m))
    }
    fn value<T: Real>(&self, s: &[T], y: Target) -> f64 {
        hinge(s, class(y), self.margin, None, |m| (m * m, m + m))
    }
    fn near_kink(&self, s: &[f64], y: Target, h: f64) -> bool {
        // The squared hinge is differentiable, but its second derivative jumps at the corner,
        // which spoils centred differences right there.
        near_corner(s, class(y), self.margin, h)
    }
}
