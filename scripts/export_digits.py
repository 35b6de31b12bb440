#!/usr/bin/env python3
"""Export scikit-learn's copy of the UCI optical-recognition digits as gzip-compressed IDX files.

Writes, into crates/gradus/assets/ (or the directory given as the first argument):

  digits-images-idx3-ubyte.gz  u8 tensor [1797, 8, 8], pixel values 0..16
  digits-labels-idx1-ubyte.gz  u8 tensor [1797], labels 0..9

The gzip header carries mtime=0 and no file name, so the output is byte-for-byte reproducible.
Run once; the files are committed and embedded in the gradus library by src/data/digits.rs.
"""

import gzip
import struct
import sys
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

U8 = 0x08


def idx_bytes(array: np.ndarray) -> bytes:
    """IDX: two zero bytes, dtype code, number of dims, big-endian u32 dims, row-major data."""
    assert array.dtype == np.uint8
    header = struct.pack(">HBB", 0, U8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes(order="C")


def write_gz(path: Path, data: bytes) -> None:
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        gz.write(data)


def main() -> None:
    root = Path(__file__).resolve().parent.parent
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else root / "crates" / "gradus" / "assets"
    out.mkdir(parents=True, exist_ok=True)

    digits = load_digits()
    images = digits.images
    labels = digits.target
    assert images.shape == (1797, 8, 8) and labels.shape == (1797,)
    assert images.min() >= 0 and images.max() <= 16 and np.all(images == np.round(images))
    assert labels.min() >= 0 and labels.max() <= 9

    write_gz(out / "digits-images-idx3-ubyte.gz", idx_bytes(images.astype(np.uint8)))
    write_gz(out / "digits-labels-idx1-ubyte.gz", idx_bytes(labels.astype(np.uint8)))
    print(f"wrote {len(labels)} digits to {out}; per-class counts {np.bincount(labels).tolist()}")


if __name__ == "__main__":
    main()
