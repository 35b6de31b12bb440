//! `gradus train`, `eval` and `predict` end to end on the embedded digits and on CSV files.

mod common;
use common::*;

const FAST: &[&str] = &["--epochs", "8", "--batch-size", "32", "--lr", "0.05", "--json"];

fn train(extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["train"];
    args.extend_from_slice(FAST);
    args.extend_from_slice(extra);
    last_json(&ok(&args))
}

#[test]
fn every_classification_loss_learns_the_digits() {
    for (loss, lr) in [("softmax", "0.05"), ("svm", "0.05"), ("squared-svm", "0.01")] {
        let r = train(&["--loss", loss, "--lr", lr]);
        let acc = r["test_accuracy"].as_f64().unwrap();
        assert!(acc > 0.93, "{loss}: test accuracy {acc}");
        assert_eq!(r["epochs"], 8);
        for key in ["train_loss", "train_accuracy", "seconds", "seconds_per_epoch"] {
            assert!(r[key].as_f64().is_some(), "{loss}: {key} missing");
        }
    }
}

/// `gradus train` with no flags trains: the default rate is gradus' own (0.1 for sgd), and
/// `--preset torch` takes torch's (1e-3) instead.
#[test]
fn the_default_run_trains_and_the_torch_preset_keeps_torchs_rates() {
    let r = last_json(&ok(&["train", "--json"]));
    assert_eq!(r["lr"], 0.1);
    assert!(r["test_accuracy"].as_f64().unwrap() >= 0.93, "{r}");
    let r = last_json(&ok(&["train", "--preset", "torch", "--epochs", "1", "--json"]));
    assert_eq!(r["lr"], 1e-3);
    let r = last_json(&ok(&[
        "train",
        "--preset",
        "torch",
        "--optimizer",
        "adam",
        "--epochs",
        "1",
        "--json",
    ]));
    assert_eq!(r["lr"], 1e-3);
    let r = last_json(&ok(&["train", "--optimizer", "adam", "--epochs", "1", "--json"]));
    assert_eq!(r["lr"], 0.01);
    assert!(fails(&["train", "--preset", "keras"]).contains("must be gradus or torch"));
}

/// `--convention textbook` reaches the rule (and its description), and is refused where the
/// forms are the same.
#[test]
fn the_textbook_convention_is_a_flag() {
    let r = last_json(&ok(&[
        "train",
        "--optimizer",
        "nesterov",
        "--convention",
        "textbook",
        "--json",
    ]));
    assert!(r["test_accuracy"].as_f64().unwrap() >= 0.93, "{r}");
    assert!(fails(&["train", "--convention", "textbook"]).contains("--convention does not apply to sgd"));
    assert!(fails(&["train", "--optimizer", "adam", "--convention", "book"]).contains("must be torch or textbook"));
}

#[test]
fn full_batch_minibatch_and_single_example_regimes() {
    let full = train(&["--batch-size", "full", "--lr", "0.5", "--epochs", "60"]);
    assert!(full["test_accuracy"].as_f64().unwrap() > 0.9, "{full}");
    let single = train(&["--batch-size", "1", "--lr", "0.005", "--epochs", "2"]);
    assert!(single["test_accuracy"].as_f64().unwrap() > 0.9, "{single}");
}

#[test]
fn tolerance_and_early_stopping_end_a_run() {
    let r = train(&["--epochs", "500", "--tol", "1e-3"]);
    assert_eq!(r["stop"]["reason"], "converged");
    assert!(r["epochs"].as_u64().unwrap() < 500);
    let r = train(&["--epochs", "500", "--early-stopping", "3"]);
    assert_eq!(r["stop"]["reason"], "early-stopped");
}

