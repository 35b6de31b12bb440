//! Targets from numeric labels, shared by the loaders whose labels are numbers (NumPy arrays,
//! LIBSVM files).
//!
//! As for CSV files ([`super::csv::CsvOptions::task`]), the task is said, not guessed:
//! [`Task::Classify`] (the default) reads non-negative integers (`3`, `3.0`) as class ids,
//! `n_classes` being the largest plus one, and labels that are all −1 or +1 (the LIBSVM and SVM
//! convention for binary problems) as classes 0 and 1 named `-1` and `+1`; [`Task::Regress`]
//! reads finite numbers within `f32`'s range.

use super::{Targets, Task};
use crate::error::{Error, Result};
use std::path::Path;

/// The most classes a file may define.
pub const MAX_CLASSES: usize = 10_000;

/// The targets of `labels` read as `task` says, and the class names of ±1 labels. `at(i)` says
/// where label `i` is in `path` (`line 7`, `element 3`) for errors.
///
/// # Errors
/// [`Error::Format`] naming `path` and `at(i)`: a label that is not finite, beyond `f32`'s
/// range (regression), or not a class id below [`MAX_CLASSES`] (classification), e.g.
/// `y.npy: element 3: label 0.5 is not a class id (a non-negative integer; for real-valued
/// targets use --task regress)`.
pub fn targets(
    labels: &[f64],
    task: Task,
    path: &Path,
    at: impl Fn(usize) -> String,
) -> Result<(Targets, Option<Vec<String>>)> {
    let err = |i: usize, msg: String| Error::format(path, format!("{}: {msg}", at(i)));
    if let Some(i) = labels.iter().position(|y| !y.is_finite()) {
        return Err(err(i, format!("label {} is not finite", labels[i])));
    }
    match task {
        Task::Regress => {
            if let Some(i) = labels.iter().position(|y| y.abs() > f32::MAX as f64) {
                return Err(err(i, format!("label {:e} is out of f32's range (±3.4e38)", labels[i])));
            }
            Ok((Targets::Values(labels.iter().map(|&y| y as f32).collect()), None))
        }
        Task::Classify if labels.contains(&-1.0) && labels.iter().all(|&y| y == -1.0 || y == 1.0) => {
            let ids = labels.iter().map(|&y| u32::from(y > 0.0)).collect();
            let names = vec!["-1".to_string(), "+1".to_string()];
            Ok((
                Targets::Classes {
                    labels: ids,
                    n_classes: 2,
                },
                Some(names),
            ))
        }
        Task::Classify => {
            let bad = |y: f64| y < 0.0 || y.fract() != 0.0;
            if let Some(i) = labels.iter().position(|&y| bad(y)) {
                return Err(err(
                    i,
                    format!(
                        "label {} is not a class id (a non-negative integer; for real-valued targets use --task regress)",
                        labels[i]
                    ),
                ));
            }
            if let Some(i) = labels.iter().position(|&y| y >= MAX_CLASSES as f64) {
                return Err(err(
                    i,
                    format!("class {} would make more than {MAX_CLASSES} classes", labels[i]),
                ));
            }
            let ids: Vec<u32> = labels.iter().map(|&y| y as u32).collect();
            let n_classes = ids.iter().max().map_or(0, |&m| m as usize + 1);
            Ok((Targets::Classes { labels: ids, n_classes }, None))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(labels: &[f64], task: Task) -> Result<(Targets, Option<Vec<String>>)> {
        targets(labels, task, Path::new("f"), |i| format!("line {}", i + 1))
    }

    #[test]
    fn classes_plus_minus_one_and_values() {
        let (t, names) = run(&[2.0, 0.0, 5.0], Task::Classify).unwrap();
        assert_eq!(
            (t, names),
            (
                Targets::Classes {
                    labels: vec![2, 0, 5],
                    n_classes: 6
                },
                None
            )
        );
        let (t, names) = run(&[1.0, -1.0, 1.0], Task::Classify).unwrap();
        assert_eq!(
            t,
            Targets::Classes {
                labels: vec![1, 0, 1],
                n_classes: 2
            }
        );
        assert_eq!(names.unwrap(), ["-1", "+1"]);
        // Only +1: the class ids 1 (and 0 unseen).
        assert_eq!(run(&[1.0, 1.0], Task::Classify).unwrap().1, None);
        let (t, _) = run(&[0.5, -2.0], Task::Regress).unwrap();
        assert_eq!(t, Targets::Values(vec![0.5, -2.0]));
    }

    #[test]
    fn bad_labels_name_their_place() {
        let e = |l: &[f64], t| run(l, t).unwrap_err().to_string();
        assert_eq!(
            e(&[1.0, 0.5], Task::Classify),
            "f: line 2: label 0.5 is not a class id (a non-negative integer; for real-valued targets use --task regress)"
        );
        assert_eq!(e(&[-1.0, 2.0], Task::Classify).split(':').nth(1), Some(" line 1"));
        assert_eq!(
            e(&[1e6], Task::Classify),
            "f: line 1: class 1000000 would make more than 10000 classes"
        );
        assert_eq!(e(&[f64::NAN], Task::Regress), "f: line 1: label NaN is not finite");
        assert_eq!(
            e(&[0.0, 1e39], Task::Regress),
            "f: line 2: label 1e39 is out of f32's range (±3.4e38)"
        );
    }
}
