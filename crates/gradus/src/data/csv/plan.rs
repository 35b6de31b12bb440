//! Which column of a CSV file is the label and which are features, resolved against the
//! file's header (or width) from the options, with one-line errors for every contradiction.

use super::records::{fields, quoted};
use super::{CsvOptions, LabelColumn, MAX_LISTED_COLUMNS};
use crate::data::columns::{Categorical, ColumnRef};
use crate::error::{Error, Result};
use std::path::Path;

/// What a feature column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// Numbers.
    Numeric,
    /// Categories.
    Categorical,
    /// Decided by the first data row (`--categorical auto`).
    Undecided,
}

/// The resolved columns.
#[derive(Clone, Debug)]
pub(super) struct Plan {
    /// The label column, if any.
    pub label: Option<usize>,
    /// The feature columns, in feature order.
    pub features: Vec<usize>,
    /// What each feature column holds.
    pub kinds: Vec<Kind>,
    /// The other columns.
    pub unused: Vec<usize>,
}

/// The header's names, quoted, for a message: at most [`MAX_LISTED_COLUMNS`] of them.
pub(super) fn column_list(header: &csv::StringRecord) -> String {
    let mut names: Vec<String> = fields(header).take(MAX_LISTED_COLUMNS).map(quoted).collect();
    if header.len() > MAX_LISTED_COLUMNS {
        names.push(format!("… ({} more)", header.len() - MAX_LISTED_COLUMNS));
    }
    names.join(", ")
}

/// Whether the options name a column by its header name.
pub(super) fn names_a_column(opts: &CsvOptions) -> Option<String> {
    let named = |refs: &[ColumnRef]| {
        refs.iter().find_map(|r| match r {
            ColumnRef::Name(n) => Some(quoted(n)),
            ColumnRef::Index(_) => None,
        })
    };
    let categorical = match &opts.categorical {
        Categorical::Columns(c) => named(c),
        _ => None,
    };
    match &opts.label {
        LabelColumn::Name(n) => Some(quoted(n)),
        _ => None,
    }
    .or_else(|| named(opts.features.as_deref().unwrap_or_default()))
    .or_else(|| named(&opts.ignore))
    .or(categorical)
}

/// The columns given by position in the options (label, ignored and categorical columns),
/// which the header test of [`super::Header::Auto`] leaves out: they may hold text.
pub(super) fn text_columns_by_index(opts: &CsvOptions, width: usize) -> Vec<usize> {
    let index = |r: &ColumnRef| match r {
        ColumnRef::Index(i) => Some(*i),
        ColumnRef::Name(_) => None,
    };
    let mut cols: Vec<usize> = opts.ignore.iter().filter_map(index).collect();
    if let Categorical::Columns(c) = &opts.categorical {
        cols.extend(c.iter().filter_map(index));
    }
    match opts.label {
        LabelColumn::Last => cols.extend(width.checked_sub(1)),
        LabelColumn::Index(i) => cols.push(i),
        _ => {}
    }
    cols
}

impl Plan {
    /// Resolves the options against the first record (`header`, when it is a header) and the
    /// width of the file.
    pub fn new(
        path: &Path,
        header: Option<&csv::StringRecord>,
        width: usize,
        line: u64,
        opts: &CsvOptions,
    ) -> Result<Self> {
        let err = |msg: String| Error::format(path, msg);
        let no_header = match opts.header {
            super::Header::No => "the file is read without one (header no)".to_string(),
            _ => format!("line {line} is all numbers"),
        };
        let name = |j: usize| match header {
            Some(h) => quoted(h.get(j).map_or("", str::trim_ascii)),
            None => j.to_string(),
        };
        let find = |r: &ColumnRef, role: &str| -> Result<usize> {
            match (r, header) {
                (ColumnRef::Index(i), _) if *i < width => Ok(*i),
                (ColumnRef::Index(i), _) => Err(err(format!(
                    "column {i} ({role}) does not exist: line {line} has {width} fields"
                ))),
                (ColumnRef::Name(n), Some(h)) => fields(h).position(|f| f == n).ok_or_else(|| {
                    err(format!(
                        "no column named {} ({role}); the columns are {}",
                        quoted(n),
                        column_list(h)
                    ))
                }),
                (ColumnRef::Name(n), None) => Err(err(format!(
                    "column {} ({role}) needs a header line, but {no_header}",
                    quoted(n)
                ))),
            }
        };
        let label = match &opts.label {
            LabelColumn::Last => width.checked_sub(1),
            LabelColumn::Index(i) if *i < width => Some(*i),
            LabelColumn::Index(i) => {
                return Err(err(format!(
                    "label column {i} does not exist: line {line} has {width} fields"
                )));
            }
            LabelColumn::Name(n) if header.is_none() => {
                return Err(err(format!(
                    "label column {} needs a header line, but {no_header}",
                    quoted(n)
                )));
            }
            LabelColumn::Name(n) => Some(find(&ColumnRef::Name(n.clone()), "the label column")?),
            LabelColumn::Absent => None,
        };
        let ignored = opts
            .ignore
            .iter()
            .map(|r| find(r, "to ignore"))
            .collect::<Result<Vec<_>>>()?;
        if let Some(l) = label.filter(|l| ignored.contains(l)) {
            return Err(err(format!(
                "the label column {} cannot be ignored (--ignore-columns)",
                name(l)
            )));
        }
        let features = match &opts.features {
            Some(list) => {
                let mut features = Vec::with_capacity(list.len());
                for r in list {
                    let j = find(r, "a feature")?;
                    if Some(j) == label {
                        return Err(err(format!(
                            "the label column {} cannot also be a feature (--features)",
                            name(j)
                        )));
                    }
                    if ignored.contains(&j) {
                        return Err(err(format!(
                            "column {} is both in --features and in --ignore-columns",
                            name(j)
                        )));
                    }
                    if features.contains(&j) {
                        return Err(err(format!("column {} is listed twice in --features", name(j))));
                    }
                    features.push(j);
                }
                features
            }
            None => (0..width)
                .filter(|j| Some(*j) != label && !ignored.contains(j))
                .collect(),
        };
        if features.is_empty() {
            return Err(err(match (label, width) {
                (Some(_), 1) => "the label column is the only column; there are no features".into(),
                _ => "no feature columns are left".into(),
            }));
        }
        let mut kinds = vec![
            match opts.categorical {
                Categorical::Auto => Kind::Undecided,
                _ => Kind::Numeric,
            };
            features.len()
        ];
        if let Categorical::Columns(list) = &opts.categorical {
            for r in list {
                let j = find(r, "categorical")?;
                let Some(k) = features.iter().position(|f| *f == j) else {
                    let why = if Some(j) == label {
                        "it is the label column"
                    } else if ignored.contains(&j) {
                        "it is ignored"
                    } else {
                        "it is not in --features"
                    };
                    return Err(err(format!(
                        "column {} in --categorical is not a feature: {why}",
                        name(j)
                    )));
                };
                kinds[k] = Kind::Categorical;
            }
        }
        let unused = (0..width)
            .filter(|j| Some(*j) != label && !features.contains(j))
            .collect();
        Ok(Plan {
            label,
            features,
            kinds,
            unused,
        })
    }
}
