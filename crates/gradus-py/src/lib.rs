//! `gradus._core`: the Rust half of the `gradus` Python package.
//!
//! One class, [`Model`], wraps [`gradus::estimator::Fitted`]: it is built from hyperparameters
//! given as text (the CLI's flag values, so that both parse them alike) and `float32` rows,
//! dense (read in place) or sparse (CSR), trains with the GIL released, predicts, and reads and writes the CLI's model files.
//! The scikit-learn conventions (parameter names, validation, label encoding, fitted
//! attributes) live in the Python half, `python/gradus/`.

use gradus::data::batch::BatchSize;
use gradus::data::{Buffer, Csr, Dataset, Features, Targets, Task};
use gradus::estimator::{Fitted, ModelParams};
use gradus::loss::Loss;
use gradus::optim::OptimizerParams;
use gradus::regularizer::Regularizer;
use gradus::train::{Observer, StopReason};
use numpy::{PyArray2, PyArrayMethods, PyReadonlyArray, PyReadonlyArray1, PyReadonlyArray2, ToPyArray};
use pyo3::exceptions::{PyKeyboardInterrupt, PyValueError};
use pyo3::prelude::*;
use std::collections::HashMap;
use std::path::PathBuf;

/// A gradus error as Python's `ValueError`, with gradus' one-line message.
fn value_error(e: gradus::Error) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// The values of a C-contiguous array, read in place; refused when they are not aligned (numpy
/// aligns the arrays it allocates; a view into a byte buffer may not be), as Rust reads them.
fn values<'a, T: numpy::Element, D: numpy::ndarray::Dimension>(a: &'a PyReadonlyArray<'_, T, D>) -> PyResult<&'a [T]> {
    if !a.data().is_aligned() {
        return Err(PyValueError::new_err(
            "the array's values are not aligned: pass np.require(a, requirements='CA')",
        ));
    }
    Ok(a.as_slice()?)
}

/// A C-contiguous, aligned `float32` NumPy array lent to a dataset: the reference keeps the
/// array, and so its values, alive (numpy refuses to `resize` an array referenced elsewhere),
/// and the dataset reads the values through the pointer numpy gave.
struct LentRows {
    _array: Py<PyArray2<f32>>,
    ptr: *const f32,
    len: usize,
}

// SAFETY: `LentRows` only reads the `len` values at `ptr`, which `_array` keeps allocated and
// which no Rust code writes while it lives; any thread may read them. Python code writing to
// the array from another thread while gradus trains on it would race with these reads, as it
// would with scikit-learn's, which also read arrays in place with the GIL released: the
// package's documentation says not to.
unsafe impl Send for LentRows {}
// SAFETY: as for `Send`: shared access is read-only.
unsafe impl Sync for LentRows {}

