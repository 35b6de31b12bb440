//! Polyak–Ruppert averaging (`TrainParams::average`, [`gradus::train::Average`]): the model is
//! the mean of the iterates from step k₀ on, against a mean computed here from the recorded
//! iterates; checkpoints resume it exactly; early stopping watches it; it beats the iterate
//! where averaging is meant to; the sparse path averages as the dense one does.

mod common;
use common::{StopAfter, csr_of, digits, noise};

use gradus::data::{Dataset, Features, Scaling, Targets};
use gradus::estimator::{Checkpointing, Fitted, ModelConfig, ModelParams};
use gradus::objective::Objective;
use gradus::problem::Problem;
use gradus::train::{EpochReport, Flow, Observer, Silent, StopReason, TrainParams, TrainState};

/// A configuration from `settings` (as the command line writes them), averaging from step `k0`.
fn config(settings: &[(&str, &str)], k0: Option<u64>) -> ModelConfig {
    let mut p = ModelParams::default();
    for (k, v) in settings {
        p.set(k, v).unwrap();
    }
    p.train.average = k0;
    p.train.threads = 2;
    p.check().unwrap()
}

/// Records the iterate after every step, and checks that an average exists from step `k0` on
/// and not before, when the model is the iterate.
struct Iterates {
    k0: u64,
    seen: Vec<Vec<f32>>,
}

impl Observer for Iterates {
    fn on_params(&mut self, params: &[f32], state: &TrainState<f32>) -> gradus::Result<()> {
        assert_eq!(state.average.is_some(), state.step >= self.k0, "step {}", state.step);
        if state.step < self.k0 {
            assert!(std::ptr::eq(state.model(params), params));
        }
        self.seen.push(params.to_vec());
        Ok(())
    }
}

/// `(1/m) Σ θ_j` over `iterates`, summed in f64.
fn mean(iterates: &[Vec<f32>]) -> Vec<f64> {
    let mut sum = vec![0.0f64; iterates[0].len()];
    for theta in iterates {
        sum.iter_mut().zip(theta).for_each(|(s, &t)| *s += t as f64);
    }
    sum.iter().map(|s| s / iterates.len() as f64).collect()
}

/// The average a run keeps (its f64 mean and the f32 model) is the mean of the iterates after
/// steps k₀, k₀ + 1, …, K, computed here by summing them: to f64 rounding for the mean (the run
/// keeps a running mean, θ̄ ← θ̄ + (θ − θ̄)/m), and the model is that mean rounded to f32. The
/// iterates before k₀ are left out (k₀ = 30 is not k₀ = 1, or 29, or 31); a k₀ beyond the run
/// averages nothing, and the model is then the iterate.
#[test]
fn the_model_is_the_mean_of_the_iterates_from_k0_on() {
    let settings = [("lr", "0.5"), ("batch_size", "64"), ("epochs", "3")];
    let steps = 3 * 1438usize.div_ceil(64) as u64;
    for k0 in [1, 30, steps, steps + 1] {
        let c = config(&settings, Some(k0));
        let s = digits(&c);
        assert_eq!(s.train.len(), 1438);
        let mut model = Fitted::new(&c, &s.train).unwrap();
        let mut seen = Iterates { k0, seen: Vec::new() };
        model.train(&s.train, None, &mut seen, None).unwrap();
        let seen = seen.seen;
        assert_eq!(seen.len() as u64, steps);
        assert!(
            model.iterate() == seen[seen.len() - 1],
            "k0 {k0}: the iterate is not the last"
        );
        let state = model.state().unwrap();
        let Some(average) = &state.average else {
            assert!(k0 > steps);
            assert!(
                model.params() == model.iterate(),
                "k0 {k0}: the model is not the iterate"
            );
            continue;
        };
        let averaged = &seen[(k0 - 1) as usize..];
        assert_eq!(average.count(), averaged.len() as u64);
        let expected = mean(averaged);
        let scale = expected.iter().fold(0f64, |m, x| m.max(x.abs()));
        for ((&kept, &model), &want) in average.mean().iter().zip(model.params()).zip(&expected) {
            assert!((kept - want).abs() <= 1e-13 * scale, "k0 {k0}: {kept} against {want}");
            assert_eq!(model, kept as f32);
        }
        if k0 == 1 {
            // Enough iterates that their mean is no single one of them.
            assert!(seen.iter().all(|t| t[..] != *model.params()));
        }
        // The mean of the iterates from one step earlier or later is another model.
        for other in [k0 - 1, k0 + 1].into_iter().filter(|&k| k >= 1 && k <= steps) {
            let m = mean(&seen[(other - 1) as usize..]);
            let gap = m.iter().zip(&expected).fold(0f64, |g, (a, b)| g.max((a - b).abs()));
            assert!(gap > 1e-6 * scale, "k0 {k0} against {other}: {gap}");
        }
    }
}

