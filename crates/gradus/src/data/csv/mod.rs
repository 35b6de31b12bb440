//! CSV files: one row per line, feature columns and one label column.
//!
//! The first line is taken as a header when any of its fields in a numeric feature column is not
//! a number, or when columns are named. Fields are trimmed of surrounding spaces; quoting follows
//! RFC 4180. Columns are named by their header name when there is one, and otherwise numbered
//! from 0 (as in [`LabelColumn::Index`]); lines are numbered from 1, blank lines included. Every
//! error is one line naming the file, the line and the column, e.g. `data.csv: line 7, column
//! 'age': 'n/a' is not a number`; text quoted from the file has its control characters escaped
//! (`'\0'`, `'\u{1b}'`) and is shortened, so that a hostile file cannot write to the terminal.
//!
//! Which columns are features is chosen with [`CsvOptions::features`] and
//! [`CsvOptions::ignore`]; categorical columns ([`CsvOptions::categorical`]) are read as category
//! indices ([`Column::levels`]), to be one-hot encoded by [`crate::data::encode::Encoding`]; with
//! [`CsvOptions::missing`], empty, `NA` and `NaN` fields are missing values, to be imputed.
//!
//! Files may be hostile, e.g. `/dev/zero`: endless bytes and no line break. A record may hold at
//! most [`CsvOptions::max_record_bytes`] bytes and a field [`CsvOptions::max_field_bytes`], so the
//! memory a record takes is bounded whatever the file holds: about the record's length, plus the
//! parser's 8-byte end offset per field (a 16 MiB record of nothing but commas briefly takes a few
//! hundred megabytes). The whole dataset takes memory in proportion to the file's size.

#[cfg(test)]
mod column_tests;
mod plan;
mod records;

use super::columns::{AUTO_MAX_LEVELS, Categorical, Column, ColumnRef, Columns};
use super::hashing::HashBits;
use super::{Dataset, Features, Targets, Task};
use crate::error::{Error, Result};
use plan::{Kind, Plan};
use records::{Records, fields};
pub(crate) use records::{quoted, size};
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use super::labels::MAX_CLASSES;

/// The default [`CsvOptions::max_field_bytes`]: 1 MiB, far more than any number or class name
/// needs.
pub const DEFAULT_MAX_FIELD_BYTES: usize = 1 << 20;

/// The default [`CsvOptions::max_record_bytes`]: 16 MiB, a row of about a million features
/// written with full `f32` precision.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 16 << 20;

/// The most column names an error message lists.
const MAX_LISTED_COLUMNS: usize = 20;

/// Which column holds the targets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LabelColumn {
    /// The last column.
    Last,
    /// The column with this header name; the file must have a header.
    Name(String),
    /// The column with this 0-based index.
    Index(usize),
    /// No label column: every column is a feature. For unlabelled data to predict on; the
    /// dataset's targets are then regression targets, all 0.
    Absent,
}

/// Whether the first line is a header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Header {
    /// Decided from the file: the first line is a header when one of its feature fields is not
    /// a number, or when its label is not a number while every other row's label is (a header
    /// `x1,x2,label` over numeric features and integer classes).
    #[default]
    Auto,
    /// The first line is a header.
    Yes,
    /// The first line is data.
    No,
}

impl Header {
    /// `Yes` or `No` as said (`Some`), `Auto` otherwise.
    pub fn said(header: Option<bool>) -> Self {
        match header {
            Some(true) => Header::Yes,
            Some(false) => Header::No,
            None => Header::Auto,
        }
    }

    /// What was said: `None` for `Auto`.
    pub fn as_said(self) -> Option<bool> {
        match self {
            Header::Auto => None,
            Header::Yes => Some(true),
            Header::No => Some(false),
        }
    }
}

impl std::str::FromStr for Header {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(Header::Auto),
            "yes" => Ok(Header::Yes),
            "no" => Ok(Header::No),
            _ => Err(Error::param("header", format!("must be auto, yes or no, got '{s}'"))),
        }
    }
}

