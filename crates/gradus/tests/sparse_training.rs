//! Linear models on sparse rows: the sparse path against the dense one on the same data, its
//! lazily applied penalty against a step-by-step simulation of its definition, and exact
//! resumption.

use gradus::data::batch::{Prepared, epoch_order};
use gradus::data::csv::CsvOptions;
use gradus::data::spec::DataSpec;
use gradus::data::{Affine, Csr, Dataset, Features};
use gradus::estimator::{Fitted, ModelConfig, ModelParams};
use gradus::objective::{Buffers, Objective};
use gradus::problem::Problem;
use gradus::train::Silent;

/// The first `n` digits, `+ shift` on every pixel, as dense f32 rows and as CSR rows that
/// leave the zeros out.
fn digits_both(n: usize, shift: f32) -> (Dataset, Dataset) {
    let d = DataSpec::Digits.load(&CsvOptions::default()).unwrap().train;
    let d = d.subset(&(0..n).collect::<Vec<_>>());
    let f = d.n_features();
    let (mut dense, mut indptr, mut idx, mut val) = (Vec::new(), vec![0], Vec::new(), Vec::new());
    for i in 0..n {
        for j in 0..f {
            let v = d.value(i, j) as f32 + shift;
            dense.push(v);
            if v != 0.0 {
                idx.push(j as u32);
                val.push(v);
            }
        }
        indptr.push(idx.len());
    }
    let t = d.targets().clone();
    let csr = Csr::new(indptr, idx, val).unwrap();
    (
        Dataset::new(f, Features::F32(dense.into()), t.clone()).unwrap(),
        Dataset::new(f, Features::Csr(csr), t).unwrap(),
    )
}

/// A configuration: unscaled rows, linear softmax, the keys and values given.
fn config(settings: &[(&str, &str)]) -> ModelConfig {
    let mut p = ModelParams::default();
    p.set("scale", "none").unwrap();
    for (k, v) in settings {
        p.set(k, v).unwrap();
    }
    p.check().unwrap()
}

/// max |a − b| against max |b|.
fn gap(a: &[f32], b: &[f32]) -> (f32, f32) {
    let worst = a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs()));
    (worst, b.iter().fold(0f32, |m, y| m.max(y.abs())))
}

#[test]
fn sparse_and_dense_sgd_with_l2_agree_to_rounding() {
    let (dense, sparse) = digits_both(600, 0.0);
    // A strong penalty (each step shrinks the weights by 1 %) makes a decay applied one step
    // too many or too few plain; a weak one over many steps, the drift of rounding.
    for (batch, lr, reg, epochs) in [
        ("1", "0.02", "l2:0.25", "1"),
        ("32", "0.5", "l2:0.01", "3"),
        ("1", "0.05", "l2:1e-3", "3"),
    ] {
        let settings = [
            ("scale", "unit"),
            ("lr", lr),
            ("reg", reg),
            ("batch_size", batch),
            ("epochs", epochs),
        ];
        let c = config(&settings);
        let (a, b) = (
            Fitted::fit(&c, &dense, None).unwrap(),
            Fitted::fit(&c, &sparse, None).unwrap(),
        );
        let (worst, scale) = gap(b.params(), a.params());
        assert!(
            worst <= 2e-6 * scale,
            "batch {batch}: max |Δθ| {worst} against max |θ| {scale}"
        );
        let (pa, pb) = (a.predict(&dense).unwrap(), b.predict(&sparse).unwrap());
        assert_eq!(pa, pb, "batch {batch}");
        let (sa, sb) = (a.score(&dense).unwrap(), b.score(&sparse).unwrap());
        assert!(
            (sa.loss - sb.loss).abs() <= 1e-6 * sa.loss,
            "batch {batch}: {sa:?} {sb:?}"
        );
    }
}

