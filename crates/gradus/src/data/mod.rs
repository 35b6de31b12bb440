//! Datasets: dense or sparse features with class labels or regression targets, their loaders,
//! splits, preprocessing and batching.
//!
//! Images stay as `u8` (a quarter of the memory of `f32`), and sparse rows (LIBSVM files) in
//! compressed sparse row form ([`sparse::Csr`]); both are converted to dense rows, with the
//! fitted preprocessing, only when a batch is gathered ([`Dataset::gather`]), so every model
//! trains on them unchanged.

pub mod batch;
mod buffer;
pub mod cifar;
pub mod columns;
pub mod csv;
pub mod digits;
pub mod encode;
pub mod hashing;
pub mod idx;
pub mod labels;
pub mod libsvm;
pub mod npy;
mod payload;
pub mod preprocess;
pub mod sparse;
pub mod spec;
pub mod split;

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

pub use buffer::Buffer;
pub use columns::Columns;
pub use encode::{Encoding, Impute};
pub use preprocess::{Affine, Scaling};
pub use sparse::Csr;

/// Whether a dataset's targets are classes or real values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// Class labels `0..n_classes`.
    Classify,
    /// Real-valued targets.
    Regress,
}

/// Feature values: dense row-major `len × n_features`, or sparse rows.
#[derive(Clone, Debug, PartialEq)]
pub enum Features {
    /// Raw bytes, e.g. image pixels.
    U8(Vec<u8>),
    /// Real values, e.g. from a CSV file, or a NumPy array lent by the Python package.
    F32(Buffer<f32>),
    /// Sparse rows, e.g. from a LIBSVM file: only the non-zeros are stored.
    Csr(Csr),
}

/// What is predicted for each row.
#[derive(Clone, Debug, PartialEq)]
pub enum Targets {
    /// Class labels, each `< n_classes`.
    Classes {
        /// One label per row.
        labels: Vec<u32>,
        /// Number of classes.
        n_classes: usize,
    },
    /// Regression targets.
    Values(Vec<f32>),
}

/// The targets of a gathered batch.
#[derive(Clone, Copy, Debug)]
pub enum TargetSlice<'a> {
    /// Class labels.
    Classes(&'a [u32]),
    /// Regression targets.
    Values(&'a [f32]),
}

impl TargetSlice<'_> {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            TargetSlice::Classes(l) => l.len(),
            TargetSlice::Values(v) => v.len(),
        }
    }
    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A dataset: features (dense or sparse), targets, and what is known of its columns and classes.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    n_features: usize,
    features: Features,
    targets: Targets,
    class_names: Option<Vec<String>>,
    columns: Option<Box<Columns>>,
}

impl Dataset {
    /// A dataset from row-major features and targets; checks that the sizes agree, that labels
    /// are in range and that values are finite.
    pub fn new(n_features: usize, features: Features, targets: Targets) -> Result<Self> {
        Self::checked(n_features, features, targets, false)
    }

    /// A dataset read from a table whose columns `columns` describes: as [`new`](Self::new),
    /// except that a feature may be NaN, a missing value for [`Encoding`] to impute (infinities
    /// are still errors).
    pub fn from_table(n_features: usize, features: Features, targets: Targets, columns: Columns) -> Result<Self> {
        if columns.features.len() != n_features {
            return Err(Error::data(format!(
                "{} columns described for {n_features} features",
                columns.features.len()
            )));
        }
        let mut data = Self::checked(n_features, features, targets, true)?;
        data.columns = Some(Box::new(columns));
        Ok(data)
    }

