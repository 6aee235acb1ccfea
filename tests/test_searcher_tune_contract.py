"""Ray Tune's own searcher contract, applied to LAMCTSSearch.

Adapted from Ray 2.60's tests (python/ray/tune/tests/): test_sample.py (conversion, sample bounds,
points to evaluate, nested spaces), test_searchers.py (invalid values, add_evaluated_point,
save/restore, multi-objective, report after complete), test_searcher_utils.py (ConcurrencyLimiter
get/set state, batch mode, Repeater, nested suggestions) and the searcher part of
test_tuner_restore.py (a subclass's state survives ``Tuner.restore``). The acceptance line is what
Ray's built-in searchers (OptunaSearch, HyperOptSearch) pass; where Ray runs ``tune.run`` only to
call the searcher, these tests call the searcher API directly. Further tests pin the findings
this file was written for: hierarchical spaces, non-JSON values, the excluded upper bound,
ValueError for every user error, batch limiting, subclass attributes.
"""

from __future__ import annotations

import copy
import json
import math
import os
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ray.tune")

from ray import tune  # noqa: E402
from ray.tune.search import ConcurrencyLimiter  # noqa: E402
from ray.tune.search.repeater import Repeater  # noqa: E402

from gpunet_ray.errors import ConfigError  # noqa: E402
from gpunet_ray.searchers import Domain, LAMCTSSearch, RandomSearch  # noqa: E402
from gpunet_ray.searchers._tune import SearcherSetupError  # noqa: E402

pytestmark = pytest.mark.timeout(300)

FAST = dict(n_init=4, n_candidates=200, acq_opt="candidates")  # small model steps: CI time


def _drive(searcher, n, f, prefix="t"):
    """suggest/complete ``n`` trials with ``f(config) -> result dict``; the configs."""
    out = []
    for i in range(n):
        c = searcher.suggest(f"{prefix}{i}")
        out.append(c)
        searcher.on_trial_complete(f"{prefix}{i}", f(c))
    return out


def _no_search_objects(v) -> bool:
    from ray.tune.search.sample import Domain as TuneDomain

    if isinstance(v, TuneDomain):
        return False
    if isinstance(v, dict):
        return "grid_search" not in v and all(_no_search_objects(x) for x in v.values())
    if isinstance(v, (list, tuple)):
        return all(_no_search_objects(x) for x in v)
    return True


# -- test_sample.py: SearchSpaceTest --------------------------------------------------------------
def _sample_space():
    """Ray's SearchSpaceTest config without ``func`` (sample_from) and ``randn``/``qrandn``
    (unbounded): OptunaSearch's ignore list minus the quantised ones, which pass here."""
    return {
        "uniform": tune.uniform(-5, -1),
        "quniform": tune.quniform(3.2, 5.4, 0.2),
        "loguniform": tune.loguniform(1e-4, 1e-2),
        "qloguniform": tune.qloguniform(1e-4, 1e-1, 5e-5),
        "choice": tune.choice([2, 3, 4]),
        "randint": tune.randint(-9, 15),
        "lograndint": tune.lograndint(1, 10),
        "qrandint": tune.qrandint(-21, 12, 3),
        "qrandint_q3": tune.qrandint(1, 10, 3),
        "qrandint_q1": tune.qrandint(1, 5, 1),
        "qlograndint": tune.qlograndint(2, 20, 2),
    }


def _check_sample_api(configs, check_stats=True):
    """Ray's ``_testTuneSampleAPI``: bounds (upper bound excluded unless quantised), types,
    quantisation, and (``check_stats``) that every integer value is reached."""
    stats = defaultdict(list)
    for out in configs:
        for k, v in out.items():
            stats[k].append(v)
        assert -5 <= out["uniform"] < -1
        assert 3.2 <= out["quniform"] <= 5.4
        assert out["quniform"] / 0.2 == pytest.approx(round(out["quniform"] / 0.2), abs=1e-7)
        assert 1e-4 <= out["loguniform"] < 1e-2
        assert 1e-4 <= out["qloguniform"] <= 1e-1
        assert out["qloguniform"] / 5e-5 == pytest.approx(round(out["qloguniform"] / 5e-5), abs=1e-7)
        assert out["choice"] in [2, 3, 4]
        for k, lo, hi, step in [("randint", -9, 14, 1), ("lograndint", 1, 9, 1), ("qrandint", -21, 12, 3),
                                ("qrandint_q3", 3, 9, 3), ("qrandint_q1", 1, 5, 1), ("qlograndint", 2, 20, 2)]:
            assert isinstance(out[k], int) and lo <= out[k] <= hi and out[k] % step == 0, (k, out[k])
    if check_stats:
        assert {2, 3, 4} <= set(stats["choice"])
        assert set(range(-9, 15)) <= set(stats["randint"])
        assert set(range(-21, 13, 3)) <= set(stats["qrandint"])
        assert set(range(3, 11, 3)) <= set(stats["qrandint_q3"])
        assert set(range(1, 5)) <= set(stats["qrandint_q1"])
        assert set(range(1, 10)) <= set(stats["lograndint"])
        assert set(range(2, 21, 2)) <= set(stats["qlograndint"])