/// A run interrupted between two steps (before averaging starts, and within an epoch after it
/// has), its checkpoint loaded and trained on, ends with the bytes of the uninterrupted run:
/// its model file, and its checkpoint (iterate, mean and count). A state without an average
/// serializes without the field and reads back as one without an average (checkpoints from
/// before averaging existed).
#[test]
fn an_interrupted_averaged_run_resumes_to_the_same_bytes() {
    let c = config(
        &[
            ("model", "mlp:16"),
            ("lr", "0.05"),
            ("optimizer", "momentum"),
            ("batch_size", "50"),
            ("epochs", "3"),
        ],
        Some(20),
    );
    let s = digits(&c);
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str| dir.path().join(name);
    let mut whole = Fitted::new(&c, &s.train).unwrap();
    whole.train(&s.train, None, &mut Silent, None).unwrap();
    whole.save(&file("whole.st")).unwrap();
    whole.save_checkpoint(&file("whole.ck")).unwrap();
    for stop in [7, 45] {
        let ck = file(&format!("after{stop}.ck"));
        let mut first = Fitted::new(&c, &s.train).unwrap();
        let report = first
            .train(
                &s.train,
                None,
                &mut StopAfter(stop),
                Some(Checkpointing::at_epochs(&ck)),
            )
            .unwrap();
        assert_eq!(report.stop, StopReason::Requested);
        let mut resumed = Fitted::load(&ck, 2).unwrap();
        let state = resumed.state().unwrap();
        assert_eq!(
            (state.step, state.average.as_ref().map(|a| a.count())),
            (stop as u64, (stop >= 20).then(|| stop as u64 - 19))
        );
        resumed.train(&s.train, None, &mut Silent, None).unwrap();
        resumed.save(&file("resumed.st")).unwrap();
        resumed.save_checkpoint(&file("resumed.ck")).unwrap();
        let read = |name: &str| std::fs::read(file(name)).unwrap();
        assert!(read("resumed.st") == read("whole.st"), "interrupted after {stop} steps");
        assert!(read("resumed.ck") == read("whole.ck"), "interrupted after {stop} steps");
    }
    assert_ne!(whole.params(), whole.iterate());
    let fresh = TrainState::<f32>::new(&c.train.strategy, 4);
    let json = serde_json::to_string(&fresh).unwrap();
    assert!(!json.contains("average"), "{json}");
    assert!(
        serde_json::from_str::<TrainState<f32>>(&json)
            .unwrap()
            .average
            .is_none()
    );
}

/// Checks, after every epoch, that the validation loss reported is the model's (the average)
/// and not the iterate's, and that the best parameters kept are the model's.
struct ValidatesTheModel<'a> {
    val: Box<dyn Problem<f32> + 'a>,
    rows: Vec<usize>,
    differed: bool,
}

impl Observer for ValidatesTheModel<'_> {
    fn on_epoch(&mut self, report: &EpochReport, params: &[f32], state: &TrainState<f32>) -> gradus::Result<Flow> {
        let model = self.val.value(state.model(params), &self.rows).data_loss;
        let iterate = self.val.value(params, &self.rows).data_loss;
        assert_eq!(
            report.val_loss.map(f64::to_bits),
            Some(model.to_bits()),
            "epoch {}",
            report.epoch
        );
        self.differed |= model != iterate;
        let best = state.best.as_ref().unwrap();
        if best.epoch == report.epoch {
            assert!(best.params == state.model(params), "epoch {}", report.epoch);
        }
        Ok(Flow::Continue)
    }
}

