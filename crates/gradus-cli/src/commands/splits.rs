//! A training run's rows: its source read with the column flags, test and validation rows of
//! their own read the same way, and the splits.

use anyhow::{Result, bail};
use gradus::data::Dataset;
use gradus::data::csv::CsvOptions;
use gradus::data::spec::{DataSpec, Splits};
use gradus::modelfile::DataOrigin;

/// The absolute form of a `--test-data` or `--val-data` spec, as the model records it.
pub fn own_rows(spec: Option<&str>) -> Result<Option<String>> {
    spec.map(|s| {
        let spec: DataSpec = s.parse()?;
        Ok(spec.absolute().unwrap_or(spec).to_string())
    })
    .transpose()
}

/// Reads `origin`'s rows with `csv` and splits them as its rule says; its test and validation
/// rows of their own (`test_data`, `val_data`) are read with the training file's columns: the
/// same features by name (by position in a file without a header), categories and label.
pub fn load(origin: &DataOrigin, csv: &CsvOptions) -> Result<Splits> {
    let spec: DataSpec = origin.spec.parse()?;
    let mut loaded = spec.load(csv)?;
    for note in &loaded.notes {
        eprintln!("gradus: note: {note}");
    }
    let own = |text: &str, flag: &str| -> Result<Dataset> {
        let Some(columns) = loaded.train.columns() else {
            let why = match spec.has_test_split() {
                true => "has an official test split",
                false => "is split by --test-fraction and --val-fraction",
            };
            bail!("{flag} applies to CSV training data; {spec} {why}");
        };
        let other: DataSpec = text.parse()?;
        if !matches!(other, DataSpec::Csv(_)) {
            bail!("{flag} {other} is not CSV data like the training rows ({spec})");
        }
        Ok(other.load(&columns.reading(csv))?.train)
    };
    if let Some(test) = &origin.test_data {
        loaded.test = Some(own(test, "--test-data")?);
    }
    if let Some(val) = &origin.val_data {
        loaded.val = Some(own(val, "--val-data")?);
    }
    Ok(origin.split.apply(loaded)?)
}
