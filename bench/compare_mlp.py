#!/usr/bin/env python3
"""Training throughput of the MLP 784-256-128-10 (ReLU, softmax, Adam lr 1e-3) on Fashion-MNIST:
gradus against PyTorch on CPU with the same thread count, model, optimizer and batch size, side
by side in one run; plus the GFLOP/s of gradus' training step against numpy's float32 matmul.

Usage: python3 bench/compare_mlp.py [--runs 5] [--epochs 3] [--threads 2] [--batches 256,64]
Needs: cargo build --release; numpy and torch (installed when missing).
Each run measures gradus, PyTorch and numpy's matmul once; prints min–median–max over the runs of
each figure, with ratios taken within each run.
"""
import argparse, json, os, statistics, time

from common import fmt, gradus_train, load, need, spread

DIMS = [784, 256, 128, 10]


def train_flops_per_sample():
    macs = [a * b for a, b in zip(DIMS, DIMS[1:])]
    # forward 2·MACs; backward: weight gradients 2·MACs, input gradients 2·MACs for every layer
    # but the first (no gradient is needed for the pixels).
    return 2 * sum(macs) + 2 * sum(macs) + 2 * sum(macs[1:])


def gradus(batch, epochs, threads):
    r, peak_mb = gradus_train(["--data", "fashion-mnist", "--model", "mlp:256,128", "--activation", "relu",
                               "--loss", "softmax", "--optimizer", "adam", "--lr", "1e-3", "--scale", "standardize",
                               "--batch-size", str(batch), "--epochs", str(epochs), "--threads", str(threads)])
    return 60000 / r["epoch_seconds"]["median"], r["test_accuracy"], peak_mb


def torch_mlp(x, y, batch, epochs, threads):
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    xf = torch.tensor(x, dtype=torch.float32)
    mean, std = xf.mean(0), xf.std(0, unbiased=False)
    std[std == 0] = 1
    xs, ys = (xf - mean) / std, torch.tensor(y, dtype=torch.long)
    layers = []
    for i, (a, b) in enumerate(zip(DIMS, DIMS[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(DIMS) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    lossf = torch.nn.CrossEntropyLoss()
    times = []
    for e in range(epochs):
        t = time.perf_counter()
        perm = torch.randperm(len(xs))
        for i in range(0, len(xs), batch):
            idx = perm[i:i + batch]
            opt.zero_grad(set_to_none=True)
            lossf(model(xs[idx]), ys[idx]).backward()
            opt.step()
        times.append(time.perf_counter() - t)
    return 60000 / statistics.median(times)


def numpy_gflops(threads):
    import numpy as np
    a = np.random.rand(1024, 1024).astype(np.float32)
    b = np.random.rand(1024, 1024).astype(np.float32)
    a @ b
    reps, t = 20, time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * 1024 ** 3 * reps / (time.perf_counter() - t) / 1e9


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--batches", default="256,64")
    a = ap.parse_args()
    # numpy's BLAS and torch both read these; set before importing them.
    for v in ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"]:
        os.environ[v] = str(a.threads)
    need(["numpy", "torch"])
    batches = [int(b) for b in a.batches.split(",")]
    flops = train_flops_per_sample()
    x = y = None
    runs = []
    for _ in range(a.runs):
        # gradus runs first, while this process is small: a child's peak memory (ru_maxrss)
        # counts what it inherited from this process before exec, and torch makes it large.
        ours = {b: gradus(b, a.epochs, a.threads) for b in batches}
        if x is None:
            x, y = load("train")
        run = {"numpy": numpy_gflops(a.threads)}
        for b in batches:
            g, acc, peak = ours[b]
            t = torch_mlp(x, y, b, a.epochs, a.threads)
            run[b] = {"gradus": g, "torch": t, "acc": acc, "peak": peak}
        runs.append(run)
    print(f"MLP 784-256-128-10 ReLU, softmax, Adam 1e-3, {a.threads} threads, {a.runs} runs of {a.epochs} epochs;")
    print("min–median–max over the runs; ratios within each run")
    np_gf = [r["numpy"] for r in runs]
    result = {"numpy_matmul_gflops": spread(np_gf), "threads": a.threads, "runs": a.runs}
    for b in batches:
        g = [r[b]["gradus"] for r in runs]
        t = [r[b]["torch"] for r in runs]
        ratio = [r[b]["gradus"] / r[b]["torch"] for r in runs]
        gf = [r[b]["gradus"] * flops / 1e9 for r in runs]
        of_numpy = [r[b]["gradus"] * flops / 1e9 / r["numpy"] for r in runs]
        print(f"batch {b}: gradus {fmt(g, '{:.0f}')} samples/s, PyTorch {fmt(t, '{:.0f}')} samples/s, "
              f"ratio {fmt(ratio, '{:.2f}')}; gradus {fmt(gf, '{:.0f}')} GFLOP/s = {fmt(of_numpy, '{:.0%}')} of numpy's; "
              f"test acc {runs[-1][b]['acc']:.4f}, peak {max(r[b]['peak'] for r in runs):.0f} MB")
        result[f"batch{b}"] = {"gradus_samples_per_s": spread(g), "torch_samples_per_s": spread(t), "ratio": spread(ratio),
                               "gradus_gflops": spread(gf), "of_numpy": spread(of_numpy)}
    print(f"numpy float32 matmul (1024x1024x1024): {fmt(np_gf, '{:.0f}')} GFLOP/s")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