/// How to read a CSV file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvOptions {
    /// Whether the first line is a header.
    pub header: Header,
    /// Which column holds the targets.
    pub label: LabelColumn,
    /// How labels are read: for [`Task::Classify`], labels that are all non-negative integers
    /// (`3`, `3.0`) are the class ids, `n_classes` being the largest plus one; otherwise the
    /// distinct label strings, sorted, are classes `0..k` and name them
    /// ([`Dataset::class_names`]). At most 10 000 classes. For [`Task::Regress`], labels are
    /// finite numbers. Ignored with [`LabelColumn::Absent`].
    pub task: Task,
    /// The most bytes a record may hold: its line (or lines, when a quoted field spans several)
    /// with its line break and any blank lines before it. Reading stops with an error as soon as a
    /// record would be longer, so this bounds the memory one record takes. Default
    /// [`DEFAULT_MAX_RECORD_BYTES`].
    pub max_record_bytes: usize,
    /// The most bytes a field may hold, after trimming. Default [`DEFAULT_MAX_FIELD_BYTES`].
    pub max_field_bytes: usize,
    /// The feature columns, in this order (`None`: every column but the label and the ignored
    /// ones, in the file's order).
    pub features: Option<Vec<ColumnRef>>,
    /// Columns left out.
    pub ignore: Vec<ColumnRef>,
    /// Which feature columns hold categories.
    pub categorical: Categorical,
    /// Whether empty, `NA` and `NaN` fields are missing values (stored as NaN, to be imputed)
    /// rather than errors.
    pub missing: bool,
    /// The number of fields each record must have (to read a file without a header by
    /// position, as another was read); `None`: the first record's.
    pub width: Option<usize>,
    /// Whether a file may lack the label column (to predict on): the label column named is not
    /// in the header, or a file without a header whose label was its last column is one field
    /// short of [`width`](Self::width). Its rows then have no labels.
    pub label_optional: bool,
    /// For LIBSVM files: hash feature indices into 2^B features ([`super::hashing`]).
    pub hash_bits: Option<HashBits>,
}

impl Default for CsvOptions {
    /// The last column holds class labels; the default size limits.
    fn default() -> Self {
        Self {
            label: LabelColumn::Last,
            task: Task::Classify,
            header: Header::Auto,
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
            max_field_bytes: DEFAULT_MAX_FIELD_BYTES,
            features: None,
            ignore: Vec::new(),
            categorical: Categorical::None,
            missing: false,
            width: None,
            label_optional: false,
            hash_bits: None,
        }
    }
}

/// A field as a finite `f32`, or what is wrong with it.
pub(crate) fn number(field: &str) -> Result<f32, String> {
    match field.parse::<f32>() {
        Ok(x) if x.is_finite() => Ok(x),
        // The parser gives infinity for a literal `inf` and for a number beyond f32's range.
        Ok(x) if x.is_infinite() && !field.trim_start_matches(['+', '-']).starts_with(['i', 'I']) => {
            Err(format!("{} is out of f32's range (±3.4e38)", quoted(field)))
        }
        Ok(_) => Err(format!("{} is not finite", quoted(field))),
        Err(_) if field.is_empty() => Err("empty field".into()),
        Err(_) => Err(format!("{} is not a number", quoted(field))),
    }
}

/// Class ids for `labels` (`(line, text)` pairs), the number of classes, and the class names
/// when the labels are strings rather than integers.
fn classes(path: &Path, column: &str, labels: &[(u64, String)]) -> Result<(Vec<u32>, usize, Option<Vec<String>>)> {
    let err = |line: u64, msg: String| Error::format(path, format!("line {line}, column {column}: {msg}"));
    if let Some((line, _)) = labels.iter().find(|(_, s)| s.is_empty()) {
        return Err(err(*line, "empty label".into()));
    }
    let ids: Option<Vec<f64>> = labels
        .iter()
        .map(|(_, s)| s.parse::<f64>().ok().filter(|x| *x >= 0.0 && x.fract() == 0.0))
        .collect();
    if let Some(ids) = ids {
        if let Some(((line, s), _)) = labels.iter().zip(&ids).find(|(_, x)| **x >= MAX_CLASSES as f64) {
            return Err(err(
                *line,
                format!("class {} would make more than {MAX_CLASSES} classes", quoted(s)),
            ));
        }
        let ids: Vec<u32> = ids.into_iter().map(|x| x as u32).collect();
        let n_classes = ids.iter().max().map_or(0, |&m| m as usize + 1);
        return Ok((ids, n_classes, None));
    }
    let names: Vec<&str> = labels
        .iter()
        .map(|(_, s)| s.as_str())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if names.len() > MAX_CLASSES {
        return Err(Error::format(
            path,
            format!(
                "column {column} has {} distinct labels, more than {MAX_CLASSES} classes",
                names.len()
            ),
        ));
    }
    let ids = labels
        .iter()
        .map(|(_, s)| names.partition_point(|n| *n < s.as_str()) as u32)
        .collect();
    Ok((ids, names.len(), Some(names.into_iter().map(String::from).collect())))
}

