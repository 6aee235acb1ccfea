"""Latency measurement: backends, cache, Ray actor pool, predictor (see issue: latency service)."""
