//! `gradus loss` against hand-computed values.

mod common;
use common::*;

fn loss_json(args: &[&str]) -> (f64, Vec<f64>) {
    let mut all = vec!["loss", "--json"];
    all.extend_from_slice(args);
    let v = last_json(&ok(&all));
    let grad = v["grad"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_f64().unwrap())
        .collect();
    (v["loss"].as_f64().unwrap(), grad)
}

#[test]
fn svm_matches_the_lecture_example() {
    // max(0, 5.1 − 3.2 + 1) + max(0, −1.7 − 3.2 + 1) = 2.9 + 0
    let (l, g) = loss_json(&["--loss", "svm", "--scores", "3.2,5.1,-1.7", "--label", "0"]);
    assert!((l - 2.9).abs() < 1e-12);
    assert_eq!(g, vec![-1.0, 1.0, 0.0]);
    // Second example of the lectures: scores (1.3, 4.9, 2.0), label 1 → 0.
    let (l, g) = loss_json(&["--loss", "svm", "--scores", "1.3,4.9,2.0", "--label", "1"]);
    assert_eq!((l, g), (0.0, vec![0.0, 0.0, 0.0]));
    // Third: (2.2, 2.5, −3.1), label 2 → (2.2+3.1+1) + (2.5+3.1+1) = 12.9.
    let (l, g) = loss_json(&["--loss", "svm", "--scores", "2.2,2.5,-3.1", "--label", "2"]);
    assert!((l - 12.9).abs() < 1e-12);
    assert_eq!(g, vec![1.0, 1.0, -2.0]);
}

#[test]
fn margin_and_squared_hinge() {
    // Δ = 2: max(0, 5.1 − 3.2 + 2)² + max(0, −1.7 − 3.2 + 2)² = 3.9² = 15.21
    let (l, g) = loss_json(&[
        "--loss",
        "squared-svm",
        "--margin",
        "2",
        "--scores",
        "3.2,5.1,-1.7",
        "--label",
        "0",
    ]);
    assert!((l - 15.21).abs() < 1e-12);
    assert!((g[0] + 7.8).abs() < 1e-12 && (g[1] - 7.8).abs() < 1e-12 && g[2] == 0.0);
}

#[test]
fn softmax_matches_the_lecture_example() {
    // −log(e^{3.2} / (e^{3.2} + e^{5.1} + e^{−1.7})) ≈ 2.0404
    let (l, g) = loss_json(&["--loss", "softmax", "--scores", "3.2,5.1,-1.7", "--label", "0"]);
    let z = 3.2f64.exp() + 5.1f64.exp() + (-1.7f64).exp();
    assert!((l - (z.ln() - 3.2)).abs() < 1e-12);
    assert!((l - 2.0404).abs() < 1e-4);
    assert!((g[0] - (3.2f64.exp() / z - 1.0)).abs() < 1e-12);
    assert!((g.iter().sum::<f64>()).abs() < 1e-12);
}

/// The lecture's extreme example: cross-entropy never reaches 0, so it keeps pulling.
#[test]
fn softmax_at_extreme_scores_is_positive_and_its_gradient_sums_to_zero() {
    let (l, g) = loss_json(&["--loss", "softmax", "--scores", "10,-100,-100", "--label", "0"]);
    // log1p(2e^{−110}) = 2e^{−110} to rounding ≈ 3.378e-48.
    let want = 2.0 * (-110.0f64).exp();
    assert!(l > 0.0 && (l - want).abs() <= 1e-15 * want, "{l}");
    assert!((g[1] - want / 2.0).abs() <= 1e-15 * want && g[1] == g[2], "{g:?}");
    assert!(g.iter().sum::<f64>().abs() <= 1e-15 * want, "{g:?}");
}

#[test]
fn logistic_and_regression_losses() {
    let (l, g) = loss_json(&["--loss", "logistic", "--scores", "0", "--label", "1"]);
    assert!((l - 2f64.ln()).abs() < 1e-12 && (g[0] + 0.5).abs() < 1e-12);
    let (l, g) = loss_json(&["--loss", "squared", "--scores", "3", "--target", "1"]);
    assert_eq!((l, g), (2.0, vec![2.0]));
    let (l, g) = loss_json(&["--loss", "huber", "--delta", "0.5", "--scores", "3", "--target", "1"]);
    assert_eq!((l, g), (0.5 * (2.0 - 0.25), vec![0.5]));
}

#[test]
fn bad_loss_arguments_are_one_line_errors() {
    assert!(fails(&["loss", "--loss", "svm", "--scores", "1,x", "--label", "0"]).contains("got 'x'"));
    assert!(fails(&["loss", "--loss", "svm", "--scores", "1,2", "--label", "5"]).contains("out of range"));
    assert!(fails(&["loss", "--loss", "nope", "--scores", "1", "--label", "0"]).contains("--loss must be one of"));
    assert!(fails(&["loss", "--loss", "squared", "--scores", "1", "--label", "0"]).contains("--target"));
    assert!(fails(&["loss", "--loss", "svm", "--scores", "1,nan", "--label", "0"]).contains("finite"));
}
