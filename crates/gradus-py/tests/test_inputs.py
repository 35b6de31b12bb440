"""How the package reads its inputs: float32 rows in place, other layouts through one copy."""

import subprocess
import sys

import numpy as np
import pytest

import gradus
from gradus import _core


def _rows(n=300, d=12, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    return X, y


def _unaligned(X):
    """A copy of `X` whose values start one byte into their buffer (numpy's ALIGNED flag off)."""
    raw = np.empty(X.nbytes + 1, np.uint8)[1:]
    out = np.frombuffer(raw, X.dtype).reshape(X.shape)
    out[...] = X
    assert not out.flags.aligned
    return out


def test_float32_rows_are_read_in_place():
    """Fitting on a C-contiguous float32 array of 96 MB raises the process's peak memory by far
    less than the array: gradus reads it where it lies. The same rows in Fortran order, which
    must be copied, raise it by at least the array's size: the measure sees a copy. Measured in
    a fresh process, whose peak is its own, with the rows drawn as float32 (no larger
    temporary)."""
    script = """
import resource, numpy as np, gradus
X = np.random.default_rng(0).standard_normal((30000, 800), dtype=np.float32)
y = (X[:, 0] > 0).astype(int)
def grown(rows):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    gradus.SGDClassifier(max_iter=1, tol=None, random_state=0).fit(rows, y)
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024 / X.nbytes
print(grown(X), grown(np.asfortranarray(X)))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    in_place, copied = map(float, out.split())
    assert in_place < 0.3, f"the peak grew by {in_place:.2f} × the array"
    assert copied > 0.9, f"a copy grew the peak by {copied:.2f} × the array only"


def test_lent_rows_are_given_back():
    """The core holds a reference to the array while it reads it, and none after."""
    X, y = _rows()
    refs = sys.getrefcount(X)
    model = gradus.SGDClassifier(max_iter=2, tol=None, random_state=0).fit(X, y)
    model.predict(X)
    model.partial_fit(X, y)
    assert sys.getrefcount(X) == refs


@pytest.mark.parametrize(
    "layout",
    [
        lambda X: np.asfortranarray(X),
        lambda X: X.astype(np.float64),
        _unaligned,
        lambda X: np.lib.stride_tricks.as_strided(X, writeable=False),
        lambda X: np.repeat(X, 2, axis=1)[:, ::2],
    ],
    ids=["fortran", "float64", "unaligned", "read-only", "strided"],
)
def test_every_layout_trains_the_same_model(layout):
    """Rows in any layout numpy has give the same bits as C-contiguous float32 ones."""
    X, y = _rows()
    est = lambda: gradus.SGDClassifier(max_iter=3, tol=None, random_state=0)
    reference = est().fit(X, y)
    other = est().fit(layout(X), y)
    np.testing.assert_array_equal(other.coef_, reference.coef_)
    np.testing.assert_array_equal(other.decision_function(layout(X)), reference.decision_function(X))


def test_the_core_refuses_unaligned_values():
    """The core reads arrays in place, so it refuses values Rust could not read as they lie (the
    estimators never pass such arrays: they copy them first)."""
    X, y = _rows()
    options = {"epochs": "1", "seed": "0"}
    with pytest.raises(ValueError, match="not aligned"):
        _core.Model.fit(options, _unaligned(X), y.astype(np.uint32), 2)
    with pytest.raises(ValueError, match="not aligned"):
        _core.Model.fit(options, X, _unaligned(y.astype(np.uint32)), 2)
