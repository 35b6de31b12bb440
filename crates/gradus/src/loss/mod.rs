//! Data losses: the loss of one example given its scores, and its (sub)gradient with respect to
//! the scores.
//!
//! Each loss is a small type implementing [`ExampleLoss`]; [`Loss`] names them for configuration
//! and computes batch means. For a batch of `N` rows the data loss is `(1/N) Σ_i L_i`, or with
//! per-class weights `w` ([`ClassWeight`], scikit-learn's `class_weight`) `(1/N) Σ_i w_{y_i} L_i`;
//! the regulariser is added by [`crate::objective::Objective`].
//!
//! | loss | `L_i` | outputs |
//! | --- | --- | --- |
//! | `svm` | `Σ_{j≠y} max(0, s_j − s_y + Δ)` (Weston–Watkins) | classes |
//! | `squared-svm` | `Σ_{j≠y} max(0, s_j − s_y + Δ)²` | classes |
//! | `softmax` | `−log(e^{s_y} / Σ_j e^{s_j})` | classes |
//! | `logistic` | `log(1 + e^{s}) − y·s`, `y ∈ {0, 1}` | 1 |
//! | `squared` | `½ (s − t)²` | 1 |
//! | `huber` | `½ r²` if `|r| ≤ δ`, else `δ(|r| − ½δ)`, `r = s − t` | 1 |

mod class_weight;
mod hinge;
mod logistic;
mod regression;
mod softmax;

pub use class_weight::{ClassWeight, ClassWeights};
pub use hinge::{MulticlassHinge, SquaredHinge};
pub use logistic::Logistic;
pub use regression::{Huber, Squared};
pub use softmax::SoftmaxCrossEntropy;

use crate::data::{TargetSlice, Task};
use crate::error::{Error, Result};
use crate::real::Real;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The target of one example.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Target {
    /// A class label.
    Class(u32),
    /// A real value.
    Value(f32),
}

/// The loss of one example.
pub trait ExampleLoss {
    /// Returns `L_i(s)` and writes `∂L_i/∂s` into `grad` (same length as `s`).
    fn value_grad<T: Real>(&self, s: &[T], y: Target, grad: &mut [T]) -> f64;

    /// Returns `L_i(s)` alone, by the formula of [`value_grad`](Self::value_grad).
    fn value<T: Real>(&self, s: &[T], y: Target) -> f64;

    /// Whether a score change of at most `h` in any coordinate can cross a point where `L_i` is
    /// not differentiable (a hinge's corner); the gradient checker skips such examples.
    fn near_kink(&self, _s: &[f64], _y: Target, _h: f64) -> bool {
        false
    }
}

/// A configured data loss.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "kebab-case")]
pub enum Loss {
    /// Multiclass SVM (hinge) with margin Δ.
    Svm(MulticlassHinge),
    /// Multiclass SVM with squared hinge terms.
    SquaredSvm(SquaredHinge),
    /// Softmax cross-entropy.
    Softmax(SoftmaxCrossEntropy),
    /// Binary cross-entropy on one output.
    Logistic(Logistic),
    /// Least squares.
    Squared(Squared),
    /// Huber loss with threshold δ.
    Huber(Huber),
}

/// Loss names as the command line spells them.
pub const LOSS_NAMES: &str = "svm, squared-svm, softmax, logistic, squared, huber";

impl Loss {
    /// The loss called `name`, with margin Δ (`svm`, `squared-svm`) and threshold δ (`huber`).
    pub fn new(name: &str, margin: f64, delta: f64) -> Result<Self> {
        let check_margin = || {
            if margin.is_finite() && margin >= 0.0 {
                Ok(margin)
            } else {
                Err(Error::param(
                    "margin",
                    format!("must be a finite number ≥ 0, got {margin}"),
                ))
            }
        };
        Ok(match name {
            "svm" => Loss::Svm(MulticlassHinge {
                margin: check_margin()?,
            }),
            "squared-svm" => Loss::SquaredSvm(SquaredHinge {
                margin: check_margin()?,
            }),
            "softmax" => Loss::Softmax(SoftmaxCrossEntropy),
            "logistic" => Loss::Logistic(Logistic),
            "squared" => Loss::Squared(Squared),
            "huber" => {
                if !(delta.is_finite() && delta > 0.0) {
                    return Err(Error::param(
                        "delta",
                        format!("must be a finite number > 0, got {delta}"),
                    ));
                }
                Loss::Huber(Huber { delta })
            }
            _ => {
                return Err(Error::param(
                    "loss",
                    format!("must be one of {LOSS_NAMES}, got '{name}'"),
                ));
            }
        })
    }

