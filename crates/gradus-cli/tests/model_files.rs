//! Model files are a format users keep: the same flags must give the same bytes as the files in
//! `tests/fixtures/models`, written by gradus before its estimator layer existed (their README
//! gives the commands).

mod common;

use common::{EARLY_STOPPING_RUN, ok};
use std::path::Path;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/models");

/// Each fixture's name and the flags that made it (without `--out`; `early` is
/// [`EARLY_STOPPING_RUN`] for 40 epochs).
const RUNS: [(&str, &[&str]); 4] = [
    ("linear", &["--lr", "0.05", "--epochs", "3"]),
    (
        "mlp",
        &[
            "--model",
            "mlp:16",
            "--activation",
            "tanh",
            "--optimizer",
            "adam",
            "--lr",
            "0.01",
            "--schedule",
            "cosine",
            "--warmup",
            "5",
            "--reg",
            "l2:1e-4",
            "--clip-norm",
            "5",
            "--early-stopping",
            "2",
            "--epochs",
            "6",
            "--batch-size",
            "32",
        ],
    ),
    ("early", &[]),
    (
        "regress",
        &[
            "--data",
            "csv:houses.csv",
            "--task",
            "regress",
            "--loss",
            "huber",
            "--label-column",
            "price",
            "--optimizer",
            "momentum",
            "--lr",
            "0.01",
            "--epochs",
            "4",
            "--batch-size",
            "full",
            "--tol",
            "1e-9",
            // Target scaling, the default for regression since, did not exist then.
            "--target-scale",
            "none",
        ],
    ),
];

/// The safetensors header (its JSON, metadata included) and the tensor bytes after it.
fn split(bytes: &[u8]) -> (&[u8], &[u8]) {
    let n = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
    (&bytes[8..8 + n], &bytes[8 + n..])
}

/// A header's metadata without the data source's absolute path and checksum, and without the
/// file's checksum (which covers the path).
fn without_location(header: &[u8]) -> serde_json::Value {
    let outer: serde_json::Value = serde_json::from_slice(header).unwrap();
    let mut meta: serde_json::Value =
        serde_json::from_str(outer["__metadata__"]["gradus-1"].as_str().unwrap()).unwrap();
    if let Some(data) = meta["data"].as_object_mut() {
        data.remove("absolute");
        data.remove("checksum");
    }
    meta.as_object_mut().unwrap().remove("checksum");
    meta
}

/// A header with the file's checksum digits as `0`s: the checksum covers the weights, which
/// other vector kernels round differently (the weights are compared on their own; loading the
/// file verifies its checksum).
fn without_checksum(header: &[u8]) -> String {
    let text = String::from_utf8_lossy(header).into_owned();
    let key = "\\\"checksum\\\":\\\"";
    let at = text.rfind(key).expect("a checksum") + key.len();
    format!("{}00000000{}", &text[..at], &text[at + 8..])
}

/// Whether this CPU has the AVX-512 kernels the fixtures' weights were computed with.
fn same_kernels() -> bool {
    std::fs::read_to_string("/proc/cpuinfo").is_ok_and(|c| c.contains(" avx512f"))
}

#[test]
fn the_same_flags_give_the_same_model_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(Path::new(FIXTURES).join("houses.csv"), dir.path().join("houses.csv")).unwrap();
    for (name, flags) in RUNS {
        let out = dir.path().join(format!("{name}.safetensors"));
        let mut args = vec!["train", "--threads", "2", "--out", out.to_str().unwrap()];
        args.extend_from_slice(flags);
        if name == "early" {
            args.extend_from_slice(EARLY_STOPPING_RUN);
            args.extend_from_slice(&["--epochs", "40"]);
        }
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_gradus"))
            .args(&args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&status.stderr)
        );
        let made = std::fs::read(&out).unwrap();
        let want = std::fs::read(Path::new(FIXTURES).join(format!("{name}.safetensors"))).unwrap();
        let ((h1, t1), (h2, t2)) = (split(&made), split(&want));
        if name == "regress" {
            // A CSV source is now also recorded by absolute path and checksum (they did not
            // exist then); all else is as it was.
            assert_eq!(without_location(h1), without_location(h2), "{name}: the header differs");
        } else {
            assert_eq!(without_checksum(h1), without_checksum(h2), "{name}: the header differs");
        }
        if same_kernels() {
            assert!(t1 == t2, "{name}: the weights differ");
        } else {
            // Other vector kernels round differently: the weights agree to float rounding.
            let f = |b: &[u8]| -> Vec<f32> {
                b.chunks_exact(4)
                    .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
                    .collect()
            };
            for (a, b) in f(t1).iter().zip(f(t2)) {
                assert!((a - b).abs() <= 1e-3 * (1.0 + b.abs()), "{name}: {a} vs {b}");
            }
        }
    }
    // And `ok` is the helper the other tests use: a model file made by it loads for eval.
    let linear = dir.path().join("linear.safetensors");
    assert!(ok(&["eval", "--model", linear.to_str().unwrap(), "--json"]).contains("\"accuracy\""));
}
