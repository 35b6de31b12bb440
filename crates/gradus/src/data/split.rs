//! Seeded, stratified splits: train/test when a dataset has no official test split,
//! train/validation for early stopping, and the k folds of cross-validation.

use super::{Dataset, Targets};
use crate::error::{Error, Result};
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
    let (mut kept, mut held) = (Vec::new(), Vec::new());
    for g in shuffled_groups(data, &mut rng) {
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

/// The rows of each class (one group of every row for regression), each group shuffled with
/// `rng`.
fn shuffled_groups(data: &Dataset, rng: &mut ChaCha8Rng) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = match data.targets() {
        Targets::Classes { labels, n_classes } => {
            let mut g = vec![Vec::new(); *n_classes];
            for (i, &l) in labels.iter().enumerate() {
                g[l as usize].push(i);
            }
            g
        }
        Targets::Values(v) => vec![(0..v.len()).collect()],
    };
    groups.iter_mut().for_each(|g| g.shuffle(rng));
    groups
}

/// `k` folds for cross-validation: disjoint sets of rows that together cover every row, each
/// in increasing order. For classification they are stratified (scikit-learn's
/// `StratifiedKFold(shuffle=True)`): each class's rows, shuffled with `seed`, are dealt to the
/// folds in turn, the turn carried on from class to class, so every fold holds about `1/k` of
/// each class and fold sizes differ by at most one. For regression the shuffled rows are dealt
/// the same way.
///
/// # Errors
/// [`Error::Param`] `folds` for fewer than 2 folds, more folds than rows, or more folds than the
/// rows of some class (that class would be missing from a fold's held-out part).
pub fn kfold(data: &Dataset, k: usize, seed: u64) -> Result<Vec<Vec<usize>>> {
    if k < 2 || k > data.len() {
        return Err(Error::param(
            "folds",
            format!("must be between 2 and the {} rows, got {k}", data.len()),
        ));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let groups = shuffled_groups(data, &mut rng);
    if let Some((c, g)) = groups.iter().enumerate().find(|(_, g)| !g.is_empty() && g.len() < k) {
        return Err(Error::param(
            "folds",
            format!("{k} is more than the {} rows of class {c}", g.len()),
        ));
    }
    let mut folds = vec![Vec::new(); k];
    for (turn, &row) in groups.iter().flatten().enumerate() {
        folds[turn % k].push(row);
    }
    folds.iter_mut().for_each(|f| f.sort_unstable());
    Ok(folds)
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

    #[test]
    fn folds_are_disjoint_covering_stratified_and_seeded() {
        // 30 rows of class 0, 12 of class 1, 3 of class 2.
        let labels: Vec<u32> = (0..45)
            .map(|i| {
                if i < 30 {
                    0
                } else if i < 42 {
                    1
                } else {
                    2
                }
            })
            .collect();
        let d = Dataset::new(
            1,
            Features::U8(vec![0; 45]),
            Targets::Classes {
                labels: labels.clone(),
                n_classes: 3,
            },
        )
        .unwrap();
        let folds = kfold(&d, 3, 5).unwrap();
        let mut all: Vec<usize> = folds.concat();
        all.sort_unstable();
        assert_eq!(all, (0..45).collect::<Vec<_>>(), "disjoint and covering");
        for f in &folds {
            assert_eq!(f.len(), 15);
            let count = |c: u32| f.iter().filter(|&&i| labels[i] == c).count();
            assert_eq!((count(0), count(1), count(2)), (10, 4, 1));
        }
        assert_eq!(folds, kfold(&d, 3, 5).unwrap());
        assert_ne!(folds, kfold(&d, 3, 6).unwrap());
        assert_eq!(
            kfold(&d, 4, 0).unwrap_err().to_string(),
            "folds 4 is more than the 3 rows of class 2"
        );
        assert_eq!(
            kfold(&d, 1, 0).unwrap_err().to_string(),
            "folds must be between 2 and the 45 rows, got 1"
        );
        let r = Dataset::new(1, Features::U8(vec![0; 7]), Targets::Values(vec![0.0; 7])).unwrap();
        let sizes: Vec<usize> = kfold(&r, 3, 0).unwrap().iter().map(Vec::len).collect();
        assert_eq!(sizes, [3, 2, 2]);
    }
}
