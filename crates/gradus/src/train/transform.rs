//! Gradient transforms: what happens to ∇L between the objective and the update rule.
//!
//! As in optax's `chain`, a [`Chain`] applies its transforms in order, each a pure function of
//! the gradient and the step number, so a chain needs no state of its own in a checkpoint:
//!
//! ```text
//! g ← ∇L(θ_t);  for each transform τ in the chain: g ← τ(g, t);  θ_{t+1} = rule(θ_t, g, α_t)
//! ```
//!
//! [`Chain::from_config`] builds the chain a [`TrainConfig`] asks for: [`GaussianNoise`] first,
//! then [`ClipNorm`]. A caller may add its own (an all-reduce across processes, say) with
//! [`Chain::then`].

use super::TrainConfig;
use crate::real::Real;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// A transformation of the gradient of step `t` (0-based).
pub trait GradientTransform<T>: Send + Sync {
    /// Transforms `grads`, the gradient of step `step`, in place.
    fn apply(&self, grads: &mut [T], step: u64);
}

/// Scales `g` so that `‖g‖₂ ≤ c` (PyTorch's `clip_grad_norm_`: `g ← g · min(1, c/(‖g‖ + 1e-6))`).
pub fn clip_global_norm<T: Real>(g: &mut [T], c: f64) {
    let norm = g.iter().map(|v| v.f64() * v.f64()).sum::<f64>().sqrt();
    let k = c / (norm + 1e-6);
    if k < 1.0 {
        let k = T::of(k);
        g.iter_mut().for_each(|v| *v *= k);
    }
}

/// [`clip_global_norm`] with bound `C`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClipNorm(pub f64);

impl<T: Real> GradientTransform<T> for ClipNorm {
    fn apply(&self, grads: &mut [T], _step: u64) {
        clip_global_norm(grads, self.0);
    }
}

/// `g ← g + ε`, `ε ~ N(0, σ²I)`: the error of a minibatch gradient, simulated. The draws of step
/// `t` come from the ChaCha8 stream `t` of `seed`, one per coordinate in order, so they depend
/// only on `(seed, t)`: a resumed run draws what an uninterrupted one would.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GaussianNoise {
    /// σ > 0.
    pub sigma: f64,
    /// Seed of the draws.
    pub seed: u64,
}

impl<T: Real> GradientTransform<T> for GaussianNoise {
    fn apply(&self, grads: &mut [T], step: u64) {
        let Ok(normal) = Normal::new(0.0, self.sigma) else {
            return;
        };
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(step);
        for g in grads {
            *g += T::of(normal.sample(&mut rng));
        }
    }
}

/// Transforms applied one after another.
pub struct Chain<T>(Vec<Box<dyn GradientTransform<T>>>);

impl<T: Real> Chain<T> {
    /// No transform: the gradient as it is.
    pub fn identity() -> Self {
        Chain(Vec::new())
    }

    /// The transforms `config` asks for: noise (`noise`), then clipping (`clip_norm`).
    pub fn from_config(config: &TrainConfig) -> Self {
        let mut chain = Chain::identity();
        if let Some(sigma) = config.noise {
            chain = chain.then(GaussianNoise {
                sigma,
                seed: config.seed,
            });
        }
        if let Some(c) = config.clip_norm {
            chain = chain.then(ClipNorm(c));
        }
        chain
    }

    /// This chain followed by `transform`.
    pub fn then(mut self, transform: impl GradientTransform<T> + 'static) -> Self {
        self.0.push(Box::new(transform));
        self
    }

    /// Applies every transform in order.
    pub fn apply(&self, grads: &mut [T], step: u64) {
        for t in &self.0 {
            t.apply(grads, step);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_bounds_the_norm_and_leaves_small_gradients_alone() {
        let mut g = [3.0f64, 4.0];
        ClipNorm(1.0).apply(&mut g, 0);
        assert!((g[0].hypot(g[1]) - 1.0).abs() < 1e-6);
        let mut small = [0.3f64, 0.4];
        ClipNorm(1.0).apply(&mut small, 0);
        assert_eq!(small, [0.3, 0.4]);
    }

    #[test]
    fn noise_depends_on_seed_and_step_only() {
        let draw = |seed, step| {
            let mut g = [0.0f64; 4];
            GaussianNoise { sigma: 1.0, seed }.apply(&mut g, step);
            g
        };
        assert_eq!(draw(1, 5), draw(1, 5));
        assert_ne!(draw(1, 5), draw(1, 6));
        assert_ne!(draw(1, 5), draw(2, 5));
        // A chain applies its transforms in order: noise, then clipping.
        let chain = Chain::identity()
            .then(GaussianNoise { sigma: 100.0, seed: 1 })
            .then(ClipNorm(1.0));
        let mut g = [0.0f64; 4];
        chain.apply(&mut g, 5);
        let norm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
        assert!((norm - 1.0).abs() < 1e-6, "{norm}");
    }
}