def test_sample_bounds_random_1000():
    """testSampleBounds*: 1000 suggestions of the same encoding (the random core: the model is slow)."""
    s = RandomSearch(_sample_space(), metric="a", mode="max", seed=0)
    _check_sample_api(s.suggest(f"trial_{i}") for i in range(1000))


def test_sample_bounds_model_based_upper_bound_excluded():
    """Finding 3: model-based suggestions pushed to the upper bounds stay in [low, high) (on
    Tune's grid, upper bound included, when quantised)."""
    space = {k: v for k, v in _sample_space().items() if k in ("uniform", "loguniform", "quniform")}
    s = LAMCTSSearch(space, metric="a", mode="max", seed=0, n_init=4)
    configs = _drive(s, 12, lambda c: {"a": c["uniform"] + math.log10(c["loguniform"]) + c["quniform"]})
    for c in configs:
        assert -5 <= c["uniform"] < -1 and 1e-4 <= c["loguniform"] < 1e-2 and 3.2 <= c["quniform"] <= 5.4
        assert c["quniform"] / 0.2 == pytest.approx(round(c["quniform"] / 0.2), abs=1e-7)
    assert max(c["uniform"] for c in configs) > -1.2  # the model did push towards the bounds
    assert max(c["quniform"] for c in configs) == pytest.approx(5.4)


def test_float_unit_encoding_excludes_upper_bound():
    """Finding 3, at the encoding: unit coordinate 1 decodes below ``high``; q-grids as Tune's."""
    d = Domain.from_tune({"u": tune.uniform(0, 1), "l": tune.loguniform(1e-3, 1.0),
                          "q": tune.quniform(0.0, 0.9, 0.3), "qs": tune.quniform(3.2, 5.4, 0.2)})
    top = d.from_unit(np.ones((1, 4)))[0]
    assert top["u"] < 1.0 and top["l"] < 1.0
    assert top["q"] == pytest.approx(0.9) and top["q"] <= 0.9
    assert top["qs"] == pytest.approx(5.4) and top["qs"] <= 5.4
    low = d.from_unit(np.zeros((1, 4)))[0]
    assert low["u"] == 0.0 and low["l"] == pytest.approx(1e-3) and low["qs"] == pytest.approx(3.2)


def _ax_style_config():
    return {
        "a": tune.choice([2, 3, 4]),
        "b": {"x": tune.qrandint(0, 5, 2), "y": 4, "z": tune.loguniform(1e-4, 1e-2)},
    }


def test_convert_search_space():
    """testConvertOptuna/HyperOpt: grid search is a ValueError; a converted space and the raw
    one give the same suggestions; constants and nesting are kept; a mixed space works."""
    with pytest.raises(ValueError):
        LAMCTSSearch.convert_search_space({"grid": tune.grid_search([0, 1])})
    converted = LAMCTSSearch.convert_search_space(_ax_style_config())
    assert isinstance(converted, Domain)
    s1 = LAMCTSSearch(space=converted, metric="a", mode="max", seed=1234)
    s2 = LAMCTSSearch(space=_ax_style_config(), metric="a", mode="max", seed=1234)
    c1, c2 = s1.suggest("0"), s2.suggest("0")
    assert c1 == c2
    assert c1["a"] in [2, 3, 4] and c1["b"]["x"] in [0, 2, 4] and c1["b"]["y"] == 4
    assert 1e-4 < c1["b"]["z"] < 1e-2
    mixed = LAMCTSSearch(space={"a": tune.uniform(5, 6), "b": tune.uniform(8, 9)}, metric="a", mode="max")
    c = mixed.suggest("0")
    assert 5 <= c["a"] < 6 and 8 <= c["b"] < 9


def test_categorical_dtype_and_list_choices():
    """testCategoricalDtype and testConvertHyperOptChooseFromListOfList: values come back as given."""
    s = RandomSearch({"d": tune.choice([1.0, "str"]), "l": tune.choice([[1, 2], [3, 4]])},
                     metric="m", mode="max", seed=0)
    seen = [s.suggest(str(i)) for i in range(4)]
    assert all((c["d"], type(c["d"])) in [(1.0, float), ("str", str)] for c in seen)
    assert all(c["l"] in ([1, 2], [3, 4]) for c in seen) and len({c["d"] for c in seen}) == 2


