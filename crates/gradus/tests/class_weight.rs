//! Per-class weights on the data loss (scikit-learn's `class_weight`): an integer weight counts
//! a class's rows that many times, in every place the objective is computed (dense and sparse
//! objectives, the shared pass, the landscape); weights of 1 change no bit; `balanced` is
//! `N / (C · N_c)`; bad weights are errors naming `class_weight`.

use gradus::data::batch::Prepared;
use gradus::data::csv::CsvOptions;
use gradus::data::spec::DataSpec;
use gradus::data::{Affine, Dataset, Features, Targets};
use gradus::estimator::{Fitted, ModelParams};
use gradus::gradcheck::{self, GradCheckConfig};
use gradus::loss::{ClassWeight, Loss};
use gradus::model::{Architecture, Network};
use gradus::objective::{Buffers, Objective};
use gradus::problem::JointProblem;
use gradus::real::Real;
use gradus::regularizer::Regularizer;
use gradus::shared_pass::SharedPass;

mod common;
use common::{csr_of, noise};

const ROWS: usize = 150;
const FEATURES: usize = 6;

/// `ROWS` rows of `FEATURES` features (about a third of them 0, for the sparse form) and
/// labels of `classes` classes, dense or as sparse rows.
fn dataset(classes: usize, sparse: bool) -> Dataset {
    let x: Vec<f32> = (0..ROWS * FEATURES)
        .map(|i| if i % 3 == 1 { 0.0 } else { 2.0 * noise(i) })
        .collect();
    let targets = Targets::Classes {
        labels: (0..ROWS).map(|i| ((i * 7 + i / 5) % classes) as u32).collect(),
        n_classes: classes,
    };
    let features = match sparse {
        false => Features::F32(x.into()),
        true => Features::Csr(csr_of(&x, FEATURES)),
    };
    Dataset::new(FEATURES, features, targets).unwrap()
}

/// The rows of `data`, each repeated `weights[its class]` times.
fn repeated(data: &Dataset, weights: &[usize]) -> Dataset {
    let labels = data.labels().unwrap();
    let rows: Vec<usize> = (0..data.len())
        .flat_map(|r| std::iter::repeat_n(r, weights[labels[r] as usize]))
        .collect();
    data.subset(&rows)
}

fn objective(model: &str, loss: &str, classes: usize, class_weight: Option<Vec<f64>>) -> Objective {
    let loss = Loss::new(loss, 1.0, 1.0).unwrap();
    let outputs = loss.outputs(gradus::data::Task::Classify, classes).unwrap();
    let arch: Architecture = model.parse().unwrap();
    Objective {
        network: Network::new(FEATURES, &arch, outputs).unwrap(),
        loss,
        class_weight,
        regularizer: Regularizer::none(),
    }
}

/// Parameters drawn from seed 5, biases included.
fn params<T: Real>(objective: &Objective) -> Vec<T> {
    let mut p = objective.network.init::<T>(5);
    let n = p.len();
    for (i, v) in p.iter_mut().enumerate().skip(n - objective.network.outputs()) {
        *v = T::of(0.3 * noise(900 + i) as f64);
    }
    p
}

/// `(data loss, ∇)` of `objective` at `params` on every row of `data`, in full batch.
fn full_batch<T: Real>(objective: &Objective, params: &[T], data: &Dataset) -> (f64, Vec<T>) {
    let affine = Affine::identity(FEATURES);
    let rows = Prepared { data, affine: &affine };
    let all: Vec<usize> = (0..data.len()).collect();
    let mut g = vec![T::zero(); params.len()];
    let s = objective.value_and_grad(params, &rows, &all, &mut Buffers::default(), &mut g);
    (s.data_loss, g)
}

/// The weighted objective on `data` equals the unweighted one on `data` with each row repeated
/// its class's weight times, rescaled from that set's `N'` rows to `data`'s `N`:
/// `(1/N) Σ_i w_{y_i} L_i = (N'/N) · (1/N') Σ_{i'} L_{i'}`, and so for the gradient.
fn weights_count_as_repeated_rows<T: Real>(model: &str, loss: &str, classes: usize, sparse: bool, tol: f64) {
    let data = dataset(classes, sparse);
    let counts = [3usize, 1, 2][..classes].to_vec();
    let weights: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
    let plain = objective(model, loss, classes, None);
    let weighted = objective(model, loss, classes, Some(weights));
    let p = params::<T>(&plain);
    let many = repeated(&data, &counts);
    let ratio = many.len() as f64 / data.len() as f64;
    let (lw, gw) = full_batch(&weighted, &p, &data);
    let (lr, gr) = full_batch(&plain, &p, &many);
    let (lu, _) = full_batch(&plain, &p, &data);
    let what = format!("{model} / {loss} / sparse {sparse} / {}", std::any::type_name::<T>());
    assert!((lw - ratio * lr).abs() <= tol * lw, "{what}: {lw} vs {}", ratio * lr);
    assert!(
        (lw - lu).abs() > 100.0 * tol * lw,
        "{what}: the weights changed nothing"
    );
    let scale = gr.iter().fold(0.0f64, |m, g| m.max(g.f64().abs()));
    for (i, (a, b)) in gw.iter().zip(&gr).enumerate() {
        let b = ratio * b.f64();
        assert!((a.f64() - b).abs() <= tol * scale, "{what}: ∂θ{i} {} vs {b}", a.f64());
    }
}

