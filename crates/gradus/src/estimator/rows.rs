//! Which rows a saved model is evaluated or applied on: its own test split re-drawn from the
//! seed it records, an official test split, or every row of another source.

use super::Fitted;
use crate::data::Dataset;
use crate::data::csv::{CsvOptions, LabelColumn};
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
    /// # Errors
    /// [`Error::Param`] `data` when the model records no source and none is given, `rows` when
    /// the split cannot be re-drawn for this source, `label_column` for a source that is not a
    /// CSV file; loading errors; [`Error::Data`] when the rows do not fit the model.
    pub fn rows(&self, request: &RowRequest) -> Result<Dataset> {
        let meta = self.meta();
        let origin = meta.data.as_ref();
        let spec_text = request
            .data
            .map(str::to_string)
            .or_else(|| origin.map(|o| o.spec.clone()))
            .ok_or_else(|| Error::param("data", "is required: the model does not record its training data"))?;
        let spec: DataSpec = spec_text.parse()?;
        spec.check_csv_option("label_column", request.label_column.is_some())?;
        let same_source = origin.is_some_and(|o| o.spec == spec.to_string());
        let label = request
            .label_column
            .map(str::to_string)
            .or_else(|| origin.filter(|_| same_source).and_then(|o| o.label_column.clone()));
        let csv = CsvOptions {
            label: label_column(label.as_deref()),
            task: meta.task,
        };
        // A CSV file to predict on may have no label column: use it as it is when its width fits.
        let try_unlabelled = request.allow_unlabelled && label.is_none() && matches!(spec, DataSpec::Csv(_));
        let unlabelled = CsvOptions {
            label: LabelColumn::Absent,
            ..csv.clone()
        };
        let loaded = match try_unlabelled.then(|| spec.load(&unlabelled)) {
            Some(Ok(l)) if l.train.n_features() == meta.inputs => l,
            _ => spec.load(&csv)?,
        };
        let data = match (request.rows, loaded.test) {
            (Rows::Auto | Rows::Test, Some(test)) => test,
            (Rows::Train, Some(_)) | (Rows::All, None) => loaded.train,
            (Rows::All, Some(test)) => loaded.train.concat(&test)?,
            (Rows::Auto, None) if !same_source => loaded.train,
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
                loaded.train.subset(if rows == Rows::Train { &train } else { &test })
            }
        };
        self.check_rows(&data)
            .map_err(|e| Error::data(format!("{spec}: {e}")))?;
        Ok(data)
    }
}
