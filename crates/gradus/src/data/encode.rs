//! From table columns to model inputs, fitted on the training rows: missing values imputed
//! (scikit-learn's `SimpleImputer(strategy='mean'|'median'|'constant')`) and categorical columns
//! one-hot encoded with the training rows' categories (`OneHotEncoder(handle_unknown='ignore')`:
//! a category the training rows did not have is encoded as all zeros).
//!
//! A numeric column gives one input, `x` (or the fill value `f` where `x` is missing); a
//! categorical column with categories `c₁ < … < c_k` gives `k` inputs, `[x = c₁], …, [x = c_k]`.

use super::columns::{Columns, quoted_list};
use super::{Dataset, Features};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

/// How a missing value of a numeric column is filled, from the training rows' values of the
/// column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Impute {
    /// Their mean.
    Mean,
    /// Their median (the mean of the two middle values when their number is even, as numpy's).
    Median,
    /// Zero.
    Zero,
}

impl std::str::FromStr for Impute {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "mean" => Ok(Impute::Mean),
            "median" => Ok(Impute::Median),
            "zero" => Ok(Impute::Zero),
            _ => Err(Error::param(
                "impute",
                format!("must be mean, median or zero, got '{s}'"),
            )),
        }
    }
}

impl fmt::Display for Impute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Impute::Mean => "mean",
            Impute::Median => "median",
            Impute::Zero => "zero",
        })
    }
}

/// The fitted map from a table's feature columns to model inputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Encoding {
    /// The training table's columns, each categorical one with the categories of the training
    /// rows, sorted.
    pub columns: Columns,
    /// How missing values are filled, if they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impute: Option<Impute>,
    /// The fill value of each feature column (`None` for a categorical one); empty without
    /// imputation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fill: Vec<Option<f32>>,
}

/// Rows encoded for a model, with the count of categories it did not know, by column.
#[derive(Clone, Debug)]
pub struct Encoded<'a> {
    /// The model inputs (the rows themselves when the encoding changes nothing).
    pub data: Cow<'a, Dataset>,
    /// `(column, rows)` for each categorical column with categories the training rows did not
    /// have (encoded as all zeros).
    pub unseen: Vec<(String, usize)>,
}

/// The value of `values` that `impute` fills with (`None`: no values to fill from).
fn fill_value(impute: Impute, values: &mut [f32]) -> Option<f32> {
    if impute == Impute::Zero {
        return Some(0.0);
    }
    let n = values.len();
    if n == 0 {
        return None;
    }
    Some(match impute {
        Impute::Mean => (values.iter().map(|&v| v as f64).sum::<f64>() / n as f64) as f32,
        _ => {
            values.sort_by(f32::total_cmp);
            ((values[(n - 1) / 2] as f64 + values[n / 2] as f64) / 2.0) as f32
        }
    })
}

impl Encoding {
    /// The encoding of `train`'s columns, fitted on its rows; `None` for rows that do not come
    /// from a table.
    ///
    /// # Errors
    /// [`Error::Data`] for a column with missing values and no `impute`, or with no values to
    /// compute its mean or median from.
    pub fn fit(train: &Dataset, impute: Option<Impute>) -> Result<Option<Encoding>> {
        let (Some(table), Features::F32(x)) = (train.columns(), train.features()) else {
            return Ok(None);
        };
        let d = train.n_features();
        let mut columns = table.clone();
        let mut fill = Vec::new();
        for (j, column) in columns.features.iter_mut().enumerate() {
            let mut values: Vec<f32> = x.iter().skip(j).step_by(d).copied().filter(|v| !v.is_nan()).collect();
            let missing = values.len() < train.len();
            match column.levels.as_mut() {
                Some(levels) => {
                    let mut seen = vec![false; levels.len()];
                    for &v in &values {
                        if let Some(s) = seen.get_mut(v as usize) {
                            *s = true;
                        }
                    }
                    let mut kept: Vec<String> = std::mem::take(levels)
                        .into_iter()
                        .zip(seen)
                        .filter_map(|(l, s)| s.then_some(l))
                        .collect();
                    kept.sort();
                    *levels = kept;
                    fill.push(None);
                }
                None => fill.push(match impute {
                    Some(how) => Some(fill_value(how, &mut values).ok_or_else(|| {
                        Error::data(format!(
                            "column '{}' has no values in the training rows to compute its {how} from",
                            column.name
                        ))
                    })?),
                    None if missing => {
                        return Err(Error::data(format!(
                            "column '{}' has missing values; fill them with impute (mean, median or zero)",
                            column.name
                        )));
                    }
                    None => None,
                }),
            }
        }
        if impute.is_none() {
            fill.clear();
        }
        Ok(Some(Encoding { columns, impute, fill }))
    }

