//! The lectures' options of `gradus train`: sampling with replacement, the initialisation and
//! the loss it should start from, frozen layers, stopping on a small gradient, numerical
//! gradients, flags that do not apply, and the size of the output.

mod common;
use common::*;

fn json(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["train", "--json"];
    all.extend_from_slice(args);
    last_json(&ok(&all))
}

fn accuracy(r: &serde_json::Value) -> f64 {
    r["test_accuracy"].as_f64().expect("test accuracy")
}

#[test]
fn sampling_with_replacement_trains() {
    let r = json(&["--sampling", "replacement"]);
    assert!(accuracy(&r) >= 0.93, "{r}");
    // Another draw of the rows, so another model than the permutation's.
    assert_ne!(r["train_loss"], json(&[])["train_loss"]);
    assert!(
        fails(&["train", "--sampling", "bootstrap"])
            .contains("--sampling must be permutation, replacement or sequential")
    );
}

/// At zero weights every score is 0: the softmax loss is ln 10 and the SVM's (C − 1)Δ = 9, the
/// lectures' sanity check; small random weights come close, the default initialisation not.
#[test]
fn the_initial_objective_is_printed_with_its_value_at_small_weights() {
    let out = gradus(&["train", "--init", "zeros", "--epochs", "1", "--json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "initial objective 2.3026 on the training split; at small weights the softmax loss is ln 10 = 2.3026"
        ),
        "{stderr}"
    );
    let r = last_json(&String::from_utf8_lossy(&out.stdout));
    let ln10 = 10f64.ln();
    assert!((r["initial_objective"].as_f64().unwrap() - ln10).abs() < 1e-6, "{r}");
    assert_eq!(r["zero_scores_loss"].as_f64(), Some(ln10));
    let r = json(&["--init", "normal:0.001", "--epochs", "1"]);
    assert!((r["initial_objective"].as_f64().unwrap() - ln10).abs() < 1e-2, "{r}");
    let r = json(&["--epochs", "1"]);
    assert!((r["initial_objective"].as_f64().unwrap() - ln10).abs() > 0.1, "{r}");
    let r = json(&["--loss", "svm", "--init", "zeros", "--epochs", "1"]);
    assert_eq!(
        (r["initial_objective"].as_f64(), r["zero_scores_loss"].as_f64()),
        (Some(9.0), Some(9.0))
    );
    let r = json(&["--init", "he", "--model", "mlp:16"]);
    assert!(accuracy(&r) >= 0.93, "{r}");
    assert!(
        fails(&["train", "--init", "xavier"]).contains("--init must be auto, he, glorot, normal:σ (σ > 0) or zeros")
    );
}

/// A frozen first layer keeps its initial weights, however long the rest trains: a random
/// features model.
#[test]
fn frozen_layers_keep_their_initial_weights() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (path_in(dir.path(), "a.st"), path_in(dir.path(), "b.st"));
    let base = ["--model", "mlp:64", "--freeze", "layers.0", "--reg", "l2:1e-4"];
    let r = json(&[&base[..], &["--epochs", "20", "--out", &a]].concat());
    assert!(accuracy(&r) >= 0.9, "{r}");
    json(&[&base[..], &["--epochs", "1", "--out", &b]].concat());
    let (a, b) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    for frozen in ["layers.0.weight", "layers.0.bias"] {
        assert_eq!(tensor(&a, frozen), tensor(&b, frozen), "{frozen}");
    }
    assert_ne!(tensor(&a, "layers.1.weight"), tensor(&b, "layers.1.weight"));
    assert!(
        fails(&["train", "--model", "mlp:8", "--freeze", "layers.3"])
            .contains("--freeze must name layers of the model (layers.0 to layers.1)")
    );
    assert!(
        fails(&[
            "train",
            "--model",
            "mlp:8",
            "--optimizer",
            "adamw",
            "--freeze",
            "layers.0"
        ])
        .contains("--freeze cannot be combined with adamw's weight decay 0.01")
    );
    assert!(fails(&["train", "--freeze", "layers.0"]).contains("--freeze leaves nothing to train"));
}

