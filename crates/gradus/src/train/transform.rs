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
//! then [`Freeze`] (which needs the model's [`ParamLayout`], so [`Chain::for_model`] adds it),
//! then [`ClipNorm`]. A caller may add its own (an all-reduce across processes, say) with
//! [`Chain::then`].

use super::TrainConfig;
use crate::error::{Error, Result};
use crate::params::ParamLayout;
use crate::real::Real;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use std::ops::Range;

/// A transformation of the gradient of step `t` (0-based).
pub trait GradientTransform<T>: Send + Sync {
    /// Transforms `grads`, the gradient of step `step`, in place.
    fn apply(&self, grads: &mut [T], step: u64);
    /// Whether the transform only zeroes coordinates that do not train ([`Freeze`]): the
    /// trainer then applies it also to the gradient whose norm a gradient tolerance tests.
    fn is_mask(&self) -> bool {
        false
    }
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

/// `g_i ← 0` for the coordinates of frozen tensors: the update rules then see a zero gradient
/// there, and none of them moves a parameter whose gradient has always been zero (every buffer
/// stays 0; coupled weight decay, which would, is refused with `freeze` by
/// [`TrainParams::check`](super::TrainParams::check)). Freezing the first layer of an MLP
/// trains a random-features model (Rahimi & Recht 2007).
#[derive(Clone, Debug, PartialEq)]
pub struct Freeze {
    ranges: Vec<Range<usize>>,
}

impl Freeze {
    /// The coordinates `names` stand for in `layout`: a layer `layers.K` (its weight and bias)
    /// or a tensor `layers.K.weight`; `None` for no names.
    ///
    /// # Errors
    /// [`Error::Param`] `freeze` for a name that is neither, and for names that leave nothing
    /// to train.
    pub fn new(layout: &ParamLayout, names: &[String]) -> Result<Option<Self>> {
        if names.is_empty() {
            return Ok(None);
        }
        let mut ranges = Vec::new();
        for name in names {
            let layer = format!("{name}.");
            let matched: Vec<Range<usize>> = layout
                .segments()
                .iter()
                .filter(|s| s.name == *name || s.name.starts_with(&layer))
                .map(|s| s.range())
                .collect();
            if matched.is_empty() {
                let layers = layout.segments().len() / 2;
                return Err(Error::param(
                    "freeze",
                    format!(
                        "must name layers of the model (layers.0 to layers.{}) or their tensors (layers.0.weight), got '{name}'",
                        layers.saturating_sub(1)
                    ),
                ));
            }
            ranges.extend(matched);
        }
        ranges.sort_by_key(|r| r.start);
        ranges.dedup();
        let frozen: usize = ranges.iter().map(|r| r.len()).sum();
        if frozen == layout.len() {
            return Err(Error::param(
                "freeze",
                format!("leaves nothing to train: {} is the whole model", names.join(",")),
            ));
        }
        Ok(Some(Self { ranges }))
    }
}

impl<T: Real> GradientTransform<T> for Freeze {
    fn apply(&self, grads: &mut [T], _step: u64) {
        for r in &self.ranges {
            grads[r.clone()].fill(T::zero());
        }
    }
    fn is_mask(&self) -> bool {
        true
    }
}

/// Transforms applied one after another.
pub struct Chain<T>(Vec<Box<dyn GradientTransform<T>>>);

impl<T: Real> Chain<T> {
    /// No transform: the gradient as it is.
    pub fn identity() -> Self {
        Chain(Vec::new())
    }

    /// Whether the chain leaves every gradient as it is.
    pub fn is_identity(&self) -> bool {
        self.0.is_empty()
    }

    /// The transforms `config` asks for, but the mask of `freeze` (which needs a layout, see
    /// [`for_model`](Self::for_model)): noise (`noise`), then clipping (`clip_norm`).
    pub fn from_config(config: &TrainConfig) -> Self {
        Self::build(config, None)
    }

    /// All the transforms `config` asks for on a model with parameters laid out as `layout`:
    /// noise (`noise`), the mask of the frozen tensors (`freeze`), then clipping (`clip_norm`,
    /// so the bound applies to the gradient that trains).
    ///
    /// # Errors
    /// As [`Freeze::new`].
    pub fn for_model(config: &TrainConfig, layout: &ParamLayout) -> Result<Self> {
        Ok(Self::build(config, Freeze::new(layout, &config.freeze)?))
    }

    fn build(config: &TrainConfig, freeze: Option<Freeze>) -> Self {
        let mut chain = Chain::identity();
        if let Some(sigma) = config.noise {
            chain = chain.then(GaussianNoise {
                sigma,
                seed: config.seed,
            });
        }
        if let Some(freeze) = freeze {
            chain = chain.then(freeze);
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

    /// Applies only the masks ([`GradientTransform::is_mask`]).
    pub fn mask(&self, grads: &mut [T]) {
        for t in self.0.iter().filter(|t| t.is_mask()) {
            t.apply(grads, 0);
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

    #[test]
    fn freeze_names_layers_or_tensors() {
        let net = crate::model::Network::new(3, &"mlp:2".parse().unwrap(), 2).unwrap();
        let layout = net.layout();
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let f = Freeze::new(layout, &names(&["layers.0"])).unwrap().unwrap();
        let mut g = vec![1.0f64; layout.len()];
        f.apply(&mut g, 0);
        // layers.0: 2×3 weights and 2 biases, first in the buffer.
        assert_eq!(g.iter().filter(|v| **v == 0.0).count(), 8);
        assert!(g[8..].iter().all(|v| *v == 1.0));
        let f = Freeze::new(layout, &names(&["layers.1.bias", "layers.0.weight"]))
            .unwrap()
            .unwrap();
        assert_eq!(f.ranges, vec![0..6, 12..14]);
        assert!(Freeze::new(layout, &[]).unwrap().is_none());
        let e = Freeze::new(layout, &names(&["layers.2"])).unwrap_err().to_string();
        assert_eq!(
            e,
            "freeze must name layers of the model (layers.0 to layers.1) or their tensors (layers.0.weight), got 'layers.2'"
        );
        let e = Freeze::new(layout, &names(&["layers.0", "layers.1"]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("leaves nothing to train"), "{e}");
        // A chain's mask applies the freeze alone.
        let chain = Chain::identity()
            .then(ClipNorm(1e-3))
            .then(Freeze::new(layout, &names(&["layers.1"])).unwrap().unwrap());
        let mut g = vec![1.0f64; layout.len()];
        chain.mask(&mut g);
        assert_eq!(g[..8], [1.0; 8]);
        assert_eq!(g[8..], [0.0; 6]);
    }
}
