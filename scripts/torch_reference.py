#!/usr/bin/env python3
"""Reference optimizer trajectories from torch.optim, for gradus's parity test.

Writes crates/gradus/tests/fixtures/<function>.json (or into the directory given as the first
argument) for the 2-D test functions `rosenbrock` (start (-1.5, 2)) and `booth` (start (0, 0)):

  {"function": ..., "start": [x, y], "steps": N, "torch": "<version>",
   "cases": [{"label": ..., "optimizer": {OptimizerParams}, "lr": float | null,
              "trajectory": [[x, y] after step 1, ..., after step N]}]}

`optimizer` is gradus's OptimizerParams as JSON (unset fields left out, meaning the rule's
default) and `lr` null means the rule's default learning rate; every rule appears with its
defaults and with at least one non-default setting. θ is a float64 tensor, the loss is computed
by autograd, and every optimizer runs its single-tensor implementation (foreach=False). Floats
are written by Python's repr, which round-trips exactly.

Run: python3 scripts/torch_reference.py
"""

import json
import sys
from pathlib import Path

import torch

STEPS = 150

FUNCTIONS = {
    "rosenbrock": ((-1.5, 2.0), lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2),
    "booth": ((0.0, 0.0), lambda x, y: (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2),
}

# (label, OptimizerParams, lr or None for the rule's default)
CASES = [
    ("sgd", {"name": "sgd"}, None),
    ("sgd-weight-decay", {"name": "sgd", "weight_decay": 0.1}, 5e-4),
    ("momentum", {"name": "momentum"}, None),
    ("momentum-dampening", {"name": "momentum", "momentum": 0.9, "dampening": 0.1}, 5e-4),
    ("momentum-weight-decay", {"name": "momentum", "momentum": 0.5, "weight_decay": 0.01}, None),
    ("nesterov", {"name": "nesterov"}, None),
    ("nesterov-weight-decay", {"name": "nesterov", "momentum": 0.7, "weight_decay": 0.05}, 5e-4),
    ("adagrad", {"name": "adagrad"}, None),
    ("adagrad-decay", {"name": "adagrad", "lr_decay": 0.01, "weight_decay": 0.01, "eps": 1e-8}, 0.5),
    ("rmsprop", {"name": "rmsprop"}, None),
    ("rmsprop-centered-momentum", {"name": "rmsprop", "centered": True, "momentum": 0.5}, 1e-3),
    ("rmsprop-rho-weight-decay", {"name": "rmsprop", "rho": 0.9, "weight_decay": 0.01, "eps": 1e-6}, 5e-3),
    ("rmsprop-centered", {"name": "rmsprop", "centered": True}, None),
    ("adadelta", {"name": "adadelta"}, None),
    ("adadelta-rho", {"name": "adadelta", "rho": 0.95, "eps": 1e-5, "weight_decay": 0.01}, 2.0),
    ("adam", {"name": "adam"}, None),
    ("adam-amsgrad", {"name": "adam", "amsgrad": True}, 0.05),
    ("adam-weight-decay", {"name": "adam", "weight_decay": 0.1, "beta1": 0.8, "beta2": 0.99}, 0.01),
    ("adamw", {"name": "adamw"}, None),
    ("adamw-weight-decay-amsgrad", {"name": "adamw", "weight_decay": 0.1, "amsgrad": True, "eps": 1e-6}, 0.02),
]


def make_optimizer(theta, params, lr):
    """The torch optimizer for gradus's OptimizerParams `params` (torch's own defaults apply to
    unset fields, except that `momentum` and `nesterov` default to momentum 0.9)."""
    name = params["name"]
    kw = {"foreach": False}
    if lr is not None:
        kw["lr"] = lr
    if "weight_decay" in params:
        kw["weight_decay"] = params["weight_decay"]
    if "eps" in params:
        kw["eps"] = params["eps"]
    if name == "sgd":
        return torch.optim.SGD([theta], **kw)
    if name in ("momentum", "nesterov"):
        kw["momentum"] = params.get("momentum", 0.9)
        kw["dampening"] = params.get("dampening", 0.0)
        return torch.optim.SGD([theta], nesterov=name == "nesterov", **kw)
    if name == "adagrad":
        if "lr_decay" in params:
            kw["lr_decay"] = params["lr_decay"]
        return torch.optim.Adagrad([theta], **kw)
    if name == "rmsprop":
        if "rho" in params:
            kw["alpha"] = params["rho"]
        kw["momentum"] = params.get("momentum", 0.0)
        kw["centered"] = params.get("centered", False)
        return torch.optim.RMSprop([theta], **kw)
    if name == "adadelta":
        if "rho" in params:
            kw["rho"] = params["rho"]
        return torch.optim.Adadelta([theta], **kw)
    if name in ("adam", "adamw"):
        kw["betas"] = (params.get("beta1", 0.9), params.get("beta2", 0.999))
        kw["amsgrad"] = params.get("amsgrad", False)
        cls = torch.optim.AdamW if name == "adamw" else torch.optim.Adam
        return cls([theta], **kw)
    raise ValueError(f"unknown rule {name}")


def trajectory(f, start, params, lr):
    theta = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = make_optimizer(theta, params, lr)
    points = []
    for _ in range(STEPS):
        opt.zero_grad()
        f(theta[0], theta[1]).backward()
        opt.step()
        x, y = theta.detach().tolist()
        points.append([x, y])
    return points


def render(head, cases):
    """JSON with one trajectory point per line, for readable diffs."""
    lines = ["{"] + [f" {json.dumps(k)}: {json.dumps(v)}," for k, v in head.items()] + [' "cases": [']
    for i, case in enumerate(cases):
        fields = "".join(f"{json.dumps(k)}: {json.dumps(case[k])}, " for k in ("label", "optimizer", "lr"))
        points = ",\n".join(f"   {json.dumps(p)}" for p in case["trajectory"])
        end = "," if i + 1 < len(cases) else ""
        lines.append(f'  {{{fields}"trajectory": [\n{points}\n  ]}}{end}')
    return "\n".join(lines + [" ]", "}"]) + "\n"


def main():
    default = Path(__file__).resolve().parents[1] / "crates/gradus/tests/fixtures"
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    out.mkdir(parents=True, exist_ok=True)
    for fname, (start, f) in FUNCTIONS.items():
        cases = []
        for label, params, lr in CASES:
            points = trajectory(f, start, params, lr)
            bound = max(abs(c) for p in points for c in p)
            if not bound < 10:
                raise SystemExit(f"{fname}/{label}: trajectory leaves |x|, |y| < 10 ({bound})")
            cases.append({"label": label, "optimizer": params, "lr": lr, "trajectory": points})
        head = {"function": fname, "start": list(start), "steps": STEPS, "torch": torch.__version__}
        path = out / f"{fname}.json"
        path.write_text(render(head, cases))
        print(f"{path}: {len(cases)} cases x {STEPS} steps")


if __name__ == "__main__":
    main()
