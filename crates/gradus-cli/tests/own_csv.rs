//! A user's own CSV files: explicit test and validation files, no forced split, column
//! selection, categorical columns, missing values, and the column mapping a model keeps.

mod common;

use common::{fails, gradus, last_json, ok, path_in};
use std::path::Path;

const TRAIN: &str = "tests/fixtures/temperature/train.csv";
const TEST: &str = "tests/fixtures/temperature/test.csv";

/// Writes `text` to `dir/name`; returns its `csv:` spec.
fn csv(dir: &Path, name: &str, text: &str) -> String {
    std::fs::write(dir.join(name), text).unwrap();
    format!("csv:{}", path_in(dir, name))
}

/// The predictions `gradus predict` prints (`row,prediction` lines).
fn predictions(stdout: &str) -> Vec<f64> {
    stdout
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
        .collect()
}

/// Trains a ridge regression of temperature on latitude (the lectures' table) with full-batch
/// gradient descent, λ = `lambda`, saved to `out`.
fn temperature_model(out: &str, lambda: &str) -> serde_json::Value {
    let reg = format!("l2:{lambda}");
    let data = format!("csv:{TRAIN}");
    let test = format!("csv:{TEST}");
    last_json(&ok(&[
        "train",
        "--data",
        &data,
        "--test-data",
        &test,
        "--task",
        "regress",
        "--label-column",
        "temp",
        "--ignore-columns",
        "city",
        "--reg",
        &reg,
        "--batch-size",
        "full",
        "--epochs",
        "300",
        "--out",
        out,
        "--json",
    ]))
}

