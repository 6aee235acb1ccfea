"""Checkpoint I/O of the training loop: the ``state.pt`` a run writes every epoch, and reading it.

A checkpoint folder holds ``state.pt`` (``torch.save`` of a plain dict, format
:data:`CHECKPOINT_FORMAT`: ``arch``, ``arch_hash``, ``epoch``, ``model``, ``optimizer``, ``ema``,
``scaler``, ``recipe``, ``history``, ``torch_rng``) and ``arch.json`` (the network's GPUNet JSON).
Files are written to a ``.part`` sibling and renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch

from gpunet_ray.errors import ConfigError

__all__ = [
    "CHECKPOINT_FILE",
    "WEIGHTS_FILE",
    "CHECKPOINT_FORMAT",
    "load_checkpoint",
    "save_checkpoint",
    "save_atomic",
    "write_arch_json",
]

CHECKPOINT_FILE = "state.pt"
WEIGHTS_FILE = "weights.pt"
CHECKPOINT_FORMAT = 1


def load_checkpoint(path: str | Path) -> dict:
    """Read a checkpoint written by :func:`~gpunet_ray.trainables.loop.train` (a folder holding
    ``state.pt``, or the file)."""
    p = Path(path)
    if p.is_dir():
        p = p / CHECKPOINT_FILE
    if not p.is_file():
        raise ConfigError(f"no checkpoint at {str(p)!r}")
    try:
        state = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001
        raise ConfigError(f"cannot read checkpoint {str(p)!r}: {str(exc).splitlines()[0][:200]}") from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise ConfigError(f"{str(p)!r} is not a gpunet_ray training checkpoint (format {CHECKPOINT_FORMAT})")
    return state


def save_atomic(obj: Any, path: Path) -> None:
    """``torch.save(obj)`` to ``path`` through a ``.part`` sibling renamed into place."""
    tmp = path.with_name(path.name + ".part")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def write_arch_json(folder: Path, spec: Any) -> None:
    """``folder/arch.json``: the GPUNet JSON of ``spec`` (an ArchSpec)."""
    (folder / "arch.json").write_text(json.dumps(spec.to_gpunet_json(), indent=1) + "\n")


def save_checkpoint(state: dict, checkpoint_dir: Path, spec: Any) -> None:
    """Write ``state`` as ``checkpoint_dir/state.pt`` (atomically) and the network's ``arch.json``."""
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    save_atomic(state, checkpoint_dir / CHECKPOINT_FILE)
    write_arch_json(checkpoint_dir, spec)
