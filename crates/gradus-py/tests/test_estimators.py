"""The Python package: scikit-learn's estimator checks, results against scikit-learn's own
estimators, pickling, and model files shared with the CLI."""

import os
import pickle
import subprocess

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_regression
from sklearn.linear_model import SGDClassifier as SkSGDClassifier
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
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    start = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        est.fit(X, y)
    assert time.perf_counter() - start < 10
