"""Input pipelines behind one factory: DALI on the GPU, DALI on the CPU, torchvision.

All three read the same file list (:func:`gpunet_ray.trainables.dataset.scan_split`) and apply the same
augmentations:

* train: random-resized crop (area ``crop_scale``, aspect ``crop_ratio``) to ``resolution``,
  horizontal flip with probability 0.5 (``hflip``), ImageNet mean/std normalisation;
* val: resize the shorter side to ``resolution / crop_pct``, centre crop ``resolution``, normalise.

Each loader yields ``(images, labels)``: ``images`` float32 ``B x 3 x R x R`` on the loader's
device, ``labels`` int64 ``B``. Training loaders drop the last partial batch; validation loaders
keep every image exactly once. ``shard_id``/``num_shards`` split the files between data-parallel
workers (DALI's reader sharding; a strided slice for torchvision).

DALI is imported lazily: ``loader="auto"`` picks DALI when it imports, else torchvision;
``loader="dali"`` without DALI raises :class:`~gpunet_ray.errors.BackendUnavailable`.

Bad images. The training loop gives the loaders only files that passed
:func:`gpunet_ray.trainables.dataset.verify_split` (empty, unreadable, non-image and truncated files are found
there). What only decoding reveals is handled here:

* torchvision: an image that fails to decode raises :class:`~gpunet_ray.errors.DatasetError`
  naming the file, or, with ``skip_bad=True``, is dropped from its batch (the batch is smaller)
  and recorded in :attr:`bad_seen` for the pass (the loop reports the count; a validation pass
  then divides by the images it really scored);
* DALI: a failing pipeline cannot skip one sample, so any read or decode error becomes a
  :class:`~gpunet_ray.errors.DatasetError` with DALI's own detail and how to find the file
  (``python -m gpunet_ray.data check DIR --decode``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Iterator

import torch

from gpunet_ray.errors import BackendUnavailable, ConfigError, DatasetError

from .dataset import SplitFiles, scan_split

__all__ = ["LOADERS", "Augment", "make_loader", "dali_available", "resolve_loader", "DaliLoader", "TorchvisionLoader"]

LOADERS = ("auto", "dali", "torchvision")
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class Augment:
    """The augmentation settings shared by every loader (see module docstring)."""

    crop_scale: tuple[float, float] = (0.08, 1.0)
    crop_ratio: tuple[float, float] = (3 / 4, 4 / 3)
    hflip: bool = True
    crop_pct: float = 0.875

    def val_resize(self, resolution: int) -> int:
        return int(math.floor(resolution / self.crop_pct))


def dali_available() -> bool:
    """True when ``nvidia.dali`` imports."""
    try:
        import nvidia.dali  # noqa: F401
    except Exception:  # ImportError, or a broken CUDA runtime underneath
        return False
    return True


def resolve_loader(loader: str) -> str:
    """``"auto"`` -> ``"dali"`` if DALI imports else ``"torchvision"``; checks the name."""
    if loader not in LOADERS:
        raise ConfigError(f"unknown loader {loader!r}; use one of {', '.join(LOADERS)}")
    if loader == "auto":
        return "dali" if dali_available() else "torchvision"
    if loader == "dali" and not dali_available():
        raise BackendUnavailable(
            "loader 'dali' needs NVIDIA DALI: pip install nvidia-dali-cuda120 (or use loader='torchvision')"
        )
    return loader


def make_loader(
    data_dir: str,
    split: str,
    *,
    batch_size: int,
    resolution: int,
    train: bool,
    loader: str = "auto",
    device: str | torch.device = "cpu",
    augment: Augment = Augment(),
    num_threads: int = 2,
    shard_id: int = 0,
    num_shards: int = 1,
    seed: int = 0,
    files: SplitFiles | None = None,
    classes: tuple[str, ...] | None = None,
    skip_bad: bool = False,
):
    """The loader for ``data_dir/split`` (``"train"`` or ``"val"``).

    batch_size: images per batch (per shard). resolution: output side in pixels.
    device: where batches land; a CUDA device makes DALI decode on the GPU (``mixed``).
    num_threads: DALI CPU threads, or torchvision worker processes (0 = in the main process).
    ``files`` skips the folder scan; ``classes`` fixes the class order (train's, for val).
    ``skip_bad``: drop and count images that fail to decode (torchvision; see the module docstring).
    """
    if batch_size < 1 or resolution < 1:
        raise ConfigError(f"batch_size and resolution must be positive, got {batch_size} and {resolution}")
    if not (0 <= shard_id < num_shards):
        raise ConfigError(f"shard_id must be in 0..num_shards-1, got {shard_id} of {num_shards}")
    files = files or scan_split(data_dir, split, classes)
    kind = resolve_loader(loader)
    dev = torch.device(device)
    kw = dict(batch_size=batch_size, resolution=resolution, train=train, device=dev, augment=augment,
              num_threads=num_threads, shard_id=shard_id, num_shards=num_shards, seed=seed, skip_bad=skip_bad)
    if kind == "dali":
        return DaliLoader(files, **kw)
    return TorchvisionLoader(files, **kw)


def _num_batches(n: int, batch_size: int, drop_last: bool) -> int:
    return n // batch_size if drop_last else -(-n // batch_size)


class _Loader:
    """What every loader holds: its split, batch size, mode and target device (see :func:`make_loader`)."""

    name = "loader"

    def __init__(self, files: SplitFiles, batch_size: int, train: bool, device: torch.device,
                 skip_bad: bool = False) -> None:
        self.files = files
        self.batch_size = batch_size
        self.train = train
        self.device = device
        self.skip_bad = skip_bad
        #: ``"path: why"`` of every image dropped in the current (or last) pass
        self.bad_seen: list[str] = []

    def _root(self) -> str:
        """The dataset folder (``ROOT/split/class/file``), for messages."""
        from pathlib import Path

        return str(Path(self.files.files[0]).parents[2]) if len(self.files) else "DIR"


# -- DALI -----------------------------------------------------------------------------------------
class DaliLoader(_Loader):
    """DALI pipeline: GPU (``mixed`` decode, GPU ops) on a CUDA device, else all ops on the CPU."""

    def __init__(self, files: SplitFiles, *, batch_size, resolution, train, device, augment, num_threads,
                 shard_id, num_shards, seed, skip_bad=False) -> None:
        from nvidia.dali import fn, pipeline_def, types
        from nvidia.dali.plugin.pytorch import DALIGenericIterator, LastBatchPolicy

        super().__init__(files, batch_size, train, device, skip_bad)
        gpu = device.type == "cuda"
        self.name = "dali-gpu" if gpu else "dali-cpu"
        n = len(files)  # DALI shards are contiguous ranges of the file list
        self.num_samples = n * (shard_id + 1) // num_shards - n * shard_id // num_shards
        dec, op = ("mixed", "gpu") if gpu else ("cpu", "cpu")

        @pipeline_def
        def pipe():
            jpegs, labels = fn.readers.file(
                files=list(files.files), labels=list(files.labels), random_shuffle=train,
                shard_id=shard_id, num_shards=num_shards, pad_last_batch=not train, name="Reader",
                initial_fill=min(1024, max(len(files), 1)), seed=seed,
            )
            if train:
                images = fn.decoders.image_random_crop(
                    jpegs, device=dec, output_type=types.RGB, random_area=list(augment.crop_scale),
                    random_aspect_ratio=list(augment.crop_ratio), num_attempts=10,
                )
                images = fn.resize(images, device=op, resize_x=resolution, resize_y=resolution,
                                   interp_type=types.INTERP_LINEAR, antialias=True)
                mirror = fn.random.coin_flip(probability=0.5) if augment.hflip else 0
            else:
                images = fn.decoders.image(jpegs, device=dec, output_type=types.RGB)
                images = fn.resize(images, device=op, resize_shorter=augment.val_resize(resolution),
                                   interp_type=types.INTERP_LINEAR, antialias=True)
                mirror = 0
            images = fn.crop_mirror_normalize(
                images, device=op, dtype=types.FLOAT, output_layout="CHW", crop=(resolution, resolution),
                mean=[m * 255 for m in MEAN], std=[s * 255 for s in STD], mirror=mirror,
            )
            return images, labels

        kw = dict(batch_size=batch_size, num_threads=max(1, num_threads), seed=seed, prefetch_queue_depth=2)
        if gpu:
            kw["device_id"] = device.index if device.index is not None else torch.cuda.current_device()
        else:
            kw["device_id"] = None
        self._pipe = pipe(**kw)
        self._pipe.build()
        n_batches = _num_batches(self.num_samples, batch_size, train)
        try:  # the iterator runs the first batch now: a bad file can fail here already
            self._it = DALIGenericIterator(
                [self._pipe], ["images", "labels"], reader_name="Reader", auto_reset=True,
                last_batch_policy=LastBatchPolicy.DROP if train else LastBatchPolicy.PARTIAL,
            )
        except RuntimeError as exc:
            raise self._data_error(exc) from None
        self._len = len(self._it) if self._it is not None else n_batches

    def _data_error(self, exc: BaseException) -> DatasetError:
        """One line from DALI's multi-line pipeline error (the 'encountered:' detail)."""
        self._it = self._pipe = None  # DALI: "Current pipeline object is no longer valid"
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        detail = next((lines[i + 1] for i, ln in enumerate(lines[:-1]) if ln.startswith("encountered")),
                      lines[0] if lines else type(exc).__name__)
        return DatasetError(
            f"DALI could not read or decode an image ({detail[:200]}); find it with "
            f"'python -m gpunet_ray.data check {self._root()} --decode', then delete or replace it "
            "(the torchvision loader with skip_bad drops and counts such images)"
        )

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        self.bad_seen = []
        if self._it is None:
            raise DatasetError("this DALI loader failed earlier (see the first error) or was closed")
        it = iter(self._it)
        while True:
            try:
                batch = next(it)
            except StopIteration:
                return
            except RuntimeError as exc:
                raise self._data_error(exc) from None
            x = batch[0]["images"]
            y = batch[0]["labels"].reshape(-1).to(device=self.device, dtype=torch.long, non_blocking=True)
            yield x, y

    def set_epoch(self, epoch: int) -> None:
        """DALI reshuffles by itself every epoch (seeded at construction)."""

    def close(self) -> None:
        """Release the pipeline (its threads and buffers) now rather than at garbage collection."""
        self._it = None
        self._pipe = None


# -- torchvision ----------------------------------------------------------------------------------
class _FileDataset(torch.utils.data.Dataset):
    """``(image, label, "")``, or ``(None, label, "path: why")`` for a file that fails to read or
    decode (decided in the main process: see :meth:`TorchvisionLoader.__iter__`)."""

    def __init__(self, files: list[str], labels: list[int], transform) -> None:
        self.files, self.labels, self.transform = files, labels, transform

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int):
        from torchvision.io import ImageReadMode, decode_image, read_file

        try:
            img = decode_image(read_file(self.files[i]), mode=ImageReadMode.RGB)
        except (RuntimeError, OSError, ValueError) as exc:
            why = re.sub(r"\s*\S*\.cpp:\d+,", "", " ".join(str(exc).split()))[:160] or type(exc).__name__
            return None, self.labels[i], f"{self.files[i]}: cannot be decoded ({why})"
        return self.transform(img), self.labels[i], ""