def test_constant_only_space_is_a_setup_error():
    """testConvertHyperOptConstant: a space without search objects (RuntimeError as in Ray; ValueError too)."""
    s = LAMCTSSearch()
    with pytest.raises(RuntimeError):
        s.set_search_properties(metric="a", mode="max", config={"a": 4})
    with pytest.raises(ValueError):
        LAMCTSSearch({"a": 4})


def test_points_to_evaluate():
    """_testPointsToEvaluate (exact), the HyperOpt missing-key check (ValueError), and
    testPointsToEvaluateHyperOptNested (search objects inside a list)."""
    config = {"metric": tune.choice([1, 2, 3, 4]), "a": tune.choice(["t1", "t2", "t3", "t4"]),
              "b": tune.randint(0, 5), "c": tune.loguniform(1e-4, 1e-1)}
    points = [{k: v.sample() for k, v in config.items()} for _ in range(2)]
    s = LAMCTSSearch(points_to_evaluate=points, seed=0, **FAST)
    assert s.set_search_properties("metric", "max", config)
    got = _drive(s, 5, lambda c: {"metric": c["metric"]})
    assert got[:2] == points
    missing = [{k: v.sample() for k, v in list(config.items())[:-1]}]
    with pytest.raises(ValueError):
        LAMCTSSearch(points_to_evaluate=missing).set_search_properties("metric", "max", config)
    space = {"nested": [tune.randint(0, 10), tune.randint(0, 10)], "nosample": [4, 8]}
    pts = [{"nested": [2, 4], "nosample": [4, 8]}]
    c = LAMCTSSearch(space=space, metric="_", mode="max", points_to_evaluate=pts).suggest("0")
    assert c["nested"] == [2, 4] and c["nosample"] == [4, 8]


# -- hierarchical spaces (finding 1; testConvertHyperOptNested) -----------------------------------
def _nested_space():
    return {
        "a": 1,
        "dict_nested": tune.choice([{"a": tune.choice(["M", "N"]), "b": tune.choice(["O", "P"])}]),
        "list_nested": tune.choice([[tune.choice(["M", "N"]), tune.choice(["O", "P"])],
                                    [tune.choice(["Q", "R"]), tune.choice(["S", "T"])]]),
        "domain_nested": tune.choice([tune.choice(["M", "N"]), tune.choice(["O", "P"])]),
    }


def test_convert_nested_choices():
    """testConvertHyperOptNested: choices over dicts, lists and search objects resolve to values."""
    s = LAMCTSSearch(_nested_space(), metric="m", mode="max", seed=0, **FAST)
    for config in _drive(s, 10, lambda c: {"m": float(c["domain_nested"] in "MN")}):
        assert _no_search_objects(config) and config["a"] == 1
        assert config["dict_nested"]["a"] in ["M", "N"] and config["dict_nested"]["b"] in ["O", "P"]
        if config["list_nested"][0] in ["M", "N"]:
            assert config["list_nested"][1] in ["O", "P"]
        else:
            assert config["list_nested"][0] in ["Q", "R"] and config["list_nested"][1] in ["S", "T"]
        assert config["domain_nested"] in ["M", "N", "O", "P"]


def test_conditional_parameters_are_searched():
    """Finding 1: a branch's sub-parameters are parameters of the domain, active only in their
    branch (inactive ones sit at a neutral value), and the model optimises them."""
    space = {"opt": tune.choice([{"name": "sgd", "lr": tune.loguniform(1e-4, 1e-1)},
                                 {"name": "adam", "beta": tune.uniform(0.5, 1.0), "k": tune.randint(0, 4)}])}
    d = LAMCTSSearch.convert_search_space(space)
    assert d.names == ["opt", "opt/0/lr", "opt/1/beta", "opt/1/k"]
    flat = d.flat({"opt": {"name": "adam", "beta": 0.7, "k": 3}})
    assert flat["opt"] == 1 and flat["opt/1/k"] == 3 and flat["opt/0/lr"] == d.params[1].neutral
    assert d.active(flat) == {"opt": True, "opt/0/lr": False, "opt/1/beta": True, "opt/1/k": True}
    assert d.key(dict(flat, **{"opt/0/lr": 0.05})) == d.key(flat)  # inactive values do not matter
    with pytest.raises(ValueError):
        d.flat({"opt": {"name": "rmsprop"}})  # matches no branch

    def score(c):
        o = c["opt"]
        return 1.0 - abs(o["beta"] - 0.9) - 0.1 * abs(o["k"] - 2) if o["name"] == "adam" else 0.2

    s = LAMCTSSearch(space, metric="m", mode="max", seed=0, **dict(FAST, n_init=6))
    configs = _drive(s, 20, lambda c: {"m": score(c)})
    assert all(_no_search_objects(c) and set(c["opt"]) in ({"name", "lr"}, {"name", "beta", "k"}) for c in configs)
    best = s.core.best["config"]["opt"]
    assert best["name"] == "adam" and abs(best["beta"] - 0.9) < 0.1


