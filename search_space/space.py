"""Search spaces: :class:`SearchSpace` (the named ones, ``gpunet`` and ``tiny``, are in :mod:`.spaces`).

A :class:`SearchSpace` is data (a frozen dataclass that round-trips through YAML/dicts). It
decodes choices into an :class:`ArchSpec`, checks whether an ``ArchSpec`` belongs to it
(:meth:`SearchSpace.validate`), and maps specs to and from a unit-cube vector for optimisers:
every dimension is a finite list of choices, and choice ``i`` of ``n`` is encoded as the centre of
its bin, ``(i + 0.5) / n``, so integer, ordinal and categorical dimensions round-trip exactly.

Within a stage, every layer shares one setting; the first layer carries the stage's stride.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Iterable, Sequence

import numpy as np

from gpunet_ray.errors import ConfigError, InvalidArchitecture

from .spec import ACTIVATIONS, ArchSpec, Layer
from .blocks import STAGE_CHOICES, blocks_with_role, get_block

__all__ = ["StageSpec", "SearchSpace", "Dim"]


def _steps(lo: int, hi: int, step: int) -> tuple[int, ...]:
    return tuple(range(lo, hi + 1, step))


@dataclass(frozen=True)
class StageSpec:
    """Choices for one stage. ``depths`` may contain 0 (the stage can be skipped)."""

    block: str
    stride: int
    depths: tuple[int, ...]
    filters: tuple[int, ...]
    kernels: tuple[int, ...] = (3, 5)
    expansions: tuple[float, ...] = ()
    se: tuple[bool, ...] = (False, True)
    acts: tuple[str, ...] = ACTIVATIONS

    def __post_init__(self) -> None:
        for name in ("depths", "filters", "kernels", "expansions", "se", "acts"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if self.block not in blocks_with_role("block"):
            raise ConfigError(f"stage block must be one of {blocks_with_role('block')}, got {self.block!r}")
        if self.stride not in (1, 2):
            raise ConfigError(f"stage stride must be 1 or 2, got {self.stride!r}")
        if not self.depths or min(self.depths) < 0 or not self.filters or min(self.filters) <= 0:
            raise ConfigError("a stage needs non-empty depths (>= 0) and filters (> 0)")
        used = self.choices()
        dims = {c.dim for c in used}
        if (("kernel" in dims and not self.kernels) or ("act" in dims and not self.acts)
                or any(a not in ACTIVATIONS for a in self.acts)):
            raise ConfigError(f"a stage needs kernels and acts (from {ACTIVATIONS})")
        for c in STAGE_CHOICES:
            if c not in used:  # choices the block type does not take are dropped
                object.__setattr__(self, c.field, ())
        wanted = [c.field for c in used if c.dim in ("expansion", "se")]
        if any(not getattr(self, f) for f in wanted):
            raise ConfigError(f"{self.block} stages need {' and '.join(wanted)} choices")

    def choices(self) -> tuple:
        """The :data:`~gpunet_ray.search_space.blocks.STAGE_CHOICES` this stage's block type takes."""
        dims = get_block(self.block).stage_dims
        return tuple(c for c in STAGE_CHOICES if c.dim in dims)


@dataclass(frozen=True)
class Dim:
    """One optimiser dimension: a named, finite list of choices."""

    name: str
    choices: tuple
    kind: str  # "int" | "ordinal" | "categorical"

    @property
    def n(self) -> int:
        return len(self.choices)

    def encode(self, value: Any) -> float:
        from gpunet_ray.searchers import choice_to_unit  # the one unit-cube encoding (numpy only)

        return choice_to_unit(self.choices, value)

    def decode(self, x: float) -> Any:
        from gpunet_ray.searchers import unit_to_choice

        return unit_to_choice(self.choices, x)


