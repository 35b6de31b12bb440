"""The Python package: scikit-learn's estimator checks, results against scikit-learn's own
estimators, pickling, and model files shared with the CLI."""

import os
import pickle
import subprocess

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import SGDClassifier as SkSGDClassifier
from sklearn.linear_model import SGDRegressor as SkSGDRegressor
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import gradus

ESTIMATORS = [
    gradus.SGDClassifier(random_state=0),
    gradus.SGDRegressor(random_state=0),
    gradus.MLPClassifier((16,), learning_rate_init=0.01, random_state=0),
    gradus.MLPRegressor((16,), learning_rate_init=0.01, random_state=0),
]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=lambda est: est._xfail_checks())
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return X[:1400], y[:1400], X[1400:], y[1400:]


def test_log_loss_matches_sklearn_accuracy(digits):
    X, y, Xt, yt = digits
    ours = gradus.SGDClassifier(loss="log_loss", max_iter=15, tol=None, batch_size=1, eta0=0.01, random_state=0).fit(X, y)
    theirs = SkSGDClassifier(loss="log_loss", max_iter=15, tol=None, learning_rate="constant", eta0=0.01, random_state=0).fit(X, y)
    assert ours.coef_.shape == theirs.coef_.shape == (10, 64)
    assert ours.score(Xt, yt) > theirs.score(Xt, yt) - 0.03
    assert ours.n_iter_ == 15 and len(ours.loss_curve_) == 15
    assert ours.loss_curve_[-1] < ours.loss_curve_[0]


def test_coef_gives_decision_function(digits):
    X, y, Xt, _ = digits
    for scale in ["none", "standardize"]:
        est = gradus.SGDClassifier(loss="log_loss", max_iter=3, scale=scale, random_state=1).fit(X, y)
        np.testing.assert_allclose(est.decision_function(Xt), Xt @ est.coef_.T + est.intercept_, rtol=1e-4, atol=1e-4)
    yb = (y > 4).astype(int)
    est = gradus.SGDClassifier(loss="log_loss", max_iter=3, random_state=1).fit(X, yb)
    assert est.coef_.shape == (1, 64)
    np.testing.assert_allclose(est.decision_function(Xt), Xt @ est.coef_[0] + est.intercept_[0], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(est.predict_proba(Xt)[:, 1], 1 / (1 + np.exp(-est.decision_function(Xt))), rtol=1e-4, atol=1e-5)


def test_mlp_coefs_layout(digits):
    X, y, Xt, _ = digits
    est = gradus.MLPClassifier((16, 8), max_iter=3, random_state=0).fit(X, y)
    assert [c.shape for c in est.coefs_] == [(64, 16), (16, 8), (8, 10)]
    h = np.maximum(Xt @ est.coefs_[0] + est.intercepts_[0], 0)
    h = np.maximum(h @ est.coefs_[1] + est.intercepts_[1], 0)
    z = h @ est.coefs_[2] + est.intercepts_[2]
    p = np.exp(z - z.max(1, keepdims=True))
    np.testing.assert_allclose(est.predict_proba(Xt), p / p.sum(1, keepdims=True), rtol=1e-3, atol=1e-5)


def test_regressor_recovers_linear_model():
    X, y, w = make_regression(n_samples=400, n_features=5, noise=0.0, coef=True, random_state=0)
    est = gradus.SGDRegressor(max_iter=200, tol=None, eta0=0.01, penalty=None, random_state=0).fit(X, y)
    np.testing.assert_allclose(est.coef_, w, rtol=1e-3, atol=1e-2)
    np.testing.assert_allclose(est.predict(X), X @ est.coef_ + est.intercept_, rtol=1e-4, atol=1e-3)


def test_pickle_and_labels_of_any_type(digits):
    X, y, Xt, _ = digits
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])
    est = gradus.SGDClassifier(max_iter=3, random_state=0).fit(X, names[y])
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.predict(Xt), est.predict(Xt))
    assert set(est.predict(Xt)) <= set(names)


def test_same_seed_same_model(digits):
    X, y, _, _ = digits
    a = gradus.MLPClassifier((8,), max_iter=2, random_state=3).fit(X, y)
    b = gradus.MLPClassifier((8,), max_iter=2, random_state=3).fit(X, y)
    np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])


