"""Two builds of gradus side by side, on the jobs of compare_linear.py and compare_mlp.py: to
measure what a change costs or saves, e.g. the thread-count-independent shards of issue 9.

    git worktree add /tmp/before COMMIT && (cd /tmp/before && cargo build --release)
    python3 bench/ab.py /tmp/before/target/release/gradus target/release/gradus [--runs 5] [--jobs linear]

Each job runs alternately with each binary (A, B, A, B, …) so that a change in the machine's
load falls on both; prints min / median / max of the median epoch time (`epoch_seconds` of
`--json`, training only) and the ratio of medians A/B (above 1: B is faster).
"""
import argparse, json, os, statistics, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import fmt  # noqa: E402

JOBS = {
    "linear softmax SGD, batch 256": ["--loss", "softmax", "--optimizer", "sgd", "--lr", "0.03",
                                      "--batch-size", "256", "--epochs", "5"],
    "linear softmax SGD + L2, batch 32": ["--loss", "softmax", "--optimizer", "sgd", "--lr", "0.01",
                                          "--reg", "l2:5e-5", "--batch-size", "32", "--epochs", "3"],
    "MLP 784-256-128-10 Adam, batch 256": ["--model", "mlp:256,128", "--optimizer", "adam", "--lr", "1e-3",
                                           "--batch-size", "256", "--epochs", "2"],
    "MLP 784-256-128-10 Adam, batch 64": ["--model", "mlp:256,128", "--optimizer", "adam", "--lr", "1e-3",
                                          "--batch-size", "64", "--epochs", "2"],
}


def epoch_seconds(binary, args, threads):
    cmd = [binary, "train", "--data", "fashion-mnist", "--scale", "standardize", "--threads", str(threads)] + args + ["--json"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])["epoch_seconds"]["median"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--jobs", help="only the jobs whose name contains this text")
    a = ap.parse_args()
    print(f"A = {a.a}\nB = {a.b}\n{a.threads} threads, {a.runs} runs each, seconds per epoch min / median / max\n")
    print(f"{'job':38} {'A':>26} {'B':>26} {'A/B':>6}")
    for name, args in JOBS.items():
        if a.jobs and a.jobs not in name:
            continue
        ta, tb = [], []
        for _ in range(a.runs):
            ta.append(epoch_seconds(a.a, args, a.threads))
            tb.append(epoch_seconds(a.b, args, a.threads))
        print(f"{name:38} {fmt(ta, sep=' / '):>26} {fmt(tb, sep=' / '):>26} {statistics.median(ta) / statistics.median(tb):>6.3f}")


if __name__ == "__main__":
    main()
