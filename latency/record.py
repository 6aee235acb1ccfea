"""``LatencyRecord``: one immutable, fully keyed latency measurement, and its environment.

The cache key of a measurement is ``(arch_hash, fingerprint)``. The fingerprint is a hash of
everything *besides the architecture* that can change the number: backend, device name, library
versions, precision, batch size, thread count and backend settings (export opset, CUDA graphs ...).
The input resolution is part of the architecture (and of its hash), so it is recorded but not
hashed into the fingerprint.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Mapping

from gpunet_ray.errors import ConfigError

__all__ = ["Environment", "LatencyRecord", "RECORD_VERSION"]

RECORD_VERSION = 1


def _pairs(m: Mapping[str, Any] | tuple | None) -> tuple[tuple[str, str], ...]:
    """A mapping as a sorted tuple of ``(str, str)`` pairs: immutable, hashable, JSON-stable."""
    if not m:
        return ()
    items = m.items() if isinstance(m, Mapping) else m
    return tuple(sorted((str(k), str(v)) for k, v in items))


@dataclass(frozen=True)
class Environment:
    """Everything but the architecture that can change a latency figure.

    ``versions`` and ``settings`` are stored as sorted ``(name, value)`` pairs.
    """

    backend: str
    device: str
    versions: tuple[tuple[str, str], ...] = ()
    precision: str = "fp32"
    batch: int = 1
    threads: int = 0  # 0: not applicable (GPU backends)
    settings: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "versions", _pairs(self.versions))
        object.__setattr__(self, "settings", _pairs(self.settings))

    @property
    def fingerprint(self) -> str:
        """16 hex digits: SHA-1 of the canonical JSON of this environment."""
        blob = json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))
        return hashlib.sha1(blob.encode()).hexdigest()[:16]


_FLOATS = ("median_ms", "p90_ms", "iqr_ms", "cv", "mean_ms", "min_ms")


@dataclass(frozen=True)
class LatencyRecord:
    """One measurement of one architecture (all times in milliseconds, per batch).

    * ``median_ms``: median of the timed runs (the figure to compare; batch ``batch``);
    * ``p90_ms``: 90th percentile; ``iqr_ms``: inter-quartile range (p75 - p25), NaN when the
      backend only reports a summary (trtexec without per-iteration times);
    * ``cv``: coefficient of variation of the timed runs (std / mean, a fraction, not %);
    * ``n``: number of timed runs; ``stop``: why timing stopped (``stable``, ``time_cap``,
      ``max_repeats``, ``fixed``, ``external``);
    * environment: ``backend``, ``device``, ``versions``, ``precision``, ``batch``, ``threads``,
      ``settings`` and the ``fingerprint`` hashed from them; ``resolution`` and ``arch_hash``
      identify the architecture.
    """

    median_ms: float
    p90_ms: float
    iqr_ms: float
    cv: float
    n: int
    backend: str
    device: str
    versions: tuple[tuple[str, str], ...]
    precision: str
    batch: int
    resolution: int
    threads: int
    arch_hash: str
    settings: tuple[tuple[str, str], ...] = ()
    mean_ms: float = float("nan")
    min_ms: float = float("nan")
    stop: str = "stable"
    wall_s: float = 0.0
    measured_at: float = 0.0  # UNIX time
    fingerprint: str = field(default="")

    def __post_init__(self) -> None:
        object.__setattr__(self, "versions", _pairs(self.versions))
        object.__setattr__(self, "settings", _pairs(self.settings))
        fp = self.environment.fingerprint
        if self.fingerprint and self.fingerprint != fp:
            raise ConfigError(
                f"latency record for {self.arch_hash}: stored fingerprint {self.fingerprint} does not match its "
                f"environment ({fp}); the record was edited or written by an incompatible version"
            )
        object.__setattr__(self, "fingerprint", fp)

    @property
    def environment(self) -> Environment:
        return Environment(
            backend=self.backend,
            device=self.device,
            versions=self.versions,
            precision=self.precision,
            batch=self.batch,
            threads=self.threads,
            settings=self.settings,
        )

    @property
    def key(self) -> tuple[str, str]:
        """The cache key ``(arch_hash, fingerprint)``."""
        return (self.arch_hash, self.fingerprint)

    # -- serialisation (JSON only) ---------------------------------------------------------------
    def to_dict(self) -> dict:
        """Plain JSON-ready dict (versions/settings as objects, NaN as ``None``)."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["versions"] = dict(self.versions)
        d["settings"] = dict(self.settings)
        for k in _FLOATS:
            if isinstance(d[k], float) and math.isnan(d[k]):
                d[k] = None
        d["record_version"] = RECORD_VERSION
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "LatencyRecord":
        """Inverse of :meth:`to_dict`; raises :class:`ConfigError` on a malformed dict."""
        if not isinstance(d, Mapping):
            raise ConfigError(f"a latency record must be a JSON object, got {type(d).__name__}")
        names = {f.name for f in fields(cls)}
        kw = {k: v for k, v in d.items() if k in names}
        for k in _FLOATS:
            if k in kw and kw[k] is None:
                kw[k] = float("nan")
        try:
            kw["versions"] = _pairs(kw.get("versions"))
            kw["settings"] = _pairs(kw.get("settings"))
            return cls(**kw)
        except TypeError as exc:
            raise ConfigError(f"malformed latency record: {exc}") from None

    @classmethod
    def from_json(cls, s: str | bytes) -> "LatencyRecord":
        try:
            obj = json.loads(s)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"malformed latency record JSON: {exc}") from None
        return cls.from_dict(obj)
