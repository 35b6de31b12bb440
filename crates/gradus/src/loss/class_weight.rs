//! Per-class weights on the data loss (scikit-learn's `class_weight`).
//!
//! With a weight `w_c` per class, the data loss of a batch of `N` rows is
//!
//! ```text
//! (1/N) Σ_i w_{y_i} L_i
//! ```
//!
//! each row's loss and gradient multiplied by its class's weight, and no renormalisation by
//! `Σ_i w_{y_i}`: scikit-learn's `SGDClassifier(class_weight=…)` weighting. A class of weight
//! 3 counts as if each of its rows appeared three times. The weights are given one per class
//! ([`ClassWeight::Given`]), or by the `balanced` heuristic ([`ClassWeight::Balanced`]),
//! `w_c = N / (C · N_c)` on the `N` training rows with `N_c` of class `c` among `C` classes:
//! scikit-learn's `compute_class_weight('balanced')`, after King & Zeng, "Logistic regression in
//! rare events data" (2001), so that every class carries the same total weight.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How the classes are weighted in the data loss, before the training rows are known.
#[derive(Clone, Debug, PartialEq)]
pub enum ClassWeight {
    /// `w_c = N / (C · N_c)` on the training rows (every class present in them).
    Balanced,
    /// One weight per class, in the order of the class indices: finite, `≥ 0`, at least one
    /// `> 0` (scikit-learn allows a weight of 0, which leaves a class out of the loss).
    Given(Vec<f64>),
}

impl ClassWeight {
    /// Checks the given weights' values (their count is checked against the data by
    /// [`resolve`](Self::resolve)).
    ///
    /// # Errors
    /// [`Error::Param`] `class_weight`: no weights, a weight not finite or `< 0`, all of them 0.
    pub fn check(&self) -> Result<()> {
        let ClassWeight::Given(w) = self else { return Ok(()) };
        if let Some(bad) = w.iter().find(|w| !(w.is_finite() && **w >= 0.0)) {
            return Err(param(format!("weights must be finite numbers ≥ 0, got {bad}")));
        }
        if !w.iter().any(|&w| w > 0.0) {
            return Err(param(format!("needs at least one weight > 0, got {self}")));
        }
        Ok(())
    }

    /// The weight of each of the `n_classes` classes for the training `labels`.
    ///
    /// # Errors
    /// [`Error::Param`] `class_weight`: given weights whose count is not `n_classes`; `balanced`
    /// with a class that has no training row (scikit-learn's error too).
    pub fn resolve(&self, labels: &[u32], n_classes: usize) -> Result<ClassWeights> {
        let weights = match self {
            ClassWeight::Given(w) if w.len() != n_classes => {
                return Err(param(format!(
                    "gives {} weights ({self}), and the data has {n_classes} classes: give one per class",
                    w.len()
                )));
            }
            ClassWeight::Given(w) => w.clone(),
            ClassWeight::Balanced => {
                let mut count = vec![0usize; n_classes];
                for &y in labels {
                    count[y as usize] += 1;
                }
                if let Some(c) = count.iter().position(|&n| n == 0) {
                    return Err(param(format!(
                        "balanced needs rows of every class, and class {c} has no training rows"
                    )));
                }
                let n = labels.len() as f64;
                count.iter().map(|&k| n / (n_classes as f64 * k as f64)).collect()
            }
        };
        Ok(ClassWeights {
            balanced: *self == ClassWeight::Balanced,
            weights,
        })
    }
}

fn param(msg: String) -> Error {
    Error::param("class_weight", msg)
}

impl FromStr for ClassWeight {
    type Err = Error;

    /// `balanced`, or the weights `W0,W1,…` (one per class, in class index order).
    fn from_str(s: &str) -> Result<Self> {
        if s.trim() == "balanced" {
            return Ok(ClassWeight::Balanced);
        }
        let w = s
            .split(',')
            .map(|w| {
                w.trim().parse::<f64>().map_err(|_| {
                    param(format!(
                        "must be 'balanced' or one weight per class (W0,W1,…), got '{s}'"
                    ))
                })
            })
            .collect::<Result<Vec<f64>>>()?;
        let weights = ClassWeight::Given(w);
        weights.check()?;
        Ok(weights)
    }
}

impl fmt::Display for ClassWeight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClassWeight::Balanced => f.write_str("balanced"),
            ClassWeight::Given(w) => {
                let w: Vec<String> = w.iter().map(f64::to_string).collect();
                f.write_str(&w.join(","))
            }
        }
    }
}

/// The weight of each class, resolved on the training rows: what a model file records and the
/// objective multiplies each row's loss by.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassWeights {
    /// Whether they came from [`ClassWeight::Balanced`] (else they were given).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub balanced: bool,
    /// `w_c`, one per class, in class index order.
    pub weights: Vec<f64>,
}

impl ClassWeights {
    /// How they were asked for.
    pub fn asked(&self) -> ClassWeight {
        match self.balanced {
            true => ClassWeight::Balanced,
            false => ClassWeight::Given(self.weights.clone()),
        }
    }
}

/// The weight of a row of class `label`: `w_label`, or 1 without weights.
pub(super) fn of(class_weight: Option<&[f64]>, label: u32) -> f64 {
    class_weight.map_or(1.0, |w| w[label as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_is_n_over_classes_times_count() {
        // 6 rows: class 0 three times, class 1 twice, class 2 once.
        let labels = [0, 1, 0, 2, 1, 0];
        let w = ClassWeight::Balanced.resolve(&labels, 3).unwrap();
        assert!(w.balanced);
        assert_eq!(w.weights, [6.0 / 9.0, 6.0 / 6.0, 6.0 / 3.0]);
        assert_eq!(w.asked(), ClassWeight::Balanced);
        let e = ClassWeight::Balanced.resolve(&[0, 0, 2], 3).unwrap_err().to_string();
        assert_eq!(
            e,
            "class_weight balanced needs rows of every class, and class 1 has no training rows"
        );
    }

    #[test]
    fn given_weights_are_checked() {
        let e = |s: &str| s.parse::<ClassWeight>().unwrap_err().to_string();
        assert_eq!(e("1,-2"), "class_weight weights must be finite numbers ≥ 0, got -2");
        assert_eq!(
            e("1,inf").split(", got").next(),
            Some("class_weight weights must be finite numbers ≥ 0")
        );
        assert_eq!(e("0,0"), "class_weight needs at least one weight > 0, got 0,0");
        assert_eq!(
            e("1,x"),
            "class_weight must be 'balanced' or one weight per class (W0,W1,…), got '1,x'"
        );
        assert_eq!(
            e(""),
            "class_weight must be 'balanced' or one weight per class (W0,W1,…), got ''"
        );
        let given: ClassWeight = "3, 1,0".parse().unwrap();
        assert_eq!(given, ClassWeight::Given(vec![3.0, 1.0, 0.0]));
        assert_eq!(given.to_string(), "3,1,0");
        assert_eq!("balanced".parse::<ClassWeight>().unwrap(), ClassWeight::Balanced);
        let e = given.resolve(&[0, 1], 2).unwrap_err().to_string();
        assert_eq!(
            e,
            "class_weight gives 3 weights (3,1,0), and the data has 2 classes: give one per class"
        );
        let w = given.resolve(&[0, 1], 3).unwrap();
        assert!(!w.balanced && w.asked() == given);
    }
}
