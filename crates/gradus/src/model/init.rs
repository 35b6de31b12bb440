//! Seeded initialisation suited to each layer's activation.

use super::{Activation, Network};
use crate::real::Real;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// He-normal weights before ReLU-type activations, Glorot-uniform elsewhere, zero biases.
pub(super) fn initialise<T: Real>(net: &Network, seed: u64) -> Vec<T> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut params = vec![T::zero(); net.layout().len()];
    let layers = net.dims().len() - 1;
    for l in 0..layers {
        let (fan_in, fan_out) = (net.dims()[l], net.dims()[l + 1]);
        let range = net.layout().segments()[2 * l].range();
        let hidden = l + 1 < layers;
        let w = &mut params[range];
        if hidden && matches!(net.activation(), Activation::Relu | Activation::LeakyRelu) {
            let std = (2.0 / fan_in as f64).sqrt();
            if let Ok(normal) = Normal::new(0.0, std) {
                w.iter_mut().for_each(|v| *v = T::of(normal.sample(&mut rng)));
            }
        } else {
            let bound = (6.0 / (fan_in + fan_out) as f64).sqrt();
            w.iter_mut().for_each(|v| *v = T::of(rng.random_range(-bound..bound)));
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
}
