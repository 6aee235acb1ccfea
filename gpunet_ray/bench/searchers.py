"""``python -m gpunet_ray.bench searchers``: LA-MCTS + BO against peers on a problem set.

With ``--objectives 2`` the multi-objective benchmark runs instead (:mod:`.multiobjective`: hypervolume).

Every searcher runs through the same ask/tell loop (synchronous batches of ``--batch``) with the
same evaluation budget and seeds (a searcher that takes a ``budget`` option, as ``lamcts`` does, is
told it: :func:`with_budget`); one configuration also runs through Ray Tune (``--tune``) to
prove the adapter. Reports median simple regret and IQR per problem, mean rank, and time per
suggestion; ``--overhead`` times ``suggest()`` at 100/1,000/5,000 observations; ``--simulate``
runs a discrete-event simulation of a large cluster (no real training) and reports the fraction
of worker time spent waiting on the searcher.

Size: a benchmark script (~500 lines; ``main`` and ``simulate`` run over 60 lines, each one linear
report) kept whole so that a results file's provenance is one module; not imported by the product.
"""

from __future__ import annotations

import json
import math
import os
import platform
import sys
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from gpunet_ray.cli import OneLineParser, UsageError, key_values

from gpunet_ray.searchers._registry import with_budget

from ._pool import failed_runs_exit, run_tasks, seed_list, write_report

DESCRIPTION = "LA-MCTS + BO vs random / Optuna TPE / Optuna GP / HEBO / pypop7 LA-MCTS"

DEFAULT_SEARCHERS = ("lamcts", "random", "optuna-tpe", "optuna-gp", "hebo", "pypop7-lamcts")


def _parser() -> OneLineParser:
    p = OneLineParser(prog="python -m gpunet_ray.bench searchers", description=DESCRIPTION)
    p.add_argument("--problems", default="all",
                   help="comma list from problems.list_problems() (default: all = the tuned and first held-out sets)")
    p.add_argument("--set", default=None, metavar="NAME",
                   help="a named problem set instead of --problems: tuned, heldout, all, mo, heldout2 .. heldout8 "
                        "and their two-objective twins heldout2-mo .. heldout8-mo (each held-out set is run once; "
                        "docs/BENCHMARKS.md records when and with which defaults); --list prints a set's problems")
    p.add_argument("--list", action="store_true", help="print the selected problems and exit (runs nothing)")
    p.add_argument("--objectives", type=int, default=1,
                   help="2: the multi-objective benchmark (hypervolume; default problems: --set mo; searchers: "
                        "lamcts, random, optuna-nsga2, optuna-tpe, botorch-qlognehvi)")
    p.add_argument("--random-ref", type=int, default=2000, metavar="N",
                   help="with --objectives 2: the reference hypervolume is that of N uniform random evaluations")
    p.add_argument("--searchers", default=None,
                   help=f"comma list (default: {','.join(DEFAULT_SEARCHERS)}; with --merge: all, in file order)")
    p.add_argument("--evals", type=int, default=50,
                   help="evaluations per run (default 50); searchers with a budget option (lamcts) are told it")
    p.add_argument("--seeds", type=int, default=5, help="seeds per (problem, searcher) (default 5)")
    p.add_argument("--only-seeds", default=None, metavar="LIST",
                   help="comma list: run only these of the seeds 0..SEEDS-1 (a long run split over processes or "
                        "sessions, one --out each; --merge combines them, one run per problem, searcher and seed)")
    p.add_argument("--batch", type=int, default=8, help="suggestions per ask (default 8)")
    p.add_argument("--jobs", type=int, default=2, help="parallel worker processes (default 2)")
    p.add_argument("--out", default="bench_out/searchers", help="folder for results.json and table.md")
    p.add_argument("--overhead", action="store_true", help="also time suggest() at 100/1,000/5,000 observations")
    p.add_argument("--overhead-sizes", default="100,1000,5000")
    p.add_argument("--overhead-pending", type=int, default=0, metavar="P",
                   help="time suggest() with P trials in flight, as in a Tune run at concurrency P+1: after the "
                        "N observations P configs are asked, and each timed ask(1) is followed by telling the "
                        "oldest pending one (default 0: ask(1) then tell it)")
    p.add_argument("--simulate", type=int, default=0, metavar="WORKERS",
                   help="also simulate a cluster of WORKERS workers (e.g. 1000)")
    p.add_argument("--sim-trials", type=int, default=3000, help="trials to complete in the simulation")
    p.add_argument("--sim-duration", type=float, default=600.0,
                   help="median trial duration in the simulation, seconds (log-normal, sigma 0.5)")
    p.add_argument("--tune", action="store_true", help="also run lamcts on one problem through Ray Tune")
    p.add_argument("--skip-runs", action="store_true", help="only the extra parts (overhead/simulate/tune)")
    p.add_argument("--merge", nargs="+", default=None, metavar="RESULTS_JSON",
                   help="no runs: combine the runs of earlier results files (a later file's run of the same "
                        "problem, searcher and seed wins), filtered and ordered by --problems/--searchers, "
                        "into OUT/table_TAG.md and OUT/results_TAG.json (summary and provenance; the runs stay in "
                        "the merged files); multi-objective files merge the same way, ranked by hypervolume")
    p.add_argument("--tag", default=None, help="name of the output files (default: the number of evaluations)")
    return p


