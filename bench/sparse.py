#!/usr/bin/env python3
"""One pass of logistic-loss SGD on sparse LIBSVM data (parse included): gradus (in memory and
--stream) against Vowpal Wabbit and scikit-learn, side by side in one run.

Data sets:
  synthetic  generated here: --rows training rows (default 1,000,000) and --test-rows test rows,
             2^--bits features (default 2^20), --nnz distinct non-zeros per row (default 40) at
             uniform positions with values uniform on {0.001, …, 1.000}; the ground truth w has
             N(0, 1) weights and the label is sign(w·x + ε), ε ~ N(0, (--noise · sd(w·x))²).
             Deterministic from --seed; written with numpy in chunks of 50,000 rows.
  fashion    Fashion-MNIST (/usr/share/datasets/fashion-mnist) as LIBSVM, pixel/255, zeros
             left out; 10 classes, so gradus runs softmax, Vowpal Wabbit --oaa 10 with the
             logistic loss, scikit-learn its one-vs-rest log_loss SGD.
Vowpal Wabbit reads its own text format written from the same rows (`label | j:v …`, hashed
into 2^--bits weights); its CLI is `python -m vowpalwabbit` (the wheel has no `vw` binary), so its
times include the interpreter's start (about 0.1 s). scikit-learn's times are
load_svmlight_file + SGDClassifier(loss='log_loss', max_iter=1).fit, measured inside its child.
gradus' times are the whole `gradus train` process: parse, one epoch, and scoring the training
and test rows. Each tool runs in its own process: peak RSS is that child's ru_maxrss.

Usage: python3 bench/sparse.py [--rows 1000000] [--runs 3] [--data synthetic,fashion] [--big]
       [--dir /tmp/gradus-sparse] [--threads 2]
  --big  also generates a ~2 GB synthetic file (4,400,000 rows) and reports gradus --stream's
         peak RSS and throughput on it.
The gradus binary is target/release/gradus, or $GRADUS.
Needs: cargo build --release; numpy, scikit-learn, vowpalwabbit (pip-installed when missing).
Prints examples/s (min, median, max over --runs), test accuracy and peak RSS per tool, and
gradus' median throughput over each tool's (gradus/tool); then one JSON line. A tool that fails
(gradus --stream before that flag exists) is reported and left out of the table.
"""
import argparse, json, os, sys

from common import GRADUS, load, measured, need, spread

CHUNK = 50_000


def synthetic(path, rows, bits, nnz, noise, seed, w=None):
    """Writes `rows` rows to path.svm and path.vw; returns the ground truth w (drawn from `seed`
    when not given). Rows come from the generator seeded with `seed`."""
    import numpy as np
    rng = np.random.default_rng(seed)
    f = 1 << bits
    if w is None:
        w = rng.standard_normal(f)
    idx_text = np.array([f"{j + 1}:" for j in range(f)], dtype=object)
    val_text = np.array([f"{v / 1000:.3f}" for v in range(1001)], dtype=object)
    sd = None
    with open(path + ".svm", "w") as svm, open(path + ".vw", "w") as vw:
        for start in range(0, rows, CHUNK):
            n = min(CHUNK, rows - start)
            idx = np.sort(rng.integers(0, f, (n, nnz)), axis=1)
            # Redraw the rows with a repeated index, until none has one.
            while (dup := (idx[:, 1:] == idx[:, :-1]).any(axis=1)).any():
                idx[dup] = np.sort(rng.integers(0, f, (dup.sum(), nnz)), axis=1)
            q = rng.integers(1, 1001, (n, nnz))
            margin = (w[idx] * (q / 1000)).sum(axis=1)
            if sd is None:
                sd = margin.std()
            y = np.where(margin + noise * sd * rng.standard_normal(n) > 0, 1, -1)
            pairs = idx_text[idx] + val_text[q]
            lines = [" ".join(p) for p in pairs]
            svm.write("".join(f"{'+1' if t > 0 else '-1'} {l}\n" for t, l in zip(y, lines)))
            vw.write("".join(f"{t} | {l}\n" for t, l in zip(y, lines)))
    return w


