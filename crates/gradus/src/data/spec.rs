//! Data specifications as the command line writes them, and the train/validation/test splits
//! derived from them.
//!
//! | spec | source | test split |
//! | --- | --- | --- |
//! | `digits` | the embedded 8×8 digits ([`super::digits`]) | seeded, stratified |
//! | `fashion-mnist`, `fashion-mnist:DIR` | IDX files (default [`FASHION_MNIST_DIR`]) | official `t10k` |
//! | `mnist:DIR` | IDX files | official `t10k` |
//! | `csv:PATH` | a CSV file ([`super::csv`]) | seeded, stratified |
//! | `cifar10:DIR` | CIFAR-10 binary batches ([`super::cifar`]) | official `test_batch.bin` |
//! | `npy:X.npy,y.npy` | NumPy arrays ([`super::npy`]) | seeded, stratified |
//! | `npz:FILE.npz` | a NumPy archive: `X`, `y` or `x_train`, `y_train` (`x_test`, `y_test`) | official `x_test`, `y_test` if present, else seeded |
//! | `libsvm:TRAIN[,TEST]` | LIBSVM/svmlight text, sparse rows ([`super::libsvm`]) | the file `TEST` if given, else seeded |
//!
//! The labels of CSV, NumPy and LIBSVM sources are read as the task says ([`CsvOptions::task`],
//! `--task`; classification by default); the other sources hold classes.

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
    /// A directory of CIFAR-10 binary batches.
    Cifar10(PathBuf),
    /// Features and targets in two `.npy` files.
    Npy(PathBuf, PathBuf),
    /// A `.npz` archive.
    Npz(PathBuf),
    /// A LIBSVM file of training rows, and one of test rows.
    Libsvm(PathBuf, Option<PathBuf>),
}

