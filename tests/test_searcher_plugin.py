"""A user's own ask/tell optimiser (tests/toy_optimizer.py), found by import path, by
register_optimizer and by entry point, with its declared capabilities; and a whole search run from
the CLI with ``--searcher toy_optimizer:ToyCore`` that uses its suggestions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import gpunet_ray.searchers._registry as registry
from gpunet_ray.errors import ConfigError
from gpunet_ray.search_space import get_space
from gpunet_ray.searchers import (
    OPTIMIZER_GROUP,
    Domain,
    Param,
    as_domain,
    get_optimizer,
    get_searcher,
    list_optimizers,
    list_searchers,
    optimizer_help,
    optimizer_info,
    register_optimizer,
    register_searcher,
    searcher_info,
)

from test_golden import CONFIG as GOLDEN
from toy_optimizer import ToyCore, toy_config

TESTS = Path(__file__).resolve().parent
PATH = "toy_optimizer:ToyCore"
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join(
    [str(TESTS), *filter(None, [os.environ.get("PYTHONPATH")])])}


def _entry_point_dist(root: Path) -> Path:
    """A fake installed distribution under ``root`` declaring ``toy-ep`` in the optimiser group."""
    info = root / "toy_optimizer_plugin-0.1.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-optimizer-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{OPTIMIZER_GROUP}]\ntoy-ep = {PATH}\n")
    return root


@pytest.fixture
def registries(monkeypatch):
    """register_optimizer() / register_searcher() calls of a test end with it."""
    for reg in (registry._OPTIMIZERS, registry._SEARCHERS):
        monkeypatch.setattr(reg, "_entries", dict(reg._entries))


def _domain() -> Domain:
    return Domain((Param("x", "float", low=0.0, high=1.0), Param("c", "categorical", choices=("a", "b", "c"))))


# -- in this process (no Ray) ----------------------------------------------------------------------
def test_builtin_capabilities_are_declared():
    assert {"lamcts", "lamcts-turbo", "random"} <= set(list_optimizers(multi_objective=True))
    assert {"optuna-tpe", "optuna-gp", "hebo"} <= set(list_optimizers(multi_objective=False))
    info = optimizer_info("lamcts")
    assert info.multi_objective and info.origin == "built-in" and {"n_init", "cp", "sampler"} <= info.options
    assert "sampler" not in optimizer_info("lamcts-turbo").options  # fixed by the entry
    assert optimizer_info("optuna-tpe").options == {"n_init", "constraint"}
    assert not searcher_info("hebo").multi_objective and searcher_info("lamcts").multi_objective
    assert "lamcts (default)" in optimizer_help() and "package.module:name" in optimizer_help()


def test_import_path_resolves_and_runs():
    info = optimizer_info(PATH)
    assert info.factory is ToyCore and not info.multi_objective and info.origin == "import path"
    assert info.options == {"start"}  # from the signature, less seed/maximize
    space = get_space("tiny")
    core = get_optimizer(PATH, space, seed=0, maximize=True, start=1)
    assert core.ask(2) == [toy_config(as_domain(space), 1), toy_config(as_domain(space), 2)]
    assert toy_config(as_domain(space), 0) == {d.name: d.choices[0] for d in space.dims}  # the smallest network
    assert get_optimizer(PATH, _domain()).ask(1)[0]["c"] == "a"


@pytest.mark.parametrize("name, kw, needle", [
    ("no_such_module_xyz:Core", {}, "no module named 'no_such_module_xyz'"),
    ("toy_optimizer:Missing", {}, "has no 'Missing'"),
    ("toy_optimizer:NOT_CALLABLE", {}, "is not callable"),
    ("toy_optimizer:", {}, "package.module:name"),
    ("toy-nope", {}, "unknown searcher 'toy-nope'"),
    (PATH, {"leaf_size": 3}, "does not support option(s) ['leaf_size']; it takes ['start']"),
    (PATH, {"objectives": 2, "maximize": (True, False)}, "does not support 2 objectives"),
    ("optuna-tpe", {"objectives": 2, "maximize": (True, False)}, "multi-objective: lamcts, lamcts-turbo, random"),
])
def test_bad_names_options_and_objectives_are_config_errors(name, kw, needle):
    with pytest.raises(ConfigError) as info:
        get_optimizer(name, _domain(), **kw)
    assert needle in str(info.value)


def test_multi_objective_capability_from_an_attribute():
    info = optimizer_info("toy_optimizer:two_objective_toy")
    assert info.multi_objective and info.options == set()
    core = get_optimizer("toy_optimizer:two_objective_toy", _domain(), objectives=2, maximize=(True, False))
    assert core.objectives == 2 and core.maximize == (True, False)


def test_register_optimizer(registries):
    register_optimizer("toy", ToyCore, multi_objective=False)
    assert "toy" in list_optimizers() and "toy" in list_optimizers(multi_objective=False)
    assert "toy" not in list_optimizers(multi_objective=True) and "toy" in optimizer_help()
    assert optimizer_info("toy").origin == "registered"
    assert isinstance(get_optimizer("toy", _domain(), seed=0), ToyCore)
    register_optimizer("toy2", lambda space, **kw: ToyCore(space, **kw), multi_objective=True, options=["start"])
    assert optimizer_info("toy2").options == {"start"} and optimizer_info("toy2").multi_objective
    with pytest.raises(ConfigError, match="does not support option"):
        get_optimizer("toy2", _domain(), n_init=3)
    for bad in ("", "a:b", None):
        with pytest.raises(ConfigError, match="non-empty string without ':'"):
            register_optimizer(bad, ToyCore, multi_objective=False)
    with pytest.raises(ConfigError, match="callable"):
        register_optimizer("x", 42, multi_objective=False)


def test_entry_point(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(_entry_point_dist(tmp_path)))
    assert "toy-ep" in list_optimizers() and "toy-ep" in list_optimizers(multi_objective=False)
    info = optimizer_info("toy-ep")
    assert info.factory is ToyCore and info.origin == f"entry point {PATH}"
    assert isinstance(get_optimizer("toy-ep", _domain()), ToyCore)


def test_register_searcher_and_its_capability(registries):
    from gpunet_ray.searchers import RandomSearch

    register_searcher("toy-random", lambda **kw: RandomSearch(**kw), multi_objective=False)
    assert "toy-random" in list_searchers() and "toy-random" not in list_searchers(multi_objective=True)
    s = get_searcher("toy-random", space={"x": __import__("ray").tune.uniform(0, 1)}, metric="m", mode="max", seed=0)
    assert 0 <= s.suggest("t")["x"] < 1
    with pytest.raises(ConfigError, match="does not support 2 objectives"):
        get_searcher("toy-random", metric=["a", "b"], mode=["max", "min"])
    with pytest.raises(ConfigError, match="does not support 2 objectives"):
        get_searcher("hebo", metric=["a", "b"], mode=["max", "min"])  # checked before HEBO is imported
    with pytest.raises(ConfigError, match="unknown Tune searcher 'nope'"):
        get_searcher("nope")


# -- the search CLI (another process) --------------------------------------------------------------
def _search(*args, env=None, timeout=900):
    return subprocess.run([sys.executable, "-m", "gpunet_ray.search", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env=env or ENV, cwd=str(TESTS.parent))


def test_cli_help_lists_entry_point_optimizers(tmp_path):
    env = {**ENV, "PYTHONPATH": os.pathsep.join([str(_entry_point_dist(tmp_path)), ENV["PYTHONPATH"]])}
    res = _search("--help", env=env, timeout=120)
    assert res.returncode == 0 and "toy-ep" in " ".join(res.stdout.split()), res.stdout + res.stderr


CONFIG = {**GOLDEN, "trials": 2}  # the golden run's fast search (tiny space, synthetic latency), two trials


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    from gpunet_ray.data import make_demo

    root = tmp_path_factory.mktemp("toy_search")
    make_demo(root / "digits")
    p = root / "search.yaml"
    p.write_text(yaml.safe_dump({**CONFIG, "data": str(root / "digits")}))
    return p


def test_cli_refuses_a_single_objective_plugin_for_several_budgets_as_a_pareto_front(config, tmp_path):
    """The default (multi_budget: auto) runs it per tier; asked for one Pareto core, the search refuses."""
    out = tmp_path / "out"
    pareto = tmp_path / "pareto.yaml"
    pareto.write_text(yaml.safe_dump({**yaml.safe_load(config.read_text()),
                                      "searcher": {**CONFIG["searcher"], "options": {"multi_budget": "pareto"}}}))
    res = _search("--no-dashboard", "--quiet", "--config", pareto, "--out", out, "--searcher", PATH,
                  "--budgets-ms", "0.5,5", timeout=300)
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert res.returncode == 2 and len(lines) == 1, res.stderr
    assert f"searcher '{PATH}' does not support several budgets" in lines[0] and not out.exists()


@pytest.mark.ray
@pytest.mark.timeout(900)
def test_search_cli_runs_on_a_plugin_optimizer(config, tmp_path):
    from gpunet_ray.ledger import load_candidates

    out, log = tmp_path / "run", tmp_path / "toy.jsonl"
    res = _search("--no-dashboard", "--quiet", "--config", config, "--out", out, "--searcher", PATH,
                  "--budget-ms", "5", env={**ENV, "TOY_OPTIMIZER_LOG": str(log)})
    assert res.returncode == 0, res.stderr[-3000:]
    recs = [json.loads(line) for line in log.read_text().splitlines()]
    asked = [r["ask"] for r in recs if "ask" in r]
    dom = as_domain(get_space("tiny"))
    assert asked == [toy_config(dom, i) for i in range(len(asked))]  # its fixed sequence, in order
    cands = load_candidates(out / "candidates.jsonl")
    search = [r for _, r in sorted(cands.items()) if r["role"] == "search"]
    assert [r["config"] for r in search] == asked  # every candidate is one of its suggestions
    trained = [r for r in search if r["status"] == "trained"]
    told = {json.dumps(r["tell"], sort_keys=True): r for r in recs if "tell" in r}
    assert len(trained) == 2 and all(told[json.dumps(r["config"], sort_keys=True)]["value"] == r["top1"]
                                     for r in trained)  # and it was told their results
    assert yaml.safe_load((out / "config.yaml").read_text())["searcher"]["name"] == PATH
