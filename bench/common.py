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


def gradus_train(args):
    """Runs `gradus train ARGS --json`; returns its JSON summary and its own peak resident memory
    in MB (wait4's rusage of the child; run it before importing torch, since a child's ru_maxrss
    counts what it inherited from this process before exec)."""
    cmd = [os.path.join(ROOT, "target", "release", "gradus"), "train"] + args + ["--json"]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as p:
        stdout = p.stdout.read()
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise SystemExit(f"gradus failed with status {p.returncode}: {' '.join(cmd)}")
    return json.loads(stdout.strip().splitlines()[-1]), usage.ru_maxrss / 1024
