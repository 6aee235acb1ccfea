"""Mixed search domains and their one encoding.

A :class:`Domain` is an ordered list of :class:`Param` (continuous, log-continuous, integer, ordinal,
categorical) plus optional constants. It maps configs (flat dicts keyed by ``Param.name``) to two
vector views:

* the *unit* view ``u in [0, 1]^P`` (one coordinate per parameter) used for sampling (Sobol,
  uniform, perturbations); categorical value ``i`` of ``n`` sits at the bin centre ``(i + .5)/n``;
* the *feature* view ``x in [0, 1]^D`` used by the models (k-means, SVM, GP): numeric parameters
  keep their unit coordinate, categorical parameters are one-hot.

Integer, ordinal and categorical parameters round-trip exactly through both views. Float
parameters decode into ``[low, high)`` (Ray Tune's convention: the upper bound is excluded), or onto
the grid ``ceil(low/q)*q .. floor(high/q)*q`` when quantised (both ends included, as Tune samples).

A domain built from a Ray Tune param space (:meth:`Domain.from_tune`) keeps a *template* of the
space: nested dicts, lists and tuples, constants, and conditional branches (a ``tune.choice`` whose
options hold further search objects). The choice becomes a categorical parameter over its option
indices; each option's search objects become parameters that are *active* only while that option
is chosen. Inactive parameters always sit at a neutral value (the middle of their range), so a
config has one flat form, one unit vector and one duplicate key. Pure numpy.

:meth:`Domain.to_dict` is always JSON: values that do not survive JSON exactly (functions,
``pathlib.Path``, ...) are written as placeholders (tuples and the like are encoded losslessly,
see :func:`encode_value`), and :meth:`Domain.from_dict` refuses to rebuild a domain from them
(the owner must rebuild it from the original space instead).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from gpunet_ray.errors import ConfigError

__all__ = ["Param", "Domain", "KINDS", "encode_value", "decode_value", "opaque_values"]

KINDS = ("float", "log", "int", "ordinal", "categorical")


def _jsonable(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


#: tag of the JSON objects :func:`encode_value` writes for what plain JSON cannot hold.
TAG = "__gpunet_ray__"


def encode_value(v: Any) -> Any:
    """The JSON form of a config value, lossless where possible.

    JSON types stay as they are; tuples, dicts with non-string keys and non-finite floats become
    tagged objects (:func:`decode_value` restores them exactly; Tune's own placeholders for
    non-primitive values are such tuples). Anything else (functions, paths, arrays, subclasses of
    the builtins) becomes an *opaque* placeholder naming it, without memory addresses, so that
    equal spaces give equal descriptions.
    """
    v = _jsonable(v)
    t = type(v)
    if v is None or t in (bool, int, str):
        return v
    if t is float:
        return v if math.isfinite(v) else {TAG: "float", "v": repr(v)}
    if t is list:
        return [encode_value(x) for x in v]
    if t is tuple:
        return {TAG: "tuple", "items": [encode_value(x) for x in v]}
    if t is dict:
        if all(type(k) is str for k in v) and TAG not in v:
            return {k: encode_value(x) for k, x in v.items()}
        return {TAG: "dict", "items": [[encode_value(k), encode_value(x)] for k, x in v.items()]}
    r = repr(v)
    if " at 0x" in r or len(r) > 200:
        r = f"<{t.__module__}.{t.__qualname__}>"
    return {TAG: "opaque", "repr": r}


def decode_value(j: Any) -> Any:
    """Inverse of :func:`encode_value`; ConfigError for an opaque placeholder."""
    if isinstance(j, list):
        return [decode_value(x) for x in j]
    if isinstance(j, dict):
        kind = j.get(TAG)
        if kind is None:
            return {k: decode_value(x) for k, x in j.items()}
        if kind == "tuple":
            return tuple(decode_value(x) for x in j["items"])
        if kind == "dict":
            return {decode_value(k): decode_value(x) for k, x in j["items"]}
        if kind == "float":
            return float(j["v"])
        raise ConfigError(f"{j.get('repr', j)} was not saved (not JSON)")
    return j


def opaque_values(obj: Any) -> list[str]:
    """The opaque placeholders inside encoded JSON (what could not be saved), by name."""
    if isinstance(obj, dict):
        if obj.get(TAG) == "opaque":
            return [str(obj.get("repr"))]
        return [x for v in obj.values() for x in opaque_values(v)]
    if isinstance(obj, list):
        return [x for v in obj for x in opaque_values(v)]
    return []


def _values_equal(a: Any, b: Any) -> bool:
    """Config value equality that treats lists and tuples alike and never raises."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_values_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_values_equal(a[k], b[k]) for k in a)
    try:
        return a is b or bool(a == b)
    except Exception:  # e.g. arrays: ambiguous truth value
        return False


