"""``synthetic``: a deterministic latency from MACs and memory traffic, for tests and demos only."""

from __future__ import annotations

import time

import numpy as np

from gpunet_ray.errors import MeasurementError

from .base import Backend

__all__ = ["Synthetic"]


class Synthetic(Backend):
    """Deterministic fake latency from :func:`arch_stats` (tests and demos; not a real measurement).

    ``latency_ms = base_ms + macs * ms_per_gmac / 1e9 + activations * ms_per_mact / 1e6 + layers * ms_per_layer``
    with ~1 % seeded log-normal run-to-run noise. Options: ``delay_s`` (sleep per measurement, to
    simulate the cost of timing), ``fail_on`` (arch hashes that raise MeasurementError), and the
    coefficients above.
    """

    name = "synthetic"

    _COEFF = {"base_ms": 0.05, "ms_per_gmac": 4.0, "ms_per_mact": 0.4, "ms_per_layer": 0.01}

    def _environment(self):
        from gpunet_ray import __version__

        coeff = {k: self.options.get(k, d) for k, d in self._COEFF.items()}
        return "synthetic", {"gpunet_ray": __version__}, coeff

    def expected_ms(self, spec) -> float:
        from gpunet_ray.search_space.stats import arch_stats

        st = arch_stats(spec)
        c = {k: float(self.options.get(k, d)) for k, d in self._COEFF.items()}
        return (c["base_ms"] + st.macs * c["ms_per_gmac"] / 1e9 + st.activations * c["ms_per_mact"] / 1e6
                + len(spec.layers) * c["ms_per_layer"]) * self.batch

    def measure(self, spec, policy=None):
        policy = policy or self.policy
        t0 = time.time()
        if spec.hash in set(self.options.get("fail_on", ())):
            raise MeasurementError(f"synthetic failure for {spec.hash}")
        delay = float(self.options.get("delay_s", 0.0))
        if delay > 0:
            time.sleep(delay)
        mu = self.expected_ms(spec)
        seed = int(spec.hash, 16) % (2**32)
        n = policy.repeats or policy.min_repeats
        samples = mu * np.exp(np.random.default_rng(seed).normal(0.0, 0.01, size=n))
        return self._record(spec, samples.tolist(), "fixed" if policy.repeats else "stable", t0)
