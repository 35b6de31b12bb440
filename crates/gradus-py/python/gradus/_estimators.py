"""The four estimators: scikit-learn's parameter names, gradus' training.

Schedules: the SGD estimators' `learning_rate` takes scikit-learn's `constant`, `optimal`
(1/(alpha·(t₀ + t − 1)), t counting the rows trained on, scikit-learn's t₀), `invscaling`
(eta0 / t^power_t) and `adaptive` (eta0, divided by 5 after `n_iter_no_change` epochs without
an improvement of `tol`; training stops once the rate is at 1e-6 or below), computed as
scikit-learn does (gradus' `optimal`, `invscaling` and `adaptive` schedules); with `constant`,
`schedule` takes any gradus schedule (`cosine`, `exp:0.9`, …).
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import Interval, StrOptions

import inspect
import types

from ._base import GradusEstimator, penalty_option, seed_of
from ._core import OPTIMIZERS

OPTIMIZERS = set(OPTIMIZERS)

_TRAINING = {
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left"), None],
    "random_state": ["random_state"],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
    "warm_start": ["boolean"],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "schedule": [str],
    "scale": [StrOptions({"none", "standardize", "center", "unit"})],
    "shuffle": ["boolean"],
    "n_jobs": [Integral, None],
}

_SGD = {
    **_TRAINING,
    "penalty": [StrOptions({"l2", "l1", "elasticnet"}), None],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "l1_ratio": [Interval(Real, 0, 1, closed="both")],
    "learning_rate": [StrOptions({"constant", "optimal", "invscaling", "adaptive"})],
    "eta0": [Interval(Real, 0, None, closed="neither")],
    "power_t": [Interval(Real, None, None, closed="neither")],
    "optimizer": [StrOptions(OPTIMIZERS)],
    "momentum": [Interval(Real, 0, None, closed="left"), None],
    "betas": [tuple, None],
    "verbose": ["verbose"],
    "average": [Interval(Integral, 0, None, closed="left"), "boolean"],
}


def _training_options(est, n_samples):
    """Options every estimator gives the core: epochs, stopping, batch order, seed, threads."""
    return {
        "epochs": est.max_iter,
        "tol": None if est.early_stopping else est.tol,
        "tol_epochs": est.n_iter_no_change,
        "patience": est.n_iter_no_change if est.early_stopping else None,
        "val_data": "true" if est.early_stopping else None,
        "batch_size": min(est.batch_size, n_samples),
        "sampling": "permutation" if est.shuffle else "sequential",
        "schedule": est.schedule,
        "scale": est.scale,
        "seed": seed_of(est.random_state),
        "threads": 1 if est.n_jobs is None else max(1, est.n_jobs),
    }


def _sgd_schedule(est):
    """scikit-learn's `learning_rate` as gradus' schedule, and whether the schedule replaces
    the tolerance test (`adaptive`, whose criterion reduces the rate and stops the run)."""
    rule = est.learning_rate
    if rule != "constant" and est.schedule != "constant":
        raise ValueError(
            f"schedule={est.schedule!r} applies only with learning_rate='constant', got learning_rate={rule!r}."
        )
    if rule == "optimal":
        if est.alpha == 0:
            raise ValueError(
                "alpha must be > 0 since learning_rate is 'optimal'. alpha is used to compute the optimal learning rate."
            )
        return f"optimal:{float(est.alpha)!r}", False
    if rule == "invscaling":
        return f"invscaling:{float(est.power_t)!r}", False
    if rule == "adaptive" and est.tol is not None:
        # scikit-learn: with tol=None the criterion never fires, the rate stays eta0.
        return f"adaptive:{int(est.n_iter_no_change)},{float(est.tol)!r}", True
    return est.schedule, False


def _average_option(average, batch_size):
    """scikit-learn's `average` as gradus' first averaged step k₀ (None: no averaging).

    scikit-learn updates after every row and averages the weights from the `average`-th row on
    (`True`: from the first); gradus steps once per batch of `batch_size` rows, so averaging
    starts after the first step after which at least `average` rows have been seen:
    k₀ = ⌈average / batch_size⌉. That is exact while averaging starts within the first epoch or
    `batch_size` divides the rows; later, an epoch's shorter last batch makes the steps see
    fewer rows than k₀ · batch_size.
    """
    if average is True:
        return 1
    if not average:
        return None
    return -(-int(average) // batch_size)


def _optimizer_options(optimizer, momentum, betas):
    o = {"optimizer": optimizer, "momentum": momentum}
    if betas is not None:
        o["beta1"], o["beta2"] = betas
    return o


class _SGDBase(GradusEstimator):
    _parameter_constraints = _SGD
    _T_FROM_ONE = True

    def __init__(
        self,
        loss,
        *,
        penalty="l2",
        alpha=0.0001,
        l1_ratio=0.15,
        max_iter=1000,
        tol=1e-3,
        shuffle=True,
        verbose=0,
        epsilon=0.1,
        random_state=None,
        learning_rate="constant",
        eta0=0.01,
        power_t=0.5,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        warm_start=False,
        optimizer="sgd",
        momentum=None,
        betas=None,
        batch_size=32,
        schedule="constant",
        scale="standardize",
        n_jobs=None,
        average=False,
    ):
        self.loss = loss
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.max_iter = max_iter
        self.tol = tol
        self.shuffle = shuffle
        self.verbose = verbose
        self.epsilon = epsilon
        self.random_state = random_state
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.optimizer = optimizer
        self.momentum = momentum
        self.betas = betas
        self.batch_size = batch_size
        self.schedule = schedule
        self.scale = scale
        self.n_jobs = n_jobs
        self.average = average

    def _options(self, n_samples):
        loss = self._LOSSES[self.loss]
        schedule, adaptive = _sgd_schedule(self)
        training = _training_options(self, n_samples)
        training["schedule"] = schedule
        if adaptive:
            # The adaptive criterion replaces the tolerance test (and early stopping's patience:
            # the validation loss drives the reductions instead).
            training["tol"] = training["patience"] = None
        return {
            # scikit-learn's linear models start from zero weights.
            "init": "zeros",
            "loss": loss,
            "delta": self.epsilon if loss == "huber" else None,
            "reg": penalty_option(self.penalty, self.alpha, self.l1_ratio),
            "lr": self.eta0,
            **_optimizer_options(self.optimizer, self.momentum, self.betas),
            "average": _average_option(self.average, training["batch_size"]),
            **training,
        }

    def fit(self, X, y):
        """Trains from scratch (or, with `warm_start`, from the current weights)."""
        return self._fit(X, y)

    def _publish(self):
        ((w, b),) = self._layers()
        coef, intercept = w.T, b
        if getattr(self, "classes_", None) is not None and len(self.classes_) == 2 and coef.shape[0] == 2:
            coef, intercept = coef[1:] - coef[:1], intercept[1:] - intercept[:1]
        if not self._is_classifier:
            coef, intercept = coef[0], intercept
        self.coef_, self.intercept_ = coef, intercept


class SGDClassifier(ClassifierMixin, _SGDBase):
    """A linear classifier trained by gradus (scikit-learn's `SGDClassifier` API).

    `loss`: `hinge` (gradus' multiclass hinge, Weston–Watkins: one model for all classes, not
    one-vs-rest), `squared_hinge`, `log_loss` (softmax cross-entropy; binary: two scores),
    `softmax` (the same). `class_weight`: None, `'balanced'` or a dict {label: weight} (1 for a
    label it leaves out), each row's loss and gradient multiplied by its class's weight, as
    scikit-learn's. `average`: False, True or a number of rows n, as scikit-learn's (`coef_`
    the mean of the weights after each step from the first after which n rows were seen,
    ⌈n / batch_size⌉). gradus additions: `optimizer` (any update rule), `momentum`, `betas`,
    `batch_size` (32), `schedule` (a gradus schedule), `scale` (`none`).
    """

    _is_classifier = True
    _LOSSES = {"hinge": "svm", "squared_hinge": "squared-svm", "log_loss": "softmax", "softmax": "softmax"}
    _parameter_constraints = {
        **_SGD,
        "loss": [StrOptions(set(_LOSSES))],
        "epsilon": [Real],
        "class_weight": [StrOptions({"balanced"}), dict, None],
    }

    def _options(self, n_samples):
        return {**super()._options(n_samples), "class_weight": self._class_weight_option()}

    def _class_weight_option(self):
        """`class_weight` as the core's option: `balanced` (resolved by the core on the training
        rows as `compute_class_weight('balanced')`), or one weight per class of `classes_`, 1 for
        a class the dict leaves out (the core multiplies each row's loss and gradient by it)."""
        weights = self.class_weight
        if weights is None or isinstance(weights, str):
            return weights
        classes = self.classes_.tolist()
        known = set(classes)
        unknown = [c for c in weights if c not in known]
        if unknown:
            missing = [c for c in classes if c not in weights]
            if missing:
                # scikit-learn's words (compute_class_weight).
                raise ValueError(f"The classes, {missing}, are not in class_weight")
            raise ValueError(f"class_weight has labels that are not classes: {unknown}")
        return ",".join(repr(float(weights.get(c, 1.0))) for c in classes)

    def partial_fit(self, X, y, classes=None):
        """One more epoch over (X, y); `classes` on the first call."""
        if self.class_weight == "balanced":
            # scikit-learn's words: a first batch need not have the classes' frequencies.
            raise ValueError(
                "class_weight 'balanced' is not supported for partial_fit. In order to use 'balanced' "
                "weights, use compute_class_weight('balanced', classes=classes, y=y). In place of y you "
                "can use a large enough sample of the full training set target to properly estimate the "
                "class frequency distributions. Pass the resulting weights as the class_weight parameter."
            )
        return self._partial_fit(X, y, classes)

    def decision_function(self, X):
        s = self._scores(X)
        return (s[:, 1] - s[:, 0]).astype(np.float64) if s.shape[1] == 2 else s.astype(np.float64)

    def predict(self, X):
        s = self._scores(X)
        return self.classes_[np.argmax(s, axis=1)]

    def _has_proba(self):
        if self._LOSSES.get(self.loss) != "softmax":
            raise AttributeError(f"probability estimates are not available for loss={self.loss!r}")
        return True

    @available_if(_has_proba)
    def predict_proba(self, X):
        X = self._check_predict(X)
        return self.model_.predict_proba(X)

    @available_if(_has_proba)
    def predict_log_proba(self, X):
        return np.log(self.predict_proba(X))


class SGDRegressor(RegressorMixin, _SGDBase):
    """A linear regressor trained by gradus (scikit-learn's `SGDRegressor` API).

    `loss`: `squared_error`, `huber` (δ = `epsilon`). `average` and the additions as
    `SGDClassifier`'s.
    """

    _LOSSES = {"squared_error": "squared", "huber": "huber"}
    _parameter_constraints = {**_SGD, "loss": [StrOptions(set(_LOSSES))], "epsilon": [Interval(Real, 0, None, closed="neither")]}


    def _options(self, n_samples):
        return {**super()._options(n_samples), "target_scale": "standardize"}

    def partial_fit(self, X, y):
        """One more epoch over (X, y)."""
        return self._partial_fit(X, y)

    def predict(self, X):
        return self._scores(X)[:, 0].astype(np.float64)


_MLP = {
    **_TRAINING,
    "hidden_layer_sizes": [tuple, list, Interval(Integral, 1, None, closed="left")],
    "activation": [StrOptions({"relu", "tanh", "logistic"})],
    "solver": [StrOptions(OPTIMIZERS)],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "momentum": [Interval(Real, 0, None, closed="left"), None],
    "beta_1": [Interval(Real, 0, 1, closed="left")],
    "beta_2": [Interval(Real, 0, 1, closed="left")],
    "epsilon": [Interval(Real, 0, None, closed="neither")],
}


class _MLPBase(GradusEstimator):
    _parameter_constraints = _MLP
    _ACTIVATIONS = {"relu": "relu", "tanh": "tanh", "logistic": "sigmoid"}

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size=200,
        learning_rate_init=0.001,
        schedule="constant",
        max_iter=200,
        shuffle=True,
        tol=1e-4,
        random_state=None,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        warm_start=False,
        momentum=None,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        scale="standardize",
        n_jobs=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.schedule = schedule
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.tol = tol
        self.random_state = random_state
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.momentum = momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.scale = scale
        self.n_jobs = n_jobs

    def _options(self, n_samples):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        if any(int(s) < 1 for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        adam = self.solver in {"adam", "adamw", "amsgrad"}
        return {
            "model": "mlp:" + ",".join(str(int(s)) for s in sizes) if sizes else "linear",
            "activation": self._ACTIVATIONS[self.activation],
            "loss": self._LOSS,
            "reg": penalty_option("l2", self.alpha, 0.0, n_samples),
            "lr": self.learning_rate_init,
            **_optimizer_options(self.solver, self.momentum, (self.beta_1, self.beta_2) if adam else None),
            "eps": self.epsilon if adam else None,
            **_training_options(self, n_samples),
        }

    def fit(self, X, y):
        """Trains from scratch (or, with `warm_start`, from the current weights)."""
        return self._fit(X, y)

    def _publish(self):
        layers = self._layers()
        self.coefs_ = [w for w, _ in layers]
        self.intercepts_ = [b for _, b in layers]
        self.n_layers_ = len(layers) + 1
        self.n_outputs_ = self.model_.outputs
        self.loss_ = self.loss_curve_[-1] if self.loss_curve_ else None


class MLPClassifier(ClassifierMixin, _MLPBase):
    """A multilayer perceptron classifier trained by gradus (scikit-learn's `MLPClassifier` API):
    softmax output, cross-entropy; `solver` is any gradus update rule."""

    _is_classifier = True
    _LOSS = "softmax"

    def partial_fit(self, X, y, classes=None):
        """One more epoch over (X, y); `classes` on the first call."""
        return self._partial_fit(X, y, classes)

    def predict(self, X):
        s = self._scores(X)
        return self.classes_[np.argmax(s, axis=1)]

    def predict_proba(self, X):
        X = self._check_predict(X)
        return self.model_.predict_proba(X)

    def predict_log_proba(self, X):
        return np.log(self.predict_proba(X))


class MLPRegressor(RegressorMixin, _MLPBase):
    """A multilayer perceptron regressor trained by gradus (scikit-learn's `MLPRegressor` API):
    squared error on the standardized targets."""

    _LOSS = "squared"
    _XFAIL = {
        "check_methods_subset_invariance": (
            "scores are float32 sums of a blocked matrix product whose order depends on the "
            "number of rows: a subset's outputs can differ in the last bit (~1e-7 relative)"
        ),
    }

    def _options(self, n_samples):
        return {**super()._options(n_samples), "target_scale": "standardize"}

    def partial_fit(self, X, y):
        """One more epoch over (X, y)."""
        return self._partial_fit(X, y)

    def predict(self, X):
        return self._scores(X)[:, 0].astype(np.float64)


def _init_with_loss(default, power_t, **own):
    """`_SGDBase.__init__` with `loss` defaulting to `default` and `power_t` to `power_t`, and
    with the keyword parameters `own` (name=default) of this estimator alone (the classifier's
    `class_weight`) added to its signature. scikit-learn reads parameters and defaults from
    `__init__`'s signature, so the signature names every one of them."""
    base = _SGDBase.__init__
    init = types.FunctionType(base.__code__, base.__globals__, "__init__", (default,), base.__closure__)
    init.__kwdefaults__ = {**base.__kwdefaults__, "power_t": power_t}
    init.__doc__ = base.__doc__
    if not own:
        return init

    def with_own(self, *args, **params):
        for name, value in own.items():
            setattr(self, name, params.pop(name, value))
        init(self, *args, **params)

    signature = inspect.signature(init)
    extra = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=v) for name, v in own.items()]
    with_own.__signature__ = signature.replace(parameters=[*signature.parameters.values(), *extra])
    with_own.__name__ = with_own.__qualname__ = "__init__"
    with_own.__doc__ = base.__doc__
    return with_own


# scikit-learn's defaults: power_t 0.5 for the classifier, 0.25 for the regressor. The default
# `learning_rate` stays `constant`: scikit-learn's `optimal` and `invscaling` give each row its
# own rate, and a batch of `batch_size` rows takes one step at its first row's rate, so at the
# default batch of 32 they would advance about 32 times slower than scikit-learn's.
SGDClassifier.__init__ = _init_with_loss("hinge", 0.5, class_weight=None)
SGDRegressor.__init__ = _init_with_loss("squared_error", 0.25)