#[test]
fn same_seed_same_model_file_and_eval_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (
        path_in(dir.path(), "a.safetensors"),
        path_in(dir.path(), "b.safetensors"),
    );
    let ra = train(&["--seed", "7", "--out", &a, "--reg", "l2:1e-4"]);
    train(&["--seed", "7", "--out", &b, "--reg", "l2:1e-4"]);
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let c = path_in(dir.path(), "c.safetensors");
    train(&["--seed", "8", "--out", &c]);
    assert_ne!(std::fs::read(&a).unwrap(), std::fs::read(&c).unwrap());

    // eval re-draws the same held-out rows from the model's seed.
    let e = last_json(&ok(&["eval", "--model", &a, "--json"]));
    assert_eq!(e["accuracy"], ra["test_accuracy"]);
    assert_eq!(e["rows"], 359);
    assert_eq!(e["confusion"].as_array().unwrap().len(), 10);
    let text = ok(&["eval", "--model", &a]);
    assert!(
        text.contains("precision") && text.contains("confusion matrix"),
        "{text}"
    );

    let p = ok(&["predict", "--model", &a, "--data", "digits", "--split", "test"]);
    assert_eq!(p.lines().count(), 360);
    let probs = ok(&[
        "predict", "--model", &a, "--data", "digits", "--proba", "--split", "test",
    ]);
    let row: Vec<f64> = probs
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .skip(1)
        .map(|v| v.parse().unwrap())
        .collect();
    assert_eq!(row.len(), 10);
    assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-9);
}

#[test]
fn csv_classification_and_regression() {
    let dir = tempfile::tempdir().unwrap();
    // y = 2·a − b + 0.5, exactly learnable by least squares.
    let mut reg = String::from("a,b,y\n");
    let mut cls = String::from("x1,x2,label\n");
    for i in 0..200 {
        let (a, b) = ((i % 17) as f64 / 4.0, (i % 11) as f64 / 3.0);
        reg += &format!("{a},{b},{}\n", 2.0 * a - b + 0.5);
        cls += &format!("{a},{b},{}\n", if a > b { "big" } else { "small" });
    }
    let (rp, cp) = (path_in(dir.path(), "reg.csv"), path_in(dir.path(), "cls.csv"));
    std::fs::write(&rp, reg).unwrap();
    std::fs::write(&cp, cls).unwrap();
    let r = last_json(&ok(&[
        "train",
        "--data",
        &format!("csv:{rp}"),
        "--task",
        "regress",
        "--loss",
        "squared",
        "--label-column",
        "y",
        "--epochs",
        "200",
        "--batch-size",
        "16",
        "--lr",
        "0.05",
        "--json",
    ]));
    assert!(r["test_rmse"].as_f64().unwrap() < 1e-2, "{r}");
    let model = path_in(dir.path(), "cls.safetensors");
    let r = last_json(&ok(&[
        "train",
        "--data",
        &format!("csv:{cp}"),
        "--loss",
        "logistic",
        "--epochs",
        "100",
        "--lr",
        "0.5",
        "--out",
        &model,
        "--json",
    ]));
    assert!(r["test_accuracy"].as_f64().unwrap() > 0.95, "{r}");
    // Prediction on a file without the label column gives class names.
    let unlabelled = path_in(dir.path(), "new.csv");
    std::fs::write(&unlabelled, "x1,x2\n3,0\n0,3\n").unwrap();
    assert_eq!(
        ok(&["predict", "--model", &model, "--data", &format!("csv:{unlabelled}")]),
        "row,class\n0,big\n1,small\n"
    );
}

#[test]
fn divergence_is_a_clear_error_and_keeps_the_saved_model() {
    let dir = tempfile::tempdir().unwrap();
    let out = path_in(dir.path(), "m.safetensors");
    std::fs::write(&out, b"precious").unwrap();
    let e = fails(&[
        "train",
        "--loss",
        "squared-svm",
        "--lr",
        "1e6",
        "--scale",
        "none",
        "--epochs",
        "5",
        "--out",
        &out,
    ]);
    assert!(
        e.contains("epoch 1") && e.contains("try a smaller learning rate"),
        "{e}"
    );
    assert_eq!(std::fs::read(&out).unwrap(), b"precious");
}

