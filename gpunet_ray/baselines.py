"""Hand-designed baselines inside a search space, uniformly scaled (EfficientNet-style compound scaling).

Two families, each a sequence of configs from the smallest to the largest network of the space:

* ``gpunet-like``: GPUNet-1's pattern -- 3x3 kernels, swish in the Fused-IRB and first IRB stages,
  relu later, SE in the strided IRB stages, a middle expansion ratio;
* ``mbv2-like``: MobileNetV2's pattern -- 3x3 kernels, relu, no SE, the largest expansion.

Which choices a stage's block type prefers in a family is the block type's own declaration
(:meth:`gpunet_ray.search_space.blocks.BlockType.baseline_wishes`). At a scale ``t`` in [0, 1],
every stage takes the choice at fraction ``t`` of its depth and width lists and the input
resolution at fraction ``t`` of the resolution list. For a latency budget the driver
trains the largest member of each family that meets it, with the search's own proxy recipe.
"""

from __future__ import annotations

import numpy as np

from .search_space import ArchSpec, SearchSpace, get_block

__all__ = ["FAMILIES", "baseline_family"]

FAMILIES = ("gpunet-like", "mbv2-like")


def _at(choices: tuple, t: float):
    return choices[int(round(t * (len(choices) - 1)))]


def _mid(choices: tuple):
    return choices[(len(choices) - 1) // 2]


#: What each family wants of every stage, before the block type's own wishes
#: (:meth:`BlockType.baseline_wishes`): ``act`` / ``se`` values (``None``: the stage's first choice),
#: ``expansion``: the middle or the largest choice.
_FAMILY_DEFAULTS = {
    "gpunet-like": {"act": None, "se": False, "expansion": "mid"},
    "mbv2-like": {"act": "relu", "se": False, "expansion": "max"},
}


def _pick(wish, choices: tuple):
    return wish if wish in choices else choices[0]


def baseline_config(space: SearchSpace, family: str, t: float) -> dict:
    if family not in FAMILIES:
        raise ValueError(f"unknown baseline family {family!r}; choose from {FAMILIES}")
    cfg: dict = {"resolution": _at(space.resolutions, t)}
    for i, st in enumerate(space.stages):
        cfg[f"s{i}_depth"] = _at(tuple(d for d in st.depths if d > 0) or st.depths, t)
        cfg[f"s{i}_filters"] = _at(st.filters, t)
        wish = {**_FAMILY_DEFAULTS[family], **get_block(st.block).baseline_wishes(family, st, space.stages[:i])}
        for c in st.choices():
            options = getattr(st, c.field)
            if c.dim == "kernel":
                cfg[f"s{i}_kernel"] = 3 if 3 in options else options[0]
            elif c.dim == "expansion":
                cfg[f"s{i}_expansion"] = _mid(options) if wish["expansion"] == "mid" else options[-1]
            else:
                cfg[f"s{i}_{c.dim}"] = _pick(wish[c.dim], options)
    return cfg


def baseline_family(space: SearchSpace, family: str, steps: int = 6) -> list[tuple[str, ArchSpec]]:
    """``steps`` networks from smallest to largest, named ``<family>@<t>`` (distinct networks only)."""
    out: list[tuple[str, ArchSpec]] = []
    seen: set[str] = set()
    for t in np.linspace(0.0, 1.0, steps):
        spec = space.from_config(baseline_config(space, family, float(t)))
        if spec.hash not in seen:
            seen.add(spec.hash)
            out.append((f"{family}@{t:.2f}", spec))
    return out