def test_list_nested_only_space():
    """Finding 1: search objects only inside a list form a domain (no 'needs at least one parameter')."""
    s = LAMCTSSearch({"nested": [tune.randint(0, 4), tune.randint(0, 4)]}, metric="m", mode="min", seed=0, **FAST)
    configs = _drive(s, 6, lambda c: {"m": sum(c["nested"])})
    assert all(isinstance(c["nested"], list) and all(v in range(4) for v in c["nested"]) for c in configs)
    assert len({tuple(c["nested"]) for c in configs}) == 6


def test_hierarchical_state_round_trip(tmp_path):
    """Finding 1: a hierarchical space saves as JSON and restores (even into a blank searcher)."""
    space = {"x": tune.choice([{"a": tune.uniform(0, 1)}, {"b": tune.randint(0, 4)}]),
             "nested": [tune.randint(0, 4), tune.randint(0, 4)]}
    s = LAMCTSSearch(space, metric="m", mode="max", seed=0, **FAST)
    _drive(s, 5, lambda c: {"m": c["nested"][0]})
    live = s.suggest("live")
    path = str(tmp_path / "state.pkl")
    s.save(path)
    json.load(open(path))
    for blank in (LAMCTSSearch(), LAMCTSSearch(space)):
        blank.restore(path)
        assert blank.suggest("live") == live  # the in-flight trial keeps its config
        assert blank.core.n_observations == 5
        nxt = blank.suggest("next")
        assert _no_search_objects(nxt) and nxt != live


# -- non-JSON values (finding 2) ------------------------------------------------------------------
def test_non_json_values_save_and_restore(tmp_path):
    """Finding 2: functions as choices and Path constants: the state stores indices/placeholders;
    a searcher built with the same space restores with the real values; one without a space
    refuses with a clear ValueError."""
    space = {"fn": tune.choice([abs, round]), "root": tmp_path, "x": tune.uniform(-2, 2),
             "pair": (Path("/data"), None)}
    s = LAMCTSSearch(space, metric="m", mode="min", seed=0, **FAST)
    done = _drive(s, 4, lambda c: {"m": c["fn"](c["x"])})
    assert {c["fn"] for c in done} <= {abs, round} and all(c["root"] == tmp_path for c in done)
    live = s.suggest("live")
    path = str(tmp_path / "searcher-state.pkl")
    s.save(path)
    text = open(path).read()
    json.loads(text)
    assert "built-in function" in text  # a readable placeholder, not the object
    fresh = LAMCTSSearch(space)
    fresh.restore(path)
    assert fresh.suggest("live") == live and fresh.suggest("live")["fn"] in (abs, round)
    assert [h["config"]["fn"] for h in fresh.core.history()] == [c["fn"] for c in done]
    fresh.on_trial_complete("live", {"m": 0.0})
    assert fresh.suggest("after")["pair"] == (Path("/data"), None)
    with pytest.raises(ValueError, match="without its search space"):
        LAMCTSSearch().restore(path)


# -- every user error is a ValueError (finding 4) -------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda: LAMCTSSearch({"g": tune.grid_search([0, 1])}),
    lambda: LAMCTSSearch().set_search_properties("m", "max", {"g": tune.grid_search([0, 1])}),
    lambda: LAMCTSSearch({"x": tune.choice([{"g": tune.grid_search([0, 1])}, 2])}),
    lambda: LAMCTSSearch({"f": tune.sample_from(lambda spec: 1)}),
    lambda: LAMCTSSearch({"r": tune.randn(0, 1)}),
    lambda: LAMCTSSearch({"x": tune.uniform(0, 1)}, metric="m", mode="maximise"),
    lambda: LAMCTSSearch({"x": tune.uniform(0, 1)}, metric=["a", "b"], mode=["max"]),
    lambda: LAMCTSSearch({"x": tune.uniform(0, 1)}, metric="m", mode="max", no_such_option=1),
    lambda: LAMCTSSearch({"x": tune.uniform(0, 1)}, metric="m", mode="max", sampler="nope").suggest("0"),
    lambda: LAMCTSSearch({"x": tune.uniform(0, 1)}, points_to_evaluate=[{"y": 1}]),
    lambda: LAMCTSSearch({"x": tune.choice([1, 2])}, points_to_evaluate=[{"x": 3}]),
    lambda: LAMCTSSearch({"x": tune.uniform(0, 1)}, points_to_evaluate=[{"x": .5}], evaluated_rewards=[]),
    lambda: LAMCTSSearch({"x": tune.uniform(0, 1)}, metric="m", mode="max").add_evaluated_point({"y": 1}, 1.0),
    lambda: LAMCTSSearch({"x": tune.uniform(0, 1)}).suggest("0"),  # no metric/mode
    lambda: LAMCTSSearch(metric="m", mode="max").suggest("0"),  # no space
    lambda: LAMCTSSearch().set_state({"format": "something else"}),
])
def test_user_errors_are_value_errors(make):
    with pytest.raises(ValueError) as info:
        make()
    assert isinstance(info.value, ConfigError)