impl FromStr for DataSpec {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let (kind, arg) = match s.split_once(':') {
            Some((k, a)) => (k, Some(a)),
            None => (s, None),
        };
        let path = |a: Option<&str>| a.filter(|p| !p.is_empty()).map(PathBuf::from);
        // `A` or `A,B`, neither empty.
        let pair = |a: &str| match a.split_once(',') {
            Some((x, y)) if !x.is_empty() && !y.is_empty() => Some((PathBuf::from(x), Some(PathBuf::from(y)))),
            None if !a.is_empty() => Some((PathBuf::from(a), None)),
            _ => None,
        };
        match (kind, arg) {
            ("digits", None) => Ok(DataSpec::Digits),
            ("fashion-mnist", a) => Ok(DataSpec::FashionMnist(
                path(a).unwrap_or_else(|| FASHION_MNIST_DIR.into()),
            )),
            ("mnist", a) if path(a).is_some() => Ok(DataSpec::Mnist(path(a).unwrap_or_default())),
            ("csv", a) if path(a).is_some() => Ok(DataSpec::Csv(path(a).unwrap_or_default())),
            ("cifar10", a) if path(a).is_some() => Ok(DataSpec::Cifar10(path(a).unwrap_or_default())),
            ("npz", a) if path(a).is_some() => Ok(DataSpec::Npz(path(a).unwrap_or_default())),
            ("npy", Some(a)) if pair(a).is_some_and(|(_, y)| y.is_some()) => {
                let (x, y) = pair(a).unwrap_or_default();
                Ok(DataSpec::Npy(x, y.unwrap_or_default()))
            }
            ("libsvm", Some(a)) if pair(a).is_some() => {
                let (train, test) = pair(a).unwrap_or_default();
                Ok(DataSpec::Libsvm(train, test))
            }
            _ => Err(Error::param(
                "data",
                format!(
                    "must be digits, fashion-mnist[:DIR], mnist:DIR, csv:PATH, cifar10:DIR, npy:X.npy,y.npy, npz:FILE.npz or libsvm:TRAIN[,TEST], got '{s}'"
                ),
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
            DataSpec::Cifar10(p) => write!(f, "cifar10:{}", p.display()),
            DataSpec::Npy(x, y) => write!(f, "npy:{},{}", x.display(), y.display()),
            DataSpec::Npz(p) => write!(f, "npz:{}", p.display()),
            DataSpec::Libsvm(p, None) => write!(f, "libsvm:{}", p.display()),
            DataSpec::Libsvm(p, Some(t)) => write!(f, "libsvm:{},{}", p.display(), t.display()),
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
    /// What the reader left aside, for the user (`qid:` fields of a LIBSVM file).
    pub notes: Vec<String>,
}

impl DataSpec {
    /// The same source with its path made absolute, when that changes it (so that a model
    /// trained on `csv:iris.csv` finds its file from another directory).
    pub fn absolute(&self) -> Option<DataSpec> {
        let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        let spec = match self {
            DataSpec::Digits => return None,
            DataSpec::FashionMnist(p) => DataSpec::FashionMnist(abs(p)),
            DataSpec::Mnist(p) => DataSpec::Mnist(abs(p)),
            DataSpec::Csv(p) => DataSpec::Csv(abs(p)),
            DataSpec::Cifar10(p) => DataSpec::Cifar10(abs(p)),
            DataSpec::Npy(x, y) => DataSpec::Npy(abs(x), abs(y)),
            DataSpec::Npz(p) => DataSpec::Npz(abs(p)),
            DataSpec::Libsvm(p, t) => DataSpec::Libsvm(abs(p), t.as_deref().map(abs)),
        };
        Some(spec).filter(|s| s != self)
    }

    /// The files of a source read from files rather than a directory (CSV, NumPy, LIBSVM).
    fn files(&self) -> Vec<&Path> {
        match self {
            DataSpec::Csv(p) | DataSpec::Npz(p) | DataSpec::Libsvm(p, None) => vec![p],
            DataSpec::Npy(x, y) => vec![x, y],
            DataSpec::Libsvm(p, Some(t)) => vec![p, t],
            _ => Vec::new(),
        }
    }

    /// The CRC-32 of a file source's bytes, its files one after the other (`None` for the
    /// embedded digits and directories of IDX or CIFAR-10 files, and for a source with a file
    /// that is not a regular file, such as a pipe or a device, which has no lasting content),
    /// to notice a file that changed after a model was trained on it.
    pub fn checksum(&self) -> Result<Option<u32>> {
        let files = self.files();
        if files.is_empty() || !files.iter().all(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file())) {
            return Ok(None);
        }
        let mut hasher = crc32fast::Hasher::new();
        let mut buf = vec![0u8; 1 << 16];
        for path in files {
            let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
            loop {
                match std::io::Read::read(&mut file, &mut buf) {
                    Ok(0) => break,
                    Ok(n) => hasher.update(&buf[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(Error::io(path, e)),
                }
            }
        }
        Ok(Some(hasher.finalize()))
    }

    /// Loads the source; `csv` says how to read a CSV file, and its task and record limit how to
    /// read NumPy and LIBSVM labels and lines.
    pub fn load(&self, csv: &CsvOptions) -> Result<Loaded> {
        let plain = |train, test| Loaded {
            train,
            test,
            val: None,
            notes: Vec::new(),
        };
        match self {
            DataSpec::Digits => Ok(plain(super::digits::load()?, None)),
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
                Ok(plain(train, Some(test)))
            }
            DataSpec::Csv(path) => Ok(plain(super::csv::load(path, csv)?, None)),
            DataSpec::Cifar10(dir) => Ok(plain(
                super::cifar::load_train(dir)?,
                Some(super::cifar::load_test(dir)?),
            )),
            DataSpec::Npy(x, y) => Ok(plain(super::npy::load(x, y, csv.task)?, None)),
            DataSpec::Npz(path) => {
                let (train, test) = super::npy::load_npz(path, csv.task)?;
                Ok(plain(train, test))
            }
            DataSpec::Libsvm(train, test) => {
                let s = super::libsvm::load(train, test.as_deref(), csv.task, csv.max_record_bytes, csv.hash_bits)?;
                let mut loaded = plain(s.train, s.test);
                if s.qid_lines > 0 {
                    loaded.notes.push(format!(
                        "{self}: ignored the qid: field of {} lines (query ids of ranking data)",
                        s.qid_lines
                    ));
                }
                Ok(loaded)
            }
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
            DataSpec::Cifar10(dir) => super::cifar::load_train(dir),
            DataSpec::Npz(path) => super::npy::load_npz_train(path, csv.task),
            // A LIBSVM test file is parsed too, for its largest index: both splits have the same
            // features.
            _ => Ok(self.load(csv)?.train),
        }
    }

    /// The official test split, read now (`None` for a source without one); `csv` as for
    /// [`load`](Self::load).
    pub fn load_official_test(&self, csv: &CsvOptions) -> Result<Option<Dataset>> {
        match self {
            DataSpec::FashionMnist(dir) | DataSpec::Mnist(dir) => Ok(Some(
                super::idx::load_split(dir, "t10k", 10)?.with_class_names(self.idx_class_names()),
            )),
            DataSpec::Cifar10(dir) => super::cifar::load_test(dir).map(Some),
            DataSpec::Npz(path) => super::npy::load_npz_test(path, csv.task),
            DataSpec::Libsvm(_, Some(_)) => Ok(self.load(csv)?.test),
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

    /// Whether the source comes with an official test split (an `.npz` archive: whether it holds
    /// `x_test` and `y_test`, looked up now).
    pub fn has_test_split(&self) -> bool {
        match self {
            DataSpec::Npz(path) => super::npy::npz_has_test(path),
            DataSpec::Libsvm(_, test) => test.is_some(),
            _ => matches!(
                self,
                DataSpec::FashionMnist(_) | DataSpec::Mnist(_) | DataSpec::Cifar10(_)
            ),
        }
    }

    /// Whether the source's labels are numbers read as the task says (CSV, NumPy and LIBSVM
    /// files), rather than classes of their own.
    pub fn reads_task(&self) -> bool {
        matches!(
            self,
            DataSpec::Csv(_) | DataSpec::Npy(..) | DataSpec::Npz(_) | DataSpec::Libsvm(..)
        )
    }

    /// How to read a CSV source, from the options given (`None`: not given; the label column
    /// defaults to the last, the task to classification).
    ///
    /// # Errors
    /// [`Error::Param`] `label_column` when given for a source that is not a CSV file, `task`
    /// for one whose labels are not numbers ([`reads_task`](Self::reads_task)): the digits, IDX
    /// and CIFAR-10 files are classified, with their labels in their own files, so the option
    /// would do nothing.
    pub fn csv_options(&self, label: Option<&str>, task: Option<Task>) -> Result<CsvOptions> {
        self.check_csv_option("label_column", label.is_some())?;
        if task.is_some() && !self.reads_task() {
            return Err(Error::param(
                "task",
                format!(
                    "applies only to CSV, NumPy and LIBSVM data, not to {self}, whose labels are classes in files of their own"
                ),
            ));
        }
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
        for (text, spec) in [
            ("cifar10:c", DataSpec::Cifar10("c".into())),
            ("npy:a.npy,b.npy", DataSpec::Npy("a.npy".into(), "b.npy".into())),
            ("npz:d.npz", DataSpec::Npz("d.npz".into())),
            ("libsvm:t", DataSpec::Libsvm("t".into(), None)),
            ("libsvm:t,u", DataSpec::Libsvm("t".into(), Some("u".into()))),
        ] {
            assert_eq!(text.parse::<DataSpec>().unwrap(), spec);
            assert_eq!(spec.to_string(), text);
        }
        let abs = DataSpec::Libsvm("t".into(), Some("/u".into())).absolute().unwrap();
        assert!(
            abs.to_string().ends_with("/t,/u") && abs.to_string().starts_with("libsvm:/"),
            "{abs}"
        );
        for bad in [
            "mnist",
            "csv:",
            "cifar",
            "digits:3",
            "npy:a.npy",
            "npy:a,",
            "libsvm:",
            "libsvm:,b",
            "cifar10:",
        ] {
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
        assert_eq!(
            e(DataSpec::Cifar10("/x".into()).csv_options(None, Some(Task::Regress))),
            "task applies only to CSV, NumPy and LIBSVM data, not to cifar10:/x, whose labels are classes in files of their own"
        );
        let npz = DataSpec::Npz("a.npz".into()).csv_options(None, Some(Task::Regress));
        assert_eq!(npz.unwrap().task, Task::Regress);
        assert!(
            e(DataSpec::Libsvm("a".into(), None).csv_options(Some("y"), None)).starts_with("label_column applies only")
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