    /// The loss called `name` with the margin Δ and threshold δ that were given (`None`: the
    /// default, 1): a value given to a loss that has no use for it is an error, as an update
    /// rule's hyperparameters are.
    ///
    /// # Errors
    /// As [`new`](Self::new); [`Error::Param`] `margin` for a loss other than `svm` and
    /// `squared-svm`, `delta` for a loss other than `huber`.
    pub fn parse(name: &str, margin: Option<f64>, delta: Option<f64>) -> Result<Self> {
        let loss = Self::new(name, margin.unwrap_or(1.0), delta.unwrap_or(1.0))?;
        let (uses_margin, uses_delta) = match loss {
            Loss::Svm(_) | Loss::SquaredSvm(_) => (true, false),
            Loss::Huber(_) => (false, true),
            _ => (false, false),
        };
        for (given, used, param, of) in [
            (margin.is_some(), uses_margin, "margin", "the svm losses"),
            (delta.is_some(), uses_delta, "delta", "the huber loss"),
        ] {
            if given && !used {
                return Err(Error::param(
                    param,
                    format!("does not apply to the {name} loss (only to {of})"),
                ));
            }
        }
        Ok(loss)
    }

    /// The loss of an example whose scores are all 0 — what a model starts near when its
    /// weights are small (and its biases zero), the lectures' sanity check of a fresh
    /// classifier: `softmax` ln C, `svm` (C − 1)Δ, `squared-svm` (C − 1)Δ², `logistic` ln 2;
    /// `None` for regression, where it depends on the targets.
    pub fn value_at_zero_scores(&self, n_classes: usize) -> Option<f64> {
        let others = n_classes.saturating_sub(1) as f64;
        match self {
            Loss::Softmax(_) => Some((n_classes as f64).ln()),
            Loss::Svm(l) => Some(others * l.margin),
            Loss::SquaredSvm(l) => Some(others * l.margin * l.margin),
            Loss::Logistic(_) => Some(std::f64::consts::LN_2),
            Loss::Squared(_) | Loss::Huber(_) => None,
        }
    }

    /// The task the loss is for.
    pub fn task(&self) -> Task {
        match self {
            Loss::Squared(_) | Loss::Huber(_) => Task::Regress,
            _ => Task::Classify,
        }
    }

    /// Number of scores the model must output for `n_classes` classes (ignored for
    /// regression); an error if the loss does not fit the data.
    pub fn outputs(&self, task: Task, n_classes: usize) -> Result<usize> {
        if task != self.task() {
            let want = match self.task() {
                Task::Classify => "class labels",
                Task::Regress => "real-valued targets (task regress)",
            };
            return Err(Error::data(format!("the {self} loss needs {want}")));
        }
        match self {
            Loss::Logistic(_) if n_classes != 2 => Err(Error::data(format!(
                "the logistic loss is binary and needs 2 classes, the data has {n_classes}; use softmax or svm"
            ))),
            Loss::Logistic(_) | Loss::Squared(_) | Loss::Huber(_) => Ok(1),
            _ if n_classes < 2 => Err(Error::data(format!(
                "classification needs at least 2 classes, the data has {n_classes}"
            ))),
            _ => Ok(n_classes),
        }
    }