def test_restore_of_a_foreign_file_is_a_value_error(tmp_path):
    p = tmp_path / "searcher-state-x.pkl"
    p.write_bytes(b"\x80\x04pickled")
    with pytest.raises(ValueError):
        LAMCTSSearch().restore(str(p))
    with pytest.raises(RuntimeError):  # as Ray's searchers: a missing space/metric is a RuntimeError too
        LAMCTSSearch().suggest("0")
    assert issubclass(SearcherSetupError, ValueError) and issubclass(SearcherSetupError, RuntimeError)


# -- test_searchers.py: direct API parts -----------------------------------------------------------
def test_report_after_complete():
    """testOptunaReportTooOften: results and completions after completion are ignored."""
    s = LAMCTSSearch({"report": tune.uniform(0.0, 5.0), "list": [1, 2, 3], "num": 4}, metric="metric", mode="max")
    s.suggest("trial_1")
    s.on_trial_result("trial_1", {"training_iteration": 1, "metric": 1})
    s.on_trial_complete("trial_1", {"training_iteration": 2, "metric": 1})
    s.on_trial_result("trial_1", {"training_iteration": 3, "metric": 1})
    s.on_trial_complete("trial_1", {"training_iteration": 4, "metric": 1})
    assert s.core.n_observations == 1


def test_add_evaluated_point():
    """AddEvaluatedPointTest: warm start through evaluated_rewards and add_evaluated_point
    (error and pruned included), then suggest."""
    space = {"report": tune.uniform(0.0, 5.0)}
    s = LAMCTSSearch(space=space, metric="metric", mode="max", points_to_evaluate=[{"report": 1.0}],
                     evaluated_rewards=[1.0])
    assert s.core.n_observations > 0
    s = LAMCTSSearch(space=space, metric="metric", mode="max")
    assert s.core.n_observations == 0
    s.add_evaluated_point({"report": 1.0}, 1.0, intermediate_values=[0.8, 0.9])
    assert s.core.n_observations == 1 and s.core.history()[-1]["feasible"]
    s.add_evaluated_point({"report": 1.0}, 1.0, intermediate_values=[0.8, 0.9], error=True)
    assert s.core.n_observations == 2 and not s.core.history()[-1]["feasible"]
    s.add_evaluated_point({"report": 1.0}, 1.0, intermediate_values=[0.8, 0.9], pruned=True)
    assert s.core.n_observations == 3 and s.core.history()[-1]["extra"] == {"pruned": True}
    assert s.suggest("1")["report"] != 1.0


def test_save_restore_checkpoint(tmp_path):
    """SaveRestoreCheckpointTest: save mid-run, restore into a blank searcher without
    set_search_properties; the never-completed trial is still tracked."""
    checkpoint_path = str(tmp_path / "checkpoint.pkl")
    config = {"a": tune.uniform(0.0, 5.0)}

    def callbacks(searcher, trial_id):
        result = {"training_iteration": 1, "metric": 1, "config/a": 1.0, "time_total_s": 1}
        searcher.on_trial_result(trial_id, result)
        searcher.on_trial_complete(trial_id, result)

    searcher = LAMCTSSearch()
    searcher.set_search_properties(metric="metric", mode="max", config=config)
    searcher.suggest("1")
    searcher.suggest("2")
    searcher.suggest("not_completed")
    callbacks(searcher, "1")
    searcher.save(checkpoint_path)

    searcher = LAMCTSSearch()
    searcher.restore(checkpoint_path)
    callbacks(searcher, "2")
    searcher.suggest("3")
    callbacks(searcher, "3")
    assert "not_completed" in searcher._live
    assert searcher.core.n_observations == 3


def test_multi_objective():
    """MultiObjectiveTest: list metric/mode; the best trial per objective is near its optimum."""
    s = LAMCTSSearch({"a": tune.uniform(0, 1), "b": tune.uniform(0, 1), "c": tune.uniform(0, 1)},
                     metric=["a", "b", "c"], mode=["max", "min", "max"], seed=1234, **FAST)
    results = []
    for c in _drive(s, 16, lambda c: dict(a=c["a"] * 100, b=c["b"] * -100, c=c["c"])):
        results.append((c, dict(a=c["a"] * 100, b=c["b"] * -100, c=c["c"])))
    assert max(results, key=lambda r: r[1]["a"])[0]["a"] >= 0.8
    assert min(results, key=lambda r: r[1]["b"])[0]["b"] >= 0.8
    assert max(results, key=lambda r: r[1]["c"])[0]["c"] >= 0.8
    assert s.core.pareto_front()


