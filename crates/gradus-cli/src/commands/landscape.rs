//! `gradus landscape`: the objective on a line or a plane through parameter space around a
//! saved model or random weights, with a recorded training path projected onto it.

use super::{model_params, rows};
use crate::args::{DataArgs, LandscapeArgs, ModelArgs, Split};
use crate::output::{outln, write};
use crate::plot::{self, HeatMap, Mark, Series};
use anyhow::{Context, Result, bail};
use gradus::data::Dataset;
use gradus::data::batch::Prepared;
use gradus::data::spec::SplitRule;
use gradus::estimator::{Fitted, RowRequest};
use gradus::landscape::{self, Point, path};
use gradus::train::TrainParams;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use std::fmt::Write as _;
use std::path::Path;

/// The model and the rows of `--split` it is evaluated on.
fn model_and_rows(a: &LandscapeArgs, threads: usize) -> Result<(Fitted, Dataset, bool)> {
    let file = Path::new(&a.model);
    if file.is_file() {
        for (given, flag) in [
            (a.loss.is_some(), "--loss"),
            (a.reg.is_some(), "--reg"),
            (a.init.is_some(), "--init"),
            (a.init_seed.is_some(), "--init-seed"),
        ] {
            if given {
                bail!(
                    "{flag} is for random weights of an architecture; {} is a saved model",
                    a.model
                );
            }
        }
        let model = Fitted::load(file, threads)?;
        let data = model
            .rows(&RowRequest {
                data: a.data.as_deref(),
                label_column: a.label_column.as_deref(),
                rows: rows(a.split),
                allow_unlabelled: false,
            })?
            .data;
        return Ok((model, data, true));
    }
    if a.model.ends_with(".st") || a.model.ends_with(".safetensors") || a.model.contains('/') {
        bail!("--model {}: no such file", a.model);
    }
    // Random weights: the lectures' "generate a random W".
    let m = ModelArgs {
        model: a.model.clone(),
        activation: "relu".into(),
        init: a.init.clone().unwrap_or_else(|| "auto".into()),
        loss: a.loss.clone(),
        margin: None,
        delta: None,
        class_weight: None,
        reg: a.reg.clone().unwrap_or_else(|| "none".into()),
        reg_bias: false,
    };
    let d = DataArgs {
        data: a.data.clone().unwrap_or_else(|| "digits".into()),
        label_column: a.label_column.clone(),
        task: None,
        test_fraction: 0.2,
        features: None,
        ignore_columns: None,
        categorical: None,
        header: None,
        max_record_mib: 16,
        hash_bits: None,
    };
    let train = TrainParams {
        seed: a.init_seed.unwrap_or(0),
        threads,
        ..TrainParams::default()
    };
    let config = model_params(&m, "standardize", &d, Some(0.0), train)
        .with_context(|| format!("--model {}: neither a model file nor an architecture", a.model))?
        .check()?;
    let (spec, csv) = super::data_source(&d)?;
    let rule = SplitRule {
        test_fraction: 0.2,
        val_fraction: 0.0,
        seed: config.train.seed,
    };
    let loaded = spec.load(&csv)?;
    let splits = rule.apply(loaded)?;
    let model = Fitted::new(&config, &splits.train)?;
    let data = match (a.split, splits.test) {
        (Split::Test | Split::Auto, Some(t)) => t,
        (Split::All, Some(t)) => splits.train.concat(&t)?,
        (_, _) => splits.train,
    };
    Ok((model, data, false))
}

/// `--range a,b`.
fn range(text: &str) -> Result<(f64, f64)> {
    let parts: Vec<f64> = text
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<std::result::Result<_, _>>()
        .ok()
        .filter(|p: &Vec<f64>| p.len() == 2)
        .with_context(|| format!("--range must be two numbers a,b, got '{text}'"))?;
    Ok((parts[0], parts[1]))
}

