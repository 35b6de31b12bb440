//! `gradus train --optimizer random-search|random-local-search` and `gradus compare-strategies`:
//! the same machinery as gradient training (JSON, model files, evaluation counts), the budget
//! respected, and one-line errors for bad values.

mod common;

use common::{fails, last_json, ok, path_in};

/// Training rows of the embedded digits with the default 20 % test split.
const DIGITS_TRAIN: u64 = 1438;

#[test]
fn searches_train_report_their_evaluations_and_save_models() {
    let dir = tempfile::tempdir().unwrap();
    for (name, extra, evaluations) in [
        ("random-search", ["--init-scale", "0.05"], 30),
        ("random-local-search", ["--step", "0.02"], 31),
    ] {
        let out = path_in(dir.path(), &format!("{name}.st"));
        let mut args = vec!["train", "--optimizer", name, "--trials", "30", "--json", "--out", &out];
        args.extend(extra);
        let s = last_json(&ok(&args));
        assert_eq!(s["optimizer"], name);
        assert_eq!(s["epochs"], 10);
        assert_eq!(s["trials_run"], 30);
        assert_eq!(s["evaluations"], evaluations);
        assert_eq!(s["example_evaluations"], evaluations * DIGITS_TRAIN);
        assert_eq!(s["batch_size"], "full");
        assert!(s["lr"].is_null());
        let accuracy = s["test_accuracy"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&accuracy));
        // The model file is a model like any other, and the same seed writes the same bytes.
        let e = last_json(&ok(&["eval", "--model", &out, "--json"]));
        assert_eq!(e["accuracy"].as_f64(), Some(accuracy));
        let again = path_in(dir.path(), "again.st");
        let at = args.iter().position(|a| *a == out).unwrap();
        args[at] = &again;
        ok(&args);
        assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&again).unwrap(), "{name}");
    }
}

#[test]
fn compare_strategies_spends_the_same_budget_on_each() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, plot) = (path_in(dir.path(), "s.csv"), path_in(dir.path(), "s.png"));
    // 6 passes over the 1438 training rows, and a little left over.
    let budget = (6 * DIGITS_TRAIN + 100).to_string();
    let s = last_json(&ok(&[
        "compare-strategies",
        "--budget",
        &budget,
        "--csv",
        &csv,
        "--plot",
        &plot,
        "--json",
    ]));
    assert_eq!(s["passes"], 6);
    let runs = s["runs"].as_array().unwrap();
    let names: Vec<&str> = runs.iter().map(|r| r["strategy"].as_str().unwrap()).collect();
    assert_eq!(names, ["random-search", "random-local-search", "sgd"]);
    for r in runs {
        assert_eq!(r["evaluations"], 6 * DIGITS_TRAIN, "{r}");
    }
    assert_eq!(runs[0]["steps"], 6);
    assert_eq!(runs[1]["steps"], 5);
    assert_eq!(runs[2]["steps"], 6 * DIGITS_TRAIN.div_ceil(64));
    // SGD learns the digits in 6 epochs; the searches barely move.
    let accuracy = |k: usize| runs[k]["test_accuracy"].as_f64().unwrap();
    assert!(accuracy(2) > 0.9 && accuracy(0) < 0.5 && accuracy(1) < 0.5, "{s}");
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("strategy,evaluations,objective,test_loss,test_accuracy")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    // A point per pass, and the start for the two that have one.
    assert_eq!(rows.len(), 6 + 6 + 7);
    assert!(rows.iter().all(|r| r[1].parse::<u64>().unwrap() <= 6 * DIGITS_TRAIN));
    // The local search's objective never rises.
    let local: Vec<f64> = rows
        .iter()
        .filter(|r| r[0] == "random-local-search")
        .map(|r| r[2].parse().unwrap())
        .collect();
    assert!(local.windows(2).all(|w| w[1] <= w[0]), "{local:?}");
    assert!(std::fs::read(&plot).unwrap().starts_with(b"\x89PNG"));
}

#[test]
fn bad_values_are_one_line_errors() {
    let search = ["train", "--optimizer", "random-search", "--trials", "3"];
    let with = |extra: &[&str]| {
        let mut args = search.to_vec();
        args.extend(extra);
        fails(&args)
    };
    let cases: [(&[&str], &str); 7] = [
        (&["--trials", "0"], "--trials must be at least 1, got 0"),
        (&["--init-scale", "-1"], "--init-scale must be finite and > 0, got -1"),
        (&["--lr", "0.1"], "--lr does not apply to random-search"),
        (&["--batch-size", "32"], "--batch-size must be full for random-search"),
        (&["--momentum", "0.9"], "--momentum does not apply to random-search"),
        (&["--clip-norm", "1"], "--clip-norm does not apply to random-search"),
        (&["--step", "0.1"], "--step does not apply to random-search"),
    ];
    for (extra, msg) in cases {
        let e = with(extra);
        assert!(e.starts_with(&format!("gradus: error: {msg}")), "{extra:?}: {e}");
    }
    let e = fails(&["train", "--optimizer", "random-local-search", "--trials", "3"]);
    assert_eq!(e, "gradus: error: --step is required by random-local-search");
    let e = fails(&[
        "train",
        "--optimizer",
        "random-local-search",
        "--trials",
        "3",
        "--step",
        "NaN",
    ]);
    assert_eq!(e, "gradus: error: --step must be finite and > 0, got NaN");
    let e = fails(&["train", "--trials", "3"]);
    assert!(e.starts_with("gradus: error: --trials does not apply to sgd"), "{e}");
    let e = fails(&["compare-strategies", "--budget", "2000"]);
    assert_eq!(
        e,
        "gradus: error: --budget must buy at least 2 passes over the 1438 training rows (2876 example evaluations), got 2000"
    );
    let e = fails(&["compare-strategies", "--budget", "9000", "--step", "0"]);
    assert_eq!(e, "gradus: error: --step must be finite and > 0, got 0");
    let e = fails(&["compare-strategies", "--budget", "9000", "--plot", "x.jpg"]);
    assert!(e.contains("must end in .svg or .png"), "{e}");
}