    /// The rows, checked; NaN features allowed when `missing`.
    fn checked(n_features: usize, features: Features, targets: Targets, missing: bool) -> Result<Self> {
        let rows = match &targets {
            Targets::Classes { labels, n_classes } => {
                if let Some((i, &l)) = labels.iter().enumerate().find(|(_, l)| **l as usize >= *n_classes) {
                    return Err(Error::data(format!(
                        "row {i}: label {l} is out of range for {n_classes} classes"
                    )));
                }
                labels.len()
            }
            Targets::Values(v) => {
                if let Some(i) = first_where(v, |t| !t.is_finite()) {
                    return Err(Error::data(format!("row {i}: target {} is not finite", v[i])));
                }
                v.len()
            }
        };
        let n_values = match &features {
            Features::U8(v) => v.len(),
            Features::Csr(m) => {
                if let Some(p) = first_where(m.values(), |x| !x.is_finite()) {
                    let i = m.indptr().partition_point(|&q| q <= p) - 1;
                    return Err(Error::data(format!(
                        "row {i}, feature {}: value {} is not finite",
                        m.indices()[p],
                        m.values()[p]
                    )));
                }
                if m.min_features() > n_features {
                    return Err(Error::data(format!(
                        "a sparse row has feature index {}, beyond {n_features} features",
                        m.min_features() - 1
                    )));
                }
                // Each row stands for n_features values.
                m.rows().saturating_mul(n_features)
            }
            Features::F32(v) => {
                if let Some(p) = first_where(v, |x| !(x.is_finite() || missing && x.is_nan())) {
                    return Err(Error::data(format!(
                        "row {}, feature {}: value {} is not finite",
                        p / n_features.max(1),
                        p % n_features.max(1),
                        v[p]
                    )));
                }
                v.len()
            }
        };
        if n_features == 0 {
            return Err(Error::data("a dataset needs at least one feature"));
        }
        if n_values != rows * n_features {
            return Err(Error::data(format!(
                "{n_values} feature values do not make {rows} rows of {n_features} features"
            )));
        }
        Ok(Self {
            n_features,
            features,
            targets,
            class_names: None,
            columns: None,
        })
    }

    /// The rows of `self` followed by those of `other` (the same features and kind of targets).
    ///
    /// # Errors
    /// [`Error::Data`] when the two store features or targets differently.
    pub fn concat(&self, other: &Dataset) -> Result<Dataset> {
        let features = match (&self.features, &other.features) {
            (Features::U8(x), Features::U8(y)) => Features::U8([x.as_slice(), y].concat()),
            (Features::F32(x), Features::F32(y)) => Features::F32([&x[..], &y[..]].concat().into()),
            (Features::Csr(x), Features::Csr(y)) => Features::Csr(x.concat(y)),
            _ => return Err(Error::data("the two splits store features differently")),
        };
        let targets = match (&self.targets, &other.targets) {
            (
                Targets::Classes { labels: x, n_classes },
                Targets::Classes {
                    labels: y,
                    n_classes: m,
                },
            ) => Targets::Classes {
                labels: [x.as_slice(), y].concat(),
                n_classes: (*n_classes).max(*m),
            },
            (Targets::Values(x), Targets::Values(y)) => Targets::Values([x.as_slice(), y].concat()),
            _ => return Err(Error::data("the two splits have different kinds of targets")),
        };
        if self.columns != other.columns {
            return Err(Error::data("the two splits come from differently read tables"));
        }
        let mut all = Dataset::checked(self.n_features, features, targets, self.columns.is_some())?;
        all.class_names = self.class_names.clone();
        all.columns = self.columns.clone();
        Ok(all)
    }

    /// Names the classes (in label order).
    pub fn with_class_names(mut self, names: Vec<String>) -> Self {
        self.class_names = Some(names);
        self
    }

    /// Class names, when the source gives them.
    pub fn class_names(&self) -> Option<&[String]> {
        self.class_names.as_deref()
    }