/// Early stopping watches the average: each epoch's validation loss is the average's (not the
/// iterate's, which differs), its best parameters are the average's, and the model it restores
/// at the stop is that best average.
#[test]
fn early_stopping_watches_and_restores_the_average() {
    let c = config(
        &[
            ("model", "mlp:32"),
            ("lr", "0.3"),
            ("batch_size", "16"),
            ("epochs", "60"),
        ],
        Some(1),
    );
    let mut c = c;
    c.train.patience = Some(2);
    c.split.val_fraction = 0.3;
    let s = digits(&c);
    let val = s.val.as_ref().unwrap();
    let mut model = Fitted::new(&c, &s.train).unwrap();
    let objective: Objective = model.objective().clone();
    let affine = model.affine().clone();
    let rows = gradus::data::batch::Prepared {
        data: val,
        affine: &affine,
    };
    let mut watch = ValidatesTheModel {
        val: Box::new(objective.on(&rows)),
        rows: (0..val.len()).collect(),
        differed: false,
    };
    let report = model.train(&s.train, Some(val), &mut watch, None).unwrap();
    assert!(watch.differed);
    let StopReason::EarlyStopped { best_epoch } = report.stop else {
        panic!("expected early stopping, got {:?}", report.stop);
    };
    let state = model.state().unwrap();
    let best = state.best.as_ref().unwrap();
    assert_eq!(best.epoch, best_epoch);
    assert!(model.params() == best.params, "the model is not the best average");
    assert!(model.iterate() == best.params, "the iterate is not the best average");
    let loss = model.score(val).unwrap().loss;
    assert_eq!(loss.to_bits(), best.loss.to_bits());
}

