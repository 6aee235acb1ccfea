"""The named search spaces (the published GPUNet space, the CPU-sized ``tiny`` one), their
registry, and YAML/JSON space files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gpunet_ray.errors import ConfigError

from .space import SearchSpace, StageSpec, _steps

__all__ = ["get_space", "list_spaces", "register_space", "load_space"]

_EXP = (2, 3, 4, 5, 6)


def _gpunet_space() -> SearchSpace:
    """The published GPUNet space (Wang et al., CVPR 2022, Table 1)."""
    r = range
    return SearchSpace(
        name="gpunet",
        stages=(
            StageSpec("conv", 2, (1,), _steps(24, 32, 8)),
            StageSpec("conv", 1, tuple(r(1, 5)), _steps(24, 32, 8)),
            StageSpec("fused_irb", 2, tuple(r(1, 9)), _steps(32, 80, 16), expansions=_EXP),
            StageSpec("fused_irb", 2, tuple(r(1, 9)), _steps(48, 112, 16), expansions=_EXP),
            StageSpec("irb", 2, tuple(r(1, 11)), _steps(96, 192, 16), expansions=_EXP),
            StageSpec("irb", 1, tuple(r(0, 16)), _steps(112, 224, 16), expansions=_EXP),
            StageSpec("irb", 2, tuple(r(1, 16)), _steps(128, 416, 32), expansions=_EXP),
            StageSpec("irb", 1, tuple(r(0, 16)), _steps(256, 832, 64), expansions=_EXP),
        ),
        resolutions=_steps(224, 512, 32),
        tail_channels=1280,
    )


def _tiny_space() -> SearchSpace:
    """Same block plan at CPU scale; onnxruntime-cpu (1 thread) latencies of ~0.2-3 ms.

    Calibrated on a 2-core x86 box so that budgets of 0.5-2 ms split random architectures
    (see docs/BENCHMARKS.md, "tiny space calibration").
    """
    r = range
    return SearchSpace(
        name="tiny",
        stages=(
            StageSpec("conv", 2, (1,), (8, 16)),
            StageSpec("conv", 1, (1, 2), (8, 16)),
            StageSpec("fused_irb", 2, tuple(r(1, 3)), _steps(16, 32, 8), expansions=(2, 3, 4)),
            StageSpec("fused_irb", 2, tuple(r(1, 3)), _steps(24, 48, 8), expansions=(2, 3, 4)),
            StageSpec("irb", 2, tuple(r(1, 4)), _steps(32, 64, 16), expansions=(2, 3, 4, 5, 6)),
            StageSpec("irb", 1, tuple(r(0, 3)), _steps(48, 80, 16), expansions=(2, 3, 4, 5, 6)),
            StageSpec("irb", 2, tuple(r(1, 4)), _steps(64, 128, 32), expansions=(2, 3, 4, 5, 6)),
            StageSpec("irb", 1, tuple(r(0, 3)), _steps(96, 160, 32), expansions=(2, 3, 4, 5, 6)),
        ),
        resolutions=_steps(64, 128, 16),
        tail_channels=256,
    )


_REGISTRY: dict[str, Any] = {"gpunet": _gpunet_space, "tiny": _tiny_space}


def register_space(name: str, factory) -> None:
    """Register a space factory (a zero-argument callable returning a SearchSpace)."""
    _REGISTRY[name] = factory


def list_spaces() -> list[str]:
    return sorted(_REGISTRY)


def get_space(name: str) -> SearchSpace:
    """A registered space by name, or a YAML/JSON space file by path."""
    if name in _REGISTRY:
        return _REGISTRY[name]()
    if name.endswith((".yaml", ".yml", ".json")):
        return load_space(name)
    raise ConfigError(f"unknown space {name!r}; use one of {', '.join(list_spaces())} or a YAML space file")


def load_space(path: str | Path) -> SearchSpace:
    import yaml

    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"space file {str(p)!r} does not exist")
    try:
        d = yaml.safe_load(p.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"space file {str(p)!r} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(d, dict):
        raise ConfigError(f"space file {str(p)!r} must hold a mapping with 'stages' and 'resolutions'")
    d.setdefault("name", p.stem)
    return SearchSpace.from_dict(d)