    /// Sums `w_{y_i} L_i` over the `rows × outputs` scores and writes `scale · w_{y_i} ·
    /// ∂L_i/∂s` into `dscores`, where `w` is `class_weight` (one weight per class; `None`: every
    /// `w_c = 1`, the same bits as weights of 1). With `scale = 1/N` this makes `dscores` the
    /// gradient of the batch mean. The softmax in f32 takes a block of rows at a time, its
    /// exponentials vectorised (as [`batch_value`](Self::batch_value)); the other losses go row
    /// by row.
    pub fn batch_value_grad<T: Real>(
        &self,
        scores: &[T],
        outputs: usize,
        targets: TargetSlice,
        class_weight: Option<&[f64]>,
        dscores: &mut [T],
        scale: f64,
    ) -> f64 {
        if let (Loss::Softmax(_), TargetSlice::Classes(labels), Some(s), Some(g)) =
            (self, targets, T::as_f32(scores), T::as_f32_mut(dscores))
        {
            return softmax::batch_value_grad(s, outputs, labels, class_weight, g, scale);
        }
        let mut total = 0.0;
        for (i, (s, g)) in scores
            .chunks_exact(outputs)
            .zip(dscores.chunks_exact_mut(outputs))
            .enumerate()
        {
            let y = target_of(targets, i);
            let w = weight_of(class_weight, y);
            total += w * self.value_grad(s, y, g);
            let k = T::of(scale * w);
            g.iter_mut().for_each(|v| *v *= k);
        }
        total
    }

    /// `(Σ_i w_{y_i} L_i, correct)` over the `rows × outputs` f32 scores, without a gradient:
    /// the loss sum of [`batch_value_grad`](Self::batch_value_grad) (`class_weight` as there)
    /// and, for class targets, the count of rows whose [`predict_class`](Self::predict_class)
    /// is the label (unweighted; 0 for real targets). The softmax takes its exponentials a block
    /// of rows at a time in a vectorised loop; the other losses sum [`ExampleLoss::value`] row
    /// by row.
    pub fn batch_value(
        &self,
        scores: &[f32],
        outputs: usize,
        targets: TargetSlice,
        class_weight: Option<&[f64]>,
    ) -> (f64, usize) {
        if let (Loss::Softmax(_), TargetSlice::Classes(labels)) = (self, targets) {
            return softmax::batch_value(scores, outputs, labels, class_weight);
        }
        let (mut total, mut correct) = (0.0, 0);
        for (i, s) in scores.chunks_exact(outputs).enumerate() {
            let y = target_of(targets, i);
            total += weight_of(class_weight, y) * self.value(s, y);
            if let Target::Class(c) = y {
                correct += usize::from(self.predict_class(s) == c as usize);
            }
        }
        (total, correct)
    }

    /// The class predicted from one example's scores: the arg max, or `s > 0` for logistic.
    pub fn predict_class<T: Real>(&self, s: &[T]) -> usize {
        match self {
            Loss::Logistic(_) => usize::from(s[0] > T::zero()),
            _ => argmax(s),
        }
    }

    /// Class probabilities from one example's scores, for the losses that model them (softmax,
    /// logistic); `None` for margin and regression losses.
    pub fn probabilities(&self, s: &[f32]) -> Option<Vec<f64>> {
        match self {
            Loss::Softmax(_) => Some(softmax::probabilities(s)),
            Loss::Logistic(_) => {
                let p = crate::real::sigmoid(s[0] as f64);
                Some(vec![1.0 - p, p])
            }
            _ => None,
        }
    }
}

impl ExampleLoss for Loss {
    fn value_grad<T: Real>(&self, s: &[T], y: Target, grad: &mut [T]) -> f64 {
        match self {
            Loss::Svm(l) => l.value_grad(s, y, grad),
            Loss::SquaredSvm(l) => l.value_grad(s, y, grad),
            Loss::Softmax(l) => l.value_grad(s, y, grad),
            Loss::Logistic(l) => l.value_grad(s, y, grad),
            Loss::Squared(l) => l.value_grad(s, y, grad),
            Loss::Huber(l) => l.value_grad(s, y, grad),
        }
    }
    fn value<T: Real>(&self, s: &[T], y: Target) -> f64 {
        match self {
            Loss::Svm(l) => l.value(s, y),
            Loss::SquaredSvm(l) => l.value(s, y),
            Loss::Softmax(l) => l.value(s, y),
            Loss::Logistic(l) => l.value(s, y),
            Loss::Squared(l) => l.value(s, y),
            Loss::Huber(l) => l.value(s, y),
        }
    }
    fn near_kink(&self, s: &[f64], y: Target, h: f64) -> bool {
        match self {
            Loss::Svm(l) => l.near_kink(s, y, h),
            Loss::SquaredSvm(l) => l.near_kink(s, y, h),
            Loss::Huber(l) => l.near_kink(s, y, h),
            _ => false,
        }
    }
}