def test_bad_input_raises_value_error():
    with pytest.raises(ValueError, match="Input X contains NaN"):
        gradus.SGDClassifier().fit(np.array([[np.nan, 1.0], [1.0, 2.0]]), [0, 1])
    with pytest.raises(ValueError, match="schedule"):
        gradus.SGDClassifier(schedule="sometimes").fit(np.eye(2), [0, 1])
    with pytest.raises(ValueError, match="classes must be passed"):
        gradus.SGDClassifier().partial_fit(np.eye(2), [0, 1])


def _small_regression(n=200):
    """Features of norm about 0.6 (so that `optimal`'s first rates, ~1/√alpha, stay stable) and
    targets of mean 0 and standard deviation 1 (so that the regressor's target scaling is the
    identity, up to float32 rounding)."""
    rng = np.random.RandomState(0)
    X = rng.randn(n, 4) * 0.3
    y = X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.3 + 0.1 * rng.randn(n)
    return X, (y - y.mean()) / y.std()


@pytest.mark.parametrize(
    "schedule",
    [
        dict(learning_rate="invscaling", eta0=0.05, power_t=0.25, penalty=None),
        dict(learning_rate="invscaling", eta0=0.02, power_t=0.5, penalty="l2", alpha=0.01),
        dict(learning_rate="optimal", penalty="l2", alpha=0.01),
        dict(learning_rate="constant", eta0=0.01, penalty=None),
    ],
)
def test_schedules_give_sklearns_weights(schedule):
    """Plain SGD one row at a time in the data's order from zero weights, as scikit-learn's
    `SGDRegressor`: every step's rate (t counting rows over the epochs) must be scikit-learn's
    for the weights after three epochs to agree to 10⁻⁵ (float32 against float64; a power_t
    of 0.26 for 0.25, or an alpha 10 % off, moves them by 3·10⁻² or more)."""
    X, y = _small_regression()
    common = dict(max_iter=3, tol=None, shuffle=False, **schedule)
    ours = gradus.SGDRegressor(batch_size=1, scale="none", **common).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = SkSGDRegressor(**common).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-5, atol=1e-6)


def test_adaptive_reduces_and_stops_as_sklearn():
    """`adaptive`: the same epochs without improvement, the same reductions, the same stop."""
    X, y = _small_regression()
    common = dict(learning_rate="adaptive", eta0=0.05, max_iter=500, tol=1e-4, n_iter_no_change=3, shuffle=False, penalty=None)
    ours = gradus.SGDRegressor(batch_size=1, scale="none", **common).fit(X, y)
    theirs = SkSGDRegressor(**common).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ < 500
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-4, atol=1e-5)
    # With tol=None the criterion never fires: the rate stays eta0 for every epoch.
    fixed = gradus.SGDRegressor(batch_size=1, scale="none", **{**common, "tol": None, "max_iter": 4}).fit(X, y)
    const = gradus.SGDRegressor(batch_size=1, scale="none", **{**common, "tol": None, "max_iter": 4, "learning_rate": "constant"}).fit(X, y)
    np.testing.assert_array_equal(fixed.coef_, const.coef_)


@pytest.mark.parametrize("average", [True, 10, 450])
def test_average_gives_sklearns_averaged_weights(average):
    """`average` as scikit-learn's: one row at a time (where a step is a row), the averaged
    weights after three epochs are scikit-learn's to 10⁻⁵, from the first row (True), the 10th,
    or the 450th (in the third epoch); and they are not the last iterate's."""
    X, y = _small_regression()
    common = dict(max_iter=3, tol=None, shuffle=False, learning_rate="constant", eta0=0.05, penalty=None)
    ours = gradus.SGDRegressor(batch_size=1, scale="none", average=average, **common).fit(X, y)
    theirs = SkSGDRegressor(average=average, **common).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-5, atol=1e-6)
    last = gradus.SGDRegressor(batch_size=1, scale="none", **common).fit(X, y)
    assert not np.allclose(ours.coef_, last.coef_, rtol=1e-3, atol=0)