impl AsRef<[f32]> for LentRows {
    fn as_ref(&self) -> &[f32] {
        // SAFETY: `ptr` is aligned, non-null and points to `len` initialised `f32`s of the array
        // `_array` holds (checked by `values` when the array was lent).
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

/// The features of `x`: a C-contiguous `float32` array `n × d`, lent to gradus and read in place
/// (never copied), or sparse rows as the tuple `(indptr: uint64, indices: uint32, data: float32,
/// d)` of a canonical CSR matrix (read as they are, never made dense); returns (n, d, features).
fn features(x: &Bound<'_, PyAny>) -> PyResult<(usize, usize, Features)> {
    if let Ok(x) = x.extract::<PyReadonlyArray2<f32>>() {
        let (n, d) = x.as_array().dim();
        let rows = values(&x)?;
        let lent = LentRows {
            ptr: rows.as_ptr(),
            len: rows.len(),
            _array: x.as_unbound().clone_ref(x.py()),
        };
        return Ok((n, d, Features::F32(Buffer::lent(lent))));
    }
    let (indptr, indices, data, d) = x.extract::<(
        PyReadonlyArray1<u64>,
        PyReadonlyArray1<u32>,
        PyReadonlyArray1<f32>,
        usize,
    )>()?;
    let indptr = values(&indptr)?
        .iter()
        .map(|&p| usize::try_from(p).map_err(|_| PyValueError::new_err("sparse row pointer out of range")))
        .collect::<PyResult<Vec<usize>>>()?;
    let csr = Csr::new(indptr, values(&indices)?.to_vec(), values(&data)?.to_vec()).map_err(value_error)?;
    Ok((csr.rows(), d, Features::Csr(csr)))
}

/// Rows for gradus: `x` ([`features`]) and, for training, the targets: class indices
/// `< n_classes` when `n_classes > 0`, else real values.
fn dataset(x: &Bound<'_, PyAny>, y: Option<&Bound<'_, PyAny>>, n_classes: usize) -> PyResult<Dataset> {
    let (n, d, features) = features(x)?;
    let targets = match (y, n_classes) {
        (None, 0) => Targets::Values(vec![0.0; n]),
        (None, k) => Targets::Classes {
            labels: vec![0; n],
            n_classes: k,
        },
        (Some(y), 0) => Targets::Values(values(&y.extract::<PyReadonlyArray1<f32>>()?)?.to_vec()),
        (Some(y), k) => Targets::Classes {
            labels: values(&y.extract::<PyReadonlyArray1<u32>>()?)?.to_vec(),
            n_classes: k,
        },
    };
    Dataset::new(d, features, targets).map_err(value_error)
}

/// The training rows (`x`, `y`) and the validation rows (`x_val`, `y_val`) when given.
fn training_rows(
    x: &Bound<'_, PyAny>,
    y: &Bound<'_, PyAny>,
    n_classes: usize,
    x_val: Option<&Bound<'_, PyAny>>,
    y_val: Option<&Bound<'_, PyAny>>,
) -> PyResult<(Dataset, Option<Dataset>)> {
    let train = dataset(x, Some(y), n_classes)?;
    let val = x_val.map(|xv| dataset(xv, y_val, n_classes)).transpose()?;
    Ok((train, val))
}

/// Reads option `name` of `options` as a `T` (absent: `None`).
fn opt<T: std::str::FromStr>(options: &HashMap<String, String>, name: &str) -> PyResult<Option<T>> {
    options
        .get(name)
        .map(|v| {
            v.parse::<T>()
                .map_err(|_| PyValueError::new_err(format!("{name}: cannot read '{v}'")))
        })
        .transpose()
}

/// [`ModelParams`] from the options the Python estimators give, named as the CLI's flags:
/// `model`, `activation`, `init`, `loss`, `class_weight` (`balanced` or `W0,W1,…`), `reg`,
/// `scale`, `optimizer` and its hyperparameters, `lr`,
/// `schedule`, `batch_size`, `sampling`, `epochs`, `tol`, `tol_epochs`, `patience`, `average`
/// (the first averaged step), `val_data` (validation rows given apart), `seed`, `threads`.
fn model_params(options: &HashMap<String, String>) -> PyResult<ModelParams> {
    let text = |name: &str, default: &str| options.get(name).cloned().unwrap_or_else(|| default.to_string());
    let mut p = ModelParams::default();
    let e = value_error;
    p.architecture = text("model", "linear").parse().map_err(e)?;
    p.architecture.activation = text("activation", "relu").parse().map_err(e)?;
    p.init = text("init", "auto").parse().map_err(e)?;
    p.loss = Loss::parse(&text("loss", "softmax"), None, opt(options, "delta")?).map_err(e)?;
    p.class_weight = options.get("class_weight").map(|w| w.parse()).transpose().map_err(e)?;
    p.regularizer = Regularizer {
        penalty: text("reg", "none").parse().map_err(e)?,
        include_bias: false,
    };
    p.scaling = text("scale", "none").parse().map_err(e)?;
    p.target_scaling = opt::<String>(options, "target_scale")?
        .map(|s| s.parse())
        .transpose()
        .map_err(e)?;
    p.test_fraction = 0.0;
    p.val_fraction = Some(0.0);
    p.val_data = opt(options, "val_data")?.unwrap_or(false);
    if p.val_data {
        p.val_fraction = None;
    }
    let t = &mut p.train;
    t.optimizer = OptimizerParams {
        momentum: opt(options, "momentum")?,
        beta1: opt(options, "beta1")?,
        beta2: opt(options, "beta2")?,
        eps: opt(options, "eps")?,
        rho: opt(options, "rho")?,
        ..OptimizerParams::named(&text("optimizer", "sgd"))
    };
    t.lr = opt(options, "lr")?;
    t.schedule = text("schedule", "constant").parse().map_err(e)?;
    if let Some(b) = opt::<usize>(options, "batch_size")? {
        t.batch = BatchSize::Rows(b);
    }
    t.epochs = opt(options, "epochs")?.unwrap_or(t.epochs);
    t.tol = opt(options, "tol")?;
    t.tol_epochs = opt(options, "tol_epochs")?.unwrap_or(t.tol_epochs);
    t.patience = opt(options, "patience")?;
    t.average = opt(options, "average")?;
    t.seed = opt(options, "seed")?.unwrap_or(0);
    t.sampling = opt(options, "sampling")?.unwrap_or_default();
    t.threads = opt(options, "threads")?.unwrap_or(1);
    Ok(p)
}

/// Stops training between two steps when Python has a signal pending (Ctrl-C), keeping the
/// exception `Python::check_signals` raised to hand back.
#[derive(Default)]
struct Signals {
    raised: Option<PyErr>,
}

impl Observer for Signals {
    /// θ is read at the epoch's end alone: sparse steps may defer their penalty until then.
    fn wants_params(&self, _: &gradus::train::TrainState<f32>) -> bool {
        false
    }
    fn stop_requested(&mut self) -> bool {
        if self.raised.is_none() {
            self.raised = Python::with_gil(|py| py.check_signals()).err();
        }
        self.raised.is_some()
    }
}

/// A gradus model: its network, loss, preprocessing and parameters, and while it trains its
/// training state.
#[pyclass(module = "gradus._core")]
struct Model {
    inner: Fitted,
}

impl Model {
    /// A fresh model of `options`, its preprocessing fitted on `data`.
    fn fitted_on(py: Python<'_>, options: &HashMap<String, String>, data: &Dataset) -> PyResult<Self> {
        let config = model_params(options)?.check().map_err(value_error)?;
        let inner = py.allow_threads(|| Fitted::new(&config, data)).map_err(value_error)?;
        Ok(Self { inner })
    }

    /// Trains on `train` (with `val` for early stopping) until a stopping rule fires, the GIL
    /// released; each epoch's (training objective, validation loss or NaN), or
    /// `KeyboardInterrupt` when Ctrl-C stopped it.
    fn run(&mut self, py: Python<'_>, train: &Dataset, val: Option<&Dataset>) -> PyResult<Vec<(f64, f64)>> {
        let mut signals = Signals::default();
        let inner = &mut self.inner;
        let report = py
            .allow_threads(|| inner.train(train, val, &mut signals, None))
            .map_err(value_error)?;
        if let (StopReason::Requested, Some(err)) = (&report.stop, signals.raised) {
            return Err(err);
        }
        if report.stop == StopReason::Requested {
            return Err(PyKeyboardInterrupt::new_err("training interrupted"));
        }
        Ok(report
            .history
            .iter()
            .map(|e| (e.objective, e.val_loss.unwrap_or(f64::NAN)))
            .collect())
    }
}

#[pymethods]
impl Model {
    /// A fresh model of `options` for rows shaped as `x` with `n_classes` classes (0: a
    /// regressor), its preprocessing fitted on `x`.
    #[staticmethod]
    #[pyo3(signature = (options, x, y, n_classes))]
    fn new(
        py: Python<'_>,
        options: HashMap<String, String>,
        x: &Bound<'_, PyAny>,
        y: &Bound<'_, PyAny>,
        n_classes: usize,
    ) -> PyResult<Self> {
        let data = dataset(x, Some(y), n_classes)?;
        Self::fitted_on(py, &options, &data)
    }

    /// [`new`](Self::new) and [`train`](Self::train) on the same rows, read once: returns the
    /// model and each epoch's (training objective, validation loss or NaN).
    #[staticmethod]
    #[pyo3(signature = (options, x, y, n_classes, x_val=None, y_val=None))]
    fn fit(
        py: Python<'_>,
        options: HashMap<String, String>,
        x: &Bound<'_, PyAny>,
        y: &Bound<'_, PyAny>,
        n_classes: usize,
        x_val: Option<&Bound<'_, PyAny>>,
        y_val: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<(Self, Vec<(f64, f64)>)> {
        let (train, val) = training_rows(x, y, n_classes, x_val, y_val)?;
        let mut model = Self::fitted_on(py, &options, &train)?;
        let history = model.run(py, &train, val.as_ref())?;
        Ok((model, history))
    }

    /// Trains on (`x`, `y`) until a stopping rule fires, with (`x_val`, `y_val`) for early
    /// stopping; returns each epoch's (training objective, validation loss or NaN), and raises
    /// `KeyboardInterrupt` when Ctrl-C stopped it.
    #[pyo3(signature = (x, y, n_classes, x_val=None, y_val=None))]
    fn train(
        &mut self,
        py: Python<'_>,
        x: &Bound<'_, PyAny>,
        y: &Bound<'_, PyAny>,
        n_classes: usize,
        x_val: Option<&Bound<'_, PyAny>>,
        y_val: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<(f64, f64)>> {
        let (train, val) = training_rows(x, y, n_classes, x_val, y_val)?;
        self.run(py, &train, val.as_ref())
    }

    /// One more epoch over (`x`, `y`); returns its training objective.
    fn partial_fit(
        &mut self,
        py: Python<'_>,
        x: &Bound<'_, PyAny>,
        y: &Bound<'_, PyAny>,
        n_classes: usize,
    ) -> PyResult<f64> {
        let data = dataset(x, Some(y), n_classes)?;
        let inner = &mut self.inner;
        let report = py.allow_threads(|| inner.partial_fit(&data)).map_err(value_error)?;
        Ok(report.objective)
    }

    /// The scores of every row, `rows × outputs` (a regressor's in the target's units).
    fn decision_function<'py>(&self, py: Python<'py>, x: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let data = dataset(x, None, self.n_classes())?;
        let outputs = self.inner.meta().outputs;
        let scores = py
            .allow_threads(|| self.inner.decision_function(&data))
            .map_err(value_error)?;
        let rows = scores.len() / outputs.max(1);
        numpy::ndarray::Array2::from_shape_vec((rows, outputs), scores)
            .map(|a| a.to_pyarray(py))
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// Each row's class probabilities, `rows × classes`.
    fn predict_proba<'py>(&self, py: Python<'py>, x: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let data = dataset(x, None, self.n_classes())?;
        let p = py
            .allow_threads(|| self.inner.predict_proba(&data))
            .map_err(value_error)?;
        PyArray2::from_vec2(py, &p).map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// Writes the model file (the CLI's format), without the training state.
    fn save(&self, path: PathBuf) -> PyResult<()> {
        self.inner.save(&path).map_err(value_error)
    }

    /// Writes the model with its training state (what `partial_fit` and `warm_start` go on
    /// from).
    fn save_checkpoint(&self, path: PathBuf) -> PyResult<()> {
        self.inner.save_checkpoint(&path).map_err(value_error)
    }

    /// Reads a model file or checkpoint.
    #[staticmethod]
    fn load(path: PathBuf) -> PyResult<Self> {
        Ok(Self {
            inner: Fitted::load(&path, 1).map_err(value_error)?,
        })
    }

    /// Every parameter tensor: (name, shape, values row-major), in the layout's order.
    fn tensors(&self) -> Vec<(String, Vec<usize>, Vec<f32>)> {
        let params = self.inner.params();
        self.inner
            .objective()
            .network
            .layout()
            .segments()
            .iter()
            .map(|s| (s.name.clone(), s.shape.clone(), params[s.range()].to_vec()))
            .collect()
    }

    /// The feature map `x' = (x − shift) · scale` the model applies first: (shift, scale), and
    /// a regressor's target map `y' = (y − shift_y) · scale_y` as (shift_y, scale_y) (`None`:
    /// targets not scaled).
    #[allow(clippy::type_complexity)]
    fn affine(&self) -> (Vec<f32>, Vec<f32>, Option<(f32, f32)>) {
        let a = self.inner.affine();
        (a.shift().to_vec(), a.scale().to_vec(), a.target())
    }

    /// The classes' names as the training data gave them (`None`: a regressor, or classes
    /// without names).
    fn class_names(&self) -> Option<Vec<String>> {
        self.inner.meta().class_names.clone()
    }

    /// Number of classes (0: a regressor).
    fn n_classes(&self) -> usize {
        match self.inner.meta().task {
            Task::Classify => self.inner.meta().n_classes,
            Task::Regress => 0,
        }
    }

    /// Number of input features.
    #[getter]
    fn n_features(&self) -> usize {
        self.inner.meta().inputs
    }

    /// Number of outputs (scores per row).
    #[getter]
    fn outputs(&self) -> usize {
        self.inner.meta().outputs
    }

    /// The loss's name (`softmax`, `svm`, …).
    #[getter]
    fn loss(&self) -> String {
        self.inner.meta().loss.to_string()
    }

    /// Forgets the training state (epochs, update-rule state, schedule), keeping the weights:
    /// the next `train` runs from epoch 0 (scikit-learn's `warm_start`).
    fn restart(&mut self) {
        self.inner.restart();
    }

    /// The weight of each class's rows in the data loss, in class index order (`None`: all 1).
    #[getter]
    fn class_weight(&self) -> Option<Vec<f64>> {
        self.inner.meta().class_weight.as_ref().map(|w| w.weights.clone())
    }

    /// Threads used to predict.
    fn set_threads(&mut self, threads: usize) {
        self.inner.set_threads(threads);
    }
}

/// The module `gradus._core`.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("OPTIMIZERS", gradus::optim::NAMES.to_vec())?;
    m.add_class::<Model>()
}
