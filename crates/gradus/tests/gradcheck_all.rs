//! The gradient check on every model × loss × regulariser, on a deliberately broken gradient,
//! and at kinks.

use gradus::data::batch::Prepared;
use gradus::data::{Affine, Dataset, Features, Targets};
use gradus::gradcheck::{self, GradCheckConfig, GradCheckReport};
use gradus::loss::Loss;
use gradus::model::{Activation, Architecture, Network};
use gradus::objective::Objective;
use gradus::params::Role;
use gradus::regularizer::Regularizer;

mod common;
use common::noise;

const ROWS: usize = 12;
const FEATURES: usize = 7;

/// 12 rows × 7 features with targets fitting `loss`: 3 classes, 2 for logistic, or values
/// spread across Huber's threshold.
fn dataset(loss: &Loss) -> Dataset {
    let x: Vec<f32> = (0..ROWS * FEATURES).map(|i| 1.5 * noise(i)).collect();
    let targets = match loss {
        Loss::Squared(_) | Loss::Huber(_) => Targets::Values((0..ROWS).map(|i| 3.0 * noise(1000 + i)).collect()),
        Loss::Logistic(_) => Targets::Classes {
            labels: (0..ROWS).map(|i| (i % 2) as u32).collect(),
            n_classes: 2,
        },
        _ => Targets::Classes {
            labels: (0..ROWS).map(|i| (i % 3) as u32).collect(),
            n_classes: 3,
        },
    };
    Dataset::new(FEATURES, Features::F32(x.into()), targets).unwrap()
}

fn objective(
    model: &str,
    activation: Activation,
    loss: Loss,
    reg: &str,
    include_bias: bool,
    data: &Dataset,
) -> Objective {
    let mut arch: Architecture = model.parse().unwrap();
    arch.activation = activation;
    let outputs = loss.outputs(data.task(), data.n_classes()).unwrap();
    let network = Network::new(FEATURES, &arch, outputs).unwrap();
    Objective {
        network,
        loss,
        class_weight: None,
        regularizer: Regularizer {
            penalty: reg.parse().unwrap(),
            include_bias,
        },
    }
}

/// Seeded initial weights with non-zero biases (zero biases would all sit on the L1 kink).
fn params(objective: &Objective) -> Vec<f64> {
    let mut p = objective.network.init::<f64>(7);
    for seg in objective
        .network
        .layout()
        .segments()
        .iter()
        .filter(|s| s.role == Role::Bias)
    {
        for i in seg.range() {
            p[i] = 0.3 * noise(5000 + i) as f64;
        }
    }
    p
}

fn run(objective: &Objective, params: &[f64], data: &Dataset) -> GradCheckReport {
    let affine = Affine::identity(FEATURES);
    let prepared = Prepared { data, affine: &affine };
    let rows = gradcheck::pick_rows(data.len(), 8, 3).unwrap();
    gradcheck::check(objective, params, &prepared, &rows, &GradCheckConfig::default()).unwrap()
}

#[test]
fn every_model_loss_and_regulariser_passes() {
    let models = [
        ("linear", Activation::Relu),
        ("mlp:5", Activation::Relu),
        ("mlp:6,4", Activation::LeakyRelu),
        ("mlp:5", Activation::Sigmoid),
        ("mlp:5", Activation::Tanh),
    ];
    let losses = ["svm", "squared-svm", "softmax", "logistic", "squared", "huber"];
    let regs = [
        ("none", false),
        ("l2:0.01", false),
        ("l1:0.01", false),
        ("elastic:0.01,0.5", false),
        ("l2:0.01", true),
        ("elastic:0.01,0.5", true),
    ];
    let mut runs = 0;
    for (model, act) in models {
        for name in losses {
            let loss = Loss::new(name, 1.0, 1.0).unwrap();
            let data = dataset(&loss);
            for (reg, bias) in regs {
                let obj = objective(model, act, loss, reg, bias, &data);
                let report = run(&obj, &params(&obj), &data);
                let what = format!("{model} ({act}) / {name} / {reg} (bias {bias})");
                assert!(report.passed, "{what}: {:#?}", report.tensors);
                assert_eq!(report.tensors.len(), obj.network.layout().segments().len(), "{what}");
                for t in &report.tensors {
                    assert!(t.checked > 0, "{what}: {} checked nothing: {t:?}", t.name);
                    assert_eq!(
                        t.checked + t.skipped,
                        t.shape.iter().product::<usize>(),
                        "{what}: {t:?}"
                    );
                }
                runs += 1;
            }
        }
    }
    assert_eq!(runs, 5 * 6 * 6);
}

#[test]
fn a_broken_gradient_fails_and_names_its_tensor() {
    let loss = Loss::new("softmax", 1.0, 1.0).unwrap();
    let data = dataset(&loss);
    let obj = objective("mlp:5", Activation::Tanh, loss, "l2:0.01", false, &data);
    let theta = params(&obj);
    let affine = Affine::identity(FEATURES);
    let prepared = Prepared {
        data: &data,
        affine: &affine,
    };
    let rows = gradcheck::pick_rows(data.len(), 8, 3).unwrap();
    let broken = obj.network.layout().get("layers.1.weight").unwrap().range();
    let report = gradcheck::check_with(&obj, &theta, &prepared, &rows, &GradCheckConfig::default(), |p| {
        let mut g = gradcheck::gradient(&obj, p, &prepared, &rows)?;
        g[broken.clone()].iter_mut().for_each(|v| *v *= 1.01);
        Ok(g)
    })
    .unwrap();
    assert!(!report.passed);
    let failed: Vec<&str> = report.failures().map(|t| t.name.as_str()).collect();
    assert_eq!(failed, ["layers.1.weight"], "{:#?}", report.tensors);
    let t = &report.tensors[2];
    assert!(t.failed > 0 && t.max_rel_error > 0.009, "{t:?}");
}