/// The most categories a categorical column may have.
const MAX_LEVELS: usize = 10_000;

/// Whether `field` is a missing value when missing values are allowed: empty, `NA`, or `NaN`
/// (any case).
fn is_missing(field: &str) -> bool {
    field.is_empty() || field == "NA" || field.eq_ignore_ascii_case("nan")
}

/// The rows read so far: features, and label texts with their lines.
struct Rows<'a> {
    /// The file, for errors.
    path: &'a Path,
    /// The header, if the file has one, to name columns.
    header: Option<csv::StringRecord>,
    /// Fields per record.
    width: usize,
    /// The columns.
    plan: Plan,
    /// Whether empty, `NA` and `NaN` fields are missing values (NaN) rather than errors.
    missing: bool,
    /// The most bytes a field may hold.
    max_field: usize,
    /// Row-major features.
    features: Vec<f32>,
    /// Each categorical feature's categories, in the order first seen, and their indices.
    levels: Vec<(Vec<String>, HashMap<String, u32>)>,
    /// `(line, text)` of each row's label.
    labels: Vec<(u64, String)>,
}

impl Rows<'_> {
    /// Column `j`'s name: its header name, or its index in a file without a header.
    fn name(&self, j: usize) -> String {
        match self.header.as_ref().and_then(|h| h.get(j)) {
            Some(name) => name.trim_ascii().to_string(),
            None => j.to_string(),
        }
    }

    /// Column `j` as messages name it: its header name, quoted, or its index.
    fn column(&self, j: usize) -> String {
        match self.header {
            Some(_) => quoted(&self.name(j)),
            None => j.to_string(),
        }
    }

    /// An error about column `j` of line `line`.
    fn field_error(&self, line: u64, j: usize, msg: &str) -> Error {
        Error::format(self.path, format!("line {line}, column {}: {msg}", self.column(j)))
    }

    /// Checks that no field of the record on line `line` is longer than the limit.
    fn check_lengths(&self, line: u64, record: &csv::StringRecord) -> Result<()> {
        match fields(record).position(|f| f.len() > self.max_field) {
            Some(j) => {
                let limit = size(self.max_field);
                Err(self.field_error(line, j, &format!("the field is longer than the limit of {limit}")))
            }
            None => Ok(()),
        }
    }

    /// The value of numeric column `j`'s `field`, or an error that says how to use the column
    /// when it holds text.
    fn numeric(&self, line: u64, j: usize, field: &str) -> Result<f32> {
        if self.missing && is_missing(field) {
            return Ok(f32::NAN);
        }
        number(field).map_err(|msg| {
            let name = self.column(j);
            let hint = if field.is_empty() || field.eq_ignore_ascii_case("nan") || field == "NA" {
                " (fill missing values with --impute mean|median|zero)".to_string()
            } else if field.parse::<f32>().is_err() {
                format!(" (leave the column out with --ignore-columns {name}, or one-hot encode it with --categorical {name})")
            } else {
                String::new()
            };
            self.field_error(line, j, &format!("{msg}{hint}"))
        })
    }

    /// The index of categorical feature `k`'s `field` among its categories (NaN: missing).
    fn category(&mut self, line: u64, k: usize, field: &str) -> Result<f32> {
        let j = self.plan.features[k];
        if self.missing && is_missing(field) {
            return Ok(f32::NAN);
        }
        if field.is_empty() {
            return Err(self.field_error(
                line,
                j,
                "empty field (fill missing values with --impute mean|median|zero)",
            ));
        }
        let slot = self.plan.kinds[..k].iter().filter(|c| **c == Kind::Categorical).count();
        if self.levels.len() <= slot {
            self.levels.resize_with(slot + 1, Default::default);
        }
        let (names, index) = &mut self.levels[slot];
        if let Some(&i) = index.get(field) {
            return Ok(i as f32);
        }
        if names.len() == MAX_LEVELS {
            return Err(self.field_error(
                line,
                j,
                &format!("{} would make more than {MAX_LEVELS} categories", quoted(field)),
            ));
        }
        index.insert(field.to_string(), names.len() as u32);
        names.push(field.to_string());
        Ok((names.len() - 1) as f32)
    }

    /// Adds the record on line `line`. Errors: a field too long, a ragged row, a numeric
    /// feature that is not a finite number.
    fn push(&mut self, line: u64, record: &csv::StringRecord) -> Result<()> {
        self.check_lengths(line, record)?;
        if record.len() != self.width {
            return Err(Error::format(
                self.path,
                format!("line {line} has {} fields, expected {}", record.len(), self.width),
            ));
        }
        if let Some(j) = self.plan.label {
            self.labels.push((line, record[j].trim_ascii().to_string()));
        }
        for k in 0..self.plan.features.len() {
            let j = self.plan.features[k];
            let field = record[j].trim_ascii();
            if self.plan.kinds[k] == Kind::Undecided {
                let text = !is_missing(field) && field.parse::<f32>().is_err();
                self.plan.kinds[k] = if text { Kind::Categorical } else { Kind::Numeric };
            }
            let x = match self.plan.kinds[k] {
                Kind::Categorical => self.category(line, k, field)?,
                _ => self.numeric(line, j, field)?,
            };
            self.features.push(x);
        }
        Ok(())
    }

    /// The targets (and class names) of `labels` (`(line, text)` pairs), as `task` says.
    fn targets(&self, labels: &[(u64, String)], task: Task, rows: usize) -> Result<(Targets, Option<Vec<String>>)> {
        match (self.plan.label, task) {
            (None, _) => Ok((Targets::Values(vec![0.0; rows]), None)),
            (Some(j), Task::Regress) => {
                let values = labels
                    .iter()
                    .map(|(line, s)| number(s).map_err(|msg| self.field_error(*line, j, &msg)))
                    .collect::<Result<_>>()?;
                Ok((Targets::Values(values), None))
            }
            (Some(j), Task::Classify) => {
                let (labels, n_classes, names) = classes(self.path, &self.column(j), labels)?;
                Ok((Targets::Classes { labels, n_classes }, names))
            }
        }
    }

    /// How the file's columns became features, with the categories seen so far. Errors: a
    /// column that `--categorical auto` took as categorical with more than [`AUTO_MAX_LEVELS`]
    /// categories.
    fn columns(&self, auto: bool) -> Result<Columns> {
        let mut levels = self.levels.iter().map(|(names, _)| names);
        let mut features = Vec::with_capacity(self.plan.features.len());
        for (&j, kind) in self.plan.features.iter().zip(&self.plan.kinds) {
            let name = self.name(j);
            let levels = (*kind == Kind::Categorical).then(|| levels.next().cloned().unwrap_or_default());
            if let Some(l) = levels.as_ref().filter(|l| auto && l.len() > AUTO_MAX_LEVELS) {
                return Err(Error::format(
                    self.path,
                    format!(
                        "column {} has {} distinct values, too many for --categorical auto (at most {AUTO_MAX_LEVELS}); name it in --categorical to encode it anyway, or leave it out with --ignore-columns",
                        quoted(&name),
                        l.len()
                    ),
                ));
            }
            features.push(Column { name, levels });
        }
        Ok(Columns {
            header: self.header.is_some(),
            width: self.width,
            label: self.plan.label.map(|j| self.name(j)),
            unused: self.plan.unused.iter().map(|&j| self.name(j)).collect(),
            features,
        })
    }
}

