//! Batching: a seeded permutation per epoch, cut into batches of row indices.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::{Affine, Dataset, TargetBuf};
use crate::real::Real;

/// A source of examples that gathers rows into dense, preprocessed batches.
///
/// The training loop reads data only through this trait, so sparse or out-of-core sources can
/// be added beside [`Prepared`] without touching it.
pub trait Examples: Sync {
    /// Number of rows.
    fn len(&self) -> usize;
    /// Whether there are none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Features per row.
    fn n_features(&self) -> usize;
    /// Writes rows `rows` into `x` (`rows.len() × n_features`) and their targets into `t`.
    fn gather<T: Real>(&self, rows: &[usize], x: &mut Vec<T>, t: &mut TargetBuf);
}

/// A dataset with its fitted preprocessing.
#[derive(Clone, Copy, Debug)]
pub struct Prepared<'a> {
    /// The raw data.
    pub data: &'a Dataset,
    /// The preprocessing applied when rows are gathered.
    pub affine: &'a Affine,
}

impl Examples for Prepared<'_> {
    fn len(&self) -> usize {
        self.data.len()
    }
    fn n_features(&self) -> usize {
        self.data.n_features()
    }
    fn gather<T: Real>(&self, rows: &[usize], x: &mut Vec<T>, t: &mut TargetBuf) {
        self.data.gather(rows, self.affine, x, t)
    }
}

/// How many rows a batch holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BatchSize {
    /// The whole training set: full-batch gradient descent.
    Full,
    /// `B` rows (1: single-example SGD).
    Rows(usize),
}

impl BatchSize {
    /// Rows per batch for a dataset of `n` rows.
    pub fn rows(self, n: usize) -> usize {
        match self {
            BatchSize::Full => n,
            BatchSize::Rows(b) => b.min(n),
        }
    }
}

impl std::fmt::Display for BatchSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BatchSize::Full => f.write_str("full"),
            BatchSize::Rows(b) => write!(f, "{b}"),
        }
    }
}

/// The order in which one epoch visits the rows: `epoch_order(n, seed, epoch)` is a permutation
/// of `0..n` drawn from a ChaCha8 stream keyed by `(seed, epoch)`, so epoch `e` of a resumed run
/// visits rows in the same order as an uninterrupted one.
pub fn epoch_order(n: usize, seed: u64, epoch: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(epoch);
    order.shuffle(&mut rng);
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_orders_are_seeded_permutations() {
        let a = epoch_order(100, 3, 0);
        assert_eq!(a, epoch_order(100, 3, 0));
        assert_ne!(a, epoch_order(100, 3, 1));
        assert_ne!(a, epoch_order(100, 4, 0));
        let mut s = a.clone();
        s.sort_unstable();
        assert_eq!(s, (0..100).collect::<Vec<_>>());
        assert_eq!(BatchSize::Full.rows(7), 7);
        assert_eq!(BatchSize::Rows(256).rows(7), 7);
    }
}
