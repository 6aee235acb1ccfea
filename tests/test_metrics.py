"""Dashboard metrics: the search's counters and gauges reach Ray's Prometheus endpoint."""

import socket
import time
import urllib.request

import pytest

from gpunet_ray.config import LatencyConfig

pytestmark = pytest.mark.ray


@pytest.mark.timeout(180)
def test_search_metrics_are_exported(tmp_path):
    ray = pytest.importorskip("ray")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    ray.init(include_dashboard=False, _metrics_export_port=port, num_cpus=1, logging_level="ERROR")
    try:
        from gpunet_ray.tune_adapter import GatedSearch

        gs = GatedSearch(space="tiny", num_classes=10, budgets_ms=(0.5, 0.85), latency=LatencyConfig(),
                         cache_path=str(tmp_path / "c.sqlite"), log_path=str(tmp_path / "log.jsonl"), verbose=False)
        p = gs.pipeline
        ids = p._ask()
        p._set(ids[0], status="rejected", reason="over_latency_budget", latency_ms=2.0)
        p._set(ids[1], status="trained", latency_ms=0.6, top1=93.5)
        gs._progress(force=True)
        assert p.best_per_tier() == {0.85: 93.5}
        want = {"ray_gpunet_candidates_total": False, "ray_gpunet_best_top1": False}
        deadline = time.time() + 90
        while time.time() < deadline and not all(want.values()):
            try:
                text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
            except OSError:
                text = ""
            for line in text.splitlines():
                if line.startswith("ray_gpunet_candidates_total") and 'status="rejected"' in line:
                    want["ray_gpunet_candidates_total"] = line.rstrip().endswith(" 1.0")
                if line.startswith("ray_gpunet_best_top1") and 'tier="0.85ms"' in line:
                    want["ray_gpunet_best_top1"] = line.rstrip().endswith(" 93.5")
            time.sleep(1)
        assert all(want.values()), want
        # the log has one line per update, and rebuilds the latest state of each candidate
        from gpunet_ray.ledger import load_candidates

        latest = load_candidates(tmp_path / "log.jsonl")
        assert latest[ids[0]]["status"] == "rejected" and latest[ids[1]]["top1"] == 93.5
    finally:
        ray.shutdown()
