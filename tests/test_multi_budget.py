"""Issue 15: the per-tier mode for single-objective searchers, the budget-sized initial design,
and the finer hand-designed baselines (all Ray-free)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gpunet_ray.config import load_config
from gpunet_ray.errors import ConfigError
from gpunet_ray.search_space import get_space
from gpunet_ray.search_space.stats import arch_stats
from gpunet_ray.searchers import get_optimizer, register_optimizer
from gpunet_ray.searchers._per_tier import PerTierCore
from gpunet_ray.searchers._random import RandomCore

ROOT = Path(__file__).resolve().parents[1]


class _SingleRandom(RandomCore):
    """A single-objective optimiser (declared so): what optuna-tpe or hebo look like to the search."""

    multi_objective = False


@pytest.fixture(autouse=True)
def _single_random():
    from gpunet_ray.searchers._registry import _OPTIMIZERS

    register_optimizer("single-random", _SingleRandom, multi_objective=False)
    yield
    _OPTIMIZERS._entries.pop("single-random", None)


@pytest.fixture
def space():
    return get_space("tiny").with_num_classes(10)


def _cfg(**over):
    return load_config(ROOT / "experiments" / "demo.yaml", over)


# -- per-tier mode ----------------------------------------------------------------------------------------
def test_single_objective_searcher_runs_several_budgets_per_tier(space):
    with pytest.raises(ConfigError, match="does not support 2 objectives"):
        get_optimizer("single-random", space, seed=0, objectives=2, maximize=(True, False))
    core = get_optimizer("single-random", space, seed=0, objectives=2, maximize=(True, False),
                         per_tier_budgets_ms=[0.9, 0.4])
    assert isinstance(core, PerTierCore) and core.budgets_ms == (0.4, 0.9) and len(core.cores) == 2
    cfgs = core.ask(4)
    assert len(cfgs) == 4 and core._turn == 4
    core.tell(cfgs[0], (80.0, 0.5))  # over 0.4 ms: infeasible for tier 0, 80 % for tier 1
    core.tell(cfgs[1], (70.0, 0.3))
    core.tell(cfgs[2], (float("nan"), 0.3), feasible=False)
    h0, h1 = core.cores[0].obs.history(), core.cores[1].obs.history()
    assert [o["feasible"] for o in h0] == [False, True, False]
    assert [o["feasible"] for o in h1] == [True, True, False]
    state = core.state_dict()
    again = get_optimizer("single-random", space, seed=0, objectives=2, maximize=(True, False),
                          per_tier_budgets_ms=[0.4, 0.9])
    again.load_state_dict(state)
    assert again.ask(2) == core.ask(2)
    other = get_optimizer("single-random", space, seed=0, objectives=2, maximize=(True, False),
                          per_tier_budgets_ms=[0.4, 1.0])
    with pytest.raises(ConfigError, match="budgets"):
        other.load_state_dict(state)


def test_driver_options_per_tier_and_refusal():
    from gpunet_ray.driver import searcher_options

    cfg = _cfg(**{"budgets_ms": (0.5, 0.85), "searcher.name": "single-random",
                  "searcher.options": {"multi_budget": "per-tier"}})
    opts = searcher_options(cfg)
    assert opts["per_tier_budgets_ms"] == [0.5, 0.85] and "multi_budget" not in opts
    with pytest.raises(ConfigError, match="multi_budget"):
        searcher_options(_cfg(**{"searcher.options": {"multi_budget": "scalar"}}))
    # one budget: nothing to split
    assert "per_tier_budgets_ms" not in searcher_options(_cfg(**{"searcher.options": {"multi_budget": "per-tier"}}))
    # the default (auto): per-tier for a single-objective searcher, one Pareto core for a multi-objective one
    auto = searcher_options(_cfg(**{"budgets_ms": (0.85, 0.5), "searcher.name": "optuna-tpe"}))
    assert auto["per_tier_budgets_ms"] == [0.5, 0.85]
    assert "per_tier_budgets_ms" not in searcher_options(_cfg(**{"budgets_ms": (0.5, 0.85)}))
    pareto = _cfg(**{"budgets_ms": (0.5, 0.85), "searcher.name": "optuna-tpe",
                     "searcher.options": {"multi_budget": "pareto"}})
    assert "per_tier_budgets_ms" not in searcher_options(pareto)  # asked for: the search refuses it (CLI test)


# -- the initial design is sized to the trial budget ---------------------------------------------------------
def test_initial_design_sized_to_the_trial_budget():
    from gpunet_ray.driver import searcher_options

    assert searcher_options(_cfg(trials=8))["n_init"] == 2
    assert searcher_options(_cfg(trials=40))["n_init"] == 10
    assert searcher_options(_cfg(trials=400))["n_init"] == 20
    assert searcher_options(_cfg(**{"trials": 8, "searcher.options": {"n_init": 5}}))["n_init"] == 5


def test_the_trial_budget_is_the_searchers_budget():
    """LA-MCTS is told ``trials`` as its budget (its whole-box switch comes at half of it); a budget the
    user set is kept; an optimiser without the option is not given one."""
    from gpunet_ray.driver import searcher_options

    assert searcher_options(_cfg(trials=40))["budget"] == 40
    assert get_optimizer("lamcts", get_space("tiny"), seed=0, maximize=True,
                         **searcher_options(_cfg(trials=40))).options.global_after == 20
    assert searcher_options(_cfg(**{"trials": 40, "searcher.options": {"budget": 500}}))["budget"] == 500
    assert "budget" not in searcher_options(_cfg(**{"trials": 40, "searcher.name": "optuna-tpe"}))


def test_demo_sized_search_is_mostly_model_guided(space):
    """An 8-trial demo-sized search (the pipeline's asks of 2; over-budget candidates told infeasible)
    spends at least half of its suggestions on model-guided ones, not the initial design."""
    from gpunet_ray.driver import searcher_options

    cfg = _cfg(trials=8)
    core = get_optimizer("lamcts", space, seed=0, maximize=True, **searcher_options(cfg))
    counts = {"design": 0, "random": 0, "all": 0}
    fill = core._random_fill

    def counting_fill(k, out, keys):
        n = len(out)
        fill(k, out, keys)
        counts["random"] += len(out) - n

    core._random_fill = counting_fill
    macs = [arch_stats(s).macs for s in space.sample(np.random.default_rng(0), 64)]
    limit = float(np.quantile(macs, 0.7))  # ~30 % of the networks are over the budget
    trained = 0
    while trained < 8:
        before = len(core._init_queue)
        cfgs = core.ask(2)
        counts["design"] += before - len(core._init_queue)
        counts["all"] += len(cfgs)
        for c in cfgs:
            st = arch_stats(space.from_config(c))
            if st.macs > limit:
                core.tell(c, None, feasible=False)
            else:
                trained += 1
                core.tell(c, 90.0 + 5.0 * np.tanh(st.params / 1e5))
    guided = counts["all"] - counts["design"] - counts["random"]
    assert counts["design"] <= 2 and guided >= counts["all"] / 2, counts


# -- finer baselines ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("family", ["gpunet-like", "mbv2-like"])
def test_baselines_scale_depth_width_resolution_separately(space, family):
    from gpunet_ray.baselines import baseline_family, staircase

    members = baseline_family(space, family, steps=13)
    assert len(members) == 13 and len({s.hash for _, s in members}) == 13
    macs = [arch_stats(s).macs for _, s in members]
    assert macs == sorted(macs)
    for name, spec in members:
        assert name.startswith(family + "@d")
        space.encode(spec)  # a valid member of the space (raises otherwise)
    # density: no neighbour is more than 2x the previous in MACs (uniform scaling jumped 3.8x)
    assert max(b / a for a, b in zip(macs, macs[1:])) < 2.0
    # the smallest and the largest network of the family are kept
    from gpunet_ray.baselines import _config_at

    assert members[0][1].hash == space.from_config(_config_at(space, family, 0, 0, 0)).hash
    assert members[-1][1].hash == space.from_config(_config_at(space, family, 1, 1, 1)).hash
    assert all(max(p) - min(p) <= 1 / 8 + 1e-9 for p in staircase(9))