#[test]
fn coordinates_on_a_kink_are_skipped() {
    // All-zero parameters with margin 0: every score ties, so every SVM term sits on its corner
    // and any step that moves a score crosses it.
    let loss = Loss::new("svm", 0.0, 1.0).unwrap();
    let data = dataset(&loss);
    let obj = objective("linear", Activation::Relu, loss, "none", false, &data);
    let zero = vec![0.0; obj.network.layout().len()];
    let report = run(&obj, &zero, &data);
    assert!(report.passed, "{:#?}", report.tensors);
    assert!(report.tensors.iter().all(|t| t.skipped > 0), "{:#?}", report.tensors);

    // A ReLU layer with zero weights and biases: every pre-activation is exactly 0, and a step
    // in any of its parameters flips a unit.
    let loss = Loss::new("softmax", 1.0, 1.0).unwrap();
    let data = dataset(&loss);
    let obj = objective("mlp:5", Activation::Relu, loss, "none", false, &data);
    let mut theta = params(&obj);
    for name in ["layers.0.weight", "layers.0.bias"] {
        theta[obj.network.layout().get(name).unwrap().range()].fill(0.0);
    }
    let report = run(&obj, &theta, &data);
    assert!(report.passed, "{:#?}", report.tensors);
    let skipped: Vec<usize> = report.tensors.iter().map(|t| t.skipped).collect();
    assert_eq!(skipped, [35, 5, 0, 0], "{:#?}", report.tensors);

    // L1 at zero weights: |θ| sits on its corner; the unpenalised biases are checked.
    let obj = objective("linear", Activation::Relu, loss, "l1:0.01", false, &data);
    let zero = vec![0.0; obj.network.layout().len()];
    let report = run(&obj, &zero, &data);
    assert!(report.passed, "{:#?}", report.tensors);
    let counts: Vec<(usize, usize)> = report.tensors.iter().map(|t| (t.checked, t.skipped)).collect();
    assert_eq!(counts, [(0, 21), (3, 0)], "{:#?}", report.tensors);
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let loss = Loss::new("softmax", 1.0, 1.0).unwrap();
    let data = dataset(&loss);
    let obj = objective("linear", Activation::Relu, loss, "none", false, &data);
    let theta = params(&obj);
    let affine = Affine::identity(FEATURES);
    let prepared = Prepared {
        data: &data,
        affine: &affine,
    };
    let cfg = GradCheckConfig::default();
    let err = |r: gradus::Result<GradCheckReport>| r.unwrap_err().to_string();
    assert!(err(gradcheck::check(&obj, &theta, &prepared, &[0, 99], &cfg)).contains("row 99 is out of range"));
    assert!(err(gradcheck::check(&obj, &theta, &prepared, &[], &cfg)).contains("1 to"));
    assert!(err(gradcheck::check(&obj, &theta[1..], &prepared, &[0], &cfg)).contains("parameters"));
    let mut nan = theta.clone();
    nan[3] = f64::NAN;
    assert!(err(gradcheck::check(&obj, &nan, &prepared, &[0], &cfg)).contains("layers.0.weight"));
    for eps in [0.0, -1e-6, f64::NAN, f64::INFINITY] {
        assert!(
            err(gradcheck::check(
                &obj,
                &theta,
                &prepared,
                &[0],
                &GradCheckConfig { eps, ..cfg }
            ))
            .starts_with("eps")
        );
    }
    assert!(
        err(gradcheck::check(
            &obj,
            &theta,
            &prepared,
            &[0],
            &GradCheckConfig { rtol: -1.0, ..cfg }
        ))
        .starts_with("rtol")
    );
    assert!(
        gradcheck::pick_rows(10, 0, 0)
            .unwrap_err()
            .to_string()
            .starts_with("samples")
    );
    assert_eq!(gradcheck::pick_rows(3, 8, 0).unwrap().len(), 3);
    // Regression targets for a classification loss, and a short analytic gradient.
    let reg = dataset(&Loss::new("squared", 1.0, 1.0).unwrap());
    let prepared_reg = Prepared {
        data: &reg,
        affine: &affine,
    };
    assert!(err(gradcheck::check(&obj, &theta, &prepared_reg, &[0], &cfg)).contains("needs class labels"));
    assert!(
        err(gradcheck::check_with(&obj, &theta, &prepared, &[0], &cfg, |_| Ok(
            vec![0.0; 3]
        )))
        .contains("analytic gradient has 3")
    );
}

#[test]
fn large_models_check_a_seeded_subset() {
    let loss = Loss::new("softmax", 1.0, 1.0).unwrap();
    let data = dataset(&loss);
    let obj = objective("mlp:40", Activation::Tanh, loss, "l2:0.01", false, &data);
    let theta = params(&obj);
    let affine = Affine::identity(FEATURES);
    let prepared = Prepared {
        data: &data,
        affine: &affine,
    };
    let cfg = GradCheckConfig {
        exhaustive_limit: 100,
        max_per_tensor: 50,
        ..GradCheckConfig::default()
    };
    let report = gradcheck::check(&obj, &theta, &prepared, &[0, 1, 2], &cfg).unwrap();
    assert!(report.passed, "{:#?}", report.tensors);
    let checked: Vec<usize> = report.tensors.iter().map(|t| t.checked).collect();
    // 40×7, 40, 3×40 sampled to 50 each; the 3 output biases all checked.
    assert_eq!(checked, [50, 40, 50, 3]);
}
