"""Hand-designed baselines inside a search space, scaled in depth, width and resolution separately.

Two families, each a sequence of configs from the smallest to the largest network of the space:

* ``gpunet-like``: GPUNet-1's pattern -- 3x3 kernels, swish in the Fused-IRB and first IRB stages,
  relu later, SE in the strided IRB stages, a middle expansion ratio;
* ``mbv2-like``: MobileNetV2's pattern -- 3x3 kernels, relu, no SE, the largest expansion.

Which choices a stage's block type prefers in a family is the block type's own declaration
(:meth:`gpunet_ray.search_space.blocks.BlockType.baseline_wishes`). A member is a point
``(d, w, r)`` in [0, 1]^3: every stage takes the choice at fraction ``d`` of its depth list and
``w`` of its width list, the input the choice at fraction ``r`` of the resolution list.

The anchor is EfficientNet's compound scaling (Tan & Le, ICML 2019): depth, width and resolution
grow together, ``d = w = r = t``. Moving all three at once jumps (on the tiny space 11 -> 41 MMACs
between neighbours), so the family takes every point within one grid step of that diagonal
(``max(d, w, r) - min(d, w, r) <= 1 / (levels - 1)``: the dimensions advance one at a time, as a
staircase around the compound path), orders them by MACs, and keeps ``steps`` of them spaced
evenly in log MACs. For a latency budget the driver measures them all and trains the largest
member of each family that meets it, with the search's own proxy recipe.
"""

from __future__ import annotations

import numpy as np

from .search_space import ArchSpec, SearchSpace, get_block

__all__ = ["FAMILIES", "baseline_family", "baseline_config", "staircase"]

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


def _config_at(space: SearchSpace, family: str, d: float, w: float, r: float) -> dict:
    """The family's config with depth, width and resolution at their own fractions."""
    cfg = baseline_config(space, family, d)
    cfg["resolution"] = _at(space.resolutions, r)
    for i, st in enumerate(space.stages):
        cfg[f"s{i}_filters"] = _at(st.filters, w)
    return cfg


def staircase(levels: int) -> list[tuple[float, float, float]]:
    """The ``(d, w, r)`` grid points within one step of the compound-scaling diagonal ``d = w = r``."""
    g = [i / (levels - 1) for i in range(levels)]
    return [(g[a], g[b], g[c]) for a in range(levels) for b in range(levels) for c in range(levels)
            if max(a, b, c) - min(a, b, c) <= 1]


def baseline_family(space: SearchSpace, family: str, steps: int = 6, levels: int = 9) -> list[tuple[str, ArchSpec]]:
    """At most ``steps`` distinct networks, smallest to largest MACs, named ``<family>@d<d>w<w>r<r>``.

    The candidates are the :func:`staircase` points of a ``levels``-level grid (see the module
    docstring); the smallest and largest are always kept, the rest chosen nearest to ``steps``
    targets spaced evenly in log MACs.
    """
    from .search_space.stats import arch_stats

    if family not in FAMILIES:
        raise ValueError(f"unknown baseline family {family!r}; choose from {FAMILIES}")
    pool: dict[str, tuple[float, str, ArchSpec]] = {}
    for d, w, r in staircase(max(2, int(levels))):
        spec = space.from_config(_config_at(space, family, d, w, r))
        if spec.hash not in pool:
            pool[spec.hash] = (float(arch_stats(spec).macs), f"{family}@d{d:.2f}w{w:.2f}r{r:.2f}", spec)
    ranked = sorted(pool.values(), key=lambda m: (m[0], m[1]))
    if len(ranked) > steps >= 2:
        logs = np.log(np.maximum([m[0] for m in ranked], 1.0))
        chosen: list[int] = []
        for target in np.linspace(logs[0], logs[-1], steps):
            free = [i for i in range(len(ranked)) if i not in chosen]
            chosen.append(min(free, key=lambda i: (abs(logs[i] - target), i)))
        ranked = [ranked[i] for i in sorted(chosen)]
    elif steps < 2:
        ranked = ranked[-1:]
    return [(name, spec) for _, name, spec in ranked]
