//! Closed pipes, full disks, resumed runs with other flags, hostile checkpoints, and Ctrl-C.

mod common;
use common::*;
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

fn gradus_cmd() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gradus"))
}

#[test]
fn a_closed_pipe_ends_quietly_and_a_full_disk_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let model = path_in(dir.path(), "m.st");
    ok(&["train", "--epochs", "1", "--lr", "0.05", "--out", &model]);
    // `gradus predict … | head -1`
    let mut child = gradus_cmd()
        .args(["predict", "--model", &model, "--data", "digits", "--split", "all"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert_eq!(first, "row,class\n");
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    // `> /dev/full`
    for args in [
        vec!["predict", "--model", &model, "--data", "digits"],
        vec!["eval", "--model", &model],
        vec!["loss", "--loss", "svm", "--scores", "1,2", "--label", "0"],
    ] {
        let out = gradus_cmd()
            .args(&args)
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && !err.contains("panicked"), "{args:?}: {err}");
        assert!(
            err.trim_end()
                .ends_with("cannot write to standard output: No space left on device (os error 28)"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn a_resumed_run_keeps_its_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let (whole, part, resumed) = resume_paths(dir.path());
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/models/houses.csv"),
        dir.path().join("houses.csv"),
    )
    .unwrap();
    let csv = format!("csv:{}", path_in(dir.path(), "houses.csv"));
    let base = [
        "train",
        "--data",
        &csv,
        "--task",
        "regress",
        "--loss",
        "squared",
        "--label-column",
        "rooms",
        "--lr",
        "0.05",
        "--test-fraction",
        "0.3",
        "--seed",
        "4",
    ];
    ok(&[&base[..], &["--epochs", "6", "--out", &whole]].concat());
    ok(&[&base[..], &["--epochs", "3", "--checkpoint", &part]].concat());
    for (flags, want) in [
        (&["--lr", "0.1"][..], "--lr 0.1 conflicts with the checkpoint's 0.05"),
        (
            &["--loss", "huber"],
            "--loss huber (delta 1) conflicts with the checkpoint's squared",
        ),
        (
            &["--batch-size", "32"],
            "--batch-size 32 conflicts with the checkpoint's 64",
        ),
        (&["--seed", "5"], "--seed 5 conflicts with the checkpoint's 4"),
        (
            &["--label-column", "price"],
            "--label-column price conflicts with the checkpoint's rooms",
        ),
        (
            &["--data", "digits"],
            "--data digits conflicts with the checkpoint's csv:",
        ),
        (
            &["--task", "classify"],
            "--task classify conflicts with the checkpoint's regress",
        ),
    ] {
        let e = fails(&[&["train", "--resume", &part, "--epochs", "6"][..], flags].concat());
        assert!(e.contains(want), "{flags:?}: {e}");
    }
    // The split (seed 4, 30 % test), the label column and the task come from the checkpoint;
    // flags that agree with it are accepted.
    let out = gradus(&[
        "train", "--resume", &part, "--epochs", "6", "--lr", "0.05", "--out", &resumed,
    ]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("gradus: resuming {part} after epoch 3 (step ")),
        "{stderr}"
    );
    assert!(
        stdout.contains("stopped after 6 epochs (3 of them in this run) by the epoch budget"),
        "{stdout}"
    );
    assert!(
        stdout.contains("at the final parameters, on the whole splits"),
        "{stdout}"
    );
    assert_eq!(std::fs::read(&whole).unwrap(), std::fs::read(&resumed).unwrap());
}

/// Rewrites the JSON metadata of a safetensors file, and its checksum to match (the CRC-32 of
/// the file with the checksum's digits as `0`s), so that the checks after the checksum's are
/// what the tests reach.
fn edit_metadata(path: &str, edit: impl Fn(&str) -> String) {
    let bytes = std::fs::read(path).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = edit(std::str::from_utf8(&bytes[8..8 + n]).unwrap());
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&bytes[8 + n..]);
    let key = b"\\\"checksum\\\":\\\"";
    let at = out.windows(key.len()).rposition(|w| w == key).unwrap() + key.len();
    out[at..at + 8].copy_from_slice(b"00000000");
    let crc = format!("{:08x}", crc32fast::hash(&out));
    out[at..at + 8].copy_from_slice(crc.as_bytes());
    std::fs::write(path, out).unwrap();
}

#[test]
fn checkpoints_whose_parts_disagree_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ck = path_in(dir.path(), "ck.st");
    ok(&["train", "--epochs", "2", "--lr", "0.05", "--checkpoint", &ck]);
    edit_metadata(&ck, |h| h.replacen("\\\"epoch\\\":2", "\\\"epoch\\\":1000000000000", 1));
    let e = fails(&["train", "--resume", &ck, "--epochs", "3"]);
    assert!(
        e.ends_with("the progress says epoch 1000000000000, beyond the run's 2 epochs"),
        "{e}"
    );
    ok(&["train", "--epochs", "2", "--lr", "0.05", "--checkpoint", &ck]);
    edit_metadata(&ck, |h| h.replacen("\\\"9\\\"]", "\\\"9\\\",\\\"ten\\\"]", 1));
    let e = fails(&["eval", "--model", &ck]);
    assert!(e.ends_with("11 class names for 10 classes"), "{e}");
}

/// Ctrl-C: the step in progress ends, the checkpoint and `--out` are written, the process says
/// how to go on and exits 130; going on ends exactly where an uninterrupted run does.
#[test]
fn ctrl_c_saves_and_the_run_continues_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let (whole, ck, resumed) = resume_paths(dir.path());
    let out = path_in(dir.path(), "out.st");
    let run = [
        "train",
        "--data",
        "fashion-mnist",
        "--epochs",
        "30",
        "--batch-size",
        "8",
        "--lr",
        "0.01",
    ];
    let mut child = gradus_cmd()
        .args([&run[..], &["--checkpoint", &ck, "--out", &out]].concat())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.starts_with("epoch   1/") {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "no first epoch");
    }
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(130), "{rest}");
    assert!(rest.contains("gradus: interrupted in epoch"), "{rest}");
    assert!(
        rest.contains(&format!(
            "continue with: gradus train --resume {ck} --epochs 30 --checkpoint {ck} --out {out}\n"
        )),
        "{rest}"
    );
    assert!(std::path::Path::new(&out).exists());
    ok(&["train", "--resume", &ck, "--epochs", "30", "--out", &resumed]);
    ok(&[&run[..], &["--out", &whole]].concat());
    assert_eq!(std::fs::read(&whole).unwrap(), std::fs::read(&resumed).unwrap());
}
