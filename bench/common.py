"""What the benchmark scripts share: installing peers, loading Fashion-MNIST with numpy, and
running gradus while measuring its own peak memory."""
import gzip, importlib.util, json, os, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = "/usr/share/datasets/fashion-mnist"


def need(modules):
    """pip-installs the modules that are missing (scikit-learn for sklearn)."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        names = {"sklearn": "scikit-learn"}
        subprocess.check_call([sys.executable, "-m", "pip", "install", "-q"] + [names.get(m, m) for m in missing])


def load(prefix):
    """Fashion-MNIST's `prefix` split ("train" or "t10k") as uint8 (rows × 784, labels)."""
    import numpy as np
    with gzip.open(f"{DATA}/{prefix}-images-idx3-ubyte.gz") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(f"{DATA}/{prefix}-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)
    return x, y


def measured(cmd):
    """Runs `cmd` under /usr/bin/time; returns (status, stdout, stderr, wall seconds, the
    command's own peak resident memory in MB). GNU time's %M is the maximum RSS of the process it
    forks, small and fresh, so none of this Python process's memory is counted, as it would be in
    wait4's rusage of a child forked from here."""
    import tempfile, time
    with tempfile.NamedTemporaryFile("r") as rss:
        t = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name] + cmd, capture_output=True, text=True)
        seconds = time.perf_counter() - t
        peak_kb = rss.read().strip().splitlines()[-1]
    return p.returncode, p.stdout, p.stderr, seconds, int(peak_kb) / 1024 if peak_kb.isdigit() else float("nan")


GRADUS = os.environ.get("GRADUS", os.path.join(ROOT, "target", "release", "gradus"))


def gradus_train(args):
    """Runs `gradus train ARGS --json`; returns its JSON summary and its own peak resident memory
    in MB ([`measured`])."""
    cmd = [GRADUS, "train"] + args + ["--json"]
    status, stdout, _, _, peak_mb = measured(cmd)
    if status != 0:
        raise SystemExit(f"gradus failed with status {status}: {' '.join(cmd)}")
    return json.loads(stdout.strip().splitlines()[-1]), peak_mb


def spread(values):
    """(min, median, max) of `values`."""
    import statistics
    return min(values), statistics.median(values), max(values)


def fmt(values, f="{:.4f}", sep="–"):
    """`values` as 'min–median–max', each with format `f`."""
    return sep.join(f.format(v) for v in spread(values))
