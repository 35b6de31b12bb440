//! Batching: the rows an epoch visits — a seeded permutation, or draws with replacement — cut
//! into batches of row indices.

use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{Affine, Csr, Dataset, Features, TargetBuf};
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
    /// Writes the targets of rows `rows` into `t`.
    fn gather_targets(&self, rows: &[usize], t: &mut TargetBuf);
    /// The rows in compressed sparse form, when they are stored so and preprocessed by a
    /// scale alone (`x'_j = x_j · scale_j`, no shift, so a zero stays zero): what the sparse
    /// path of a linear model reads instead of gathering dense rows.
    fn sparse(&self) -> Option<SparseRows<'_>> {
        None
    }
}

/// Sparse rows and the scale of each feature.
#[derive(Clone, Copy, Debug)]
pub struct SparseRows<'a> {
    /// The rows.
    pub rows: &'a Csr,
    /// `scale_j`, one per feature; `None` when every one is 1.
    pub scale: Option<&'a [f32]>,
}

impl SparseRows<'_> {
    /// The preprocessed value `x'_j = x_j · scale_j` of the stored value `v` of feature `j`.
    #[inline]
    pub fn value(&self, j: u32, v: f32) -> f32 {
        self.scale.map_or(v, |s| v * s[j as usize])
    }
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
    fn gather_targets(&self, rows: &[usize], t: &mut TargetBuf) {
        self.data.gather_targets(rows, self.affine, t)
    }
    fn sparse(&self) -> Option<SparseRows<'_>> {
        match self.data.features() {
            Features::Csr(rows) if self.affine.scales_only() => Some(SparseRows {
                rows,
                scale: self.affine.scales(),
            }),
            _ => None,
        }
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
    order.shuffle(&mut stream(seed, epoch));
    order
}

/// The ChaCha8 stream `epoch` of `seed`.
fn stream(seed: u64, epoch: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(epoch);
    rng
}

/// How an epoch draws its `n` rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sampling {
    /// Every row once, in the seeded random order [`epoch_order`] (torch's `shuffle=True`,
    /// "random reshuffling").
    #[default]
    Permutation,
    /// `n` rows drawn independently and uniformly, with replacement: the lectures' SGD, "pick
    /// i at random", whose batch gradient is an unbiased estimate of ∇L at every step (torch's
    /// `RandomSampler(replacement=True)`). An epoch then misses about (1 − 1/n)ⁿ ≈ 1/e ≈ 37 %
    /// of the rows and visits others twice or more.
    Replacement,
    /// Every row once, in the data's order `0, 1, …, n − 1`, every epoch (scikit-learn's
    /// `shuffle=False`; torch's `shuffle=False`).
    Sequential,
}

impl Sampling {
    /// The rows epoch `epoch` (0-based) visits, in order, drawn from the ChaCha8 stream keyed by
    /// `(seed, epoch)`: a resumed run draws what an uninterrupted one would.
    pub fn order(self, n: usize, seed: u64, epoch: u64) -> Vec<usize> {
        match self {
            Sampling::Permutation => epoch_order(n, seed, epoch),
            Sampling::Replacement => {
                let mut rng = stream(seed, epoch);
                // Drawn as u64, so the rows do not depend on the platform's pointer width.
                (0..n).map(|_| rng.random_range(0..n as u64) as usize).collect()
            }
            Sampling::Sequential => (0..n).collect(),
        }
    }

    /// Whether this is the default, [`Sampling::Permutation`] (left out of model files).
    pub fn is_permutation(&self) -> bool {
        *self == Sampling::Permutation
    }
}

impl std::str::FromStr for Sampling {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        match s {
            "permutation" => Ok(Sampling::Permutation),
            "replacement" => Ok(Sampling::Replacement),
            "sequential" => Ok(Sampling::Sequential),
            _ => Err(crate::Error::param(
                "sampling",
                format!("must be permutation, replacement or sequential, got '{s}'"),
            )),
        }
    }
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
        assert_eq!(Sampling::Permutation.order(100, 3, 0), a);
        assert_eq!(BatchSize::Full.rows(7), 7);
        assert_eq!(BatchSize::Rows(256).rows(7), 7);
    }

    #[test]
    fn sampling_with_replacement_repeats_rows_and_misses_a_third() {
        let n = 10_000;
        let a = Sampling::Replacement.order(n, 3, 0);
        assert_eq!(a.len(), n);
        assert_eq!(a, Sampling::Replacement.order(n, 3, 0));
        assert_ne!(a, Sampling::Replacement.order(n, 3, 1));
        assert!(a.iter().all(|&i| i < n));
        let mut seen = vec![false; n];
        a.iter().for_each(|&i| seen[i] = true);
        // E[missed] = n(1 − 1/n)ⁿ ≈ n/e = 3679, standard deviation about 30.
        let missed = seen.iter().filter(|s| !**s).count();
        assert!(
            (missed as f64 - n as f64 / std::f64::consts::E).abs() < 200.0,
            "{missed}"
        );
        assert_eq!("replacement".parse::<Sampling>().unwrap(), Sampling::Replacement);
        assert_eq!(
            "bootstrap".parse::<Sampling>().unwrap_err().to_string(),
            "sampling must be permutation, replacement or sequential, got 'bootstrap'"
        );
    }

    #[test]
    fn sequential_sampling_keeps_the_data_order_every_epoch() {
        assert_eq!("sequential".parse::<Sampling>().unwrap(), Sampling::Sequential);
        for epoch in [0, 1, 7] {
            assert_eq!(Sampling::Sequential.order(5, 3, epoch), [0, 1, 2, 3, 4]);
        }
    }
}
