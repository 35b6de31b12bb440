//! Helpers shared by the command-line tests.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// Runs `gradus` with `args`.
pub fn gradus(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gradus"))
        .args(args)
        .output()
        .expect("gradus runs")
}

/// Runs `gradus` expecting success; returns stdout.
pub fn ok(args: &[&str]) -> String {
    let out = gradus(args);
    assert!(
        out.status.success(),
        "gradus {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Runs `gradus` expecting failure; returns the one-line error.
pub fn fails(args: &[&str]) -> String {
    let out = gradus(args);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "gradus {args:?} should fail");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "gradus {args:?} panicked: {err}"
    );
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("gradus: error:")).collect();
    assert_eq!(lines.len(), 1, "gradus {args:?}: expected one error line, got: {err}");
    lines[0].to_string()
}

/// The JSON object on the last line of stdout.
pub fn last_json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout.lines().last().expect("output")).expect("JSON on the last line")
}

/// A path inside `dir` as a string.
pub fn path_in(dir: &Path, name: &str) -> String {
    dir.join(name).display().to_string()
}

/// A run that stops early, between its best epoch and its budget (`tests/fixtures/models/early`).
pub const EARLY_STOPPING_RUN: &[&str] = &[
    "--model",
    "mlp:32",
    "--optimizer",
    "nesterov",
    "--lr",
    "0.05",
    "--schedule",
    "plateau:1,0.5",
    "--early-stopping",
    "2",
    "--val-fraction",
    "0.2",
];

/// The paths of an uninterrupted run's model, a checkpoint and a resumed run's model in `dir`.
pub fn resume_paths(dir: &Path) -> (String, String, String) {
    (
        path_in(dir, "whole.st"),
        path_in(dir, "part.st"),
        path_in(dir, "resumed.st"),
    )
}

/// The bytes of tensor `name` in a safetensors file.
pub fn tensor(file: &[u8], name: &str) -> Vec<u8> {
    let n = u64::from_le_bytes(file[..8].try_into().expect("8 bytes")) as usize;
    let header: serde_json::Value = serde_json::from_slice(&file[8..8 + n]).expect("JSON header");
    let offsets = &header[name]["data_offsets"];
    let (a, b) = (
        offsets[0].as_u64().unwrap() as usize,
        offsets[1].as_u64().unwrap() as usize,
    );
    file[8 + n + a..8 + n + b].to_vec()
}
