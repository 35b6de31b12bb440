"""What the four estimators share: input checks, options for the Rust core, pickling, files.

The Rust core (`gradus._core.Model`) takes hyperparameters as the CLI's flag values (text) and
float32 rows, dense or sparse (CSR arrays); this module turns scikit-learn's parameters and
inputs into those.
"""

import contextlib
import os
import tempfile

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils import assert_all_finite
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _core


_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _array(a, dtype):
    """`a` as the core reads an array: C-contiguous and aligned values of `dtype`, `a` itself
    when it is so already (the core reads it in place), else a copy."""
    return np.require(a, dtype, "CA")


def _rows(X):
    """Rows as the core reads them ([`_array`]): float32, read in place where `X` is already
    so (a copy only where needed), or sparse rows (CSR or CSC, made CSR with sorted, unique
    indices) as their arrays `(indptr, indices, data, n_features)`, never made dense."""
    if sp.issparse(X):
        X = X.tocsr()
        if not X.has_canonical_format:
            X = X.copy()
            X.sum_duplicates()
        return (
            _array(X.indptr, np.uint64),
            _array(X.indices, np.uint32),
            _array(X.data, np.float32),
            X.shape[1],
        )
    return _array(X, np.float32)


def penalty_option(penalty, alpha, l1_ratio, n_samples=1):
    """scikit-learn's penalty α·R(w) as gradus' `--reg` (per example, hence `/ n_samples`
    for the MLP's, which scikit-learn divides by the number of rows).

    scikit-learn: l2 R = ½‖w‖², l1 R = ‖w‖₁, elasticnet R = (1−ρ)/2 ‖w‖² + ρ‖w‖₁;
    gradus: `l2:λ` = λ‖w‖², `l1:λ` = λ‖w‖₁, `elastic:λ,β` = λ‖w‖₁ + λβ‖w‖².
    """
    a = float(alpha) / n_samples
    if penalty is None or a == 0.0:
        return "none"
    if penalty == "l2" or (penalty == "elasticnet" and l1_ratio == 0):
        return f"l2:{a / 2!r}"
    if penalty == "l1" or (penalty == "elasticnet" and l1_ratio == 1):
        return f"l1:{a!r}"
    if penalty == "elasticnet":
        return f"elastic:{a * l1_ratio!r},{(1 - l1_ratio) / (2 * l1_ratio)!r}"
    raise ValueError(f"penalty must be 'l2', 'l1', 'elasticnet' or None, got {penalty!r}")


def seed_of(random_state):
    """A gradus seed (u64) from scikit-learn's `random_state` (None: 0, so fits repeat)."""
    if random_state is None:
        return 0
    if isinstance(random_state, (int, np.integer)):
        return int(random_state) % 2**63
    return int(random_state.randint(2**31))