# -- test_searcher_utils.py -----------------------------------------------------------------------
def _small():
    return LAMCTSSearch({"score": tune.uniform(0, 1)}, metric="result", mode="max", seed=0, **FAST)


def test_set_get_limiter():
    """test_set_get_limiter: the limiter's own state (live trials, limit) survives get/set_state."""
    searcher = _small()
    limiter = ConcurrencyLimiter(searcher, max_concurrent=2)
    assert limiter.suggest("test_1") is not None and limiter.suggest("test_2") is not None
    assert limiter.suggest("test_3") is None
    state = limiter.get_state()
    del limiter
    limiter2 = ConcurrencyLimiter(searcher, max_concurrent=3)
    limiter2.set_state(state)
    assert limiter2.suggest("test_4") is None
    assert limiter2.suggest("test_5") is None
    limiter2.on_trial_complete("test_1", {"result": 3})
    limiter2.on_trial_complete("test_2", {"result": 3})
    assert limiter2.suggest("test_3") is not None


def test_batch_limiter():
    """test_batch_limiter (finding 5): with batch=True the searcher hears of results only once
    the whole batch has finished."""
    searcher = _small()
    limiter = ConcurrencyLimiter(searcher, max_concurrent=2, batch=True)
    assert limiter._limit_concurrency and not searcher.set_max_concurrency(2)
    assert limiter.suggest("test_1") is not None and limiter.suggest("test_2") is not None
    assert limiter.suggest("test_3") is None
    limiter.on_trial_complete("test_1", {"result": 3})
    assert limiter.suggest("test_3") is None and searcher.core.n_observations == 0
    limiter.on_trial_complete("test_2", {"result": 3})
    assert searcher.core.n_observations == 2
    assert limiter.suggest("test_3") is not None


def test_batch_limiter_no_infinite_loop():
    """test_batch_limiter_infinite_loop: the searcher's own limit (None) inside a larger batch."""
    searcher = LAMCTSSearch({"score": tune.uniform(0, 1)}, metric="result", mode="max", max_concurrent=2, **FAST)
    limiter = ConcurrencyLimiter(searcher, max_concurrent=5, batch=True)
    assert limiter.suggest("test_1") is not None and limiter.suggest("test_2") is not None
    assert limiter.suggest("test_3") is None  # the searcher's own limit
    limiter.on_trial_complete("test_1", {"result": 3})
    limiter.on_trial_complete("test_2", {"result": 3})
    assert searcher.core.n_observations == 2


def test_set_max_concurrency_leaves_limiting_to_the_limiter():
    """test_set_max_concurrency, for a searcher without its own logic (as Optuna/HyperOpt): the
    limiter limits, and a direct suggest past the searcher's own max_concurrent returns None."""
    searcher = _small()
    limiter = ConcurrencyLimiter(searcher, max_concurrent=2)
    assert limiter._limit_concurrency and searcher._max_concurrent == 0
    assert limiter.suggest("t1") is not None and limiter.suggest("t2") is not None
    assert limiter.suggest("t3") is None
    own = LAMCTSSearch({"score": tune.uniform(0, 1)}, metric="result", mode="max", max_concurrent=1, **FAST)
    assert own.suggest("a") is not None and own.suggest("b") is None


def test_repeater():
    """test_repeat_* / test_set_get_repeater: a group shares one config; the averaged result
    reaches the searcher once per group; the Repeater's state restores."""
    searcher = _small()
    rep = Repeater(searcher, repeat=3, set_index=False)
    group = [rep.suggest(f"test_{i}") for i in range(3)]
    assert group[0] == group[1] == group[2]
    second = [rep.suggest(f"test_{i}_2") for i in range(2)]
    assert second[0] == second[1] != group[0]
    state = rep.get_state()
    rep2 = Repeater(searcher, repeat=1, set_index=True)
    rep2.set_state(state)
    assert rep2.repeat == 3 and rep2.suggest("test_2_2") == second[0]
    for i in range(3):
        rep2.on_trial_complete(f"test_{i}", {"result": 2.0 + i})
    assert searcher.core.n_observations == 1 and searcher.core.history()[0]["value"] == pytest.approx(3.0)


