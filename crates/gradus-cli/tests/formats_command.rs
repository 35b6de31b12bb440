//! `gradus train`, `eval` and `predict` end to end on tiny NumPy, LIBSVM and CIFAR-10 files.

mod common;
#[path = "../../gradus/tests/formats/mod.rs"]
mod formats;
use common::*;
use formats::*;

/// Trains 2 epochs on `data` (with `extra` flags), then evaluates and predicts with the model.
fn train_eval_predict(data: &str, extra: &[&str], dir: &std::path::Path) -> serde_json::Value {
    let model = path_in(dir, "m.safetensors");
    let mut args = vec!["train", "--data", data, "--epochs", "2", "--out", &model, "--json"];
    args.extend(extra);
    let s = last_json(&ok(&args));
    assert_eq!(s["data"], data);
    let e = last_json(&ok(&["eval", "--model", &model, "--json"]));
    assert!(e["rows"].as_u64().unwrap() > 0, "{e}");
    assert!(ok(&["predict", "--model", &model]).lines().count() > 1);
    s
}

#[test]
fn npz_libsvm_npy_and_cifar10_train_evaluate_and_predict() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let x: Vec<f64> = (0..40).map(|v| ((v * 7) % 11) as f64).collect();
    let y: Vec<f64> = (0..20).map(|i| (i % 2) as f64).collect();
    let npz = path_in(d, "d.npz");
    let entries = [
        ("x_train.npy", npy("<f4", true, &[20, 2], &x, 1)),
        ("y_train.npy", npy("<i8", false, &[20], &y, 1)),
        ("x_test.npy", npy(">f8", false, &[2, 2], &x[..4], 1)),
        ("y_test.npy", npy("<i8", false, &[2], &y[..2], 1)),
    ];
    std::fs::write(&npz, zip(&entries, true)).unwrap();
    let s = train_eval_predict(&format!("npz:{npz}"), &[], d);
    assert!(s["test_accuracy"].is_number(), "{s}");

    let rows: Vec<Vec<f64>> = x.chunks(2).map(|r| r.to_vec()).collect();
    let labels: Vec<f64> = y.iter().map(|&v| 2.0 * v - 1.0).collect();
    std::fs::write(d.join("a.svm"), libsvm(&rows, &labels)).unwrap();
    std::fs::write(d.join("b.svm"), "+1 qid:1 1:3\n-1 2:4\n").unwrap();
    let spec = format!("libsvm:{},{}", path_in(d, "a.svm"), path_in(d, "b.svm"));
    train_eval_predict(&spec, &[], d);

    std::fs::write(d.join("x.npy"), npy("<f8", false, &[20, 2], &x, 1)).unwrap();
    std::fs::write(d.join("y.npy"), npy("<f8", false, &[20], &x[..20], 1)).unwrap();
    let spec = format!("npy:{},{}", path_in(d, "x.npy"), path_in(d, "y.npy"));
    let s = train_eval_predict(&spec, &["--task", "regress", "--test-fraction", "0.2"], d);
    assert!(s["test_rmse"].is_number(), "{s}");

    let images: Vec<Vec<u8>> = (0..4u8).map(|i| vec![i * 60; 3072]).collect();
    cifar_dir(d, &images, &[0, 1, 2, 3]);
    let s = train_eval_predict(&format!("cifar10:{}", d.display()), &[], d);
    assert!(s["test_accuracy"].is_number(), "{s}");
    let e = fails(&[
        "train",
        "--data",
        &format!("cifar10:{}", d.display()),
        "--task",
        "regress",
    ]);
    assert!(e.contains("task applies only to CSV, NumPy and LIBSVM data"), "{e}");
}

#[test]
fn hashed_libsvm_models_have_two_to_the_b_inputs_and_hash_again_to_evaluate_and_predict() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Indices far beyond the unhashed limit of 2^24; feature 7 carries the class.
    let line = |i: u64| {
        let y = i % 2;
        let big = 1_000_000_007 * (i + 1);
        format!("{} 7:{y} {big}:0.5 {}:1\n", 2 * y as i64 - 1, big + 99)
    };
    let train: String = (0..40).map(line).collect();
    let test: String = (40..50).map(line).collect();
    std::fs::write(d.join("a.svm"), &train).unwrap();
    std::fs::write(d.join("b.svm"), &test).unwrap();
    let spec = format!("libsvm:{},{}", path_in(d, "a.svm"), path_in(d, "b.svm"));
    let e = fails(&["train", "--data", &spec]);
    assert!(e.contains("line 1: index 1000000007 is beyond the limit"), "{e}");
    let s = train_eval_predict(&spec, &["--hash-bits", "4"], d);
    // 2^4 weights per class, and a bias each.
    assert_eq!(s["parameters"], 2 * 16 + 2, "{s}");
    let model = path_in(d, "m.safetensors");
    // eval re-reads the recorded source hashed (unhashed, its indices would be refused), and
    // agrees with the training run's own test figures.
    let e = last_json(&ok(&["eval", "--model", &model, "--json"]));
    assert_eq!(e["accuracy"], s["test_accuracy"], "{e} {s}");
    // predict hashes another LIBSVM file named with --data the same way.
    let other = format!("libsvm:{}", path_in(d, "b.svm"));
    let p = ok(&["predict", "--model", &model, "--data", &other, "--split", "all"]);
    assert_eq!(p.lines().count(), 11, "{p}");
    for (bits, want) in [("0", "got 0"), ("32", "got 32")] {
        let e = fails(&["train", "--data", &spec, "--hash-bits", bits]);
        assert!(
            e.contains("--hash-bits must be an integer from 1 to 31") && e.contains(want),
            "{e}"
        );
    }
    let e = fails(&["train", "--data", "digits", "--hash-bits", "3"]);
    assert!(e.contains("--hash-bits applies only to LIBSVM data"), "{e}");
}

