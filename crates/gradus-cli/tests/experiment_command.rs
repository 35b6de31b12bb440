//! `gradus experiment`: the list, and each experiment writing its CSV, SVG and PNG files and
//! printing its key numbers (small settings; the numbers themselves are checked by the
//! library's tests in `gradus::experiments`).

mod common;
use common::{fails, ok, path_in};

const NAMES: [&str; 9] = [
    "step-size",
    "batch-vs-online",
    "lr-conditions",
    "bias-variance",
    "double-descent",
    "regularization",
    "loss-comparison",
    "templates",
    "init-loss",
];

#[test]
fn the_list_names_every_experiment_with_one_line() {
    let out = ok(&["experiment", "--list"]);
    assert_eq!(out.lines().count(), NAMES.len(), "{out}");
    for (line, name) in out.lines().zip(NAMES) {
        assert!(line.starts_with(name) && line.len() > name.len() + 20, "{line}");
    }
}

/// Runs `name` with `args` into a fresh directory; returns its stdout and the files written.
fn run(name: &str, args: &[&str]) -> (String, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let out = path_in(dir.path(), "out");
    let mut all = vec!["experiment", name, "--out", &out];
    all.extend_from_slice(args);
    let stdout = ok(&all);
    let mut files: Vec<String> = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    for f in &files {
        let bytes = std::fs::read(dir.path().join("out").join(f)).unwrap();
        assert!(bytes.len() > 100, "{f} has {} bytes", bytes.len());
        if f.ends_with(".png") {
            assert_eq!(&bytes[1..4], b"PNG");
        }
    }
    (stdout, files)
}

#[test]
fn every_experiment_writes_its_data_figures_and_summary() {
    let cases: [(&str, &[&str], &str); 9] = [
        ("step-size", &["--steps", "10"], "critical step 2/L = 0.500000"),
        (
            "batch-vs-online",
            &["--distinct", "20", "--epochs", "2"],
            "single-example SGD",
        ),
        ("lr-conditions", &["--steps", "2000"], "1/t"),
        ("bias-variance", &["--datasets", "20", "--degrees", "0,1"], "bias²"),
        (
            "double-descent",
            &["--n", "8", "--widths", "4,8,16", "--repeats", "1"],
            "peaks at d =",
        ),
        ("regularization", &[], "Panama City"),
        ("loss-comparison", &[], "[10, 9, 9]"),
        ("templates", &["--epochs", "1"], "training accuracy"),
        ("init-loss", &["--sigmas", "0.001"], "ln C = 2.302585"),
    ];
    for (name, args, needle) in cases {
        let (stdout, files) = run(name, args);
        assert!(stdout.contains(needle), "{name}: {stdout}");
        for ext in ["csv", "svg", "png"] {
            assert!(
                files.iter().any(|f| f.starts_with(name) && f.ends_with(ext)),
                "{name}: {files:?}"
            );
        }
    }
}

/// The regularization table prints the lectures' least-squares predictions and the ridge
/// line's, both trained and from the closed form.
#[test]
fn the_regularization_table_prints_the_lectures_fit() {
    let (stdout, _) = run("regularization", &["--lambda", "0.5"]);
    assert!(
        stdout.contains("λ = 0: y = -2.4744x + 135.885 (closed form -2.4744x + 135.885"),
        "{stdout}"
    );
    assert!(
        stdout.contains("λ = 0.5: y = -1.2372x + 90.109 (closed form -1.2372x + 90.109"),
        "{stdout}"
    );
    let panama = stdout.lines().find(|l| l.starts_with("Panama City")).unwrap();
    assert!(panama.contains("113.6") && panama.contains("79.0"), "{panama}");
}

#[test]
fn bad_parameters_are_one_line_errors() {
    let e = fails(&["experiment", "step-size", "--fractions", "0.5,x"]);
    assert!(
        e.contains("--fractions must be numbers separated by commas, got 'x'"),
        "{e}"
    );
    let e = fails(&["experiment", "step-size", "--fractions", "0.5,30"]);
    assert!(e.contains("--fractions must be numbers in (0, 20]"), "{e}");
    let e = fails(&["experiment", "regularization", "--lambda", "-1"]);
    assert!(e.contains("--lambda must be a finite number ≥ 0, got -1"), "{e}");
    let e = fails(&["experiment", "bias-variance", "--datasets", "1"]);
    assert!(e.contains("--datasets must be between 2 and 100000, got 1"), "{e}");
    let e = fails(&["experiment", "templates", "--data", "csv:/nonexistent.csv"]);
    assert!(e.starts_with("gradus: error:"), "{e}");
}

/// The table can come from CSV files (one feature column, the target last): the lectures'
/// cities given so print the same least-squares line as the embedded table.
#[test]
fn the_regularization_table_can_come_from_csv_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("train.csv"), "lat,temp\n42,33\n39,38\n30,62\n").unwrap();
    std::fs::write(dir.path().join("test.csv"), "lat,temp\n19,67\n9,83\n").unwrap();
    let (train, test) = (
        format!("csv:{}", path_in(dir.path(), "train.csv")),
        format!("csv:{}", path_in(dir.path(), "test.csv")),
    );
    let (stdout, _) = run("regularization", &["--data", &train, "--test-data", &test]);
    assert!(stdout.contains("λ = 0: y = -2.4744x + 135.885"), "{stdout}");
    let last = stdout.lines().find(|l| l.starts_with("test 2")).unwrap();
    assert!(last.contains("113.6"), "{last}");
    let e = fails(&["experiment", "regularization", "--data", &train]);
    assert!(e.contains("--data needs --test-data too"), "{e}");
}