def test_average_is_the_mean_of_the_batch_iterates(tmp_path):
    """With batches of 4 rows, `average=10` averages the iterates from step ⌈10/4⌉ = 3 on: the
    fitted `coef_`/`intercept_` are the mean of the weights after steps 3 to 10, each taken from
    a model without averaging trained one batch at a time (`partial_fit` on 4 rows is one step);
    `average=True` the mean of all 10. The averaged model predicts, pickles and saves as the
    mean."""
    rng = np.random.RandomState(1)
    X = rng.randn(40, 3)
    y = (X[:, 0] - X[:, 1] > 0).astype(int)
    common = dict(loss="log_loss", batch_size=4, shuffle=False, scale="none", eta0=0.5, tol=None)
    step = gradus.SGDClassifier(**common)
    iterates = []
    for k in range(10):
        step.partial_fit(X[4 * k : 4 * k + 4], y[4 * k : 4 * k + 4], classes=[0, 1])
        iterates.append(np.concatenate([step.coef_.ravel(), step.intercept_]))
    iterates = np.array(iterates)
    for average, first in [(10, 3), (True, 1)]:
        est = gradus.SGDClassifier(max_iter=1, average=average, **common).fit(X, y)
        got = np.concatenate([est.coef_.ravel(), est.intercept_])
        np.testing.assert_allclose(got, iterates[first - 1 :].mean(axis=0), rtol=1e-6, atol=1e-7)
        assert not np.allclose(got, iterates[first:].mean(axis=0), rtol=1e-4, atol=0)
        np.testing.assert_allclose(est.decision_function(X), X @ est.coef_[0] + est.intercept_[0], rtol=1e-5, atol=1e-6)
        again = pickle.loads(pickle.dumps(est))
        np.testing.assert_array_equal(again.decision_function(X), est.decision_function(X))
        est.save(tmp_path / "averaged.safetensors")
        np.testing.assert_array_equal(gradus.load(tmp_path / "averaged.safetensors").coef_, est.coef_)


def test_average_fits_and_is_validated(digits):
    X, y, Xt, yt = digits
    for average in [True, 10]:
        est = gradus.SGDClassifier(max_iter=5, average=average, random_state=0).fit(X, y)
        assert est.score(Xt, yt) > 0.85
    with pytest.raises(ValueError, match="average"):
        gradus.SGDClassifier(average=-1).fit(X, y)
    with pytest.raises(ValueError, match="average"):
        gradus.SGDRegressor(average=0.5).fit(X, y)


def test_learning_rate_errors():
    with pytest.raises(ValueError, match="alpha must be > 0 since learning_rate is 'optimal'"):
        gradus.SGDClassifier(learning_rate="optimal", alpha=0).fit(np.eye(2), [0, 1])
    with pytest.raises(ValueError, match="schedule='cosine' applies only with learning_rate='constant'"):
        gradus.SGDClassifier(learning_rate="invscaling", schedule="cosine").fit(np.eye(2), [0, 1])
    with pytest.raises(ValueError, match="learning_rate"):
        gradus.SGDRegressor(learning_rate="sometimes").fit(np.eye(2), [0, 1])
    assert gradus.SGDClassifier().power_t == 0.5 and gradus.SGDRegressor().power_t == 0.25


def test_t_counts_rows_as_sklearn_does(digits):
    """`t_` is scikit-learn's: rows trained on, from 1 for SGD (each `fit` starts again; each
    `partial_fit` adds its rows) and from 0 for the MLPs (which go on under `warm_start`)."""
    from sklearn.neural_network import MLPClassifier as SkMLPClassifier

    X, y, _, _ = digits
    n = len(X)
    warnings.simplefilter("ignore", ConvergenceWarning)
    kw = dict(max_iter=3, tol=None, random_state=0)
    ours, theirs = gradus.SGDClassifier(**kw).fit(X, y), SkSGDClassifier(**kw).fit(X, y)
    assert ours.t_ == theirs.t_ == 3 * n + 1
    ours.partial_fit(X[:100], y[:100])
    theirs.partial_fit(X[:100], y[:100])
    assert ours.t_ == theirs.t_ == 3 * n + 101
    warm = gradus.SGDClassifier(**kw, warm_start=True).fit(X, y)
    coef = warm.coef_.copy()
    assert warm.fit(X, y).t_ == 3 * n + 1 and warm.n_iter_ == 3
    assert not np.allclose(warm.coef_, coef), "a warm-started fit trains again from the weights it has"
    first = gradus.SGDRegressor().partial_fit(X, y.astype(float))
    assert first.t_ == SkSGDRegressor().partial_fit(X, y.astype(float)).t_ == n + 1
    kw = dict(hidden_layer_sizes=(8,), max_iter=2, tol=0, random_state=0)
    ours, theirs = gradus.MLPClassifier(**kw).fit(X, y), SkMLPClassifier(**kw).fit(X, y)
    assert ours.t_ == theirs.t_ == 2 * n
    ours.set_params(warm_start=True).fit(X, y)
    theirs.set_params(warm_start=True).fit(X, y)
    assert ours.t_ == theirs.t_ == 4 * n


