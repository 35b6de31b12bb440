//! The training report: `train --report DIR` and `gradus report DIR`, the page's sections and
//! escaping, and the page rendered in a real browser (headless Chromium).

mod common;

use common::{last_json, ok, path_in};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The page's sections, by id.
const SECTIONS: [&str; 7] = [
    "configuration",
    "data",
    "curves",
    "confusion",
    "classes",
    "templates",
    "timings",
];

/// The report of a short run on the embedded digits (a linear model: with templates) in `dir`.
fn digits_report(dir: &Path) -> serde_json::Value {
    let out = ok(&[
        "train",
        "--epochs",
        "4",
        "--val-fraction",
        "0.1",
        "--report",
        &path_in(dir, "run"),
        "--json",
    ]);
    last_json(&out)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The run directory holds the page and its data; the page has every section, its charts and
/// its templates inline, and nothing it would fetch; `gradus report` renders the same page from
/// `run.json`; `train --json` carries the health figures of every epoch.
#[test]
fn a_report_has_every_section_and_renders_again_from_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let s = digits_report(dir.path());
    let run = dir.path().join("run");
    let page_path = run.join("report.html");
    assert_eq!(s["report"].as_str(), Some(page_path.to_str().unwrap()));
    let page = read(&page_path);
    for id in SECTIONS {
        assert!(page.contains(&format!("<section id=\"{id}\">")), "no section {id}");
    }
    assert_eq!(page.matches("<svg").count(), 5, "five charts");
    assert!(
        page.contains("src=\"data:image/png;base64,iVBORw0KGgo"),
        "embedded PNG templates"
    );
    for outside in ["<script", "http://", "https://", "<link", "@import"] {
        // The SVGs' xmlns names a URL but fetches nothing.
        let fetched = page.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        assert!(!fetched.contains(outside), "the page refers to {outside}");
    }
    assert!(run.join("templates.png").is_file());

    let health = s["health"].as_array().expect("health figures");
    assert_eq!(health.len(), 4);
    for (k, h) in health.iter().enumerate() {
        assert_eq!(h["epoch"], k + 1);
        assert!(h["mean_grad_norm"].as_f64().unwrap() > 0.0);
        let u = &h["updates"][0];
        assert_eq!(u["layer"], "layers.0");
        let (norm, update, ratio) = (
            u["norm"].as_f64().unwrap(),
            u["update"].as_f64().unwrap(),
            u["ratio"].as_f64().unwrap(),
        );
        assert!((ratio - update / norm).abs() <= 1e-12 * ratio);
    }
    let data: serde_json::Value = serde_json::from_str(&read(&run.join("run.json"))).unwrap();
    assert_eq!(data["history"].as_array().map(Vec::len), Some(4));
    assert_eq!(data["data"]["rows"][1], 145);

    std::fs::remove_file(&page_path).unwrap();
    let out = ok(&["report", run.to_str().unwrap()]);
    assert_eq!(out.trim(), page_path.to_str().unwrap());
    assert_eq!(read(&page_path), page, "the same page from run.json");

    std::fs::write(run.join("run.json"), "{\"version\": 1, \"summary\": 3}").unwrap();
    let bad = common::fails(&["report", run.to_str().unwrap()]);
    assert!(bad.contains("run/run.json: not a gradus run file"), "{bad}");
    std::fs::write(run.join("run.json"), "{\"version\": 7}").unwrap();
    let later = common::fails(&["report", run.to_str().unwrap()]);
    assert!(later.contains("run file version 7 is not 1"), "{later}");
    std::fs::write(dir.path().join("file"), "").unwrap();
    let out = common::gradus(&["train", "--report", &path_in(dir.path(), "file/run")]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("file/run: cannot create the report directory"),
        "{err}"
    );
    assert!(
        !err.contains("epoch"),
        "the run directory is checked before training: {err}"
    );
    let missing = common::fails(&["report", &path_in(dir.path(), "nowhere")]);
    assert!(
        missing.contains("nowhere/run.json: cannot read the run's data"),
        "{missing}"
    );
}

