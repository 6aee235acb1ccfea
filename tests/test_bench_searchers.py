"""The searcher benchmark harness: dispatcher, one tiny run per part, one-line CLI errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from gpunet_ray.bench.__main__ import SUBCOMMANDS, main
from gpunet_ray.bench.problems import get_problem, list_problems
from gpunet_ray.bench.searchers import run_one, simulate, summarize, table_md

pytestmark = pytest.mark.timeout(180)


def test_problems_have_their_optimum():
    for name in ("hartmann6", "ackley10", "levy10", "rosenbrock10"):
        p = get_problem(name)
        assert p.f_opt is not None and len(p.domain) in (6, 10)
    mixed = get_problem("mixed8")
    assert mixed.fn({"x0": 1.0, "x1": 1.0, "x2": 1.0, "x3": 1.0, "n0": 11, "n1": 3, "c0": "a", "c1": "y"}) == pytest.approx(0.0, abs=1e-12)
    tiny = get_problem("tiny-gpunet")
    rng = np.random.default_rng(0)
    cfgs = tiny.domain.from_unit(tiny.domain.uniform(rng, 200))
    vals = [tiny.fn(c) for c in cfgs]
    frac = np.mean([v is not None for v in vals])
    assert 0.1 < frac < 0.6  # the latency budget binds
    assert all((v is None) == (not tiny.constraint(c)) for c, v in zip(cfgs, vals))
    assert set(list_problems()) >= {"mixed8", "tiny-gpunet"}


def test_held_out_problems_have_their_optimum_off_centre():
    from gpunet_ray.bench.problems import TUNED_ON

    held_out = [n for n in list_problems() if n not in TUNED_ON]
    assert set(held_out) >= {"ackley10-shifted", "levy10-shifted", "styblinski10", "mixed12"}
    rng = np.random.default_rng(1)
    for name in ("ackley10-shifted", "levy10-shifted", "mixed12"):
        p = get_problem(name)
        assert p.fn(p.optimum) == pytest.approx(p.f_opt, abs=1e-9)
        # every random point is worse, and the optimum is not the centre of the box
        vals = [p.fn(c) for c in p.domain.from_unit(p.domain.uniform(rng, 50))]
        assert min(vals) > p.f_opt + 1.0
        u = p.domain.to_unit([p.optimum])[0]
        assert np.abs(u - 0.5).max() > 0.2
    centre = get_problem("ackley10-shifted").domain.from_unit(np.full((1, 10), 0.5))[0]
    assert get_problem("ackley10-shifted").fn(centre) > 10.0  # the centre earns nothing
    sty = get_problem("styblinski10")
    assert sty.fn({f"x{i}": -2.903534 for i in range(10)}) == pytest.approx(sty.f_opt, abs=1e-3)


def test_run_and_summary_table():
    runs = [run_one("hartmann6", s, seed, 12, 4) for s in ("lamcts", "random") for seed in (0, 1)]
    runs.append(run_one("tiny-gpunet", "lamcts+constraint", 0, 10, 5))
    assert all(len(r["values"]) in (10, 12) for r in runs)
    assert all(r["values"][i] is not None for i in range(10) for r in runs[-1:])  # known constraint honoured
    summ = summarize(runs)
    assert summ["cells"][("hartmann6", "lamcts")]["n"] == 2
    md = table_md(summ)
    assert md.count("\n") >= 4 and "mean rank" in md and "lamcts" in md


def test_simulation_reports_idle_fraction():
    res = simulate(workers=50, trials=120, median_s=60.0)
    assert res["trials"] >= 120 and 0.0 <= res["idle_fraction"] < 0.5


def test_cli_dispatch_and_errors(tmp_path, capsys):
    assert "searchers" in SUBCOMMANDS
    assert main(["--help"]) == 0
    r = subprocess.run([sys.executable, "-m", "gpunet_ray.bench", "nope"], capture_output=True, text=True)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "unknown benchmark" in r.stderr
    r = subprocess.run([sys.executable, "-m", "gpunet_ray.bench", "searchers", "--problems", "zzz"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "zzz" in r.stderr
    r = subprocess.run([sys.executable, "-m", "gpunet_ray.bench", "searchers", "--evals", "x"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    out = tmp_path / "o"
    r = subprocess.run([sys.executable, "-m", "gpunet_ray.bench", "searchers", "--problems", "mixed8",
                        "--searchers", "random", "--evals", "6", "--seeds", "1", "--jobs", "1", "--out", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    rep = json.loads((out / "results_6.json").read_text())
    assert rep["runs"][0]["problem"] == "mixed8" and len(rep["runs"][0]["values"]) == 6
    assert (out / "table_6.md").read_text().startswith("| problem |")


@pytest.mark.parametrize("objectives,problem,variant,says", [
    (1, "mixed8", "lamcts[exploit_every=None]", "exploit_every must be a whole number or null"),
    (1, "mixed8", "lamcts[cp=abc]", "cp must be a number"),
    (1, "mixed8", "random[bogus=1]", "does not support option(s) ['bogus']"),
    (2, "zdt1", "lamcts[leaf_size=2.5]", "leaf_size must be a whole number"),
])
def test_a_bad_variant_option_exits_2_before_anything_runs_or_is_written(tmp_path, objectives, problem, variant,
                                                                        says):
    """A variant's bad option is one line and exit 2 before the first run, and no --out folder is made (it
    used to fail every run of that column and exit 0 with an n/a table)."""
    out = tmp_path / "o"
    r = subprocess.run([sys.executable, "-m", "gpunet_ray.bench", "searchers", "--objectives", str(objectives),
                        "--problems", problem, "--searchers", f"random,{variant}", "--evals", "6", "--seeds", "1",
                        "--jobs", "1", "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert says in r.stderr and variant in r.stderr
    assert not out.exists()


@pytest.mark.parametrize("objectives,problem", [(1, "mixed8"), (2, "zdt1")])
def test_a_searcher_crashing_at_run_time_exits_1_with_every_result_written(tmp_path, capsys, monkeypatch,
                                                                           objectives, problem):
    """A searcher that raises mid-run fails its own runs only: the others finish, the results and table are
    written, and the exit status is 1 with one line naming the failure (it used to be 0 with an n/a cell)."""
    from gpunet_ray.bench import multiobjective, searchers

    mod, name = (searchers, "run_one") if objectives == 1 else (multiobjective, "run_one_mo")
    real = getattr(mod, name)

    def flaky(p, s, seed, *rest):
        if s == "random" and seed == 1:
            raise RuntimeError("boom\nsecond line")
        return real(p, s, seed, *rest)

    monkeypatch.setattr(mod, name, flaky)
    out = tmp_path / "o"
    argv = ["--objectives", str(objectives), "--problems", problem, "--searchers", "random,lamcts",
            "--evals", "6", "--seeds", "2", "--batch", "3", "--jobs", "1", "--out", str(out)]
    if objectives == 2:
        argv += ["--random-ref", "20"]
    assert searchers.main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "1 of 4 runs failed" in err[0] and "random on " + problem in err[0]
    assert "boom second line" in err[0]
    tag = "6" if objectives == 1 else "mo_6"
    rep = json.loads((out / f"results_{tag}.json").read_text())
    assert [("error" in r) for r in rep["runs"]] == [False, False, True, False]
    assert all(len(r["values"]) == 6 for r in rep["runs"] if "error" not in r)
    assert (out / f"table_{tag}.md").exists()


def test_the_process_pool_guards_each_run_and_keeps_the_task_order():
    """With --jobs > 1 (a spawn pool) a run that raises is that task's ``{"error": ...}`` result, tagged with
    its problem, searcher and seed; the others finish, and results come back in the order of the tasks."""
    from gpunet_ray.bench._pool import run_tasks

    tasks = [("mixed8", "random", 0, 5, 1), ("mixed8", "no-such-searcher", 0, 5, 1), ("mixed8", "random", 1, 5, 1)]
    runs = run_tasks(run_one, tasks, 2, lambda r: r.get("error") or "ok")
    assert [(r["problem"], r["searcher"], r["seed"]) for r in runs] == [t[:3] for t in tasks]
    assert "error" not in runs[0] and "error" not in runs[2] and len(runs[0]["values"]) == 5
    assert "no-such-searcher" in runs[1]["error"] and "values" not in runs[1]
    assert runs[0]["values"] != runs[2]["values"]  # seeds differ


@pytest.mark.parametrize("pending", [0, 5])
def test_overhead_times_suggest_with_the_stated_trials_in_flight(pending):
    """``--overhead-pending P`` times every ask(1) with exactly P configs asked and not told (a Tune run at
    concurrency P+1), and the default with none (the first, untimed ask used to stay in flight)."""
    from gpunet_ray.bench.searchers import overhead

    (r,) = overhead([40], steps=4, pending=pending)
    assert r["observations"] == 40 and r["pending"] == pending and r["steps"] == 4
    assert r["in_flight"] == [pending]
    assert 0 < r["median_ms"] <= r["max_ms"]


@pytest.mark.parametrize("argv,says", [
    (["--skip-runs", "--overhead", "--overhead-pending", "-1"], "--overhead-pending must be >= 0"),
    (["--searchers", "random,bogus"], "unknown searcher(s) ['bogus']"),
    (["--evals", "0"], "--evals, --seeds, --batch and --jobs must be >= 1"),
])
def test_bad_arguments_exit_2_in_one_line_on_the_default_problems(tmp_path, argv, says):
    """Checked before the default problems are built: some import BoTorch, whose import warns on stderr, so
    these errors used to come out as three lines."""
    out = tmp_path / "o"
    r = subprocess.run([sys.executable, "-m", "gpunet_ray.bench", "searchers", *argv, "--out", str(out)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert says in r.stderr and not out.exists()


def test_searcher_variants_parse_and_bad_ones_exit_2():
    from gpunet_ray.cli import UsageError
    from gpunet_ray.bench.searchers import parse_variant

    assert parse_variant("lamcts[target_transform=power,cp=0.2]") == ("lamcts", {"target_transform": "power",
                                                                                 "cp": 0.2})
    assert parse_variant("random") == ("random", {})
    from gpunet_ray.bench.searchers import split_searchers

    assert split_searchers("lamcts, lamcts[a=1,b=x],random,") == ["lamcts", "lamcts[a=1,b=x]", "random"]
    for bad in ("lamcts[cp=0.2", "lamcts[cp]"):
        with pytest.raises(UsageError):
            parse_variant(bad)
    r = run_one("hartmann6", "lamcts[n_init=4]", 0, 8, 4)
    assert len(r["values"]) == 8 and r["searcher"] == "lamcts[n_init=4]"


def test_merge_combines_filters_and_refuses_mixed_budgets(tmp_path, capsys):
    from gpunet_ray.bench.searchers import main

    a = {"meta": {"evals": 12}, "runs": [run_one("hartmann6", s, 0, 12, 4) for s in ("lamcts", "random")]}
    b = {"meta": {"evals": 12}, "runs": [run_one("hartmann6", "random", 0, 12, 6),   # replaces a's random seed 0
                                         run_one("mixed8", "random", 1, 12, 4)]}
    (tmp_path / "a.json").write_text(json.dumps(a))
    (tmp_path / "b.json").write_text(json.dumps(b))
    out = tmp_path / "m"
    assert main(["--merge", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--searchers", "random,lamcts",
                 "--problems", "hartmann6", "--out", str(out), "--tag", "x"]) == 0
    rep = json.loads((out / "results_x.json").read_text())
    assert rep["runs_merged"] == [["hartmann6", "random", 0], ["hartmann6", "lamcts", 0]]
    cell = rep["summary"]["cells"]["hartmann6|random"]
    f_opt = b["runs"][0]["f_opt"]
    assert cell["median"] == pytest.approx(min(b["runs"][0]["values"]) - f_opt)  # the later file wins
    assert [m["file"] for m in rep["meta"]["merged_from"]] == [str(tmp_path / "a.json"), str(tmp_path / "b.json")]
    assert (out / "table_x.md").read_text().startswith("| problem | random | lamcts |")
    b["meta"]["evals"] = 50
    (tmp_path / "b.json").write_text(json.dumps(b))
    from gpunet_ray.cli import run_cli

    assert run_cli(main, ["--merge", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--out", str(out)],
                   prog="bench") == 2
    assert "mix evaluation budgets" in capsys.readouterr().err


def test_searchers_with_a_budget_option_are_told_the_evaluations():
    """lamcts declares ``budget`` (its switch to whole-box steps comes at half of it): the bench tells it
    ``--evals``, as a Tune user tells it ``num_samples``; a variant's own budget wins; peers are untouched."""
    from gpunet_ray.bench.searchers import with_budget

    assert with_budget("lamcts", {}, 50) == {"budget": 50}
    assert with_budget("lamcts", {"budget": 7, "cp": 0.2}, 50) == {"budget": 7, "cp": 0.2}
    assert with_budget("random", {}, 50) == {} and with_budget("optuna-tpe", {}, 50) == {}
    # told 64, the switch comes at 32; the tree-only run first picks otherwise at its 56th suggestion on this
    # problem (the whole-box polish lands where the region's does until then)
    told = run_one("hartmann6", "lamcts[n_init=4]", 0, 64, 8)
    assert told["values"] == run_one("hartmann6", "lamcts[n_init=4,budget=64]", 0, 64, 8)["values"]
    assert told["values"] != run_one("hartmann6", "lamcts[n_init=4,global_after=100]", 0, 64, 8)["values"]


