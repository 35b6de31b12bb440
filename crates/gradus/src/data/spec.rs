//! Data specifications as the command line writes them, and the train/validation/test splits
//! derived from them.
//!
//! | spec | source | test split |
//! | --- | --- | --- |
//! | `digits` | the embedded 8×8 digits ([`super::digits`]) | seeded, stratified |
//! | `fashion-mnist`, `fashion-mnist:DIR` | IDX files (default [`FASHION_MNIST_DIR`]) | official `t10k` |
//! | `mnist:DIR` | IDX files | official `t10k` |
//! | `csv:PATH` | a CSV file ([`super::csv`]) | seeded, stratified |

use super::csv::{CsvOptions, LabelColumn};
use super::{Dataset, Task, split};
use crate::error::{Error, Result};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Where the Debian package `dataset-fashion-mnist` installs its files.
pub const FASHION_MNIST_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// Fashion-MNIST's class names, in label order.
pub const FASHION_MNIST_CLASSES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// A data source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataSpec {
    /// The embedded digits.
    Digits,
    /// Fashion-MNIST IDX files in a directory.
    FashionMnist(PathBuf),
    /// MNIST IDX files in a directory.
    Mnist(PathBuf),
    /// A CSV file.
    Csv(PathBuf),
}

impl FromStr for DataSpec {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let (kind, arg) = match s.split_once(':') {
            Some((k, a)) => (k, Some(a)),
            None => (s, None),
        };
        let path = |a: Option<&str>| a.filter(|p| !p.is_empty()).map(PathBuf::from);
        match (kind, arg) {
            ("digits", None) => Ok(DataSpec::Digits),
            ("fashion-mnist", a) => Ok(DataSpec::FashionMnist(
                path(a).unwrap_or_else(|| FASHION_MNIST_DIR.into()),
            )),
            ("mnist", a) if path(a).is_some() => Ok(DataSpec::Mnist(path(a).unwrap_or_default())),
            ("csv", a) if path(a).is_some() => Ok(DataSpec::Csv(path(a).unwrap_or_default())),
            _ => Err(Error::param(
                "data",
                format!("must be digits, fashion-mnist[:DIR], mnist:DIR or csv:PATH, got '{s}'"),
            )),
        }
    }
}

impl fmt::Display for DataSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataSpec::Digits => f.write_str("digits"),
            DataSpec::FashionMnist(p) if p == Path::new(FASHION_MNIST_DIR) => f.write_str("fashion-mnist"),
            DataSpec::FashionMnist(p) => write!(f, "fashion-mnist:{}", p.display()),
            DataSpec::Mnist(p) => write!(f, "mnist:{}", p.display()),
            DataSpec::Csv(p) => write!(f, "csv:{}", p.display()),
        }
    }
}

/// A loaded source: its rows, and its official test split if it has one.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// Training rows (all rows for sources without an official split).
    pub train: Dataset,
    /// The official test split, or test rows of their own.
    pub test: Option<Dataset>,
    /// Validation rows of their own, if any: then none are held out of the training rows.
    pub val: Option<Dataset>,
}

impl DataSpec {
    /// The same source with its path made absolute, when that changes it (so that a model
    /// trained on `csv:iris.csv` finds its file from another directory).
    pub fn absolute(&self) -> Option<DataSpec> {
        let abs = |p: &Path| std::path::absolute(p).ok().filter(|a| a != p);
        match self {
            DataSpec::Digits => None,
            DataSpec::FashionMnist(p) => abs(p).map(DataSpec::FashionMnist),
            DataSpec::Mnist(p) => abs(p).map(DataSpec::Mnist),
            DataSpec::Csv(p) => abs(p).map(DataSpec::Csv),
        }
    }

