"""ImageNet-layout image folders: scanning and checking (what the loaders and trainables read).

Layout (the one torchvision's ``ImageFolder`` and DALI's file reader expect)::

    ROOT/train/<class>/*.JPEG
    ROOT/val/<class>/*.JPEG

Class indices are the sorted class-folder names of ``train``; ``val`` must hold the same classes.

Bad files (the policy). :func:`check_dataset` also inspects every image file cheaply (metadata,
the first 16 and the last 4,096 bytes; nothing is decoded) and names what no loader can use:

* ``empty`` -- a zero-byte file;
* ``unreadable`` -- opening or reading fails (permission denied, e.g. a chmod-000 file on an
  NFS share that squashes root, an I/O error);
* ``dangling symlink`` / ``not a regular file`` -- an image-named entry that is a broken link,
  a directory or a FIFO/socket (never opened: reading a FIFO would block);
* ``not a JPEG or PNG`` -- wrong magic bytes (e.g. a text file named ``x.JPEG``); a PNG named
  ``.JPEG`` is accepted (both loaders decode by content);
* ``truncated`` -- a JPEG without its end-of-image marker (``FF D9``), or a PNG without its
  ``IEND`` chunk, in its last 4,096 bytes: an interrupted copy.

By default any bad file is a :class:`DatasetError` that names the first few (``python -m
gpunet_ray.data check DIR`` exits 2 with one line, and so does every CLI that checks its data).
With ``skip_bad=True`` (``check --skip-bad``, trial config ``"skip_bad": true``) they are left
out of the splits and counted: :attr:`DatasetInfo.bad` lists them, the image counts exclude them,
and trials report ``bad_images`` / ``bad_val_images`` every epoch, so a shorter validation set is
never silent. What only decoding reveals (a damaged file with intact header and end marker) is
found by ``check --decode`` (decodes every image with Pillow; slow) or by the loaders while
training (see :mod:`gpunet_ray.trainables.loaders`).

The demo data set and the ``make-demo`` / ``check`` command live in :mod:`gpunet_ray.data`, which
re-exports these names.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Sequence

from gpunet_ray.errors import DatasetError

__all__ = [
    "IMG_EXTENSIONS",
    "DatasetInfo",
    "SplitFiles",
    "check_dataset",
    "scan_split",
    "inspect_image",
    "verify_split",
    "bad_files_message",
]

IMG_EXTENSIONS = (".jpeg", ".jpg", ".png")


@dataclass(frozen=True)
class SplitFiles:
    """One split: image paths (sorted by class, then name) and their integer labels.

    ``irregular``: image-named entries that are not regular files (dangling symlinks,
    directories, FIFOs), as ``(path, reason)``; they are never in ``files``.
    """

    files: tuple[str, ...]
    labels: tuple[int, ...]
    classes: tuple[str, ...]
    irregular: tuple[tuple[str, str], ...] = ()

    def __len__(self) -> int:
        return len(self.files)

    def take(self, idx: Iterable[int]) -> SplitFiles:
        """The files at positions ``idx`` (in that order) with their labels; no ``irregular``."""
        idx = list(idx)
        return SplitFiles(tuple(self.files[i] for i in idx), tuple(self.labels[i] for i in idx), self.classes)


@dataclass(frozen=True)
class DatasetInfo:
    """What :func:`check_dataset` found: class names (index order) and image counts per split.

    ``bad``: the bad files left out (``skip_bad=True``) as ``(path, reason)``; the counts exclude them.
    """

    root: str
    classes: tuple[str, ...]
    num_train: int
    num_val: int
    bad: tuple[tuple[str, str], ...] = ()

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
    irregular: list[tuple[str, str]] = []
    for idx, cls in enumerate(classes):
        names = []
        for e in os.scandir(d / cls):
            if not _is_image(e.name):
                continue
            if e.is_file():
                names.append(e.name)
            else:
                irregular.append((str(d / cls / e.name), _irregular_reason(e)))
        if not names:
            raise DatasetError(
                f"{str(d / cls)!r} holds no images ({', '.join(IMG_EXTENSIONS)}); every class needs at least one"
            )
        names.sort()
        files.extend(str(d / cls / n) for n in names)
        labels.extend([idx] * len(names))
    return SplitFiles(tuple(files), tuple(labels), tuple(classes), tuple(sorted(irregular)))


def _irregular_reason(entry: os.DirEntry) -> str:
    try:
        return _kind(os.stat(entry.path).st_mode)
    except FileNotFoundError:
        return "dangling symlink" if entry.is_symlink() else "missing"
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"


def _kind(mode: int) -> str:
    for test, what in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device")):
        if test(mode):
            return f"not a regular file ({what})"
    return "not a regular file"


# -- bad files --------------------------------------------------------------------------------------
_TAIL = 4096
_JPEG, _PNG = b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n"


def inspect_image(path: str | os.PathLike, decode: bool = False) -> str | None:
    """Why ``path`` is not a usable image (see the module docstring), or ``None`` if it looks fine.

    Reads the first 16 and the last 4,096 bytes; ``decode=True`` also decodes it with Pillow.
    Never blocks: a FIFO or other special file is reported without being read.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "dangling symlink" if os.path.islink(path) else "missing"
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    if not stat.S_ISREG(st.st_mode):
        return _kind(st.st_mode)
    if st.st_size == 0:
        return "empty (0 bytes)"
    try:  # O_NONBLOCK: a file swapped for a FIFO after the stat still cannot block us
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return _kind(os.fstat(f.fileno()).st_mode)
            head = f.read(16)
            size = os.fstat(f.fileno()).st_size
            if size > len(head):
                f.seek(max(len(head), size - _TAIL))
                tail = head + f.read(_TAIL) if size <= _TAIL else f.read(_TAIL)
            else:
                tail = head
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    if head.startswith(_JPEG):
        sos = tail.rfind(b"\xff\xda")  # the end marker must follow the last scan (if it is in view)
        if b"\xff\xd9" not in tail[max(sos, 0):]:
            return "truncated (no JPEG end-of-image marker)"
    elif head.startswith(_PNG):
        if b"IEND" not in tail:
            return "truncated (no PNG IEND chunk)"
    else:
        return f"not a JPEG or PNG (starts with {head[:8]!r})"
    if decode:
        return _decode_error(path)
    return None