/// The sparse problem's gradient (the data term on its support) plus the penalty everywhere is
/// the dense objective's gradient; the full-contract sparse gradient is too.
#[test]
fn the_sparse_gradient_is_the_dense_one() {
    let (dense, sparse) = digits_both(100, 0.0);
    let c = config(&[("reg", "elastic:1e-2,0.5"), ("loss", "svm")]);
    let model = Fitted::new(&c, &dense).unwrap();
    let objective: &Objective = model.objective();
    let n = model.params().len();
    let theta: Vec<f32> = (0..n).map(|i| ((i * 37 % 101) as f32 - 50.0) / 500.0).collect();
    let affine = Affine::new(vec![0.0; 64], vec![1.0; 64]);
    let rows: Vec<usize> = (10..42).collect();
    let (xd, xs) = (
        Prepared {
            data: &dense,
            affine: &affine,
        },
        Prepared {
            data: &sparse,
            affine: &affine,
        },
    );
    let mut want = vec![0f32; n];
    let sd = objective.value_and_grad(&theta, &xd, &rows, &mut Buffers::default(), &mut want);
    let mut full = vec![f32::NAN; n];
    let ss = objective.value_and_grad(&theta, &xs, &rows, &mut Buffers::default(), &mut full);
    assert!(
        (sd.objective - ss.objective).abs() <= 1e-6 * sd.objective,
        "{sd:?} {ss:?}"
    );
    let (worst, scale) = gap(&full, &want);
    assert!(worst <= 1e-5 * scale, "{worst} against {scale}");
    // The problem a trainer steps: the data term on the support, compact, the penalty left out.
    let mut problem = objective.on(&xs);
    let (stats, lazy) = problem.sparse_value_and_grad(&theta, &rows).expect("a sparse gradient");
    assert_eq!(stats.penalty, 0.0);
    assert_eq!(lazy.support.len(), lazy.values.len());
    let touched: std::collections::BTreeSet<usize> = lazy.support.iter().copied().collect();
    assert!(touched.len() < n, "some pixels are 0 in every row");
    assert_eq!(touched.len(), lazy.support.len(), "the support is increasing");
    let mut grads = vec![0f32; n];
    lazy.support.iter().zip(lazy.values).for_each(|(&j, &g)| grads[j] = g);
    lazy.regularizer.penalty_grad(&theta, lazy.layout, &mut grads);
    let (worst, scale) = gap(&grads, &want);
    assert!(worst <= 1e-5 * scale, "{worst} against {scale}");
    for (j, g) in want.iter().enumerate() {
        if !touched.contains(&j) {
            // Off the support the gradient is the penalty's alone.
            assert_eq!(*g, lazy.regularizer.coordinate_grad(theta[j]), "coordinate {j}");
        }
    }
}

#[test]
fn a_sparse_evaluation_over_many_rows_is_the_dense_one_with_the_same_bits_on_any_thread_count() {
    let (dense, sparse) = digits_both(500, 0.0);
    let model = Fitted::new(&config(&[("loss", "softmax")]), &dense).unwrap();
    let n = model.params().len();
    let theta: Vec<f32> = (0..n).map(|i| ((i * 37 % 101) as f32 - 50.0) / 500.0).collect();
    let affine = Affine::new(vec![0.0; 64], vec![1.0; 64]);
    // Enough rows for several chunks evaluated in parallel, the last one short.
    let rows: Vec<usize> = (0..7000).map(|i| i * 7 % 500).collect();
    let on = |data: &Dataset, threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let prepared = Prepared { data, affine: &affine };
        pool.install(|| model.objective().on(&prepared).value(&theta, &rows))
    };
    let want = on(&dense, 2);
    let one = on(&sparse, 1);
    assert!(
        (one.objective - want.objective).abs() <= 1e-6 * want.objective,
        "{one:?} {want:?}"
    );
    assert_eq!((one.correct, one.rows), (want.correct, want.rows));
    for threads in [2, 3] {
        assert_eq!(
            on(&sparse, threads).objective.to_bits(),
            one.objective.to_bits(),
            "{threads} threads"
        );
    }
}

