//! Seeded, stratified splits: train/test when a dataset has no official test split, and
//! train/validation for early stopping.

use super::{Dataset, Targets};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// Splits the rows of `data` into (kept, held out), holding out `fraction` of them.
///
/// For classification the split is stratified: each class contributes `round(fraction · n_c)`
/// rows (at least one and at most `n_c − 1` when the class has two or more; a class of one row stays in the kept part), chosen by a seeded shuffle, so class
/// proportions are kept. For regression the rows are shuffled and cut. Both index lists are
/// returned in increasing order.
pub fn stratified(data: &Dataset, fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let groups: Vec<Vec<usize>> = match data.targets() {
        Targets::Classes { labels, n_classes } => {
            let mut g = vec![Vec::new(); *n_classes];
            for (i, &l) in labels.iter().enumerate() {
                g[l as usize].push(i);
            }
            g
        }
        Targets::Values(v) => vec![(0..v.len()).collect()],
    };
    let (mut kept, mut held) = (Vec::new(), Vec::new());
    for mut g in groups {
        g.shuffle(&mut rng);
        let n = g.len();
        let k = if n >= 2 && fraction > 0.0 {
            ((fraction * n as f64).round() as usize).clamp(1, n - 1)
        } else {
            0
        };
        held.extend_from_slice(&g[..k]);
        kept.extend_from_slice(&g[k..]);
    }
    kept.sort_unstable();
    held.sort_unstable();
    (kept, held)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Features;

    #[test]
    fn keeps_class_proportions_and_is_seeded() {
        let labels: Vec<u32> = (0..100).map(|i| if i < 80 { 0 } else { 1 }).collect();
        let d = Dataset::new(1, Features::U8(vec![0; 100]), Targets::Classes { labels, n_classes: 2 }).unwrap();
        let (kept, held) = stratified(&d, 0.25, 1);
        assert_eq!((kept.len(), held.len()), (75, 25));
        assert_eq!(held.iter().filter(|&&i| i >= 80).count(), 5);
        assert_eq!((kept.clone(), held.clone()), stratified(&d, 0.25, 1));
        assert_ne!(held, stratified(&d, 0.25, 2).1);
        let mut all: Vec<usize> = kept.into_iter().chain(held).collect();
        all.sort_unstable();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
    }
}