    /// The table columns the features came from (rows read from a CSV file).
    pub fn columns(&self) -> Option<&Columns> {
        self.columns.as_deref()
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        match &self.targets {
            Targets::Classes { labels, .. } => labels.len(),
            Targets::Values(v) => v.len(),
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of features per row.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// The raw features.
    pub fn features(&self) -> &Features {
        &self.features
    }

    /// The targets.
    pub fn targets(&self) -> &Targets {
        &self.targets
    }

    /// Classification or regression.
    pub fn task(&self) -> Task {
        match self.targets {
            Targets::Classes { .. } => Task::Classify,
            Targets::Values(_) => Task::Regress,
        }
    }

    /// Number of classes (1 for regression).
    pub fn n_classes(&self) -> usize {
        match self.targets {
            Targets::Classes { n_classes, .. } => n_classes,
            Targets::Values(_) => 1,
        }
    }

    /// Class labels, if a classification dataset.
    pub fn labels(&self) -> Option<&[u32]> {
        match &self.targets {
            Targets::Classes { labels, .. } => Some(labels),
            Targets::Values(_) => None,
        }
    }

    /// Raw feature `j` of row `i`, as `f64` (0 where a sparse row stores nothing).
    pub fn value(&self, i: usize, j: usize) -> f64 {
        let p = i * self.n_features + j;
        match &self.features {
            Features::U8(v) => v[p] as f64,
            Features::F32(v) => v[p] as f64,
            Features::Csr(m) => m.get(i, j) as f64,
        }
    }

    /// The same rows with `n` features when they are sparse and have fewer (the features they
    /// add are zero in every row); otherwise unchanged.
    pub fn widened(mut self, n: usize) -> Self {
        if matches!(self.features, Features::Csr(_)) && self.n_features < n {
            self.n_features = n;
        }
        self
    }

    /// Row `i` of sparse features: its feature indices (0-based, increasing) and raw values,
    /// without preprocessing; `None` for dense features. For training on the non-zeros alone.
    pub fn sparse_row(&self, i: usize) -> Option<(&[u32], &[f32])> {
        match &self.features {
            Features::Csr(m) => Some(m.row(i)),
            _ => None,
        }
    }

    /// The rows `rows`, in that order, as a new dataset.
    pub fn subset(&self, rows: &[usize]) -> Dataset {
        let d = self.n_features;
        let features = match &self.features {
            Features::U8(v) => Features::U8(rows.iter().flat_map(|&r| &v[r * d..(r + 1) * d]).copied().collect()),
            Features::F32(v) => Features::F32(rows.iter().flat_map(|&r| &v[r * d..(r + 1) * d]).copied().collect()),
            Features::Csr(m) => Features::Csr(m.subset(rows)),
        };
        let targets = match &self.targets {
            Targets::Classes { labels, n_classes } => Targets::Classes {
                labels: rows.iter().map(|&r| labels[r]).collect(),
                n_classes: *n_classes,
            },
            Targets::Values(v) => Targets::Values(rows.iter().map(|&r| v[r]).collect()),
        };
        Dataset {
            n_features: d,
            features,
            targets,
            class_names: self.class_names.clone(),
            columns: self.columns.clone(),
        }
    }

    /// Gathers the rows `rows` into `x` (resized to `rows.len() × n_features`), applying the
    /// preprocessing `x' = (x − shift) · scale` feature by feature, and their targets into
    /// `targets`. Sparse rows are made dense here, batch by batch: a feature a row does not store
    /// is 0, so `x'_j = −shift_j · scale_j` there.
    pub fn gather<T: crate::Real>(&self, rows: &[usize], affine: &Affine, x: &mut Vec<T>, targets: &mut TargetBuf) {
        let d = self.n_features;
        x.resize(rows.len() * d, T::zero());
        let (shift, scale) = (affine.shift(), affine.scale());
        match &self.features {
            Features::U8(v) => {
                for (i, (out, &r)) in x.chunks_exact_mut(d).zip(rows).enumerate() {
                    if let Some(&ahead) = rows.get(i + PREFETCH_AHEAD) {
                        prefetch(&v[ahead * d..(ahead + 1) * d]);
                    }
                    for (((o, &raw), &s), &k) in out.iter_mut().zip(&v[r * d..(r + 1) * d]).zip(shift).zip(scale) {
                        *o = T::of(((raw as f32 - s) * k) as f64);
                    }
                }
            }
            Features::F32(v) => {
                for (i, (out, &r)) in x.chunks_exact_mut(d).zip(rows).enumerate() {
                    if let Some(&ahead) = rows.get(i + PREFETCH_AHEAD) {
                        prefetch(&v[ahead * d..(ahead + 1) * d]);
                    }
                    for (((o, &raw), &s), &k) in out.iter_mut().zip(&v[r * d..(r + 1) * d]).zip(shift).zip(scale) {
                        *o = T::of(((raw - s) * k) as f64);
                    }
                }
            }
            Features::Csr(m) => {
                for (out, &r) in x.chunks_exact_mut(d).zip(rows) {
                    for ((o, &s), &k) in out.iter_mut().zip(shift).zip(scale) {
                        *o = T::of((-s * k) as f64);
                    }
                    let (idx, val) = m.row(r);
                    for (&j, &raw) in idx.iter().zip(val) {
                        let j = j as usize;
                        out[j] = T::of(((raw - shift[j]) * scale[j]) as f64);
                    }
                }
            }
        }
        self.gather_targets(rows, affine, targets);
    }

    /// The targets of the rows `rows` into `targets` (regression targets scaled as `affine`
    /// says).
    pub fn gather_targets(&self, rows: &[usize], affine: &Affine, targets: &mut TargetBuf) {
        match &self.targets {
            Targets::Classes { labels, .. } => {
                targets.labels.clear();
                targets.labels.extend(rows.iter().map(|&r| labels[r]));
                targets.task = Task::Classify;
            }
            Targets::Values(v) => {
                targets.values.clear();
                let (shift, scale) = affine.target().unwrap_or((0.0, 1.0));
                targets.values.extend(rows.iter().map(|&r| (v[r] - shift) * scale));
                targets.task = Task::Regress;
            }
        }
    }
}

/// How many rows ahead of the one it converts [`Dataset::gather`] asks for the bytes of the
/// row it will read next but one.
const PREFETCH_AHEAD: usize = 2;

/// Asks the processor to bring `bytes` into its caches, one request per 64-byte line, without
/// waiting for them. A shuffled batch's rows lie anywhere in a data set larger than the caches
/// (Fashion-MNIST's pixels are 47 MB): read only when needed, each row waits out a memory
/// latency, and on a 2-core machine that took 40 % of a linear softmax epoch; requested two
/// rows ahead, the wait overlaps the conversion of the rows before it.
fn prefetch<E>(bytes: &[E]) {
    #[cfg(target_arch = "x86_64")]
    for line in (0..std::mem::size_of_val(bytes)).step_by(64) {
        // SAFETY: the address lies inside `bytes`; a prefetch reads nothing into the program
        // and cannot fault.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(bytes.as_ptr().cast::<i8>().add(line))
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = bytes;
}

/// Reusable storage for a batch's targets.
#[derive(Clone, Debug)]
pub struct TargetBuf {
    task: Task,
    labels: Vec<u32>,
    values: Vec<f32>,
}

impl Default for TargetBuf {
    fn default() -> Self {
        Self {
            task: Task::Classify,
            labels: Vec::new(),
            values: Vec::new(),
        }
    }
}

impl TargetBuf {
    /// The gathered targets.
    pub fn as_slice(&self) -> TargetSlice<'_> {
        match self.task {
            Task::Classify => TargetSlice::Classes(&self.labels),
            Task::Regress => TargetSlice::Values(&self.values),
        }
    }
}

/// The index of the first value of `values` that is `bad`: a block of 1,024 values at a time
/// is tested without stopping early (a loop the compiler vectorises), and only a block with a
/// bad value is searched for it.
pub(crate) fn first_where(values: &[f32], bad: impl Fn(f32) -> bool) -> Option<usize> {
    const BLOCK: usize = 1024;
    let block = values
        .chunks(BLOCK)
        .position(|c| c.iter().fold(false, |any, &x| any | bad(x)))?;
    let start = block * BLOCK;
    values[start..].iter().position(|&x| bad(x)).map(|i| start + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_where_finds_the_first_bad_value_in_any_block() {
        let n = 3 * 1024 + 17;
        for at in [0, 1, 1023, 1024, 1025, 2047, 3 * 1024, n - 1] {
            let mut v = vec![1.5f32; n];
            v[at] = f32::NAN;
            v[n - 1] = f32::INFINITY;
            let naive = v.iter().position(|x| !x.is_finite());
            assert_eq!(first_where(&v, |x| !x.is_finite()), naive, "bad value at {at}");
            assert_eq!(first_where(&v, f32::is_nan), (at != n - 1).then_some(at));
        }
        assert_eq!(first_where(&[0.0; 5000], |x| !x.is_finite()), None);
        assert_eq!(first_where(&[], |x| !x.is_finite()), None);
    }

    fn tiny() -> Dataset {
        Dataset::new(
            2,
            Features::U8(vec![0, 10, 20, 30, 40, 50]),
            Targets::Classes {
                labels: vec![0, 1, 1],
                n_classes: 2,
            },
        )
        .unwrap()
    }

    #[test]
    fn gather_applies_the_affine_map_in_row_order() {
        let d = tiny();
        let affine = Affine::new(vec![10.0, 0.0], vec![0.5, 0.1]);
        let (mut x, mut t) = (Vec::<f32>::new(), TargetBuf::default());
        d.gather(&[2, 0], &affine, &mut x, &mut t);
        assert_eq!(x, vec![15.0, 5.0, -5.0, 1.0]);
        match t.as_slice() {
            TargetSlice::Classes(l) => assert_eq!(l, &[1, 0]),
            _ => panic!("classes expected"),
        }
    }

    #[test]
    fn bad_shapes_labels_and_values_are_errors() {
        let e = Dataset::new(
            2,
            Features::U8(vec![0; 5]),
            Targets::Classes {
                labels: vec![0, 1, 1],
                n_classes: 2,
            },
        );
        assert!(e.unwrap_err().to_string().contains("do not make 3 rows"));
        let e = Dataset::new(
            1,
            Features::U8(vec![0; 2]),
            Targets::Classes {
                labels: vec![0, 3],
                n_classes: 2,
            },
        );
        assert_eq!(
            e.unwrap_err().to_string(),
            "row 1: label 3 is out of range for 2 classes"
        );
        let e = Dataset::new(
            1,
            Features::F32(vec![0.0, f32::NAN].into()),
            Targets::Values(vec![1.0, 2.0]),
        );
        assert_eq!(e.unwrap_err().to_string(), "row 1, feature 0: value NaN is not finite");
    }

    /// The tiny dataset with sparse features: `[[0, 10], [20, 0], [0, 0]]`.
    fn sparse() -> Dataset {
        let csr = Csr::new(vec![0, 1, 2, 2], vec![1, 0], vec![10.0, 20.0]).unwrap();
        Dataset::new(2, Features::Csr(csr), tiny().targets().clone()).unwrap()
    }

    #[test]
    fn sparse_rows_gather_subset_and_concatenate_as_their_dense_form() {
        let s = sparse();
        let dense = Dataset::new(
            2,
            Features::F32(vec![0.0, 10.0, 20.0, 0.0, 0.0, 0.0].into()),
            s.targets().clone(),
        )
        .unwrap();
        let affine = Affine::new(vec![1.0, -2.0], vec![0.5, 0.25]);
        let rows = [2, 0, 1, 0];
        let (mut x, mut y, mut t) = (Vec::<f64>::new(), Vec::<f64>::new(), TargetBuf::default());
        s.gather(&rows, &affine, &mut x, &mut t);
        dense.gather(&rows, &affine, &mut y, &mut t);
        assert_eq!(x, y);
        assert_eq!(x[..2], [-0.5, 0.5]);
        for i in 0..3 {
            for j in 0..2 {
                assert_eq!(s.value(i, j), dense.value(i, j));
            }
        }
        let sub = s.subset(&[1, 1]);
        assert_eq!(sub.sparse_row(1), Some((&[0][..], &[20.0][..])));
        let both = s.concat(&sub).unwrap();
        assert_eq!((both.len(), both.value(4, 0), both.value(0, 1)), (5, 20.0, 10.0));
        assert!(s.concat(&dense).is_err());
        assert_eq!(dense.sparse_row(0), None);
    }

    #[test]
    fn sparse_values_and_indices_are_checked() {
        let csr = Csr::new(vec![0, 1], vec![5], vec![1.0]).unwrap();
        let labels = Targets::Values(vec![0.0]);
        assert_eq!(
            Dataset::new(2, Features::Csr(csr), labels.clone())
                .unwrap_err()
                .to_string(),
            "a sparse row has feature index 5, beyond 2 features"
        );
        let csr = Csr::new(vec![0, 0, 1], vec![1], vec![f32::INFINITY]).unwrap();
        assert_eq!(
            Dataset::new(2, Features::Csr(csr), Targets::Values(vec![0.0; 2]))
                .unwrap_err()
                .to_string(),
            "row 1, feature 1: value inf is not finite"
        );
    }

    #[test]
    fn subset_keeps_rows_in_the_given_order() {
        let s = tiny().subset(&[1, 1, 0]);
        assert_eq!(s.features(), &Features::U8(vec![20, 30, 20, 30, 0, 10]));
        assert_eq!(s.labels(), Some(&[1, 1, 0][..]));
    }
}