/// Plain SGD with an L1 penalty on sparse rows, step by step as the lazy update defines it: a
/// coordinate of the batch's support steps on its data gradient plus λ sign(w); any other
/// weight shrinks towards 0 by ηλ and stops there (Tsuruoka et al., 2009).
#[test]
fn the_lazy_l1_penalty_is_the_truncated_cumulative_penalty() {
    let (dense, sparse) = digits_both(200, 0.0);
    let (lr, l1, batch) = (0.001f32, 0.05f64, 8usize);
    let c = config(&[
        ("lr", "0.001"),
        ("reg", "l1:0.05"),
        ("batch_size", "8"),
        ("epochs", "2"),
    ]);
    let trained = Fitted::fit(&c, &sparse, None).unwrap();
    let start = Fitted::new(&c, &sparse).unwrap();
    let objective = config(&[("loss", "softmax")]);
    let plain = Fitted::new(&objective, &dense).unwrap();
    let mut w = start.params().to_vec();
    let n = w.len();
    let (d, k) = (64, 10);
    let affine = Affine::new(vec![0.0; 64], vec![1.0; 64]);
    let xd = Prepared {
        data: &dense,
        affine: &affine,
    };
    let mut buf = Buffers::default();
    let mut g = vec![0f32; n];
    for epoch in 0..2 {
        for rows in epoch_order(dense.len(), 0, epoch).chunks(batch) {
            plain.objective().value_and_grad(&w, &xd, rows, &mut buf, &mut g);
            let columns: std::collections::BTreeSet<usize> = rows
                .iter()
                .flat_map(|&r| (0..d).map(move |j| (r, j)))
                .filter(|&(r, j)| dense.value(r, j) != 0.0)
                .map(|(_, j)| j)
                .collect();
            for (i, (w, &g)) in w.iter_mut().zip(&g).enumerate() {
                let bias = i >= k * d;
                if bias || columns.contains(&(i % d)) {
                    let sign = if bias || *w == 0.0 { 0.0 } else { w.signum() };
                    *w -= lr * (g + l1 as f32 * sign);
                } else {
                    *w = w.signum() * (w.abs() - lr * l1 as f32).max(0.0);
                }
            }
        }
    }
    let (worst, scale) = gap(trained.params(), &w);
    assert!(worst <= 1e-5 * scale, "max |Δθ| {worst} against max |θ| {scale}");
    let zeros = w.iter().filter(|v| **v == 0.0).count();
    assert!(zeros > 0 && zeros == trained.params().iter().filter(|v| **v == 0.0).count());
}

/// When every batch touches every coordinate, the sparse step of an adaptive rule is its dense
/// step.
#[test]
fn adam_on_rows_that_touch_every_coordinate_is_dense_adam() {
    let (dense, sparse) = digits_both(300, 1.0);
    let c = config(&[
        ("optimizer", "adam"),
        ("lr", "0.003"),
        ("batch_size", "16"),
        ("epochs", "2"),
    ]);
    let (a, b) = (
        Fitted::fit(&c, &dense, None).unwrap(),
        Fitted::fit(&c, &sparse, None).unwrap(),
    );
    let (worst, scale) = gap(b.params(), a.params());
    assert!(worst <= 1e-5 * scale, "max |Δθ| {worst} against max |θ| {scale}");
}

/// A sparse run stopped after two epochs and continued for two more ends with the bits of one
/// run of four: the deferred penalty is brought up to date at every epoch's end.
#[test]
fn a_resumed_sparse_run_ends_with_the_same_bits() {
    let (_, sparse) = digits_both(300, 0.0);
    let settings = [("lr", "0.003"), ("reg", "elastic:1e-3,0.5"), ("batch_size", "4")];
    let four = Fitted::fit(
        &config(&[settings.as_slice(), &[("epochs", "4")]].concat()),
        &sparse,
        None,
    )
    .unwrap();
    let mut two = Fitted::fit(
        &config(&[settings.as_slice(), &[("epochs", "2")]].concat()),
        &sparse,
        None,
    )
    .unwrap();
    two.set_epochs(4).unwrap();
    two.train(&sparse, None, &mut Silent, None).unwrap();
    let bits = |m: &Fitted| m.params().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&two), bits(&four));
}

#[test]
fn networks_with_hidden_layers_refuse_sparse_rows_too_wide_to_make_dense() {
    let wide = 1 << 16;
    let csr = Csr::new(vec![0, 1, 2], vec![5, wide as u32 - 1], vec![1.0, 2.0]).unwrap();
    let targets = gradus::data::Targets::Classes {
        labels: vec![0, 1],
        n_classes: 2,
    };
    let data = Dataset::new(wide, Features::Csr(csr), targets).unwrap();
    let mut p = ModelParams::default();
    p.set("model", "mlp:8").unwrap();
    let e = Fitted::fit(&p.check().unwrap(), &data, None).err().unwrap();
    assert_eq!(
        e.to_string(),
        "model a network with hidden layers makes sparse rows dense, 2048 at a time: 65536 features would take 512 MB, more than 256 MB; train a linear model on them"
    );
    let linear = Fitted::fit(&ModelParams::default().check().unwrap(), &data, None).unwrap();
    assert_eq!(linear.params().len(), 2 * wide + 2);
}