impl fmt::Display for Loss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Loss::Svm(l) => write!(f, "svm (margin {})", l.margin),
            Loss::SquaredSvm(l) => write!(f, "squared-svm (margin {})", l.margin),
            Loss::Softmax(_) => f.write_str("softmax"),
            Loss::Logistic(_) => f.write_str("logistic"),
            Loss::Squared(_) => f.write_str("squared"),
            Loss::Huber(l) => write!(f, "huber (delta {})", l.delta),
        }
    }
}

/// The target of row `i`.
pub fn target_of(t: TargetSlice, i: usize) -> Target {
    match t {
        TargetSlice::Classes(l) => Target::Class(l[i]),
        TargetSlice::Values(v) => Target::Value(v[i]),
    }
}

/// The weight of target `y`'s class in `class_weight` (1 without weights, or for a real
/// value).
fn weight_of(class_weight: Option<&[f64]>, y: Target) -> f64 {
    match y {
        Target::Class(c) => class_weight::of(class_weight, c),
        Target::Value(_) => 1.0,
    }
}

/// Index of the largest value (the first, on ties).
pub fn argmax<T: Real>(s: &[T]) -> usize {
    let Some(&first) = s.first() else { return 0 };
    // The running maximum is kept in a register, so the compiler can select instead of branch.
    let (mut best, mut top) = (0, first);
    for (j, &v) in s.iter().enumerate().skip(1) {
        if v > top {
            best = j;
            top = v;
        }
    }
    best
}

/// The class label of a target (0 for a real value).
fn class(y: Target) -> usize {
    match y {
        Target::Class(c) => c as usize,
        Target::Value(v) => v as usize,
    }
}