pub fn run(a: LandscapeArgs) -> Result<()> {
    let threads = rayon::current_num_threads();
    if !(1..=2).contains(&a.dims) {
        bail!("--dims must be 1 or 2, got {}", a.dims);
    }
    if let Some(p) = &a.plot {
        plot::check_picture(p)?;
    }
    let (lo, hi) = range(&a.range)?;
    let coords = landscape::coordinates(lo, hi, a.points)?;
    if a.points.pow(a.dims as u32) > landscape::MAX_POINTS {
        bail!(
            "--points {} makes a grid of {} points; it may have at most {}",
            a.points,
            a.points.saturating_pow(a.dims as u32),
            landscape::MAX_POINTS
        );
    }
    let (model, mut data, saved) = model_and_rows(&a, threads)?;
    if let Some(i) = a.example {
        if i >= data.len() {
            bail!("--example {i} is beyond the {} rows of the split", data.len());
        }
        data = data.subset(&[i]);
    } else if let Some(n) = a.examples {
        if n == 0 || n > data.len() {
            bail!(
                "--examples must be between 1 and the {} rows of the split, got {n}",
                data.len()
            );
        }
        data = data.subset(&(0..n).collect::<Vec<_>>());
    }
    let inputs = model.encode(&data)?.data;
    let prepared = Prepared {
        data: &inputs,
        affine: model.affine(),
    };
    let objective = model.objective();
    let layout = objective.network.layout();
    let theta = model.params();
    let n = theta.len();
    // The recorded path, checked against the model.
    let recorded = a.path.as_deref().map(|p| path::read(p, layout)).transpose()?;
    let how = a
        .directions
        .clone()
        .unwrap_or_else(|| if saved { "filter".into() } else { "random".into() });
    let dirs: Vec<Vec<f32>> = match how.as_str() {
        "random" => (0..a.dims as u64).map(|k| landscape::gaussian(n, a.seed + k)).collect(),
        "filter" => (0..a.dims as u64)
            .map(|k| {
                let mut d = landscape::gaussian(n, a.seed + k);
                landscape::filter_normalize(&mut d, theta, layout);
                d
            })
            .collect(),
        "pca" => {
            let Some((_, records)) = &recorded else {
                bail!("--directions pca needs a recorded path (--path FILE)");
            };
            let points: Vec<Vec<f32>> = records.iter().map(|r| r.1.clone()).collect();
            let [(d1, f1), (d2, f2)] = landscape::principal(&points)?;
            eprintln!(
                "gradus: the path's principal directions explain {:.1} % and {:.1} % of its variance",
                100.0 * f1,
                100.0 * f2
            );
            [d1, d2].into_iter().take(a.dims).collect()
        }
        other => bail!("--directions must be random, filter or pca, got '{other}'"),
    };
    let total = a.points.pow(a.dims as u32);
    let bar = ProgressBar::new(total as u64);
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_style(
            ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} points {elapsed}")
                .unwrap_or(ProgressStyle::default_bar()),
        );
        bar.set_message("landscape");
    } else {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let tick = |k: usize| bar.set_position(k as u64);
    eprintln!(
        "gradus: landscape of {} / {} on {} rows: {} directions, {total} points in [{lo}, {hi}]{}",
        objective.network.architecture(),
        objective.loss,
        inputs.len(),
        how,
        if a.dims == 2 { " squared" } else { "" }
    );
    let points = match a.dims {
        1 => landscape::slice_1d(objective, &prepared, theta, &dirs[0], &coords, threads, &tick)?,
        _ => landscape::slice_2d(
            objective, &prepared, theta, &dirs[0], &dirs[1], &coords, &coords, threads, &tick,
        )?,
    };
    bar.finish_and_clear();
    // The path's coordinates in the plane (the line), and how far it leaves it.
    let zero = vec![0.0f32; n];
    let projected: Vec<((f64, f64), f64)> = recorded
        .as_ref()
        .map(|(_, records)| {
            records
                .iter()
                .map(|(_, p)| {
                    let v: Vec<f64> = p.iter().zip(theta).map(|(x, t)| *x as f64 - *t as f64).collect();
                    landscape::project(&v, &dirs[0], dirs.get(1).unwrap_or(&zero))
                })
                .collect()
        })
        .unwrap_or_default();
    report(&a, &coords, &points, &projected, &how)
}

