//! The estimator layer and the one trainer: fit / partial_fit / predict / save / load, and a
//! training state complete enough that a checkpoint continues exactly.

mod common;
use common::{StopAfter, digits};

use gradus::data::Dataset;
use gradus::data::batch::{BatchSize, Prepared, epoch_order};
use gradus::estimator::{Checkpointing, Fitted, ModelParams, Predictions};
use gradus::optim::OptimizerParams;
use gradus::problem::Problem;
use gradus::train::{Layers, Silent, TrainState, Trainer};

fn params() -> ModelParams {
    let mut p = ModelParams {
        architecture: "mlp:32".parse().unwrap(),
        ..ModelParams::default()
    };
    p.train.optimizer = OptimizerParams::named("nesterov");
    p.train.lr = Some(0.05);
    p.train.schedule = "plateau:1,0.5".parse().unwrap();
    p.train.threads = 2;
    p
}

/// Every rule's default learning rate trains the default model (linear softmax, standardized,
/// batches of 64, 10 epochs) on the embedded digits; torch's rates are the preset for parity.
#[test]
fn default_learning_rates_train_the_digits() {
    for name in gradus::optim::NAMES {
        let mut p = ModelParams::default();
        p.train.optimizer = OptimizerParams::named(name);
        p.train.threads = 2;
        let config = p.check().unwrap();
        let s = digits(&config);
        let model = Fitted::fit(&config, &s.train, None).unwrap();
        let accuracy = model.score(s.test.as_ref().unwrap()).unwrap().accuracy.unwrap();
        assert!(
            accuracy >= 0.93,
            "{name} at lr {}: {accuracy}",
            config.train.schedule.base_lr
        );
        p.train.preset = gradus::optim::Preset::Torch;
        let torch = p.check().unwrap().train;
        assert_eq!(
            torch.schedule.base_lr,
            torch.strategy.rule().unwrap().torch_lr(),
            "{name}"
        );
    }
}

#[test]
fn fit_predict_save_load() {
    let config = params().check().unwrap();
    let s = digits(&config);
    let model = Fitted::fit(&config, &s.train, None).unwrap();
    let test = s.test.as_ref().unwrap();
    let score = model.score(test).unwrap();
    assert!(score.accuracy.unwrap() > 0.93, "{score:?}");
    let Predictions::Classes(classes) = model.predict(test).unwrap() else {
        panic!("a classifier predicts classes");
    };
    let labels = test.labels().unwrap();
    let right = classes.iter().zip(labels).filter(|(p, l)| **p == **l as usize).count();
    assert_eq!(right as f64 / labels.len() as f64, score.accuracy.unwrap());
    let proba = model.predict_proba(test).unwrap();
    assert!(proba.iter().all(|p| (p.iter().sum::<f64>() - 1.0).abs() < 1e-9));
    let scores = model.decision_function(test).unwrap();
    assert_eq!(scores.len(), test.len() * 10);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.safetensors");
    model.save(&path).unwrap();
    let loaded = Fitted::load(&path, 1).unwrap();
    assert_eq!(loaded.params(), model.params());
    assert!(loaded.state().is_none(), "a final model file holds no training state");
    assert_eq!(loaded.decision_function(test).unwrap(), scores);
    // Rows of another shape are an error, not a panic.
    let other = Dataset::new(
        3,
        gradus::data::Features::F32(vec![0.0; 6].into()),
        gradus::data::Targets::Classes {
            labels: vec![0, 1],
            n_classes: 2,
        },
    )
    .unwrap();
    assert!(model.predict(&other).unwrap_err().to_string().contains("3 features"));
}

#[test]
fn partial_fit_epochs_equal_a_fit() {
    let mut p = params();
    p.train.epochs = 3;
    let config = p.check().unwrap();
    let s = digits(&config);
    let whole = Fitted::fit(&config, &s.train, None).unwrap();
    let mut parts = Fitted::new(&config, &s.train).unwrap();
    for epoch in 1..=3 {
        assert_eq!(parts.partial_fit(&s.train).unwrap().epoch, epoch);
    }
    assert_eq!(parts.params(), whole.params());
}