def test_num_samples_becomes_the_budget(tmp_path):
    """Tune's num_samples (passed in set_search_properties' spec, through a ConcurrencyLimiter as Ray
    passes it) is the core's budget, plus the warm-start rewards; an unbounded run, a budget the user
    gave, a searcher without the option and a restored state keep theirs."""
    from ray.tune.search.util import _set_search_properties_backwards_compatible as set_props

    config = {"a": tune.uniform(0.0, 1.0), "b": tune.randint(0, 4)}

    def told(searcher, num_samples):
        assert set_props(ConcurrencyLimiter(searcher, 2).set_search_properties, "m", "max", config,
                         num_samples=num_samples, stop=None, time_budget_s=None)
        return searcher

    opts = told(LAMCTSSearch(**FAST), 40).core.options
    assert (opts.budget, opts.global_after) == (40, 20)
    unbounded = told(LAMCTSSearch(**FAST), sys.maxsize).core.options  # Tune's num_samples=-1
    assert (unbounded.budget, unbounded.global_after) == (None, 100)
    assert told(LAMCTSSearch(budget=300, **FAST), 40).core.options.budget == 300
    warm = LAMCTSSearch(points_to_evaluate=[{"a": 0.5, "b": 1}, {"a": 0.1, "b": 2}], evaluated_rewards=[1.0, 2.0],
                        **FAST)
    assert told(warm, 40).core.options.budget == 42
    rs = told(RandomSearch(), 40)
    assert "budget" not in rs._opts and rs.core.n_observations == 0  # no budget option: nothing passed
    s = told(LAMCTSSearch(seed=0, **FAST), 40)
    for i in range(3):
        s.suggest(f"t{i}")
        s.on_trial_complete(f"t{i}", {"m": float(i)})
    s.save(str(tmp_path / "state"))
    again = told(LAMCTSSearch(seed=0, **FAST), 500)
    again.restore(str(tmp_path / "state"))
    assert again.core.options.budget == 40 and again.core.n_observations == 3


def test_nested_suggestion_experiment_tag():
    """test_nested_suggestion: nested suggestions flow into SearchGenerator trials."""
    from ray.tune.search.search_generator import SearchGenerator
    from ray.tune.utils.mock_trainable import MOCK_TRAINABLE_NAME, register_mock_trainable

    register_mock_trainable()
    s = LAMCTSSearch({"a": {"b": {"c": {"d": tune.choice([4]), "e": 5}}}}, metric="m", mode="max", seed=0)
    alg = SearchGenerator(s)
    alg.add_configurations({"test": {"run": MOCK_TRAINABLE_NAME}})
    trial = alg.next_trial()
    assert "e=5" in trial.experiment_tag and "d=4" in trial.experiment_tag


# -- subclass state (finding 6) -------------------------------------------------------------------
class _CountingSearcher(LAMCTSSearch):
    """Ray's MockSearcher: counts results in an attribute it adds itself."""

    def on_trial_result(self, trial_id: str, result: dict):
        super().on_trial_result(trial_id, result)
        if not hasattr(self, "_test_result_counter"):
            self._test_result_counter = 0
        self._test_result_counter += 1


def test_subclass_attributes_survive_save_restore(tmp_path, caplog):
    s = _CountingSearcher({"a": tune.uniform(0, 1)}, metric="it", mode="max", seed=0)
    s.suggest("t")
    s.on_trial_result("t", {"it": 1})
    s.on_trial_result("t", {"it": 2})
    s.unsaved = object()  # not JSON: skipped with a warning, the rest is saved
    path = str(tmp_path / "s.pkl")
    s.save(path)
    assert "unsaved" in caplog.text
    fresh = _CountingSearcher()
    fresh.restore(path)
    assert fresh._test_result_counter == 2 and not hasattr(fresh, "unsaved")


# -- Tune runs ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ray_local():
    import ray
    from ray import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import tests/
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    yield
    ray.shutdown()


def _invalid_objective(config):
    assert _no_search_objects(config), config  # the trial gets a concrete config
    r = config["report"]
    if r > 4:
        tune.report({"_metric": float("inf")})
    elif r > 3:
        tune.report({"_metric": float("-inf")})
    elif r > 2:
        tune.report({"_metric": float("nan")})
    else:
        tune.report({"_metric": float(r) or 0.1})


