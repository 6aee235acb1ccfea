"""One parameter of a search domain and the project's one unit-cube encoding.

Every optimiser coordinate lives in ``[0, 1]``. A parameter with ``n`` distinct values (integer,
ordinal, categorical; a :class:`~gpunet_ray.search_space.SearchSpace` dimension is one) splits
``[0, 1]`` into ``n`` equal bins: value ``i`` sits at the bin centre ``(i + 0.5) / n``
(:func:`bin_centre`), and a coordinate ``u`` decodes to the bin it falls in (:func:`bin_index`,
``u`` clipped into ``[0, 1]``), so these values round-trip exactly. :func:`choice_to_unit` and
:func:`unit_to_choice` apply this to a sequence of choices. Continuous parameters map linearly (or
log-linearly) instead; see :meth:`Param.to_unit` / :meth:`Param.from_unit`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from gpunet_ray.errors import ConfigError

from ._values import decode_value, encode_value, jsonable

__all__ = ["Param", "KINDS", "bin_centre", "bin_index", "choice_to_unit", "unit_to_choice"]

KINDS = ("float", "log", "int", "ordinal", "categorical")


def bin_centre(i: Any, n: int) -> Any:
    """Unit coordinate of value ``i`` (an int or an int array) of ``n``: ``(i + 0.5) / n``."""
    return (i + 0.5) / n


def bin_index(u: Any, n: int) -> Any:
    """The value (``0 .. n-1``) whose bin holds unit coordinate ``u``, after clipping ``u`` into
    ``[0, 1]``: an int for a number, an int array for an array."""
    if np.ndim(u):
        return np.minimum((np.clip(np.asarray(u, dtype=float), 0.0, 1.0) * n).astype(int), n - 1)
    return min(int(float(np.clip(u, 0.0, 1.0)) * n), n - 1)


def choice_to_unit(choices: Sequence, value: Any) -> float:
    """The unit coordinate of ``value``, one of ``choices``; ValueError if it is none of them."""
    return bin_centre(choices.index(value), len(choices))


def unit_to_choice(choices: Sequence, u: float) -> Any:
    """The choice whose bin holds unit coordinate ``u`` (inverse of :func:`choice_to_unit`)."""
    return choices[bin_index(u, len(choices))]


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
        object.__setattr__(self, "choices", tuple(jsonable(c) for c in self.choices))
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
            return bin_centre(i, len(self.choices))
        if k == "int":
            if self.log and self.high > self.low:
                lo, hi = math.log(self.low), math.log(self.high + 1)
                return float(np.clip((math.log(float(v) + 0.5) - lo) / (hi - lo), 0.0, 1.0))
            return bin_centre((int(round(float(v))) - self.low) // self.q, self.n)
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
            return self.choices[bin_index(u, len(self.choices))]
        if k == "int":
            if self.log and self.high > self.low:
                lo, hi = math.log(self.low), math.log(self.high + 1)
                v = int(math.floor(math.exp(lo + u * (hi - lo))))
                v = self.low + ((v - self.low) // self.q) * self.q
                return int(min(max(v, self.low), self.high))
            return int(self.low + bin_index(u, self.n) * self.q)
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
            return bin_centre(bin_index(u, self.n), self.n)
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
