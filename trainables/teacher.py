"""Knowledge-distillation teachers: reading a teacher given in any accepted form, and loading it.

:func:`resolve_teacher` turns what a CLI or trial config gives (a pair, a mapping,
``"ARCH.json,WEIGHTS"`` or a folder) into ``(arch, weights_path)``; :func:`load_teacher` builds
the frozen teacher network from them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import torch
from torch import nn

from gpunet_ray.errors import ConfigError
from gpunet_ray.search_space import ArchSpec, as_spec

from .checkpoint import CHECKPOINT_FILE, CHECKPOINT_FORMAT, WEIGHTS_FILE

__all__ = ["load_teacher", "resolve_teacher"]


def _strip_prefixes(sd: Mapping[str, Any]) -> dict:
    out = {}
    for k, v in sd.items():
        for prefix in ("module.", "model.", "_orig_mod."):
            while k.startswith(prefix):
                k = k[len(prefix):]
        out[k] = v
    return out


def _tail_weight_key(spec: ArchSpec) -> str:
    idx = len(spec.layers) - 1
    return f"{idx}.8.weight" if spec.distill else f"{idx}.fc.weight"


def _read_state_dict(p: Path) -> dict:
    """The plain ``state_dict`` in the weights file ``p`` (wrappers unwrapped, prefixes stripped)."""
    if not p.is_file():
        raise ConfigError(f"teacher weights {str(p)!r} do not exist; pass a torch state_dict file")
    try:
        sd = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the same user error
        msg = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise ConfigError(f"cannot read teacher weights {str(p)!r} as a plain state_dict ({msg})") from None
    if (isinstance(sd, dict) and sd.get("format") == CHECKPOINT_FORMAT
            and isinstance(sd.get("ema") or sd.get("model"), dict)):
        sd = sd.get("ema") or sd["model"]  # a checkpoint written by train(): prefer its EMA weights
    for key in ("state_dict", "model", "state_dict_ema"):
        if isinstance(sd, dict) and key in sd and isinstance(sd[key], dict):
            sd = sd[key]
            break
    if not isinstance(sd, dict):
        raise ConfigError(f"teacher weights {str(p)!r} hold a {type(sd).__name__}, not a state_dict")
    return _strip_prefixes(sd)


def load_teacher(arch: Any, weights: str | Path, num_classes: int | None = None,
                 device: str | torch.device = "cpu") -> nn.Module:
    """A frozen teacher for knowledge distillation.

    arch: the teacher's GPUNet JSON / arch string / ArchSpec. weights: a file holding a plain
    ``state_dict`` (read with ``torch.load(weights_only=True)``: never unpickles objects; a
    ``{"state_dict": ...}``/``{"model": ...}`` wrapper and ``module.`` prefixes are accepted).
    """
    from gpunet_ray.search_space.builder import build_model

    spec = as_spec(arch)
    p = Path(weights)
    sd = _read_state_dict(p)
    tail = sd.get(_tail_weight_key(spec))
    classes = int(tail.shape[0]) if isinstance(tail, torch.Tensor) else spec.num_classes
    model = build_model(spec, num_classes=classes)
    try:
        model.load_state_dict(sd, strict=True)
    except RuntimeError as exc:
        first = " ".join(str(exc).split())[:300]
        raise ConfigError(f"teacher weights {str(p)!r} do not match the teacher architecture: {first}") from None
    if num_classes is not None and classes != num_classes:
        raise ConfigError(f"the teacher predicts {classes} classes but the dataset has {num_classes}")
    model.eval().requires_grad_(False)
    return model.to(device)


def _from_folder(d: Path, t: str) -> tuple[Path, Path]:
    """``(arch.json, weights)`` in a teacher folder, such as the ``out_dir`` of
    :func:`~gpunet_ray.trainables.loop.final_train`."""
    if not (d / "arch.json").is_file():
        raise ConfigError(f"teacher folder {t!r} has no arch.json (the teacher's GPUNet JSON)")
    for name in (WEIGHTS_FILE, CHECKPOINT_FILE):
        if (d / name).is_file():
            return d / "arch.json", d / name
    cands = sorted(p for p in d.iterdir() if p.suffix in (".pt", ".pth"))
    if len(cands) == 1:
        return d / "arch.json", cands[0]
    raise ConfigError(
        f"teacher folder {t!r} needs exactly one weights file (*.pt, *.pth); found {len(cands)}"
    )


def resolve_teacher(teacher: Any) -> tuple[Any, Path]:
    """``(arch, weights_path)`` from the forms a CLI or config may give.

    Accepted: a ``(arch, weights)`` pair; ``{"arch": ..., "weights": ...}``; ``"ARCH.json,WEIGHTS"``
    (comma-separated); or a folder holding ``arch.json`` and one weights file (``weights.pt``,
    ``state.pt`` or a single ``*.pt``/``*.pth``) -- e.g. the ``out_dir`` of
    :func:`~gpunet_ray.trainables.loop.final_train`.
    """
    if isinstance(teacher, Mapping):
        if "arch" not in teacher or "weights" not in teacher:
            raise ConfigError("a teacher mapping needs 'arch' (GPUNet JSON) and 'weights' (state_dict file)")
        return teacher["arch"], Path(teacher["weights"])
    if isinstance(teacher, (tuple, list)) and len(teacher) == 2:
        return teacher[0], Path(teacher[1])
    if isinstance(teacher, (str, Path)):
        t = str(teacher)
        if "," in t:
            arch, weights = (x.strip() for x in t.split(",", 1))
            return Path(arch), Path(weights)
        d = Path(t)
        if d.is_dir():
            return _from_folder(d, t)
    raise ConfigError(
        f"cannot read the teacher {teacher!r}: pass 'ARCH.json,WEIGHTS.pt' or a folder with arch.json + weights"
    )
