//! Elementwise nonlinearities between layers, with derivatives written in terms of the output
//! `h = f(z)`, so the backward pass needs only the stored activations.

use crate::error::{Error, Result};
use crate::real::{Real, sigmoid};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The slope of leaky ReLU for negative inputs (PyTorch's default `negative_slope`).
pub const LEAKY_SLOPE: f64 = 0.01;

/// An activation function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Activation {
    /// `h = max(0, z)`; `dh/dz = 1(h > 0)`.
    Relu,
    /// `h = z` for `z > 0`, else `0.01·z`; `dh/dz = 1` for `h > 0`, else 0.01.
    LeakyRelu,
    /// `h = 1/(1 + e^{−z})`; `dh/dz = h(1 − h)`.
    Sigmoid,
    /// `h = tanh z`; `dh/dz = 1 − h²`.
    Tanh,
}

impl Activation {
    /// Applies the activation in place.
    pub fn apply<T: Real>(self, z: &mut [T]) {
        let slope = T::of(LEAKY_SLOPE);
        match self {
            Activation::Relu => z.iter_mut().for_each(|v| *v = v.max(T::zero())),
            Activation::LeakyRelu => z.iter_mut().for_each(|v| {
                if *v < T::zero() {
                    *v *= slope
                }
            }),
            Activation::Sigmoid => z.iter_mut().for_each(|v| *v = sigmoid(*v)),
            Activation::Tanh => z.iter_mut().for_each(|v| *v = v.tanh()),
        }
    }

    /// Multiplies `delta` (∂L/∂h) by `dh/dz`, given the outputs `h`.
    pub fn backprop<T: Real>(self, h: &[T], delta: &mut [T]) {
        let slope = T::of(LEAKY_SLOPE);
        let it = delta.iter_mut().zip(h);
        match self {
            Activation::Relu => it.for_each(|(d, &h)| {
                if h <= T::zero() {
                    *d = T::zero()
                }
            }),
            Activation::LeakyRelu => it.for_each(|(d, &h)| {
                if h <= T::zero() {
                    *d *= slope
                }
            }),
            Activation::Sigmoid => it.for_each(|(d, &h)| *d *= h * (T::one() - h)),
            Activation::Tanh => it.for_each(|(d, &h)| *d *= T::one() - h * h),
        }
    }

    /// Whether `z` sits on a kink of the activation (where it is not differentiable), judged
    /// from the output `h`: the gradient checker skips coordinates whose perturbation crosses one.
    pub fn has_kinks(self) -> bool {
        matches!(self, Activation::Relu | Activation::LeakyRelu)
    }
}

impl FromStr for Activation {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "relu" => Ok(Activation::Relu),
            "leaky-relu" => Ok(Activation::LeakyRelu),
            "sigmoid" => Ok(Activation::Sigmoid),
            "tanh" => Ok(Activation::Tanh),
            _ => Err(Error::param(
                "activation",
                format!("must be relu, leaky-relu, sigmoid or tanh, got '{s}'"),
            )),
        }
    }
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Activation::Relu => "relu",
            Activation::LeakyRelu => "leaky-relu",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivatives_match_centred_differences() {
        for act in [
            Activation::Relu,
            Activation::LeakyRelu,
            Activation::Sigmoid,
            Activation::Tanh,
        ] {
            for z0 in [-2.3f64, -0.4, 0.7, 3.1] {
                let f = |z: f64| {
                    let mut v = [z];
                    act.apply(&mut v);
                    v[0]
                };
                let h = 1e-6;
                let num = (f(z0 + h) - f(z0 - h)) / (2.0 * h);
                let mut d = [1.0];
                act.backprop(&[f(z0)], &mut d);
                assert!((d[0] - num).abs() < 1e-8, "{act} at {z0}: {} vs {num}", d[0]);
            }
        }
    }

    #[test]
    fn sigmoid_is_stable_at_extremes() {
        assert_eq!(sigmoid(-1000.0f64), 0.0);
        assert_eq!(sigmoid(1000.0f64), 1.0);
        assert!((sigmoid(0.0f32) - 0.5).abs() < 1e-7);
    }
}
