//! Landscape slices: the origin is the model's objective, the linear path equals evaluating each
//! point through the model, a single example's SVM slice is piecewise linear, and an averaged
//! convex loss is convex along every grid line.

use gradus::data::Dataset;
use gradus::data::batch::Prepared;
use gradus::data::csv::CsvOptions;
use gradus::data::spec::DataSpec;
use gradus::estimator::{Fitted, ModelParams};
use gradus::landscape;
use gradus::problem::Problem;

fn digits() -> Dataset {
    DataSpec::Digits.load(&CsvOptions::default()).unwrap().train
}

/// A model of `loss` (and `model`) with `reg`, trained for one epoch on the first 300 digits.
fn model(loss: &str, arch: &str, reg: &str) -> (Fitted, Dataset) {
    let mut p = ModelParams {
        loss: gradus::loss::Loss::parse(loss, None, None).unwrap(),
        architecture: arch.parse().unwrap(),
        ..ModelParams::default()
    };
    p.regularizer.penalty = reg.parse().unwrap();
    p.train.epochs = 1;
    let data = digits().subset(&(0..300).collect::<Vec<_>>());
    (Fitted::fit(&p.check().unwrap(), &data, None).unwrap(), data)
}

const NONE: &(dyn Fn(usize) + Sync) = &|_| {};

#[test]
fn the_origin_is_the_models_objective_and_the_fast_path_equals_point_by_point() {
    let (m, data) = model("softmax", "linear", "l2:0.01");
    let prepared = Prepared {
        data: &data,
        affine: m.affine(),
    };
    let theta = m.params();
    let n = theta.len();
    let (d1, d2) = (landscape::gaussian(n, 1), landscape::gaussian(n, 2));
    let xs = landscape::coordinates(-0.5, 0.5, 5).unwrap();
    let grid = landscape::slice_2d(m.objective(), &prepared, theta, &d1, &d2, &xs, &xs, 2, NONE).unwrap();
    let origin = grid[2 * 5 + 2];
    let score = m.score(&data).unwrap();
    assert!(
        (origin.objective - score.objective).abs() <= 1e-5 * score.objective,
        "{origin:?} {score:?}"
    );
    assert_eq!(origin.accuracy, score.accuracy);
    // Each point evaluated on its own through the model's objective.
    let mut problem = m.objective().on::<f32, _>(&prepared);
    let rows: Vec<usize> = (0..data.len()).collect();
    for (k, p) in grid.iter().enumerate() {
        let (a, b) = (xs[k % 5], xs[k / 5]);
        let theta_ab: Vec<f32> = (0..n)
            .map(|i| (theta[i] as f64 + a * d1[i] as f64 + b * d2[i] as f64) as f32)
            .collect();
        let s = problem.value(&theta_ab, &rows);
        assert!(
            (p.objective - s.objective).abs() <= 1e-4 * s.objective,
            "({a}, {b}): {} vs {}",
            p.objective,
            s.objective
        );
        assert_eq!(p.accuracy, Some(s.correct as f64 / s.rows as f64));
    }
}

#[test]
fn a_single_example_svm_slice_is_piecewise_linear_with_at_most_c_minus_1_kinks() {
    let (m, data) = model("svm", "linear", "none");
    let one = data.subset(&[7]);
    let prepared = Prepared {
        data: &one,
        affine: m.affine(),
    };
    let n = m.params().len();
    for seed in 0..4 {
        let d = landscape::gaussian(n, seed);
        let xs = landscape::coordinates(-3.0, 3.0, 401).unwrap();
        let line = landscape::slice_1d(m.objective(), &prepared, m.params(), &d, &xs, 1, NONE).unwrap();
        let l: Vec<f64> = line.iter().map(|p| p.objective).collect();
        // Second differences vanish on the linear pieces; a kink between two grid points makes
        // one or two adjacent ones non-zero.
        let bent: Vec<usize> = (1..l.len() - 1)
            .filter(|&i| (l[i - 1] - 2.0 * l[i] + l[i + 1]).abs() > 1e-4)
            .collect();
        let kinks = bent
            .iter()
            .enumerate()
            .filter(|(k, i)| *k == 0 || bent[k - 1] + 1 != **i)
            .count();
        assert!((1..=9).contains(&kinks), "seed {seed}: {kinks} kinks at {bent:?}");
    }
}

#[test]
fn an_averaged_convex_loss_is_convex_along_every_grid_line() {
    for loss in ["softmax", "svm"] {
        let (m, data) = model(loss, "linear", "l2:0.001");
        let prepared = Prepared {
            data: &data,
            affine: m.affine(),
        };
        let n = m.params().len();
        let (d1, d2) = (landscape::gaussian(n, 3), landscape::gaussian(n, 4));
        let xs = landscape::coordinates(-2.0, 2.0, 21).unwrap();
        let grid = landscape::slice_2d(m.objective(), &prepared, m.params(), &d1, &d2, &xs, &xs, 2, NONE).unwrap();
        let at = |i: usize, j: usize| grid[j * 21 + i].objective;
        for fixed in 0..21 {
            for k in 1..20 {
                for (lo, mid, hi) in [
                    (at(k - 1, fixed), at(k, fixed), at(k + 1, fixed)),
                    (at(fixed, k - 1), at(fixed, k), at(fixed, k + 1)),
                ] {
                    assert!(
                        mid <= (lo + hi) / 2.0 + 1e-6 * mid.abs(),
                        "{loss}: not convex: {lo} {mid} {hi}"
                    );
                }
            }
        }
    }
}

#[test]
fn an_mlp_slice_goes_point_by_point_and_grids_are_checked() {
    let (m, data) = model("softmax", "mlp:16", "none");
    let prepared = Prepared {
        data: &data,
        affine: m.affine(),
    };
    let n = m.params().len();
    let d = landscape::gaussian(n, 5);
    let line = landscape::slice_1d(m.objective(), &prepared, m.params(), &d, &[0.0], 2, NONE).unwrap();
    let score = m.score(&data).unwrap();
    assert!((line[0].objective - score.objective).abs() <= 1e-5 * score.objective);
    assert!(landscape::slice_1d(m.objective(), &prepared, m.params(), &d, &[], 2, NONE).is_err());
    assert!(landscape::slice_1d(m.objective(), &prepared, m.params(), &d[1..], &[0.0], 2, NONE).is_err());
    assert!(landscape::coordinates(f64::NAN, 1.0, 5).is_err());
    assert!(landscape::coordinates(-1.0, 1.0, 0).is_err());
}