/// Loads a CSV file as a dataset with `f32` features ([`Dataset::columns`] says which columns
/// they came from).
///
/// Every row must have as many fields as the first; every numeric feature must be a finite
/// number (or, with [`CsvOptions::missing`], a missing value). Errors (each naming `path`): the
/// file cannot be read, is not UTF-8, or has no data rows (`data.csv: no data rows`); a record or
/// a field longer than the limits (`data.csv: line 1: the record is longer than the limit of
/// 16 MiB`); a ragged row (`data.csv: line 9 has 3 fields, expected 4`); a field that is empty,
/// not a number, not finite or beyond `f32`'s range (`data.csv: line 4, column 2: 'NaN' is not
/// finite`, `data.csv: line 5, column 0: '1e39' is out of f32's range (±3.4e38)`); a column that
/// does not exist (`data.csv: no column named 'y' (the label column); the columns are 'a', 'b'`);
/// contradictory column options (`the label column 'y' cannot be ignored (--ignore-columns)`);
/// too many classes or categories.
pub fn load(path: &Path, opts: &CsvOptions) -> Result<Dataset> {
    let mut w = Windows::open(path, opts, usize::MAX)?;
    w.fill()?;
    if w.header_over_numbers() {
        // A header over numeric features: `1,2,3,4,label`.
        let n_features = w.rows.plan.features.len();
        w.rows.features.drain(..n_features);
        w.rows.labels.remove(0);
        w.held -= 1;
        w.rows.header = w.first.take();
    }
    if w.held == 0 {
        return Err(Error::format(path, "no data rows"));
    }
    let (targets, names) = w.rows.targets(&w.rows.labels, w.task, w.held)?;
    let columns = w.rows.columns(w.auto)?;
    let features = std::mem::take(&mut w.rows.features);
    let data = Dataset::from_table(columns.features.len(), Features::F32(features.into()), targets, columns)?;
    Ok(match names {
        Some(names) => data.with_class_names(names),
        None => data,
    })
}

