"""Ray Tune param spaces as config templates (see :class:`~gpunet_ray.searchers.Domain`).

:func:`convert_tune` turns a Tune space into a template node tree plus its :class:`Param` list;
the other functions walk a template: which parameters are active, the user-facing config a flat
one builds (:func:`build`), the flat values a user-facing config holds (:func:`parse`), and the
template's JSON form. Ray is imported only to recognise Tune's search objects.
"""

from __future__ import annotations

import math
from typing import Any

from gpunet_ray.errors import ConfigError

from ._param import Param
from ._values import decode_value, encode_value, values_equal

__all__ = ["convert_tune", "template_nodes", "template_params", "mark_active", "build", "parse",
           "template_to_json", "template_from_json", "flatten", "unflatten", "join"]


def join(path: str, key: Any) -> str:
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


def convert_tune(v: Any, path: str, params: list) -> tuple:
    """One value of a Tune space -> a template node (appending its parameters to ``params``)."""
    from ray.tune.search.sample import Categorical, Float, Function, Integer, LogUniform, Normal, Quantized
    from ray.tune.search.sample import Domain as TuneDomain

    name = path
    if _is_grid(v):
        raise ConfigError(f"{name!r}: tune.grid_search is not supported by this searcher; use tune.choice")
    if isinstance(v, dict):
        return ("d", tuple((k, convert_tune(x, join(path, k), params)) for k, x in v.items())) \
            if _has_search(v) else ("c", v)
    if isinstance(v, (list, tuple)):
        if not _has_search(v):
            return ("c", v)
        return ("l" if isinstance(v, list) else "t", tuple(convert_tune(x, join(path, i), params)
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
        return ("x", name, tuple(convert_tune(c, join(path, i), params) for i, c in enumerate(cats)))
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
def template_nodes(node: tuple):
    yield node
    kind = node[0]
    if kind == "d":
        for _, n in node[1]:
            yield from template_nodes(n)
    elif kind in ("l", "t"):
        for n in node[1]:
            yield from template_nodes(n)
    elif kind == "x":
        for n in node[2]:
            yield from template_nodes(n)


def template_params(node: tuple, out: list) -> None:
    for n in template_nodes(node):
        if n[0] in ("p", "x"):
            out.append(n[1])


def mark_active(node: tuple, active: bool, flat: dict, out: dict) -> None:
    kind = node[0]
    if kind == "p":
        out[node[1]] = active
    elif kind == "x":
        out[node[1]] = active
        sel = flat.get(node[1])
        for i, n in enumerate(node[2]):
            mark_active(n, active and sel == i, flat, out)
    elif kind == "d":
        for _, n in node[1]:
            mark_active(n, active, flat, out)
    elif kind in ("l", "t"):
        for n in node[1]:
            mark_active(n, active, flat, out)


def build(node: tuple, flat: dict) -> Any:
    kind = node[0]
    if kind == "p":
        return flat[node[1]]
    if kind == "c":
        return node[1]
    if kind == "d":
        return {k: build(n, flat) for k, n in node[1]}
    if kind == "l":
        return [build(n, flat) for n in node[1]]
    if kind == "t":
        return tuple(build(n, flat) for n in node[1])
    return build(node[2][int(flat[node[1]])], flat)  # "x": the chosen option


def parse(node: tuple, value: Any, out: dict, strict: bool, path: str, params: dict) -> bool:
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
        return not strict or values_equal(value, node[1])
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
            if not parse(n, value[k], out, strict, join(path, k), params):
                return False
        return not strict or set(value) == {k for k, _ in node[1]}
    if kind in ("l", "t"):
        if not isinstance(value, (list, tuple)) or len(value) != len(node[1]):
            if strict:
                return False
            raise ConfigError(f"config {path!r}: expected a sequence of {len(node[1])}, got {value!r}")
        return all(parse(n, x, out, strict, join(path, i), params) for i, (n, x) in enumerate(zip(node[1], value)))
    # "x": the first option the value fits
    for i, opt in enumerate(node[2]):
        trial: dict = {}
        if parse(opt, value, trial, True, join(path, i), params) and _fits(opt, trial):
            out[node[1]] = i
            out.update(trial)
            return True
    if strict:
        return False
    raise ConfigError(f"config {path!r}: {value!r} matches none of the options of this tune.choice")


def _fits(node: tuple, values: dict) -> bool:
    """The values read for an option are valid for its (active) parameters."""
    act: dict = {}
    mark_active(node, True, values, act)
    return all(n in values for n, a in act.items() if a)


def template_to_json(node: tuple) -> list:
    kind = node[0]
    if kind == "p":
        return ["p", node[1]]
    if kind == "c":
        return ["c", encode_value(node[1])]
    if kind == "d":
        return ["d", [[encode_value(k), template_to_json(n)] for k, n in node[1]]]
    if kind in ("l", "t"):
        return [kind, [template_to_json(n) for n in node[1]]]
    return ["x", node[1], [template_to_json(n) for n in node[2]]]


def template_from_json(j: list) -> tuple:
    kind = j[0]
    if kind == "p":
        return ("p", j[1])
    if kind == "c":
        return ("c", decode_value(j[1]))
    if kind == "d":
        return ("d", tuple((decode_value(k), template_from_json(n)) for k, n in j[1]))
    if kind in ("l", "t"):
        return (kind, tuple(template_from_json(n) for n in j[1]))
    if kind == "x":
        return ("x", j[1], tuple(template_from_json(n) for n in j[2]))
    raise ConfigError(f"unknown config template node {kind!r}")


def flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v and "grid_search" not in v:
            out.update(flatten(v, key + "/"))
        else:
            out[key] = v
    return out


def unflatten(d: dict) -> dict:
    out: dict = {}
    for k, v in d.items():
        parts = k.split("/")
        cur = out
        for p in parts[:-1]:
            cur = cur.setdefault(p, {})
        cur[parts[-1]] = v
    return out
