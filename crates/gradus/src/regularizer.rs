//! Regularisation penalties `λ R(W)` and their (sub)gradients.
//!
//! | spec | `R(W)` | `∂(λR)/∂W` |
//! | --- | --- | --- |
//! | `l2:λ` | `Σ W²` (no ½, as the lectures write it) | `2λW` |
//! | `l1:λ` | `Σ |W|` | `λ sign(W)` (0 at 0) |
//! | `elastic:λ,β` | `Σ (β W² + |W|)` | `λ(2βW + sign W)` |
//!
//! Biases are not penalised unless `include_bias` is set (`--reg-bias`).

use crate::error::{Error, Result};
use crate::params::{ParamLayout, Role};
use crate::real::Real;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A penalty on the weights.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Penalty {
    /// No penalty.
    None,
    /// `λ Σ W²`.
    L2 {
        /// Strength λ.
        lambda: f64,
    },
    /// `λ Σ |W|`.
    L1 {
        /// Strength λ.
        lambda: f64,
    },
    /// `λ Σ (β W² + |W|)`.
    Elastic {
        /// Strength λ.
        lambda: f64,
        /// Weight β of the squared part.
        beta: f64,
    },
}

/// A penalty and which tensors it applies to.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Regularizer {
    /// The penalty.
    pub penalty: Penalty,
    /// Whether biases are penalised too.
    pub include_bias: bool,
}

impl Regularizer {
    /// No regularisation.
    pub fn none() -> Self {
        Self {
            penalty: Penalty::None,
            include_bias: false,
        }
    }

    /// Adds `∂(λR)/∂θ` to `grads` and returns `λR(θ)`.
    pub fn penalty_grad<T: Real>(&self, params: &[T], layout: &ParamLayout, grads: &mut [T]) -> f64 {
        if self.penalty == Penalty::None {
            return 0.0;
        }
        let (l2, l1) = self.strengths();
        let two_l2 = T::of(2.0 * l2);
        for r in self.penalised(layout) {
            let coordinates = grads[r.clone()].iter_mut().zip(&params[r]);
            if l1 == 0.0 {
                // The weight decay alone, a loop the compiler vectorises (2λ₂w + λ₁·sign(w)
                // with λ₁ = 0, to the bit but for the sign of a zero).
                coordinates.for_each(|(g, &w)| *g += two_l2 * w);
            } else {
                let l1 = T::of(l1);
                coordinates.for_each(|(g, &w)| *g += two_l2 * w + l1 * sign(w));
            }
        }
        self.value(params, layout)
    }

    /// `λR(θ)`.
    pub fn value<T: Real>(&self, params: &[T], layout: &ParamLayout) -> f64 {
        let (l2, l1) = self.strengths();
        let (mut sq, mut abs) = (0.0f64, 0.0f64);
        for r in self.penalised(layout) {
            let w = &params[r];
            if l2 != 0.0 {
                sq += crate::linalg::lane_sum(w, |v| v * v);
            }
            if l1 != 0.0 {
                abs += crate::linalg::lane_sum(w, f64::abs);
            }
        }
        l2 * sq + l1 * abs
    }

    /// `(λ₂, λ₁)`, the strengths of `Σ W²` and `Σ |W|` in `λR`.
    pub fn strengths(&self) -> (f64, f64) {
        match self.penalty {
            Penalty::None => (0.0, 0.0),
            Penalty::L2 { lambda } => (lambda, 0.0),
            Penalty::L1 { lambda } => (0.0, lambda),
            Penalty::Elastic { lambda, beta } => (lambda * beta, lambda),
        }
    }

    /// `∂(λR)/∂w = 2λ₂w + λ₁ sign(w)` for one penalised coordinate `w` (sign 0 at 0).
    pub fn coordinate_grad<T: Real>(&self, w: T) -> T {
        let (l2, l1) = self.strengths();
        T::of(2.0 * l2) * w + T::of(l1) * sign(w)
    }

    /// The ranges of θ the penalty applies to: the tensors of `layout`, less the biases unless
    /// `include_bias`.
    pub fn penalised(&self, layout: &ParamLayout) -> Vec<std::ops::Range<usize>> {
        layout
            .segments()
            .iter()
            .filter(|seg| seg.role != Role::Bias || self.include_bias)
            .map(|seg| seg.range())
            .collect()
    }