    /// The CRC-32 of a CSV source's bytes (`None` for the other sources, and for a CSV source
    /// that is not a regular file, such as a pipe or a device, which has no lasting content), to
    /// notice a file that changed after a model was trained on it.
    pub fn checksum(&self) -> Result<Option<u32>> {
        let DataSpec::Csv(path) = self else {
            return Ok(None);
        };
        if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
            return Ok(None);
        }
        let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let mut hasher = crc32fast::Hasher::new();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            match std::io::Read::read(&mut file, &mut buf) {
                Ok(0) => return Ok(Some(hasher.finalize())),
                Ok(n) => hasher.update(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::io(path, e)),
            }
        }
    }

    /// Loads the source; `csv` says how to read a CSV file.
    pub fn load(&self, csv: &CsvOptions) -> Result<Loaded> {
        match self {
            DataSpec::Digits => Ok(Loaded {
                train: super::digits::load()?,
                test: None,
                val: None,
            }),
            DataSpec::FashionMnist(dir) | DataSpec::Mnist(dir) => {
                if !dir.is_dir() {
                    let hint = if dir == Path::new(FASHION_MNIST_DIR) {
                        " (install it with: apt-get install dataset-fashion-mnist)"
                    } else {
                        ""
                    };
                    return Err(Error::data(format!("{}: no such directory{hint}", dir.display())));
                }
                let (train, test) = super::idx::load_train_test(dir, 10)?;
                let train = train.with_class_names(self.idx_class_names());
                Ok(Loaded {
                    train,
                    test: Some(test),
                    val: None,
                })
            }
            DataSpec::Csv(path) => Ok(Loaded {
                train: super::csv::load(path, csv)?,
                test: None,
                val: None,
            }),
        }
    }

    /// The source's rows without its official test split, which is not read (to choose
    /// hyperparameters without touching it; [`load_official_test`](Self::load_official_test)
    /// reads it at the end).
    pub fn load_training(&self, csv: &CsvOptions) -> Result<Dataset> {
        match self {
            DataSpec::FashionMnist(dir) | DataSpec::Mnist(dir) if dir.is_dir() => {
                Ok(super::idx::load_split(dir, "train", 10)?.with_class_names(self.idx_class_names()))
            }
            _ => Ok(self.load(csv)?.train),
        }
    }

    /// The official test split, read now (`None` for a source without one).
    pub fn load_official_test(&self) -> Result<Option<Dataset>> {
        match self {
            DataSpec::FashionMnist(dir) | DataSpec::Mnist(dir) => Ok(Some(
                super::idx::load_split(dir, "t10k", 10)?.with_class_names(self.idx_class_names()),
            )),
            _ => Ok(None),
        }
    }

    /// The class names of an IDX source: Fashion-MNIST's, or the digits 0–9.
    fn idx_class_names(&self) -> Vec<String> {
        match self {
            DataSpec::FashionMnist(_) => FASHION_MNIST_CLASSES.iter().map(|s| s.to_string()).collect(),
            _ => (0..10).map(|d| d.to_string()).collect(),
        }
    }

    /// Whether the source comes with an official test split.
    pub fn has_test_split(&self) -> bool {
        matches!(self, DataSpec::FashionMnist(_) | DataSpec::Mnist(_))
    }

    /// How to read a CSV source, from the options given (`None`: not given; the label column
    /// defaults to the last, the task to classification).
    ///
    /// # Errors
    /// [`Error::Param`] `label_column` or `task` when given for a source that is not a CSV
    /// file: the digits and IDX files are classified, with their labels in their own files, so
    /// the option would do nothing.
    pub fn csv_options(&self, label: Option<&str>, task: Option<Task>) -> Result<CsvOptions> {
        self.check_csv_option("label_column", label.is_some())?;
        self.check_csv_option("task", task.is_some())?;
        Ok(CsvOptions {
            label: label_column(label),
            task: task.unwrap_or(Task::Classify),
            ..CsvOptions::default()
        })
    }

    /// An error naming `option` when it is `given` for a source that is not a CSV file.
    pub fn check_csv_option(&self, option: &str, given: bool) -> Result<()> {
        if given && !matches!(self, DataSpec::Csv(_)) {
            return Err(Error::param(
                option,
                format!(
                    "applies only to CSV data (csv:PATH), not to {self}, whose labels are classes in files of their own"
                ),
            ));
        }
        Ok(())
    }
}

/// Parses `--label-column NAME|INDEX` (a number is an index).
pub fn label_column(s: Option<&str>) -> LabelColumn {
    match s {
        None => LabelColumn::Last,
        Some(s) => s
            .parse::<usize>()
            .map(LabelColumn::Index)
            .unwrap_or_else(|_| LabelColumn::Name(s.to_string())),
    }
}

/// Train, validation and test splits.
#[derive(Clone, Debug)]
pub struct Splits {
    /// Rows to fit on.
    pub train: Dataset,
    /// Rows for early stopping and model selection, held out of `train`.
    pub val: Option<Dataset>,
    /// Rows for the final, unbiased figures (`None`: `test_fraction` 0, every row trained on).
    pub test: Option<Dataset>,
}

/// How a source is split.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SplitRule {
    /// Fraction held out for testing when the source has no official test split (0: none, every
    /// row is trained on).
    pub test_fraction: f64,
    /// Fraction of the training rows held out for validation (0: none).
    pub val_fraction: f64,
    /// Seed of both splits.
    pub seed: u64,
}

impl SplitRule {
    /// Checks the fractions.
    pub fn check(self) -> Result<Self> {
        for (name, f) in [
            ("test_fraction", self.test_fraction),
            ("val_fraction", self.val_fraction),
        ] {
            if !(0.0..1.0).contains(&f) {
                return Err(Error::param(name, format!("must be in [0, 1), got {f}")));
            }
        }
        Ok(self)
    }