def _collate_skipping(items):
    """Stack the decodable samples; return the others' messages alongside."""
    good = [(x, y) for x, y, _ in items if x is not None]
    bad = [msg for x, _, msg in items if x is None]
    if good:
        xs, ys = zip(*good)
        return torch.stack(xs), torch.tensor(ys, dtype=torch.long), bad
    return None, torch.zeros(0, dtype=torch.long), bad


class TorchvisionLoader(_Loader):
    """``torch.utils.data.DataLoader`` over torchvision's JPEG decoder and ``transforms.v2``."""

    name = "torchvision"

    def __init__(self, files: SplitFiles, *, batch_size, resolution, train, device, augment, num_threads,
                 shard_id, num_shards, seed, skip_bad=False) -> None:
        from torchvision.transforms import InterpolationMode
        from torchvision.transforms import v2

        super().__init__(files, batch_size, train, device, skip_bad)
        self.seed = seed
        self._epoch = 0
        self._shard = (shard_id, num_shards)
        if train:
            tf = [v2.RandomResizedCrop(resolution, scale=augment.crop_scale, ratio=augment.crop_ratio,
                                       interpolation=InterpolationMode.BILINEAR, antialias=True)]
            if augment.hflip:
                tf.append(v2.RandomHorizontalFlip(0.5))
        else:
            tf = [v2.Resize(augment.val_resize(resolution), interpolation=InterpolationMode.BILINEAR, antialias=True),
                  v2.CenterCrop(resolution)]
        tf += [v2.ToDtype(torch.float32, scale=True), v2.Normalize(MEAN, STD)]
        self._ds = _FileDataset(list(files.files), list(files.labels), v2.Compose(tf))
        self._workers = max(0, int(num_threads))
        self.num_samples = len(files) // num_shards if train else len(range(shard_id, len(files), num_shards))

    def __len__(self) -> int:
        return _num_batches(self.num_samples, self.batch_size, self.train)

    def _indices(self) -> list[int]:
        shard_id, num_shards = self._shard
        n = len(self._ds)
        if self.train:
            g = torch.Generator().manual_seed(self.seed * 100_003 + self._epoch)
            order = torch.randperm(n, generator=g).tolist()
            per = n // num_shards
            return order[shard_id * per:(shard_id + 1) * per]
        return list(range(shard_id, n, num_shards))

    def set_epoch(self, epoch: int) -> None:
        """Reshuffle deterministically for ``epoch`` (called by the training loop)."""
        self._epoch = int(epoch)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        # A fresh DataLoader per pass: its worker processes end with the pass, so no worker
        # outlives an epoch or is inherited by the next loader's forked workers.
        dl = torch.utils.data.DataLoader(
            self._ds, batch_size=self.batch_size, sampler=_EpochSampler(self), drop_last=self.train,
            num_workers=self._workers, pin_memory=self.device.type == "cuda",
            prefetch_factor=4 if self._workers else None, collate_fn=_collate_skipping,
        )
        self.bad_seen = []
        for x, y, bad in dl:
            if bad:
                self.bad_seen.extend(bad)
                if not self.skip_bad:
                    raise DatasetError(
                        f"{bad[0]}; delete or replace it (find all such files with 'python -m gpunet_ray.data "
                        f"check {self._root()} --decode'), or set skip_bad to drop and count them"
                    )
            if x is None:  # every image of this batch was dropped
                continue
            yield (x.to(self.device, non_blocking=True), y.to(self.device, dtype=torch.long, non_blocking=True))
        self._epoch += 1

    def close(self) -> None:
        """Nothing to release between epochs (workers end with each pass)."""


class _EpochSampler(torch.utils.data.Sampler):
    """Indices of the owner's current epoch (read when each epoch's iteration starts)."""

    def __init__(self, owner: TorchvisionLoader) -> None:
        self.owner = owner

    def __iter__(self):
        return iter(self.owner._indices())

    def __len__(self) -> int:
        return self.owner.num_samples