#[test]
fn integer_weights_count_as_repeated_rows() {
    // f32 softmax takes the block path; f64 the row-by-row one.
    weights_count_as_repeated_rows::<f32>("linear", "softmax", 3, false, 1e-5);
    weights_count_as_repeated_rows::<f32>("mlp:4", "softmax", 3, false, 1e-5);
    weights_count_as_repeated_rows::<f64>("linear", "softmax", 3, false, 1e-12);
    weights_count_as_repeated_rows::<f32>("linear", "svm", 3, false, 1e-5);
    weights_count_as_repeated_rows::<f64>("mlp:4", "squared-svm", 3, false, 1e-12);
    weights_count_as_repeated_rows::<f32>("linear", "logistic", 2, false, 1e-5);
    weights_count_as_repeated_rows::<f64>("linear", "logistic", 2, false, 1e-12);
    // The linear model on sparse rows never makes them dense (its own path).
    weights_count_as_repeated_rows::<f32>("linear", "softmax", 3, true, 1e-5);
    weights_count_as_repeated_rows::<f64>("linear", "svm", 3, true, 1e-12);
}

/// The shared pass (models trained together) and the landscape compute the weighted objective
/// too: the same values as the objective's own pass.
#[test]
fn the_shared_pass_and_the_landscape_see_the_weights() {
    let data = dataset(3, false);
    let weighted = objective("linear", "softmax", 3, Some(vec![3.0, 1.0, 0.5]));
    let plain = objective("linear", "softmax", 3, None);
    let p = params::<f32>(&weighted);
    let (lw, gw) = full_batch(&weighted, &p, &data);
    let (lu, _) = full_batch(&plain, &p, &data);
    assert!((lw - lu).abs() > 1e-3 * lu, "{lw} vs {lu}");
    let affine = Affine::identity(FEATURES);
    let rows = Prepared {
        data: &data,
        affine: &affine,
    };
    let all: Vec<usize> = (0..data.len()).collect();
    let mut pass = SharedPass::new(&rows, vec![plain.clone(), weighted.clone()], 1).unwrap();
    let (mut g0, mut g1) = (vec![0.0f32; p.len()], vec![0.0f32; p.len()]);
    let stats = pass.value_and_grads(&all, &[0, 1], &[&p, &p], &mut [&mut g0, &mut g1]);
    assert!(
        (stats[0].data_loss - lu).abs() <= 1e-6 * lu,
        "{} vs {lu}",
        stats[0].data_loss
    );
    assert!(
        (stats[1].data_loss - lw).abs() <= 1e-6 * lw,
        "{} vs {lw}",
        stats[1].data_loss
    );
    let scale = gw.iter().fold(0.0f32, |m, g| m.max(g.abs()));
    for (a, b) in g1.iter().zip(&gw) {
        assert!((a - b).abs() <= 1e-5 * scale, "{a} vs {b}");
    }
    let zero = vec![0.0f32; p.len()];
    let points = gradus::landscape::slice_1d(&weighted, &rows, &p, &zero, &[0.0], 1, &|_| {}).unwrap();
    assert!(
        (points[0].data_loss - lw).abs() <= 1e-6 * lw,
        "{} vs {lw}",
        points[0].data_loss
    );
}

/// The analytic gradient of the weighted objective agrees with centred differences.
#[test]
fn weighted_gradients_pass_the_gradient_check() {
    for (model, loss, classes, w) in [
        ("mlp:5", "softmax", 3, vec![3.0, 0.25, 1.5]),
        ("linear", "svm", 3, vec![0.0, 2.0, 1.0]),
        ("mlp:5", "logistic", 2, vec![4.0, 0.5]),
    ] {
        let data = dataset(classes, false);
        let obj = objective(model, loss, classes, Some(w));
        let affine = Affine::identity(FEATURES);
        let prepared = Prepared {
            data: &data,
            affine: &affine,
        };
        let rows = gradcheck::pick_rows(data.len(), 12, 3).unwrap();
        let report = gradcheck::check(
            &obj,
            &params::<f64>(&obj),
            &prepared,
            &rows,
            &GradCheckConfig::default(),
        )
        .unwrap();
        assert!(report.passed, "{model} / {loss}: {:#?}", report.tensors);
    }
}

