//! Which rows a saved model is evaluated or applied on: its own test split re-drawn from the
//! seed it records, an official test split, or every row of another source.

use super::Fitted;
use crate::data::Dataset;
use crate::data::csv::{CsvOptions, Header, LabelColumn};
use crate::data::spec::{DataSpec, label_column};
use crate::error::{Error, Result};

/// Which rows of a source to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rows {
    /// The official test split; for a source without one, the held-out rows of the model's own
    /// training run when it is the same source, else every row.
    Auto,
    /// The test split (official, or re-drawn with the model's seed and fraction).
    Test,
    /// The training split.
    Train,
    /// Every row.
    All,
}

/// Rows chosen for a model, with each row's 0-based position in its source (for a source with
/// an official test split, test rows follow the training rows).
#[derive(Clone, Debug)]
pub struct Selected {
    /// The rows.
    pub data: Dataset,
    /// Where each came from.
    pub ids: Vec<usize>,
}

/// A request for rows: the source (default: the model's training data), its label column
/// (default: the model's, for the same source), and which rows.
#[derive(Clone, Copy, Debug)]
pub struct RowRequest<'a> {
    /// The data spec (`digits`, `csv:PATH`, …); `None`: the model's own.
    pub data: Option<&'a str>,
    /// A CSV source's label column.
    pub label_column: Option<&'a str>,
    /// Which rows.
    pub rows: Rows,
    /// Whether a CSV source may lack the label column (to predict on).
    pub allow_unlabelled: bool,
}

impl Fitted {
    /// The rows `request` asks for, checked to fit the model.
    ///
    /// Without `request.data`, the model's own source is read from the absolute path it
    /// recorded, and a CSV file whose checksum changed since training is refused.
    ///
    /// # Errors
    /// [`Error::Param`] `data` when the model records no source and none is given, or its CSV
    /// file changed; `label_column` for a source that is not a CSV file; `split` when the split cannot be re-drawn for this source; loading errors;
    /// [`Error::Data`] when the rows do not fit the model.
    pub fn rows(&self, request: &RowRequest) -> Result<Selected> {
        let meta = self.meta();
        let origin = meta.data.as_ref();
        let (spec, same_source) = match (request.data, origin) {
            (Some(text), _) => {
                let spec: DataSpec = text.parse()?;
                let absolute = spec.absolute().unwrap_or_else(|| spec.clone()).to_string();
                let same = origin.is_some_and(|o| o.spec == spec.to_string() || o.absolute.as_ref() == Some(&absolute));
                (spec, same)
            }
            (None, Some(o)) => {
                let spec: DataSpec = o.absolute.as_deref().unwrap_or(&o.spec).parse()?;
                if o.checksum.is_some() && spec.checksum()? != o.checksum {
                    return Err(Error::param(
                        "data",
                        format!(
                            "{spec} has changed since the model was trained on it (its CRC-32 differs); name it with --data to use it as it is now"
                        ),
                    ));
                }
                (spec, true)
            }
            (None, None) => {
                return Err(Error::param(
                    "data",
                    "is required: the model does not record its training data",
                ));
            }
        };
        spec.check_csv_option("label_column", request.label_column.is_some())?;
        let label = request
            .label_column
            .map(str::to_string)
            .or_else(|| origin.filter(|_| same_source).and_then(|o| o.label_column.clone()));
        let header = origin.filter(|_| same_source).and_then(|o| o.header);
        let base = CsvOptions {
            label: label_column(label.as_deref()),
            task: meta.task,
            header: Header::said(header),
            // The model's features are hashed ones whatever LIBSVM source it reads.
            hash_bits: origin.and_then(|o| o.hash_bits),
            ..CsvOptions::default()
        };
        let loaded = match (&meta.encoding, &spec) {
            // The model's columns, by name (or by position in a file without a header).
            (Some(e), DataSpec::Csv(_)) => {
                let mut csv = e.columns.reading(&base);
                if request.label_column.is_some() {
                    csv.label = base.label.clone();
                }
                csv.missing = e.impute.is_some();
                csv.label_optional = request.allow_unlabelled;
                spec.load(&csv)?
            }
            // A model from before encodings: a CSV file to predict on may have no label
            // column, used as it is when its width fits.
            _ => {
                let try_unlabelled = request.allow_unlabelled && label.is_none() && matches!(spec, DataSpec::Csv(_));
                let unlabelled = CsvOptions {
                    label: LabelColumn::Absent,
                    ..base.clone()
                };
                match try_unlabelled.then(|| spec.load(&unlabelled)) {
                    Some(Ok(l)) if l.train.n_features() == meta.inputs => l,
                    _ => spec.load(&base)?,
                }
            }
        };
        // Test rows of their own, for the model's own source.
        if let (Some(test), true, Rows::Auto | Rows::Test) =
            (origin.and_then(|o| o.test_data.as_ref()), same_source, request.rows)
        {
            return self.rows(&RowRequest {
                data: Some(test),
                label_column: None,
                rows: Rows::All,
                allow_unlabelled: false,
            });
        }
        if let (Some(o), true, Rows::Auto | Rows::Test, None) = (origin, same_source, request.rows, &loaded.test)
            && o.split.test_fraction == 0.0
        {
            return Err(Error::param(
                "split",
                format!(
                    "{} has no test rows: the model was trained on every row of {} (test fraction 0); use --split train, or other data with --data",
                    format!("{:?}", request.rows).to_lowercase(),
                    o.spec
                ),
            ));
        }
        let every = |d: &Dataset, from: usize| (from..from + d.len()).collect::<Vec<usize>>();
        let (data, ids) = match (request.rows, loaded.test) {
            (Rows::Auto | Rows::Test, Some(test)) => {
                let ids = every(&test, loaded.train.len());
                (test, ids)
            }
            (Rows::Train, Some(_)) | (Rows::All, None) => {
                let ids = every(&loaded.train, 0);
                (loaded.train, ids)
            }
            (Rows::All, Some(test)) => (
                loaded.train.concat(&test)?,
                every(&loaded.train, 0)
                    .into_iter()
                    .chain(every(&test, loaded.train.len()))
                    .collect(),
            ),
            (Rows::Auto, None) if !same_source => {
                let ids = every(&loaded.train, 0);
                (loaded.train, ids)
            }
            (rows, None) => {
                let name = format!("{rows:?}").to_lowercase();
                let Some(o) = origin.filter(|_| same_source) else {
                    return Err(Error::param(
                        "split",
                        format!(
                            "{name} needs the model's own training data ({}) or data with an official test split",
                            origin.map_or("unknown".into(), |o| o.spec.clone())
                        ),
                    ));
                };
                let (train, test) = o.split.test_split(&loaded.train);
                let ids = if rows == Rows::Train { train } else { test };
                (loaded.train.subset(&ids), ids)
            }
        };
        // Sparse rows have as many features as their largest index: fewer than the model's when
        // the rows happen not to use its last features.
        let data = data.widened(meta.inputs);
        self.prepare(&data).map_err(|e| Error::data(format!("{spec}: {e}")))?;
        Ok(Selected { data, ids })
    }
}