def test_shuffle_false_trains_in_data_order():
    """Without shuffling, the seed does not change the model and the row order does."""
    X, y = _small_regression()
    fit = lambda X, y, seed: gradus.SGDRegressor(max_iter=2, tol=None, shuffle=False, random_state=seed).fit(X, y).coef_
    np.testing.assert_array_equal(fit(X, y, 0), fit(X, y, 1))
    assert not np.allclose(fit(X, y, 0), fit(X[::-1], y[::-1], 0), rtol=1e-5, atol=0)
    shuffled = lambda seed: gradus.SGDRegressor(max_iter=2, tol=None, random_state=seed).fit(X, y).coef_
    assert not np.allclose(shuffled(0), shuffled(1), rtol=1e-5, atol=0)


@pytest.mark.parametrize("Est", [gradus.SGDClassifier, gradus.SGDRegressor])
def test_sparse_rows_train_as_dense(Est, digits):
    """CSR and CSC input train (on the library's sparse path) the model dense input trains."""
    X, y, Xt, _ = digits
    X = np.where(np.abs(X) > 1.0, X, 0.0)  # about two thirds zeros
    params = dict(max_iter=3, tol=None, scale="none", penalty="l2", alpha=0.001, random_state=0)
    dense = Est(**params).fit(X, y)
    for convert in [sp.csr_matrix, sp.csc_array]:
        sparse = Est(**params).fit(convert(X), y)
        np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(sparse.predict(convert(Xt)), dense.predict(Xt), rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="scale='center' would make sparse rows dense"):
        Est(scale="center").fit(sp.csr_matrix(X), y)


