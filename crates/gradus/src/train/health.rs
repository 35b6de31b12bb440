//! Health figures of an epoch: how large the gradients were ([`EpochStats::mean_grad_norm`])
//! and how far each layer moved relative to its size ([`LayerUpdate`]).
//!
//! Both are the diagnostics of CS231n's "babysitting the learning process": an update/weight
//! ratio far above the usual range says the learning rate is too high, one far below says it is
//! too low; a gradient norm that grows from epoch to epoch says the run is heading for
//! divergence. They cost one pass over the gradient per step and two over θ per epoch, no pass
//! over the data.
//!
//! [`EpochStats::mean_grad_norm`]: super::EpochStats::mean_grad_norm

use crate::params::ParamLayout;
use crate::real::Real;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// The layers whose updates an epoch measures: named ranges of the flat parameter buffer.
#[derive(Clone, Debug, PartialEq)]
pub struct Layers(Vec<(String, Range<usize>)>);

impl Layers {
    /// One layer per run of adjacent tensors whose names agree up to their last dot:
    /// `layers.0.weight` and `layers.0.bias` make the layer `layers.0`.
    pub fn of(layout: &ParamLayout) -> Self {
        let mut layers: Vec<(String, Range<usize>)> = Vec::new();
        for s in layout.segments() {
            let name = s.name.rsplit_once('.').map_or(s.name.as_str(), |(layer, _)| layer);
            match layers.last_mut() {
                Some((last, r)) if last == name && r.end == s.offset => r.end = s.range().end,
                _ => layers.push((name.to_string(), s.range())),
            }
        }
        Self(layers)
    }

    /// All `n` parameters as one layer named `θ` (a problem without a layout: a 2-D function).
    pub fn whole(n: usize) -> Self {
        Self(vec![("θ".to_string(), 0..n)])
    }

    /// The names and ranges, in buffer order.
    pub fn ranges(&self) -> &[(String, Range<usize>)] {
        &self.0
    }

    /// Each layer's update from `start` to `end` (two parameter vectors of the same layout).
    pub fn updates<T: Real>(&self, start: &[T], end: &[T]) -> Vec<LayerUpdate> {
        self.0
            .iter()
            .map(|(name, r)| {
                let (a, b) = (&start[r.clone()], &end[r.clone()]);
                let norm = a.iter().map(|v| v.f64() * v.f64()).sum::<f64>().sqrt();
                let update = a
                    .iter()
                    .zip(b)
                    .map(|(x, y)| (y.f64() - x.f64()).powi(2))
                    .sum::<f64>()
                    .sqrt();
                LayerUpdate {
                    layer: name.clone(),
                    norm,
                    update,
                    ratio: (norm > 0.0).then(|| update / norm),
                }
            })
            .collect()
    }
}

/// How far one layer's parameters θ_l moved over an epoch: from θ_l at the epoch's start
/// (before its first step) to θ_l at its end (after its last step).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerUpdate {
    /// The layer (`layers.0`), or `θ` for a problem without a layout.
    pub layer: String,
    /// ‖θ_start‖₂, the layer's size at the epoch's start.
    pub norm: f64,
    /// ‖θ_end − θ_start‖₂, how far the epoch moved it.
    pub update: f64,
    /// The update/weight ratio ‖θ_end − θ_start‖₂ / ‖θ_start‖₂; `None` when the layer started
    /// at zero (a zero-initialised model's first epoch).
    pub ratio: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Role;

    #[test]
    fn layers_group_a_layers_tensors_and_measure_by_hand() {
        let mut l = ParamLayout::new();
        l.push("layers.0.weight", &[2, 1], Role::Weight);
        l.push("layers.0.bias", &[2], Role::Bias);
        l.push("layers.1.weight", &[1, 2], Role::Weight);
        let layers = Layers::of(&l);
        let names: Vec<_> = layers.ranges().iter().map(|(n, r)| (n.as_str(), r.clone())).collect();
        assert_eq!(names, [("layers.0", 0..4), ("layers.1", 4..6)]);
        // layers.0: (3, 0, 0, 4) → (3, 0, 0, 1): ‖θ‖ = 5, ‖Δθ‖ = 3; layers.1 starts at 0.
        let u = layers.updates(&[3.0f32, 0.0, 0.0, 4.0, 0.0, 0.0], &[3.0, 0.0, 0.0, 1.0, 1.0, 0.0]);
        assert_eq!((u[0].norm, u[0].update, u[0].ratio), (5.0, 3.0, Some(0.6)));
        assert_eq!((u[1].norm, u[1].update, u[1].ratio), (0.0, 1.0, None));
        assert_eq!(Layers::whole(6).ranges(), [("θ".to_string(), 0..6)]);
    }
}
