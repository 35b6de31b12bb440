#!/usr/bin/env python3
"""One epoch of linear softmax SGD (batch 256) on Fashion-MNIST's 60,000 training images:
gradus against scikit-learn's SGDClassifier and PyTorch (CPU), side by side in one run.

Usage: python3 bench/compare_linear.py [--runs 5] [--epochs 5] [--threads 2]
Needs: cargo build --release; pip install scikit-learn torch numpy (installed when missing).
Each run trains every tool once, one after the other; a tool's figure for a run is its median
seconds per epoch. Prints min–median–max over the runs of each tool's seconds per epoch and of
the ratios taken within each run, and gradus' peak memory.
"""
import argparse, json, os, statistics, time

from common import fmt, gradus_train, load, need, spread


def gradus(epochs, threads):
    r, peak_mb = gradus_train(["--data", "fashion-mnist", "--loss", "softmax", "--optimizer", "sgd", "--lr", "0.03",
                               "--scale", "standardize", "--batch-size", "256", "--epochs", str(epochs),
                               "--threads", str(threads)])
    return r["epoch_seconds"]["median"], r["test_accuracy"], peak_mb


def sklearn_sgd(x, y, xt, yt, epochs, threads):
    import numpy as np
    from sklearn.linear_model import SGDClassifier
    mean, std = x.mean(0), x.std(0)
    std[std == 0] = 1
    xs, xts = (x - mean) / std, (xt - mean) / std
    clf = SGDClassifier(loss="log_loss", alpha=1e-6, learning_rate="constant", eta0=0.003,
                        max_iter=1, tol=None, shuffle=True, random_state=0, n_jobs=threads)
    times = []
    for e in range(epochs):
        t = time.perf_counter()
        clf.partial_fit(xs, y, classes=np.arange(10))
        times.append(time.perf_counter() - t)
    return statistics.median(times), clf.score(xts, yt)


def torch_sgd(x, y, xt, yt, epochs, threads):
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    xf = torch.tensor(x, dtype=torch.float32)
    mean, std = xf.mean(0), xf.std(0, unbiased=False)
    std[std == 0] = 1
    xs, xts = (xf - mean) / std, (torch.tensor(xt, dtype=torch.float32) - mean) / std
    ys = torch.tensor(y, dtype=torch.long)
    model = torch.nn.Linear(784, 10)
    opt = torch.optim.SGD(model.parameters(), lr=0.03)
    lossf = torch.nn.CrossEntropyLoss()
    times = []
    for e in range(epochs):
        t = time.perf_counter()
        perm = torch.randperm(len(xs))
        for i in range(0, len(xs), 256):
            idx = perm[i:i + 256]
            opt.zero_grad()
            lossf(model(xs[idx]), ys[idx]).backward()
            opt.step()
        times.append(time.perf_counter() - t)
    with torch.no_grad():
        acc = (model(xts).argmax(1).numpy() == yt).mean()
    return statistics.median(times), float(acc)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    a = ap.parse_args()
    need(["numpy", "sklearn", "torch"])
    x, y = load("train")
    xt, yt = load("t10k")
    runs = []
    for _ in range(a.runs):
        g, g_acc, g_mem = gradus(a.epochs, a.threads)
        s, s_acc = sklearn_sgd(x, y, xt, yt, a.epochs, a.threads)
        p, p_acc = torch_sgd(x, y, xt, yt, a.epochs, a.threads)
        runs.append({"gradus": g, "sklearn": s, "torch": p, "acc": (g_acc, s_acc, p_acc), "mem": g_mem})
    col = lambda k: [r[k] for r in runs]
    acc = runs[-1]["acc"]
    print(f"threads {a.threads}, {a.runs} runs of {a.epochs} epochs; seconds per epoch over 60,000 images, batch 256;")
    print("min–median–max over the runs; ratios within each run")
    print(f"{'tool':<30}{'s/epoch':>26}{'test acc':>10}{'ratio':>20}")
    print(f"{'gradus (softmax, sgd 0.03)':<30}{fmt(col('gradus')):>26}{acc[0]:>10.4f}{'1':>20}")
    for name, key, ac in [("scikit-learn SGDClassifier", "sklearn", acc[1]), ("PyTorch nn.Linear + SGD", "torch", acc[2])]:
        ratio = [r[key] / r["gradus"] for r in runs]
        print(f"{name:<30}{fmt(col(key)):>26}{ac:>10.4f}{fmt(ratio, '{:.2f}'):>20}")
    print(f"gradus peak memory (max RSS): {max(col('mem')):.0f} MB")
    print(json.dumps({"gradus_s_per_epoch": spread(col("gradus")), "sklearn_s_per_epoch": spread(col("sklearn")),
                      "torch_s_per_epoch": spread(col("torch")),
                      "sklearn_over_gradus": spread([r["sklearn"] / r["gradus"] for r in runs]),
                      "torch_over_gradus": spread([r["torch"] / r["gradus"] for r in runs]),
                      "gradus_peak_mb": max(col("mem"))}))


if __name__ == "__main__":
    main()
