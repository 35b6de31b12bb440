//! Accuracy on Fashion-MNIST's official test split (the Debian package dataset-fashion-mnist,
//! installed by scripts/test.sh), with the settings the README documents.

mod common;
use common::*;

fn test_accuracy(args: &[&str]) -> f64 {
    let mut all = vec!["train", "--data", "fashion-mnist", "--json"];
    all.extend_from_slice(args);
    let r = last_json(&ok(&all));
    r["test_accuracy"].as_f64().unwrap()
}

#[test]
fn linear_softmax_reaches_0_84() {
    let acc = test_accuracy(&[
        "--loss",
        "softmax",
        "--lr",
        "0.03",
        "--batch-size",
        "256",
        "--epochs",
        "20",
    ]);
    assert!(acc >= 0.84, "test accuracy {acc}");
}

#[test]
fn linear_svm_reaches_0_835() {
    let acc = test_accuracy(&[
        "--loss",
        "svm",
        "--lr",
        "0.005",
        "--reg",
        "l2:1e-3",
        "--batch-size",
        "256",
        "--epochs",
        "20",
    ]);
    assert!(acc >= 0.835, "test accuracy {acc}");
}

#[test]
fn mlp_with_adam_reaches_0_89() {
    let acc = test_accuracy(&[
        "--model",
        "mlp:256,128",
        "--optimizer",
        "adam",
        "--lr",
        "1e-3",
        "--schedule",
        "cosine",
        "--batch-size",
        "256",
        "--epochs",
        "15",
    ]);
    assert!(acc >= 0.89, "test accuracy {acc}");
}

#[test]
fn same_seed_and_thread_count_give_identical_model_files() {
    let dir = tempfile::tempdir().unwrap();
    let run = |threads: &str, name: &str| {
        let out = path_in(dir.path(), name);
        ok(&[
            "train",
            "--data",
            "fashion-mnist",
            "--model",
            "mlp:64",
            "--optimizer",
            "adam",
            "--epochs",
            "1",
            "--batch-size",
            "256",
            "--threads",
            threads,
            "--seed",
            "3",
            "--out",
            &out,
        ]);
        std::fs::read(out).unwrap()
    };
    let two = run("2", "a.safetensors");
    assert_eq!(two, run("2", "b.safetensors"), "same seed, same threads");
    let one = run("1", "c.safetensors");
    assert_eq!(one, run("1", "d.safetensors"), "same seed, one thread");
}

/// The README's table: every update rule trains the linear softmax classifier to ≥ 0.84.
#[test]
fn every_update_rule_reaches_0_84() {
    for (rule, lr) in [
        ("momentum", "0.003"),
        ("nesterov", "0.003"),
        ("adagrad", "0.01"),
        ("rmsprop", "0.0003"),
        ("adadelta", "0.3"),
        ("adam", "0.0003"),
        ("adamw", "0.0003"),
    ] {
        let acc = test_accuracy(&["--optimizer", rule, "--lr", lr, "--batch-size", "256", "--epochs", "20"]);
        assert!(acc >= 0.84, "{rule}: test accuracy {acc}");
    }
}
