"""A user's own latency backend, for tests/test_backend_plugin.py (not a test module).

Importable as ``toy_latency_backend`` wherever ``tests/`` is on ``sys.path`` / ``PYTHONPATH``
(pytest puts it there for the driver; the plugin tests put it on the Ray workers' PYTHONPATH).
"""

from __future__ import annotations

import os

from gpunet_ray.latency import Backend

__all__ = ["ToyBackend", "NotABackend"]


class ToyBackend(Backend):
    """A fixed "latency" of ``base_ms + 0.1 ms`` per layer; the device names the measuring process."""

    name = "toy"

    def _environment(self):
        return f"toy-pid-{os.getpid()}", {"toy": "1"}, {"base_ms": float(self.options.get("base_ms", 1.0))}

    def _prepare(self, spec, workdir):
        ms = float(self.options.get("base_ms", 1.0)) + 0.1 * len(spec.layers)
        return lambda: ms


class NotABackend:
    """Not a Backend subclass: naming it as a backend is a ConfigError."""
