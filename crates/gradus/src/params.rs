//! Named segments over one flat parameter buffer.
//!
//! Parameters, gradients and every optimizer state share one [`ParamLayout`]: a list of named
//! tensors (`layers.0.weight [10×784] @0`, `layers.0.bias [10] @7840`, …) laid end to end in a
//! single contiguous `Vec`. Update rules, checkpoints, gradient checks and loss landscapes then
//! all work on plain slices, whatever the model.

use serde::{Deserialize, Serialize};
use std::ops::Range;

/// What role a tensor plays; regularisers use it to leave biases alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// A weight matrix, regularised.
    Weight,
    /// A bias vector, regularised only when asked.
    Bias,
}

/// One named tensor inside the flat buffer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// Its name, in PyTorch's convention (`layers.0.weight`).
    pub name: String,
    /// Its shape, row-major (`[out, in]` for a weight, as `torch.nn.Linear`).
    pub shape: Vec<usize>,
    /// Where it starts in the flat buffer.
    pub offset: usize,
    /// Weight or bias.
    pub role: Role,
}

impl Segment {
    /// How many numbers it holds.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }
    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Its range in the flat buffer.
    pub fn range(&self) -> Range<usize> {
        self.offset..self.offset + self.len()
    }
}

/// The segments of a flat parameter buffer, in order, without gaps.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamLayout {
    segments: Vec<Segment>,
    len: usize,
}

impl ParamLayout {
    /// An empty layout.
    pub fn new() -> Self {
        Self::default()
    }
    /// Appends a tensor named `name` of `shape`; returns its range.
    pub fn push(&mut self, name: impl Into<String>, shape: &[usize], role: Role) -> Range<usize> {
        let seg = Segment {
            name: name.into(),
            shape: shape.to_vec(),
            offset: self.len,
            role,
        };
        self.len += seg.len();
        let r = seg.range();
        self.segments.push(seg);
        r
    }
    /// All segments, in buffer order.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }
    /// The segment named `name`.
    pub fn get(&self, name: &str) -> Option<&Segment> {
        self.segments.iter().find(|s| s.name == name)
    }
    /// Total number of parameters.
    pub fn len(&self) -> usize {
        self.len
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_laid_end_to_end() {
        let mut l = ParamLayout::new();
        assert_eq!(l.push("layers.0.weight", &[3, 4], Role::Weight), 0..12);
        assert_eq!(l.push("layers.0.bias", &[3], Role::Bias), 12..15);
        assert_eq!(l.len(), 15);
        assert_eq!(l.get("layers.0.bias").map(|s| s.offset), Some(12));
        assert!(l.get("nope").is_none());
    }
}