class GradusEstimator(BaseEstimator):
    """The shared machinery; subclasses define `_options(n_samples)` and `_is_classifier`."""

    _is_classifier = False
    # scikit-learn's `t_` counts the rows trained on from 1 for the SGD estimators (every `fit`
    # starts again at 1) and from 0 for the MLPs (which go on counting under `warm_start`).
    _T_FROM_ONE = False
    # check_estimator's checks this estimator is known to fail, with the reason (README too).
    _XFAIL = {}

    @classmethod
    def _xfail_checks(cls):
        return dict(cls._XFAIL)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # --- inputs -----------------------------------------------------------------------------

    def _check_fit(self, X, y, reset):
        self._validate_params()
        # The core checks, once, that every value of X is finite (see `_finite_rows`).
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32],
            reset=reset,
            y_numeric=not self._is_classifier,
            ensure_all_finite=False,
        )
        if sp.issparse(X) and self.scale == "center":
            raise ValueError(
                "scale='center' would make sparse rows dense: use 'standardize' (on sparse input it "
                "divides by the standard deviation without centring, as StandardScaler(with_mean=False)), "
                "'unit' or 'none', or pass dense X."
            )
        if self._is_classifier:
            check_classification_targets(y)
        elif y.ndim > 1 and y.shape[1] == 1:
            y = y.ravel()
        if not self._is_classifier and y.ndim != 1:
            raise ValueError("gradus regressors take one target per row: y must be 1-D.")
        return X, y

    @contextlib.contextmanager
    def _finite_rows(self, X):
        """Raises scikit-learn's error (`assert_all_finite`'s wording) where the core refuses
        the rows `X` for a value that is not finite. The core checks every value as it reads
        the rows, so `_check_fit` leaves that check to it, which spares a second pass over X
        (0.015–0.02 s on Fashion-MNIST, 4 % of a 5-epoch linear fit)."""
        try:
            yield
        except ValueError:
            assert_all_finite(X, estimator_name=type(self).__name__, input_name="X")
            raise

    def _check_predict(self, X):
        """`X` checked as scikit-learn's `validate_data` does, as the core reads it. The hot path
        (a fitted model without feature names, a non-empty float ndarray of the fitted width,
        all finite) checks the same things in a few microseconds; anything else takes
        `validate_data`, which raises scikit-learn's errors and warnings."""
        d = self.__dict__
        if (
            type(X) is np.ndarray
            and X.ndim == 2
            and X.dtype in _FLOATS
            and "model_" in d
            and "feature_names_in_" not in d
            and X.shape[0] > 0
            and X.shape[1] == d.get("n_features_in_")
            and np.isfinite(X).all()
        ):
            return _array(X, np.float32)
        check_is_fitted(self, "model_")
        X = validate_data(self, X, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32], reset=False)
        return _rows(X)

    def _targets(self, y):
        """Targets for the core: class indices (uint32) into `classes_`, or float32 values."""
        if not self._is_classifier:
            return _array(y, np.float32), 0
        index = np.searchsorted(self.classes_, y)
        if np.any(index >= len(self.classes_)) or np.any(self.classes_[np.minimum(index, len(self.classes_) - 1)] != y):
            unseen = sorted(set(np.asarray(y).tolist()) - set(self.classes_.tolist()))
            raise ValueError(f"y contains classes not in classes_: {unseen}")
        return _array(index, np.uint32), len(self.classes_)

    # --- the core model ---------------------------------------------------------------------

    def _core_options(self, n_samples):
        """`_options` as the core reads them: text, without the unset ones."""
        return {k: str(v) for k, v in self._options(n_samples).items() if v is not None}

    def _scores(self, X):
        X = self._check_predict(X)
        return self.model_.decision_function(X)

    def _train(self, X, y, n_classes, warm):
        """Trains on `X` (the fitted model on from where it is with `warm`, else a fresh one
        whose preprocessing is fitted on the training rows), early stopping on a held-out
        `validation_fraction` when asked; sets `model_`, `loss_curve_`, `validation_scores_`,
        `n_iter_`, and `t_` as scikit-learn counts it (n_iter_ · n_samples more)."""
        n_samples = X.shape[0]
        X_val = y_val = None
        if getattr(self, "early_stopping", False):
            from sklearn.model_selection import train_test_split

            stratify = y if n_classes else None
            try:
                X, X_val, y, y_val = train_test_split(
                    X, y, test_size=self.validation_fraction, random_state=seed_of(self.random_state) % 2**32, stratify=stratify
                )
            except ValueError:
                X, X_val, y, y_val = train_test_split(X, y, test_size=self.validation_fraction, random_state=seed_of(self.random_state) % 2**32)
            X_val = _rows(X_val)
        if warm:
            # scikit-learn's warm start: the weights go on, every fit runs its epochs afresh.
            model = self.model_
            model.restart()
            history = model.train(_rows(X), y, n_classes, X_val, y_val)
        else:
            options = self._core_options(n_samples)
            model, history = _core.Model.fit(options, _rows(X), y, n_classes, X_val, y_val)
        self.model_ = model
        self.loss_curve_ = [h[0] for h in history]
        if X_val is not None:
            self.validation_scores_ = [h[1] for h in history]
        self.n_iter_ = len(history)
        start = self.t_ if warm and not self._T_FROM_ONE else float(self._T_FROM_ONE)
        self.t_ = start + self.n_iter_ * n_samples
        self._publish()
        return self

    def _fit(self, X, y):
        X, y = self._check_fit(X, y, reset=True)
        if self._is_classifier:
            self.classes_ = np.unique(y)
            if len(self.classes_) < 2:
                raise ValueError(
                    f"This solver needs samples of at least 2 classes in the data, but the data contains only one class: {self.classes_[0]!r}"
                )
        targets, n_classes = self._targets(y)
        with self._finite_rows(X):
            return self._train(X, targets, n_classes, self.warm_start and hasattr(self, "model_"))

    def _partial_fit(self, X, y, classes=None):
        first = not hasattr(self, "model_")
        X, y = self._check_fit(X, y, reset=first)
        if self._is_classifier and first:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            self.classes_ = np.unique(np.asarray(classes))
        targets, n_classes = self._targets(y)
        rows = _rows(X)
        with self._finite_rows(X):
            if first:
                self.model_ = _core.Model.new(self._core_options(X.shape[0]), rows, targets, n_classes)
                self.loss_curve_ = []
                self.n_iter_ = 0
                self.t_ = float(self._T_FROM_ONE)
            self.loss_curve_.append(self.model_.partial_fit(rows, targets, n_classes))
        self.n_iter_ += 1
        self.t_ += X.shape[0]
        self._publish()
        return self

    def _publish(self):
        """Sets the fitted attributes read from the parameters (`coef_`, `coefs_`, …)."""

    def _layers(self):
        """(weight (in × out, scikit-learn's layout), bias) of each layer, in the input's units:
        the feature map x' = (x − shift)·scale folded into the first layer, and a regressor's
        target map y' = (y − shift_y)·scale_y into the last (ŷ = ŷ'/scale_y + shift_y)."""
        tensors = {name: np.asarray(v, dtype=np.float64).reshape(shape) for name, shape, v in self.model_.tensors()}
        shift, scale, target = self.model_.affine()
        shift, scale = np.asarray(shift, dtype=np.float64), np.asarray(scale, dtype=np.float64)
        n = len(tensors) // 2
        layers = []
        for i in range(n):
            w, b = tensors[f"layers.{i}.weight"].T, tensors[f"layers.{i}.bias"]
            if i == 0:
                b = b - (shift * scale) @ w
                w = w * scale[:, None]
            if i == n - 1 and target is not None:
                w, b = w / target[1], b / target[1] + target[0]
            layers.append((w, b))
        return layers

    # --- files and pickling -----------------------------------------------------------------

    def save(self, path):
        """Writes the model file the CLI writes and reads (safetensors with metadata)."""
        check_is_fitted(self, "model_")
        self.model_.save(os.fspath(path))

    def __getstate__(self):
        state = self.__dict__.copy()
        model = state.pop("model_", None)
        if model is not None:
            with tempfile.TemporaryDirectory() as d:
                path = os.path.join(d, "model.safetensors")
                model.save_checkpoint(path)
                with open(path, "rb") as f:
                    state["_model_bytes"] = f.read()
        return state

    def __setstate__(self, state):
        data = state.pop("_model_bytes", None)
        self.__dict__.update(state)
        if data is not None:
            with tempfile.TemporaryDirectory() as d:
                path = os.path.join(d, "model.safetensors")
                with open(path, "wb") as f:
                    f.write(data)
                self.model_ = _core.Model.load(path)
