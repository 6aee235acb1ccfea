"""Behaviour pin of the LA-MCTS core: the first ~30 suggestions of fixed-seed runs on problems of the
old tuning set (never held-out set 2 or 3).

The ``-v1`` runs pin the behaviour from before issue 14's ablation changed the defaults (recorded before
the core was split into modules; their options restore it, so old behaviour stays reachable); the
other single-objective runs pin today's defaults (re-recorded when the acquisition defaults changed,
issue 14, session 7). The two-objective run is still its first recording: the multi-objective defaults
did not change.
A refactor must reproduce them. After an intended change of behaviour, regenerate with
``GPUNET_RAY_UPDATE_FIXTURE=1 pytest tests/test_searcher_regression.py`` and say why in the commit.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

from gpunet_ray.bench.problems import get_problem
from gpunet_ray.searchers import LAMCTS

pytestmark = pytest.mark.timeout(600)

FIXTURE = Path(__file__).with_name("fixtures") / "lamcts_suggestions.json"

#: the acquisition options before issue 14's ablation changed their defaults
V1 = {"acq_starts": 3, "acq_radius": 0.1, "exploit_every": None, "acq_discrete": False}

#: name -> (problem, options, seed, batch, suggestions, objectives, resume_at)
RUNS = {
    "hartmann6-v1": ("hartmann6", V1, 0, 4, 32, 1, None),
    "mixed8-v1": ("mixed8", V1, 1, 4, 32, 1, 16),
    "tiny-gpunet-v1": ("tiny-gpunet", V1, 2, 4, 28, 1, None),
    "hartmann6": ("hartmann6", {}, 0, 4, 32, 1, None),
    "mixed8": ("mixed8", {}, 1, 4, 32, 1, 16),  # with a JSON state round trip after 16 suggestions
    "tiny-gpunet": ("tiny-gpunet", {}, 2, 4, 28, 1, None),  # infeasible results
    "hartmann6-turbo": ("hartmann6", {"sampler": "turbo"}, 3, 4, 28, 1, None),
    "mixed8-copula-candidates": ("mixed8", {"target_transform": "copula", "acq_opt": "candidates",
                                            "refine": True, "gp_kernel": "matern"}, 4, 4, 28, 1, None),
    "hartmann6-2obj": ("hartmann6", {}, 5, 4, 28, 2, None),
}


def _values(prob, cfg: dict, objectives: int):
    v = prob.fn(prob.domain.flat(cfg))
    if objectives == 1:
        return v
    x = np.array([cfg[f"x{i}"] for i in range(len(prob.domain))])
    return (v, float(np.linalg.norm(x - 0.3)))


def run(key: str) -> list[dict]:
    name, opts, seed, batch, n, objectives, resume_at = RUNS[key]
    prob = get_problem(name)
    kw = {"objectives": 2, "maximize": (False, False)} if objectives == 2 else {"maximize": False}
    opt = LAMCTS(prob.domain, seed=seed, **kw, **opts)
    out: list[dict] = []
    while len(out) < n:
        if resume_at is not None and len(out) == resume_at:
            state = json.loads(json.dumps(opt.state_dict()))
            opt = LAMCTS(prob.domain, seed=999, **kw, **opts)
            opt.load_state_dict(state)
        for c in opt.ask(batch):
            v = _values(prob, c, objectives)
            ok = v is not None
            opt.tell(c, v if ok else None, feasible=ok)
            out.append(prob.domain.config_to_json(prob.domain.flat(c)))
    return out


def _same(a, b) -> bool:
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return a == b


@pytest.mark.parametrize("key", list(RUNS))
def test_suggestions_are_as_recorded(key):
    got = run(key)
    if os.environ.get("GPUNET_RAY_UPDATE_FIXTURE"):
        data = json.loads(FIXTURE.read_text()) if FIXTURE.exists() else {}
        data[key] = got
        FIXTURE.write_text("{\n" + ",\n".join(
            f"{json.dumps(k)}: [\n" + ",\n".join(json.dumps(row) for row in data[k]) + "\n]" for k in sorted(data))
            + "\n}\n")  # one suggestion per line
        pytest.skip("fixture updated")
    want = json.loads(FIXTURE.read_text())[key]
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want)):
        assert _same(g, w), f"{key}: suggestion {i} differs: {g} != {w}"