#[test]
fn streamed_training_in_one_window_equals_one_epoch_in_memory_and_bad_streams_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let line = |i: u32| format!("{} {}:1 {}:{}\n", i % 3, i % 3 + 1, i % 5 + 4, i % 7);
    std::fs::write(d.join("a.svm"), (0..90).map(line).collect::<String>()).unwrap();
    std::fs::write(d.join("b.svm"), (90..120).map(line).collect::<String>()).unwrap();
    let spec = format!("libsvm:{},{}", path_in(d, "a.svm"), path_in(d, "b.svm"));
    let (m, s) = (path_in(d, "m.safetensors"), path_in(d, "s.safetensors"));
    let common = ["train", "--data", &spec, "--epochs", "1", "--batch-size", "8", "--json"];
    ok(&[&common[..], &["--out", &m]].concat());
    let streamed = last_json(&ok(&[
        &common[..],
        &["--out", &s, "--stream", "--shuffle-buffer", "90"],
    ]
    .concat()));
    assert_eq!(
        (streamed["windows"].as_u64(), streamed["rows"].as_u64()),
        (Some(1), Some(90))
    );
    // The same weights: the same probabilities for every test row, to the last digit.
    let proba = |model: &str| ok(&["predict", "--model", model, "--proba"]);
    assert_eq!(proba(&m), proba(&s));
    // Windows of 20 rows over 2 passes: 5 windows a pass.
    let w = last_json(&ok(&[
        &common[..],
        &["--stream", "--shuffle-buffer", "20", "--passes", "2"],
    ]
    .concat()));
    assert_eq!(w["windows"], 10, "{w}");
    std::fs::write(d.join("c.svm"), "0 1:1\n2 2:1\n1 3:x\n").unwrap();
    let e = fails(&[
        "train",
        "--data",
        &format!("libsvm:{}", path_in(d, "c.svm")),
        "--stream",
    ]);
    assert!(e.contains("c.svm: line 3: index 3: 'x' is not a number"), "{e}");
    std::fs::write(d.join("c.svm"), "0 1:1\n2 2:1").unwrap();
    let e = fails(&[
        "train",
        "--data",
        &format!("libsvm:{}", path_in(d, "c.svm")),
        "--stream",
    ]);
    assert!(e.contains("c.svm: line 2: the file ends within this line"), "{e}");
    let e = fails(&["train", "--data", "digits", "--stream"]);
    assert!(e.contains("--stream reads LIBSVM or CSV files"), "{e}");
}

#[test]
fn a_streamed_csv_file_trains_as_in_memory_and_its_model_reads_test_files_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let row = |i: u32| {
        format!(
            "{},{},{}\n",
            ["a", "b", "c"][(i % 3) as usize],
            i % 7,
            ["no", "yes"][(i % 2) as usize]
        )
    };
    let table = |rows: std::ops::Range<u32>| format!("shape,size,answer\n{}", rows.map(row).collect::<String>());
    std::fs::write(d.join("train.csv"), table(0..60)).unwrap();
    std::fs::write(d.join("test.csv"), table(60..80)).unwrap();
    let data = format!("csv:{}", path_in(d, "train.csv"));
    let test = format!("csv:{}", path_in(d, "test.csv"));
    let (m, s) = (path_in(d, "m.safetensors"), path_in(d, "s.safetensors"));
    let common = [
        "train",
        "--data",
        &data,
        "--test-data",
        &test,
        "--categorical",
        "shape",
        "--epochs",
        "1",
        "--batch-size",
        "8",
        "--json",
    ];
    let memory = last_json(&ok(&[&common[..], &["--out", &m]].concat()));
    let streamed = last_json(&ok(&[
        &common[..],
        &["--out", &s, "--stream", "--shuffle-buffer", "100"],
    ]
    .concat()));
    assert_eq!(
        (streamed["windows"].as_u64(), streamed["rows"].as_u64()),
        (Some(1), Some(60))
    );
    assert_eq!(
        streamed["test_accuracy"], memory["test_accuracy"],
        "{streamed} {memory}"
    );
    // Both models read the test file recorded with them, by column name, to the last digit.
    let proba = |model: &str| ok(&["predict", "--model", model, "--proba"]);
    assert_eq!(proba(&m), proba(&s));
    let w = last_json(&ok(&[
        &common[..],
        &["--stream", "--shuffle-buffer", "25", "--passes", "2"],
    ]
    .concat()));
    assert_eq!(w["windows"], 6, "{w}");
    let e = fails(&[&common[..], &["--stream", "--val-data", &test]].concat());
    assert!(
        e.contains("--stream does not take --resume, --checkpoint or --val-data"),
        "{e}"
    );
}
