"""Mixed search domains and their one encoding.

A :class:`Domain` is an ordered list of :class:`Param` (continuous, log-continuous, integer, ordinal,
categorical; one parameter's encoding is in :mod:`._param`) plus optional constants. It maps
configs (flat dicts keyed by ``Param.name``) to two vector views:

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

from . import _template as tpl
from ._param import KINDS, Param, bin_centre, bin_index, choice_to_unit, unit_to_choice
from ._values import TAG, decode_value, encode_value, jsonable, opaque_values

__all__ = ["Param", "Domain", "as_domain", "KINDS", "encode_value", "decode_value", "opaque_values", "TAG",
           "bin_centre", "bin_index", "choice_to_unit", "unit_to_choice"]

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
            tpl.template_params(self.template, seen)
            if sorted(seen) != sorted(names):
                raise ConfigError(f"the config template names parameters {sorted(seen)}, the domain {sorted(names)}")
            by_name = {p.name: p for p in self.params}
            for node in tpl.template_nodes(self.template):
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
            tpl.parse(self.template, config, out, False, "", {p.name: p for p in self.params})
            active = self.active(out)
            missing = [p.name for p in self.params if p.name not in out and active[p.name]]
            if missing:
                raise ConfigError(f"config is missing parameter(s) {missing}")
        else:
            if self.nested:
                config = tpl.flatten(config)
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
        tpl.mark_active(self.template, True, flat, out)
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
                X[:, a:b] = 0.0
                X[np.arange(U.shape[0]), a + bin_index(U[:, j], p.width)] = 1.0
            else:
                X[:, a] = U[:, j]
        return X

    def features(self, configs: Sequence[dict]) -> np.ndarray:
        return self.unit_to_features(self.to_unit(configs))

    def to_config(self, flat: dict) -> dict:
        """Flat parameter dict -> the config handed to the user (constants added, nesting,
        conditional branches resolved: no search objects are left in it)."""
        if self.template is not None:
            return tpl.build(self.template, flat)
        out = {**self.constants, **flat}
        return tpl.unflatten(out) if self.nested else out

    def key(self, config: dict) -> str:
        """Duplicate key: the canonical flat config, JSON-encoded (choices by index)."""
        c = self.flat(config)
        c = {p.name: p.from_unit(p.to_unit(c[p.name])) for p in self.params}  # representable value
        if self.canonical is not None:
            c = self.canonical(c)
            return json.dumps([jsonable(c[n]) for n in self.names], default=str)
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
            d["template"] = tpl.template_to_json(self.template)
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
        template = tpl.template_from_json(d["template"]) if d.get("template") is not None else None
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
        template = ("d", tuple((k, tpl.convert_tune(v, str(k), params)) for k, v in param_space.items()))
        if not params:
            raise ConfigError("the param space has no tunable parameter (tune.uniform, tune.choice, ...)")
        return cls(tuple(params), nested=any("/" in p.name for p in params), template=template)


def as_domain(space: Any) -> Domain:
    """A :class:`Domain` from a Domain, a SearchSpace, a Tune param-space dict or a list of Params."""
    if isinstance(space, Domain):
        return space
    if hasattr(space, "dims") and hasattr(space, "canonical_config"):
        return Domain.from_search_space(space)
    if isinstance(space, dict):
        return Domain.from_tune(space)
    if isinstance(space, (list, tuple)) and space:
        return Domain(tuple(p if isinstance(p, Param) else Param.from_dict(p) for p in space))
    raise ConfigError(f"cannot build a search domain from {type(space).__name__}; pass a Domain, "
                      "a SearchSpace, a Ray Tune param space dict or a list of Param")
