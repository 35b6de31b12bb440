//! Evaluation metrics: accuracy, confusion matrix, per-class precision and recall, RMSE.

use serde::{Deserialize, Serialize};

/// Classification metrics of predicted against true labels.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    /// Fraction of rows predicted correctly.
    pub accuracy: f64,
    /// `confusion[t][p]`: rows of true class `t` predicted as `p`.
    pub confusion: Vec<Vec<u64>>,
    /// Per class: correct predictions of it over all predictions of it (0 when never predicted).
    pub precision: Vec<f64>,
    /// Per class: correct predictions of it over its rows (0 when it has none).
    pub recall: Vec<f64>,
}

/// Metrics of `predicted` against `truth`, both labels `< n_classes`.
pub fn classification(predicted: &[usize], truth: &[u32], n_classes: usize) -> ClassMetrics {
    let mut confusion = vec![vec![0u64; n_classes]; n_classes];
    for (&p, &t) in predicted.iter().zip(truth) {
        confusion[t as usize][p] += 1;
    }
    let correct: u64 = (0..n_classes).map(|c| confusion[c][c]).sum();
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let precision = (0..n_classes)
        .map(|c| ratio(confusion[c][c], confusion.iter().map(|r| r[c]).sum()))
        .collect();
    let recall = (0..n_classes)
        .map(|c| ratio(confusion[c][c], confusion[c].iter().sum()))
        .collect();
    ClassMetrics {
        accuracy: ratio(correct, truth.len() as u64),
        confusion,
        precision,
        recall,
    }
}

/// Root mean squared error `√((1/N) Σ (p − t)²)`.
pub fn rmse(predicted: &[f32], truth: &[f32]) -> f64 {
    let n = truth.len().max(1) as f64;
    (predicted
        .iter()
        .zip(truth)
        .map(|(&p, &t)| (p as f64 - t as f64).powi(2))
        .sum::<f64>()
        / n)
        .sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confusion_precision_recall_by_hand() {
        let m = classification(&[0, 1, 1, 2, 0], &[0, 1, 0, 2, 2], 3);
        assert_eq!(m.confusion, vec![vec![1, 1, 0], vec![0, 1, 0], vec![1, 0, 1]]);
        assert_eq!(m.accuracy, 0.6);
        assert_eq!(m.precision, vec![0.5, 0.5, 1.0]);
        assert_eq!(m.recall, vec![0.5, 1.0, 0.5]);
        assert!((rmse(&[1.0, 3.0], &[0.0, 0.0]) - 5f64.sqrt()).abs() < 1e-12);
    }
}