fn digits_params(class_weight: Option<ClassWeight>) -> ModelParams {
    let mut p = ModelParams::default();
    p.train.epochs = 2;
    p.train.threads = 1;
    p.class_weight = class_weight;
    p
}

fn digits() -> Dataset {
    DataSpec::Digits.load_training(&CsvOptions::default()).unwrap()
}

/// Weights of 1 train the same bits as no weights, and a trained model's weights survive its
/// file.
#[test]
fn weights_of_one_change_no_bit_and_the_model_file_keeps_them() {
    let data = digits();
    let plain = Fitted::fit(&digits_params(None).check().unwrap(), &data, None).unwrap();
    let ones = ClassWeight::Given(vec![1.0; 10]);
    let same = Fitted::fit(&digits_params(Some(ones)).check().unwrap(), &data, None).unwrap();
    let bits = |m: &Fitted| m.params().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&plain), bits(&same));
    assert_eq!(plain.meta().class_weight, None);

    let given = ClassWeight::Given((0..10).map(|c| 0.5 + c as f64 / 4.0).collect());
    let weighted = Fitted::fit(&digits_params(Some(given.clone())).check().unwrap(), &data, None).unwrap();
    assert_ne!(bits(&plain), bits(&weighted));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.st");
    weighted.save(&path).unwrap();
    let back = Fitted::load(&path, 1).unwrap();
    assert_eq!(back.meta().class_weight, weighted.meta().class_weight);
    assert_eq!(back.model_config().unwrap().class_weight, Some(given));
    assert_eq!(back.score(&data).unwrap(), weighted.score(&data).unwrap());
    // Scored without its weights, the same parameters give another loss.
    let mut meta = back.meta().clone();
    meta.class_weight = None;
    let unweighted = Fitted::from_saved(
        gradus::modelfile::SavedModel {
            meta,
            params: back.params().to_vec(),
            affine: back.affine().clone(),
        },
        1,
    )
    .unwrap();
    assert_ne!(unweighted.score(&data).unwrap().loss, back.score(&data).unwrap().loss);
}

/// `balanced` resolves to N / (C · N_c) on the training rows, counted here apart.
#[test]
fn balanced_is_rows_over_classes_times_class_rows() {
    let data = digits().subset(&(0..700).collect::<Vec<_>>());
    let model = Fitted::new(&digits_params(Some(ClassWeight::Balanced)).check().unwrap(), &data).unwrap();
    let resolved = model.meta().class_weight.clone().unwrap();
    assert!(resolved.balanced);
    let labels = data.labels().unwrap();
    for (c, &w) in resolved.weights.iter().enumerate() {
        let count = labels.iter().filter(|&&y| y as usize == c).count();
        assert_eq!(w, 700.0 / (10.0 * count as f64), "class {c}");
    }
    assert!(resolved.weights.iter().any(|&w| w != resolved.weights[0]));
    // A class without training rows: an error, as scikit-learn's.
    let no_nines: Vec<usize> = (0..700).filter(|&r| labels[r] != 9).collect();
    let e = Fitted::new(
        &digits_params(Some(ClassWeight::Balanced)).check().unwrap(),
        &Dataset::new(
            64,
            data.subset(&no_nines).features().clone(),
            Targets::Classes {
                labels: no_nines.iter().map(|&r| labels[r]).collect(),
                n_classes: 10,
            },
        )
        .unwrap(),
    )
    .err()
    .unwrap();
    assert_eq!(
        e.to_string(),
        "class_weight balanced needs rows of every class, and class 9 has no training rows"
    );
}

#[test]
fn wrong_weights_are_errors_naming_class_weight() {
    let data = digits();
    let three = digits_params(Some(ClassWeight::Given(vec![1.0, 2.0, 3.0])))
        .check()
        .unwrap();
    let e = Fitted::new(&three, &data).err().unwrap().to_string();
    assert_eq!(
        e,
        "class_weight gives 3 weights (1,2,3), and the data has 10 classes: give one per class"
    );
    let negative = digits_params(Some(ClassWeight::Given(vec![-1.0; 10])));
    assert_eq!(
        negative.check().unwrap_err().to_string(),
        "class_weight weights must be finite numbers ≥ 0, got -1"
    );
    let mut regression = digits_params(Some(ClassWeight::Given(vec![1.0; 10])));
    regression.loss = Loss::new("huber", 1.0, 1.0).unwrap();
    assert!(
        regression
            .check()
            .unwrap_err()
            .to_string()
            .ends_with("applies to classification, not to the huber (delta 1) loss")
    );
}
