//! CSV files: one row per line, real-valued features and one label column.
//!
//! The first line is taken as a header when any of its fields, other than the label column's,
//! is not a number. Fields are trimmed of surrounding spaces; quoting follows RFC 4180. Columns are
//! named by their header name when there is one, and otherwise numbered from 0 (as in
//! [`LabelColumn::Index`]); lines are numbered from 1. Every error is one line naming the file,
//! the line and the column, e.g. `data.csv: line 7, column 'age': 'n/a' is not a number`.

use super::{Dataset, Features, Targets, Task};
use crate::error::{Error, Result};
use std::collections::BTreeSet;
use std::path::Path;

/// The most classes a CSV file may define.
const MAX_CLASSES: usize = 10_000;

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

/// How to read a CSV file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvOptions {
    /// Which column holds the targets.
    pub label: LabelColumn,
    /// How labels are read: for [`Task::Classify`], labels that are all non-negative integers
    /// (`3`, `3.0`) are the class ids, `n_classes` being the largest plus one; otherwise the
    /// distinct label strings, sorted, are classes `0..k` and name them
    /// ([`Dataset::class_names`]). At most 10 000 classes. For [`Task::Regress`], labels are
    /// finite numbers. Ignored with [`LabelColumn::Absent`].
    pub task: Task,
}

impl Default for CsvOptions {
    /// The last column holds class labels.
    fn default() -> Self {
        Self {
            label: LabelColumn::Last,
            task: Task::Classify,
        }
    }
}

/// A field as a finite number, or what is wrong with it.
fn number(field: &str) -> Result<f32, String> {
    match field.parse::<f32>() {
        Ok(x) if x.is_finite() => Ok(x),
        Ok(_) => Err(format!("'{field}' is not finite")),
        Err(_) if field.is_empty() => Err("empty field".into()),
        Err(_) => Err(format!("'{field}' is not a number")),
    }
}

