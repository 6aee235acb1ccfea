"""One error taxonomy for the whole project.

Every user-facing check raises a subclass of :class:`GpunetRayError`. The CLIs map them to exit
code 2 and a single line on stderr; Tune trials map them to infeasible results with a ``reason``
(see :func:`reason_of`) so that the searcher learns from them instead of the search crashing.
"""

from __future__ import annotations

__all__ = [
    "GpunetRayError",
    "InvalidArchitecture",
    "OverLatencyBudget",
    "TrainingDiverged",
    "OutOfMemory",
    "BackendUnavailable",
    "DatasetError",
    "ConfigError",
    "TooLarge",
    "MeasurementError",
    "MeasurementTimeout",
    "UsageError",
    "HubQueryMiss",
    "SearcherSetupError",
    "reason_of",
]


class GpunetRayError(Exception):
    """Base class. ``reason`` is a short machine-readable tag stored with infeasible results."""

    reason = "error"


class InvalidArchitecture(GpunetRayError, ValueError):
    """A malformed architecture, or one outside the chosen search space."""

    reason = "invalid_architecture"


class OverLatencyBudget(GpunetRayError):
    """The candidate's (measured or predicted) latency exceeds every requested budget."""

    reason = "over_latency_budget"


class TrainingDiverged(GpunetRayError):
    """Loss became NaN or infinite during training."""

    reason = "training_diverged"


class OutOfMemory(GpunetRayError):
    """The accelerator ran out of memory while training or measuring a candidate."""

    reason = "out_of_memory"


class BackendUnavailable(GpunetRayError):
    """An optional dependency or device needed by the requested backend is missing."""

    reason = "backend_unavailable"


class DatasetError(GpunetRayError):
    """The dataset is missing, empty or not in the ImageNet folder layout."""

    reason = "dataset_error"


class ConfigError(GpunetRayError, ValueError):
    """A configuration value (CLI flag or YAML field) is invalid."""

    reason = "config_error"


class TooLarge(GpunetRayError):
    """The network's parameter count or activation memory at the requested batch is above the
    configured limit (checked from the arch statistics before any tensor is allocated; see
    :func:`gpunet_ray.search_space.stats.check_size`)."""

    reason = "too_large"


class MeasurementError(GpunetRayError):
    """A latency backend ran but produced no usable timing (a failed engine build, a crashed run ...)."""

    reason = "measurement_failed"


class MeasurementTimeout(GpunetRayError, TimeoutError):
    """A measurement took longer than the latency service's per-request timeout (its actor was replaced)."""

    reason = "latency_timeout"


class UsageError(GpunetRayError):
    """Bad command-line usage (an unknown flag, a malformed value)."""

    reason = "usage_error"


class HubQueryMiss(GpunetRayError):
    """No hub entry meets the requested budget (``hub query`` exits 1 with it)."""

    reason = "no_hub_entry"


class SearcherSetupError(ConfigError, RuntimeError):
    """The searcher lacks a search space, a metric or a mode when it needs one.

    A RuntimeError, as Ray's searchers raise in this case, and a ConfigError (ValueError)."""

    reason = "searcher_setup"


def reason_of(exc: BaseException) -> str:
    """The ``reason`` tag to record for ``exc`` (``"error"`` for foreign exceptions)."""
    return getattr(exc, "reason", "error") if isinstance(exc, GpunetRayError) else "error"