@pytest.mark.ray
def test_tune_invalid_values_hierarchical_and_non_json(ray_local, tmp_path):
    """InvalidValuesTest with findings 1 and 2 in the same space: NaN/inf results, constants
    kept, a conditional choice, list-nested search objects, functions and a Path; the run's
    experiment checkpoints (searcher save) succeed; add_evaluated_trials reads the trials back."""
    space = {
        "report": tune.uniform(0.0, 5.0), "list": [1, 2, 3], "num": 4,
        "branch": tune.choice([{"a": tune.uniform(0, 1), "tag": "A"}, {"b": tune.randint(0, 4)}]),
        "nested": [tune.randint(0, 4), tune.randint(0, 4)],
        "fn": tune.choice([abs, round]), "where": tmp_path,
    }
    searcher = LAMCTSSearch(seed=1, **FAST)
    tuner = tune.Tuner(
        _invalid_objective, param_space=space,
        tune_config=tune.TuneConfig(search_alg=searcher, metric="_metric", mode="max", num_samples=8,
                                    reuse_actors=True),
        run_config=tune.RunConfig(storage_path=str(tmp_path), name="exp", verbose=0),
    )
    grid = tuner.fit()
    assert not grid.errors and len(grid) == 8
    best = grid.get_best_result()
    assert best.config["report"] <= 2.0 and best.config["list"] == [1, 2, 3] and best.config["num"] == 4
    for r in grid:
        c = r.config
        assert _no_search_objects(c) and c["fn"] in (abs, round) and c["where"] == tmp_path
        assert set(c["branch"]) in ({"a", "tag"}, {"b"}) and c["branch"].get("tag", "A") == "A"
        assert all(v in range(4) for v in c["nested"])
    assert sum(not math.isfinite(r.metrics["_metric"]) for r in grid) >= 1  # invalid values were met
    state_files = list((tmp_path / "exp").glob("searcher-state-*.pkl"))
    assert state_files
    state = json.loads(state_files[0].read_text())
    assert len(state["core"]["observations"]) == 8
    # Tune hands searchers the param space with non-primitive values replaced by its placeholders
    # (tuples of strings: the JSON state encodes them), so the searcher restores with that space
    # or with none (Tuner.restore without a param_space restores into the unconfigured searcher)
    from ray.tune.impl.placeholder import create_resolvers_map, inject_placeholders

    for restored in (LAMCTSSearch(inject_placeholders(copy.deepcopy(space), create_resolvers_map())),
                     LAMCTSSearch()):
        restored.restore(str(state_files[0]))
        assert restored.core.n_observations == 8 and restored.metric == "_metric"
    again = LAMCTSSearch(space, metric="_metric", mode="max", **FAST)
    again.add_evaluated_trials(grid._experiment_analysis, "_metric")
    assert again.core.n_observations == 8
    assert _no_search_objects(again.suggest("next"))


def _train_sometimes_failing(config):
    failing, _ = config["failing_hanging"]
    it = 0
    ckpt = tune.get_checkpoint()
    if ckpt:
        with ckpt.as_directory() as d:
            it = json.loads(Path(d, "state.json").read_text())["it"]

    def report(it):
        with tempfile.TemporaryDirectory() as d:
            Path(d, "state.json").write_text(json.dumps({"it": it}))
            tune.report({"it": it}, checkpoint=tune.Checkpoint.from_directory(d))

    report(it + 1)
    if failing and os.path.exists(failing):
        raise RuntimeError("I am failing")
    report(it + 2)


@pytest.mark.ray
def test_custom_searcher_restore(ray_local, tmp_path):
    """test_custom_searcher_and_scheduler_restore (finding 6): a restored experiment uses the
    original searcher subclass, and the attribute it added survives (1 result before the
    failure + 2 after the restore). The space holds a non-JSON constant (a Path pair)."""
    from ray.tune.schedulers import ASHAScheduler

    fail_marker = tmp_path / "fail_marker"
    fail_marker.write_text("")

    class MockScheduler(ASHAScheduler):
        def on_trial_result(self, tune_controller, trial, result):
            decision = super().on_trial_result(tune_controller, trial, result)
            self._test_result_counter = getattr(self, "_test_result_counter", 0) + 1
            return decision

    tuner = tune.Tuner(
        _train_sometimes_failing,
        run_config=tune.RunConfig(storage_path=str(tmp_path), name="exp_name", verbose=0),
        tune_config=tune.TuneConfig(search_alg=_CountingSearcher(), scheduler=MockScheduler(),
                                    metric="it", mode="max"),
        param_space={"a": tune.uniform(0, 1), "failing_hanging": (fail_marker, None)},
    )
    tuner.fit()
    del tuner
    fail_marker.unlink()
    tuner = tune.Tuner.restore(str(tmp_path / "exp_name"), trainable=_train_sometimes_failing,
                               resume_errored=True)
    grid = tuner.fit()
    assert not grid.errors and grid[0].metrics["it"] == 3
    searcher = tuner._local_tuner._tune_config.search_alg
    scheduler = tuner._local_tuner._tune_config.scheduler
    assert type(searcher).__name__ == "_CountingSearcher" and type(scheduler).__name__ == "MockScheduler"
    assert searcher._test_result_counter == 3
    assert getattr(scheduler, "_test_result_counter", 0) > 0
