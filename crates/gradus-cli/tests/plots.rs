//! Plots a learner reads: learning curves with labelled ticks and the kept epoch, several
//! learning rates on one plot, paths told apart, a diverging path's arrow, and animations with
//! one palette.

mod common;
use common::*;

/// The texts of an SVG file, in drawing order.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| t.split_once('>').and_then(|(_, rest)| rest.split_once("</text>")))
        .map(|(text, _)| text.trim().to_string())
        .collect()
}

/// A log axis labels 0.05 and 0.2 as well as the powers of ten; epochs are whole numbers; the
/// epoch early stopping kept is marked.
#[test]
fn learning_curves_label_their_ticks_and_mark_the_kept_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let svg = path_in(dir.path(), "curve.svg");
    let r = last_json(&ok(&[
        "train",
        "--model",
        "mlp:64",
        "--epochs",
        "60",
        "--early-stopping",
        "10",
        "--plot",
        &svg,
        "--json",
    ]));
    let kept = r["stop"]["best_epoch"].as_u64().expect("early stopping");
    let t = texts(&std::fs::read_to_string(&svg).unwrap());
    for label in ["0.05", "0.1", "0.2", "0.5", "1", "10", "20"] {
        assert!(t.iter().any(|x| x == label), "{label} not among {t:?}");
    }
    assert!(t.contains(&format!("kept epoch {kept}")), "{t:?}");
    // Every tick label is a number, and along the epoch axis a whole one.
    let numbers: Vec<f64> = t.iter().filter_map(|x| x.parse().ok()).collect();
    assert!(
        numbers.iter().filter(|v| **v >= 1.0).all(|v| v.fract() == 0.0),
        "{numbers:?}"
    );
}

#[test]
fn compare_lr_draws_one_curve_per_rate() {
    let dir = tempfile::tempdir().unwrap();
    let svg = path_in(dir.path(), "rates.svg");
    let r = last_json(&ok(&[
        "train",
        "--loss",
        "squared-svm",
        "--compare-lr",
        "0.001,0.01,10",
        "--epochs",
        "5",
        "--plot",
        &svg,
        "--json",
    ]));
    let runs = r["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3);
    assert!(runs[1]["test_accuracy"].as_f64().unwrap() > runs[0]["test_accuracy"].as_f64().unwrap());
    // A rate that diverges is reported and drawn up to where it went, not an error.
    assert!(runs[2]["diverged"].as_str().is_some(), "{r}");
    let t = texts(&std::fs::read_to_string(&svg).unwrap());
    for label in [
        "lr 0.001: training objective",
        "lr 0.01: training objective",
        "lr 10: training objective",
    ] {
        assert!(t.iter().any(|x| x == label), "{label} not among {t:?}");
    }
    assert!(fails(&["train", "--compare-lr", "0.1,0.1", "--plot", &svg]).contains("--compare-lr lists 0.1 twice"));
    let out = gradus(&["train", "--compare-lr", "0.1"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--plot <PATH>"));
    assert!(fails(&["train", "--compare-lr", "0.1", "--lr", "0.2", "--plot", &svg]).contains("cannot be used with"));
}

/// A path that leaves the view ends in an arrow at the edge, with the step it diverged at.
#[test]
fn a_diverging_path_is_cut_at_the_edge_with_its_step() {
    let dir = tempfile::tempdir().unwrap();
    let svg = path_in(dir.path(), "sweep.svg");
    ok(&[
        "trajectory",
        "--function",
        "ravine:20",
        "--optimizer",
        "sgd",
        "--lr-sweep",
        "0.01,0.12",
        "--start=-2.5,0.5",
        "--steps",
        "40",
        "--plot",
        &svg,
    ]);
    let t = texts(&std::fs::read_to_string(&svg).unwrap());
    assert!(
        t.iter().any(|x| x == "out of view at step 4, diverged at step 40"),
        "{t:?}"
    );
    assert!(t.iter().any(|x| x == "lr 0.12: diverged at step 40"), "{t:?}");
}

/// Paths that cover each other stay apart: the end marks come after every path's line, so
/// none is hidden under another path.
#[test]
fn end_marks_are_drawn_over_every_path() {
    let dir = tempfile::tempdir().unwrap();
    let svg = path_in(dir.path(), "compare.svg");
    ok(&[
        "trajectory",
        "--function",
        "beale",
        "--compare",
        "adam,adamw,adadelta",
        "--start",
        "1,1.5",
        "--steps",
        "300",
        "--plot",
        &svg,
    ]);
    let text = std::fs::read_to_string(&svg).unwrap();
    // The black outlines of the end marks (5 px wide) all come after the last path piece drawn
    // before the legend (whose texts come before its glyphs).
    let legend = text.find("adam (lr 0.001)").unwrap();
    let last_piece = ["#1F77B4", "#FF7F0E", "#2CA02C"]
        .iter()
        .filter_map(|c| text[..legend].rfind(&format!("stroke=\"{c}\" stroke-width=\"2\"")))
        .max()
        .unwrap();
    let first_mark = text.find("stroke=\"#000000\" stroke-width=\"5\"").unwrap();
    assert!(first_mark > last_piece);
}

/// Every frame of an animation uses the one global palette, in which the series' colours and
/// the star's gold are exact; the last frame stays up.
#[test]
fn gif_frames_share_one_palette_and_the_last_holds() {
    let dir = tempfile::tempdir().unwrap();
    let gif = path_in(dir.path(), "path.gif");
    ok(&[
        "trajectory",
        "--function",
        "beale",
        "--compare",
        "sgd,adam",
        "--lr",
        "0.01",
        "--start",
        "1,1.5",
        "--steps",
        "30",
        "--animate",
        &gif,
    ]);
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::Indexed);
    let mut decoder = options.read_info(std::fs::File::open(&gif).unwrap()).unwrap();
    let palette: Vec<[u8; 3]> = decoder
        .global_palette()
        .expect("a global palette")
        .chunks_exact(3)
        .map(|c| [c[0], c[1], c[2]])
        .collect();
    for colour in [[31, 119, 180], [255, 127, 14], [255, 200, 0]] {
        assert!(palette.contains(&colour), "{colour:?}");
    }
    let mut delays = Vec::new();
    while let Some(frame) = decoder.read_next_frame().unwrap() {
        assert!(
            frame.palette.is_none(),
            "frame {} has a palette of its own",
            delays.len()
        );
        delays.push(frame.delay);
    }
    // Step 0 to step 30: 31 frames, the last held.
    assert_eq!(delays.len(), 31);
    assert!(delays[..30].iter().all(|d| *d == 8));
    assert!(delays[30] >= 200);
}