/// A `csv` crate error as ours: I/O errors stay I/O errors, invalid UTF-8 says where.
fn csv_error(path: &Path, e: csv::Error) -> Error {
    let msg = match e.kind() {
        csv::ErrorKind::Utf8 { pos: Some(p), err } => format!(
            "line {}, column {}: not valid UTF-8 (the line starts at byte offset {})",
            p.line(),
            err.field(),
            p.byte()
        ),
        _ => e.to_string(),
    };
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::io(path, io),
        _ => Error::format(path, msg),
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
                format!("class '{s}' would make more than {MAX_CLASSES} classes"),
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

/// Loads a CSV file as a dataset with `f32` features.
///
/// Every row must have as many fields as the first; every feature must be a finite number.
/// Errors (each naming `path`): the file cannot be read, is not UTF-8, or has no data rows
/// (`data.csv: no data rows`); a ragged row (`data.csv: line 9 has 3 fields, expected 4`); a
/// field that is empty, not a number or not finite (`data.csv: line 4, column 2: 'NaN' is not
/// finite`); a label column that does not exist (`data.csv: no column named 'y'; the columns are
/// 'a', 'b'`); too many classes.
pub fn load(path: &Path, opts: &CsvOptions) -> Result<Dataset> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| csv_error(path, e))?;
    let mut records = reader.records();
    let no_rows = || Error::format(path, "no data rows");
    let first = records.next().ok_or_else(no_rows)?.map_err(|e| csv_error(path, e))?;
    let width = first.len();
    let first_line = first.position().map_or(1, |p| p.line());

    let label = match &opts.label {
        LabelColumn::Last => width.checked_sub(1),
        LabelColumn::Index(i) if *i < width => Some(*i),
        LabelColumn::Index(i) => {
            return Err(Error::format(
                path,
                format!("label column {i} does not exist: line {first_line} has {width} fields"),
            ));
        }
        LabelColumn::Name(_) | LabelColumn::Absent => None,
    };
    let is_header = first
        .iter()
        .enumerate()
        .any(|(j, f)| Some(j) != label && f.parse::<f32>().is_err());
    let label = match &opts.label {
        LabelColumn::Name(name) if !is_header => {
            return Err(Error::format(
                path,
                format!("label column '{name}' needs a header line, but line {first_line} is all numbers"),
            ));
        }
        LabelColumn::Name(name) => match first.iter().position(|f| f == name) {
            Some(j) => Some(j),
            None => {
                let columns: Vec<String> = first.iter().map(|f| format!("'{f}'")).collect();
                return Err(Error::format(
                    path,
                    format!("no column named '{name}'; the columns are {}", columns.join(", ")),
                ));
            }
        },
        _ => label,
    };
    let n_features = width - usize::from(label.is_some());
    if n_features == 0 {
        return Err(Error::format(
            path,
            "the label column is the only column; there are no features",
        ));
    }
    let (header, pending) = if is_header {
        (Some(first), None)
    } else {
        (None, Some(Ok(first)))
    };
    let column = |j: usize| match header.as_ref().and_then(|h| h.get(j)) {
        Some(name) => format!("'{name}'"),
        None => j.to_string(),
    };

    let mut features = Vec::new();
    let mut labels: Vec<(u64, String)> = Vec::new();
    for record in pending.into_iter().chain(records) {
        let record = record.map_err(|e| csv_error(path, e))?;
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != width {
            return Err(Error::format(
                path,
                format!("line {line} has {} fields, expected {width}", record.len()),
            ));
        }
        for (j, field) in record.iter().enumerate() {
            if Some(j) == label {
                labels.push((line, field.to_string()));
            } else {
                let x = number(field)
                    .map_err(|msg| Error::format(path, format!("line {line}, column {}: {msg}", column(j))))?;
                features.push(x);
            }
        }
    }
    let rows = features.len() / n_features;
    if rows == 0 {
        return Err(no_rows());
    }

    let (targets, names) = match (label, opts.task) {
        (None, _) => (Targets::Values(vec![0.0; rows]), None),
        (Some(j), Task::Regress) => {
            let values = labels
                .iter()
                .map(|(line, s)| {
                    number(s).map_err(|msg| Error::format(path, format!("line {line}, column {}: {msg}", column(j))))
                })
                .collect::<Result<_>>()?;
            (Targets::Values(values), None)
        }
        (Some(j), Task::Classify) => {
            let (labels, n_classes, names) = classes(path, &column(j), &labels)?;
            (Targets::Classes { labels, n_classes }, names)
        }
    };
    let data = Dataset::new(n_features, Features::F32(features), targets)?;
    Ok(match names {
        Some(names) => data.with_class_names(names),
        None => data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `content` to a temporary CSV file and loads it.
    fn load_str(content: impl AsRef<[u8]>, label: LabelColumn, task: Task) -> (tempfile::TempPath, Result<Dataset>) {
        let mut file = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
        std::io::Write::write_all(&mut file, content.as_ref()).unwrap();
        let path = file.into_temp_path();
        let data = load(&path, &CsvOptions { label, task });
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
            (with, LabelColumn::Index(1)),
            (without, LabelColumn::Index(1)),
        ] {
            let d = load_str(content, label, Task::Classify).1.unwrap();
            assert_eq!(d.features(), &Features::F32(vec![1.0, 2.0, 3.0, 4.5]));
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
        assert_eq!(d.features(), &Features::F32(vec![1.0, 2.0, 4.0, 5.0]));
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
            "line 2, column 'b': 'abc' is not a number"
        );
        assert_eq!(
            error("1,2,0\n1,2,0\nNaN,2,0\n", c.clone(), Task::Classify),
            "line 3, column 0: 'NaN' is not finite"
        );
        assert_eq!(
            error("1,2,0\n1,,0\n", c.clone(), Task::Classify),
            "line 2, column 1: empty field"
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
            "no column named 'y'; the columns are 'a', 'b', 'c'"
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
        let missing = load(
            Path::new("/nonexistent/x.csv"),
            &CsvOptions {
                label: LabelColumn::Last,
                task: Task::Classify,
            },
        );
        assert!(missing.unwrap_err().to_string().starts_with("/nonexistent/x.csv: "));
    }
}