#[test]
fn bad_flags_and_data_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    assert!(fails(&["train", "--lr", "-1"]).contains("--lr must be a finite number > 0, got -1"));
    assert!(fails(&["train", "--epochs", "0"]).contains("--epochs"));
    assert!(fails(&["train", "--batch-size", "0"]).contains("--batch-size"));
    assert!(fails(&["train", "--scale", "bogus"]).contains("--scale"));
    assert!(fails(&["train", "--model", "mlp:x"]).contains("--model"));
    assert!(fails(&["train", "--reg", "l2:-3"]).contains("--reg"));
    assert!(fails(&["train", "--loss", "logistic"]).contains("needs 2 classes"));
    assert!(fails(&["train", "--loss", "squared"]).contains("real-valued targets"));
    assert!(fails(&["train", "--data", "csv:/no/such.csv"]).contains("/no/such.csv"));
    assert!(fails(&["train", "--data", "mnist:/no/such/dir"]).contains("/no/such/dir"));
    assert!(fails(&["train", "--bogus-flag"]).contains("--bogus-flag"));
    assert!(fails(&["train", "--test-fraction", "1.5"]).contains("--test-fraction"));

    let nan = path_in(dir.path(), "nan.csv");
    std::fs::write(&nan, "a,b,label\n1,2,0\n3,NaN,1\n").unwrap();
    assert!(fails(&["train", "--data", &format!("csv:{nan}")]).contains("not finite"));
    let ragged = path_in(dir.path(), "ragged.csv");
    std::fs::write(&ragged, "a,b,label\n1,2,0\n3,1\n").unwrap();
    assert!(fails(&["train", "--data", &format!("csv:{ragged}")]).contains("line 3"));

    let model = path_in(dir.path(), "m.safetensors");
    ok(&["train", "--epochs", "1", "--out", &model]);
    let bytes = std::fs::read(&model).unwrap();
    let cut = path_in(dir.path(), "cut.safetensors");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    assert!(fails(&["eval", "--model", &cut]).contains("cut.safetensors"));
    assert!(fails(&["eval", "--model", &path_in(dir.path(), "none")]).contains("No such file"));
    let wide = path_in(dir.path(), "wide.csv");
    std::fs::write(&wide, "a,b,label\n1,2,0\n").unwrap();
    assert!(fails(&["eval", "--model", &model, "--data", &format!("csv:{wide}")]).contains("model expects 64"));
}

#[test]
fn corrupt_idx_files_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let images = |n: u8| {
        [
            vec![0, 0, 8, 3, 0, 0, 0, n, 0, 0, 0, 2, 0, 0, 0, 2],
            vec![7; 4 * n as usize],
        ]
        .concat()
    };
    let labels = |n: u8| [vec![0, 0, 8, 1, 0, 0, 0, n], vec![1; n as usize]].concat();
    let cases: [(&str, Vec<u8>, &str); 4] = [
        ("train-images-idx3-ubyte", images(3)[..20].to_vec(), "truncated"),
        ("train-labels-idx1-ubyte", vec![1, 2, 3], "train-labels"),
        (
            "t10k-labels-idx1-ubyte",
            [vec![0, 0, 8, 1, 0, 0, 0, 2], vec![1, 99]].concat(),
            "out of range",
        ),
        (
            "t10k-images-idx3-ubyte",
            b"\x1f\x8b not really gzip".to_vec(),
            "t10k-images",
        ),
    ];
    for (i, (victim, bytes, expect)) in cases.iter().enumerate() {
        let d = dir.path().join(format!("case{i}"));
        std::fs::create_dir(&d).unwrap();
        for (name, good) in [
            ("train-images-idx3-ubyte", images(3)),
            ("train-labels-idx1-ubyte", labels(3)),
            ("t10k-images-idx3-ubyte", images(2)),
            ("t10k-labels-idx1-ubyte", labels(2)),
        ] {
            std::fs::write(d.join(name), if name == *victim { bytes.clone() } else { good }).unwrap();
        }
        let e = fails(&["train", "--data", &format!("mnist:{}", d.display()), "--epochs", "1"]);
        assert!(e.contains(expect), "case {i}: {e}");
    }
}