# -- one run -------------------------------------------------------------------------------------
def _run_pypop7(problem, seed: int, evals: int, batch: int) -> dict:
    from pypop7.optimizers.bo.lamcts import LAMCTS as P7

    d = problem.domain
    lo = np.array([p.low for p in d.params], dtype=float)
    hi = np.array([p.high for p in d.params], dtype=float)
    vals: list[float] = []

    def f(x):
        v = problem.fn({p.name: float(x[i]) for i, p in enumerate(d.params)})
        vals.append(v)
        return v

    prob = {"fitness_function": f, "ndim_problem": len(d), "lower_boundary": lo, "upper_boundary": hi}
    opts = {"max_function_evaluations": evals, "seed_rng": seed, "init_individuals": min(evals, 10),
            "n_individuals": batch, "leaf_size": 10, "verbose": False, "saving_fitness": 0}
    t0 = time.perf_counter()
    P7(prob, opts).optimize()
    total = time.perf_counter() - t0
    return {"values": vals[:evals], "feasible": [True] * min(evals, len(vals)), "suggest_s": total / max(1, len(vals)),
            "note": "pypop7 drives the objective itself (time includes the objective)"}


def split_searchers(text: str) -> list[str]:
    """``"lamcts,lamcts[a=1,b=2],random"`` -> its names: commas inside ``[...]`` separate a variant's options."""
    out, depth, cur = [], 0, ""
    for ch in text:
        depth += (ch == "[") - (ch == "]")
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return [x.strip() for x in out if x.strip()]


def parse_variant(searcher: str) -> tuple[str, dict]:
    """``"lamcts[target_transform=power,cp=0.2]"`` -> ``("lamcts", {...})`` (values read as YAML scalars)."""
    name, sep, rest = searcher.partition("[")
    if not sep:
        return searcher, {}
    if not rest.endswith("]"):
        raise UsageError(f"searcher variant {searcher!r} must look like name[key=value,...]")
    return name, key_values(list(filter(None, rest[:-1].split(","))), f"searcher variant {searcher!r}",
                            "lamcts[cp=0.2]")


def check_variants(searchers: Sequence[str], problem, build) -> None:
    """Build each searcher once for ``problem`` (``build(name, problem)``), so that a variant's bad option is
    one :class:`UsageError` before anything runs or is written, not a column of failed runs. A searcher
    whose package is not installed is left to its runs (they say so)."""
    from gpunet_ray.errors import BackendUnavailable, ConfigError

    for s in searchers:
        try:
            build(s, problem)
        except BackendUnavailable:
            continue
        except (ConfigError, TypeError, ValueError) as exc:
            raise UsageError(f"searcher {s!r}: {exc}") from None