/// Least squares by the closed form, on standardized latitude and temperature (what gradus
/// fits): the slope `r σ_y / σ_x` shrunk by ridge's `1 + 2λ` (the objective is
/// `(1/N) Σ ½ (w u + b − v)² + λ w²`, so `w = r / (1 + 2λ)`), then mapped back.
fn closed_form(lambda: f64, lat: &[f64]) -> Vec<f64> {
    let (x, y) = ([42.0, 39.0, 30.0], [33.0, 38.0, 62.0]);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (mx, my) = (mean(&x), mean(&y));
    let sxy: f64 = x.iter().zip(&y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    let slope = sxy / sxx / (1.0 + 2.0 * lambda);
    lat.iter().map(|l| my + slope * (l - mx)).collect()
}

#[test]
fn the_temperature_table_gives_the_least_squares_fit_and_ridge_shrinks_it() {
    let dir = tempfile::tempdir().unwrap();
    let lats = [42.0, 39.0, 30.0, 19.0, 9.0];
    // The lectures' figures: slope −2.474, intercept 135.9.
    let lectures = [31.9, 39.4, 61.7, 88.9, 113.6];
    for (lambda, name) in [(0.0, "ols.st"), (0.5, "ridge.st")] {
        let model = path_in(dir.path(), name);
        let s = temperature_model(&model, &lambda.to_string());
        assert_eq!(s["stop"]["reason"], "max-epochs");
        let train = predictions(&ok(&["predict", "--model", &model]));
        let test = predictions(&ok(&["predict", "--model", &model, "--data", &format!("csv:{TEST}")]));
        let all: Vec<f64> = train.into_iter().chain(test).collect();
        for ((p, want), l) in all.iter().zip(closed_form(lambda, &lats)).zip(lectures) {
            assert!(
                (p - want).abs() < 1e-3,
                "λ = {lambda}: {p} against the closed form's {want}"
            );
            if lambda == 0.0 {
                // The lectures print one decimal (31.96 as 31.9).
                assert!((p - l).abs() < 0.1, "{p} against the lectures' {l}");
            }
        }
        let rmse = s["test_rmse"].as_f64().unwrap();
        let want = closed_form(lambda, &[19.0, 9.0]);
        let expected = (((want[0] - 67.0).powi(2) + (want[1] - 83.0).powi(2)) / 2.0).sqrt();
        assert!((rmse - expected).abs() < 1e-3, "test rmse {rmse} against {expected}");
    }
}

#[test]
fn predict_finds_the_model_columns_by_name_in_any_order() {
    let dir = tempfile::tempdir().unwrap();
    let model = path_in(dir.path(), "m.st");
    temperature_model(&model, "0");
    let shuffled = csv(
        dir.path(),
        "s.csv",
        "temp,station,lat,city\n67,x,19,Mexico City\n83,y,9,Panama City\n",
    );
    let out = gradus(&["predict", "--model", &model, "--data", &shuffled]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("note: ignoring column 'station', which the model does not use"),
        "{stderr}"
    );
    let p = predictions(&String::from_utf8_lossy(&out.stdout));
    let want = closed_form(0.0, &[19.0, 9.0]);
    assert!((p[0] - want[0]).abs() < 1e-3 && (p[1] - want[1]).abs() < 1e-3, "{p:?}");
    // Without the label column, and without the others.
    let bare = csv(dir.path(), "b.csv", "lat\n9\n19\n");
    let q = predictions(&ok(&["predict", "--model", &model, "--data", &bare]));
    assert!((q[0] - p[1]).abs() < 1e-4 && (q[1] - p[0]).abs() < 1e-4);
    // A file that lacks a feature column.
    let e = fails(&[
        "predict",
        "--model",
        &model,
        "--data",
        &csv(dir.path(), "c.csv", "city,temp\nRome,60\n"),
    ]);
    assert!(e.contains("no column named 'lat' (a feature)"), "{e}");
}

#[test]
fn test_fraction_zero_trains_on_every_row_and_reports_training_figures_only() {
    let dir = tempfile::tempdir().unwrap();
    let model = path_in(dir.path(), "m.st");
    let s = last_json(&ok(&[
        "train",
        "--test-fraction",
        "0",
        "--epochs",
        "2",
        "--out",
        &model,
        "--json",
    ]));
    assert!(s["test_accuracy"].is_null() && s["test_loss"].is_null(), "{s}");
    assert!(s["train_accuracy"].as_f64().unwrap() > 0.8);
    let text = ok(&["train", "--test-fraction", "0", "--epochs", "1"]);
    assert!(
        text.contains("no test rows (--test-fraction 0): training figures only"),
        "{text}"
    );
    assert!(!text.contains("test accuracy"));
    let e = fails(&["eval", "--model", &model]);
    assert!(
        e.contains("the model was trained on every row of digits (test fraction 0)"),
        "{e}"
    );
    let all = last_json(&ok(&["eval", "--model", &model, "--split", "train", "--json"]));
    assert_eq!(all["rows"], 1797);
}

#[test]
fn validation_rows_of_their_own_drive_early_stopping() {
    let dir = tempfile::tempdir().unwrap();
    let rows: String = (0..60)
        .map(|i| format!("{},{},{}\n", i % 7, (i * 3) % 11, i % 2))
        .collect();
    let train = csv(dir.path(), "train.csv", &format!("a,b,y\n{rows}"));
    let val = csv(dir.path(), "val.csv", &format!("b,a,y\n{}", "3,1,1\n4,2,0\n5,6,1\n"));
    let out = gradus(&[
        "train",
        "--data",
        &train,
        "--val-data",
        &val,
        "--early-stopping",
        "2",
        "--epochs",
        "30",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains(" 48 train / 3 val / 12 test rows"), "{stderr}");
    let e = fails(&["train", "--data", &train, "--val-data", &val, "--val-fraction", "0.1"]);
    assert!(e.contains("--val-fraction") && e.contains("--val-data"), "{e}");
}

#[test]
fn categorical_columns_round_trip_through_the_model_file() {
    let dir = tempfile::tempdir().unwrap();
    // The class is decided by the colour alone.
    let rows: String = (0..90)
        .map(|i| {
            let colour = ["red", "green", "blue"][i % 3];
            format!(
                "{colour},{},{}\n",
                (i * 7) % 5,
                if colour == "blue" { "yes" } else { "no" }
            )
        })
        .collect();
    let data = csv(dir.path(), "c.csv", &format!("colour,noise,label\n{rows}"));
    let model = path_in(dir.path(), "m.st");
    for categorical in ["colour", "auto"] {
        let s = last_json(&ok(&[
            "train",
            "--data",
            &data,
            "--categorical",
            categorical,
            "--epochs",
            "30",
            "--out",
            &model,
            "--json",
        ]));
        assert_eq!(s["parameters"], 2 * (3 + 1) + 2, "{s}");
        assert_eq!(s["test_accuracy"], 1.0, "{s}");
    }
    let new = csv(dir.path(), "n.csv", "noise,colour\n1,blue\n2,purple\n3,red\n4,purple\n");
    let out = gradus(&["predict", "--model", &model, "--data", &new]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "warning: categories the training rows did not have, encoded as all zeros, in column 'colour' (2 rows)"
        ),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let classes: Vec<&str> = stdout.lines().skip(1).map(|l| l.split(',').nth(1).unwrap()).collect();
    assert_eq!((classes[0], classes[2]), ("yes", "no"));
    // The model's categories are sorted: blue, green, red.
    let e = fails(&[
        "train",
        "--data",
        &data,
        "--categorical",
        "noise,colour",
        "--ignore-columns",
        "noise",
    ]);
    assert!(
        e.contains("column 'noise' in --categorical is not a feature: it is ignored"),
        "{e}"
    );
}

#[test]
fn missing_values_are_filled_from_the_training_rows() {
    let dir = tempfile::tempdir().unwrap();
    // y = 2x; x is missing in one row. Mean of x: 13/3; median: 2.
    let data = csv(dir.path(), "m.csv", "x,y\n1,2\n2,4\n10,20\n,6\n");
    let e = fails(&["train", "--data", &data, "--task", "regress"]);
    assert!(
        e.contains("line 5, column 'x': empty field (fill missing values with --impute"),
        "{e}"
    );
    for (how, fill) in [("mean", 13.0 / 3.0), ("median", 2.0), ("zero", 0.0)] {
        let model = path_in(dir.path(), &format!("{how}.st"));
        ok(&[
            "train",
            "--data",
            &data,
            "--task",
            "regress",
            "--impute",
            how,
            "--test-fraction",
            "0",
            "--epochs",
            "2",
            "--out",
            &model,
        ]);
        let rows = csv(dir.path(), "p.csv", &format!("x\nNA\n{fill}\n"));
        let p = predictions(&ok(&["predict", "--model", &model, "--data", &rows]));
        assert!(
            (p[0] - p[1]).abs() < 1e-5,
            "{how}: a missing x predicts {} , x = {fill} predicts {}",
            p[0],
            p[1]
        );
    }
    let e = fails(&["train", "--impute", "mean"]);
    assert!(e.contains("--impute applies only to CSV data"), "{e}");
    let e = fails(&["train", "--data", &data, "--impute", "mode"]);
    assert!(e.contains("--impute must be mean, median or zero, got 'mode'"), "{e}");
}

#[test]
fn bad_column_choices_are_one_line_errors_naming_the_column() {
    let dir = tempfile::tempdir().unwrap();
    let data = format!("csv:{TRAIN}");
    let base = ["train", "--data", &data, "--task", "regress", "--label-column", "temp"];
    let run = |extra: &[&str]| fails(&[&base[..], extra].concat());
    for (extra, expected) in [
        (
            &["--features", "lat,height"][..],
            "no column named 'height' (a feature); the columns are 'city', 'lat', 'temp'",
        ),
        (
            &["--features", "lat", "--ignore-columns", "lat"],
            "column 'lat' is both in --features and in --ignore-columns",
        ),
        (
            &["--ignore-columns", "temp"],
            "the label column 'temp' cannot be ignored (--ignore-columns)",
        ),
        (
            &[],
            "line 2, column 'city': 'Ann Arbor' is not a number (leave the column out with --ignore-columns 'city', or one-hot encode it with --categorical 'city')",
        ),
    ] {
        let e = run(extra);
        assert!(e.ends_with(expected), "{extra:?}: {e}");
    }
    // A test file whose columns differ.
    let other = csv(dir.path(), "t.csv", "city,latitude,temp\nRome,42,60\n");
    let e = run(&["--ignore-columns", "city", "--test-data", &other]);
    assert!(
        e.ends_with("no column named 'lat' (a feature); the columns are 'city', 'latitude', 'temp'"),
        "{e}"
    );
    // Column flags for data that is not CSV, and test rows for data with an official split.
    let e = fails(&["train", "--features", "1,2"]);
    assert!(e.contains("--features applies only to CSV data"), "{e}");
    let e = fails(&["train", "--test-data", &other]);
    assert!(
        e.contains("--test-data applies to CSV training data; digits is split by --test-fraction"),
        "{e}"
    );
}

#[test]
fn a_resumed_run_reads_its_columns_as_its_checkpoint_says() {
    let dir = tempfile::tempdir().unwrap();
    let rows: String = (0..40)
        .map(|i| format!("{},{},{}\n", ["a", "b"][i % 2], i % 5, i % 2))
        .collect();
    let data = csv(dir.path(), "d.csv", &format!("kind,x,y\n{rows}"));
    let (whole, part, resumed) = common::resume_paths(dir.path());
    let run = ["train", "--data", &data, "--categorical", "kind", "--impute", "zero"];
    ok(&[&run[..], &["--epochs", "4", "--out", &whole]].concat());
    ok(&[&run[..], &["--epochs", "2", "--checkpoint", &part]].concat());
    ok(&["train", "--resume", &part, "--epochs", "4", "--out", &resumed]);
    assert_eq!(
        std::fs::read(&whole).unwrap(),
        std::fs::read(&resumed).unwrap(),
        "a resumed run ends where an uninterrupted one does"
    );
    let e = fails(&["train", "--resume", &part, "--epochs", "4", "--categorical", "x"]);
    assert!(e.contains("--categorical cannot be given with --resume"), "{e}");
    let e = fails(&["train", "--resume", &part, "--epochs", "4", "--impute", "mean"]);
    assert!(e.contains("--impute mean conflicts with the checkpoint's zero"), "{e}");
}
