//! `gradus train --stream`: training on a LIBSVM or CSV file read in windows
//! ([`gradus::estimator::stream`]), with progress as bytes read.

use super::{header, model_params, source, task};
use crate::args::TrainArgs;
use crate::output::outln;
use crate::progress::Progress;
use anyhow::{Result, bail};
use gradus::data::spec::DataSpec;
use gradus::estimator::Fitted;
use gradus::estimator::stream::{Format, StreamSource};
use gradus::modelfile::DataOrigin;
use std::time::Instant;

pub fn run(a: TrainArgs) -> Result<()> {
    let started = Instant::now();
    let spec: DataSpec = a.data.data.parse()?;
    if a.resume.is_some() || a.checkpoint.is_some() || a.val_data.is_some() {
        bail!("--stream does not take --resume, --checkpoint or --val-data");
    }
    // The training file, and the test file: LIBSVM's in the spec, CSV's from --test-data.
    let (train, test) = match (&spec, a.test_data.as_deref()) {
        (DataSpec::Libsvm(train, test), None) => (train.clone(), test.clone()),
        (DataSpec::Csv(train), None) => (train.clone(), None),
        (DataSpec::Csv(train), Some(t)) => match t.parse()? {
            DataSpec::Csv(test) => (train.clone(), Some(test)),
            other => bail!("--test-data of a CSV stream must be a CSV file (csv:PATH), not {other}"),
        },
        (DataSpec::Libsvm(..), Some(_)) => {
            bail!("a LIBSVM stream takes its test file in the spec (libsvm:TRAIN,TEST), not --test-data")
        }
        _ => bail!("--stream reads LIBSVM or CSV files (libsvm:TRAIN[,TEST], csv:PATH), not {spec}"),
    };
    let threads = rayon::current_num_threads();
    let params = model_params(
        &a.model,
        &a.scale,
        &a.data,
        Some(0.0),
        super::train::train_params(&a, threads)?,
    )?;
    let config = params.check()?;
    spec.check_csv_option("impute", a.impute.is_some())?;
    let mut csv = source(
        &spec,
        a.data.label_column.as_deref(),
        task(a.data.task.as_deref()),
        header(&spec, &a.data)?,
        &a.data,
    )?;
    csv.missing = config.impute.is_some();
    let reading = |path: &std::path::Path, window| StreamSource {
        path: path.to_path_buf(),
        window,
        format: match spec {
            DataSpec::Csv(_) => Format::Csv(csv.clone()),
            _ => Format::Libsvm {
                max_line: csv.max_record_bytes,
                hash: csv.hash_bits,
            },
        },
        task: csv.task,
    };
    let stream = reading(&train, a.shuffle_buffer);
    let survey = stream.survey()?;
    let mut model = Fitted::for_stream(&config, &stream, &survey)?;
    model.set_origin(DataOrigin {
        header: header(&spec, &a.data)?,
        test_data: super::splits::own_rows(a.test_data.as_deref())?,
        hash_bits: csv.hash_bits,
        ..DataOrigin::of(&spec, a.data.label_column.clone(), config.split)?
    });
    let passes = a.passes.unwrap_or(a.epochs);
    eprintln!(
        "gradus: {} on {spec}, streamed: {} rows, {} features, {} parameters; windows of {} rows, {passes} passes",
        model.meta().architecture,
        survey.rows,
        survey.n_features,
        model.params().len(),
        a.shuffle_buffer,
    );
    let progress = Progress::new(passes)?.reading(passes * survey.bytes);
    let windows = model.train_stream(&stream, &survey, passes, &mut |bytes| {
        progress.read(bytes);
        progress.interrupted().is_none()
    });
    progress.finish();
    let windows = windows?;
    let train_seconds = started.elapsed().as_secs_f64();
    if let Some(out) = &a.out {
        model.save(out)?;
    }
    if let Some(signal) = progress.interrupted() {
        eprintln!("gradus: interrupted after {windows} windows");
        if let Some(out) = &a.out {
            eprintln!("gradus: model saved to {}", out.display());
        }
        return Err(signal.into());
    }
    // The test file, read in one window with the training file's labels and features.
    let scored = match &test {
        Some(t) => {
            let test_source = reading(t, usize::MAX);
            Some(model.score(&test_source.whole(&survey)?)?)
        }
        None => None,
    };
    let s = serde_json::json!({
        "data": spec.to_string(),
        "model": model.meta().architecture,
        "rows": survey.rows,
        "bytes": survey.bytes,
        "passes": passes,
        "windows": windows,
        "shuffle_buffer": a.shuffle_buffer,
        "parameters": model.params().len(),
        "train_seconds": train_seconds,
        "test_accuracy": scored.as_ref().and_then(|s| s.accuracy),
        "test_loss": scored.as_ref().map(|s| s.loss),
        "test_rmse": scored.as_ref().and_then(|s| s.rmse),
        "model_file": a.out,
    });
    if a.json {
        outln!("{s}")
    } else {
        outln!("{}", serde_json::to_string_pretty(&s)?)
    }
}