    /// The (train, test) rows of a source without an official test split.
    pub fn test_split(&self, all: &Dataset) -> (Vec<usize>, Vec<usize>) {
        split::stratified(all, self.test_fraction, self.seed)
    }

    /// Splits `loaded`: the official test split (or the test rows of their own) if there is
    /// one, else a stratified `test_fraction` (none for 0); then the validation rows of their
    /// own, or `val_fraction` of the training rows.
    ///
    /// # Errors
    /// [`Error::Param`] `test_fraction` when it is not 0 but leaves no test rows; [`Error::Data`]
    /// when no training rows are left.
    pub fn apply(&self, loaded: Loaded) -> Result<Splits> {
        let (train, test) = match loaded.test {
            Some(test) => (loaded.train, Some(test)),
            None if self.test_fraction == 0.0 => (loaded.train, None),
            None => {
                let (tr, te) = self.test_split(&loaded.train);
                if te.is_empty() {
                    return Err(Error::param(
                        "test_fraction",
                        format!("{} leaves no test rows", self.test_fraction),
                    ));
                }
                (loaded.train.subset(&tr), Some(loaded.train.subset(&te)))
            }
        };
        let (train, val) = match loaded.val {
            Some(val) => (train, Some(val)),
            None if self.val_fraction > 0.0 => {
                let (tr, va) = split::stratified(&train, self.val_fraction, self.seed.wrapping_add(1));
                (train.subset(&tr), Some(train.subset(&va)))
            }
            None => (train, None),
        };
        if train.is_empty() {
            return Err(Error::data("the training split has no rows"));
        }
        Ok(Splits { train, val, test })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_print() {
        assert_eq!("digits".parse::<DataSpec>().unwrap(), DataSpec::Digits);
        assert_eq!(
            "fashion-mnist".parse::<DataSpec>().unwrap().to_string(),
            "fashion-mnist"
        );
        assert_eq!("mnist:/x".parse::<DataSpec>().unwrap(), DataSpec::Mnist("/x".into()));
        assert_eq!("csv:a.csv".parse::<DataSpec>().unwrap().to_string(), "csv:a.csv");
        for bad in ["mnist", "csv:", "cifar", "digits:3"] {
            assert!(
                bad.parse::<DataSpec>()
                    .unwrap_err()
                    .to_string()
                    .contains(&format!("got '{bad}'"))
            );
        }
    }

    #[test]
    fn csv_options_are_refused_for_other_sources() {
        let e = |r: Result<CsvOptions>| r.unwrap_err().to_string();
        assert_eq!(
            e(DataSpec::Digits.csv_options(Some("price"), None)),
            "label_column applies only to CSV data (csv:PATH), not to digits, whose labels are classes in files of their own"
        );
        assert!(
            e(DataSpec::Mnist("/x".into()).csv_options(None, Some(Task::Regress))).starts_with("task applies only")
        );
        assert!(
            e(DataSpec::FashionMnist(FASHION_MNIST_DIR.into()).csv_options(None, Some(Task::Classify)))
                .contains("not to fashion-mnist")
        );
        let csv = DataSpec::Csv("a.csv".into())
            .csv_options(Some("2"), Some(Task::Regress))
            .unwrap();
        assert_eq!((csv.label, csv.task), (LabelColumn::Index(2), Task::Regress));
        assert_eq!(DataSpec::Digits.csv_options(None, None).unwrap().task, Task::Classify);
    }

    #[test]
    fn missing_directory_is_a_clear_error() {
        let e = DataSpec::Mnist("/no/such/dir".into())
            .load(&CsvOptions::default())
            .unwrap_err();
        assert_eq!(e.to_string(), "/no/such/dir: no such directory");
    }

    #[test]
    fn digits_split_is_stratified_and_seeded() {
        let rule = SplitRule {
            test_fraction: 0.2,
            val_fraction: 0.1,
            seed: 0,
        }
        .check()
        .unwrap();
        let s = rule
            .apply(DataSpec::Digits.load(&CsvOptions::default()).unwrap())
            .unwrap();
        let val = s.val.as_ref().map_or(0, |v| v.len());
        let test = s.test.as_ref().map_or(0, Dataset::len);
        assert_eq!(s.train.len() + val + test, 1797);
        assert!((test as f64 - 0.2 * 1797.0).abs() < 6.0, "{test}");
        let again = rule
            .apply(DataSpec::Digits.load(&CsvOptions::default()).unwrap())
            .unwrap();
        assert_eq!(again.test, s.test);
        assert!(
            SplitRule {
                test_fraction: 1.0,
                val_fraction: 0.0,
                seed: 0
            }
            .check()
            .is_err()
        );
    }
}
