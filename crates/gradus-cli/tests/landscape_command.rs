//! `gradus landscape` and `train --record-path`: a slice around a trained model with its path,
//! random weights, and bad input.

mod common;

use common::{fails, last_json, ok, path_in};

#[test]
fn a_trained_models_plane_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let (model, path, csv, png) = (
        path_in(dir.path(), "m.st"),
        path_in(dir.path(), "run.path"),
        path_in(dir.path(), "l.csv"),
        path_in(dir.path(), "l.png"),
    );
    let s = last_json(&ok(&[
        "train",
        "--epochs",
        "3",
        "--record-path",
        &path,
        "--record-every",
        "10",
        "--out",
        &model,
        "--json",
    ]));
    // 23 steps an epoch on 1438 rows: the start, steps 10, 20, …, 60, and the last, 69.
    assert_eq!(s["path_records"], 8, "{s}");
    let e = last_json(&ok(&["eval", "--model", &model, "--split", "train", "--json"]));
    let out = last_json(&ok(&[
        "landscape",
        "--model",
        &model,
        "--path",
        &path,
        "--points",
        "11",
        "--csv",
        &csv,
        "--plot",
        &png,
        "--json",
    ]));
    assert_eq!(out["points"], 121);
    assert_eq!(out["path_points"], 8);
    // The centre of the grid is θ₀: the objective eval reports on the training split.
    let origin = out["origin_loss"].as_f64().unwrap();
    let loss = e["loss"].as_f64().unwrap();
    assert!((origin - loss).abs() <= 1e-5 * loss, "{origin} vs {loss}");
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(text.lines().next(), Some("a,b,loss"));
    assert_eq!(text.lines().count(), 122);
    assert!(std::fs::metadata(&png).unwrap().len() > 10_000);
    // The path's principal directions hold the path almost entirely.
    let pca = last_json(&ok(&[
        "landscape",
        "--model",
        &model,
        "--path",
        &path,
        "--directions",
        "pca",
        "--points",
        "5",
        "--plot",
        &png,
        "--json",
    ]));
    assert!(pca["path_residual_max"].as_f64().unwrap() < 0.5, "{pca}");
}

#[test]
fn random_weights_one_example_and_a_line() {
    let text = ok(&[
        "landscape",
        "--model",
        "linear",
        "--loss",
        "svm",
        "--init-seed",
        "3",
        "--example",
        "0",
        "--dims",
        "1",
        "--points",
        "5",
        "--accuracy",
    ]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "a,loss,accuracy");
    assert_eq!(lines.len(), 6);
    assert!(lines[3].starts_with("0,"), "{}", lines[3]);
}

#[test]
fn bad_input_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let (model, path, other) = (
        path_in(dir.path(), "m.st"),
        path_in(dir.path(), "run.path"),
        path_in(dir.path(), "other.path"),
    );
    ok(&["train", "--epochs", "1", "--record-path", &path, "--out", &model]);
    ok(&["train", "--epochs", "1", "--model", "mlp:4", "--record-path", &other]);
    let csv = path_in(dir.path(), "x.csv");
    std::fs::write(&csv, "a,b,y\n1,2,0\n3,4,1\n").unwrap();
    let data = format!("csv:{csv}");
    for (args, expected) in [
        (
            vec!["--path", other.as_str()],
            "the path records a model with layers.0.weight [4, 64]",
        ),
        (vec!["--points", "0"], "--points must be at least 1, got 0"),
        (
            vec!["--points", "4000"],
            "--points 4000 makes a grid of 16000000 points",
        ),
        (
            vec!["--range", "nan,1"],
            "--range must be two finite numbers a < b, got NaN,1",
        ),
        (vec!["--range", "1"], "--range must be two numbers a,b, got '1'"),
        (
            vec!["--data", &data, "--split", "all"],
            "the rows have 2 features, the model expects 64",
        ),
        (vec!["--directions", "pca"], "--directions pca needs a recorded path"),
        (
            vec!["--example", "5000"],
            "--example 5000 is beyond the 1438 rows of the split",
        ),
        (vec!["--loss", "svm"], "--loss is for random weights of an architecture"),
    ] {
        let e = fails(&[&["landscape", "--model", &model][..], &args].concat());
        assert!(e.contains(expected), "{args:?}: {e}");
    }
    let e = fails(&["landscape", "--model", "nosuch.st"]);
    assert!(e.contains("--model nosuch.st: no such file"), "{e}");
}
