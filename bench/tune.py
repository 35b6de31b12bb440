"""Hyperparameter search, side by side in one run (issue 8): scikit-learn's GridSearchCV around
SGDClassifier against `gradus tune`, with and without the shared pass, on Fashion-MNIST.

The grid: 4 learning rates × 4 L2 strengths, 5-fold cross-validation, 5 epochs of plain SGD on
the log/softmax loss, then the best configuration refitted on all 60,000 training images and
scored once on the official 10,000 test images. scikit-learn's penalty is alpha·½‖w‖² and
gradus' λ‖W‖², so alpha maps to λ = alpha/2. scikit-learn's SGDClassifier steps one example at a
time and trains one-vs-rest logistic classifiers; gradus trains the softmax classifier in batches
of 64 (its default): the same search, each tool as its users run it.

    /work/benchvenv/bin/python bench/tune.py [--runs 3] [--sklearn-runs 1]

Prints min / median / max wall seconds (whole process for gradus, data loading included), the
best cross-validated accuracy and test accuracy of each, gradus' peak memory, and the ratios.
"""
import argparse, os, statistics, subprocess, sys, time, json

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import ROOT, load, need

LRS = [0.003, 0.01, 0.03, 0.1]
ALPHAS = [1e-6, 1e-5, 1e-4, 1e-3]


def gradus_tune(separately):
    grid = "lr=" + ",".join(map(str, LRS)) + " reg=" + ",".join(f"l2:{a / 2:g}" for a in ALPHAS)
    cmd = [os.path.join(ROOT, "target", "release", "gradus"), "tune", "--data", "fashion-mnist",
           "--grid", grid, "--folds", "5", "--epochs", "5", "--loss", "softmax", "--optimizer", "sgd",
           "--batch-size", "64", "--json"] + (["--separately"] if separately else [])
    started = time.perf_counter()
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as p:
        out = p.stdout.read()
        _, status, usage = os.wait4(p.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"gradus failed: {' '.join(cmd)}")
    summary = json.loads(out.strip().splitlines()[-1])
    return seconds, summary["best"]["mean"], summary["test_accuracy"], usage.ru_maxrss / 1024, summary["best"]["params"]


def sklearn_search():
    from sklearn.linear_model import SGDClassifier
    from sklearn.model_selection import GridSearchCV
    from sklearn.preprocessing import StandardScaler
    started = time.perf_counter()
    (x, y), (xt, yt) = load("train"), load("t10k")
    scaler = StandardScaler().fit(x.astype("float32"))
    x, xt = scaler.transform(x.astype("float32")), scaler.transform(xt.astype("float32"))
    search = GridSearchCV(
        SGDClassifier(loss="log_loss", learning_rate="constant", max_iter=5, tol=None, random_state=0),
        {"eta0": LRS, "alpha": ALPHAS}, cv=5, n_jobs=2)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(x, y)
    test = search.score(xt, yt)
    return time.perf_counter() - started, search.best_score_, test, search.best_params_


def spread(v):
    return f"{min(v):.2f} / {statistics.median(v):.2f} / {max(v):.2f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sklearn-runs", type=int, default=1)
    a = ap.parse_args()
    need(["numpy", "sklearn"])
    together, alone = [], []
    for _ in range(a.runs):
        together.append(gradus_tune(False))
        alone.append(gradus_tune(True))
    sk = [sklearn_search() for _ in range(a.sklearn_runs)]
    t_s, a_s, k_s = [r[0] for r in together], [r[0] for r in alone], [r[0] for r in sk]
    print(f"{'':34} {'seconds min/median/max':>24} {'best CV acc':>12} {'test acc':>9} {'peak MB':>8}")
    print(f"{'gradus tune (shared pass)':34} {spread(t_s):>24} {together[0][1]:>12.4f} {together[0][2]:>9.4f} {max(r[3] for r in together):>8.0f}   best {together[0][4]}")
    print(f"{'gradus tune --separately':34} {spread(a_s):>24} {alone[0][1]:>12.4f} {alone[0][2]:>9.4f} {max(r[3] for r in alone):>8.0f}")
    print(f"{'scikit-learn GridSearchCV n_jobs=2':34} {spread(k_s):>24} {sk[0][1]:>12.4f} {sk[0][2]:>9.4f} {'':>8}   best {sk[0][3]}")
    med = statistics.median
    print(f"shared pass vs scikit-learn: {med(k_s) / med(t_s):.1f}x (median), {min(k_s) / max(t_s):.1f}x (worst case)")
    print(f"shared pass vs separately:   {med(a_s) / med(t_s):.1f}x (median), {min(a_s) / max(t_s):.1f}x (worst case)")


if __name__ == "__main__":
    main()
