//! `gradus trajectory` and `gradus schedule`: CSV, plots, divergence and errors.

mod common;

use common::{fails, gradus, ok, path_in};
use gradus::functions::TestFunction;
use gradus::optim::OptimizerParams;
use gradus::schedule::{LrSchedule, Schedule};

/// The words of `args`, then `extra` (paths, which may hold spaces).
fn argv<'a>(args: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    args.split_whitespace().chain(extra.iter().copied()).collect()
}

/// The data rows of a CSV text, split into fields.
fn rows(csv: &str) -> Vec<Vec<String>> {
    csv.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// The file names in `dir`.
fn files(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn csv_has_a_header_the_start_and_a_row_per_step() {
    let out = ok(&argv(
        "trajectory --function rosenbrock --optimizer adam --lr 0.05 --start=-1.5,2 --steps 20",
        &[],
    ));
    assert_eq!(out.lines().next(), Some("step,x,y,f"));
    assert_eq!(out.lines().count(), 1 + 21);
    assert_eq!(out.lines().nth(1), Some("0,-1.5,2,12.5"));
    assert_eq!(rows(&out)[20][0], "20");
}

#[test]
fn negative_starts_work_as_typed() {
    let run = "trajectory --function booth --optimizer momentum --lr 0.01 --steps 5";
    let spaced = ok(&argv(run, &["--start", "-1.5,2"]));
    let joined = ok(&argv(run, &["--start=-1.5,2"]));
    assert_eq!(spaced, joined);
    assert_eq!(spaced.lines().nth(1), Some("0,-1.5,2,56.25"));
    let both = ok(&argv(run, &["--start", "-1.5,-2"]));
    assert_eq!(both.lines().nth(1), Some("0,-1.5,-2,256.25"));
}

#[test]
fn printed_values_are_the_library_values_to_the_last_bit() {
    let run = "trajectory --function beale --optimizer rmsprop --lr 0.01 --momentum 0.5 \
               --schedule exp:0.99 --start 1,1.5 --steps 50 --noise 0.3";
    let out = ok(&argv(run, &["--seed", "7"]));
    let opt = OptimizerParams {
        momentum: Some(0.5),
        ..OptimizerParams::named("rmsprop")
    }
    .build()
    .unwrap();
    let schedule = LrSchedule::new(0.01, Schedule::Exp { gamma: 0.99 }, 0).unwrap();
    let beale = TestFunction::Beale;
    let t = gradus::trajectory::run(
        &beale,
        &opt,
        &schedule,
        [1.0, 1.5],
        50,
        &gradus::trajectory::Gradients {
            noise: 0.3,
            seed: 7,
            clip_norm: None,
        },
    )
    .unwrap();
    let printed = rows(&out);
    assert_eq!(printed.len(), t.points.len());
    for (k, (row, ([x, y], f))) in printed.iter().zip(&t.points).enumerate() {
        let parsed: Vec<f64> = row.iter().map(|v| v.parse().unwrap()).collect();
        assert_eq!(parsed, [k as f64, *x, *y, *f], "row {k}");
    }
    // Another seed, another path.
    assert_ne!(out, ok(&argv(run, &["--seed", "8"])));
}

#[test]
fn compare_draws_every_rule_on_one_svg() {
    let dir = tempfile::tempdir().unwrap();
    let (svg, csv) = (path_in(dir.path(), "compare.svg"), path_in(dir.path(), "compare.csv"));
    let rules = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"];
    let out = gradus(&argv(
        "trajectory --function rosenbrock --start=-1.5,2 --steps 30 --momentum 0.8 \
         --compare sgd,momentum,nesterov,adagrad,rmsprop,adam",
        &["--plot", &svg, "--csv", &csv],
    ));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(out.stdout.is_empty(), "with --csv nothing goes to stdout");
    // --momentum is used by momentum, nesterov and rmsprop; the others run without it.
    assert!(
        stderr.contains("--momentum does not apply to adam, which runs without it"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg"));
    for rule in rules {
        assert!(text.contains(&format!("{rule} (lr ")), "{rule} not in the legend");
    }
    let table = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(table.lines().next(), Some("optimizer,step,x,y,f"));
    for rule in rules {
        let n = rows(&table).iter().filter(|r| r[0] == rule).count();
        assert_eq!(n, 31, "{rule}");
    }
    assert!(table.contains("\nmomentum,0,-1.5,2,12.5\n"));
    assert_eq!(files(dir.path()), ["compare.csv", "compare.svg"]);
}

#[test]
fn png_plots_and_gif_animations_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let (png, gif) = (path_in(dir.path(), "path.png"), path_in(dir.path(), "path.gif"));
    let out = ok(&argv(
        "trajectory --function himmelblau --optimizer adam --lr 0.1 --start 0,0 --steps 10",
        &["--plot", &png, "--animate", &gif],
    ));
    // With a picture, the rows go only where --csv says.
    assert_eq!(out, "");
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG\r\n\x1a\n"));
    assert!(std::fs::read(&gif).unwrap().starts_with(b"GIF89a"));
    assert_eq!(files(dir.path()), ["path.gif", "path.png"]);
}

#[test]
fn a_diverging_run_keeps_its_rows_and_fails_with_one_line() {
    let args = argv(
        "trajectory --function ravine:20 --optimizer sgd --lr 0.2 --start 1,1 --steps 50",
        &[],
    );
    assert_eq!(
        fails(&args),
        "gradus: error: sgd on ravine:20 diverged at step 12 (lr 0.2); try a smaller --lr"
    );
    let stdout = String::from_utf8(gradus(&args).stdout).unwrap();
    // The header, the start and the 11 steps before the one that diverged, all finite.
    assert_eq!(stdout.lines().count(), 1 + 12);
    assert!(!stdout.contains("NaN") && !stdout.contains("inf"));
}

#[test]
fn a_sweep_labels_each_rate_and_survives_divergence() {
    let dir = tempfile::tempdir().unwrap();
    let (svg, csv) = (path_in(dir.path(), "sweep.svg"), path_in(dir.path(), "sweep.csv"));
    ok(&argv(
        "trajectory --function ravine:20 --optimizer sgd --lr-sweep 0.01,0.09,0.1,0.12 \
         --start=-2.5,0.5 --steps 40",
        &["--plot", &svg, "--csv", &csv],
    ));
    let out = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(out.lines().next(), Some("lr,step,x,y,f"));
    let count = |lr: &str| rows(&out).iter().filter(|r| r[0] == lr).count();
    let counts = [count("0.01"), count("0.09"), count("0.1"), count("0.12")];
    assert_eq!(counts, [41, 41, 41, 40]);
    let text = std::fs::read_to_string(&svg).unwrap();
    for label in [
        "lr 0.01: f = 1.399",
        "lr 0.09: f = 0.001653",
        "lr 0.1: f = 2.501",
        "lr 0.12: diverged at step 40",
    ] {
        assert!(text.contains(label), "{label} not in the legend");
    }
}

#[test]
fn schedule_prints_each_tick() {
    let out = ok(&argv("schedule --schedule step:10,0.5 --lr 0.1 --steps 30", &[]));
    let mut want = String::from("step,lr\n");
    for t in 0..30 {
        want.push_str(&format!("{t},{}\n", [0.1, 0.05, 0.025][t / 10]));
    }
    assert_eq!(out, want);

    let dir = tempfile::tempdir().unwrap();
    let (png, csv) = (path_in(dir.path(), "lr.png"), path_in(dir.path(), "lr.csv"));
    let out = ok(&argv(
        "schedule --schedule cosine --lr 0.1 --warmup 5 --steps 50",
        &["--plot", &png, "--csv", &csv],
    ));
    assert!(out.is_empty());
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG\r\n\x1a\n"));
    let table = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(table.lines().nth(1), Some(format!("0,{}", 0.1 / 6.0).as_str()));
}

#[test]
fn bad_values_are_one_line_errors() {
    let bad = |args: &str| fails(&argv(args, &[]));
    let run = |extra: &str| bad(&format!("trajectory --function booth --steps 3 {extra}"));
    assert!(bad("trajectory --function sphere --start 0,0").contains("--function must be one of"));
    assert!(run("--start 1").contains("--start must be two finite numbers X,Y"));
    assert!(run("--start a,b").contains("--start must be two finite numbers X,Y"));
    assert!(run("--start 1e300,2").contains("--start is too far out for booth"));
    assert!(run("--start 1,2 --plot out.jpg").ends_with("--plot must end in .svg or .png, got out.jpg"));
    assert!(run("--start 1,2 --animate out.png").ends_with("--animate must end in .gif, got out.png"));
    assert!(run("--start 1,2 --compare sgd,fast").contains("--compare must list rules from"));
    assert!(run("--start 1,2 --compare sgd,sgd").ends_with("--compare lists sgd twice"));
    assert!(run("--start 1,2 --compare sgd --optimizer adam").contains("cannot be used with"));
    assert!(run("--start 1,2 --lr-sweep 0.1,-1").contains("--lr-sweep must be learning rates > 0"));
    assert!(run("--start 1,2 --lr-sweep 0.1 --lr 0.2").contains("cannot be used with"));
    assert!(run("--start 1,2 --noise -1").ends_with("--noise must be a finite number ≥ 0, got -1"));
    assert!(run("--start 1,2 --beta1 0.5").ends_with("--beta1 does not apply to sgd"));
    assert!(run("--start 1,2 --clip-norm 0").contains("--clip-norm must be a finite number > 0, got 0"));
    assert!(run("--start 1,2 --steps 2000000").contains("--steps must be at most"));
    let schedule = |extra: &str| bad(&format!("schedule --lr 0.1 --steps 5 {extra}"));
    assert!(schedule("--schedule plateau:3,0.5").contains("follows the training loss"));
    assert!(schedule("--schedule exp:2").contains("GAMMA must be in (0, 1]"));
    assert!(schedule("--plot lr.jpg").ends_with("--plot must end in .svg or .png, got lr.jpg"));
    assert!(bad("schedule --lr 0.1 --steps 0").contains("--steps must be between 1 and"));
    assert!(bad("schedule --lr 0 --steps 3").ends_with("--lr must be finite and > 0, got 0"));
}