/// The real value of a target.
fn value(y: Target) -> f64 {
    match y {
        Target::Class(c) => c as f64,
        Target::Value(v) => v as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<(Loss, Target, usize)> {
        vec![
            (Loss::new("svm", 1.0, 1.0).unwrap(), Target::Class(1), 4),
            (Loss::new("squared-svm", 0.5, 1.0).unwrap(), Target::Class(2), 4),
            (Loss::new("softmax", 1.0, 1.0).unwrap(), Target::Class(0), 4),
            (Loss::new("logistic", 1.0, 1.0).unwrap(), Target::Class(1), 1),
            (Loss::new("logistic", 1.0, 1.0).unwrap(), Target::Class(0), 1),
            (Loss::new("squared", 1.0, 1.0).unwrap(), Target::Value(0.7), 1),
            (Loss::new("huber", 1.0, 0.5).unwrap(), Target::Value(-0.3), 1),
            (Loss::new("huber", 1.0, 0.5).unwrap(), Target::Value(2.9), 1),
        ]
    }

    /// Every loss's analytic gradient agrees with centred differences at random scores away
    /// from kinks.
    #[test]
    fn gradients_match_centred_differences() {
        let mut seed = 12345u64;
        let mut rnd = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((seed >> 11) as f64 / (1u64 << 53) as f64) * 6.0 - 3.0
        };
        let h = 1e-6;
        for (loss, y, c) in all() {
            let mut checked = 0;
            for _ in 0..200 {
                let s: Vec<f64> = (0..c).map(|_| rnd()).collect();
                if loss.near_kink(&s, y, 10.0 * h) {
                    continue;
                }
                let mut g = vec![0.0; c];
                loss.value_grad(&s, y, &mut g);
                for j in 0..c {
                    let (mut p, mut m) = (s.clone(), s.clone());
                    p[j] += h;
                    m[j] -= h;
                    let mut scratch = vec![0.0; c];
                    let num = (loss.value_grad(&p, y, &mut scratch) - loss.value_grad(&m, y, &mut scratch)) / (2.0 * h);
                    let err = (g[j] - num).abs() / g[j].abs().max(num.abs()).max(1e-8);
                    assert!(
                        err < 1e-5 || (g[j] - num).abs() < 1e-8,
                        "{loss}: d/ds{j} analytic {} numeric {num}",
                        g[j]
                    );
                }
                checked += 1;
            }
            assert!(checked > 100, "{loss}: only {checked} points checked");
        }
    }

    #[test]
    fn hand_computed_values() {
        // CS231n's worked example: scores (3.2, 5.1, −1.7), label 0, Δ = 1 → 2.9 + 0 = 2.9.
        let mut g = [0.0; 3];
        let svm = Loss::new("svm", 1.0, 1.0).unwrap();
        let l = svm.value_grad(&[3.2, 5.1, -1.7], Target::Class(0), &mut g);
        assert!((l - 2.9).abs() < 1e-12);
        assert_eq!(g, [-1.0, 1.0, 0.0]);
        // Softmax: −log(e^{3.2}/(e^{3.2}+e^{5.1}+e^{−1.7})) = 2.04035515…
        let sm = Loss::new("softmax", 1.0, 1.0).unwrap();
        let l = sm.value_grad(&[3.2, 5.1, -1.7], Target::Class(0), &mut g);
        let z = 3.2f64.exp() + 5.1f64.exp() + (-1.7f64).exp();
        assert!((l - (z.ln() - 3.2)).abs() < 1e-12);
        assert!((l - 2.040_355_15).abs() < 1e-8);
        assert!((g[1] - 5.1f64.exp() / z).abs() < 1e-12);
    }

    #[test]
    fn softmax_is_stable_for_huge_scores() {
        let mut g = [0.0f32; 3];
        let sm = Loss::new("softmax", 1.0, 1.0).unwrap();
        let l = sm.value_grad(&[1e30f32, -1e30, 0.0], Target::Class(1), &mut g);
        assert!(l.is_finite() && l > 1e29);
        assert!(g.iter().all(|v| v.is_finite()));
        let l = Logistic.value_grad(&[-1e4f32], Target::Class(1), &mut g[..1]);
        assert!((l - 1e4).abs() < 1e-3, "{l}");
    }

    /// Cross-entropy stays positive, and its gradient sums to zero, where the correct class
    /// wins by a margin so wide that 1 + e^{s_j − m} rounds to 1.
    #[test]
    fn softmax_keeps_tiny_losses_at_extreme_scores() {
        let sm = Loss::new("softmax", 1.0, 1.0).unwrap();
        let mut g = [0.0f64; 3];
        let l = sm.value_grad(&[10.0, -100.0, -100.0], Target::Class(0), &mut g);
        let tail = (-110.0f64).exp();
        assert!(l > 0.0);
        assert!((l - 2.0 * tail).abs() <= 1e-15 * 2.0 * tail, "{l}");
        assert!((g[0] + 2.0 * tail).abs() <= 1e-15 * tail && (g[1] - tail).abs() <= 1e-15 * tail);
        assert_eq!(g.iter().sum::<f64>(), 0.0, "{g:?}");
        // The wrong class on top: the loss is the margin, the gradient −1 at y and p at k.
        let l = sm.value_grad(&[10.0, -100.0, -100.0], Target::Class(1), &mut g);
        assert!((l - 110.0).abs() < 1e-12, "{l}");
        assert_eq!(g[0], 1.0 / (1.0 + 2.0 * tail));
        assert!((g[1] + 1.0).abs() < 1e-15);
        // Ties: two maxima share the mass.
        let l = sm.value_grad(&[3.0, 3.0], Target::Class(1), &mut g[..2]);
        assert!((l - 2f64.ln()).abs() < 1e-15 && g[..2] == [0.5, -0.5], "{l} {g:?}");
    }

    #[test]
    fn flags_that_do_not_apply_are_errors_and_zero_scores_give_the_textbook_values() {
        let e = |r: Result<Loss>| r.unwrap_err().to_string();
        assert_eq!(
            e(Loss::parse("softmax", Some(2.0), None)),
            "margin does not apply to the softmax loss (only to the svm losses)"
        );
        assert_eq!(
            e(Loss::parse("svm", None, Some(0.5))),
            "delta does not apply to the svm loss (only to the huber loss)"
        );
        assert_eq!(
            Loss::parse("svm", Some(2.0), None).unwrap(),
            Loss::new("svm", 2.0, 1.0).unwrap()
        );
        assert_eq!(
            Loss::parse("huber", None, Some(0.5)).unwrap(),
            Loss::new("huber", 1.0, 0.5).unwrap()
        );
        assert!(e(Loss::parse("svm", Some(-1.0), None)).starts_with("margin must be"));
        // At zero scores: ln C, (C − 1)Δ, … and each agrees with the loss itself.
        for (name, c, want) in [
            ("softmax", 10, 10f64.ln()),
            ("svm", 10, 9.0),
            ("squared-svm", 4, 3.0),
            ("logistic", 2, 2f64.ln()),
        ] {
            let loss = Loss::new(name, 1.0, 1.0).unwrap();
            let got = loss.value_at_zero_scores(c).unwrap();
            assert!((got - want).abs() < 1e-12, "{name}");
            let k = loss.outputs(Task::Classify, c).unwrap();
            let mut g = vec![0.0f64; k];
            assert!(
                (loss.value_grad(&vec![0.0; k], Target::Class(1), &mut g) - want).abs() < 1e-12,
                "{name}"
            );
        }
        assert_eq!(Loss::new("squared", 1.0, 1.0).unwrap().value_at_zero_scores(1), None);
    }

    #[test]
    fn losses_check_the_data_they_get() {
        let lg = Loss::new("logistic", 1.0, 1.0).unwrap();
        assert!(
            lg.outputs(Task::Classify, 10)
                .unwrap_err()
                .to_string()
                .contains("needs 2 classes")
        );
        assert_eq!(lg.outputs(Task::Classify, 2).unwrap(), 1);
        let sq = Loss::new("squared", 1.0, 1.0).unwrap();
        assert!(sq.outputs(Task::Classify, 10).is_err());
        assert_eq!(
            Loss::new("nope", 1.0, 1.0).unwrap_err().to_string(),
            format!("loss must be one of {LOSS_NAMES}, got 'nope'")
        );
        assert!(
            Loss::new("huber", 1.0, 0.0)
                .unwrap_err()
                .to_string()
                .starts_with("delta")
        );
        assert!(
            Loss::new("svm", -1.0, 1.0)
                .unwrap_err()
                .to_string()
                .starts_with("margin")
        );
    }

    /// The value alone is, bit for bit, the value of `value_grad`; the f32 batch value is the
    /// sum of `value_grad`'s values (to the rounding of the softmax's exponentials) with the
    /// count of rows whose prediction is the label.
    #[test]
    fn values_alone_equal_value_grad() {
        let mut seed = 7u64;
        let mut rnd = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((seed >> 11) as f64 / (1u64 << 53) as f64) as f32 * 6.0 - 3.0
        };
        for (loss, y, c) in all() {
            let rows = 150;
            let s: Vec<f32> = (0..rows * c).map(|_| rnd()).collect();
            let (labels, values): (Vec<u32>, Vec<f32>) = match y {
                Target::Class(_) => ((0..rows).map(|i| (i % c.max(2)) as u32).collect(), vec![]),
                Target::Value(_) => (vec![], (0..rows).map(|_| rnd()).collect()),
            };
            let t = match y {
                Target::Class(_) => TargetSlice::Classes(&labels),
                Target::Value(_) => TargetSlice::Values(&values),
            };
            let (mut want, mut hits) = (0.0, 0);
            for (i, si) in s.chunks_exact(c).enumerate() {
                let yi = target_of(t, i);
                let v = loss.value_grad(si, yi, &mut vec![0.0; c]);
                assert_eq!(loss.value(si, yi).to_bits(), v.to_bits(), "{loss}");
                want += v;
                hits += usize::from(matches!(yi, Target::Class(k) if k as usize == loss.predict_class(si)));
            }
            let (total, correct) = loss.batch_value(&s, c, t, None);
            assert!((total - want).abs() <= 1e-6 * want, "{loss}: {total} vs {want}");
            assert_eq!(correct, hits, "{loss}");
            assert!(
                matches!(y, Target::Value(_)) || hits > 0,
                "{loss}: no row predicted right"
            );
        }
    }

    #[test]
    fn batch_mean_scales_gradients() {
        let sm = Loss::new("softmax", 1.0, 1.0).unwrap();
        let scores = [1.0f64, 2.0, 0.5, -1.0];
        let mut d = [0.0; 4];
        let total = sm.batch_value_grad(&scores, 2, TargetSlice::Classes(&[0, 1]), None, &mut d, 0.5);
        let mut g0 = [0.0; 2];
        let l0 = sm.value_grad(&scores[..2], Target::Class(0), &mut g0);
        assert!((total - l0 - sm.value_grad(&scores[2..], Target::Class(1), &mut [0.0; 2])).abs() < 1e-12);
        assert_eq!(d[0], 0.5 * g0[0]);
    }
}