def make_single(searcher: str, problem, seed: int, evals: int):
    """The one-objective optimiser ``searcher`` names (a variant, or ``lamcts+constraint``), built for
    ``problem`` and told ``evals`` where it takes a budget; None for ``lamcts+constraint`` on a problem with
    no known constraint. (``pypop7-lamcts`` drives the objective itself: :func:`_run_pypop7`.)"""
    from gpunet_ray.searchers import get_optimizer

    name, kw = parse_variant(searcher)
    if searcher == "lamcts+constraint":
        if problem.constraint is None:
            return None
        name, kw = "lamcts", {"constraint": problem.constraint}
    return get_optimizer(name, problem.domain, seed=seed, maximize=False, **with_budget(name, kw, evals))


def run_one(problem_name: str, searcher: str, seed: int, evals: int, batch: int) -> dict:
    """One seeded run; returns every value told (None = infeasible) and mean seconds per suggestion."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover
        pass
    from .problems import get_problem

    problem = get_problem(problem_name)
    if searcher == "pypop7-lamcts":
        if any(p.kind != "float" for p in problem.domain.params):
            return {"skipped": "pypop7 LA-MCTS handles continuous boxes only"}
        out = _run_pypop7(problem, seed, evals, batch)
    else:
        opt = make_single(searcher, problem, seed, evals)
        if opt is None:
            return {"skipped": "no known constraint"}
        vals, feas, t_ask = [], [], 0.0
        while len(vals) < evals:
            t0 = time.perf_counter()
            cs = opt.ask(min(batch, evals - len(vals)))
            t_ask += time.perf_counter() - t0
            if not cs:
                break
            for c in cs:
                v = problem.fn(problem.domain.flat(c))
                ok = v is not None and math.isfinite(v)
                t0 = time.perf_counter()
                opt.tell(c, v if ok else None, feasible=ok)
                t_ask += time.perf_counter() - t0
                vals.append(v if ok else None)
                feas.append(ok)
        out = {"values": vals, "feasible": feas, "suggest_s": t_ask / max(1, len(vals))}
    out.update(problem=problem_name, searcher=searcher, seed=seed, f_opt=problem.f_opt)
    return out


# -- report --------------------------------------------------------------------------------------
def _best_so_far(values: list) -> float:
    feas = [v for v in values if v is not None]
    return min(feas) if feas else math.inf


def summarize(runs: list[dict]) -> dict:
    """Median regret + IQR per (problem, searcher), mean rank, seconds per suggestion."""
    problems = sorted({r["problem"] for r in runs}, key=lambda p: [x["problem"] for x in runs].index(p))
    searchers = sorted({r["searcher"] for r in runs}, key=lambda s: [x["searcher"] for x in runs].index(s))
    ok = [r for r in runs if "values" in r]
    ref = {}
    for p in problems:
        f_opt = next((r["f_opt"] for r in ok if r["problem"] == p), None)
        if f_opt is None:  # unknown optimum: best feasible value any run found
            f_opt = min((_best_so_far(r["values"]) for r in ok if r["problem"] == p), default=math.inf)
        ref[p] = f_opt
    cells: dict = {}
    for p in problems:
        for s in searchers:
            rs = [r for r in ok if r["problem"] == p and r["searcher"] == s]
            if not rs:
                why = next((r.get("skipped") or r.get("error") for r in runs
                            if r["problem"] == p and r["searcher"] == s), "no run")
                cells[(p, s)] = {"n": 0, "why": why}
                continue
            reg = np.array([_best_so_far(r["values"]) - ref[p] for r in rs])
            q1, med, q3 = np.percentile(reg, [25, 50, 75])
            cells[(p, s)] = {"n": len(rs), "median": float(med), "q1": float(q1), "q3": float(q3),
                             "suggest_ms": float(np.median([r["suggest_s"] for r in rs]) * 1e3),
                             "infeasible": float(np.mean([1 - np.mean(r["feasible"]) for r in rs]))}
    ranks: dict = {s: [] for s in searchers}
    for p in problems:
        present = [s for s in searchers if cells[(p, s)]["n"] and "+" not in s]  # variants are not ranked
        meds = np.array([cells[(p, s)]["median"] for s in present])
        order = _average_ranks(meds)
        for s, rk in zip(present, order):
            ranks[s].append(rk)
    return {"problems": problems, "searchers": searchers, "ref": ref, "cells": cells,
            "mean_rank": {s: (float(np.mean(v)) if v else None) for s, v in ranks.items()},
            "n_ranked": {s: len(v) for s, v in ranks.items()}}


def _average_ranks(x: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return rankdata(x, method="average") if len(x) else x


def table_md(summary: dict) -> str:
    S = summary["searchers"]
    lines = ["| problem | " + " | ".join(S) + " |", "|---|" + "---|" * len(S)]
    for p in summary["problems"]:
        row = [p]
        meds = [summary["cells"][(p, s)].get("median") for s in S]
        best = min((m for m in meds if m is not None), default=None)
        for s in S:
            c = summary["cells"][(p, s)]
            if not c["n"]:
                row.append("n/a")
                continue
            txt = f"{_fmt(c['median'])} [{_fmt(c['q1'])}, {_fmt(c['q3'])}]"
            row.append(f"**{txt}**" if c["median"] == best else txt)
        lines.append("| " + " | ".join(row) + " |")
    lines.append("| **mean rank** | " + " | ".join(
        (f"{summary['mean_rank'][s]:.2f} ({summary['n_ranked'][s]})" if summary["mean_rank"][s] is not None else "n/a")
        for s in S) + " |")
    lines.append("| ms / suggestion (median) | " + " | ".join(
        _fmt(float(np.median([summary["cells"][(p, s)]["suggest_ms"] for p in summary["problems"]
                               if summary["cells"][(p, s)]["n"]] or [math.nan]))) for s in S) + " |")
    return "\n".join(lines)


def _fmt(v: float) -> str:
    if v is None or not math.isfinite(v):
        return "inf" if v == math.inf else "n/a"
    if v == 0:
        return "0"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 0.01:
        return f"{v:.3g}"
    return f"{v:.2e}"


# -- overhead and simulation ----------------------------------------------------------------------
def overhead(sizes: Sequence[int], seed: int = 0, steps: int = 30, pending: int = 0) -> list[dict]:
    """Time ask(1) on a 10-d problem after N random observations (median, p90, mean ms), each followed by a
    tell: of that config, or with ``pending`` > 0 of the oldest of the ``pending`` configs in flight (asked
    once before the timing starts), so that ``pending`` stay in flight throughout."""
    import torch

    torch.set_num_threads(1)
    from gpunet_ray.searchers import LAMCTS

    from .problems import get_problem

    prob = get_problem("ackley10")
    out = []
    for n in sizes:
        rng = np.random.default_rng(seed)
        opt = LAMCTS(prob.domain, seed=seed, maximize=False)
        opt._init_queue = []
        for flat in prob.domain.from_unit(prob.domain.uniform(rng, n)):
            opt.tell(flat, prob.fn(flat))
        c = opt.ask(1)[0]  # first call builds the tree and fits the GP (not timed)
        if pending:  # it stays in flight with pending - 1 more (not timed either)
            flight = [c] + opt.ask(pending - 1)
        else:
            opt.tell(c, prob.fn(c))
        ts, in_flight = [], set()
        for i in range(steps + 1):
            in_flight.add(len(opt.obs.pending))
            t0 = time.perf_counter()
            c = opt.ask(1)[0]
            dt = time.perf_counter() - t0
            if pending:
                flight.append(c)
                c = flight.pop(0)
            opt.tell(c, prob.fn(c))
            if i:  # step 0 is left out, as in the figures in docs/BENCHMARKS.md
                ts.append(dt)
        ts = np.array(ts) * 1e3
        out.append({"observations": n, "pending": pending, "median_ms": float(np.median(ts)),
                    "p90_ms": float(np.percentile(ts, 90)), "mean_ms": float(ts.mean()), "max_ms": float(ts.max()),
                    "steps": steps, "in_flight": sorted(in_flight)})
        print(f"overhead n={n}{f' ({pending} in flight)' if pending else ''}: median {np.median(ts):.1f} ms, "
              f"p90 {np.percentile(ts, 90):.1f} ms, mean {ts.mean():.1f} ms, max {ts.max():.0f} ms", flush=True)
    return out


def simulate(workers: int, trials: int, median_s: float, seed: int = 0) -> dict:
    """Discrete-event simulation: ``workers`` workers, log-normal trial durations (median ``median_s``,
    sigma 0.5); one searcher process serves waiting workers in batches (``ask(k)`` for all k
    waiting), its service time being the *measured* wall time of the real ask/tell calls.
    Returns the fraction of worker time spent waiting for a suggestion.
    """
    import heapq

    import torch

    torch.set_num_threads(1)
    from gpunet_ray.searchers import LAMCTS

    from .problems import get_problem

    prob = get_problem("ackley10")
    rng = np.random.default_rng(seed)
    opt = LAMCTS(prob.domain, seed=seed, maximize=False)
    now = 0.0
    waiting = list(range(workers))  # workers waiting for a suggestion, since time 0
    wait_since = {w: 0.0 for w in waiting}
    events: list = []  # (finish_time, worker, config)
    busy = idle = 0.0
    done = 0
    searcher_free = 0.0
    search_time = 0.0
    while done < trials:
        if waiting:
            start = max(now, searcher_free)
            k = len(waiting)
            t0 = time.perf_counter()
            cs = opt.ask(k)
            dt = time.perf_counter() - t0
            search_time += dt
            ready = start + dt
            searcher_free = ready
            for w, c in zip(list(waiting), cs):
                idle += ready - wait_since[w]
                dur = float(median_s * np.exp(0.5 * rng.standard_normal()))
                busy += dur
                heapq.heappush(events, (ready + dur, w, c))
            waiting = []
        t_fin, w, c = heapq.heappop(events)
        now = t_fin
        t0 = time.perf_counter()
        opt.tell(c, prob.fn(c))
        dt = time.perf_counter() - t0
        search_time += dt
        searcher_free = max(searcher_free, now) + dt
        done += 1
        waiting.append(w)
        wait_since[w] = now
        # gather every other worker finishing before the searcher is free again (they batch)
        while events and events[0][0] <= searcher_free:
            t_fin, w2, c2 = heapq.heappop(events)
            t0 = time.perf_counter()
            opt.tell(c2, prob.fn(c2))
            dt = time.perf_counter() - t0
            search_time += dt
            searcher_free += dt
            done += 1
            waiting.append(w2)
            wait_since[w2] = t_fin
        now = max(now, searcher_free)
    frac = idle / (idle + busy)
    res = {"workers": workers, "trials": done, "median_trial_s": median_s, "idle_fraction": frac,
           "searcher_cpu_s": search_time, "observations": opt.n_observations}
    print(f"simulate: {workers} workers, {done} trials, median trial {median_s:.0f} s: idle fraction "
          f"{100 * frac:.2f} %, searcher time {search_time:.1f} s", flush=True)
    return res


def tune_check(evals: int, seed: int = 0) -> dict:
    """Run lamcts on hartmann6 through Ray Tune (LAMCTSSearch + ConcurrencyLimiter)."""
    import ray
    from ray import tune
    from ray.tune.search import ConcurrencyLimiter

    from gpunet_ray.searchers import LAMCTSSearch

    from .problems import get_problem

    prob = get_problem("hartmann6")
    space = {p.name: tune.uniform(p.low, p.high) for p in prob.domain.params}

    def trainable(config):
        tune.report({"f": prob.fn(config)})

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    try:
        t0 = time.time()
        search = ConcurrencyLimiter(LAMCTSSearch(metric="f", mode="min", seed=seed), max_concurrent=2)
        grid = tune.Tuner(trainable, param_space=space, tune_config=tune.TuneConfig(
            search_alg=search, num_samples=evals), run_config=tune.RunConfig(verbose=0)).fit()
        vals = [r.metrics["f"] for r in grid]
        res = {"problem": "hartmann6", "evals": len(vals), "best": min(vals), "regret": min(vals) - prob.f_opt,
               "wall_s": time.time() - t0}
    finally:
        ray.shutdown()
    print(f"tune: hartmann6 via Ray Tune, {res['evals']} trials: regret {res['regret']:.3g} "
          f"({res['wall_s']:.0f} s)", flush=True)
    return res


# -- main -------------------------------------------------------------------------------------------
def select_problems(problems: str, set_name: str | None) -> list[str]:
    """The problem names of ``--problems`` (a comma list or ``all``) or of ``--set NAME``."""
    from .problems import PROBLEM_SETS, list_problems

    if set_name is not None:
        if problems != "all":
            raise UsageError("give --problems or --set, not both")
        if set_name not in PROBLEM_SETS:
            raise UsageError(f"unknown problem set {set_name!r}; use one of {', '.join(PROBLEM_SETS)}")
        return list(PROBLEM_SETS[set_name])
    if problems == "all":
        return list(PROBLEM_SETS["all"])
    names = [p for p in problems.split(",") if p]
    bad = [p for p in names if p not in list_problems()]
    if bad:
        raise UsageError(f"unknown problem(s) {bad}; use {', '.join(list_problems())}")
    return names


def problems_md(names: Sequence[str]) -> str:
    """A table of problems: dimensions by kind, objectives, optimum or reference, note. Runs no searcher."""
    from .problems import get_problem

    lines = ["| problem | dims | kinds | objectives | f_opt / reference | note |", "|---|---|---|---|---|---|"]
    for n in names:
        p = get_problem(n)
        kinds: dict = {}
        for q in p.domain.params:
            kinds[q.kind] = kinds.get(q.kind, 0) + 1
        ref = (_fmt(p.f_opt) if p.f_opt is not None else f"ref {_fmt(p.reference)}" if p.reference is not None
               else f"max HV {_fmt(p.max_hv)}" if p.max_hv is not None else "-")
        lines.append(f"| {n} | {len(p.domain)} | {', '.join(f'{k} {v}' for k, v in kinds.items())} | "
                     f"{p.objectives} | {ref} | {p.note} |")
    return "\n".join(lines)


def merge(paths: Sequence[str], problems: Sequence[str] | None, searchers: Sequence[str] | None) -> tuple[dict, list]:
    """Runs from several results files (later wins per problem/searcher/seed), filtered and ordered."""
    runs: dict = {}
    metas = []
    for path in paths:
        try:
            rep = json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot read results file {path!r}: {exc}") from None
        if not isinstance(rep, dict) or "runs" not in rep:
            raise UsageError(f"{path!r} holds no runs (write it with python -m gpunet_ray.bench searchers)")
        metas.append({"file": str(path), **rep.get("meta", {})})
        if "random_ref" in rep.get("summary", {}):  # multi-objective: the per-problem reference hypervolumes
            metas[-1]["random_ref_hv"] = rep["summary"]["random_ref"]
        for r in rep["runs"]:
            runs[(r["problem"], r["searcher"], r["seed"])] = r
    keep = list(runs.values())
    if problems:
        keep = [r for r in keep if r["problem"] in problems]
    if searchers:
        keep = [r for r in keep if r["searcher"] in searchers]
    pi = {p: i for i, p in enumerate(problems or [])}
    si = {x: i for i, x in enumerate(searchers or [])}
    keep.sort(key=lambda r: (pi.get(r["problem"], len(pi)), si.get(r["searcher"], len(si)), r["seed"]))
    if not keep:
        raise UsageError("no runs left to merge after filtering by --problems/--searchers")
    evals = {m.get("evals") for m in metas}
    if len(evals) > 1:
        raise UsageError(f"the results files mix evaluation budgets {sorted(evals)}; merge one budget at a time")
    objectives = {m.get("objectives", 1) for m in metas}
    if len(objectives) > 1:
        raise UsageError("the results files mix single- and multi-objective runs; merge each kind on its own")
    return {"merged_from": metas, "evals": evals.pop(), "objectives": objectives.pop()}, keep


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.merge:
        explicit_p = None if args.problems == "all" else [p for p in args.problems.split(",") if p]
        explicit_s = None if args.searchers is None else split_searchers(args.searchers)
        meta, runs = merge(args.merge, explicit_p, explicit_s)
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        if meta["objectives"] == 2:
            from .multiobjective import merged_random_ref, summarize_mo, table_mo_md

            tag = args.tag or f"mo_{meta['evals']}"
            summ = summarize_mo(runs, merged_random_ref(meta["merged_from"], runs))
            md = table_mo_md(summ)
        else:
            tag = args.tag or str(meta["evals"])
            summ = summarize(runs)
            md = table_md(summ)
        print(md)
        meta["command"] = "python -m gpunet_ray.bench searchers " + " ".join(sys.argv[1:] if argv is None else argv)
        # no "runs": they stay in the merged files (named in meta.merged_from)
        report = {"meta": meta, "runs_merged": [[r["problem"], r["searcher"], r["seed"]] for r in runs],
                  "summary": {**{k: v for k, v in summ.items() if k != "cells"},
                              "cells": {f"{p}|{x}": c for (p, x), c in summ["cells"].items()}}}
        (out / f"table_{tag}.md").write_text(md + "\n")
        write_report(out / f"results_{tag}.json", report)
        return 0
    from gpunet_ray.searchers import list_optimizers

    if args.objectives > 1 and args.problems == "all" and args.set is None:
        args.set = "mo"
    problems = select_problems(args.problems, args.set)
    if args.list:
        print(problems_md(problems))
        return 0
    if args.objectives != 1:
        from .multiobjective import main_mo

        return main_mo(args, argv, problems)
    if min(args.evals, args.seeds, args.batch, args.jobs) < 1:
        raise UsageError("--evals, --seeds, --batch and --jobs must be >= 1")
    if args.overhead_pending < 0:
        raise UsageError("--overhead-pending must be >= 0 (the trials in flight while suggest() is timed)")
    searchers = split_searchers(args.searchers or ",".join(DEFAULT_SEARCHERS))
    known = set(list_optimizers()) | {"pypop7-lamcts", "lamcts+constraint"}
    bad = [s for s in searchers if parse_variant(s)[0] not in known]
    if bad:
        raise UsageError(f"unknown searcher(s) {bad}; use {', '.join(sorted(known))}")
    from .problems import get_problem

    # (the checks above come before the problems are built: some import BoTorch, whose import warns on stderr)
    multi = [p for p in problems if get_problem(p).objectives != 1]
    if multi:
        raise UsageError(f"problem(s) {multi} have two objectives: run them with --objectives 2")
    if not args.skip_runs:
        check_variants(searchers, get_problem(problems[0]),
                       lambda s, p: None if s == "pypop7-lamcts" else make_single(s, p, 0, args.evals))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    meta = {"command": "python -m gpunet_ray.bench searchers " + " ".join(sys.argv[1:] if argv is None else argv),
            "machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.platform()}",
            "python": platform.python_version(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "evals": args.evals, "seeds": args.seeds, "batch": args.batch}
    seeds = seed_list(args.seeds, args.only_seeds)
    if args.only_seeds:
        meta["only_seeds"] = seeds
    report: dict = {"meta": meta}
    if not args.skip_runs:
        tasks = [(p, s, seed, args.evals, args.batch) for p in problems for seed in seeds for s in searchers]
        t0 = time.time()
        runs = run_tasks(run_one, tasks, args.jobs,
                         lambda r: r.get("error") or r.get("skipped") or f"best {_best_so_far(r['values']):.4g}")
        summ = summarize(runs)
        md = table_md(summ)
        print(md)
        report["runs"] = runs
        report["wall_s"] = time.time() - t0
        report["summary"] = {**{k: v for k, v in summ.items() if k != "cells"},
                             "cells": {f"{p}|{s}": c for (p, s), c in summ["cells"].items()}}
        (out / f"table_{args.tag or args.evals}.md").write_text(md + "\n")
    if args.overhead:
        report["overhead"] = overhead([int(x) for x in args.overhead_sizes.split(",")],
                                      pending=args.overhead_pending)
    if args.simulate:
        report["simulation"] = simulate(args.simulate, args.sim_trials, args.sim_duration)
    if args.tune:
        report["tune"] = tune_check(min(args.evals, 24))
    name = "results_extra.json" if args.skip_runs else f"results_{args.tag or args.evals}.json"
    write_report(out / name, report)
    return failed_runs_exit(report.get("runs", []), str(out / name))


if __name__ == "__main__":  # pragma: no cover
    from gpunet_ray.cli import run_cli

    sys.exit(run_cli(main, prog="python -m gpunet_ray.bench searchers"))