/// A window of rows read from a CSV file ([`Windows`]).
#[derive(Debug)]
pub struct Window {
    /// Row-major features: numbers, category indices ([`Column::levels`]), NaN for missing
    /// values.
    pub features: Vec<f32>,
    /// Each row's label, as written, with the line it is on (empty without a label column).
    pub labels: Vec<(u64, String)>,
    /// The rows.
    pub rows: usize,
}

/// A CSV file read a window of at most `window` rows at a time, for training on files larger
/// than memory ([`crate::estimator::stream`]): what it holds at once is one window's rows, one
/// record and the parser's 64 KiB buffer. Columns are chosen, and records checked, as [`load`]
/// does; categories are numbered in the order first seen in the file, so every pass over the
/// file numbers them alike, and [`Windows::columns`] after the last window lists them all.
///
/// Unlike [`load`], a window cannot look ahead to tell a header of numeric column names over
/// numeric rows (`1,2,3,label`) by its labels: [`Windows::header_over_numbers`] says, after a
/// whole pass, whether [`load`] would have taken the first line as a header, so that the next
/// pass can be told (`Header::Yes`).
pub struct Windows<'a> {
    records: Records<'a>,
    rows: Rows<'a>,
    record: csv::StringRecord,
    window: usize,
    /// Rows read into `rows` and not yet handed out.
    held: usize,
    /// The first record, when it was read as a data row under [`Header::Auto`].
    first: Option<csv::StringRecord>,
    /// Whether the first row's label is not a number.
    first_label_text: bool,
    /// Rows after the first, and whether all their labels are numbers.
    later: (usize, bool),
    task: Task,
    auto: bool,
}

