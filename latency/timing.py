"""Timing statistics and the adaptive repeat loop (pure Python + numpy, no backend code)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from gpunet_ray.errors import ConfigError

__all__ = ["Summary", "summarize", "TimingPolicy", "time_adaptive", "kendall_tau", "mape"]


@dataclass(frozen=True)
class Summary:
    """Statistics of timed runs, in milliseconds (``cv`` is a fraction)."""

    median_ms: float
    p90_ms: float
    iqr_ms: float
    cv: float
    mean_ms: float
    min_ms: float
    n: int


def summarize(samples_ms: Sequence[float]) -> Summary:
    """Median, p90, IQR (p75 - p25), CV (std / mean, ``ddof=1``), mean, min and count.

    Percentiles use linear interpolation (numpy's default). Raises :class:`ConfigError` on an
    empty sequence or on non-finite / negative samples.
    """
    x = np.asarray(samples_ms, dtype=float).ravel()
    if x.size == 0:
        raise ConfigError("no timed runs to summarise; raise repeats or the time cap")
    if not np.all(np.isfinite(x)) or np.any(x < 0):
        raise ConfigError("timed runs must be finite, non-negative milliseconds")
    p25, p50, p75, p90 = np.percentile(x, [25, 50, 75, 90])
    mean = float(x.mean())
    std = float(x.std(ddof=1)) if x.size > 1 else 0.0
    cv = std / mean if mean > 0 else 0.0
    return Summary(
        median_ms=float(p50), p90_ms=float(p90), iqr_ms=float(p75 - p25), cv=cv,
        mean_ms=mean, min_ms=float(x.min()), n=int(x.size),
    )


@dataclass(frozen=True)
class TimingPolicy:
    """How long to time one architecture.

    * ``warmup``: untimed runs first (at least ``warmup_s`` seconds of them);
    * then timed runs in blocks of ``block``; after ``min_repeats`` runs the loop stops once the
      running median moved by at most ``rtol`` (relative) for ``patience`` consecutive blocks
      (``stop="stable"``), or after ``max_repeats`` runs (``"max_repeats"``), or once the timed
      phase took ``time_cap_s`` seconds (``"time_cap"``, with at least ``min(5, min_repeats)`` runs);
    * ``min_time_s``: the timed phase lasts at least this long (spreads the runs over more scheduler
      periods, so one burst of foreign load shifts fewer of them);
    * ``repeats`` fixes the number of timed runs instead (``stop="fixed"``).
    """

    warmup: int = 10
    warmup_s: float = 0.05
    min_repeats: int = 50
    max_repeats: int = 5000
    block: int = 25
    rtol: float = 0.01
    patience: int = 2
    time_cap_s: float = 10.0
    min_time_s: float = 0.25
    repeats: int | None = None

    def __post_init__(self) -> None:
        if self.repeats is not None and (not isinstance(self.repeats, int) or self.repeats < 1):
            raise ConfigError(f"repeats must be a positive integer, got {self.repeats!r}")
        if self.warmup < 0 or self.min_repeats < 1 or self.max_repeats < self.min_repeats or self.block < 1:
            raise ConfigError(
                "timing policy needs warmup >= 0, min_repeats >= 1, max_repeats >= min_repeats and block >= 1"
            )
        if not (self.rtol > 0 and self.time_cap_s > 0 and self.patience >= 1):
            raise ConfigError("timing policy needs rtol > 0, time_cap_s > 0 and patience >= 1")


def time_adaptive(run_once_ms: Callable[[], float], policy: TimingPolicy = TimingPolicy()) -> tuple[list[float], str]:
    """Warm up, then call ``run_once_ms`` (returns one run's time in ms) until the median is stable.

    Returns ``(samples_ms, stop_reason)``.
    """
    t0 = time.perf_counter()
    done = 0
    while done < policy.warmup or (time.perf_counter() - t0 < policy.warmup_s and done < 10 * max(policy.warmup, 1)):
        run_once_ms()
        done += 1
    samples: list[float] = []
    if policy.repeats is not None:
        samples = [float(run_once_ms()) for _ in range(policy.repeats)]
        return samples, "fixed"
    start = time.perf_counter()
    prev = math.nan
    calm = 0
    floor = min(5, policy.min_repeats)
    while True:
        for _ in range(policy.block):
            samples.append(float(run_once_ms()))
            if len(samples) >= policy.max_repeats:
                return samples, "max_repeats"
            if time.perf_counter() - start >= policy.time_cap_s and len(samples) >= floor:
                return samples, "time_cap"
        if len(samples) < policy.min_repeats or time.perf_counter() - start < policy.min_time_s:
            continue
        med = float(np.median(samples))
        if math.isfinite(prev) and med > 0 and abs(med - prev) / med <= policy.rtol:
            calm += 1
            if calm >= policy.patience:
                return samples, "stable"
        else:
            calm = 0
        prev = med


def kendall_tau(a: Sequence[float], b: Sequence[float]) -> float:
    """Kendall's tau-b between two sequences (scipy)."""
    from scipy.stats import kendalltau

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.size < 2:
        raise ConfigError("kendall_tau needs two sequences of the same length >= 2")
    return float(kendalltau(a, b).statistic)


def mape(y_true: Sequence[float], y_pred: Sequence[float]) -> float:
    """Mean absolute percentage error, as a fraction (0.05 = 5 %)."""
    t, p = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    if t.shape != p.shape or t.size == 0 or np.any(t <= 0):
        raise ConfigError("mape needs equal-length, non-empty sequences with positive true values")
    return float(np.mean(np.abs(p - t) / t))
