//! Table columns: which columns of a CSV file became a dataset's features, in which order,
//! which of them hold categories, and how to read another file the same way.
//!
//! A categorical column is stored as one feature whose value is the index of its category in
//! [`Column::levels`] (the file's own list); [`super::encode::Encoding`] turns it into one-hot
//! features with the categories of the training rows.

use super::csv::{CsvOptions, Header, LabelColumn};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A column named by the user: by header name, or by 0-based index (a number).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ColumnRef {
    /// The column with this header name.
    Name(String),
    /// The column at this 0-based position.
    Index(usize),
}

impl ColumnRef {
    /// A number is an index, anything else a name (as for the label column).
    pub fn parse(s: &str) -> Self {
        s.parse::<usize>()
            .map(ColumnRef::Index)
            .unwrap_or_else(|_| ColumnRef::Name(s.to_string()))
    }

    /// A comma-separated list of columns (`city,2`); empty items are skipped.
    pub fn list(s: &str) -> Vec<ColumnRef> {
        s.split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(Self::parse)
            .collect()
    }
}

impl fmt::Display for ColumnRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnRef::Name(n) => write!(f, "'{n}'"),
            ColumnRef::Index(i) => write!(f, "{i}"),
        }
    }
}

/// Which feature columns hold categories rather than numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Categorical {
    /// None: every feature column must hold numbers.
    #[default]
    None,
    /// Each feature column whose first data row holds text that is not a number, provided it
    /// has at most [`AUTO_MAX_LEVELS`] distinct values.
    Auto,
    /// These columns (each a feature), whatever they hold: `3` and `3.0` are two categories.
    Columns(Vec<ColumnRef>),
}

/// The most distinct values of a column that `--categorical auto` takes as categories.
pub const AUTO_MAX_LEVELS: usize = 50;

impl std::str::FromStr for Categorical {
    type Err = std::convert::Infallible;
    /// `auto`, or a comma-separated list of columns.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "auto" => Categorical::Auto,
            s => Categorical::Columns(ColumnRef::list(s)),
        })
    }
}

/// One feature column of a table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// Its header name, or its 0-based index as text in a file without a header.
    pub name: String,
    /// For a categorical column, its categories: the feature's value is an index into them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub levels: Option<Vec<String>>,
}

/// How a table's columns became a dataset's features.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Columns {
    /// Whether the table has a header: columns are then found by name, in any order;
    /// otherwise by position, and another table must have the same width.
    pub header: bool,
    /// Fields per record.
    pub width: usize,
    /// The label column's name (or index), if the table has one.
    pub label: Option<String>,
    /// The feature columns, in feature order.
    pub features: Vec<Column>,
    /// Columns of the table that are neither the label nor a feature (ignored, or not
    /// selected).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unused: Vec<String>,
}

impl Columns {
    /// The column named `name` as the options write it: by name with a header, by index
    /// without.
    fn reference(&self, name: &str) -> ColumnRef {
        match self.header {
            true => ColumnRef::Name(name.to_string()),
            false => ColumnRef::parse(name),
        }
    }

    /// Options that read another table as this one was read: the same feature columns (by
    /// name when the tables have a header, in any order, other columns left out; by position
    /// otherwise, the width checked), the same categorical columns, the same label column, and
    /// `base`'s task, limits and missing-value rule.
    pub fn reading(&self, base: &CsvOptions) -> CsvOptions {
        CsvOptions {
            header: if self.header { Header::Yes } else { Header::No },
            label: self
                .label
                .as_deref()
                .map_or(LabelColumn::Absent, |l| match self.reference(l) {
                    ColumnRef::Name(n) => LabelColumn::Name(n),
                    ColumnRef::Index(i) => LabelColumn::Index(i),
                }),
            features: Some(self.features.iter().map(|c| self.reference(&c.name)).collect()),
            ignore: Vec::new(),
            categorical: Categorical::Columns(
                self.features
                    .iter()
                    .filter(|c| c.levels.is_some())
                    .map(|c| self.reference(&c.name))
                    .collect(),
            ),
            width: (!self.header).then_some(self.width),
            ..base.clone()
        }
    }

    /// The feature names, quoted and comma-separated, for messages.
    pub fn names(&self) -> String {
        quoted_list(self.features.iter().map(|c| c.name.as_str()))
    }
}

/// Names quoted and comma-separated: `'a', 'b'`.
pub fn quoted_list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    names
        .into_iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_and_lists_parse() {
        assert_eq!(
            ColumnRef::list("city, 2,,lat"),
            vec![
                ColumnRef::Name("city".into()),
                ColumnRef::Index(2),
                ColumnRef::Name("lat".into())
            ]
        );
        assert_eq!("auto".parse::<Categorical>().unwrap(), Categorical::Auto);
        assert_eq!(
            "a".parse::<Categorical>().unwrap(),
            Categorical::Columns(vec![ColumnRef::Name("a".into())])
        );
    }

    #[test]
    fn reading_another_table_selects_the_same_columns() {
        let columns = Columns {
            header: true,
            width: 4,
            label: Some("temp".into()),
            features: vec![
                Column {
                    name: "lat".into(),
                    levels: None,
                },
                Column {
                    name: "city".into(),
                    levels: Some(vec!["Austin".into()]),
                },
            ],
            unused: vec!["id".into()],
        };
        let opts = columns.reading(&CsvOptions::default());
        assert_eq!(opts.header, Header::Yes);
        assert_eq!(opts.label, LabelColumn::Name("temp".into()));
        assert_eq!(
            opts.features,
            Some(vec![ColumnRef::Name("lat".into()), ColumnRef::Name("city".into())])
        );
        assert_eq!(
            opts.categorical,
            Categorical::Columns(vec![ColumnRef::Name("city".into())])
        );
        assert_eq!(opts.width, None);
        let headerless = Columns {
            header: false,
            label: Some("2".into()),
            features: vec![Column {
                name: "0".into(),
                levels: None,
            }],
            ..columns
        };
        let opts = headerless.reading(&CsvOptions::default());
        assert_eq!(
            (opts.label, opts.features, opts.width),
            (LabelColumn::Index(2), Some(vec![ColumnRef::Index(0)]), Some(4))
        );
    }
}
