#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what the tests need when it is missing
# (Fashion-MNIST from Debian's dataset-fashion-mnist, Chromium for the report's browser test,
# OpenMPI and libclang for the `mpi` feature), then runs every test, optimised.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
updated=""
# Installs the Debian packages "$@" (one apt-get update per run).
install() {
  echo "test.sh: installing $*" >&2
  if [ -z "$updated" ]; then $sudo_cmd apt-get update -qq; updated=1; fi
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  install dataset-fashion-mnist
fi
# The training report is rendered in headless Chromium (crates/gradus-cli/tests/report.rs).
if ! command -v chromium >/dev/null; then
  install chromium
fi
# `gradus train --distributed` (the `mpi` feature of gradus-cli): rsmpi links the system's
# OpenMPI (found through mpicc) and generates its bindings with bindgen, which loads libclang.
if ! command -v mpicc >/dev/null || ! command -v mpirun >/dev/null; then
  install libopenmpi-dev openmpi-bin
fi
if ! compgen -G "/usr/lib/llvm-*/lib/libclang*.so*" >/dev/null; then
  install libclang-dev
fi

# A clean build gains nothing from incremental compilation's bookkeeping.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
# The library's documentation builds without a warning (broken links included).
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -p gradus --locked
# Every test, with the command built with the `mpi` feature in the same compilation, so that
# the MPI tests run under mpirun on 1, 2 and 3 ranks (crates/gradus-cli/tests/distributed.rs).
cargo test --workspace --features gradus-cli/mpi --locked "$@"

# The Python package (crates/gradus-py): a virtual environment with the pinned requirements,
# the wheel built with the cheaper `pyci` profile into the shared target dir, then its pytest
# suite (scikit-learn's estimator checks, and model files shared with the CLI built above).
target="${CARGO_TARGET_DIR:-target}"
venv="$target/pyvenv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q -r crates/gradus-py/requirements-test.txt
PATH="$(cd "$venv/bin" && pwd):$PATH" MATURIN_PEP517_ARGS="--profile pyci --locked" \
  "$venv/bin/pip" install -q --no-build-isolation --force-reinstall --no-deps ./crates/gradus-py
GRADUS_CLI="$(cd "$target/debug" && pwd)/gradus" "$venv/bin/python" -m pytest -q -p no:cacheprovider crates/gradus-py/tests