@pytest.mark.parametrize("objectives,problem,tag", [("1", "hartmann6", "6"), ("2", "branin-currin", "mo_6")])
def test_only_seeds_split_merges_into_the_whole_run(tmp_path, objectives, problem, tag):
    """A long run split with ``--only-seeds`` over processes (one ``--out`` each) and merged gives the runs and
    the table of one unsplit run: each seed is its own seeded run. Bad lists are refused as usage errors."""
    from gpunet_ray.bench.searchers import main
    from gpunet_ray.cli import UsageError

    common = ["--objectives", objectives, "--problems", problem, "--searchers", "random,lamcts[n_init=3]",
              "--evals", "6", "--seeds", "3", "--batch", "3", "--jobs", "1", "--random-ref", "40"]
    assert main(common + ["--out", str(tmp_path / "whole")]) == 0
    parts = {"a": "2,0", "b": "1"}
    for name, only in parts.items():
        assert main(common + ["--only-seeds", only, "--out", str(tmp_path / name)]) == 0
    a = json.loads((tmp_path / "a" / f"results_{tag}.json").read_text())
    assert a["meta"]["only_seeds"] == [0, 2] and sorted({r["seed"] for r in a["runs"]}) == [0, 2]
    assert main(["--merge", *(str(tmp_path / n / f"results_{tag}.json") for n in parts), "--out",
                 str(tmp_path / "m"), "--tag", "t", "--problems", problem, "--searchers", "random,lamcts[n_init=3]"]) == 0
    whole = json.loads((tmp_path / "whole" / f"results_{tag}.json").read_text())
    merged = json.loads((tmp_path / "m" / "results_t.json").read_text())
    assert merged["runs_merged"] == [[r["problem"], r["searcher"], r["seed"]] for r in
                                     sorted(whole["runs"], key=lambda r: (r["searcher"] != "random", r["seed"]))]
    key = "hv" if objectives == "2" else "values"
    split_runs = {(r["searcher"], r["seed"]): r[key] for n in parts
                  for r in json.loads((tmp_path / n / f"results_{tag}.json").read_text())["runs"]}
    assert split_runs == {(r["searcher"], r["seed"]): r[key] for r in whole["runs"]}
    assert merged["summary"]["mean_rank"] == whole["summary"]["mean_rank"]
    for bad in ("3", "0,x", ","):
        with pytest.raises(UsageError, match="--only-seeds"):
            main(common + ["--only-seeds", bad, "--out", str(tmp_path / "bad")])