@dataclass(frozen=True)
class Param:
    """One dimension.

    kind: ``float`` (uniform on [low, high)), ``log`` (log-uniform on [low, high), low > 0),
    ``int`` (integers low..high inclusive, step ``q``; ``log=True`` spaces them log-uniformly),
    ``ordinal`` (ordered ``choices``), ``categorical`` (unordered ``choices``). ``q`` quantises
    ``float``/``log`` values onto the multiples of ``q`` in [low, high] (as Tune's ``quniform``).
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
        if hi <= lo:
            return lo
        if k == "log" or self.log:
            v = math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
        else:
            v = lo + u * (hi - lo)
        if self.q:  # Tune's quantisation: multiples of q from ceil(lo/q)*q to floor(hi/q)*q
            q = float(self.q)
            k_lo, k_hi = math.ceil(lo / q - 1e-9), math.floor(hi / q + 1e-9)
            if k_lo <= k_hi:
                v = min(max(round(v / q), k_lo), k_hi) * q
            return float(min(max(v, lo), hi))
        return float(min(max(v, lo), math.nextafter(hi, lo)))  # [lo, hi): Tune excludes the upper bound

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

    @property
    def neutral(self) -> Any:
        """The value an inactive (conditional) parameter takes: the middle of its range."""
        return self.from_unit(0.5)

    def contains(self, v: Any) -> bool:
        """True if ``v`` is a valid value of this parameter (never raises)."""
        if self.kind in ("ordinal", "categorical"):
            try:
                self.choices.index(v)  # the test to_unit applies
                return True
            except Exception:  # ValueError, or an ambiguous comparison (arrays)
                return False
        if isinstance(v, bool):
            return False
        try:
            x = float(v)
        except (TypeError, ValueError):
            return False
        if not math.isfinite(x) or not (float(self.low) <= x <= float(self.high)):
            return False
        if self.kind == "int":
            return x == round(x) and (int(round(x)) - self.low) % self.q == 0
        return True

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
            d["choices"] = [encode_value(c) for c in self.choices]
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
        d["choices"] = tuple(decode_value(c) for c in d.get("choices", ()))
        return cls(**d)


@dataclass(frozen=True)
class Domain:
    """An ordered list of parameters, constants, and an optional canonicaliser for duplicate keys.

    ``canonical(config) -> config`` maps configs that describe the same object to one
    representative (e.g. :meth:`SearchSpace.canonical_config`); it is used only for duplicate
    detection. ``constants`` are added to every decoded config.

    ``template`` (built by :meth:`from_tune`) describes the user-facing config instead: a tree of
    ``("d", ((key, node), ...))`` dicts, ``("l", (node, ...))`` lists, ``("t", (node, ...))``
    tuples, ``("c", value)`` constants, ``("p", name)`` parameters and ``("x", name, (node, ...))``
    conditional choices (parameter ``name`` holds the option index; the parameters inside option
    ``i`` are active only when it is ``i``).
    """

    params: tuple[Param, ...]
    constants: dict = field(default_factory=dict)
    canonical: Callable[[dict], dict] | None = field(default=None, compare=False)
    nested: bool = False  # decode to nested dicts (Tune spaces), keys split on "/"
    template: Any = field(default=None, compare=False)

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
        conditional = False
        if self.template is not None:
            seen: list[str] = []
            _template_params(self.template, seen)
            if sorted(seen) != sorted(names):
                raise ConfigError(f"the config template names parameters {sorted(seen)}, the domain {sorted(names)}")
            by_name = {p.name: p for p in self.params}
            for node in _template_nodes(self.template):
                if node[0] == "x":
                    p = by_name[node[1]]
                    if p.kind != "categorical" or tuple(p.choices) != tuple(range(len(node[2]))):
                        raise ConfigError(f"conditional choice {p.name!r} must be a categorical over its "
                                          "option indices")
                    conditional = True
        object.__setattr__(self, "_conditional", conditional)
        object.__setattr__(self, "_neutral", {p.name: p.neutral for p in self.params} if conditional else {})

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
        """A config as a flat dict of this domain's parameters.

        ``config`` is either flat already (every parameter name a key) or the user-facing form
        (nested for Tune spaces; a conditional choice is recognised by which option its value
        matches). Inactive conditional parameters are set to their neutral value.
        """
        if not isinstance(config, dict):
            raise ConfigError(f"a config must be a dict, got {type(config).__name__}")
        if all(p.name in config for p in self.params):
            out = {p.name: config[p.name] for p in self.params}
        elif self.template is not None:
            out = {}
            _parse(self.template, config, out, False, "", {p.name: p for p in self.params})
            active = self.active(out)
            missing = [p.name for p in self.params if p.name not in out and active[p.name]]
            if missing:
                raise ConfigError(f"config is missing parameter(s) {missing}")
        else:
            if self.nested:
                config = _flatten(config)
            missing = [p.name for p in self.params if p.name not in config]
            if missing:
                raise ConfigError(f"config is missing parameter(s) {missing}")
            out = {p.name: config[p.name] for p in self.params}
        return self._neutralize(out)

    def active(self, flat: dict) -> dict[str, bool]:
        """Which parameters are active in ``flat`` (all, without conditional choices)."""
        if not self._conditional:
            return {p.name: True for p in self.params}
        out: dict[str, bool] = {}
        _mark_active(self.template, True, flat, out)
        return out

    def _neutralize(self, flat: dict) -> dict:
        if not self._conditional:
            return flat
        act = self.active(flat)
        return {n: (v if act[n] else self._neutral[n]) for n, v in ((p.name, flat.get(p.name)) for p in self.params)}

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
        return [self._neutralize({p.name: p.from_unit(u[j]) for j, p in enumerate(self.params)}) for u in U]

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
        """Flat parameter dict -> the config handed to the user (constants added, nesting,
        conditional branches resolved: no search objects are left in it)."""
        if self.template is not None:
            return _build(self.template, flat)
        out = {**self.constants, **flat}
        return _unflatten(out) if self.nested else out

    def key(self, config: dict) -> str:
        """Duplicate key: the canonical flat config, JSON-encoded (choices by index)."""
        c = self.flat(config)
        c = {p.name: p.from_unit(p.to_unit(c[p.name])) for p in self.params}  # representable value
        if self.canonical is not None:
            c = self.canonical(c)
            return json.dumps([_jsonable(c[n]) for n in self.names], default=str)
        return json.dumps([p.value_to_json(c[p.name]) for p in self.params])

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
        """A JSON description; values that are not JSON become placeholders (see :meth:`from_dict`)."""
        d = {
            "params": [p.to_dict() for p in self.params],
            "constants": {k: encode_value(v) for k, v in self.constants.items()},
            "nested": self.nested,
        }
        if self.template is not None:
            d["template"] = _template_to_json(self.template)
        return d

    @property
    def opaque(self) -> list[str]:
        """Descriptions of the values :meth:`to_dict` cannot write as JSON (empty if none)."""
        return opaque_values(self.to_dict())

    @classmethod
    def from_dict(cls, d: dict) -> "Domain":
        """Rebuild a domain from :meth:`to_dict`; ConfigError if it holds placeholders."""
        bad = opaque_values(d)
        if bad:
            raise ConfigError(f"the search space holds values that are not JSON ({', '.join(bad[:3])}); they are "
                              "not saved, so the domain cannot be rebuilt from its description: build it from the "
                              "original space instead")
        template = _template_from_json(d["template"]) if d.get("template") is not None else None
        return cls(tuple(Param.from_dict(p) for p in d["params"]),
                   {k: decode_value(v) for k, v in d.get("constants", {}).items()},
                   nested=bool(d.get("nested", False)), template=template)

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
        """The domain of a Ray Tune param space.

        Search objects (``tune.uniform``, ``quniform``, ``loguniform``, ``qloguniform``, ``randint``,
        ``qrandint``, ``lograndint``, ``qlograndint``, ``choice``) may sit anywhere in nested dicts,
        lists and tuples; a ``tune.choice`` whose options hold further search objects is a
        conditional branch (see the class docs). Other values are constants. Parameter names are
        the paths joined by ``/`` (an option of a conditional choice adds its index). ConfigError
        for ``tune.grid_search``, ``sample_from``/lambdas, ``tune.randn`` (unbounded) and a space
        without any search object.
        """
        if not isinstance(param_space, dict):
            raise ConfigError(f"a Ray Tune param space must be a dict, got {type(param_space).__name__}")
        params: list[Param] = []
        template = ("d", tuple((k, _convert_tune(v, _join("", k), params)) for k, v in param_space.items()))
        if not params:
            raise ConfigError("the param space has no tunable parameter (tune.uniform, tune.choice, ...)")
        return cls(tuple(params), nested=any("/" in p.name for p in params), template=template)


def _join(path: str, key: Any) -> str:
    return f"{path}/{key}" if path else str(key)


def _is_grid(v: Any) -> bool:
    return isinstance(v, dict) and len(v) == 1 and "grid_search" in v


def _has_search(v: Any) -> bool:
    """True if ``v`` holds a Ray Tune search object or grid search anywhere inside."""
    from ray.tune.search.sample import Domain as TuneDomain

    if isinstance(v, TuneDomain) or _is_grid(v):
        return True
    if isinstance(v, dict):
        return any(_has_search(x) for x in v.values())
    if isinstance(v, (list, tuple)):
        return any(_has_search(x) for x in v)
    return False


def _convert_tune(v: Any, path: str, params: list) -> tuple:
    """One value of a Tune space -> a template node (appending its parameters to ``params``)."""
    from ray.tune.search.sample import Categorical, Float, Function, Integer, LogUniform, Normal, Quantized
    from ray.tune.search.sample import Domain as TuneDomain

    name = path
    if _is_grid(v):
        raise ConfigError(f"{name!r}: tune.grid_search is not supported by this searcher; use tune.choice")
    if isinstance(v, dict):
        return ("d", tuple((k, _convert_tune(x, _join(path, k), params)) for k, x in v.items())) \
            if _has_search(v) else ("c", v)
    if isinstance(v, (list, tuple)):
        if not _has_search(v):
            return ("c", v)
        return ("l" if isinstance(v, list) else "t", tuple(_convert_tune(x, _join(path, i), params)
                                                           for i, x in enumerate(v)))
    if not isinstance(v, TuneDomain):
        return ("c", v)
    if isinstance(v, Function):
        raise ConfigError(f"{name!r}: sample_from / lambda parameters are not supported by this searcher")
    if isinstance(v, Categorical):
        cats = list(v.categories)
        if not cats:
            raise ConfigError(f"{name!r}: tune.choice needs at least one option")
        if not any(_has_search(c) for c in cats):
            params.append(Param(name, "categorical", choices=tuple(cats)))
            return ("p", name)
        params.append(Param(name, "categorical", choices=tuple(range(len(cats)))))
        return ("x", name, tuple(_convert_tune(c, _join(path, i), params) for i, c in enumerate(cats)))
    if not isinstance(v, (Float, Integer)):
        raise ConfigError(f"{name!r}: unsupported search object {type(v).__name__}")
    sampler = v.get_sampler()
    q = None
    if isinstance(sampler, Quantized):
        q, sampler = sampler.q, sampler.get_sampler()
    if isinstance(sampler, Normal):
        raise ConfigError(f"{name!r}: normal-distributed parameters (tune.randn) are unbounded; "
                          "use tune.uniform with bounds")
    if v.lower is None or v.upper is None:
        raise ConfigError(f"{name!r}: needs finite lower and upper bounds")
    log = isinstance(sampler, LogUniform)
    if isinstance(v, Float):
        params.append(Param(name, "log" if log else "float", low=float(v.lower), high=float(v.upper), q=q))
    elif q:  # qrandint / qlograndint: multiples of q, upper included (Tune's quantisation)
        lo, hi = int(math.ceil(v.lower / q) * q), int(math.floor(v.upper / q) * q)
        params.append(Param(name, "int", low=lo, high=hi, q=int(q), log=log))
    else:  # randint / lograndint: upper excluded
        params.append(Param(name, "int", low=int(v.lower), high=int(v.upper) - 1, log=log))
    return ("p", name)


# -- templates ---------------------------------------------------------------------------------
def _template_nodes(node: tuple):
    yield node
    kind = node[0]
    if kind == "d":
        for _, n in node[1]:
            yield from _template_nodes(n)
    elif kind in ("l", "t"):
        for n in node[1]:
            yield from _template_nodes(n)
    elif kind == "x":
        for n in node[2]:
            yield from _template_nodes(n)


def _template_params(node: tuple, out: list) -> None:
    for n in _template_nodes(node):
        if n[0] in ("p", "x"):
            out.append(n[1])


def _mark_active(node: tuple, active: bool, flat: dict, out: dict) -> None:
    kind = node[0]
    if kind == "p":
        out[node[1]] = active
    elif kind == "x":
        out[node[1]] = active
        sel = flat.get(node[1])
        for i, n in enumerate(node[2]):
            _mark_active(n, active and sel == i, flat, out)
    elif kind == "d":
        for _, n in node[1]:
            _mark_active(n, active, flat, out)
    elif kind in ("l", "t"):
        for n in node[1]:
            _mark_active(n, active, flat, out)


def _build(node: tuple, flat: dict) -> Any:
    kind = node[0]
    if kind == "p":
        return flat[node[1]]
    if kind == "c":
        return node[1]
    if kind == "d":
        return {k: _build(n, flat) for k, n in node[1]}
    if kind == "l":
        return [_build(n, flat) for n in node[1]]
    if kind == "t":
        return tuple(_build(n, flat) for n in node[1])
    return _build(node[2][int(flat[node[1]])], flat)  # "x": the chosen option


def _parse(node: tuple, value: Any, out: dict, strict: bool, path: str, params: dict) -> bool:
    """Read the parameter values of ``value`` (a user-facing config) into ``out``.

    ``strict`` (inside a conditional option): False when ``value`` does not fit the node
    (structure, constants, parameter ranges). Otherwise lenient: constants are not checked and
    missing keys are left for the caller to report; a value matching no option is a ConfigError.
    """
    kind = node[0]
    if kind == "p":
        if strict and not params[node[1]].contains(value):
            return False
        out[node[1]] = value
        return True
    if kind == "c":
        return not strict or _values_equal(value, node[1])
    if kind == "d":
        if not isinstance(value, dict):
            if strict:
                return False
            raise ConfigError(f"config {path or 'root'!r}: expected a dict, got {type(value).__name__}")
        for k, n in node[1]:
            if k not in value:
                if strict:
                    return False
                continue
            if not _parse(n, value[k], out, strict, _join(path, k), params):
                return False
        return not strict or set(value) == {k for k, _ in node[1]}
    if kind in ("l", "t"):
        if not isinstance(value, (list, tuple)) or len(value) != len(node[1]):
            if strict:
                return False
            raise ConfigError(f"config {path!r}: expected a sequence of {len(node[1])}, got {value!r}")
        return all(_parse(n, x, out, strict, _join(path, i), params) for i, (n, x) in enumerate(zip(node[1], value)))
    # "x": the first option the value fits
    for i, opt in enumerate(node[2]):
        trial: dict = {}
        if _parse(opt, value, trial, True, _join(path, i), params) and _fits(opt, trial):
            out[node[1]] = i
            out.update(trial)
            return True
    if strict:
        return False
    raise ConfigError(f"config {path!r}: {value!r} matches none of the options of this tune.choice")


def _fits(node: tuple, values: dict) -> bool:
    """The values read for an option are valid for its (active) parameters."""
    act: dict = {}
    _mark_active(node, True, values, act)
    return all(n in values for n, a in act.items() if a)


def _template_to_json(node: tuple) -> list:
    kind = node[0]
    if kind == "p":
        return ["p", node[1]]
    if kind == "c":
        return ["c", encode_value(node[1])]
    if kind == "d":
        return ["d", [[encode_value(k), _template_to_json(n)] for k, n in node[1]]]
    if kind in ("l", "t"):
        return [kind, [_template_to_json(n) for n in node[1]]]
    return ["x", node[1], [_template_to_json(n) for n in node[2]]]


def _template_from_json(j: list) -> tuple:
    kind = j[0]
    if kind == "p":
        return ("p", j[1])
    if kind == "c":
        return ("c", decode_value(j[1]))
    if kind == "d":
        return ("d", tuple((decode_value(k), _template_from_json(n)) for k, n in j[1]))
    if kind in ("l", "t"):
        return (kind, tuple(_template_from_json(n) for n in j[1]))
    if kind == "x":
        return ("x", j[1], tuple(_template_from_json(n) for n in j[2]))
    raise ConfigError(f"unknown config template node {kind!r}")


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

