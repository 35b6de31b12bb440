#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what the tests need when it is missing
# (Fashion-MNIST from Debian's dataset-fashion-mnist), then runs every test, optimised.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  echo "test.sh: installing dataset-fashion-mnist" >&2
  sudo_cmd=""
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq dataset-fashion-mnist >/dev/null
fi

# The library's documentation builds without a warning (broken links included).
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -p gradus --locked
cargo test --workspace --locked "$@"