#[test]
fn a_small_gradient_ends_a_run() {
    let r = json(&["--batch-size", "full", "--epochs", "3000", "--grad-tol", "0.1"]);
    assert_eq!(r["stop"]["reason"], "small-gradient", "{r}");
    assert!(r["stop"]["norm"].as_f64().unwrap() <= 0.1);
    assert!(r["epochs"].as_u64().unwrap() < 3000);
    assert!(fails(&["train", "--grad-tol", "-1"]).contains("--grad-tol must be a finite number ≥ 0, got -1"));
    assert!(fails(&["train", "--tol", "1e-3", "--tol-epochs", "0"]).contains("--tol-epochs must be at least 1, got 0"));
}

/// Finite differences give the same model as backpropagation, to the differences' error, at
/// 2n + 1 objective evaluations per step for n = 650 parameters (n + 1 forward).
#[test]
fn numerical_gradients_train_and_count_their_evaluations() {
    let analytic = json(&["--epochs", "1"]);
    let centred = json(&["--epochs", "1", "--gradient", "numerical"]);
    // 1,437 training rows in batches of 64: 23 steps.
    assert_eq!(analytic["evaluations"], 23);
    assert_eq!(centred["gradient"], "numerical:centred");
    assert_eq!(centred["evaluations_per_step"], 2 * 650 + 1);
    assert_eq!(centred["evaluations"], 23 * 1301);
    let loss = |r: &serde_json::Value| r["train_loss"].as_f64().unwrap();
    assert!(
        (loss(&centred) - loss(&analytic)).abs() < 1e-4,
        "{centred} vs {analytic}"
    );
    assert!((accuracy(&centred) - accuracy(&analytic)).abs() < 0.01);
    let forward = json(&["--epochs", "1", "--gradient", "numerical:forward"]);
    assert_eq!(forward["evaluations_per_step"], 651);
    assert!((loss(&forward) - loss(&analytic)).abs() < 1e-3, "{forward}");
    let text = ok(&["train", "--epochs", "1", "--gradient", "numerical"]);
    assert!(
        text.contains("gradient by numerical:centred differences: 1301 objective evaluations per step (2n + 1, n = 650 parameters), 29923 in all"),
        "{text}"
    );
    assert!(fails(&["train", "--gradient", "symbolic"]).contains("--gradient must be analytic, numerical"));
}

/// `--average K` saves the mean of the iterates from step K on: another model than the last
/// iterate's, the one the run scores and `eval` reads back; the checkpoint keeps its K (a
/// resumed run refuses another), and K = 0 is a one-line error.
#[test]
fn averaging_changes_the_saved_model() {
    let dir = tempfile::tempdir().unwrap();
    let (plain, averaged, ck) = (
        path_in(dir.path(), "plain.st"),
        path_in(dir.path(), "averaged.st"),
        path_in(dir.path(), "ck.st"),
    );
    let base = ["--epochs", "3", "--lr", "0.5"];
    let last = json(&[&base[..], &["--out", &plain]].concat());
    let mean = json(&[&base[..], &["--average", "20", "--out", &averaged, "--checkpoint", &ck]].concat());
    // 3 epochs of ⌈1438/64⌉ = 23 steps, averaged from the 20th: 50 iterates.
    assert_eq!(
        (mean["average"].as_u64(), mean["averaged_steps"].as_u64()),
        (Some(20), Some(50)),
        "{mean}"
    );
    assert!(accuracy(&mean) >= 0.93, "{mean}");
    // The steps go on from the iterate, the same in both runs (so do the health figures, which
    // measure it); the saved model is not.
    assert_eq!(last["health"], mean["health"]);
    assert_ne!(last["test_loss"], mean["test_loss"]);
    let (a, b) = (std::fs::read(&plain).unwrap(), std::fs::read(&averaged).unwrap());
    assert_ne!(tensor(&a, "layers.0.weight"), tensor(&b, "layers.0.weight"));
    let eval = last_json(&ok(&["eval", "--model", &averaged, "--json"]));
    assert_eq!(eval["loss"], mean["test_loss"], "{eval}");
    assert_eq!(
        fails(&["train", "--resume", &ck, "--epochs", "4", "--average", "5"]),
        "gradus: error: --average 5 conflicts with the checkpoint's 20: a resumed run keeps its checkpoint's \
         configuration (only --epochs, the new total, may change)"
    );
    assert_eq!(
        fails(&["train", "--average", "0"]),
        "gradus: error: --average must be at least 1 step, got 0"
    );
}