def test_mlp_on_sparse_rows(digits):
    """An MLP reads sparse rows as the dense ones (the library makes them dense a chunk at a time)."""
    X, y, Xt, _ = digits
    params = dict(hidden_layer_sizes=(8,), max_iter=2, scale="none", random_state=0)
    dense = gradus.MLPClassifier(**params).fit(X, y)
    sparse = gradus.MLPClassifier(**params).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.coefs_[0], dense.coefs_[0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(sparse.predict_proba(sp.csr_matrix(Xt)), dense.predict_proba(Xt), rtol=1e-4, atol=1e-6)


CLI = os.environ.get("GRADUS_CLI")


def _classes(predict_output):
    """The classes of `gradus predict`'s CSV (`row,class`)."""
    return [line.split(",")[1] for line in predict_output.strip().splitlines()[1:]]


def _write_csv(path, X, y):
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", fmt="%.6g")


@pytest.mark.skipif(CLI is None, reason="GRADUS_CLI (the gradus binary) is not set")
def test_cli_model_predicts_the_same_in_python(tmp_path, digits):
    X, y, Xt, _ = digits
    X = X.astype(np.float32)
    _write_csv(tmp_path / "train.csv", X, y)
    model = tmp_path / "cli.safetensors"
    subprocess.run(
        [CLI, "train", "--data", f"csv:{tmp_path / 'train.csv'}", "--epochs", "2", "--test-fraction", "0", "--out", str(model)],
        check=True,
        capture_output=True,
    )
    est = gradus.load(model)
    _write_csv(tmp_path / "test.csv", Xt.astype(np.float32), np.zeros(len(Xt)))
    out = subprocess.run(
        [CLI, "predict", "--model", str(model), "--data", f"csv:{tmp_path / 'test.csv'}", "--split", "all"], check=True, capture_output=True, text=True
    ).stdout
    assert [str(p) for p in est.predict(Xt.astype(np.float32))] == _classes(out)


@pytest.mark.skipif(CLI is None, reason="GRADUS_CLI (the gradus binary) is not set")
def test_python_model_predicts_the_same_in_the_cli(tmp_path, digits):
    X, y, Xt, _ = digits
    est = gradus.SGDClassifier(loss="log_loss", max_iter=2, random_state=0).fit(X, y)
    est.save(tmp_path / "py.safetensors")
    _write_csv(tmp_path / "test.csv", Xt.astype(np.float32), np.zeros(len(Xt)))
    out = subprocess.run(
        [CLI, "predict", "--model", str(tmp_path / "py.safetensors"), "--data", f"csv:{tmp_path / 'test.csv'}", "--split", "all"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert [str(p) for p in est.predict(Xt.astype(np.float32))] == _classes(out)


def test_ctrl_c_interrupts_training(digits):
    """SIGINT during `fit` (the GIL released) stops it between two steps with KeyboardInterrupt."""
    import signal
    import threading
    import time

    X, y, _, _ = digits
    est = gradus.MLPClassifier((64,), max_iter=100000, tol=None, batch_size=1, random_state=0)
    # Python's own Ctrl-C handler, as in an interactive session: a process started in the
    # background by a non-interactive shell inherits SIGINT ignored, and Python then keeps it
    # ignored (a CI run hung here for minutes that way).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    start = time.perf_counter()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            est.fit(X, y)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert time.perf_counter() - start < 10


def test_class_weight_balanced_equals_the_explicit_dict(digits):
    from sklearn.utils.class_weight import compute_class_weight

    X, y, _, _ = digits
    keep = (y != 3) | (np.arange(len(y)) % 4 == 0)  # class 3 rarer than the others
    X, y = X[keep], y[keep]
    weights = compute_class_weight("balanced", classes=np.unique(y), y=y)
    given = dict(zip(np.unique(y).tolist(), weights))
    kw = dict(loss="log_loss", max_iter=3, tol=None, random_state=0)
    balanced = gradus.SGDClassifier(class_weight="balanced", **kw).fit(X, y)
    explicit = gradus.SGDClassifier(class_weight=given, **kw).fit(X, y)
    plain = gradus.SGDClassifier(**kw).fit(X, y)
    np.testing.assert_array_equal(balanced.coef_, explicit.coef_)
    assert not np.array_equal(balanced.coef_, plain.coef_)
    np.testing.assert_allclose(balanced.model_.class_weight, weights, rtol=1e-15)
    # A dict leaving classes out weighs them 1; the model file keeps the weights.
    some = gradus.SGDClassifier(class_weight={3: 4.0}, **kw).fit(X, y)
    assert some.model_.class_weight == [4.0 if c == 3 else 1.0 for c in range(10)]


def test_class_weight_with_an_unknown_label_raises(digits):
    X, y, _, _ = digits
    with pytest.raises(ValueError, match=r"The classes, \[.*\], are not in class_weight"):
        gradus.SGDClassifier(class_weight={0: 2.0, 11: 1.0}, max_iter=1).fit(X, y)
    every = {c: 1.0 for c in range(10)}
    with pytest.raises(ValueError, match=r"class_weight has labels that are not classes: \['ten'\]"):
        gradus.SGDClassifier(class_weight={**every, "ten": 1.0}, max_iter=1).fit(X, y)
    with pytest.raises(ValueError, match="class_weight weights must be finite numbers ≥ 0, got -1"):
        gradus.SGDClassifier(class_weight={0: -1.0}, max_iter=1).fit(X, y)
    with pytest.raises(ValueError, match="not supported for partial_fit"):
        gradus.SGDClassifier(class_weight="balanced").partial_fit(X, y, classes=np.arange(10))
    assert "class_weight" not in gradus.SGDRegressor().get_params()
    assert "class_weight" not in gradus.MLPClassifier().get_params()


def test_class_weight_shifts_predictions_to_the_heavy_class(tmp_path):
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0.0, 1.0, (450, 2)), rng.normal(1.0, 1.0, (50, 2))])
    y = np.array(["common"] * 450 + ["rare"] * 50)
    kw = dict(loss="log_loss", max_iter=20, tol=None, random_state=0)
    plain = gradus.SGDClassifier(**kw).fit(X, y)
    heavy = gradus.SGDClassifier(class_weight={"rare": 20.0}, **kw).fit(X, y)
    rare_plain, rare_heavy = np.mean(plain.predict(X) == "rare"), np.mean(heavy.predict(X) == "rare")
    assert rare_plain < 0.1 and rare_heavy > 0.3, (rare_plain, rare_heavy)
    heavy.save(tmp_path / "heavy.st")
    back = gradus.load(tmp_path / "heavy.st")  # classes by index: the file has no label names
    assert back.class_weight == {0: 1.0, 1: 20.0}
    np.testing.assert_array_equal(back.decision_function(X), heavy.decision_function(X))


def test_sklearns_balanced_linear_classifier_check():
    # check_estimator yields it only for LinearClassifierMixin subclasses; it applies here too.
    from sklearn.utils.estimator_checks import check_class_weight_balanced_linear_classifier

    check_class_weight_balanced_linear_classifier("SGDClassifier", gradus.SGDClassifier(random_state=0))
