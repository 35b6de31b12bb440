#!/usr/bin/env python3
"""A 51×51 loss-landscape slice (21×21 for the MLP, whose loop takes minutes at 51×51) on Fashion-MNIST training images: `gradus landscape` (whole
process, data loading included) against the PyTorch loop a user writes (one forward pass per
grid point, data loading included), side by side in one run, for the linear softmax classifier
over 10,000 and 60,000 images and an MLP 784-256-128-10 over 10,000.

Usage: python3 bench/landscape.py [--runs 3] [--threads 2] [--points 51] [--mlp-points 21]
       [--rows 10000,60000] [--mlp-rows 10000] [--gradus target/release/gradus]
A quick check that it runs: --runs 1 --points 5 --mlp-points 3 --rows 2000 --mlp-rows 2000.
Needs: cargo build --release; pip install numpy torch (installed when missing).
Prints min–median–max seconds over the runs, the ratio of the medians, gradus' peak memory, and
each tool's rate in GFLOP/s of the point-by-point computation against numpy's float32 matmul
rate measured in the same run (the GEMM roof).
"""
import argparse, json, os, statistics, subprocess, sys, tempfile, time

from common import DATA, ROOT, load, need

GRADUS = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "gradus")


def train(model, out):
    """A model to slice around: one epoch of gradus training (not timed)."""
    subprocess.run([GRADUS, "train", "--data", "fashion-mnist", "--model", model, "--epochs", "1",
                    "--out", out], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def gradus_slice(model_file, rows, points, threads):
    """Seconds and peak MB of the whole `gradus landscape` process."""
    with tempfile.TemporaryDirectory() as d:
        cmd = [GRADUS, "landscape", "--model", model_file, "--split", "train", "--points", str(points),
               "--threads", str(threads), "--csv", os.path.join(d, "l.csv")]
        if rows < 60000:
            cmd += ["--examples", str(rows)]
        t = time.perf_counter()
        with subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as p:
            _, status, usage = os.wait4(p.pid, 0)
        seconds = time.perf_counter() - t
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"gradus failed: {' '.join(cmd)}")
        return seconds, usage.ru_maxrss / 1024


def torch_slice(hidden, rows, points, threads):
    """Seconds of the PyTorch loop, its data loading (IDX → standardized tensor) included."""
    import numpy as np
    import torch
    torch.set_num_threads(threads)
    t = time.perf_counter()
    x, y = load("train")
    x, y = x[:rows], y[:rows]
    xf = torch.tensor(x, dtype=torch.float32)
    mean, std = xf.mean(0), xf.std(0, unbiased=False)
    std[std == 0] = 1
    xs, ys = (xf - mean) / std, torch.tensor(y, dtype=torch.long)
    torch.manual_seed(0)
    sizes = [784] + hidden + [10]
    layers = [torch.nn.Linear(a, b) for a, b in zip(sizes, sizes[1:])]
    theta = [p.detach().clone() for l in layers for p in (l.weight, l.bias)]
    d1 = [torch.randn_like(p) for p in theta]
    d2 = [torch.randn_like(p) for p in theta]
    grid = np.linspace(-1, 1, points)
    lossf = torch.nn.CrossEntropyLoss()
    out = np.empty((points, points))
    with torch.no_grad():
        for j, b in enumerate(grid):
            for i, a in enumerate(grid):
                h = xs
                params = [p + a * u + b * v for p, u, v in zip(theta, d1, d2)]
                for k in range(0, len(params), 2):
                    h = h @ params[k].T + params[k + 1]
                    if k + 2 < len(params):
                        h = torch.relu(h)
                out[j, i] = lossf(h, ys).item()
    return time.perf_counter() - t


def gemm_roof(threads):
    """numpy float32 matmul GFLOP/s on 2048×2048 matrices (best of 5)."""
    import numpy as np
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    a = np.random.default_rng(0).standard_normal((2048, 2048), dtype=np.float32)
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        a @ a
        best = min(best, time.perf_counter() - t)
    return 2 * 2048 ** 3 / best / 1e9


def main():
    global GRADUS
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--points", type=int, default=51)
    ap.add_argument("--mlp-points", type=int, default=21, help="the MLP's grid (its loop takes minutes at 51)")
    ap.add_argument("--rows", default="10000,60000", help="the linear slices' training images, comma-separated")
    ap.add_argument("--mlp-rows", default="10000", help="the MLP slices' training images, comma-separated")
    ap.add_argument("--gradus", default=GRADUS, help="the gradus binary")
    a = ap.parse_args()
    GRADUS = a.gradus
    rows = lambda text: [int(r) for r in text.split(",") if r]
    need(["numpy", "torch"])
    if not os.path.exists(os.path.join(DATA, "train-images-idx3-ubyte.gz")):
        sys.exit(f"no Fashion-MNIST in {DATA}: apt-get install dataset-fashion-mnist")
    roof = gemm_roof(a.threads)
    cases = ([("linear", [], r, a.points) for r in rows(a.rows)]
             + [("mlp:256,128", [256, 128], r, a.mlp_points) for r in rows(a.mlp_rows)])
    results = []
    with tempfile.TemporaryDirectory() as d:
        # Every gradus run first: a child's peak memory (wait4's ru_maxrss) counts what it
        # inherited from this process, which grows once torch is imported.
        timed = []
        for model, hidden, rows, points in cases:
            f = os.path.join(d, model.replace(":", "-").replace(",", "-") + ".st")
            if not os.path.exists(f):
                train(model, f)
            timed.append([gradus_slice(f, rows, points, a.threads) for _ in range(a.runs)])
        for (model, hidden, rows, points), g in zip(cases, timed):
            p = [torch_slice(hidden, rows, points, a.threads) for _ in range(a.runs)]
            sizes = [784] + hidden + [10]
            flops = points ** 2 * 2 * rows * sum(x * y for x, y in zip(sizes, sizes[1:]))
            gs, ps = [s for s, _ in g], p
            results.append({
                "model": model, "rows": rows, "grid": f"{points}×{points}",
                "gradus_s": [min(gs), statistics.median(gs), max(gs)],
                "torch_s": [min(ps), statistics.median(ps), max(ps)],
                "ratio": statistics.median(ps) / statistics.median(gs),
                "gradus_peak_mb": max(m for _, m in g),
                "gradus_gflops": flops / statistics.median(gs) / 1e9,
                "torch_gflops": flops / statistics.median(ps) / 1e9,
            })
    print(f"threads {a.threads}, {a.runs} runs; numpy float32 matmul {roof:.0f} GFLOP/s")
    print(f"{'model':<14}{'rows':>7}{'grid':>7}{'gradus s (min–med–max)':>26}{'PyTorch loop s':>26}{'ratio':>8}{'peak MB':>9}"
          f"{'gradus GF/s':>13}{'torch GF/s':>12}")
    for r in results:
        fmt = lambda v: f"{v[0]:.2f}–{v[1]:.2f}–{v[2]:.2f}"
        print(f"{r['model']:<14}{r['rows']:>7}{r['grid']:>7}{fmt(r['gradus_s']):>26}{fmt(r['torch_s']):>26}{r['ratio']:>8.1f}"
              f"{r['gradus_peak_mb']:>9.0f}{r['gradus_gflops']:>13.0f}{r['torch_gflops']:>12.0f}")
    print("GF/s: the point-by-point slice's matrix-product work over the whole run's seconds; "
          f"the roof is numpy's {roof:.0f}")
    print(json.dumps({"gemm_gflops": roof, "cases": results}))


if __name__ == "__main__":
    main()
