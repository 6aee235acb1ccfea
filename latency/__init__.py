"""Latency measurement: backends, statistics, persistent cache, Ray actor pool, learned predictor.

Public API (heavy pieces load on first use; ``import gpunet_ray.latency`` imports neither torch,
Ray nor scikit-learn)::

    from gpunet_ray.latency import (LatencyRecord, LatencyCache, get_backend, measure_latency,
                                    LatencyService, LatencyPredictor)

    rec = measure_latency(spec, backend="onnxruntime-cpu", threads=1)   # rec.median_ms: batch 1
    rec = measure_latency(spec, backend="mypkg.timing:MyBackend")        # your own Backend subclass
    svc = LatencyService(backend="onnxruntime-cpu", num_actors=1, cache_path="latency.sqlite")
    futures = svc.submit(specs); records = [f.result() for f in futures]

CLI: ``python -m gpunet_ray.latency {measure,table,predict-eval} ...``.
"""

from __future__ import annotations

from gpunet_ray._lazy import lazy_attributes


_LAZY = {
    "LatencyRecord": ".record",
    "Environment": ".record",
    "LatencyCache": ".cache",
    "default_cache_path": ".cache",
    "get_backend": ".backends",
    "backend_class": ".backends",
    "backend_help": ".backends",
    "list_backends": ".backends",
    "register_backend": ".backends",
    "Backend": ".backends",
    "DEFAULT_BACKEND": ".backends",
    "ENTRY_POINT_GROUP": ".backends",
    "measure_latency": ".measure",
    "TimingPolicy": ".timing",
    "summarize": ".timing",
    "kendall_tau": ".timing",
    "mape": ".timing",
    "MeasurementError": "gpunet_ray.errors",
    "MeasurementTimeout": "gpunet_ray.errors",
    "parse_trtexec_output": ".trtexec",
    "LatencyService": ".service",
    "LatencyPredictor": ".predictor",
    "arch_features": ".predictor",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY)  # the heavy modules load on first use
