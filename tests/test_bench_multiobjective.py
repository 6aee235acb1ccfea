"""The multi-objective benchmark harness: hypervolume against hand-computed values, the fixed reference
points and known fronts, a 10-evaluation smoke run of every peer, the summary and the CLI branch."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from gpunet_ray.bench.multiobjective import (
    hv_trajectory,
    hypervolume_2d,
    random_reference,
    run_one_mo,
    summarize_mo,
    table_mo_md,
)
from gpunet_ray.bench.problems import PROBLEM_SETS, get_problem

pytestmark = pytest.mark.timeout(300)

#: the fixed reference points (BoTorch's for the standard problems) and the known fronts' hypervolumes
REF_POINTS = {
    "zdt1": ((11.0, 11.0), 120.0 + 2 / 3), "zdt2": ((11.0, 11.0), 120.0 + 1 / 3), "zdt3": ((11.0, 11.0), 128.77811613),
    "dtlz2": ((1.1, 1.1), 1.21 - math.pi / 4), "branin-currin": ((18.0, 6.0), 59.36011875),
    "tiny-gpunet-mo": ((40.0, 1.5), None), "h2-mo-dtlz2r10": ((1.1, 1.1), 1.21 - math.pi / 4),
    "h2-mo-gpunet": ((30.0, 3.0), None),
}


# -- hypervolume ---------------------------------------------------------------------------------------
def test_hypervolume_hand_computed():
    assert hypervolume_2d([(1, 1)], (3, 3)) == 4.0
    assert hypervolume_2d([(1, 2), (2, 1)], (3, 3)) == 3.0  # 2 + 2 - the shared unit square
    assert hypervolume_2d([(0, 3), (1, 1), (2, 0)], (4, 4)) == 12.0  # 4 + 6 + 2 in the sweep
    assert hypervolume_2d([(0, 3), (1, 1), (2, 0), (3, 3), (1, 1)], (4, 4)) == 12.0  # dominated / duplicate: nothing
    assert hypervolume_2d([(5, 0), (0, 5), (4, 1)], (4, 4)) == 0.0  # not strictly inside the reference box
    assert hypervolume_2d([], (1, 1)) == 0.0
    assert hypervolume_2d([(-1, 0.5)], (1, 1)) == 1.0  # negative objectives are fine (ZDT3's f2)


def test_hypervolume_matches_botorch():
    import torch
    from botorch.utils.multi_objective.hypervolume import Hypervolume

    rng = np.random.default_rng(0)
    for _ in range(3):
        P = rng.random((40, 2)) * 2
        ref = (1.5, 1.7)
        tp, tr = torch.tensor(P, dtype=torch.double), torch.tensor(ref, dtype=torch.double)
        theirs = Hypervolume(-tr).compute(-tp[(tp < tr).all(1)])
        assert hypervolume_2d(P, ref) == pytest.approx(float(theirs), rel=1e-12)


def test_trajectory_is_monotone_and_skips_infeasible():
    vals = [(2, 2), None, (1, 2.5), (3, 3), (0.5, 0.5)]
    hv = hv_trajectory(vals, (3, 3))
    assert hv == [1.0, 1.0, 1.5, 1.5, 6.25]
    assert hv[-1] == hypervolume_2d([v for v in vals if v is not None], (3, 3))


# -- problems ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(REF_POINTS))
def test_reference_points_are_fixed(name):
    p = get_problem(name)
    ref, max_hv = REF_POINTS[name]
    assert p.objectives == 2 and p.ref_point == ref
    assert (p.max_hv is None) == (max_hv is None) and (max_hv is None or p.max_hv == pytest.approx(max_hv))
    assert name in PROBLEM_SETS["mo"] + PROBLEM_SETS["heldout2-mo"]


@pytest.mark.parametrize("name", ["zdt1", "zdt2", "zdt3", "dtlz2"])
def test_known_fronts_reach_max_hv(name):
    p = get_problem(name)
    d = len(p.domain)
    rest = 0.0 if name.startswith("zdt") else 0.5  # the distance variables on the front
    pts = [p.fn({"x0": float(t), **{f"x{i}": rest for i in range(1, d)}}) for t in np.linspace(0, 1, 20001)]
    assert hypervolume_2d(pts, p.ref_point) == pytest.approx(p.max_hv, rel=2e-4)


def test_standard_problems_match_botorch():
    import torch
    from botorch.test_functions import multi_objective as mo

    X = np.random.default_rng(1).random((30, 6))
    for name, f in (("zdt1", mo.ZDT1(dim=6)), ("zdt2", mo.ZDT2(dim=6)), ("dtlz2", mo.DTLZ2(dim=6, num_objectives=2))):
        ours = np.array([get_problem(name).fn({f"x{i}": x[i] for i in range(6)}) for x in X])
        assert np.allclose(ours, f.evaluate_true(torch.tensor(X)).numpy())
        assert tuple(f.ref_point.tolist()) == get_problem(name).ref_point and f._max_hv == pytest.approx(
            get_problem(name).max_hv)
    bc = mo.BraninCurrin()
    ours = np.array([get_problem("branin-currin").fn({"x0": x[0], "x1": x[1]}) for x in X[:, :2]])
    assert np.allclose(ours, bc.evaluate_true(torch.tensor(X[:, :2])).numpy())


def test_random_reference_is_deterministic():
    p = get_problem("branin-currin")
    a, b = random_reference(p, 200), random_reference(p, 200)
    assert a == b and 0 < a < p.max_hv


# -- peers ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("searcher", ["lamcts", "random", "optuna-nsga2", "optuna-tpe", "botorch-qlognehvi"])
def test_every_peer_runs_a_10_evaluation_smoke(searcher):
    if searcher.startswith("optuna"):
        pytest.importorskip("optuna")
    r = run_one_mo("zdt1", searcher, 0, 10, 4)
    assert len(r["values"]) == 10 and len(r["hv"]) == 10 and all(v is not None for v in r["values"])
    assert all(b >= a for a, b in zip(r["hv"], r["hv"][1:])) and r["hv"][-1] > 0
    assert run_one_mo("zdt1", searcher, 0, 10, 4)["values"] == r["values"]  # same seed, same suggestions


def test_nsga2_population_evolves_within_the_budget():
    from gpunet_ray.bench.mo_peers import nsga2_population, qlognehvi_n_init

    assert nsga2_population(50) == 10 and nsga2_population(200) == 20 and nsga2_population(10) == 10
    assert qlognehvi_n_init(6, 50) == 10 and qlognehvi_n_init(6, 200) == 14 and qlognehvi_n_init(37, 200) == 40


def test_lamcts_on_the_nas_problem():
    r = run_one_mo("tiny-gpunet-mo", "lamcts", 0, 10, 5)  # (no searcher runs on held-out set 2 here)
    assert len(r["values"]) == 10 and r["hv"][-1] > 0 and r["hv"] == hv_trajectory(r["values"], (40.0, 1.5))


# -- report and CLI ------------------------------------------------------------------------------------
def test_summary_ranks_and_evaluations_to_the_random_reference():
    runs = [{"problem": "p", "searcher": s, "seed": k, "hv": hv, "suggest_s": 0.01}
            for s, hvs in (("a", [[1, 2, 3], [1, 3, 3], [0, 0, 1]]), ("b", [[1, 1, 1], [2, 2, 2], [2, 2, 2]]))
            for k, hv in enumerate(hvs)]
    runs.append({"problem": "p", "searcher": "c", "seed": 0, "error": "boom"})
    summ = summarize_mo(runs, {"p": 2.0})
    a, b = summ["cells"][("p", "a")], summ["cells"][("p", "b")]
    assert a["median"] == 3 and b["median"] == 2 and summ["cells"][("p", "c")]["n"] == 0
    assert summ["mean_rank"] == {"a": 1.0, "b": 2.0, "c": None}
    assert (a["reached"], a["evals_to_random_ref"]) == (2, 2.0) and (b["reached"], b["evals_to_random_ref"]) == (2, 1.0)
    md = table_mo_md(summ)
    assert "**3 [2, 3]**" in md and "mean rank" in md and "2 (2/3)" in md and "n/a" in md


def test_cli_objectives_2(tmp_path):
    from gpunet_ray.bench.searchers import main
    from gpunet_ray.cli import UsageError

    out = tmp_path / "mo"
    assert main(["--objectives", "2", "--problems", "branin-currin", "--searchers", "random,lamcts", "--evals", "8",
                 "--seeds", "1", "--batch", "4", "--jobs", "1", "--random-ref", "50", "--out", str(out)]) == 0
    rep = json.loads((out / "results_mo_8.json").read_text())
    assert [r["searcher"] for r in rep["runs"]] == ["random", "lamcts"] and len(rep["runs"][0]["hv"]) == 8
    assert rep["summary"]["random_ref"]["branin-currin"] > 0 and rep["meta"]["random_ref"]["evaluations"] == 50
    assert (out / "table_mo_8.md").read_text().startswith("| problem (random-ref HV) |")
    for bad in (["--objectives", "2", "--problems", "hartmann6"], ["--set", "mo"],
                ["--objectives", "2", "--searchers", "hebo"], ["--objectives", "3", "--set", "mo"]):
        with pytest.raises(UsageError):
            main(bad + ["--evals", "4", "--seeds", "1", "--jobs", "1", "--out", str(out)])


def test_merge_combines_multi_objective_runs(tmp_path):
    """``--merge`` of two multi-objective files ranks all their searchers together with the files' random
    reference; files that drew the reference differently, or mix one- and two-objective runs, are refused."""
    from gpunet_ray.bench.searchers import main
    from gpunet_ray.cli import UsageError

    common = ["--objectives", "2", "--problems", "branin-currin", "--evals", "8", "--seeds", "1", "--batch", "4",
              "--jobs", "1", "--random-ref", "50"]
    assert main(common + ["--searchers", "random", "--out", str(tmp_path / "a")]) == 0
    assert main(common + ["--searchers", "lamcts", "--out", str(tmp_path / "b")]) == 0
    a, b = tmp_path / "a" / "results_mo_8.json", tmp_path / "b" / "results_mo_8.json"
    out = tmp_path / "m"
    assert main(["--merge", str(a), str(b), "--out", str(out)]) == 0
    rep = json.loads((out / "results_mo_8.json").read_text())
    assert rep["runs_merged"] == [["branin-currin", "random", 0], ["branin-currin", "lamcts", 0]]
    ref = json.loads(a.read_text())["summary"]["random_ref"]
    assert rep["summary"]["random_ref"] == ref and rep["meta"]["objectives"] == 2
    # the same ranks as one run of both searchers would give
    runs = json.loads(a.read_text())["runs"] + json.loads(b.read_text())["runs"]
    assert rep["summary"]["mean_rank"] == summarize_mo(runs, ref)["mean_rank"]
    assert (out / "table_mo_8.md").read_text().startswith("| problem (random-ref HV) |")

    c = tmp_path / "c.json"  # the same runs, their reference drawn from 60 evaluations
    rc = json.loads(b.read_text())
    rc["meta"]["random_ref"]["evaluations"] = 60
    c.write_text(json.dumps(rc))
    with pytest.raises(UsageError, match="random reference differently"):
        main(["--merge", str(a), str(c), "--out", str(out)])
    d = tmp_path / "d.json"  # same draw declared, another value: the problem changed between the runs
    rd = json.loads(b.read_text())
    rd["summary"]["random_ref"]["branin-currin"] *= 1.5
    d.write_text(json.dumps(rd))
    with pytest.raises(UsageError, match="disagree on branin-currin"):
        main(["--merge", str(a), str(d), "--out", str(out)])
    e = tmp_path / "e.json"  # a single-objective file
    e.write_text(json.dumps({"meta": {"evals": 8}, "runs": [{**json.loads(a.read_text())["runs"][0],
                                                             "problem": "hartmann6"}]}))
    with pytest.raises(UsageError, match="mix single- and multi-objective"):
        main(["--merge", str(a), str(e), "--out", str(out)])
