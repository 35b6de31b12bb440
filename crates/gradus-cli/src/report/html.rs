//! The report page: sections `configuration`, `data`, `curves`, `confusion`, `classes`,
//! `templates` and `timings`, each an HTML `<section>` of that id (a section that does not
//! apply says why, so every page has all seven). Every string that comes from the user or the
//! data (paths, class names, configuration values) is escaped ([`escape`]).

use super::{Run, base64};
use crate::commands::summary::{Curves, layer_names, learning_series, spans_decades, stop_reason, update_ratio};
use crate::plot::{Lines, Mark, Series, Templates, chart_svg, short};
use anyhow::Result;
use gradus::train::{EpochReport, StopReason};
use serde_json::Value;
use std::fmt::Write as _;

/// Pixel size of a chart.
const CHART: (u32, u32) = (640, 430);

/// The page's style: a readable column, charts in a grid, tables with light rules.
const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;max-width:1340px;padding:16px 24px;color:#222}
h1{font-size:1.6em;margin:.3em 0}h2{font-size:1.25em;border-bottom:2px solid #1a5f9a;padding-bottom:4px;margin-top:1.6em}
nav a{margin-right:1em;color:#1a5f9a}.lead{font-size:1.05em;color:#444}
table{border-collapse:collapse;margin:.5em 0}td,th{padding:3px 10px;border-bottom:1px solid #ddd;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.pair{display:flex;flex-wrap:wrap;column-gap:48px}.pair section{flex:1 1 auto}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:12px}
.grid svg{width:100%;height:auto;border:1px solid #eee}
.heat td{text-align:center;min-width:2.6em;border:1px solid #fff;font-variant-numeric:tabular-nums}
.heat th{font-weight:normal;font-size:.9em}
.bar{display:inline-block;height:.8em;background:#4c78a8;vertical-align:middle}
.bar.r{background:#f58518}.note{color:#666;font-style:italic}
img{max-width:100%;border:1px solid #eee}";

/// `text` with `&`, `<`, `>`, `"` and `'` replaced by their entities.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The whole page for `run`.
pub fn render(run: &Run) -> Result<String> {
    let s = &run.summary;
    let name = |k: &str| s[k].as_str().unwrap_or("?").to_string();
    let title = format!("{} on {}", name("model"), run.data.spec);
    let mut page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>gradus report: {}</title><style>{STYLE}</style></head><body>\n",
        escape(&title)
    );
    let _ = write!(
        page,
        "<h1>gradus training report: {}</h1>\n<p class=\"lead\">",
        escape(&title)
    );
    let _ = write!(
        page,
        "{} loss, {} (lr {}), batch {}. Stopped after {} epochs by {}. ",
        escape(&name("loss")),
        escape(&name("optimizer")),
        s["lr"],
        escape(&name("batch_size")),
        s["epochs"],
        escape(&stop_reason(&run.stop, s))
    );
    let finals: Vec<String> = [
        ("train_accuracy", "train accuracy"),
        ("test_accuracy", "test accuracy"),
        ("train_rmse", "train RMSE"),
        ("test_rmse", "test RMSE"),
    ]
    .iter()
    .filter_map(|(key, label)| s[key].as_f64().map(|v| format!("{label} <b>{v:.4}</b>")))
    .collect();
    let finals = finals.join(", ");
    let _ = write!(page, "At the final parameters: {finals}.</p>\n<nav>");
    let sections = [
        ("configuration", "Configuration"),
        ("data", "Data"),
        ("curves", "Learning curves"),
        ("confusion", "Confusion matrix"),
        ("classes", "Precision and recall"),
        ("templates", "Weight templates"),
        ("timings", "Timings"),
    ];
    for (id, heading) in sections {
        let _ = write!(page, "<a href=\"#{id}\">{heading}</a>");
    }
    page.push_str("</nav>\n");
    let bodies = [
        configuration(&run.config),
        data(run),
        curves(run)?,
        confusion(run),
        classes(run),
        templates(run)?,
        timings(run),
    ];
    // Configuration and data side by side where the window is wide enough.
    for (k, ((id, heading), body)) in sections.iter().zip(bodies).enumerate() {
        if k == 0 {
            page.push_str("<div class=\"pair\">\n");
        }
        let _ = write!(page, "<section id=\"{id}\"><h2>{heading}</h2>\n{body}</section>\n");
        if k == 1 {
            page.push_str("</div>\n");
        }
    }
    page.push_str("<p class=\"note\">Made by gradus; this page is self-contained (no scripts, no network).</p>\n");
    page.push_str("</body></html>\n");
    Ok(page)
}

/// A note in place of a section's content.
fn note(text: &str) -> String {
    format!("<p class=\"note\">{}</p>\n", escape(text))
}

/// `value`'s leaves as `(path, text)` rows: objects by dotted keys, arrays of plain values
/// joined by commas, nulls as `none`.
fn flatten(prefix: &str, value: &Value, rows: &mut Vec<(String, String)>) {
    let key = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match value {
        Value::Object(map) => map.iter().for_each(|(k, v)| flatten(&key(k), v, rows)),
        Value::Array(items) if items.iter().all(|v| !v.is_object() && !v.is_array()) => {
            let text: Vec<String> = items.iter().map(plain).collect();
            let text = if text.is_empty() {
                "none".into()
            } else {
                text.join(", ")
            };
            rows.push((prefix.to_string(), text));
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, v)| flatten(&key(&i.to_string()), v, rows)),
        v => rows.push((prefix.to_string(), plain(v))),
    }
}

/// A plain JSON value as text: strings without quotes, null as `none`.
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "none".into(),
        v => v.to_string(),
    }
}

/// A two-column table of `rows`.
fn table(rows: &[(String, String)]) -> String {
    let mut t = String::from("<table>\n");
    for (k, v) in rows {
        let _ = writeln!(t, "<tr><th>{}</th><td>{}</td></tr>", escape(k), escape(v));
    }
    t.push_str("</table>\n");
    t
}

/// The configuration, every setting the model file records.
fn configuration(config: &Value) -> String {
    let mut rows = Vec::new();
    flatten("", config, &mut rows);
    table(&rows)
}

/// The data's source, split sizes and class balance.
fn data(run: &Run) -> String {
    let d = &run.data;
    let mut out = table(&[
        ("source".into(), d.spec.clone()),
        ("training rows".into(), d.rows[0].to_string()),
        ("validation rows".into(), d.rows[1].to_string()),
        ("test rows".into(), d.rows[2].to_string()),
        ("features".into(), d.features.to_string()),
        (
            "classes".into(),
            if d.classes.is_empty() {
                "none (regression)".into()
            } else {
                d.classes.len().to_string()
            },
        ),
    ]);
    if !d.classes.is_empty() {
        out.push_str(
            "<table><tr><th>class</th><th class=\"n\">training rows</th><th class=\"n\">test rows</th></tr>\n",
        );
        for (name, [train, test]) in d.classes.iter().zip(&d.class_rows) {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td class=\"n\">{train}</td><td class=\"n\">{test}</td></tr>",
                escape(name)
            );
        }
        out.push_str("</table>\n");
    }
    out
}

/// A series of `history`'s values `f` per epoch.
fn series(
    history: &[EpochReport],
    label: &str,
    colour: usize,
    dash: usize,
    f: impl Fn(&EpochReport) -> Option<f64>,
) -> Series {
    let points = history
        .iter()
        .filter_map(|h| f(h).filter(|v| v.is_finite()).map(|v| (h.epoch as f64, v)))
        .collect();
    Series::line(label, points, colour, dash)
}

/// A chart of the non-empty `series`, logarithmic in y when they span more than a decade; a
/// note when all are empty.
fn chart(title: &str, y_label: &str, series: Vec<Series>, marks: &[Mark]) -> Result<String> {
    let series: Vec<Series> = series.into_iter().filter(|s| !s.points.is_empty()).collect();
    if series.is_empty() {
        return Ok(note(&format!("{title}: no figures in this run")));
    }
    let lines = Lines {
        title,
        x_label: "epoch",
        y_label,
        series: &series,
        marks,
        log_x: false,
        log_y: spans_decades(&series),
    };
    chart_svg(&lines, CHART)
}

/// The learning curves: objective, accuracies, learning rate, gradient norm and the update/weight
/// ratio of each layer, per epoch.
fn curves(run: &Run) -> Result<String> {
    let h = &run.history;
    if h.is_empty() {
        return Ok(note("the run has no completed epoch"));
    }
    let kept = match run.stop {
        StopReason::EarlyStopped { best_epoch } => Some(best_epoch),
        _ => None,
    };
    let (objective, marks) = learning_series(&[Curves {
        name: String::new(),
        history: h,
        kept,
    }]);
    let ratios = layer_names(h)
        .iter()
        .enumerate()
        .map(|(k, layer)| series(h, layer, k, 0, |e| update_ratio(e, layer)))
        .collect();
    let charts = [
        chart("Objective", "loss", objective, &marks)?,
        chart(
            "Accuracy",
            "accuracy",
            vec![
                series(h, "training (during each epoch)", 0, 0, |e| e.train_accuracy),
                series(h, "validation (after each epoch)", 1, 1, |e| e.val_accuracy),
            ],
            &[],
        )?,
        chart(
            "Learning rate",
            "learning rate",
            vec![series(h, "", 0, 0, |e| Some(e.lr))],
            &[],
        )?,
        chart(
            "Gradient norm",
            "‖∇L‖₂",
            vec![
                series(h, "mean over the epoch's batches", 0, 0, |e| Some(e.mean_grad_norm)),
                series(h, "whole training split, after the epoch", 1, 1, |e| e.grad_norm),
            ],
            &[],
        )?,
        chart(
            "Update/weight ratio per layer",
            "‖Δθ‖ / ‖θ‖ over the epoch",
            ratios,
            &[],
        )?,
    ];
    let mut out = String::from(
        "<p>The objective and the training accuracy are running means during each epoch (each batch before its update); \
         the gradient norm is the mean of the batch gradients' norms; the update/weight ratio is \
         ‖θ<sub>end</sub> − θ<sub>start</sub>‖ / ‖θ<sub>start</sub>‖ of each layer over the epoch.</p>\n<div class=\"grid\">\n",
    );
    for c in charts {
        let _ = writeln!(out, "<figure>{c}</figure>");
    }
    out.push_str("</div>\n");
    Ok(out)
}

/// Blue of the strength `t` in [0, 1] (white at 0), and the text colour that reads on it.
fn heat(t: f64) -> (String, &'static str) {
    let t = t.clamp(0.0, 1.0);
    let mix = |e: f64| (255.0 + (e - 255.0) * t).round() as u8;
    let fill = format!("rgb({},{},{})", mix(8.0), mix(48.0), mix(107.0));
    (fill, if t > 0.5 { "#fff" } else { "#222" })
}

/// The test split's confusion matrix as a heat map: a cell's shade is the fraction of its row
/// (the true class's rows) predicted as its column.
fn confusion(run: &Run) -> String {
    let Some(t) = &run.test else {
        return note("a regressor has no confusion matrix");
    };
    let names = &run.data.classes;
    let mut out = format!(
        "<p>Test split, {} rows, accuracy {:.4}. Rows: the true class; columns: the predicted one; \
         the shade is the share of the row's examples.</p>\n<table class=\"heat\"><tr><th>true \\ predicted</th>",
        run.data.rows[2], t.accuracy
    );
    for n in names {
        let _ = write!(out, "<th>{}</th>", escape(n));
    }
    out.push_str("</tr>\n");
    for (row, name) in t.confusion.iter().zip(names) {
        let total = row.iter().sum::<u64>().max(1) as f64;
        let _ = write!(out, "<tr><th>{}</th>", escape(name));
        for &count in row {
            let (fill, ink) = heat(count as f64 / total);
            let _ = write!(out, "<td style=\"background:{fill};color:{ink}\">{count}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
    out
}

/// A value in [0, 1] with a bar of its size.
fn bar(v: f64, class: &str) -> String {
    format!(
        "<td class=\"n\">{v:.3}</td><td><span class=\"bar{class}\" style=\"width:{:.0}px\"></span></td>",
        (v.clamp(0.0, 1.0) * 160.0)
    )
}

/// Per-class precision and recall on the test split, with bars.
fn classes(run: &Run) -> String {
    let Some(t) = &run.test else {
        return note("a regressor has no per-class figures");
    };
    let mut out = String::from(
        "<table><tr><th>class</th><th class=\"n\">test rows</th><th class=\"n\">precision</th><th></th>\
         <th class=\"n\">recall</th><th></th></tr>\n",
    );
    for (k, name) in run.data.classes.iter().enumerate() {
        let rows = run.data.class_rows.get(k).map_or(0, |r| r[1]);
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"n\">{rows}</td>{}{}</tr>",
            escape(name),
            bar(t.precision.get(k).copied().unwrap_or(0.0), ""),
            bar(t.recall.get(k).copied().unwrap_or(0.0), " r")
        );
    }
    out.push_str("</table>\n<p class=\"note\">Precision: correct predictions of the class over all its predictions; recall: over its rows.</p>\n");
    out
}

/// A linear image model's weight rows as pictures, embedded as a PNG.
fn templates(run: &Run) -> Result<String> {
    let Some(t) = &run.templates else {
        return Ok(note(
            "weight templates are drawn for linear classifiers of images only (each row of W is then an image)",
        ));
    };
    let title = super::templates_title(&run.data.spec);
    let png = Templates::new(&title, &t.weights, &t.names, t.shape)?.png()?;
    let mut out = String::from(
        "<p>Each tile is the row of the weight matrix W of one class, shown as an image: the template the \
         class's scores match inputs against.</p>\n",
    );
    if run.config["scaling"] == "standardize" {
        out.push_str(
            "<p class=\"note\">The inputs were standardized pixel by pixel, so pixels that barely vary (the \
             borders) weigh as much as the rest and their weights look like noise; a run with --scale unit \
             (and --init zeros, --reg l2:1e-3) draws templates that read as the classes' shapes.</p>\n",
        );
    }
    let _ = writeln!(
        out,
        "<img alt=\"weight templates\" src=\"data:image/png;base64,{}\">",
        base64::encode(&png)
    );
    Ok(out)
}

/// Wall-clock figures of the run.
fn timings(run: &Run) -> String {
    let s = &run.summary;
    let secs = |v: &Value| v.as_f64().map_or_else(|| "?".into(), |x| format!("{} s", short(x)));
    let e = &s["epoch_seconds"];
    let mut rows = vec![
        ("whole run".to_string(), secs(&s["seconds"])),
        ("training steps".to_string(), secs(&s["train_seconds"])),
        ("per epoch, mean".to_string(), secs(&s["seconds_per_epoch"])),
    ];
    for k in ["min", "median", "max"] {
        rows.push((format!("per epoch, {k}"), secs(&e[k])));
    }
    rows.push(("objective evaluations".into(), plain(&s["evaluations"])));
    let mut out = table(&rows);
    out.push_str(
        "<p class=\"note\">The whole run includes reading the data, validation, scoring and writing files.</p>\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_flattening() {
        assert_eq!(
            escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        let mut rows = Vec::new();
        let v = serde_json::json!({"a": {"b": 1, "c": [1, 2], "h": []}, "d": null, "e": [{"f": "g"}]});
        flatten("", &v, &mut rows);
        let want = [
            ("a.b", "1"),
            ("a.c", "1, 2"),
            ("a.h", "none"),
            ("d", "none"),
            ("e.0.f", "g"),
        ];
        assert_eq!(rows, want.map(|(k, v)| (k.to_string(), v.to_string())));
        assert_eq!(heat(0.0), ("rgb(255,255,255)".into(), "#222"));
        assert_eq!(heat(1.0), ("rgb(8,48,107)".into(), "#fff"));
    }
}