    /// The number of model inputs: one per numeric column, one per category.
    pub fn inputs(&self) -> usize {
        self.columns
            .features
            .iter()
            .map(|c| c.levels.as_ref().map_or(1, Vec::len))
            .sum()
    }

    /// Whether the encoding passes values through unchanged: no categorical columns and no
    /// imputation.
    pub fn is_identity(&self) -> bool {
        self.fill.is_empty() && self.columns.features.iter().all(|c| c.levels.is_none())
    }

    /// Checks an encoding read from a model file against the model's `inputs`: one line saying
    /// what is wrong.
    pub fn check(&self, inputs: usize) -> std::result::Result<(), String> {
        let features = &self.columns.features;
        if self.inputs() != inputs {
            return Err(format!(
                "the column encoding gives {} inputs, the model has {inputs}",
                self.inputs()
            ));
        }
        if !self.fill.is_empty() && self.fill.len() != features.len() {
            return Err(format!(
                "{} fill values for {} columns",
                self.fill.len(),
                features.len()
            ));
        }
        if self.fill.iter().flatten().any(|f| !f.is_finite()) {
            return Err("a fill value is not finite".into());
        }
        if features
            .iter()
            .zip(self.fill.iter().chain(std::iter::repeat(&None)))
            .any(|(c, f)| c.levels.is_some() && f.is_some())
        {
            return Err("a categorical column has a fill value".into());
        }
        if self.columns.header && self.columns.width < features.len() + usize::from(self.columns.label.is_some()) {
            return Err(format!(
                "{} columns do not fit a table of width {}",
                features.len(),
                self.columns.width
            ));
        }
        Ok(())
    }

    /// `data`'s rows as model inputs.
    ///
    /// # Errors
    /// [`Error::Data`] when `data` comes from a table with other feature columns (names, or
    /// which are categorical), or from no table while the encoding is not the identity; a
    /// missing value in a column without a fill value.
    pub fn apply<'a>(&self, data: &'a Dataset) -> Result<Encoded<'a>> {
        let ours = &self.columns.features;
        let Some(table) = data.columns() else {
            if self.is_identity() && data.n_features() == ours.len() {
                return Ok(Encoded {
                    data: Cow::Borrowed(data),
                    unseen: Vec::new(),
                });
            }
            return Err(Error::data(format!(
                "the model encodes the table columns {}; give it rows read from a table",
                self.columns.names()
            )));
        };
        let same = table.features.len() == ours.len()
            && table
                .features
                .iter()
                .zip(ours)
                .all(|(t, o)| t.name == o.name && t.levels.is_some() == o.levels.is_some());
        if !same {
            return Err(Error::data(format!(
                "the rows' feature columns are {}, the model's are {}",
                table.names(),
                self.columns.names()
            )));
        }
        let Features::F32(x) = data.features() else {
            return Err(Error::data("table rows must hold f32 features"));
        };
        let d = ours.len();
        if self.is_identity() {
            if let Some(p) = x.iter().position(|v| v.is_nan()) {
                return Err(self.missing_error(p / d, p % d));
            }
            return Ok(Encoded {
                data: Cow::Borrowed(data),
                unseen: Vec::new(),
            });
        }
        // For each categorical column: its own category index → ours (None: unseen).
        let maps: Vec<Option<Vec<Option<usize>>>> = table
            .features
            .iter()
            .zip(ours)
            .map(|(t, o)| {
                let (Some(theirs), Some(levels)) = (&t.levels, &o.levels) else {
                    return None;
                };
                let index: HashMap<&str, usize> = levels.iter().enumerate().map(|(i, l)| (l.as_str(), i)).collect();
                Some(theirs.iter().map(|l| index.get(l.as_str()).copied()).collect())
            })
            .collect();
        let width = self.inputs();
        let mut out = vec![0.0f32; data.len() * width];
        let mut unseen = vec![0usize; d];
        for (i, (row, dst)) in x.chunks_exact(d).zip(out.chunks_exact_mut(width)).enumerate() {
            let mut at = 0;
            for (j, (&v, column)) in row.iter().zip(ours).enumerate() {
                match (&maps[j], &column.levels) {
                    (Some(map), Some(levels)) => {
                        if !v.is_nan() {
                            match map.get(v as usize).copied().flatten() {
                                Some(k) => dst[at + k] = 1.0,
                                None => unseen[j] += 1,
                            }
                        }
                        at += levels.len();
                    }
                    _ => {
                        dst[at] = match (v.is_nan(), self.fill.get(j).copied().flatten()) {
                            (false, _) => v,
                            (true, Some(f)) => f,
                            (true, None) => return Err(self.missing_error(i, j)),
                        };
                        at += 1;
                    }
                }
            }
        }
        let mut encoded = Dataset::new(width, Features::F32(out.into()), data.targets().clone())?;
        encoded.class_names = data.class_names.clone();
        Ok(Encoded {
            data: Cow::Owned(encoded),
            unseen: ours
                .iter()
                .zip(unseen)
                .filter(|(_, n)| *n > 0)
                .map(|(c, n)| (c.name.clone(), n))
                .collect(),
        })
    }

    /// The error for a missing value in row `i`, column `j`.
    fn missing_error(&self, i: usize, j: usize) -> Error {
        Error::data(format!(
            "row {i}, column '{}': missing value, and the model fills none (it was trained without impute)",
            self.columns.features[j].name
        ))
    }
}

