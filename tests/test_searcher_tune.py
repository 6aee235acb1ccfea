"""Ray Tune contract of LAMCTSSearch (few, small; the Tuner tests start a 2-CPU local Ray)."""

from __future__ import annotations

import json
import math
import os
import signal

import pytest

pytest.importorskip("ray.tune")

from ray import tune  # noqa: E402
from ray.tune.search import ConcurrencyLimiter, Searcher  # noqa: E402

from gpunet_ray.errors import ConfigError  # noqa: E402
from gpunet_ray.search_space import get_space  # noqa: E402
from gpunet_ray.searchers import LAMCTSSearch, get_searcher  # noqa: E402

pytestmark = pytest.mark.timeout(240)


def space():
    return {
        "lr": tune.loguniform(1e-4, 1e-1),
        "mom": tune.uniform(0.5, 0.99),
        "layers": tune.randint(1, 5),
        "width": tune.qrandint(16, 64, 16),
        "opt": {"name": tune.choice(["sgd", "adam"]), "fixed": 7},
    }


def loss(cfg: dict) -> float:
    return (math.log10(cfg["lr"]) + 2) ** 2 + (cfg["mom"] - 0.9) ** 2 + cfg["layers"] / 10 + (cfg["opt"]["name"] == "sgd")


def _key(cfg: dict) -> str:
    return json.dumps(cfg, sort_keys=True)


def test_contract_without_tuner(tmp_path):
    s = LAMCTSSearch(space(), metric="loss", mode="min", seed=0, n_init=4,
                     points_to_evaluate=[{"lr": 0.01, "mom": 0.9, "layers": 1, "width": 32,
                                          "opt": {"name": "adam", "fixed": 7}}])
    assert s.set_search_properties("loss", "min", space()) is False  # already configured
    first = s.suggest("t0")
    assert first["lr"] == 0.01 and first["opt"] == {"name": "adam", "fixed": 7}
    limited = ConcurrencyLimiter(s, max_concurrent=2)
    assert limited._limit_concurrency  # the limiter counts its own trials (t1, t2), as with Ray's searchers
    assert limited.suggest("t1") is not None and limited.suggest("t2") is not None
    assert limited.suggest("t3") is None
    s.on_trial_result("t1", {"loss": 0.5, "training_iteration": 1})
    limited.on_trial_complete("t1", None)  # no final result: the last intermediate value is used
    s.on_trial_complete("t0", {"loss": float("nan")})  # NaN: infeasible, no crash
    cfg3 = limited.suggest("t3")
    assert cfg3 is not None and cfg3["opt"]["fixed"] == 7
    hist = s.core.history()
    assert [h["feasible"] for h in hist] == [True, False] and hist[0]["value"] == 0.5
    # save mid-run (t2, t3 in flight) and restore into a blank instance
    path = str(tmp_path / "searcher-state-x.pkl")
    s.save(path)
    json.load(open(path))  # plain JSON, no pickle
    blank = LAMCTSSearch()
    blank.restore(path)
    assert blank.metric == "loss" and blank.mode == "min"
    inflight = {_key(s._domain.to_config(c)) for c in s._live.values()}
    assert len(inflight) == 2
    blank.on_trial_complete("t2", {"loss": 1.0})
    blank.on_trial_complete("t3", None, error=True)
    seen = {_key(first)} | inflight
    for i in range(4, 14):
        c = blank.suggest(f"t{i}")
        assert _key(c) not in seen  # never re-suggests evaluated or in-flight points
        seen.add(_key(c))
        blank.on_trial_complete(f"t{i}", {"loss": loss(c)})
    hist = blank.core.history()
    assert len(hist) == 14 and sum(not h["feasible"] for h in hist) == 2
    assert blank.core.history()[3]["extra"]["reason"] == "error"


def test_warm_start_feasible_flag_and_gpunet_space():
    pts = [{"x": 0.1}, {"x": 0.9}]
    s = LAMCTSSearch({"x": tune.uniform(0, 1)}, metric="m", mode="max", points_to_evaluate=pts,
                     evaluated_rewards=[1.0, None], seed=1, n_init=2)
    assert len(s.core.history()) == 2 and s.core.best["value"] == 1.0
    c = s.suggest("a")
    assert c["x"] not in (0.1, 0.9)
    s.on_trial_complete("a", {"m": 5.0, "feasible": False, "reason": "over_latency_budget"})
    assert s.core.history()[-1]["extra"]["reason"] == "over_latency_budget"
    assert s.core.best["value"] == 1.0
    with pytest.raises(ConfigError):
        LAMCTSSearch({"x": tune.uniform(0, 1)}, points_to_evaluate=pts, evaluated_rewards=[1.0])
    with pytest.raises(RuntimeError):
        LAMCTSSearch({"x": tune.uniform(0, 1)}).suggest("z")  # no metric/mode
    tiny = get_space("tiny")
    g = LAMCTSSearch(tiny, metric="acc", mode="max", seed=0)
    cfg = g.suggest("g0")
    tiny.from_config(cfg)  # a flat choice dict of the space
    g.on_trial_complete("g0", {"acc": 0.3})
    state = g.get_state()
    blank = LAMCTSSearch()
    blank.set_state(json.loads(json.dumps(state)))
    assert blank.core.domain.canonical is not None  # SearchSpace rebuilt: canonical duplicate key