/// Early stopping and the plateau schedule remember their best epoch, and the tolerance test
/// the last objective: a checkpoint written between the best epoch and the stop, loaded and
/// trained on, ends exactly as the uninterrupted run.
#[test]
fn a_checkpoint_holds_the_whole_state() {
    let mut p = params();
    p.train.epochs = 40;
    p.train.patience = Some(2);
    p.train.tol = Some(1e-6);
    p.val_fraction = Some(0.2);
    let config = p.check().unwrap();
    let s = digits(&config);
    let mut whole = Fitted::new(&config, &s.train).unwrap();
    let report = whole.train(&s.train, s.val.as_ref(), &mut Silent, None).unwrap();
    let gradus::train::StopReason::EarlyStopped { best_epoch } = report.stop else {
        panic!("expected early stopping, got {:?}", report.stop);
    };
    let stopped = report.history.len() as u64;
    assert!(best_epoch + 1 < stopped, "best {best_epoch}, stopped {stopped}");

    // Interrupt one epoch after the best, save, load, go on.
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("ck.safetensors");
    let mut short = config.clone();
    short.train.epochs = best_epoch + 1;
    let mut first = Fitted::new(&short, &s.train).unwrap();
    first
        .train(
            &s.train,
            s.val.as_ref(),
            &mut Silent,
            Some(Checkpointing::at_epochs(&ck)),
        )
        .unwrap();
    let mut resumed = Fitted::load(&ck, 2).unwrap();
    let state = resumed.state().unwrap();
    assert_eq!(state.best.as_ref().map(|b| b.epoch), Some(best_epoch));
    assert!(state.previous_objective.is_some());
    resumed.set_epochs(40).unwrap();
    let rest = resumed.train(&s.train, s.val.as_ref(), &mut Silent, None).unwrap();
    assert_eq!(rest.stop, report.stop);
    assert_eq!(best_epoch + 1 + rest.history.len() as u64, stopped);
    assert_eq!(resumed.params(), whole.params());
}

/// The epoch cursor: batches already stepped are skipped, and the epoch's report counts them.
#[test]
fn an_epoch_continues_from_its_cursor() {
    let mut p = params();
    p.train.batch = BatchSize::Rows(100);
    let config = p.check().unwrap();
    let s = digits(&config);
    let model = Fitted::new(&config, &s.train).unwrap();
    let data = Prepared {
        data: &s.train,
        affine: model.affine(),
    };
    let objective = model.objective();
    let run = |split_after: usize| {
        let mut theta = model.params().to_vec();
        let mut state = TrainState::new(&config.train.strategy, theta.len());
        let mut problem = objective.on(&data);
        let mut trainer = Trainer::new(&config.train);
        let order = epoch_order(s.train.len(), config.train.seed, 0);
        for rows in order.chunks(100).take(split_after) {
            let lr = trainer.lr(&state, s.train.len());
            let stats = trainer
                .step_batch(&mut problem, &mut theta, &mut state, rows, lr)
                .unwrap();
            state.cursor.batch += 1;
            state.cursor.loss_sum += stats.objective * rows.len() as f64;
            state.cursor.correct += stats.correct as u64;
        }
        // A fresh trainer, as after loading a checkpoint taken mid-epoch.
        let e = Trainer::new(&config.train)
            .run_epoch(&mut problem, &mut theta, &mut state, &mut Silent)
            .unwrap()
            .expect("a whole epoch");
        (theta, e.objective, e.train_accuracy, state.step)
    };
    let whole = run(0);
    assert_eq!(run(5), whole);
    assert_eq!(whole.3, s.train.len().div_ceil(100) as u64);
}

