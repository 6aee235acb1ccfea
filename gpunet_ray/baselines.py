"""Hand-designed baselines inside a search space, uniformly scaled (EfficientNet-style compound scaling).

Two families, each a sequence of configs from the smallest to the largest network of the space:

* ``gpunet-like``: GPUNet-1's pattern -- 3x3 kernels, swish in the Fused-IRB and first IRB stages,
  relu later, SE in the strided IRB stages, a middle expansion ratio;
* ``mbv2-like``: MobileNetV2's pattern -- 3x3 kernels, relu, no SE, the largest expansion.

At a scale ``t`` in [0, 1], every stage takes the choice at fraction ``t`` of its depth and width lists
and the input resolution at fraction ``t`` of the resolution list. For a latency budget the driver
trains the largest member of each family that meets it, with the search's own proxy recipe.
"""

from __future__ import annotations

import numpy as np

from .search_space import ArchSpec, SearchSpace

__all__ = ["FAMILIES", "baseline_family"]

FAMILIES = ("gpunet-like", "mbv2-like")


def _at(choices: tuple, t: float):
    return choices[int(round(t * (len(choices) - 1)))]


def _mid(choices: tuple):
    return choices[(len(choices) - 1) // 2]


def baseline_config(space: SearchSpace, family: str, t: float) -> dict:
    if family not in FAMILIES:
        raise ValueError(f"unknown baseline family {family!r}; choose from {FAMILIES}")
    cfg: dict = {"resolution": _at(space.resolutions, t)}
    n_strided_irb = 0
    for i, st in enumerate(space.stages):
        cfg[f"s{i}_depth"] = _at(tuple(d for d in st.depths if d > 0) or st.depths, t)
        cfg[f"s{i}_filters"] = _at(st.filters, t)
        cfg[f"s{i}_kernel"] = 3 if 3 in st.kernels else st.kernels[0]
        if family == "gpunet-like":
            swish = st.block == "fused_irb" or (st.block == "irb" and n_strided_irb == 0 and st.stride == 2)
            act = "swish" if swish and "swish" in st.acts else st.acts[0]
        else:
            act = "relu" if "relu" in st.acts else st.acts[0]
        cfg[f"s{i}_act"] = act
        if st.block != "conv":
            if family == "gpunet-like":
                cfg[f"s{i}_expansion"] = _mid(st.expansions)
                want_se = st.block == "irb" and st.stride == 2
            else:
                cfg[f"s{i}_expansion"] = st.expansions[-1]
                want_se = False
            cfg[f"s{i}_se"] = want_se if want_se in st.se else st.se[0]
            if st.block == "irb" and st.stride == 2:
                n_strided_irb += 1
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