def fashion(path, prefix):
    """Writes Fashion-MNIST's `prefix` split to path.svm and path.vw (labels 0-9; VW's 1-10)."""
    x, y = load(prefix)
    with open(path + ".svm", "w") as svm, open(path + ".vw", "w") as vw:
        for row, label in zip(x, y):
            nz = row.nonzero()[0]
            feats = " ".join(f"{j + 1}:{row[j] / 255:.4g}" for j in nz)
            svm.write(f"{label} {feats}\n")
            vw.write(f"{label + 1} | {feats}\n")


def count_rows(path):
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def gradus(train, test, classes, stream, a):
    """One epoch of gradus; (seconds, accuracy, peak MB) or None with the error shown."""
    cmd = [GRADUS, "train", "--data", f"libsvm:{train}.svm,{test}.svm", "--epochs", "1", "--optimizer", "sgd",
           "--lr", str(a.lr), "--scale", "none", "--batch-size", str(a.batch), "--threads", str(a.threads), "--json",
           "--loss", "logistic" if classes == 2 else "softmax"]
    if stream:
        cmd.append("--stream")
    status, out, err, seconds, peak = measured(cmd)
    if status != 0:
        print(f"  gradus{' --stream' if stream else ''} failed ({status}): {(err.strip().splitlines() or [''])[0]}")
        return None
    return seconds, json.loads(out.strip().splitlines()[-1])["test_accuracy"], peak


def vowpal(train, test, classes, bits, directory):
    """One pass of Vowpal Wabbit, then its test predictions; (seconds, accuracy, peak MB)."""
    model, preds = os.path.join(directory, "vw.model"), os.path.join(directory, "vw.preds")
    vw = [sys.executable, "-m", "vowpalwabbit", "--quiet", "-b", str(bits)]
    task = ["--loss_function", "logistic"] + ([] if classes == 2 else ["--oaa", str(classes)])
    status, _, err, seconds, peak = measured(vw + task + ["-d", train + ".vw", "-f", model])
    if status != 0:
        raise SystemExit(f"vowpalwabbit failed: {err}")
    status, _, err, _, _ = measured(vw + ["-t", "-i", model, "-d", test + ".vw", "-p", preds])
    if status != 0:
        raise SystemExit(f"vowpalwabbit failed: {err}")
    with open(test + ".vw") as f:
        truth = [line.split(" ", 1)[0] for line in f]
    with open(preds) as f:
        # Binary: a score whose sign is the class; --oaa: the class 1-10.
        guess = [(("1" if float(p.split()[0]) > 0 else "-1") if classes == 2 else str(int(float(p.split()[0]))))
                 for p in f]
    return seconds, sum(a == b for a, b in zip(truth, guess)) / len(truth), peak


def sklearn_child(train, test, n_features):
    """In a child process: load_svmlight_file + one epoch of SGDClassifier; prints JSON."""
    import time
    from sklearn.datasets import load_svmlight_file
    from sklearn.linear_model import SGDClassifier
    t = time.perf_counter()
    x, y = load_svmlight_file(train + ".svm", n_features=n_features)
    # SGDClassifier takes 32-bit indices only; the reader may give 64-bit ones.
    x.indices, x.indptr = x.indices.astype("int32"), x.indptr.astype("int32")
    clf = SGDClassifier(loss="log_loss", max_iter=1, tol=None, random_state=0).fit(x, y)
    seconds = time.perf_counter() - t
    xt, yt = load_svmlight_file(test + ".svm", n_features=n_features)
    xt.indices, xt.indptr = xt.indices.astype("int32"), xt.indptr.astype("int32")
    print(json.dumps({"seconds": seconds, "accuracy": clf.score(xt, yt)}))


def sklearn(train, test, n_features):
    cmd = [sys.executable, os.path.abspath(__file__), "--sklearn-child", train, test, str(n_features)]
    status, out, err, _, peak = measured(cmd)
    if status != 0:
        raise SystemExit(f"scikit-learn failed: {err}")
    r = json.loads(out)
    return r["seconds"], r["accuracy"], peak


