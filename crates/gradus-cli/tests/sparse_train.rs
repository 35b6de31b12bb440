//! `gradus train` on a LIBSVM file with a wide index space: the linear model trains on the
//! non-zeros; an MLP, which would densify the rows, is refused with the width named.

mod common;
use common::*;
use std::fmt::Write;

/// 600 rows in a space of 2¹⁷ features: each row has 4 of 20 informative features, whose
/// weighted sum gives the label's sign, and 8 features drawn from the whole space.
fn wide_libsvm() -> String {
    let mut state = 12345u64;
    let mut next = move |n: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % n
    };
    let mut text = String::new();
    for _ in 0..600 {
        let mut row: Vec<(u64, f64)> = Vec::new();
        let mut score = 0.0;
        for _ in 0..4 {
            let j = 1 + next(20);
            let v = 0.5 + next(100) as f64 / 100.0;
            if row.iter().all(|&(k, _)| k != j) {
                score += v * if j % 2 == 0 { 1.0 } else { -1.0 };
                row.push((j, v));
            }
        }
        for _ in 0..8 {
            let j = 21 + next((1 << 17) - 21);
            if row.iter().all(|&(k, _)| k != j) {
                row.push((j, 1.0));
            }
        }
        row.sort_by_key(|&(j, _)| j);
        let label = if score > 0.0 { "+1" } else { "-1" };
        text.push_str(label);
        for (j, v) in row {
            write!(text, " {j}:{v}").unwrap();
        }
        text.push('\n');
    }
    text
}

#[test]
fn a_linear_model_trains_on_wide_sparse_rows_and_an_mlp_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("wide.svm"), wide_libsvm()).unwrap();
    let data = format!("libsvm:{}", path_in(d, "wide.svm"));
    let model = path_in(d, "m.safetensors");
    let args = [
        "train",
        "--data",
        &data,
        "--loss",
        "logistic",
        "--epochs",
        "5",
        "--batch-size",
        "1",
    ];
    let s = last_json(&ok(&[&args[..], &["--out", &model, "--json"]].concat()));
    let accuracy = s["test_accuracy"].as_f64().unwrap();
    assert!(accuracy >= 0.75, "{s}");
    let e = last_json(&ok(&["eval", "--model", &model, "--json"]));
    assert!(e["rows"].as_u64().unwrap() > 0, "{e}");
    let e = fails(&[&args[..], &["--model", "mlp:8"]].concat());
    assert!(e.contains("makes sparse rows dense") && e.lines().count() == 1, "{e}");
}