/// The health figures of an epoch against a computation of their own: the mean of ‖∇L_B(θ_t)‖₂
/// over the epoch's batches (taken before clipping, which is on here at a bound the gradients
/// exceed) and, per layer, ‖θ_end − θ_start‖₂ / ‖θ_start‖₂ over the layer's weight and bias.
/// An epoch interrupted and continued by a fresh trainer reports the same mean norm.
#[test]
fn health_figures_match_an_independent_computation() {
    let mut p = params();
    p.train.optimizer = OptimizerParams::named("momentum");
    p.train.batch = BatchSize::Rows(100);
    p.train.clip_norm = Some(0.05);
    let config = p.check().unwrap();
    let s = digits(&config);
    let model = Fitted::new(&config, &s.train).unwrap();
    let data = Prepared {
        data: &s.train,
        affine: model.affine(),
    };
    let objective = model.objective();
    let layout = objective.network.layout();
    let trainer = || Trainer::new(&config.train).with_layers(Layers::of(layout));

    // By hand: the gradient of each batch at the θ the step starts from.
    let mut theta = model.params().to_vec();
    let mut state = TrainState::new(&config.train.strategy, theta.len());
    let mut problem = objective.on(&data);
    let mut stepper = Trainer::new(&config.train);
    let mut g = vec![0.0f32; theta.len()];
    let mut norms = Vec::new();
    for rows in epoch_order(s.train.len(), config.train.seed, 0).chunks(100) {
        problem.value_and_grad(&theta, rows, &mut g);
        norms.push(g.iter().map(|v| (*v as f64).powi(2)).sum::<f64>().sqrt());
        let lr = stepper.lr(&state, s.train.len());
        stepper
            .step_batch(&mut problem, &mut theta, &mut state, rows, lr)
            .unwrap();
    }
    let mean = norms.iter().sum::<f64>() / norms.len() as f64;
    assert!(
        norms.iter().all(|&n| n > 0.05),
        "clipping must change these gradients: {norms:?}"
    );
    let start = model.params();
    let layer = |k: usize, v: &[f32]| -> Vec<f64> {
        let w = layout.get(&format!("layers.{k}.weight")).unwrap().range();
        let b = layout.get(&format!("layers.{k}.bias")).unwrap().range();
        v[w].iter().chain(&v[b]).map(|&x| x as f64).collect()
    };
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let ratios: Vec<f64> = (0..2)
        .map(|k| {
            let (a, b) = (layer(k, start), layer(k, &theta));
            let d: Vec<f64> = a.iter().zip(&b).map(|(x, y)| y - x).collect();
            norm(&d) / norm(&a)
        })
        .collect();

    // The trainer's figures.
    let mut theta2 = model.params().to_vec();
    let mut state2 = TrainState::new(&config.train.strategy, theta2.len());
    let e = trainer()
        .run_epoch(&mut problem, &mut theta2, &mut state2, &mut Silent)
        .unwrap()
        .expect("a whole epoch");
    assert_eq!(theta2, theta);
    assert!(
        (e.mean_grad_norm - mean).abs() <= 1e-12 * mean,
        "{} vs {mean}",
        e.mean_grad_norm
    );
    let names: Vec<&str> = e.updates.iter().map(|u| u.layer.as_str()).collect();
    assert_eq!(names, ["layers.0", "layers.1"]);
    for (u, r) in e.updates.iter().zip(&ratios) {
        let ratio = u.ratio.unwrap();
        assert!((ratio - r).abs() <= 1e-9 * r, "{}: {ratio} vs {r}", u.layer);
        assert!(u.update > 0.0 && u.norm > 0.0);
    }

    // Interrupted after 5 steps, finished by a fresh trainer.
    let mut theta3 = model.params().to_vec();
    let mut state3 = TrainState::new(&config.train.strategy, theta3.len());
    let stopped = trainer()
        .run_epoch(&mut problem, &mut theta3, &mut state3, &mut StopAfter(5))
        .unwrap();
    assert!(stopped.is_none() && state3.cursor.batch == 5);
    let rest = trainer()
        .run_epoch(&mut problem, &mut theta3, &mut state3, &mut Silent)
        .unwrap()
        .expect("the rest of the epoch");
    assert_eq!(theta3, theta);
    assert!((rest.mean_grad_norm - e.mean_grad_norm).abs() <= 1e-12 * mean);
    assert!(rest.updates.is_empty(), "θ_start of a resumed epoch is unknown");
}
