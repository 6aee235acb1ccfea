"""Models as a library: :func:`create_model` (timm-style) and :func:`load_model` (a hub's trained network).

    import gpunet_ray
    model = gpunet_ray.create_model("gpunet-1")                              # the released GPUNet-1, untrained
    model = gpunet_ray.create_model("gpunet-0", weights="imported/weights.pt").eval()
    model = gpunet_ray.create_model("arch.json", num_classes=10)           # any GPUNet JSON / arch string / ArchSpec
    model = gpunet_ray.load_model("results/run1", budget_ms=0.85)          # hub train's weights, eval mode

torch is imported inside the functions: importing this module stays cheap.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConfigError
from .search_space import ArchSpec, as_spec
from .search_space.presets import PRESETS, get_preset

if TYPE_CHECKING:  # pragma: no cover
    import torch

    from .search_space.builder import GPUNet

__all__ = ["create_model", "load_model", "list_models", "preset_name", "resolve_arch", "load_weights",
           "model_dir"]

WEIGHTS_FILE = "weights.pt"  # the name trainables.checkpoint and ``hub import-nvidia`` write
ARCH_FILE = "arch.json"


def list_models() -> list[str]:
    """The preset names :func:`create_model` takes (NVIDIA's released GPUNets)."""
    return list(PRESETS)


def preset_name(name: str) -> str | None:
    """The preset key for ``name`` (``"GPUNet-0"``, ``"gpunet_0"``, ``"gpunet0"`` -> ``"gpunet-0"``), or None."""
    key = name.strip().lower().replace("_", "-")
    if key.startswith("gpunet") and not key.startswith("gpunet-"):
        key = "gpunet-" + key[len("gpunet"):]
    return key if key in PRESETS else None


def resolve_arch(name_or_arch: Any) -> ArchSpec:
    """An :class:`ArchSpec` from a preset name, an ArchSpec, an arch string, GPUNet JSON (text or list)
    or the path of a GPUNet JSON file."""
    if isinstance(name_or_arch, str):
        key = preset_name(name_or_arch)
        if key is not None:
            return get_preset(key)
        s = name_or_arch.strip()
        if not (":" in s or s.startswith("[") or s.lower().endswith(".json") or Path(s).is_file()):
            raise ConfigError(f"unknown model {name_or_arch!r}; use a preset ({', '.join(PRESETS)}), an arch string, "
                              "GPUNet JSON or a .json file")
    return as_spec(name_or_arch)


def _classifier(model: "torch.nn.Module") -> str:
    """Name of the network's last ``nn.Linear`` (the classifier)."""
    from torch import nn

    return [n for n, m in model.named_modules() if isinstance(m, nn.Linear)][-1]


def load_weights(spec: ArchSpec, weights: str | Path, num_classes: int | None = None,
                 prefer_ema: bool = True, what: str | None = None) -> "GPUNet":
    """``build_model(spec)`` with the weights in the file ``weights``.

    The file may hold this project's plain state_dict (``hub train``, ``import-nvidia``), a training
    checkpoint (this project's, timm's or NVIDIA's: EMA weights first) or NVIDIA's GPUNet layout; it
    is read with ``torch.load(weights_only=True)``. The classifier size follows the weights; a
    different ``num_classes`` keeps every other tensor and starts a new classifier (as timm does).
    Every tensor's name and shape is checked: a mismatch is a :class:`ConfigError` naming it.
    """
    from .nvidia import match_state_dict, nvidia_key_map, read_checkpoint
    from .search_space.builder import build_model

    ck = read_checkpoint(weights, prefer_ema=prefer_ema)
    model = build_model(spec)
    fc = _classifier(model) + ".weight"
    src = nvidia_key_map(spec, [fc])[fc] if ck.layout == "nvidia" else fc
    got = ck.state_dict.get(src)
    if got is not None and got.dim() == 2 and got.shape[0] != spec.num_classes:
        spec = spec.with_num_classes(int(got.shape[0]))
        model = build_model(spec)
    what = what or f"{spec.arch_string[:60]}{'...' if len(spec.arch_string) > 60 else ''}"
    state = match_state_dict(spec, ck.state_dict, ck.layout, what=what, model=model)
    model.load_state_dict(state, strict=True)
    if num_classes is not None and num_classes != spec.num_classes:
        fresh = build_model(spec, num_classes=num_classes)
        head = _classifier(fresh)
        keep = {k: v for k, v in state.items() if not k.startswith(head + ".")}
        missing, unexpected = fresh.load_state_dict(keep, strict=False)
        assert not unexpected and all(k.startswith(head + ".") for k in missing), (missing, unexpected)
        model = fresh
    return model


def create_model(name_or_arch: Any, weights: str | Path | None = None, num_classes: int | None = None,
                 drop_path_rate: float = 0.0) -> "GPUNet":
    """A GPUNet ``nn.Module``, timm-style: ``create_model("gpunet-0", weights=PATH)``.

    name_or_arch: a preset (:func:`list_models`: ``gpunet-0/1/2/p0/p1/d1/d2``, in any case:
    ``GPUNet-0``, ``gpunet_0``), an arch string, GPUNet JSON (text or list), a ``.json`` file or an
    :class:`ArchSpec`. weights: a weights file (see :func:`load_weights`); None builds fresh,
    randomly initialised weights. num_classes: the classifier size (default: the architecture's,
    or the weights'). The module is returned in training mode, as timm and torchvision do; call
    ``.eval()`` for inference. Input: ``batch x 3 x R x R`` with R = ``model.resolution``.
    """
    from .search_space.builder import build_model

    spec = resolve_arch(name_or_arch)
    if num_classes is not None and (not isinstance(num_classes, int) or isinstance(num_classes, bool)
                                    or num_classes < 1):
        raise ConfigError(f"num_classes must be a positive integer, got {num_classes!r}")
    if weights is None:
        return build_model(spec, num_classes=num_classes, drop_path_rate=drop_path_rate)
    label = preset_name(name_or_arch) if isinstance(name_or_arch, str) else None
    model = load_weights(spec, weights, num_classes=num_classes, what=label)
    if drop_path_rate:  # the rate never changes the parameters: rebuild and copy
        fresh = build_model(model.spec, drop_path_rate=drop_path_rate)
        fresh.load_state_dict(model.state_dict(), strict=True)
        model = fresh
    return model


def _hint_train(hub: Path, tier: str) -> str:
    return f"python -m gpunet_ray.hub train --hub {hub} --tier {tier} --data DIR"


def model_dir(hub_or_dir: str | Path, tier: str | None = None, budget_ms: float | None = None,
              backend: str | None = None, device: str | None = None) -> Path:
    """The folder holding ``arch.json`` + ``weights.pt`` of a trained network.

    ``hub_or_dir``: such a folder (``hub train``'s output, an ``import-nvidia`` folder), or a hub
    (a search's ``--out``), in which case the tier is ``tier``, the most accurate one meeting
    ``budget_ms`` (optionally on ``backend`` / ``device``), or the only one; its weights are those
    of ``hub train`` (``models/<tier>/final/``). A missing file is a :class:`ConfigError` saying
    what to run.
    """
    from .hub import query_hub, read_hub

    d = Path(hub_or_dir)
    if (d / ARCH_FILE).is_file() and not (d / "hub.parquet").is_file():
        if not (d / WEIGHTS_FILE).is_file():
            raise ConfigError(f"{str(d)!r} has arch.json but no {WEIGHTS_FILE}; train it (hub train) or import "
                              "weights (python -m gpunet_ray.hub import-nvidia)")
        return d
    if not (d / "hub.parquet").is_file():
        raise ConfigError(f"{str(d)!r} holds neither a hub (hub.parquet) nor a model (arch.json + {WEIGHTS_FILE}); "
                          "pass a search's --out, a 'hub train' output or an 'import-nvidia' folder")
    hub = read_hub(d)
    if tier is not None and budget_ms is not None:
        raise ConfigError("pass tier or budget_ms, not both")
    if tier is None and budget_ms is None:
        if len(hub) != 1:
            raise ConfigError(f"the hub {str(d)!r} has {len(hub)} tiers; pass tier= (one of "
                              f"{', '.join(hub['tier'])}) or budget_ms=")
        tier = str(hub["tier"].iloc[0])
    elif tier is None:
        tier = str(query_hub(hub, budget_ms, backend, device)["tier"])
    elif not (hub["tier"] == tier).any():
        raise ConfigError(f"no tier {tier!r} in the hub {str(d)!r}; tiers: {', '.join(hub['tier'])}")
    for cand in (d / "models" / tier / "final", d / "models" / tier):
        if (cand / WEIGHTS_FILE).is_file() and (cand / ARCH_FILE).is_file():
            return cand
    raise ConfigError(f"tier {tier!r} has no trained weights ({d / 'models' / tier / 'final' / WEIGHTS_FILE} is "
                      f"missing); run: {_hint_train(d, tier)}")


def load_model(hub_or_dir: str | Path, tier: str | None = None, budget_ms: float | None = None, *,
               backend: str | None = None, device: str | None = None,
               map_location: "str | torch.device" = "cpu") -> "GPUNet":
    """The trained network of a hub tier or a model folder, with its weights, in eval mode.

    See :func:`model_dir` for how the folder is found; ``arch.json`` fixes the network (its
    classifier has the trained dataset's classes). ``map_location``: where the module is put.
    """
    d = model_dir(hub_or_dir, tier=tier, budget_ms=budget_ms, backend=backend, device=device)
    spec = as_spec(d / ARCH_FILE)
    model = load_weights(spec, d / WEIGHTS_FILE)
    return model.to(map_location).eval()
