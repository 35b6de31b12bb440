//! Seeded initialisation: [`Init`], the choice, and the draws.

use super::{Activation, Network};
use crate::error::{Error, Result};
use crate::real::Real;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How the weights start (biases always start at 0).
///
/// | form | weights of a layer with `fan_in` inputs and `fan_out` outputs |
/// | --- | --- |
/// | `auto` | `he` for layers followed by ReLU or leaky ReLU, `glorot` for the others and the output layer |
/// | `he` | N(0, 2/fan_in) (He et al. 2015), every layer |
/// | `glorot` | U(±√(6/(fan_in + fan_out))) (Glorot & Bengio 2010), every layer |
/// | `normal:σ` | N(0, σ²), every layer: small σ gives scores near 0, so the loss starts near its value at zero scores ([`Loss::value_at_zero_scores`](crate::loss::Loss::value_at_zero_scores): ln C for softmax) |
/// | `zeros` | 0: the start the implicit-regularisation argument assumes for a linear model (gradient descent then stays in the row space of the data); in a hidden layer every unit gets the same gradient and they never differ (and ReLU units get none) |
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Init {
    /// He before ReLU-type activations, Glorot elsewhere.
    #[default]
    Auto,
    /// He-normal everywhere.
    He,
    /// Glorot-uniform everywhere.
    Glorot,
    /// N(0, σ²) everywhere, σ > 0.
    Normal(f64),
    /// All zero.
    Zeros,
}

impl Init {
    /// Whether this is the default, [`Init::Auto`] (left out of model files).
    pub fn is_auto(&self) -> bool {
        *self == Init::Auto
    }
}

impl FromStr for Init {
    type Err = Error;
    /// `auto`, `he`, `glorot`, `normal:σ` (σ finite and > 0) or `zeros`.
    fn from_str(s: &str) -> Result<Self> {
        let init = match s.split_once(':') {
            None if s == "auto" => Some(Init::Auto),
            None if s == "he" => Some(Init::He),
            None if s == "glorot" => Some(Init::Glorot),
            None if s == "zeros" => Some(Init::Zeros),
            Some(("normal", sigma)) => sigma
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v > 0.0)
                .map(Init::Normal),
            _ => None,
        };
        init.ok_or_else(|| {
            Error::param(
                "init",
                format!("must be auto, he, glorot, normal:σ (σ > 0) or zeros, got '{s}'"),
            )
        })
    }
}

impl fmt::Display for Init {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Init::Auto => f.write_str("auto"),
            Init::He => f.write_str("he"),
            Init::Glorot => f.write_str("glorot"),
            Init::Normal(sigma) => write!(f, "normal:{sigma}"),
            Init::Zeros => f.write_str("zeros"),
        }
    }
}

impl From<Init> for String {
    fn from(init: Init) -> String {
        init.to_string()
    }
}

impl TryFrom<String> for Init {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

/// The weights of `net` drawn as `init` says, layer by layer from one ChaCha8 stream of `seed`;
/// zero biases.
pub(super) fn initialise<T: Real>(net: &Network, init: Init, seed: u64) -> Vec<T> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut params = vec![T::zero(); net.layout().len()];
    let layers = net.dims().len() - 1;
    for l in 0..layers {
        let (fan_in, fan_out) = (net.dims()[l], net.dims()[l + 1]);
        let range = net.layout().segments()[2 * l].range();
        let before_relu = l + 1 < layers && matches!(net.activation(), Activation::Relu | Activation::LeakyRelu);
        let w = &mut params[range];
        let normal = |std: f64, w: &mut [T], rng: &mut ChaCha8Rng| {
            if let Ok(normal) = Normal::new(0.0, std) {
                w.iter_mut().for_each(|v| *v = T::of(normal.sample(rng)));
            }
        };
        match init {
            Init::Zeros => {}
            Init::Normal(sigma) => normal(sigma, w, &mut rng),
            Init::He => normal((2.0 / fan_in as f64).sqrt(), w, &mut rng),
            Init::Auto if before_relu => normal((2.0 / fan_in as f64).sqrt(), w, &mut rng),
            Init::Auto | Init::Glorot => {
                let bound = (6.0 / (fan_in + fan_out) as f64).sqrt();
                w.iter_mut().for_each(|v| *v = T::of(rng.random_range(-bound..bound)));
            }
        }
    }
    params
}

#[cfg(test)]
mod tests {
    use super::super::Architecture;
    use super::*;

    #[test]
    fn same_seed_same_parameters_and_sensible_spread() {
        let net = Network::new(784, &"mlp:256".parse::<Architecture>().unwrap(), 10).unwrap();
        let a: Vec<f32> = net.init(7);
        assert_eq!(a, net.init::<f32>(7));
        assert_ne!(a, net.init::<f32>(8));
        let w0 = &a[..256 * 784];
        let var = w0.iter().map(|x| (*x as f64).powi(2)).sum::<f64>() / w0.len() as f64;
        assert!((var / (2.0 / 784.0) - 1.0).abs() < 0.05, "He variance {var}");
        let b0 = &a[256 * 784..256 * 785];
        assert!(b0.iter().all(|&b| b == 0.0));
        let w1 = &a[256 * 785..256 * 785 + 2560];
        let bound = (6.0f32 / 266.0).sqrt();
        assert!(w1.iter().all(|x| x.abs() <= bound));
    }

    #[test]
    fn each_choice_draws_what_it_says() {
        let net = Network::new(400, &"mlp:300".parse::<Architecture>().unwrap(), 10).unwrap();
        let variance = |w: &[f64]| w.iter().map(|x| x * x).sum::<f64>() / w.len() as f64;
        let (w0, w1) = (0..120_000, 120_300..123_300);
        let he: Vec<f64> = net.init_with(Init::He, 1);
        assert!((variance(&he[w1.clone()]) / (2.0 / 300.0) - 1.0).abs() < 0.1);
        let glorot: Vec<f64> = net.init_with(Init::Glorot, 1);
        // U(±b) has variance b²/3 = 2/(fan_in + fan_out).
        assert!((variance(&glorot[w0.clone()]) / (2.0 / 700.0) - 1.0).abs() < 0.05);
        let normal: Vec<f64> = net.init_with(Init::Normal(0.01), 1);
        assert!((variance(&normal[w0]).sqrt() / 0.01 - 1.0).abs() < 0.05);
        assert!(net.init_with::<f64>(Init::Zeros, 1).iter().all(|v| *v == 0.0));
        assert_eq!(net.init_with::<f64>(Init::Auto, 1), net.init::<f64>(1));
        for text in ["auto", "he", "glorot", "normal:0.01", "zeros"] {
            assert_eq!(text.parse::<Init>().unwrap().to_string(), text);
        }
        for bad in ["normal:0", "normal:-1", "normal", "xavier", "normal:nan"] {
            let e = bad.parse::<Init>().unwrap_err().to_string();
            assert!(e.starts_with("init must be auto, he, glorot, normal:σ"), "{e}");
        }
    }
}
