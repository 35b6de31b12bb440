"""The Python package against scikit-learn, side by side in one run (issue #11's targets):

1. `gradus.SGDClassifier(loss='log_loss')` against scikit-learn's on standardized
   Fashion-MNIST, the same epochs (target: ≥ 20× faster fit, accuracy within 0.5 points);
2. `gradus.MLPClassifier((256, 128))` against scikit-learn's (adam, batch 256), the same
   epochs (target: ≥ 5× faster, accuracy within 0.5 points);
3. `predict` on 10 rows (target: ≤ 50 µs).

Each timing is min–median–max over `--runs` runs. Needs the package installed
(`pip install ./crates/gradus-py`).

    python bench/python.py [--rows N] [--epochs E] [--mlp-epochs E] [--runs R] [--threads T]
"""
import argparse
import statistics
import sys
import time

import numpy as np

from common import load, need


def timed(fn, runs):
    """(min, median, max) seconds of `runs` calls of `fn`, and its last result."""
    times, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return (min(times), statistics.median(times), max(times)), out


def fmt(t):
    return "{:.3f}–{:.3f}–{:.3f} s".format(*t)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=60000, help="training rows (60000: all)")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--mlp-epochs", type=int, default=5)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2, help="gradus' n_jobs")
    a = ap.parse_args()
    need(["sklearn"])
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import SGDClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    import gradus

    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    x, y = load("train")
    xt, yt = load("t10k")
    scaler = StandardScaler().fit(x[: a.rows].astype(np.float64))
    X, Xt = scaler.transform(x[: a.rows]).astype(np.float32), scaler.transform(xt).astype(np.float32)
    y = y[: a.rows]

    rows = []

    def compare(name, ours, theirs):
        (t_ours, m_ours), (t_theirs, m_theirs) = timed(lambda: ours().fit(X, y), a.runs), timed(lambda: theirs().fit(X, y), a.runs)
        acc_ours, acc_theirs = m_ours.score(Xt, yt), m_theirs.score(Xt, yt)
        rows.append((name, fmt(t_ours), fmt(t_theirs), f"{t_theirs[1] / t_ours[1]:.1f}×", f"{acc_ours:.4f}", f"{acc_theirs:.4f}"))
        return m_ours

    lin = compare(
        f"SGDClassifier log_loss, {a.epochs} epochs",
        lambda: gradus.SGDClassifier(loss="log_loss", max_iter=a.epochs, tol=None, learning_rate="constant", eta0=0.01, alpha=1e-4, n_jobs=a.threads, random_state=0),
        lambda: SGDClassifier(loss="log_loss", max_iter=a.epochs, tol=None, learning_rate="constant", eta0=0.01, alpha=1e-4, random_state=0),
    )
    compare(
        f"MLPClassifier (256, 128) adam batch 256, {a.mlp_epochs} epochs",
        lambda: gradus.MLPClassifier((256, 128), batch_size=256, max_iter=a.mlp_epochs, tol=0, n_jobs=a.threads, random_state=0),
        lambda: MLPClassifier((256, 128), batch_size=256, max_iter=a.mlp_epochs, tol=0, random_state=0),
    )
    ten = Xt[:10]
    lin.predict(ten)
    calls = 2000
    t, _ = timed(lambda: [lin.predict(ten) for _ in range(calls)], a.runs)
    rows.append(("predict on 10 rows (per call)", "{:.1f}–{:.1f}–{:.1f} µs".format(*(s / calls * 1e6 for s in t)), "", "", "", ""))

    head = ("", "gradus fit", "scikit-learn fit", "speed-up", "gradus acc", "sklearn acc")
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    for r in [head] + rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    print(f"({a.rows} training rows, {a.runs} runs, min–median–max; gradus n_jobs={a.threads})", file=sys.stderr)


if __name__ == "__main__":
    main()