#[test]
fn a_resumed_checkpoint_continues_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let (whole, part, resumed) = resume_paths(dir.path());
    let base = [
        "train",
        "--model",
        "mlp:16",
        "--optimizer",
        "adam",
        "--schedule",
        "step:1,0.5",
        "--batch-size",
        "50",
    ];
    ok(&[&base[..], &["--epochs", "4", "--out", &whole]].concat());
    ok(&[&base[..], &["--epochs", "2", "--checkpoint", &part]].concat());
    ok(&["train", "--resume", &part, "--epochs", "4", "--out", &resumed]);
    assert_eq!(std::fs::read(&whole).unwrap(), std::fs::read(&resumed).unwrap());
    assert!(fails(&["train", "--resume", &whole]).contains("not a checkpoint"));
}

/// The checkpoint holds the early-stopping record and the split: resumed between the best
/// epoch and the stop, a run with a validation split stops where the uninterrupted one did and
/// keeps the same epoch.
#[test]
fn a_resumed_early_stopping_run_keeps_its_best_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let (whole, part, resumed) = resume_paths(dir.path());
    let base = [&["train", "--json"], EARLY_STOPPING_RUN].concat();
    let r = last_json(&ok(&[&base[..], &["--epochs", "40", "--out", &whole]].concat()));
    let best = r["stop"]["best_epoch"].as_u64().expect("early stopping");
    let stopped = r["epochs"].as_u64().unwrap();
    assert!(best + 1 < stopped, "{r}");
    let cut = (best + 1).to_string();
    ok(&[&base[..], &["--epochs", &cut, "--checkpoint", &part]].concat());
    let rest = last_json(&ok(&[
        "train", "--resume", &part, "--epochs", "40", "--out", &resumed, "--json",
    ]));
    assert_eq!(rest["stop"], r["stop"]);
    assert_eq!(rest["epochs"].as_u64().unwrap(), stopped);
    assert_eq!(rest["epochs_run"].as_u64().unwrap() + best + 1, stopped);
    assert_eq!(std::fs::read(&whole).unwrap(), std::fs::read(&resumed).unwrap());
}

#[test]
fn learning_curves_are_plotted() {
    let dir = tempfile::tempdir().unwrap();
    let png = path_in(dir.path(), "curve.png");
    let r = train(&["--early-stopping", "50", "--plot", &png]);
    assert_eq!(r["plot"], png.as_str());
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG\r\n\x1a\n"));
    assert!(fails(&["train", "--plot", &path_in(dir.path(), "curve.jpg")]).contains("--plot must end in .svg or .png"));
}