    /// Whether `R` has a kink within `h` of `θ_i` (|·| at 0): the gradient checker skips such
    /// coordinates.
    pub fn near_kink(&self, theta: f64, h: f64) -> bool {
        matches!(self.penalty, Penalty::L1 { .. } | Penalty::Elastic { .. }) && theta.abs() <= 2.0 * h
    }
}

fn strength(name: &str, s: &str) -> Result<f64> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(Error::param(
            "reg",
            format!("{name} must be a finite number ≥ 0, got '{s}'"),
        )),
    }
}

impl FromStr for Penalty {
    type Err = Error;
    /// `none`, `l2:λ`, `l1:λ` or `elastic:λ,β`.
    fn from_str(s: &str) -> Result<Self> {
        let (kind, args) = s.split_once(':').unwrap_or((s, ""));
        match (kind, args) {
            ("none", "") => Ok(Penalty::None),
            ("l2", a) if !a.is_empty() => Ok(Penalty::L2 {
                lambda: strength("λ", a)?,
            }),
            ("l1", a) if !a.is_empty() => Ok(Penalty::L1 {
                lambda: strength("λ", a)?,
            }),
            ("elastic", a) => match a.split_once(',') {
                Some((l, b)) => Ok(Penalty::Elastic {
                    lambda: strength("λ", l)?,
                    beta: strength("β", b)?,
                }),
                None => Err(Error::param(
                    "reg",
                    format!("elastic needs λ,β (e.g. elastic:1e-4,0.5), got '{s}'"),
                )),
            },
            _ => Err(Error::param(
                "reg",
                format!("must be none, l2:λ, l1:λ or elastic:λ,β, got '{s}'"),
            )),
        }
    }
}

impl fmt::Display for Penalty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Penalty::None => f.write_str("none"),
            Penalty::L2 { lambda } => write!(f, "l2:{lambda}"),
            Penalty::L1 { lambda } => write!(f, "l1:{lambda}"),
            Penalty::Elastic { lambda, beta } => write!(f, "elastic:{lambda},{beta}"),
        }
    }
}

/// sign(w): 1, −1, or 0 at 0 (the subgradient of |w| the penalties take there).
fn sign<T: Real>(w: T) -> T {
    if w > T::zero() {
        T::one()
    } else if w < T::zero() {
        -T::one()
    } else {
        T::zero()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> ParamLayout {
        let mut l = ParamLayout::new();
        l.push("w", &[3], Role::Weight);
        l.push("b", &[1], Role::Bias);
        l
    }

    #[test]
    fn penalties_and_gradients_by_hand() {
        let p = [1.0f64, -2.0, 0.0, 5.0];
        let reg = |s: &str, bias| Regularizer {
            penalty: s.parse().unwrap(),
            include_bias: bias,
        };
        let mut g = [0.0; 4];
        assert_eq!(reg("l2:0.5", false).penalty_grad(&p, &layout(), &mut g), 2.5);
        assert_eq!(g, [1.0, -2.0, 0.0, 0.0]);
        let mut g = [0.0; 4];
        assert_eq!(reg("l1:0.1", true).penalty_grad(&p, &layout(), &mut g), 0.1 * 8.0);
        assert_eq!(g, [0.1, -0.1, 0.0, 0.1]);
        let mut g = [0.0; 4];
        let v = reg("elastic:0.1,0.5", false).penalty_grad(&p, &layout(), &mut g);
        assert!((v - 0.1 * (0.5 * 5.0 + 3.0)).abs() < 1e-12);
        assert!((g[1] - 0.1 * (2.0 * 0.5 * -2.0 - 1.0)).abs() < 1e-12);
    }

    #[test]
    fn bad_specs_name_the_value() {
        for bad in ["l2", "l2:-1", "l3:1", "elastic:1", "l1:nan"] {
            let e = bad.parse::<Penalty>().unwrap_err().to_string();
            assert!(e.starts_with("reg") && e.contains("got"), "{e}");
        }
    }
}