/// A note on categories a model did not know (`city: 2 rows`), for a warning.
pub fn unseen_note(unseen: &[(String, usize)]) -> Option<String> {
    (!unseen.is_empty()).then(|| {
        let parts: Vec<String> = unseen
            .iter()
            .map(|(c, n)| {
                format!(
                    "{} ({n} row{})",
                    quoted_list([c.as_str()]),
                    if *n == 1 { "" } else { "s" }
                )
            })
            .collect();
        format!(
            "categories the training rows did not have, encoded as all zeros, in column {}",
            parts.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Targets;
    use crate::data::columns::Column;

    /// A table of `rows` with a numeric column `x` and a categorical column `city` whose own
    /// categories are `levels`.
    fn table(rows: &[(f32, f32)], levels: &[&str]) -> Dataset {
        let columns = Columns {
            header: true,
            width: 3,
            label: Some("y".into()),
            features: vec![
                Column {
                    name: "x".into(),
                    levels: None,
                },
                Column {
                    name: "city".into(),
                    levels: Some(levels.iter().map(|s| s.to_string()).collect()),
                },
            ],
            unused: Vec::new(),
        };
        let x = rows.iter().flat_map(|&(a, b)| [a, b]).collect();
        Dataset::from_table(2, Features::F32(x), Targets::Values(vec![0.0; rows.len()]), columns).unwrap()
    }

    #[test]
    fn one_hot_uses_the_training_categories_sorted_and_ignores_unseen_ones() {
        // Training rows use categories 0 ("Rome") and 2 ("Oslo") of their file's three.
        let train = table(&[(1.0, 0.0), (3.0, 2.0), (f32::NAN, 0.0)], &["Rome", "Lima", "Oslo"]);
        let e = Encoding::fit(&train, Some(Impute::Mean)).unwrap().unwrap();
        assert_eq!(
            e.columns.features[1].levels,
            Some(vec!["Oslo".to_string(), "Rome".into()])
        );
        assert_eq!(e.fill, vec![Some(2.0), None]);
        assert_eq!(e.inputs(), 3);
        // Another file lists its categories in another order and has one the model lacks.
        let test = table(&[(5.0, 0.0), (f32::NAN, 1.0), (7.0, 2.0)], &["Oslo", "Rome", "Cairo"]);
        let out = e.apply(&test).unwrap();
        assert_eq!(
            out.data.features(),
            &Features::F32(vec![5.0, 1.0, 0.0, 2.0, 0.0, 1.0, 7.0, 0.0, 0.0].into())
        );
        assert_eq!(out.unseen, vec![("city".to_string(), 1)]);
        assert_eq!(
            unseen_note(&out.unseen).unwrap(),
            "categories the training rows did not have, encoded as all zeros, in column 'city' (1 row)"
        );
    }

    #[test]
    fn fill_values_are_mean_median_or_zero_of_the_training_rows() {
        let mut v = [4.0, 1.0, 3.0, 10.0];
        assert_eq!(fill_value(Impute::Median, &mut v), Some(3.5));
        assert_eq!(fill_value(Impute::Median, &mut [5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(fill_value(Impute::Mean, &mut [1.0, 2.0, 6.0]), Some(3.0));
        assert_eq!(fill_value(Impute::Zero, &mut []), Some(0.0));
        assert_eq!(fill_value(Impute::Mean, &mut []), None);
        let train = table(&[(f32::NAN, 0.0)], &["a"]);
        assert_eq!(
            Encoding::fit(&train, Some(Impute::Median)).unwrap_err().to_string(),
            "column 'x' has no values in the training rows to compute its median from"
        );
        assert_eq!(
            Encoding::fit(&train, None).unwrap_err().to_string(),
            "column 'x' has missing values; fill them with impute (mean, median or zero)"
        );
    }

    #[test]
    fn rows_from_other_columns_are_refused() {
        let e = Encoding::fit(&table(&[(1.0, 0.0)], &["a"]), None).unwrap().unwrap();
        let plain = Dataset::new(2, Features::F32(vec![1.0, 0.0].into()), Targets::Values(vec![0.0])).unwrap();
        assert_eq!(
            e.apply(&plain).unwrap_err().to_string(),
            "the model encodes the table columns 'x', 'city'; give it rows read from a table"
        );
        assert!(e.check(2).is_ok() && e.check(1).is_err());
    }
}
