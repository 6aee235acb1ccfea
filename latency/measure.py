"""``measure_latency``: one architecture, one backend, optionally through the persistent cache."""

from __future__ import annotations

import os
from typing import Any

from gpunet_ray.search_space import as_spec

from .timing import TimingPolicy
from .backends import DEFAULT_BACKEND, Backend, get_backend
from .cache import LatencyCache
from .record import LatencyRecord

__all__ = ["measure_latency", "as_spec"]


def measure_latency(
    spec: Any,
    backend: str | Backend = DEFAULT_BACKEND,
    threads: int = 1,
    batch: int = 1,
    precision: str | None = None,
    repeats: int | None = None,
    time_cap_s: float | None = None,
    policy: TimingPolicy | None = None,
    cache: LatencyCache | str | os.PathLike | None = None,
    limits: Any = None,
    **backend_options: Any,
) -> LatencyRecord:
    """Measure ``spec`` and return its :class:`LatencyRecord` (median_ms: per batch of ``batch``).

    ``backend``: a name or an import path ``package.module:ClassName`` (see :func:`get_backend`),
    or a ready backend instance (then ``threads``, ``batch``, ``precision`` and options are the
    instance's). ``repeats`` fixes the number of timed runs; otherwise runs repeat until the
    median is stable or ``time_cap_s`` (see :class:`TimingPolicy`). With ``cache`` (a
    :class:`LatencyCache` or a path) a hit is returned without measuring, and a fresh record is
    stored. ``limits``: the size limits checked before the network is built
    (:class:`~gpunet_ray.search_space.stats.Limits` or a mapping; default:
    :func:`~gpunet_ray.search_space.stats.default_limits`), at the backend's batch.

    Raises :class:`InvalidArchitecture`, :class:`TooLarge`, :class:`ConfigError`,
    :class:`BackendUnavailable`, :class:`OutOfMemory` or ``MeasurementError``.
    """
    spec = as_spec(spec)
    b = backend if isinstance(backend, Backend) else get_backend(
        backend, threads=threads, batch=batch, precision=precision, **backend_options
    )
    pol = policy or b.policy
    if repeats is not None or time_cap_s is not None:
        from dataclasses import replace

        pol = replace(pol, **{k: v for k, v in (("repeats", repeats), ("time_cap_s", time_cap_s)) if v is not None})
    if cache is not None and not isinstance(cache, LatencyCache):
        cache = LatencyCache(cache)
    if cache is not None:
        hit = cache.get(spec.hash, b.fingerprint)
        if hit is not None:
            return hit
    from gpunet_ray.search_space.stats import check_size

    # InvalidArchitecture when a feature map vanishes, TooLarge above the limits: before any export
    check_size(spec, batch=b.batch, limits=limits)
    rec = b.measure(spec, pol)
    if cache is not None:
        cache.put(rec)
    return rec