@pytest.fixture(scope="module")
def ray_local():
    import sys

    import ray
    from ray import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import tests/
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    yield
    ray.shutdown()


def _trainable(config):
    marker = config["opt"].get("marker")
    if marker and os.path.exists(marker):  # first run: Ctrl+C the driver at the 6th trial
        with open(marker, "a") as f:
            f.write("x")
        if os.path.getsize(marker) == 6:
            os.kill(config["opt"]["driver_pid"], signal.SIGINT)
    v = loss(config)
    if config["mom"] > 0.95:
        v = float("nan")
    tune.report({"loss": v})


@pytest.mark.ray
def test_tuner_end_to_end_and_restore(ray_local, tmp_path):
    marker = tmp_path / "crash-marker"
    marker.write_text("")
    param_space = space()
    param_space["opt"].update(marker=str(marker), driver_pid=os.getpid())
    search = ConcurrencyLimiter(get_searcher("lamcts", seed=0, n_init=4), max_concurrent=2)
    tuner = tune.Tuner(
        _trainable,
        param_space=param_space,
        tune_config=tune.TuneConfig(search_alg=search, metric="loss", mode="min", num_samples=12),
        run_config=tune.RunConfig(storage_path=str(tmp_path), name="exp", verbose=0),
    )
    first = tuner.fit()  # Tune catches SIGINT, saves the experiment and returns early
    assert len(first) < 12
    assert search.searcher.core.options.budget == 12  # Tune's num_samples, read from set_search_properties
    marker.unlink()
    exp = str(tmp_path / "exp")
    assert tune.Tuner.can_restore(exp)
    grid = tune.Tuner.restore(exp, trainable=_trainable, resume_unfinished=True).fit()
    configs = [r.config for r in grid]
    keys = {_key(c) for c in configs}
    assert len(configs) == 12 and len(keys) == 12  # nothing re-suggested after the restore
    assert all(c["opt"]["fixed"] == 7 for c in configs)
    assert sum(r.metrics.get("loss") is not None for r in grid) == 12


# -- the adapter base LAMCTSSearch shares with the search's own GatedSearch -----------------------
class _Rec:  # a latency record, reduced to what the pipeline reads
    median_ms, p90_ms, cv, n, backend, device = 0.4, 0.4, 0.01, 5, "synthetic", "cpu"


class _Pool:  # the latency pool, without Ray
    def submit(self, specs):
        return [_Rec() for _ in specs]


def _gated(folder):
    from gpunet_ray.config import LatencyConfig
    from gpunet_ray.tune_adapter import GatedSearch

    folder.mkdir(exist_ok=True)
    gs = GatedSearch(space="tiny", num_classes=10, budgets_ms=(0.5,), latency=LatencyConfig(),
                     cache_path=str(folder / "c.sqlite"), log_path=str(folder / "log.jsonl"), verbose=False,
                     trial_constants={"k": 1}, epochs=1)
    gs._service, gs._metrics = _Pool(), False
    return gs


def test_gated_search_shares_the_adapter_base(tmp_path):
    from gpunet_ray.searchers import TuneAdapter

    gs = _gated(tmp_path / "a")
    assert isinstance(gs, TuneAdapter) and issubclass(LAMCTSSearch, TuneAdapter)
    a = gs.suggest("t1")
    assert a["k"] == 1 and gs.suggest("t1") == a  # Tune asking again: the same candidate
    b = gs.suggest("t2")
    assert b["candidate_id"] != a["candidate_id"]
    gs.on_trial_complete("t1", {"top1": 50.0, "epoch": 1, "done": True})
    gs.on_trial_complete("t1", {"top1": 99.0, "epoch": 1, "done": True})  # a second completion: ignored
    assert gs.pipeline.ledger[a["candidate_id"]].top1 == 50.0
    path = tmp_path / "a" / "searcher-state-x.pkl"
    gs.save(str(path))
    state = json.loads(path.read_text())
    assert (state["format"], state["version"], state["trials"]) == ("gpunet_ray.gated_search", 2,
                                                                   {"t2": b["candidate_id"]})
    assert not [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")]  # written atomically
    fresh = _gated(tmp_path / "b")
    fresh.restore(str(path))
    assert fresh.suggest("t2") == b  # the trial in flight keeps its candidate
    for bad, needle in (({**state, "format": "x"}, "not a gpunet_ray.gated_search"),
                        ({**state, "version": 1}, "version 1 is not supported")):
        with pytest.raises(ConfigError, match=needle):
            fresh.set_state(bad)
    path.write_bytes(b"\x80\x04pickled")
    with pytest.raises(ConfigError, match="not a JSON searcher state"):
        fresh.restore(str(path))
