//! `gradus tune`: the search end to end, the test split untouched until the end, a resumed
//! search, plots, and bad input.

mod common;

use common::{fails, gradus, last_json, ok, path_in};

const GRID: &str = "lr=0.03,0.1 reg=l2:1e-4,l2:1e-2";

/// The results file without timings, in order.
fn table(path: &str) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["seconds"] = serde_json::json!(0);
            v
        })
        .collect()
}

#[test]
fn a_grid_search_picks_the_best_and_scores_it_once_on_the_test_split() {
    let dir = tempfile::tempdir().unwrap();
    let (results, model, plot) = (
        path_in(dir.path(), "r.jsonl"),
        path_in(dir.path(), "best.st"),
        path_in(dir.path(), "t.svg"),
    );
    let s = last_json(&ok(&[
        "tune",
        "--grid",
        GRID,
        "--folds",
        "3",
        "--epochs",
        "3",
        "--results",
        &results,
        "--out",
        &model,
        "--plot",
        &plot,
        "--json",
    ]));
    assert_eq!(s["trials"], 4);
    let rows = table(&results);
    assert_eq!(rows.len(), 4);
    let best = rows
        .iter()
        .max_by(|a, b| a["mean"].as_f64().unwrap().total_cmp(&b["mean"].as_f64().unwrap()))
        .unwrap();
    assert_eq!(s["best"]["mean"], best["mean"]);
    assert!(s["test_accuracy"].as_f64().unwrap() > 0.9, "{s}");
    // The saved model is the best configuration retrained on the whole training split.
    let e = last_json(&ok(&["eval", "--model", &model, "--json"]));
    assert_eq!(e["accuracy"], s["test_accuracy"]);
    for name in ["t-lr.svg", "t-reg.svg"] {
        assert!(dir.path().join(name).exists(), "{name}");
    }
}

#[test]
fn the_test_file_is_read_only_after_the_search() {
    let dir = tempfile::tempdir().unwrap();
    let rows: String = (0..60)
        .map(|i| format!("{},{},{}\n", i % 7, (i * 3) % 11, i % 2))
        .collect();
    let train = path_in(dir.path(), "train.csv");
    std::fs::write(&train, format!("a,b,y\n{rows}")).unwrap();
    let results = path_in(dir.path(), "r.jsonl");
    let missing = format!("csv:{}", path_in(dir.path(), "no-such-test.csv"));
    let out = gradus(&[
        "tune",
        "--data",
        &format!("csv:{train}"),
        "--test-data",
        &missing,
        "--grid",
        "lr=0.01,0.1",
        "--folds",
        "3",
        "--epochs",
        "2",
        "--results",
        &results,
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no-such-test.csv: No such file or directory"),
        "{stderr}"
    );
    // Every trial ran and was written before the test file was opened.
    assert_eq!(table(&results).len(), 2);
}

#[test]
fn a_resumed_search_ends_with_the_same_table() {
    let dir = tempfile::tempdir().unwrap();
    let whole = path_in(dir.path(), "whole.jsonl");
    let part = path_in(dir.path(), "part.jsonl");
    let run = |extra: &[&str]| {
        let args = [
            &[
                "tune",
                "--random",
                "6",
                "--space",
                "lr=log(1e-3,1) batch-size=32,64",
                "--halving",
                "--folds",
                "3",
                "--epochs",
                "4",
            ][..],
            extra,
        ]
        .concat();
        ok(&args)
    };
    run(&["--results", &whole]);
    // Killed after three results, in the middle of writing the fourth.
    let text = std::fs::read_to_string(&whole).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(&part, format!("{}\n{}", lines[..3].join("\n"), &lines[3][..20])).unwrap();
    run(&["--resume", &part]);
    assert_eq!(table(&part), table(&whole));
}

#[test]
fn bad_searches_are_one_line_errors() {
    for (args, expected) in [
        (&["--grid", ""][..], "space is empty"),
        (
            &["--grid", "learning-rate=0.1"],
            "learning-rate is not a hyperparameter that can be searched",
        ),
        (&["--grid", "lr=abc"], "--lr must be a finite number, got 'abc'"),
        (
            &["--random", "3", "--space", "lr=log(0,1)"],
            "space lr=log(0,1): the bounds must satisfy 0 < a < b",
        ),
        (&["--grid", "lr=0.1", "--folds", "500"], "--folds 500 is more than the"),
        (
            &["--grid", "lr=0.1", "--early-stopping", "2"],
            "--early-stopping does not apply to tune",
        ),
        (
            &["--grid", "lr=0.1", "--metric", "rmse"],
            "--metric rmse does not apply to classification",
        ),
    ] {
        let e = fails(&[&["tune"][..], args].concat());
        assert!(e.contains(expected), "{args:?}: {e}");
    }
}
