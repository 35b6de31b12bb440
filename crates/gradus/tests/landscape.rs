//! Landscape slices: the origin is the model's objective, the structured evaluation (the first
//! layer's pre-activations combined per grid point) equals evaluating each point through the
//! model, a single example's SVM slice is piecewise linear, and an averaged convex loss is
//! convex along every grid line.

use gradus::data::batch::Prepared;
use gradus::data::csv::CsvOptions;
use gradus::data::spec::DataSpec;
use gradus::data::{Dataset, Targets};
use gradus::estimator::{Fitted, ModelParams};
use gradus::landscape;
use gradus::model::Activation;
use gradus::problem::Problem;

fn digits() -> Dataset {
    DataSpec::Digits.load(&CsvOptions::default()).unwrap().train
}

/// A model of `loss`, `arch` and `activation` with `reg`, trained for one epoch on `data`.
fn fitted(loss: &str, arch: &str, activation: Activation, reg: &str, data: &Dataset) -> Fitted {
    let mut p = ModelParams {
        loss: gradus::loss::Loss::parse(loss, None, None).unwrap(),
        architecture: arch.parse().unwrap(),
        ..ModelParams::default()
    };
    p.architecture.activation = activation;
    p.regularizer.penalty = reg.parse().unwrap();
    p.train.epochs = 1;
    Fitted::fit(&p.check().unwrap(), data, None).unwrap()
}

/// A model of `loss` (and `model`) with `reg`, trained for one epoch on the first 300 digits.
fn model(loss: &str, arch: &str, reg: &str) -> (Fitted, Dataset) {
    let data = digits().subset(&(0..300).collect::<Vec<_>>());
    (fitted(loss, arch, Activation::Relu, reg, &data), data)
}

/// Each slice of `m` on `data` (a line of 5 points, a 4 × 3 plane, along filter-normalised
/// directions) equals evaluating each point `θ₀ + a·d₁ + b·d₂` through the model's objective,
/// in objective and accuracy, and is the same to the bit on 1 and 3 threads.
fn agrees_point_by_point(m: &Fitted, data: &Dataset, what: &str) {
    let prepared = Prepared {
        data,
        affine: m.affine(),
    };
    let (objective, theta) = (m.objective(), m.params());
    let n = theta.len();
    let [d1, d2] = [11, 12].map(|seed| {
        let mut d = landscape::gaussian(n, seed);
        landscape::filter_normalize(&mut d, theta, objective.network.layout());
        d
    });
    let (xs, ys) = (
        landscape::coordinates(-0.8, 0.6, 4).unwrap(),
        landscape::coordinates(-0.5, 0.5, 3).unwrap(),
    );
    let line = landscape::slice_1d(objective, &prepared, theta, &d1, &ys, 2, NONE).unwrap();
    let ticks = std::sync::Mutex::new(Vec::new());
    let tick = |k: usize| ticks.lock().unwrap().push(k);
    let plane = landscape::slice_2d(objective, &prepared, theta, &d1, &d2, &xs, &ys, 2, &tick).unwrap();
    // The progress advances once per two chunks of rows, to all 12 points.
    let ticks = ticks.into_inner().unwrap();
    assert_eq!(ticks.len(), data.len().div_ceil(2 * 512), "{what}: {ticks:?}");
    assert!(
        ticks.windows(2).all(|w| w[0] < w[1]) && ticks.last() == Some(&12),
        "{ticks:?}"
    );
    let plane3 = landscape::slice_2d(objective, &prepared, theta, &d1, &d2, &xs, &ys, 3, NONE).unwrap();
    let line1 = landscape::slice_1d(objective, &prepared, theta, &d1, &ys, 1, NONE).unwrap();
    assert_eq!(plane, plane3, "{what}: 2 and 3 threads differ");
    assert_eq!(line, line1, "{what}: 1 and 2 threads differ");
    let mut problem = objective.on::<f32, _>(&prepared);
    let rows: Vec<usize> = (0..data.len()).collect();
    let plane_points = plane.iter().enumerate().map(|(k, p)| (xs[k % 4], ys[k / 4], p));
    let line_points = line.iter().zip(&ys).map(|(p, &a)| (a, 0.0, p));
    for (a, b, p) in plane_points.chain(line_points) {
        let theta_ab: Vec<f32> = (0..n)
            .map(|i| (theta[i] as f64 + a * d1[i] as f64 + b * d2[i] as f64) as f32)
            .collect();
        let s = problem.value(&theta_ab, &rows);
        assert!(
            (p.objective - s.objective).abs() <= 1e-5 * s.objective,
            "{what} at ({a}, {b}): {} vs {}",
            p.objective,
            s.objective
        );
        assert!((p.data_loss - s.data_loss).abs() <= 1e-5 * s.data_loss, "{what}");
        let accuracy = problem.classifies().then(|| s.correct as f64 / s.rows as f64);
        assert_eq!(p.accuracy, accuracy, "{what} at ({a}, {b})");
    }
}

#[test]
fn slices_equal_evaluating_each_point_through_the_model() {
    // All the digits' training rows: more than two chunks of rows, the last one partial.
    let data = digits();
    assert!(data.len() > 2 * 512 && !data.len().is_multiple_of(512));
    for (loss, arch, activation, reg) in [
        ("softmax", "linear", Activation::Relu, "l2:0.01"),
        ("svm", "linear", Activation::Relu, "l1:0.001"),
        ("softmax", "mlp:32,16", Activation::Relu, "l2:0.001"),
        ("svm", "mlp:24", Activation::Tanh, "none"),
    ] {
        let m = fitted(loss, arch, activation, reg, &data);
        agrees_point_by_point(&m, &data, &format!("{loss} {arch} {activation}"));
    }
    // A regressor: the digit's label plus its mean pixel / 16 as the target.
    let labels = data.labels().unwrap();
    let values = (0..data.len())
        .map(|i| {
            let mean = (0..data.n_features()).map(|j| data.value(i, j)).sum::<f64>() / data.n_features() as f64;
            (labels[i] as f64 + mean / 16.0) as f32
        })
        .collect();
    let reg = Dataset::new(data.n_features(), data.features().clone(), Targets::Values(values)).unwrap();
    for arch in ["linear", "mlp:16"] {
        let m = fitted("squared", arch, Activation::Tanh, "l2:0.01", &reg);
        agrees_point_by_point(&m, &reg, &format!("squared {arch}"));
    }
}

const NONE: &(dyn Fn(usize) + Sync) = &|_| {};

#[test]
fn the_origin_is_the_models_objective() {
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
        // Second differences vanish on the linear pieces, up to the f32 rounding of the values
        // (a few ulps of the largest: how many depends on the machine's vector width, which
        // orders the sums); a kink between two grid points makes one or two adjacent ones
        // larger.
        let noise = 16.0 * f64::from(f32::EPSILON) * l.iter().fold(1f64, |m, v| m.max(v.abs()));
        let bent: Vec<usize> = (1..l.len() - 1)
            .filter(|&i| (l[i - 1] - 2.0 * l[i] + l[i + 1]).abs() > noise)
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
fn an_mlp_slices_origin_is_its_objective_and_grids_are_checked() {
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