/// Class names and paths from the user are escaped; a regressor's page says why it has no
/// confusion matrix, per-class figures or templates, and still has every section.
#[test]
fn user_strings_are_escaped_and_a_regressor_has_every_section() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("a<b>&c.csv");
    let mut text = String::from("x,y,label\n");
    for i in 0..60 {
        let label = if i % 2 == 0 {
            "<script>alert(1)</script>"
        } else {
            "O'Neil & \"co\""
        };
        text.push_str(&format!("{},{},{label}\n", i % 7, (i * 3) % 5));
    }
    std::fs::write(&csv, text).unwrap();
    let data = format!("csv:{}", csv.display());
    ok(&[
        "train",
        "--data",
        &data,
        "--epochs",
        "2",
        "--report",
        &path_in(dir.path(), "c"),
    ]);
    let page = read(&dir.path().join("c/report.html"));
    assert!(!page.contains("<script"), "a class name was not escaped");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("O&#39;Neil &amp; &quot;co&quot;"));
    assert!(page.contains("a&lt;b&gt;&amp;c.csv") && !page.contains("a<b>"));

    let mut text = String::from("x,y\n");
    for i in 0..40 {
        text.push_str(&format!("{},{}\n", i % 9, 0.5 * (i % 9) as f64 + 1.0));
    }
    let reg = dir.path().join("r.csv");
    std::fs::write(&reg, text).unwrap();
    let data = format!("csv:{}", reg.display());
    ok(&[
        "train",
        "--data",
        &data,
        "--task",
        "regress",
        "--loss",
        "squared",
        "--epochs",
        "2",
        "--report",
        &path_in(dir.path(), "r"),
    ]);
    let page = read(&dir.path().join("r/report.html"));
    for id in SECTIONS {
        assert!(page.contains(&format!("<section id=\"{id}\">")), "no section {id}");
    }
    assert!(page.contains("a regressor has no confusion matrix"));
    assert!(!dir.path().join("r/templates.png").exists());
}

/// A Chromium to run: `$GRADUS_CHROMIUM`, or `chromium`, `chromium-browser` or
/// `google-chrome` on the PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("GRADUS_CHROMIUM") {
        return Some(p.into());
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |d| d.join(name)))
        .find(|p| p.is_file())
}

/// Runs headless Chromium on `page` with `args` (a fresh profile, nothing fetched); returns
/// stdout.
fn headless(browser: &Path, page: &Path, args: &[&str]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The page in a real browser: the DOM Chromium builds has every section, the five charts and
/// the templates; its screenshot shows the confusion matrix's darkest shade and the charts'
/// first colour (so the inline SVG and the table were drawn, not only parsed). Skipped, loudly,
/// where no Chromium is installed, except in CI (`CI=true`), where that fails.
#[test]
fn the_report_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true");
        assert!(
            !ci,
            "Chromium is needed in CI: apt-get install chromium (scripts/test.sh does)"
        );
        eprintln!("\n*** SKIPPED: no Chromium found (apt-get install chromium, or set GRADUS_CHROMIUM) ***\n");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    digits_report(dir.path());
    let page = dir.path().join("run/report.html");

    let dom = headless(&browser, &page, &["--dump-dom"]);
    for id in SECTIONS {
        assert!(
            dom.contains(&format!("<section id=\"{id}\">")),
            "the DOM has no section {id}"
        );
    }
    assert_eq!(dom.matches("<svg").count(), 5);
    assert!(dom.contains("<img alt=\"weight templates\""));

    let shot = dir.path().join("shot.png");
    headless(
        &browser,
        &page,
        &[&format!("--screenshot={}", shot.display()), "--window-size=1400,5200"],
    );
    let decoder = png::Decoder::new(std::fs::File::open(&shot).expect("a screenshot"));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((info.width, info.height), (1400, 5200));
    let step = info.color_type.samples();
    let has = |rgb: [u8; 3]| pixels.chunks_exact(step).any(|p| p[..3] == rgb);
    assert!(
        has([8, 48, 107]),
        "the confusion matrix's darkest cell is not on the screenshot"
    );
    assert!(has([31, 119, 180]), "the charts' first colour is not on the screenshot");
}
