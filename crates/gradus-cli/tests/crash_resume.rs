//! Crash-safe training: a run killed with SIGKILL again and again, and resumed each time from
//! its checkpoint, ends with the same bytes as a run never interrupted; a checkpoint damaged on
//! disk is refused; any thread count gives the same bytes.

mod common;
use common::*;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Command;

/// Epochs of the crash runs.
const EPOCHS: u64 = 5;

/// Steps between two checkpoints within an epoch.
const EVERY: u64 = 7;

/// A run whose checkpoints hold every part of the training state: Adam's moments, the
/// plateau schedule's state (driven by the validation loss), early stopping's best parameters
/// (its patience never runs out in 5 epochs) and the place within the epoch.
const RUN: &[&str] = &[
    "--model",
    "mlp:16",
    "--optimizer",
    "adam",
    "--lr",
    "0.01",
    "--schedule",
    "plateau:1,0.5",
    "--val-fraction",
    "0.2",
    "--early-stopping",
    "10",
    "--batch-size",
    "64",
    "--seed",
    "7",
];

/// `gradus ARGS` with `GRADUS_KILL_AT_STEP=step`: must die of SIGKILL.
fn killed_at(step: u64, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_gradus"))
        .args(args)
        .env("GRADUS_KILL_AT_STEP", step.to_string())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.signal(), Some(9), "not killed at step {step}: {stderr}");
}

/// The optimizer steps of one epoch: ⌈training rows / 64⌉, the rows read from the line
/// `gradus: … N train / …` of a run's standard error.
fn steps_per_epoch(stderr: &str) -> u64 {
    let rows: u64 = stderr
        .split(" train / ")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no training rows in: {stderr}"));
    rows.div_ceil(64)
}

/// Five kill moments drawn from seed 9 (xorshift64) among the steps after the first checkpoint
/// and before the last: one at an epoch's end, one at a checkpoint step (whose checkpoint the
/// kill prevents), the others anywhere, mid-epoch most likely.
fn kill_steps(per_epoch: u64) -> Vec<u64> {
    let total = per_epoch * EPOCHS;
    let mut state = 9u64;
    let mut draw = |lo: u64, hi: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        lo + state % (hi - lo)
    };
    let mut steps = vec![2 * per_epoch, EVERY * draw(2, total / EVERY)];
    while steps.len() < 5 {
        let s = draw(EVERY + 1, total);
        if !steps.contains(&s) {
            steps.push(s);
        }
    }
    steps.sort_unstable();
    steps
}

#[test]
fn a_run_killed_five_times_ends_as_an_uninterrupted_run() {
    let dir = tempfile::tempdir().unwrap();
    let (whole, ck, resumed) = resume_paths(dir.path());
    let epochs = EPOCHS.to_string();
    let out = gradus(&[&["train", "--threads", "1", "--epochs", &epochs, "--out", &whole], RUN].concat());
    assert!(out.status.success());
    let per_epoch = steps_per_epoch(&String::from_utf8_lossy(&out.stderr));
    let steps = kill_steps(per_epoch);
    assert!(steps.windows(2).all(|w| w[0] < w[1]), "{steps:?}");
    assert!(
        steps.iter().any(|s| s % per_epoch != 0 && s % EVERY != 0),
        "{steps:?}: none mid-epoch"
    );
    let every = EVERY.to_string();
    let keep = ["--checkpoint", &ck, "--checkpoint-every", &every];
    // A temporary file that a writer killed mid-write left beside the checkpoint: half of it.
    let torn = dir.path().join(format!(".part.st.tmp{}", u32::MAX - 1));
    for (i, &step) in steps.iter().enumerate() {
        // The thread count changes from run to run: it must not matter.
        let threads = ["1", "2"][i % 2];
        let args = match i {
            0 => [&["train", "--threads", threads, "--epochs", &epochs], RUN, &keep].concat(),
            _ => [
                &["train", "--threads", threads, "--resume", &ck, "--epochs", &epochs][..],
                &keep,
            ]
            .concat(),
        };
        killed_at(step, &args);
        if i == 2 {
            let bytes = std::fs::read(&ck).unwrap();
            std::fs::write(&torn, &bytes[..bytes.len() / 2]).unwrap();
        }
    }
    // The checkpoint is whole beside the torn temporary; resuming removes the temporary.
    assert!(ok(&["eval", "--model", &ck, "--json"]).contains("\"accuracy\""));
    let out = ok(&[
        &["train", "--resume", &ck, "--epochs", &epochs, "--out", &resumed][..],
        &keep,
    ]
    .concat());
    assert!(out.contains(&format!("stopped after {EPOCHS} epochs")), "{out}");
    assert!(!torn.exists());
    assert_eq!(std::fs::read(&whole).unwrap(), std::fs::read(&resumed).unwrap());
}

#[test]
fn a_damaged_checkpoint_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let ck = path_in(dir.path(), "ck.st");
    ok(&["train", "--epochs", "1", "--checkpoint", &ck, "--checkpoint-every", "5"]);
    let good = std::fs::read(&ck).unwrap();
    // One bit of the last tensor's last byte, of the first tensor's first, and of the header's
    // seed (0 → 1: the JSON stays valid, only the checksum tells).
    let header = u64::from_le_bytes(good[..8].try_into().unwrap()) as usize;
    let seed = b"\\\"seed\\\":0";
    let seed = good.windows(seed.len()).position(|w| w == seed).unwrap() + seed.len() - 1;
    for at in [good.len() - 1, 8 + header, seed] {
        let mut bad = good.clone();
        bad[at] ^= 0x01;
        std::fs::write(&ck, &bad).unwrap();
        let e = fails(&["train", "--resume", &ck, "--epochs", "2"]);
        assert!(
            e.contains(&format!("{ck}: the file is damaged: its CRC-32 is ")),
            "byte {at}: {e}"
        );
    }
    let e = fails(&["train", "--checkpoint", &ck, "--checkpoint-every", "0"]);
    assert!(e.contains("--checkpoint-every must be at least 1 step, got 0"), "{e}");
    let out = gradus(&["train", "--checkpoint-every", "5"]);
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && e.contains("--checkpoint <CHECKPOINT>"), "{e}");
}

/// `--threads 1` and `--threads 2` write the same bytes: linear and MLP models, batches of 64
/// and the full batch (four shards), on the digits.
#[test]
fn any_thread_count_gives_the_same_model_file() {
    let dir = tempfile::tempdir().unwrap();
    let runs: [&[&str]; 4] = [
        &["--batch-size", "64", "--epochs", "3"],
        &["--batch-size", "full", "--epochs", "5", "--lr", "0.5"],
        &["--model", "mlp:32,16", "--batch-size", "64", "--epochs", "3"],
        &[
            "--model",
            "mlp:32",
            "--optimizer",
            "adam",
            "--batch-size",
            "full",
            "--epochs",
            "5",
        ],
    ];
    for (i, flags) in runs.iter().enumerate() {
        let file = |threads: &str| {
            let out = path_in(dir.path(), &format!("{i}-{threads}.st"));
            ok(&[&["train", "--threads", threads, "--out", &out][..], flags].concat());
            std::fs::read(Path::new(&out)).unwrap()
        };
        assert!(file("1") == file("2"), "{flags:?}: the files differ");
    }
}
