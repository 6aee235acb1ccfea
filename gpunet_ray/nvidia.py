"""NVIDIA's pretrained GPUNet checkpoints -> this project's networks (``hub import-nvidia``).

NVIDIA's builder (DeepLearningExamples, ``PyTorch/Classification/GPUNet/models/gpunet_builder.py``)
adds each entry of the JSON list to one ``nn.Sequential`` called ``network``, under a name made of
the layer type, its ``stage`` label and its position ``n`` in the list (``data`` is entry 1):

==============  ==================================  ==================================
layer           plain GPUNets (0/1/2/P0/P1)         distilled GPUNets (D1/D2)
==============  ==================================  ==================================
head            ``head: n``                         ``head:`` (also ``head_large``)
conv            ``stage: S layern``                 --
fused_irb, irb  ``stage: S layern``                 ``stage: S fused_irbn`` / ``irbn``
tail            `` layern`` (a leading space)       ``tail:``
==============  ==================================  ==================================

Inside a layer only the stem, the plain conv's BN and the classifier are named differently from
this project's modules (:data:`_SUBMODULES`); every parameter and buffer comes in the same order
with the same shape. The mapping is derived from the network's structure (never a per-model key
table), and every tensor's name and shape is checked before anything is written.

Checkpoints come in the two forms NVIDIA's own ``torch.hub`` code reads: timm's training checkpoint
(GPUNet-0/1/2/D1/D2: ``state_dict`` and ``state_dict_ema`` with ``module.`` prefixes, ``args`` as an
``argparse.Namespace``, ``epoch`` ...), whose EMA weights NVIDIA evaluates, and a plain
``state_dict`` (P0/P1). Both are read with ``torch.load(weights_only=True)``: no code is unpickled.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from .errors import ConfigError
from .search_space import ArchSpec

if TYPE_CHECKING:  # pragma: no cover
    from torch import nn

__all__ = ["Checkpoint", "read_checkpoint", "nvidia_module_name", "nvidia_key_map", "match_state_dict",
           "import_nvidia", "NVIDIA_PREFIX"]

NVIDIA_PREFIX = "network."

#: (layer type, distilled) -> {this project's first sub-module name: NVIDIA's}.
_SUBMODULES: dict[tuple[str, bool], dict[str, str]] = {
    ("head", False): {"conv": "net.0", "bn": "net.1"},  # Prologue: conv, BN, act in a Sequential
    ("conv", False): {"conv": "conv", "bn": "bn1"},  # ConvBnAct
    ("fused_irb", False): {n: n for n in ("conv_exp", "bn1", "se", "conv_pwl", "bn2")},  # EdgeResidual
    ("irb", False): {n: n for n in ("conv_pw", "bn1", "conv_dw", "bn2", "se", "conv_pwl", "bn3")},  # InvertedResidual
    ("tail", False): {"conv": "net.0", "bn": "net.1", "fc": "net.6"},  # Epilogue: ..., pool, flatten, dropout, fc
    ("head", True): {str(i): f"net.{i}" for i in (0, 1)},  # PrologueD
    ("head_large", True): {str(i): f"net.{i}" for i in (0, 1, 3, 4, 6, 7)},  # PrologueLargeD
    ("fused_irb", True): {"body": "body"},  # Fused_IRB
    ("irb", True): {"body": "body"},  # Inverted_Residual_Block
    ("tail", True): {str(i): f"net.{i}" for i in (0, 1, 4, 8)},  # EpilogueD
}

#: Checkpoint wrappers, in order of preference: (key, which weights it holds).
_WRAPPERS = (("state_dict_ema", "ema"), ("model_ema", "ema"), ("state_dict", "raw"), ("model", "raw"))


@dataclass(frozen=True)
class Checkpoint:
    """The state_dict chosen from a checkpoint file, ``module.`` prefixes removed.

    key: the wrapper it came from (``state_dict_ema``, ``state_dict`` ...; None for a plain
    state_dict); weights: ``"ema"`` or ``"raw"``; layout: ``"nvidia"`` (keys under ``network.``)
    or ``"gpunet_ray"`` (this project's ``build_model`` names); epoch: the training epoch when the
    checkpoint records one.
    """

    path: Path
    state_dict: dict
    key: str | None
    weights: str
    layout: str
    epoch: int | None = None

    @property
    def form(self) -> str:
        return "state_dict" if self.key is None else "training checkpoint"


def _load_file(path: Path) -> Any:
    """``torch.load(weights_only=True)``, allowing ``argparse.Namespace`` (timm's ``args``) and
    nothing else that is not a tensor or plain data; a refused or unreadable file is a ConfigError."""
    import argparse

    import torch

    if not path.is_file():
        raise ConfigError(f"checkpoint {str(path)!r} does not exist")
    try:
        with torch.serialization.safe_globals([argparse.Namespace]):
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - every unreadable file is the same user error
        text = str(exc)
        m = re.search(r"Unsupported global: GLOBAL ([\w.]+)", text)
        if m:
            raise ConfigError(
                f"refusing {str(path)!r}: it holds a pickled object of type {m.group(1)}, and checkpoints are read "
                "weights-only (tensors, plain data and argparse.Namespace); export a plain state_dict"
            ) from None
        first = next((ln.strip() for ln in text.splitlines() if ln.strip()), type(exc).__name__)
        raise ConfigError(f"cannot read {str(path)!r} as a torch checkpoint ({first[:200]})") from None


def _strip_module(sd: Mapping[str, Any], path: Path) -> dict:
    out: dict = {}
    for k, v in sd.items():
        if not isinstance(k, str):
            raise ConfigError(f"{str(path)!r}: the state_dict has a non-string key {k!r}")
        name = k
        for prefix in ("module.", "_orig_mod."):  # DistributedDataParallel, torch.compile
            name = name[len(prefix):] if name.startswith(prefix) else name
        if name in out:
            raise ConfigError(f"{str(path)!r}: the state_dict holds {name!r} twice (with and without a prefix)")
        out[name] = v
    return out


def read_checkpoint(path: str | Path, prefer_ema: bool = True) -> Checkpoint:
    """Read a checkpoint file and choose its weights (EMA first when ``prefer_ema``).

    Accepted: a plain state_dict; a training checkpoint holding ``state_dict_ema`` / ``model_ema``
    / ``state_dict`` / ``model`` (timm's, NVIDIA's); a checkpoint written by this project's
    training loop (``ema`` / ``model``). Keys may carry ``module.`` (DistributedDataParallel) and
    ``_orig_mod.`` (``torch.compile``) prefixes.
    """
    import torch

    p = Path(path)
    obj = _load_file(p)
    if not isinstance(obj, Mapping) or not obj:
        raise ConfigError(f"{str(p)!r} holds a {type(obj).__name__}, not a state_dict or a training checkpoint")
    key, which = None, "raw"
    if not all(isinstance(v, torch.Tensor) for v in obj.values()):
        wrappers = _WRAPPERS
        if obj.get("format") == 1 and ("ema" in obj or "model" in obj):  # this project's trainables/checkpoint.py
            wrappers = (("ema", "ema"), ("model", "raw"))
        for k, w in wrappers:
            if (prefer_ema or w == "raw") and isinstance(obj.get(k), Mapping) and obj[k]:
                key, which = k, w
                break
        else:
            keys = ", ".join(sorted(map(str, obj))[:8])
            raise ConfigError(f"{str(p)!r} holds no state_dict (its keys: {keys}); pass a state_dict or a training "
                              "checkpoint with 'state_dict' / 'state_dict_ema'")
    sd = _strip_module(obj if key is None else obj[key], p)
    bad = next((k for k, v in sd.items() if not isinstance(v, torch.Tensor)), None)
    if bad is not None:
        raise ConfigError(f"{str(p)!r}: {bad!r} in its state_dict is a {type(sd[bad]).__name__}, not a tensor")
    layout = "nvidia" if any(k.startswith(NVIDIA_PREFIX) for k in sd) else "gpunet_ray"
    epoch = obj.get("epoch") if key is not None else None
    epoch = epoch if isinstance(epoch, int) and not isinstance(epoch, bool) else None
    return Checkpoint(path=p, state_dict=sd, key=key, weights=which, layout=layout, epoch=epoch)


def nvidia_module_name(spec: ArchSpec, index: int) -> str:
    """NVIDIA's name of ``spec.layers[index]`` inside ``network`` (see the table in the module doc)."""
    layer = spec.layers[index]
    n = index + 2  # NVIDIA counts the JSON entries from 1, the data entry first
    if layer.type in ("head", "head_large"):
        return "head:" if spec.distill else f"head: {n}"
    if layer.type == "tail":
        return "tail:" if spec.distill else f" layer{n}"
    if layer.stage is None:
        raise ConfigError(f"layer {index + 1} ({layer.type}) has no stage label, which NVIDIA's module names "
                          "carry; pass NVIDIA's JSON (--arch) or a preset (--model)")
    return f"stage: {layer.stage} " + (f"{layer.type}{n}" if spec.distill else f"layer{n}")


def nvidia_key_map(spec: ArchSpec, own_keys: Any) -> dict[str, str]:
    """``{this project's key: NVIDIA's key}`` for the keys of ``build_model(spec).state_dict()``
    (``own_keys``, in order), e.g. ``"0.conv.weight" -> "network.head: 2.net.0.weight"``."""
    out: dict[str, str] = {}
    names: dict[int, str] = {}
    for key in own_keys:
        idx, _, rest = key.partition(".")
        i = int(idx)
        layer = spec.layers[i]
        table = _SUBMODULES.get((layer.type, spec.distill))
        first, _, tail = rest.partition(".")
        if table is None or first not in table:
            raise ConfigError(f"layer {i + 1} ({layer.type}): no NVIDIA checkpoint layout is known for "
                              f"its tensor {rest!r}")
        if i not in names:
            names[i] = nvidia_module_name(spec, i)
        out[key] = f"{NVIDIA_PREFIX}{names[i]}.{table[first]}.{tail}"
    return out


def _shape(t: Any) -> str:
    return "no such tensor" if t is None else str(tuple(t.shape))


def match_state_dict(spec: ArchSpec, sd: Mapping[str, Any], layout: str, what: str = "the network",
                     model: "nn.Module | None" = None) -> dict:
    """``sd`` (in ``layout``: ``"nvidia"`` or ``"gpunet_ray"``) as a state_dict of
    ``build_model(spec)``, every tensor's name and shape checked, in the model's order.

    The first tensor that does not fit raises :class:`ConfigError` naming it (key, expected shape,
    got shape). A missing ``num_batches_tracked`` (older checkpoints) keeps the model's value;
    floating-point tensors take the model's dtype.
    """
    from .search_space.builder import build_model

    own = (model if model is not None else build_model(spec)).state_dict()
    names = nvidia_key_map(spec, own) if layout == "nvidia" else {k: k for k in own}
    theirs_in_order = list(sd)
    out: dict = {}
    for pos, (ours, theirs) in enumerate(names.items()):
        want, got = own[ours], sd.get(theirs)
        if got is None and ours.endswith("num_batches_tracked"):
            out[ours] = want.clone()
            continue
        if got is None or tuple(got.shape) != tuple(want.shape):
            there = ""
            if got is None and pos < len(theirs_in_order):  # what the checkpoint holds in its place
                k = theirs_in_order[pos]
                there = f" (its tensor {pos + 1} is {k!r} {_shape(sd[k])})"
            raise ConfigError(f"the checkpoint does not fit {what}: tensor {theirs!r} expected shape "
                              f"{tuple(want.shape)}, got {_shape(got)}{there}")
        out[ours] = got.to(want.dtype)
    used = set(names.values())
    extra = next((k for k in sd if k not in used), None)
    if extra is not None:
        raise ConfigError(f"the checkpoint does not fit {what}: tensor {extra!r} expected none (it is not part "
                          f"of it), got {_shape(sd[extra])}")
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def import_nvidia(checkpoint: str | Path, spec: ArchSpec, out: str | Path, *, name: str | None = None,
                  prefer_ema: bool = True) -> dict:
    """Import an NVIDIA GPUNet checkpoint for ``spec`` into the folder ``out``.

    Writes ``arch.json`` (GPUNet JSON), ``weights.pt`` (a plain state_dict of ``build_model(spec)``,
    ``torch.load(weights_only=True)``), ``model.onnx`` and ``metrics.json`` (what was imported).
    Everything is checked, then written into a temporary sibling folder renamed to ``out`` at the
    end: on any error nothing is left. ``out`` must not exist or be an empty folder.
    Returns the metrics. ``name``: how messages and metrics name the network (a preset name).
    """
    import torch

    from .search_space.builder import build_model, count_params, export_onnx

    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(f"{str(out)!r} already exists and is not an empty folder; choose another --out")
    what = name or f"the architecture {spec.arch_string[:60]}"
    ck = read_checkpoint(checkpoint, prefer_ema=prefer_ema)
    if ck.layout != "nvidia":
        first = next(iter(ck.state_dict))
        raise ConfigError(f"{str(ck.path)!r} is not in NVIDIA's GPUNet layout (its first tensor {first!r} is not "
                          f"under 'network.'); load this project's own weights with create_model(..., weights=)")
    model = build_model(spec)
    state = match_state_dict(spec, ck.state_dict, "nvidia", what, model=model)
    model.load_state_dict(state, strict=True)
    model.eval()
    metrics = {
        "source": str(ck.path.resolve()),
        "sha256": _sha256(ck.path),
        "model": name,
        "arch": spec.arch_string,
        "hash": spec.hash,
        "resolution": spec.resolution,
        "num_classes": spec.num_classes,
        "checkpoint_form": ck.form,
        "checkpoint_key": ck.key,
        "weights": ck.weights,
        "epoch": ck.epoch,
        "tensors": len(ck.state_dict),
        "params": count_params(model),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.partial-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        (tmp / "arch.json").write_text(spec.dumps() + "\n")
        torch.save({k: v.detach().clone() for k, v in model.state_dict().items()}, tmp / "weights.pt")
        export_onnx(model, tmp / "model.onnx")
        (tmp / "metrics.json").write_text(json.dumps(metrics, indent=1) + "\n")
        if out.is_dir():
            out.rmdir()  # empty (checked above)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return metrics
