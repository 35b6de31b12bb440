//! `gradus train --distributed`: under `mpirun` in a build with the `mpi` feature
//! (`scripts/test.sh` runs the whole suite with `--features gradus-cli/mpi`),
//! exact mode on 1, 2 and 3 ranks writes the very bytes of a one-process run, fast mode agrees
//! to rounding, and a rank that fails or dies ends the whole job with an error naming it; in a
//! build without MPI, the flag is refused in one line.

mod common;

use common::{fails, gradus};

/// The refusals that need no MPI: `--reduce` alone, `tune`, `--stream`; and in a build
/// without the `mpi` feature, `--distributed` itself.
#[test]
fn distributed_flags_are_refused_where_they_cannot_apply() {
    let out = gradus(&["train", "--data", "digits", "--reduce", "fast"]);
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && e.contains("required arguments") && e.contains("--distributed"),
        "{e}"
    );
    let e = fails(&["tune", "--data", "digits", "--grid", "lr=0.1", "--distributed"]);
    assert_eq!(
        e,
        "gradus: error: --distributed does not apply to tune, which scores each trial on held-out folds"
    );
    let e = fails(&["train", "--data", "digits", "--distributed", "--stream"]);
    assert!(e.contains("not with --compare-lr or --stream"), "{e}");
    if cfg!(not(feature = "mpi")) {
        let e = fails(&["train", "--data", "digits", "--distributed"]);
        assert_eq!(
            e,
            "gradus: error: --distributed needs gradus built with MPI: cargo build --release -p gradus-cli --features mpi"
        );
    }
}

#[cfg(feature = "mpi")]
mod under_mpirun {
    use super::common::{ok, path_in, tensor};
    use std::process::{Command, Output};
    use std::time::{Duration, Instant};

    /// An MLP on the digits with batches of 200 rows (four shards each), a validation split
    /// and early stopping, on one thread per process.
    const RUN: &[&str] = &[
        "train",
        "--data",
        "digits",
        "--model",
        "mlp:16",
        "--optimizer",
        "adam",
        "--lr",
        "0.01",
        "--batch-size",
        "200",
        "--epochs",
        "4",
        "--early-stopping",
        "3",
        "--val-fraction",
        "0.1",
        "--seed",
        "5",
        "--threads",
        "1",
    ];

    /// `mpirun -np <np>` of `sh -c SCRIPT gradus ARGS…` (the script runs `"$0" "$@"` on each
    /// rank, after what it says for its rank, `$OMPI_COMM_WORLD_RANK`), stopped after a minute.
    fn mpirun(np: usize, script: &str, args: &[&str]) -> Output {
        Command::new("timeout")
            .args(["60", "mpirun", "--allow-run-as-root", "--oversubscribe", "-np"])
            .arg(np.to_string())
            .args([
                "sh",
                "-c",
                &format!("{script}\nexec \"$0\" \"$@\""),
                env!("CARGO_BIN_EXE_gradus"),
            ])
            .args(args)
            // Containers often forbid the cross-memory attach of OpenMPI's shared-memory copies.
            .env("OMPI_MCA_btl_vader_single_copy_mechanism", "none")
            .output()
            .expect("mpirun runs")
    }

    /// The model file of `RUN` with `more` flags on `np` ranks; checks that rank 0's summary
    /// gives its time in collectives, more than none and less than the whole run.
    fn distributed(np: usize, dir: &std::path::Path, more: &[&str]) -> Vec<u8> {
        let out = path_in(dir, &format!("np{np}{}.st", more.join("")));
        let args: Vec<&str> = RUN
            .iter()
            .copied()
            .chain(["--distributed", "--json", "--out", &out])
            .chain(more.iter().copied())
            .collect();
        let run = mpirun(np, "", &args);
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(run.status.success(), "{np} ranks: {err}");
        assert!(err.contains(&format!("{np} ranks")), "{err}");
        let stdout = String::from_utf8_lossy(&run.stdout);
        let summary: serde_json::Value =
            serde_json::from_str(stdout.lines().last().expect("rank 0's summary")).unwrap();
        let spent = summary["collective_seconds"].as_f64().expect("the time in collectives");
        assert!(spent > 0.0 && spent < summary["seconds"].as_f64().unwrap(), "{summary}");
        assert!(summary["collective_ms_per_step"].as_f64().unwrap() > 0.0, "{summary}");
        std::fs::read(&out).expect("the model file")
    }

    /// Exact mode on 1, 2 and 3 ranks writes the bytes of the one-process run's model file
    /// (early stopping and validation included); fast mode on 2 ranks ends within float
    /// rounding of it.
    #[test]
    fn ranks_train_the_one_process_model() {
        let dir = tempfile::tempdir().unwrap();
        let alone = path_in(dir.path(), "alone.st");
        ok(&[RUN, &["--out", &alone]].concat());
        let alone = std::fs::read(&alone).unwrap();
        for np in [1, 2, 3] {
            assert!(distributed(np, dir.path(), &[]) == alone, "exact mode on {np} ranks");
        }
        let fast = distributed(2, dir.path(), &["--reduce", "fast"]);
        let floats = |file: &[u8]| -> Vec<f32> {
            tensor(file, "layers.0.weight")
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
                .collect()
        };
        let (a, b) = (floats(&alone), floats(&fast));
        let gap = a.iter().zip(&b).fold(0.0f32, |m, (x, y)| m.max((x - y).abs()));
        assert!(gap > 0.0 || a == b, "compared nothing");
        assert!(gap < 1e-3, "fast mode strays {gap} from one process");
    }

    /// A rank whose data is missing, and a rank killed in the middle of training, end every
    /// rank within seconds, non-zero, with a message naming the rank.
    #[test]
    fn a_failing_rank_ends_the_job() {
        let started = Instant::now();
        let missing = "if [ \"$OMPI_COMM_WORLD_RANK\" = 1 ]; then exec \"$0\" train --distributed --data csv:/nonexistent/digits.csv; fi";
        let run = mpirun(2, missing, &[RUN, &["--distributed"]].concat());
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(!run.status.success() && run.status.code() != Some(124), "{err}");
        assert!(
            err.contains("gradus: error: rank 1 of 2: ") && err.contains("/nonexistent/digits.csv"),
            "{err}"
        );

        let killed = "if [ \"$OMPI_COMM_WORLD_RANK\" = 1 ]; then export GRADUS_KILL_AT_STEP=3; fi";
        let run = mpirun(3, killed, &[RUN, &["--distributed"]].concat());
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(!run.status.success() && run.status.code() != Some(124), "{err}");
        assert!(err.contains("rank 1"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(30), "{:?}", started.elapsed());
    }
}