@dataclass(frozen=True)
class SearchSpace:
    """A GPUNet-style space: a fixed stage plan with per-stage choices, plus input resolution."""

    name: str
    stages: tuple[StageSpec, ...]
    resolutions: tuple[int, ...]
    tail_channels: int = 1280
    num_classes: int = 1000
    in_chs: int = 3
    _dims: tuple = field(default=(), init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "stages", tuple(self.stages))
        object.__setattr__(self, "resolutions", tuple(self.resolutions))
        if not self.stages or self.stages[0].stride != 2 or self.stages[0].block != "conv":
            raise ConfigError("stage 0 must be a stride-2 conv stage (the stem)")
        if 0 in self.stages[0].depths:
            raise ConfigError("stage 0 (the stem) cannot have depth 0")
        if not self.resolutions:
            raise ConfigError("a space needs at least one resolution")
        object.__setattr__(self, "_dims", tuple(self._make_dims()))

    # -- dimensions --------------------------------------------------------------------------
    def _make_dims(self) -> Iterable[Dim]:
        yield Dim("resolution", self.resolutions, "ordinal")
        for i, st in enumerate(self.stages):
            yield Dim(f"s{i}_depth", st.depths, "int")
            yield Dim(f"s{i}_filters", st.filters, "ordinal")
            for c in st.choices():
                yield Dim(f"s{i}_{c.dim}", getattr(st, c.field), c.kind)

    @property
    def all_dims(self) -> tuple[Dim, ...]:
        return self._dims

    @property
    def dims(self) -> tuple[Dim, ...]:
        """Dimensions with more than one choice: the optimiser's coordinates."""
        return tuple(d for d in self._dims if d.n > 1)

    @property
    def ndim(self) -> int:
        return len(self.dims)

    def size(self) -> int:
        """Number of distinct configurations (an upper bound on distinct networks)."""
        return int(np.prod([d.n for d in self.dims], dtype=object))

    # -- config dict <-> ArchSpec --------------------------------------------------------------
    def from_config(self, config: dict) -> ArchSpec:
        """Build the ArchSpec for a flat choice dict (missing constant dims take their only value)."""
        vals = {}
        for d in self._dims:
            if d.name in config:
                v = config[d.name]
                if v not in d.choices:
                    raise InvalidArchitecture(
                        f"{d.name}={v!r} is outside the space {self.name!r} (choices: {_fmt(d.choices)})"
                    )
                vals[d.name] = v
            elif d.n == 1:
                vals[d.name] = d.choices[0]
            else:
                raise InvalidArchitecture(f"config is missing {d.name!r} for space {self.name!r}")
        layers: list[Layer] = []
        prev = self.in_chs
        for i, st in enumerate(self.stages):
            depth = vals[f"s{i}_depth"]
            for j in range(depth):
                kw: dict[str, Any] = dict(
                    type=st.block,
                    in_chs=prev,
                    out_chs=vals[f"s{i}_filters"],
                    stride=st.stride if j == 0 else 1,
                    stage=i,
                )
                kw.update({c.attr: vals[f"s{i}_{c.dim}"] for c in st.choices()})
                layers.append(Layer(**kw))
                prev = kw["out_chs"]
        layers.append(Layer(type="tail", in_chs=prev, out_chs=self.tail_channels, num_classes=self.num_classes))
        return ArchSpec(resolution=vals["resolution"], layers=tuple(layers))

    def to_config(self, spec: ArchSpec) -> dict:
        """The flat choice dict of a spec in this space (raises InvalidArchitecture otherwise).

        Stages of depth 0 report their first choice for the stage's other dimensions.
        """
        if spec.distill:
            raise InvalidArchitecture(f"distilled (D) models are not in the space {self.name!r}")
        if spec.resolution not in self.resolutions:
            raise InvalidArchitecture(
                f"resolution {spec.resolution} is outside the space {self.name!r} (choices: {_fmt(self.resolutions)})"
            )
        if spec.in_chs != self.in_chs:
            raise InvalidArchitecture(f"the network takes {spec.in_chs} input channels; the space uses {self.in_chs}")
        tail = spec.layers[-1]
        if tail.type != "tail":
            raise InvalidArchitecture("the network has no tail (classifier) layer")
        if tail.out_chs != self.tail_channels:
            raise InvalidArchitecture(
                f"tail: num_out_channels {tail.out_chs} differs from the space's {self.tail_channels}"
            )
        if tail.num_classes != self.num_classes:
            raise InvalidArchitecture(
                f"tail: num_classes {tail.num_classes} differs from the space's {self.num_classes} "
                "(use space.with_num_classes)"
            )
        groups = self._group(spec)
        config: dict[str, Any] = {"resolution": spec.resolution}
        for i, st in enumerate(self.stages):
            layers = groups.get(i, [])
            where = f"stage {i} ({st.block})"
            if len(layers) not in st.depths:
                raise InvalidArchitecture(f"{where}: depth {len(layers)} is outside the choices {_fmt(st.depths)}")
            if not layers:
                config.update(self._default_stage(i, st))
                continue
            first = layers[0]
            for j, layer in enumerate(layers):
                if layer.type != st.block:
                    raise InvalidArchitecture(f"{where}, layer {j}: block {layer.type!r}, expected {st.block!r}")
                stride = st.stride if j == 0 else 1
                if layer.stride != stride:
                    raise InvalidArchitecture(f"{where}, layer {j}: stride {layer.stride}, expected {stride}")
                for attr in ("out_chs", "kernel", "expansion", "use_se", "act"):
                    if getattr(layer, attr) != getattr(first, attr):
                        raise InvalidArchitecture(
                            f"{where}, layer {j}: {attr} {getattr(layer, attr)!r} differs from the stage's first "
                            f"layer ({getattr(first, attr)!r}); all layers of a stage share one setting"
                        )
            checks = [("filters", first.out_chs, st.filters)]
            checks += [(c.dim, getattr(first, c.attr), getattr(st, c.field)) for c in st.choices()]
            for name, val, choices in checks:
                if val not in choices:
                    raise InvalidArchitecture(f"{where}: {name} {val!r} is outside the choices {_fmt(choices)}")
                config[f"s{i}_{name}"] = val
            config[f"s{i}_depth"] = len(layers)
        return config

    def _default_stage(self, i: int, st: StageSpec) -> dict:
        out = {f"s{i}_depth": 0, f"s{i}_filters": st.filters[0]}
        out.update({f"s{i}_{c.dim}": getattr(st, c.field)[0] for c in st.choices()})
        return out

    def _group(self, spec: ArchSpec) -> dict[int, list[Layer]]:
        """Layers by stage, as their block types present them to a space (an NVIDIA ``head`` counts
        as a 3x3 stride-2 conv stem, stage 0)."""
        groups: dict[int, list[Layer]] = {}
        last_stage = -1
        for idx, layer in enumerate(spec.layers[:-1]):
            layer = get_block(layer.type).space_layer(layer)
            stage = layer.stage
            if stage is None or not (0 <= stage < len(self.stages)):
                raise InvalidArchitecture(
                    f"layer {idx} ({layer.type}): stage label {stage!r} is not a stage of the space "
                    f"{self.name!r} (0..{len(self.stages) - 1})"
                )
            if stage < last_stage:
                raise InvalidArchitecture(f"layer {idx} ({layer.type}): stage {stage} comes after stage {last_stage}")
            last_stage = stage
            groups.setdefault(stage, []).append(layer)
        return groups

    def validate(self, spec: ArchSpec) -> ArchSpec:
        """Raise :class:`InvalidArchitecture` (naming stage and field) unless ``spec`` is in the space."""
        self.to_config(spec)
        return spec

    def contains(self, spec: ArchSpec) -> bool:
        try:
            self.to_config(spec)
        except InvalidArchitecture:
            return False
        return True

    # -- unit cube -----------------------------------------------------------------------------
    def encode(self, spec: ArchSpec) -> np.ndarray:
        """``spec`` -> vector in [0, 1]^ndim (bin centres)."""
        return self.config_to_vector(self.to_config(spec))

    def decode(self, x: Sequence[float]) -> ArchSpec:
        return self.from_config(self.vector_to_config(x))

    def config_to_vector(self, config: dict) -> np.ndarray:
        return np.array([d.encode(config[d.name]) for d in self.dims], dtype=float)

    def vector_to_config(self, x: Sequence[float]) -> dict:
        x = np.asarray(x, dtype=float)
        if x.shape != (self.ndim,):
            raise ValueError(f"expected a vector of length {self.ndim}, got shape {x.shape}")
        cfg = {d.name: d.decode(v) for d, v in zip(self.dims, x)}
        return cfg

    def canonical_config(self, config: dict) -> dict:
        """Same network, with dims of skipped (depth 0) stages reset: a duplicate-free key."""
        cfg = dict(config)
        for i, st in enumerate(self.stages):
            if cfg.get(f"s{i}_depth", 1) == 0:
                cfg.update(self._default_stage(i, st))
        return cfg

    # -- sampling and neighbourhoods -----------------------------------------------------------
    def sample_configs(self, rng: np.random.Generator, n: int = 1) -> list[dict]:
        return [{d.name: d.choices[int(rng.integers(d.n))] for d in self.dims} for _ in range(n)]

    def sample(self, rng: np.random.Generator, n: int = 1) -> list[ArchSpec]:
        """``n`` uniformly sampled choice vectors, as specs (seeded by ``rng``)."""
        return [self.from_config(c) for c in self.sample_configs(rng, n)]

    def neighbours(self, spec: ArchSpec) -> list[ArchSpec]:
        """All specs one step away: ordinal/int dims +-1 choice, categorical dims any other value."""
        cfg = self.to_config(spec)
        out, seen = [], {spec.hash}
        for d in self.dims:
            i = d.choices.index(cfg[d.name])
            if d.kind == "categorical":
                alts = [j for j in range(d.n) if j != i]
            else:
                alts = [j for j in (i - 1, i + 1) if 0 <= j < d.n]
            for j in alts:
                s = self.from_config({**cfg, d.name: d.choices[j]})
                if s.hash not in seen:
                    seen.add(s.hash)
                    out.append(s)
        return out

    def mutate(self, spec: ArchSpec, rng: np.random.Generator, n_changes: int = 1) -> ArchSpec:
        """A random neighbour after ``n_changes`` single-dimension moves (never ``spec`` itself)."""
        cur = spec
        for _ in range(max(1, n_changes)):
            nbrs = self.neighbours(cur)
            nbrs = [s for s in nbrs if s != spec] or nbrs
            cur = nbrs[int(rng.integers(len(nbrs)))]
        return cur

    # -- data ----------------------------------------------------------------------------------
    def with_num_classes(self, num_classes: int) -> "SearchSpace":
        return replace(self, num_classes=int(num_classes))

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("_dims", None)
        for st in d["stages"]:
            for k, v in st.items():
                if isinstance(v, tuple):
                    st[k] = list(v)
        d["resolutions"] = list(self.resolutions)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "SearchSpace":
        try:
            stages = tuple(StageSpec(**_expand_ranges(s)) for s in d["stages"])
            rest = {k: v for k, v in d.items() if k not in ("stages", "resolutions")}
            return cls(stages=stages, resolutions=tuple(_expand(d["resolutions"])), **rest)
        except (KeyError, TypeError) as exc:
            raise ConfigError(f"malformed search space definition: {exc}") from None


def _expand(v: Any) -> list:
    """YAML convenience: ``{min: 24, max: 32, step: 8}`` expands to ``[24, 32]``."""
    if isinstance(v, dict):
        return list(_steps(int(v["min"]), int(v["max"]), int(v.get("step", 1))))
    return list(v)


def _expand_ranges(s: dict) -> dict:
    return {k: (_expand(v) if k in ("depths", "filters") else v) for k, v in s.items()}


def _fmt(choices: Sequence) -> str:
    c = list(choices)
    if len(c) > 3 and all(isinstance(v, int) and not isinstance(v, bool) for v in c):
        steps = {b - a for a, b in zip(c, c[1:])}
        if len(steps) == 1:
            return f"{c[0]}..{c[-1]} step {steps.pop()}"
    return ", ".join(map(str, c))
