"""Old name of :mod:`gpunet_ray.cli` (kept for modules not yet moved)."""

from .cli import OneLineParser, UsageError, key_values, run_cli  # noqa: F401