/// A usage error keeps clap's advice: the flag it meant, the arguments missing.
#[test]
fn usage_errors_say_what_was_meant() {
    let out = gradus(&["train", "--epoch", "3"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("gradus: error: unexpected argument '--epoch'"), "{err}");
    assert!(err.contains("a similar argument exists: '--epochs'"), "{err}");
    let out = gradus(&["trajectory", "--function", "beale", "--steps", "10"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--start <X,Y>"), "{err}");
    assert_eq!(out.status.code(), Some(2));
}

/// House prices in the hundreds of thousands: targets are standardized by default (and the
/// predictions mapped back), so the README's command reaches the noise level, and the RMSE is
/// in the target's units.
#[test]
fn regression_targets_in_the_hundreds_of_thousands() {
    let dir = tempfile::tempdir().unwrap();
    let noise = 20_000.0;
    let mut text = String::from("rooms,area,age,price\n");
    let mut state = 12345u64;
    let mut uniform = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    for _ in 0..500 {
        let (rooms, area, age) = (
            (uniform() * 6.0).ceil(),
            40.0 + 210.0 * uniform(),
            (uniform() * 80.0).floor(),
        );
        // Box–Muller: a standard normal from two uniforms.
        let z = (-2.0 * uniform().ln()).sqrt() * (std::f64::consts::TAU * uniform()).cos();
        let price = 60_000.0 + 25_000.0 * rooms + 1_200.0 * area - 900.0 * age + noise * z;
        text += &format!("{rooms},{area:.1},{age},{price:.2}\n");
    }
    let path = path_in(dir.path(), "houses.csv");
    std::fs::write(&path, text).unwrap();
    let data = format!("csv:{path}");
    let readme = [
        "train",
        "--data",
        &data,
        "--task",
        "regress",
        "--loss",
        "squared",
        "--label-column",
        "price",
        "--lr",
        "0.05",
        "--epochs",
        "50",
        "--json",
    ];
    let rmse = last_json(&ok(&readme))["test_rmse"].as_f64().unwrap();
    assert!(rmse > 0.7 * noise && rmse < 1.15 * noise, "test RMSE {rmse}");
    // The predictions are prices, and `eval` agrees.
    let model = path_in(dir.path(), "houses.st");
    ok(&[&readme[..], &["--out", &model]].concat());
    let e = last_json(&ok(&["eval", "--model", &model, "--json"]));
    assert_eq!(e["rmse"].as_f64().unwrap(), rmse);
    let p = ok(&["predict", "--model", &model, "--data", &data, "--split", "test"]);
    let first: f64 = p.lines().nth(1).unwrap().split(',').nth(1).unwrap().parse().unwrap();
    assert!(first > 50_000.0 && first < 1_000_000.0, "{first}");
    assert!(
        fails(&["train", "--target-scale", "standardize"]).contains("--target-scale standardize applies to regression")
    );
}

/// A model trained on `csv:FILE` (a relative path) finds its file from any directory, notices
/// when it has changed, and `predict` gives one line per row of the file, with its row id.
#[test]
fn a_csv_model_finds_its_file_and_predicts_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("x1,x2,label\n");
    for i in 0..60 {
        let (a, b) = ((i % 7) as f64, (i % 5) as f64);
        text += &format!("{a},{b},{}\n", if a > b { "big" } else { "small" });
    }
    std::fs::write(dir.path().join("t.csv"), &text).unwrap();
    let in_dir = |args: &[&str], cwd: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_gradus"))
            .args(args)
            .current_dir(cwd)
            .output()
            .unwrap()
    };
    let out = in_dir(
        &[
            "train",
            "--data",
            "csv:t.csv",
            "--lr",
            "0.1",
            "--epochs",
            "20",
            "--out",
            "m.st",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let model = path_in(dir.path(), "m.st");
    // From elsewhere: the held-out rows of the model's own split.
    let e = last_json(&ok(&["eval", "--model", &model, "--json"]));
    assert_eq!(e["rows"], 12);
    // predict: every row of the file, numbered.
    let csv = format!("csv:{}", path_in(dir.path(), "t.csv"));
    let p = ok(&["predict", "--model", &model, "--data", &csv]);
    let lines: Vec<&str> = p.lines().collect();
    assert_eq!(lines.len(), 61);
    assert_eq!(lines[0], "row,class");
    assert!(lines[1].starts_with("0,") && lines[60].starts_with("59,"), "{p}");
    // The held-out rows keep their ids in the file.
    let test = ok(&["predict", "--model", &model, "--data", &csv, "--split", "test"]);
    assert_eq!(test.lines().count(), 13);
    // A changed file is noticed; naming it with --data uses it as it is.
    std::fs::write(dir.path().join("t.csv"), text + "1,1,small\n").unwrap();
    let e = fails(&["eval", "--model", &model]);
    assert!(e.contains("has changed since the model was trained"), "{e}");
    let e = last_json(&ok(&["eval", "--model", &model, "--data", &csv, "--json"]));
    assert_eq!(e["rows"], 12);
}

/// A header over numeric features (`1,2,3,label`) is read as a header, not as a row of a class
/// called `label`; `--header` says it outright, and the model remembers what was said.
#[test]
fn a_numeric_looking_header_is_a_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = path_in(dir.path(), "h.csv");
    let mut text = String::from("1,2,label\n");
    for i in 0..40 {
        text += &format!("{},{},{}\n", i % 5, i % 3, usize::from(i % 5 > 2));
    }
    std::fs::write(&path, text).unwrap();
    let data = format!("csv:{path}");
    let model = path_in(dir.path(), "h.st");
    ok(&["train", "--data", &data, "--epochs", "2", "--out", &model]);
    let e = last_json(&ok(&["eval", "--model", &model, "--json"]));
    assert_eq!(e["confusion"].as_array().unwrap().len(), 2, "{e}");
    // Said to be data, the first line is a row whose class is called `label`: the model knows
    // three classes, and eval reads the file as training did.
    let forced = path_in(dir.path(), "forced.st");
    ok(&[
        "train", "--data", &data, "--header", "no", "--epochs", "2", "--out", &forced,
    ]);
    let e = last_json(&ok(&["eval", "--model", &forced, "--split", "all", "--json"]));
    assert_eq!(
        (e["rows"].as_u64(), e["confusion"].as_array().unwrap().len()),
        (Some(41), 3),
        "{e}"
    );
    ok(&["train", "--data", &data, "--header", "yes", "--epochs", "2"]);
    assert!(fails(&["train", "--header", "yes"]).contains("--header applies only to CSV data"));
    assert!(fails(&["train", "--data", &data, "--header", "perhaps"]).contains("--header must be auto, yes or no"));
}

/// `--class-weight` reaches training and the model file: weights of 2 for every class with
/// half the rate train the unweighted run's model bit for bit, with exactly twice its loss,
/// which `eval` (reading the weights back from the file) reports too; `balanced` trains; bad
/// values are one-line errors.
#[test]
fn class_weights_reach_training_and_the_model_file() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (path_in(dir.path(), "a.st"), path_in(dir.path(), "b.st"));
    let plain = train(&["--lr", "0.05", "--out", &a]);
    let twos = ["2"; 10].join(",");
    let weighted = train(&["--lr", "0.025", "--class-weight", &twos, "--out", &b]);
    let (fa, fb) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    for name in ["layers.0.weight", "layers.0.bias"] {
        assert_eq!(tensor(&fa, name), tensor(&fb, name), "{name}");
    }
    let loss = |r: &serde_json::Value, key: &str| r[key].as_f64().unwrap();
    for key in ["train_loss", "test_loss"] {
        assert_eq!(loss(&weighted, key), 2.0 * loss(&plain, key), "{key}");
    }
    let eval = |m: &str, split: &str| {
        loss(
            &last_json(&ok(&["eval", "--model", m, "--split", split, "--json"])),
            "loss",
        )
    };
    assert_eq!(eval(&b, "test"), loss(&weighted, "test_loss"));
    assert_eq!(eval(&b, "train"), loss(&weighted, "train_loss"));
    assert_eq!(eval(&a, "test"), loss(&plain, "test_loss"));

    let balanced = train(&["--class-weight", "balanced"]);
    assert!(balanced["test_accuracy"].as_f64().unwrap() > 0.93, "{balanced}");
    assert!(ok(&["train", "--help"]).contains("--class-weight"));
    for (value, says) in [
        (
            "1,2,3",
            "--class-weight gives 3 weights (1,2,3), and the data has 10 classes",
        ),
        ("-1,1", "--class-weight weights must be finite numbers ≥ 0, got -1"),
        (
            "heavy",
            "--class-weight must be 'balanced' or one weight per class (W0,W1,…), got 'heavy'",
        ),
        ("0,0", "--class-weight needs at least one weight > 0"),
    ] {
        let e = fails(&["train", "--epochs", "1", "--class-weight", value]);
        assert!(e.contains(says), "{value}: {e}");
    }
    let e = fails(&[
        "train",
        "--task",
        "regress",
        "--data",
        "digits",
        "--class-weight",
        "balanced",
    ]);
    assert!(e.contains("applies to classification"), "{e}");
}