impl<'a> Windows<'a> {
    /// Opens `path` and reads its first record (a header, or the first data row), to read
    /// windows of at most `window` (≥ 1) rows.
    ///
    /// # Errors
    /// As [`load`] for the first record and the column options; [`Error::Param`]
    /// `shuffle_buffer` for a window of 0 rows.
    pub fn open(path: &'a Path, opts: &CsvOptions, window: usize) -> Result<Self> {
        if window == 0 {
            return Err(Error::param("shuffle_buffer", "must be at least 1 row, got 0"));
        }
        let mut records = Records::open(path, opts)?;
        let mut record = csv::StringRecord::new();
        let first_line = records
            .next(&mut record)?
            .ok_or_else(|| Error::format(path, "no data rows"))?;
        let first = std::mem::take(&mut record);
        let width = first.len();
        let unlabelled = opts.label_optional
            && match &opts.label {
                LabelColumn::Name(n) => !fields(&first).any(|f| f == n),
                LabelColumn::Index(i) => opts.width == Some(width + 1) && *i == width,
                _ => false,
            };
        let without_label;
        let opts = if unlabelled {
            without_label = CsvOptions {
                label: LabelColumn::Absent,
                width: None,
                ..opts.clone()
            };
            &without_label
        } else {
            opts
        };
        if let Some(w) = opts.width.filter(|w| *w != width) {
            return Err(Error::format(
                path,
                format!(
                    "line {first_line} has {width} fields, but the model's data had {w} (a file without a header is read by column position)"
                ),
            ));
        }
        let named = plan::names_a_column(opts);
        let text_columns = plan::text_columns_by_index(opts, width);
        let is_header = match opts.header {
            Header::Yes => true,
            Header::No => false,
            Header::Auto if named.is_some() => fields(&first).any(|f| f.parse::<f32>().is_err()),
            Header::Auto => fields(&first).enumerate().any(|(j, f)| {
                !text_columns.contains(&j) && f.parse::<f32>().is_err() && !(opts.missing && is_missing(f))
            }),
        };
        let plan = Plan::new(path, is_header.then_some(&first), width, first_line, opts)?;
        let mut w = Self {
            records,
            rows: Rows {
                path,
                header: None,
                width,
                plan,
                missing: opts.missing,
                max_field: opts.max_field_bytes,
                features: Vec::new(),
                levels: Vec::new(),
                labels: Vec::new(),
            },
            record,
            window,
            held: 0,
            first: None,
            first_label_text: false,
            later: (0, true),
            task: opts.task,
            auto: opts.categorical == Categorical::Auto,
        };
        if is_header {
            w.rows.check_lengths(first_line, &first)?;
            w.rows.header = Some(first);
        } else {
            w.rows.push(first_line, &first)?;
            w.held = 1;
            w.first_label_text = w.rows.labels.first().is_some_and(|(_, l)| l.parse::<f64>().is_err());
            w.first = (opts.header == Header::Auto).then_some(first);
        }
        Ok(w)
    }

    /// Reads records until `window` rows are held or the file ends.
    fn fill(&mut self) -> Result<()> {
        while self.held < self.window {
            let Some(line) = self.records.next(&mut self.record)? else {
                break;
            };
            self.rows.push(line, &self.record)?;
            self.held += 1;
            if self.first.is_some() {
                let (n, numeric) = &mut self.later;
                *n += 1;
                *numeric &= self.rows.labels.last().is_some_and(|(_, l)| l.parse::<f64>().is_ok());
            }
        }
        Ok(())
    }

    /// The next window: up to `window` rows, fewer only at the end of the file; `None` after
    /// the last row.
    ///
    /// # Errors
    /// As [`load`], naming the file, line and column.
    pub fn next_window(&mut self) -> Result<Option<Window>> {
        self.fill()?;
        if self.held == 0 {
            return Ok(None);
        }
        let rows = std::mem::take(&mut self.held);
        Ok(Some(Window {
            features: std::mem::take(&mut self.rows.features),
            labels: std::mem::take(&mut self.rows.labels),
            rows,
        }))
    }

    /// The bytes parsed so far (for progress).
    pub fn bytes_read(&self) -> u64 {
        self.records.position()
    }

    /// Whether the rows read so far are a header of numbers over numeric rows as [`load`] tells
    /// one: under [`Header::Auto`], with no categorical column, the first row's label is not a
    /// number while every later row's is (and there are later rows).
    pub fn header_over_numbers(&self) -> bool {
        let categorical = self.rows.plan.kinds.contains(&Kind::Categorical);
        let (later, numeric) = self.later;
        self.first.is_some() && !categorical && self.first_label_text && later > 0 && numeric
    }

    /// How the file's columns became features, with every category seen so far.
    ///
    /// # Errors
    /// A column that `--categorical auto` took as categorical with too many categories.
    pub fn columns(&self) -> Result<Columns> {
        self.rows.columns(self.auto)
    }