/// Writes the CSV, the plot and the summary.
fn report(
    a: &LandscapeArgs,
    coords: &[f64],
    points: &[Point],
    projected: &[((f64, f64), f64)],
    how: &str,
) -> Result<()> {
    let p = coords.len();
    let at = |k: usize| match a.dims {
        1 => (coords[k], 0.0),
        _ => (coords[k % p], coords[k / p]),
    };
    let mut csv = String::from(if a.dims == 1 { "a,loss" } else { "a,b,loss" });
    csv.push_str(if a.accuracy { ",accuracy\n" } else { "\n" });
    for (k, pt) in points.iter().enumerate() {
        let (x, y) = at(k);
        let _ = match a.dims {
            1 => write!(csv, "{x},{}", pt.objective),
            _ => write!(csv, "{x},{y},{}", pt.objective),
        };
        if a.accuracy {
            let _ = write!(csv, ",{}", pt.accuracy.map_or(String::new(), |v| v.to_string()));
        }
        csv.push('\n');
    }
    let origin = points
        .iter()
        .enumerate()
        .min_by(|(i, _), (j, _)| {
            let d = |k: usize| at(k).0.abs() + at(k).1.abs();
            d(*i).total_cmp(&d(*j))
        })
        .map(|(k, pt)| (at(k), pt.objective));
    let min = points
        .iter()
        .enumerate()
        .filter(|(_, pt)| pt.objective.is_finite())
        .min_by(|(_, x), (_, y)| x.objective.total_cmp(&y.objective))
        .map(|(k, pt)| (at(k), pt.objective));
    let residual = projected.iter().map(|(_, r)| *r).fold(0.0f64, f64::max);
    if let Some(((x, y), v)) = origin {
        eprintln!("gradus: at the grid point nearest θ₀ ({x:.4}, {y:.4}): L = {v:.6}");
    }
    if let Some(((x, y), v)) = min {
        eprintln!("gradus: the grid's minimum: L = {v:.6} at ({x:.4}, {y:.4})");
    }
    if !projected.is_empty() {
        let end = projected.last().map_or(0.0, |(_, r)| *r);
        eprintln!(
            "gradus: the path's {} points leave the {} by at most ‖r‖ = {residual:.4} (at its end {end:.4})",
            projected.len(),
            if a.dims == 1 { "line" } else { "plane" }
        );
    }
    if let Some(path) = &a.csv {
        gradus::modelfile::write_atomically(path, csv.as_bytes())?;
    }
    if let Some(out) = &a.plot {
        let title = format!("loss landscape, {how} directions");
        match a.dims {
            1 => {
                let series = [Series {
                    label: String::new(),
                    points: points
                        .iter()
                        .enumerate()
                        .map(|(k, pt)| (at(k).0, pt.objective))
                        .collect(),
                    colour: 0,
                    dash: 0,
                    markers_only: false,
                }];
                let marks: Vec<Mark> = [(origin, 3, "θ₀"), (min, 1, "minimum on the grid")]
                    .into_iter()
                    .filter_map(|(m, colour, label)| {
                        m.map(|((x, _), v)| Mark {
                            at: (x, v),
                            colour,
                            label: label.into(),
                        })
                    })
                    .collect();
                plot::curves(&title, "a", "objective L(θ₀ + a·d)", &series, &marks, false, out)?;
            }
            _ => {
                let z: Vec<Vec<f64>> = points
                    .chunks(p)
                    .map(|row| row.iter().map(|pt| pt.objective).collect())
                    .collect();
                let path: Vec<(f64, f64)> = projected.iter().map(|(c, _)| *c).collect();
                plot::heat_map(
                    &HeatMap {
                        title: &title,
                        x_label: "a (along d₁)",
                        y_label: "b (along d₂)",
                        z_label: "objective",
                        xs: coords,
                        ys: coords,
                        z: &z,
                        path: &path,
                    },
                    out,
                )?;
            }
        }
    }
    if a.csv.is_none() && a.plot.is_none() {
        return write(&csv);
    }
    if a.json {
        let s = json!({
            "points": points.len(),
            "origin_loss": origin.map(|o| o.1),
            "min": min.map(|((x, y), v)| json!({"a": x, "b": y, "loss": v})),
            "path_points": projected.len(),
            "path_residual_max": (!projected.is_empty()).then_some(residual),
        });
        outln!("{s}")?;
    }
    Ok(())
}