/// A flag that would do nothing is an error, as an update-rule flag that does not apply is.
#[test]
fn flags_that_do_not_apply_are_errors() {
    assert_eq!(
        fails(&["train", "--margin", "2"]),
        "gradus: error: --margin does not apply to the softmax loss (only to the svm losses)"
    );
    assert_eq!(
        fails(&["train", "--loss", "svm", "--delta", "0.5"]),
        "gradus: error: --delta does not apply to the svm loss (only to the huber loss)"
    );
    assert!(
        fails(&[
            "loss", "--loss", "softmax", "--margin", "2", "--scores", "1,2", "--label", "0"
        ])
        .contains("--margin does not apply")
    );
    for args in [
        &["train", "--task", "regress"][..],
        &["train", "--task", "classify"],
        &["train", "--data", "fashion-mnist", "--task", "classify"],
    ] {
        assert!(
            fails(args).contains("--task applies only to CSV, NumPy and LIBSVM data, not to "),
            "{args:?}"
        );
    }
    assert!(
        fails(&["train", "--label-column", "label"])
            .contains("--label-column applies only to CSV data (csv:PATH), not to digits")
    );
    let dir = tempfile::tempdir().unwrap();
    let model = path_in(dir.path(), "m.st");
    ok(&["train", "--epochs", "1", "--out", &model]);
    assert!(
        fails(&["eval", "--model", &model, "--label-column", "0"]).contains("--label-column applies only to CSV data")
    );
    // The margin still reaches the SVM.
    let (a, b) = (
        json(&["--loss", "svm", "--epochs", "1"]),
        json(&["--loss", "svm", "--margin", "5", "--epochs", "1"]),
    );
    assert_ne!(a["train_loss"], b["train_loss"]);
}

/// `--json` summarises the epochs' timings; `--history` has one row per epoch.
#[test]
fn json_summarises_epoch_times_and_history_keeps_the_series() {
    let dir = tempfile::tempdir().unwrap();
    let history = path_in(dir.path(), "history.csv");
    let r = json(&["--epochs", "4", "--history", &history, "--model", "mlp:8"]);
    let t = &r["epoch_seconds"];
    for key in ["min", "median", "mean", "max"] {
        assert!(t[key].as_f64().is_some_and(|v| v >= 0.0), "{key}: {r}");
    }
    assert!(t["min"].as_f64() <= t["median"].as_f64() && t["median"].as_f64() <= t["max"].as_f64());
    let text = std::fs::read_to_string(&history).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "epoch,objective,train_accuracy,val_loss,val_accuracy,lr,seconds,evaluations,grad_norm,\
         mean_grad_norm,update_ratio:layers.0,update_ratio:layers.1"
    );
    assert_eq!(lines.len(), 5);
    assert!(lines[4].starts_with("4,"), "{text}");
    // The health figures are those of --json, to the digit.
    let last: Vec<&str> = lines[4].split(',').collect();
    let health = &r["health"][3];
    assert_eq!(last[9].parse::<f64>().ok(), health["mean_grad_norm"].as_f64());
    assert_eq!(last[11].parse::<f64>().ok(), health["updates"][1]["ratio"].as_f64());
    assert_eq!(r["history"], history.as_str());
}

/// `predict` without `--data` uses the model's data, as `eval` does: here its test rows.
#[test]
fn predict_defaults_to_the_models_data() {
    let dir = tempfile::tempdir().unwrap();
    let model = path_in(dir.path(), "m.st");
    ok(&["train", "--epochs", "2", "--out", &model]);
    let own = ok(&["predict", "--model", &model]);
    assert_eq!(own, ok(&["predict", "--model", &model, "--data", "digits"]));
    assert_eq!(own.lines().count(), 1 + 359);
}