    /// The targets of `labels` (a window's), read as the whole file's `known` labels say: the
    /// class ids and count of `known` (each distinct label once), and their class names.
    ///
    /// # Errors
    /// A label that is not a number (regression); a class label not among `known`, naming its
    /// line.
    pub fn targets(&self, known: &[(u64, String)], labels: &[(u64, String)]) -> Result<(Targets, Option<Vec<String>>)> {
        if self.rows.plan.label.is_some()
            && self.task == Task::Classify
            && let Some((line, l)) = labels.iter().find(|(_, l)| !known.iter().any(|(_, k)| k == l))
        {
            return Err(Error::format(
                self.rows.path,
                format!("line {line}: label {} was not seen in training", quoted(l)),
            ));
        }
        let all: Vec<(u64, String)> = known.iter().chain(labels).cloned().collect();
        let (targets, names) = self.rows.targets(&all, self.task, all.len())?;
        let targets = match targets {
            Targets::Classes { labels, n_classes } => Targets::Classes {
                labels: labels[known.len()..].to_vec(),
                n_classes,
            },
            Targets::Values(v) => Targets::Values(v[known.len()..].to_vec()),
        };
        Ok((targets, names))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `content` to a temporary CSV file and loads it.
    fn load_str(content: impl AsRef<[u8]>, label: LabelColumn, task: Task) -> (tempfile::TempPath, Result<Dataset>) {
        let mut file = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
        std::io::Write::write_all(&mut file, content.as_ref()).unwrap();
        let path = file.into_temp_path();
        let data = load(
            &path,
            &CsvOptions {
                label,
                task,
                ..CsvOptions::default()
            },
        );
        (path, data)
    }

    /// The error message with the file's path stripped.
    /// Every single-byte corruption of a valid file, read every way, loads or fails with an
    /// error; none panics.
    #[test]
    fn no_corruption_panics() {
        let good = b"a,b,label\n1,2.5,cat\n3,-4,dog\n\"5\",6e1,cat\n";
        for i in 0..good.len() {
            for flip in [b',', b'\n', b'"', 0xff, b'x', b'0'] {
                let mut b = good.to_vec();
                b[i] = flip;
                for label in [
                    LabelColumn::Last,
                    LabelColumn::Name("b".into()),
                    LabelColumn::Index(0),
                    LabelColumn::Absent,
                ] {
                    for task in [Task::Classify, Task::Regress] {
                        let _ = load_str(&b, label.clone(), task);
                    }
                }
            }
        }
    }

    fn error(content: impl AsRef<[u8]>, label: LabelColumn, task: Task) -> String {
        let (path, data) = load_str(content, label, task);
        let e = data.unwrap_err().to_string();
        let prefix = format!("{}: ", path.display());
        assert!(e.starts_with(&prefix), "{e}");
        e[prefix.len()..].to_string()
    }

    #[test]
    fn header_is_detected_and_label_found_by_name_index_or_last() {
        let with = "a,y,b\n1,0,2\n3,1,4.5\n";
        let without = "1,0,2\n3,1,4.5\n";
        for (content, label) in [
            (with, LabelColumn::Name("y".into())),
            (" a , y\t,\"b \"\n 1,0 , 2\n3,1,4.5\n", LabelColumn::Name("y".into())),
            (with, LabelColumn::Index(1)),
            (without, LabelColumn::Index(1)),
        ] {
            let d = load_str(content, label, Task::Classify).1.unwrap();
            assert_eq!(d.features(), &Features::F32(vec![1.0, 2.0, 3.0, 4.5].into()));
            assert_eq!(
                d.targets(),
                &Targets::Classes {
                    labels: vec![0, 1],
                    n_classes: 2
                }
            );
            assert_eq!(d.class_names(), None);
        }
        let d = load_str(" 1, 2 , 3.0\n4,5,7\n", LabelColumn::Last, Task::Classify)
            .1
            .unwrap();
        assert_eq!(d.features(), &Features::F32(vec![1.0, 2.0, 4.0, 5.0].into()));
        assert_eq!(
            d.targets(),
            &Targets::Classes {
                labels: vec![3, 7],
                n_classes: 8
            }
        );
    }

    #[test]
    fn string_labels_become_sorted_named_classes() {
        let d = load_str(
            "x,kind\n1,dog\n2,cat\n3,emu\n4,cat\n",
            LabelColumn::Last,
            Task::Classify,
        )
        .1
        .unwrap();
        assert_eq!(d.labels(), Some(&[1, 0, 2, 0][..]));
        assert_eq!(d.n_classes(), 3);
        assert_eq!(
            d.class_names(),
            Some(&["cat".to_string(), "dog".into(), "emu".into()][..])
        );
    }

    #[test]
    fn regression_and_absent_labels() {
        let d = load_str("x,y\n1,0.5\n2,-3e2\n", LabelColumn::Last, Task::Regress)
            .1
            .unwrap();
        assert_eq!(d.targets(), &Targets::Values(vec![0.5, -300.0]));
        let d = load_str("1,2\n3,4\n", LabelColumn::Absent, Task::Classify).1.unwrap();
        assert_eq!((d.n_features(), d.targets()), (2, &Targets::Values(vec![0.0, 0.0])));
        assert_eq!(
            error("x,y\n1,2\n3,big\n", LabelColumn::Last, Task::Regress),
            "line 3, column 'y': 'big' is not a number"
        );
    }

    #[test]
    fn bad_rows_and_fields_are_errors_naming_line_and_column() {
        let c = LabelColumn::Last;
        assert_eq!(
            error("a,b,y\n1,2,0\n1,2\n", c.clone(), Task::Classify),
            "line 3 has 2 fields, expected 3"
        );
        assert_eq!(
            error("a,b,y\n1,abc,0\n", c.clone(), Task::Classify),
            "line 2, column 'b': 'abc' is not a number (leave the column out with --ignore-columns 'b', or one-hot encode it with --categorical 'b')"
        );
        assert_eq!(
            error("1,2,0\n1,2,0\nNaN,2,0\n", c.clone(), Task::Classify),
            "line 3, column 0: 'NaN' is not finite (fill missing values with --impute mean|median|zero)"
        );
        assert_eq!(
            error("1,2,0\n1,,0\n", c.clone(), Task::Classify),
            "line 2, column 1: empty field (fill missing values with --impute mean|median|zero)"
        );
        assert_eq!(
            error("1,2,0\n1,2,\n", c.clone(), Task::Classify),
            "line 2, column 2: empty label"
        );
        assert_eq!(error("", c.clone(), Task::Classify), "no data rows");
        assert_eq!(error("a,b,y\n", c.clone(), Task::Classify), "no data rows");
        assert_eq!(
            error("y\n1\n", c.clone(), Task::Classify),
            "the label column is the only column; there are no features"
        );
        assert_eq!(
            error("1,20000\n", c, Task::Classify),
            "line 1, column 1: class '20000' would make more than 10000 classes"
        );
    }

    #[test]
    fn missing_label_columns_are_errors() {
        assert_eq!(
            error("a,b,c\n1,2,3\n", LabelColumn::Name("y".into()), Task::Classify),
            "no column named 'y' (the label column); the columns are 'a', 'b', 'c'"
        );
        assert_eq!(
            error("1,2,3\n", LabelColumn::Name("y".into()), Task::Classify),
            "label column 'y' needs a header line, but line 1 is all numbers"
        );
        assert_eq!(
            error("1,2,3\n", LabelColumn::Index(3), Task::Classify),
            "label column 3 does not exist: line 1 has 3 fields"
        );
    }

    #[test]
    fn invalid_utf8_is_an_error_not_a_panic() {
        let e = error(b"a,b\n1,2\n3,\xff\xfe\n", LabelColumn::Last, Task::Classify);
        assert_eq!(
            e,
            "line 3, column 1: not valid UTF-8 (the line starts at byte offset 8)"
        );
        let missing = load(Path::new("/nonexistent/x.csv"), &CsvOptions::default());
        assert!(missing.unwrap_err().to_string().starts_with("/nonexistent/x.csv: "));
    }

    #[test]
    fn a_header_over_numbers_is_detected_and_can_be_forced() {
        let text = "1,2,3,label\n0.5,1,2,0\n1.5,0,1,1\n2.5,1,0,1\n";
        let (_, d) = load_str(text, LabelColumn::Last, Task::Classify);
        let d = d.unwrap();
        assert_eq!((d.len(), d.n_classes(), d.class_names()), (3, 2, None));
        let read = |header| {
            let mut file = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
            std::io::Write::write_all(&mut file, b"1,2,3\n4,5,6\n").unwrap();
            let path = file.into_temp_path();
            let opts = CsvOptions {
                header,
                task: Task::Regress,
                ..CsvOptions::default()
            };
            load(&path, &opts).map(|d| d.len())
        };
        assert_eq!(read(Header::Auto).unwrap(), 2);
        assert_eq!(read(Header::No).unwrap(), 2);
        assert_eq!(read(Header::Yes).unwrap(), 1);
        assert!(
            "maybe"
                .parse::<Header>()
                .unwrap_err()
                .to_string()
                .starts_with("header must be auto, yes or no")
        );
    }
}
