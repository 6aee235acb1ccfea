"""Mixed search domains and their one encoding.

A :class:`Domain` is an ordered list of :class:`Param` (continuous, log-continuous, integer, ordinal,
categorical) plus optional constants. It maps configs (flat dicts keyed by ``Param.name``) to two
vector views:

* the *unit* view ``u in [0, 1]^P`` (one coordinate per parameter) used for sampling (Sobol,
  uniform, perturbations); categorical value ``i`` of ``n`` sits at the bin centre ``(i + .5)/n``;
* the *feature* view ``x in [0, 1]^D`` used by the models (k-means, SVM, GP): numeric parameters
  keep their unit coordinate, categorical parameters are one-hot.

Integer, ordinal and categorical parameters round-trip exactly through both views. Pure numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from gpunet_ray.errors import ConfigError

__all__ = ["Param", "Domain", "KINDS"]

KINDS = ("float", "log", "int", "ordinal", "categorical")


def _jsonable(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


@dataclass(frozen=True)
class Param:
    """One dimension.

    kind: ``float`` (uniform on [low, high]), ``log`` (log-uniform, low > 0), ``int`` (integers
    low..high inclusive, step ``q``; ``log=True`` spaces them log-uniformly), ``ordinal`` (ordered
    ``choices``), ``categorical`` (unordered ``choices``). ``q`` quantises ``float``/``log`` values.
    """

    name: str
    kind: str
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    q: float | None = None
    log: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "choices", tuple(_jsonable(c) for c in self.choices))
        if self.kind not in KINDS:
            raise ConfigError(f"parameter {self.name!r}: kind must be one of {KINDS}, got {self.kind!r}")
        if self.kind in ("ordinal", "categorical"):
            if len(self.choices) < 1:
                raise ConfigError(f"parameter {self.name!r}: {self.kind} needs at least one choice")
            return
        if self.low is None or self.high is None or not (float(self.high) >= float(self.low)):
            raise ConfigError(f"parameter {self.name!r}: needs low <= high, got {self.low!r}, {self.high!r}")
        if (self.kind == "log" or self.log) and float(self.low) <= 0:
            raise ConfigError(f"parameter {self.name!r}: log scale needs low > 0, got {self.low!r}")
        if self.kind == "int":
            object.__setattr__(self, "low", int(self.low))
            object.__setattr__(self, "high", int(self.high))
            object.__setattr__(self, "q", int(self.q or 1))
            if self.q < 1:
                raise ConfigError(f"parameter {self.name!r}: integer step must be >= 1")

    # -- sizes -------------------------------------------------------------------------------
    @property
    def n(self) -> int | None:
        """Number of distinct values (None for continuous)."""
        if self.kind in ("ordinal", "categorical"):
            return len(self.choices)
        if self.kind == "int":
            return (self.high - self.low) // self.q + 1
        return None

    @property
    def width(self) -> int:
        """Columns in the feature view."""
        return len(self.choices) if self.kind == "categorical" else 1

    # -- unit view -----------------------------------------------------------------------------
    def to_unit(self, v: Any) -> float:
        k = self.kind
        if k in ("ordinal", "categorical"):
            try:
                i = self.choices.index(v)
            except ValueError:
                raise ConfigError(f"parameter {self.name!r}: {v!r} is not one of {list(self.choices)}") from None
            return (i + 0.5) / len(self.choices)
        if k == "int":
            if self.log and self.high > self.low:
                lo, hi = math.log(self.low), math.log(self.high + 1)
                return float(np.clip((math.log(float(v) + 0.5) - lo) / (hi - lo), 0.0, 1.0))
            i = (int(round(float(v))) - self.low) // self.q
            return (i + 0.5) / self.n
        lo, hi = float(self.low), float(self.high)
        if hi == lo:
            return 0.5
        if k == "log" or self.log:
            return float(np.clip((math.log(float(v)) - math.log(lo)) / (math.log(hi) - math.log(lo)), 0.0, 1.0))
        return float(np.clip((float(v) - lo) / (hi - lo), 0.0, 1.0))

    def from_unit(self, u: float) -> Any:
        u = float(np.clip(u, 0.0, 1.0))
        k = self.kind
        if k in ("ordinal", "categorical"):
            n = len(self.choices)
            return self.choices[min(int(u * n), n - 1)]
        if k == "int":
            if self.log and self.high > self.low:
                lo, hi = math.log(self.low), math.log(self.high + 1)
                v = int(math.floor(math.exp(lo + u * (hi - lo))))
                v = self.low + ((v - self.low) // self.q) * self.q
                return int(min(max(v, self.low), self.high))
            i = min(int(u * self.n), self.n - 1)
            return int(self.low + i * self.q)
        lo, hi = float(self.low), float(self.high)
        if k == "log" or self.log:
            v = math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
        else:
            v = lo + u * (hi - lo)
        if self.q:
            v = round(v / self.q) * self.q
            v = min(max(v, lo if lo % self.q == 0 else math.ceil(lo / self.q) * self.q),
                    hi if hi % self.q == 0 else math.floor(hi / self.q) * self.q)
        return float(min(max(v, lo), hi))

    def snap_vec(self, u: np.ndarray) -> np.ndarray:
        """Vectorised ``to_unit(from_unit(u))`` for an array of unit coordinates."""
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        k = self.kind
        if k in ("ordinal", "categorical") or (k == "int" and not (self.log and self.high > self.low)):
            n = self.n
            return (np.minimum(np.floor(u * n), n - 1) + 0.5) / n
        if k in ("float", "log") and not self.q:
            return u
        return np.array([self.to_unit(self.from_unit(v)) for v in u])

    def value_to_json(self, v: Any) -> Any:
        """JSON form of a value: the choice index for ordinal/categorical, the number otherwise."""
        if self.kind in ("ordinal", "categorical"):
            return self.choices.index(v)
        return int(v) if self.kind == "int" else float(v)

    def value_from_json(self, j: Any) -> Any:
        if self.kind in ("ordinal", "categorical"):
            return self.choices[int(j)]
        return int(j) if self.kind == "int" else float(j)

    def to_dict(self) -> dict:
        d = {"name": self.name, "kind": self.kind}
        if self.kind in ("ordinal", "categorical"):
            d["choices"] = list(self.choices)
        else:
            d.update(low=self.low, high=self.high)
            if self.q:
                d["q"] = self.q
            if self.log:
                d["log"] = True
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Param":
        d = dict(d)
        d["choices"] = tuple(d.get("choices", ()))
        return cls(**d)


@dataclass(frozen=True)
class Domain:
    """An ordered list of parameters, constants, and an optional canonicaliser for duplicate keys.

    ``canonical(config) -> config`` maps configs that describe the same object to one
    representative (e.g. :meth:`SearchSpace.canonical_config`); it is used only for duplicate
    detection. ``constants`` are added to every decoded config.
    """

    params: tuple[Param, ...]
    constants: dict = field(default_factory=dict)
    canonical: Callable[[dict], dict] | None = field(default=None, compare=False)
    nested: bool = False  # decode to nested dicts (Tune spaces), keys split on "/"

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", tuple(self.params))
        if not self.params:
            raise ConfigError("a search domain needs at least one parameter")
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise ConfigError(f"duplicate parameter names in domain: {names}")
        slices, c = [], 0
        for p in self.params:
            slices.append((c, c + p.width))
            c += p.width
        object.__setattr__(self, "_slices", tuple(slices))
        object.__setattr__(self, "_dim", c)
        numeric = np.array([p.kind != "categorical" for p in self.params])
        object.__setattr__(self, "_numeric", numeric)

    # -- sizes -------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.params)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]

    @property
    def dim(self) -> int:
        """Columns of the feature view."""
        return self._dim

    @property
    def numeric_mask(self) -> np.ndarray:
        """Per-parameter mask: True for float/log/int/ordinal (ordered) parameters."""
        return self._numeric

    def size(self) -> float:
        """Number of distinct configs (``inf`` with a continuous parameter)."""
        s = 1.0
        for p in self.params:
            if p.n is None:
                return math.inf
            s *= p.n
        return s

    # -- conversions ---------------------------------------------------------------------------
    def flat(self, config: dict) -> dict:
        """A (possibly nested) config as a flat dict of this domain's parameters."""
        if self.nested:
            config = _flatten(config)
        missing = [p.name for p in self.params if p.name not in config]
        if missing:
            raise ConfigError(f"config is missing parameter(s) {missing}")
        return {p.name: config[p.name] for p in self.params}

    def to_unit(self, configs: Sequence[dict]) -> np.ndarray:
        """configs -> array (n, P) in [0, 1]."""
        out = np.empty((len(configs), len(self.params)))
        for i, c in enumerate(configs):
            c = self.flat(c)
            for j, p in enumerate(self.params):
                out[i, j] = p.to_unit(c[p.name])
        return out

    def from_unit(self, U: np.ndarray) -> list[dict]:
        """array (n, P) -> configs (flat; see :meth:`to_config` for the user-facing form)."""
        U = np.atleast_2d(U)
        return [{p.name: p.from_unit(u[j]) for j, p in enumerate(self.params)} for u in U]

    def snap(self, U: np.ndarray) -> np.ndarray:
        """Project unit vectors onto representable values (bin centres, quantisation)."""
        U = np.atleast_2d(np.asarray(U, dtype=float))
        return np.column_stack([p.snap_vec(U[:, j]) for j, p in enumerate(self.params)])

    def config_to_json(self, flat: dict) -> list:
        return [p.value_to_json(flat[p.name]) for p in self.params]

    def config_from_json(self, j: Sequence) -> dict:
        return {p.name: p.value_from_json(v) for p, v in zip(self.params, j)}

    def unit_to_features(self, U: np.ndarray) -> np.ndarray:
        """(n, P) unit view -> (n, D) feature view (one-hot categoricals)."""
        U = np.atleast_2d(U)
        X = np.empty((U.shape[0], self._dim))
        for j, (p, (a, b)) in enumerate(zip(self.params, self._slices)):
            if p.kind == "categorical":
                n = p.width
                idx = np.minimum((np.clip(U[:, j], 0, 1) * n).astype(int), n - 1)
                X[:, a:b] = 0.0
                X[np.arange(U.shape[0]), a + idx] = 1.0
            else:
                X[:, a] = U[:, j]
        return X

    def features(self, configs: Sequence[dict]) -> np.ndarray:
        return self.unit_to_features(self.to_unit(configs))

    def to_config(self, flat: dict) -> dict:
        """Flat parameter dict -> the config handed to the user (constants added, nesting)."""
        out = {**self.constants, **flat}
        return _unflatten(out) if self.nested else out

    def key(self, config: dict) -> str:
        """Duplicate key: the canonical flat config, JSON-encoded."""
        import json

        c = self.flat(config)
        c = {p.name: p.from_unit(p.to_unit(c[p.name])) for p in self.params}  # representable value
        if self.canonical is not None:
            c = self.canonical(c)
        return json.dumps([_jsonable(c[n]) for n in self.names], default=str)

    # -- sampling -------------------------------------------------------------------------------
    def sobol(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` scrambled Sobol points in the unit view (n, P)."""
        from scipy.stats import qmc

        m = max(1, int(math.ceil(math.log2(max(n, 2)))))
        pts = qmc.Sobol(d=len(self.params), scramble=True, seed=rng).random_base2(m)
        return pts[:n]

    def uniform(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.random((n, len(self.params)))

    # -- description ---------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "params": [p.to_dict() for p in self.params],
            "constants": {k: _jsonable(v) for k, v in self.constants.items()},
            "nested": self.nested,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Domain":
        return cls(tuple(Param.from_dict(p) for p in d["params"]), dict(d.get("constants", {})),
                   nested=bool(d.get("nested", False)))

    # -- builders ------------------------------------------------------------------------------
    @classmethod
    def from_search_space(cls, space) -> "Domain":
        """The domain of a :class:`gpunet_ray.search_space.SearchSpace` (its ``dims``).

        ``int``/``ordinal`` dims become ordinal parameters, ``categorical`` dims categorical
        ones; configs are the space's flat choice dicts (``space.from_config`` builds the
        ArchSpec); ``space.canonical_config`` is the duplicate key.
        """
        params = []
        for d in space.dims:
            kind = "categorical" if d.kind == "categorical" else "ordinal"
            params.append(Param(d.name, kind, choices=tuple(d.choices)))
        return cls(tuple(params), canonical=space.canonical_config)

    @classmethod
    def from_tune(cls, param_space: dict) -> "Domain":
        """The domain of a Ray Tune param space (``tune.uniform``, ``loguniform``, ``randint``,
        ``qrandint``, ``lograndint``, ``quniform``, ``choice``, nested dicts; other values are
        constants). ``tune.grid_search`` and ``sample_from`` are rejected with ConfigError."""
        from ray.tune.search.sample import Categorical, Float, Function, Integer, LogUniform, Normal, Quantized

        flat = _flatten(param_space)
        nested = any("/" in k for k in flat)
        params, consts = [], {}
        for name, v in flat.items():
            if isinstance(v, dict) and "grid_search" in v:
                raise ConfigError(f"{name!r}: grid_search is not supported by this searcher; use tune.choice")
            if isinstance(v, Function):
                raise ConfigError(f"{name!r}: sample_from / lambda parameters are not supported by this searcher")
            if isinstance(v, Categorical):
                params.append(Param(name, "categorical", choices=tuple(v.categories)))
                continue
            if not isinstance(v, (Float, Integer)):
                consts[name] = v
                continue
            sampler = v.get_sampler()
            q = None
            if isinstance(sampler, Quantized):
                q, sampler = sampler.q, sampler.get_sampler()
            if isinstance(sampler, Normal):
                raise ConfigError(f"{name!r}: normal-distributed parameters (tune.randn) are unbounded; "
                                  "use tune.uniform with bounds")
            log = isinstance(sampler, LogUniform)
            if isinstance(v, Float):
                params.append(Param(name, "log" if log else "float", low=float(v.lower), high=float(v.upper), q=q))
            else:
                if q:  # qrandint: upper inclusive
                    lo = int(math.ceil(v.lower / q) * q)
                    hi = int(math.floor(v.upper / q) * q)
                    params.append(Param(name, "int", low=lo, high=hi, q=int(q), log=log))
                else:  # randint / lograndint: upper exclusive
                    params.append(Param(name, "int", low=int(v.lower), high=int(v.upper) - 1, log=log))
        return cls(tuple(params), consts, nested=nested)


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v and "grid_search" not in v:
            out.update(_flatten(v, key + "/"))
        else:
            out[key] = v
    return out


def _unflatten(d: dict) -> dict:
    out: dict = {}
    for k, v in d.items():
        parts = k.split("/")
        cur = out
        for p in parts[:-1]:
            cur = cur.setdefault(p, {})
        cur[parts[-1]] = v
    return out