def compare(name, train, test, rows, classes, bits, n_features, a):
    """Runs every tool --runs times on one data set and prints the table; returns its figures."""
    tools = {
        "gradus": lambda: gradus(train, test, classes, False, a),
        "gradus --stream": lambda: gradus(train, test, classes, True, a),
        "Vowpal Wabbit": lambda: vowpal(train, test, classes, bits, a.dir),
        "scikit-learn": lambda: sklearn(train, test, n_features),
    }
    results = {}
    for tool, run in tools.items():
        runs = [r for r in (run() for _ in range(a.runs)) if r is not None]
        if runs:
            results[tool] = {"examples_per_s": spread([rows / r[0] for r in runs]), "test_accuracy": runs[-1][1],
                             "peak_rss_mb": max(r[2] for r in runs)}
    print(f"{name}: {rows:,} training rows, one pass, min / median / max over {a.runs} runs")
    print(f"{'tool':<18}{'examples/s (min  median  max)':>36}{'test acc':>10}{'peak MB':>9}{'gradus/tool':>12}")
    base = results.get("gradus", {}).get("examples_per_s", (0, 0, 0))[1]
    for tool, r in results.items():
        lo, med, hi = r["examples_per_s"]
        ratio = base / med if med else float("nan")
        print(f"{tool:<18}{lo:>12,.0f}{med:>12,.0f}{hi:>12,.0f}{r['test_accuracy']:>10.4f}{r['peak_rss_mb']:>9.0f}"
              f"{ratio:>11.2f}x")
    return results


def main():
    if sys.argv[1:2] == ["--sklearn-child"]:
        return sklearn_child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--test-rows", type=int, default=None, help="default: rows / 10")
    ap.add_argument("--bits", type=int, default=20)
    ap.add_argument("--nnz", type=int, default=40)
    ap.add_argument("--noise", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=0.5)
    ap.add_argument("--batch", type=int, default=1, help="gradus' batch size (VW and scikit-learn: 1)")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--data", default="synthetic,fashion")
    ap.add_argument("--dir", default="/tmp/gradus-sparse")
    ap.add_argument("--big", action="store_true")
    a = ap.parse_args()
    need(["numpy", "sklearn", "vowpalwabbit"])
    os.makedirs(a.dir, exist_ok=True)
    figures = {}
    if "synthetic" in a.data:
        train, test = os.path.join(a.dir, f"syn{a.rows}"), os.path.join(a.dir, f"syn{a.rows}-test")
        w = synthetic(train, a.rows, a.bits, a.nnz, a.noise, a.seed)
        synthetic(test, a.test_rows or max(a.rows // 10, 1), a.bits, a.nnz, a.noise, a.seed + 1, w)
        figures["synthetic"] = compare("synthetic", train, test, a.rows, 2, a.bits, 1 << a.bits, a)
    if "fashion" in a.data:
        train, test = os.path.join(a.dir, "fashion"), os.path.join(a.dir, "fashion-test")
        fashion(train, "train")
        fashion(test, "t10k")
        figures["fashion"] = compare("fashion-mnist", train, test, count_rows(train + ".svm"), 10, 18, 784, a)
    if a.big:
        big, test = os.path.join(a.dir, "big"), os.path.join(a.dir, "big-test")
        w = synthetic(big, 4_400_000, a.bits, a.nnz, a.noise, a.seed)
        synthetic(test, 100_000, a.bits, a.nnz, a.noise, a.seed + 1, w)
        size = os.path.getsize(big + ".svm")
        r = gradus(big, test, 2, True, a)
        if r:
            print(f"big: {size / 1e9:.2f} GB; gradus --stream {4_400_000 / r[0]:,.0f} examples/s, "
                  f"test acc {r[1]:.4f}, peak RSS {r[2]:.0f} MB")
            figures["big"] = {"bytes": size, "seconds": r[0], "test_accuracy": r[1], "peak_rss_mb": r[2]}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