def _decode_error(path: str | os.PathLike) -> str | None:
    from PIL import Image

    try:
        with Image.open(path) as img:
            img.load()
            if img.width < 1 or img.height < 1:
                return "cannot be decoded (empty image)"
    except Exception as exc:  # noqa: BLE001 - any decoder failure is the same finding
        first = " ".join(str(exc).split())[:120] or type(exc).__name__
        return f"cannot be decoded ({first})"
    return None


def verify_split(files: SplitFiles, decode: bool = False, threads: int = 8) -> tuple[SplitFiles, tuple]:
    """``(good, bad)``: ``files`` without its bad images, and the bad ones (``irregular`` entries
    included) as ``(path, reason)``, sorted."""
    paths = files.files
    if threads > 1 and len(paths) > 256:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=threads) as pool:
            reasons = list(pool.map(lambda p: inspect_image(p, decode), paths, chunksize=64))
    else:
        reasons = [inspect_image(p, decode) for p in paths]
    bad = list(files.irregular) + [(p, r) for p, r in zip(paths, reasons) if r is not None]
    if len(bad) == len(files.irregular):
        return replace(files, irregular=()), tuple(sorted(bad))
    good = files.take(i for i, r in enumerate(reasons) if r is None)
    return good, tuple(sorted(bad))


def bad_files_message(bad: Sequence[tuple[str, str]], root: str | Path | None = None, shown: int = 3) -> str:
    """``"3 bad image files (a.JPEG: empty (0 bytes); ...)"`` with paths relative to ``root``."""

    def rel(p: str) -> str:
        try:
            return str(Path(p).relative_to(root)) if root is not None else p
        except ValueError:
            return p

    items = "; ".join(f"{rel(p)}: {r}" for p, r in bad[:shown])
    more = f"; and {len(bad) - shown} more" if len(bad) > shown else ""
    return f"{len(bad)} bad image file{'s' if len(bad) != 1 else ''} ({items}{more})"


def _require_each_class(files: SplitFiles, split: str, root: Path) -> None:
    have = set(files.labels)
    empty = [c for i, c in enumerate(files.classes) if i not in have]
    if empty:
        raise DatasetError(
            f"{str(root / split / empty[0])!r} holds no usable images once its bad files are left out; "
            "every class needs at least one"
        )


def check_dataset(root: str | Path, *, verify: bool = True, skip_bad: bool = False,
                  decode: bool = False) -> DatasetInfo:
    """Check ``root`` is a non-empty ImageNet-layout folder; raise :class:`DatasetError` if not.

    Call it before starting trials so that a bad path fails once, with one clear message.
    ``verify``: also inspect every image file (see the module docstring; ``False``: the folder
    layout only). Bad files raise :class:`DatasetError` naming the first few, unless
    ``skip_bad``: then they are left out and listed in :attr:`DatasetInfo.bad`. ``decode``: also
    decode every image (slow; finds damage that only decoding reveals).
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
    if not verify:
        return DatasetInfo(str(r.resolve()), train.classes, len(train), len(val))
    train, bad_train = verify_split(train, decode=decode)
    val, bad_val = verify_split(val, decode=decode)
    bad = bad_train + bad_val
    if bad and not skip_bad:
        raise DatasetError(
            f"{str(r)!r} has {bad_files_message(bad, r)}; delete or replace the bad files, or leave them out and count "
            f"them with skip_bad (list them all: python -m gpunet_ray.data check {str(r)!r} --skip-bad)"
        )
    _require_each_class(train, "train", r)
    _require_each_class(val, "val", r)
    return DatasetInfo(str(r.resolve()), train.classes, len(train), len(val), bad)