/// Least squares y = x·w + b + noise on 4 features, plain SGD one row at a time with a constant
/// step size too large for the iterate to settle: it keeps wandering around the least-squares
/// solution ŵ (computed here from the normal equations) at a distance set by the step size and
/// the noise, while the mean of its iterates after the first epoch comes much closer (with a
/// constant step size, averaged SGD on least squares converges: Bach & Moulines, *Non-strongly-
/// convex smooth stochastic approximation with convergence rate O(1/n)*, NIPS 2013).
#[test]
fn on_noisy_least_squares_the_average_is_much_closer_than_the_iterate() {
    let (n, d) = (2000usize, 4usize);
    let w = [1.5f64, -2.0, 0.5, 3.0];
    let x: Vec<f32> = (0..n * d).map(noise).collect();
    let y: Vec<f32> = (0..n)
        .map(|i| {
            let s: f64 = (0..d).map(|j| x[i * d + j] as f64 * w[j]).sum();
            (s + 0.7 + noise(n * d + i) as f64 * 1.5) as f32
        })
        .collect();
    // ŵ from (AᵀA) ŵ = Aᵀy, A = [X 1], by Gaussian elimination.
    let a = |i: usize, j: usize| if j < d { x[i * d + j] as f64 } else { 1.0 };
    let mut m = vec![vec![0.0f64; d + 2]; d + 1];
    for (r, row) in m.iter_mut().enumerate() {
        for (c, v) in row.iter_mut().enumerate() {
            *v = (0..n)
                .map(|i| a(i, r) * if c <= d { a(i, c) } else { y[i] as f64 })
                .sum();
        }
    }
    for p in 0..=d {
        let (top, below) = m.split_at_mut(p + 1);
        let pivot = &top[p];
        for row in below {
            let f = row[p] / pivot[p];
            row[p..].iter_mut().zip(&pivot[p..]).for_each(|(v, q)| *v -= f * q);
        }
    }
    let mut solution = vec![0.0f64; d + 1];
    for p in (0..=d).rev() {
        solution[p] = (m[p][d + 1] - (p + 1..=d).map(|c| m[p][c] * solution[c]).sum::<f64>()) / m[p][p];
    }
    let data = Dataset::new(d, Features::F32(x.into()), Targets::Values(y)).unwrap();
    let mut p = ModelParams::default();
    for (k, v) in [
        ("loss", "squared"),
        ("scale", "none"),
        ("init", "zeros"),
        ("lr", "0.2"),
        ("batch_size", "1"),
        ("epochs", "10"),
    ] {
        p.set(k, v).unwrap();
    }
    p.target_scaling = Some(Scaling::None);
    p.train.average = Some(n as u64);
    let c = p.check().unwrap();
    let model = Fitted::fit(&c, &data, None).unwrap();
    // The layout: weight [1 × 4], then bias [1], as ŵ.
    let error = |theta: &[f32]| {
        theta
            .iter()
            .zip(&solution)
            .map(|(&t, s)| (t as f64 - s).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    let (average, iterate) = (error(model.params()), error(model.iterate()));
    assert!(average < 0.1 * iterate, "‖θ̄ − ŵ‖ = {average}, ‖θ − ŵ‖ = {iterate}");
    assert!(average < 0.02, "‖θ̄ − ŵ‖ = {average}");
}

/// `data` with its zeros left out, as CSR rows.
fn sparse_copy(data: &Dataset) -> Dataset {
    let Features::F32(x) = data.features() else {
        panic!("dense rows");
    };
    let d = data.n_features();
    Dataset::new(d, Features::Csr(csr_of(x, d)), data.targets().clone()).unwrap()
}

/// The sparse path, whose plain SGD defers the L2 penalty of the coordinates a batch does not
/// touch, averages the true iterate: the same average as the dense path on the same rows, to
/// float rounding, with the averaging starting mid-epoch.
#[test]
fn sparse_rows_average_as_dense_rows() {
    let (n, d) = (400usize, 30usize);
    // About 60 % zeros; three classes by the sign pattern of two features.
    let x: Vec<f32> = (0..n * d)
        .map(|i| if noise(i).abs() < 0.6 { 0.0 } else { noise(i) })
        .collect();
    let labels: Vec<u32> = (0..n)
        .map(|i| u32::from(x[i * d] + 0.5 * x[i * d + 1] > 0.0) + u32::from(x[i * d + 2] > 0.3))
        .collect();
    let dense = Dataset::new(d, Features::F32(x.into()), Targets::Classes { labels, n_classes: 3 }).unwrap();
    let sparse = sparse_copy(&dense);
    let settings = [
        ("scale", "none"),
        ("reg", "l2:0.02"),
        ("lr", "0.2"),
        ("batch_size", "8"),
        ("epochs", "3"),
    ];
    let c = config(&settings, Some(37));
    let (a, b) = (
        Fitted::fit(&c, &dense, None).unwrap(),
        Fitted::fit(&c, &sparse, None).unwrap(),
    );
    let gap = |a: &[f32], b: &[f32]| a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs()));
    let scale = a.params().iter().fold(0f32, |m, y| m.max(y.abs()));
    assert!(
        gap(a.params(), b.params()) <= 2e-6 * scale,
        "{} of {scale}",
        gap(a.params(), b.params())
    );
    assert!(gap(a.iterate(), b.iterate()) <= 2e-6 * scale);
    assert!(
        gap(a.params(), a.iterate()) > 1e-3 * scale,
        "the average is not the iterate"
    );
}

/// k₀ = 0 is a configuration error naming the value, and so is averaging a derivative-free
/// search, which takes no steps to average.
#[test]
fn bad_averaging_is_a_configuration_error() {
    let e = TrainParams {
        average: Some(0),
        ..TrainParams::default()
    }
    .check()
    .unwrap_err();
    assert_eq!(e.to_string(), "average must be at least 1 step, got 0");
    let e = TrainParams {
        average: Some(5),
        optimizer: gradus::optim::OptimizerParams::named("random-search"),
        search: gradus::search::SearchParams {
            trials: Some(10),
            ..Default::default()
        },
        batch: gradus::data::batch::BatchSize::Full,
        ..TrainParams::default()
    }
    .check()
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "average does not apply to random-search, which takes no gradient steps"
    );
}
