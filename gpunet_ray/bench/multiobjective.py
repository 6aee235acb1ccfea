"""``python -m gpunet_ray.bench searchers --objectives 2``: multi-objective searchers by hypervolume.

Every searcher (:mod:`.mo_peers`) runs through the same ask/tell loop as the single-objective bench
(synchronous batches of ``--batch``, ``--evals`` evaluations, seeds ``0 .. --seeds - 1``), both
objectives minimised. Score: the hypervolume of the feasible evaluations against the problem's
fixed reference point (:func:`hypervolume_2d`), recorded after every evaluation. The report gives,
per problem and searcher, the median hypervolume and its IQR over seeds at the budget, the mean rank
of the medians (1 = largest), and how many evaluations a run needed to reach the hypervolume of
``--random-ref`` (2,000) uniform random evaluations (:func:`random_reference`, one fixed seed).
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

from gpunet_ray.cli import UsageError

from ._pool import failed_runs_exit, run_tasks, seed_list, write_report

__all__ = ["hypervolume_2d", "hv_trajectory", "random_reference", "run_one_mo", "summarize_mo", "table_mo_md",
           "main_mo", "merged_random_ref", "DEFAULT_MO_SEARCHERS", "RANDOM_REF_SEED"]

DEFAULT_MO_SEARCHERS = ("lamcts", "random", "optuna-nsga2", "optuna-tpe", "botorch-qlognehvi")
#: seed of the uniform random sample whose hypervolume is the per-problem reference
RANDOM_REF_SEED = 20261129


def hypervolume_2d(points: Sequence[Sequence[float]], ref: Sequence[float]) -> float:
    """Hypervolume (area) dominated by ``points`` (n x 2, both minimised) and bounded by ``ref``.

    Points not strictly better than ``ref`` in both objectives add nothing. Exact: a sweep over the
    points sorted by the first objective, O(n log n)."""
    P = np.asarray(points, dtype=float).reshape(-1, 2)
    r0, r1 = float(ref[0]), float(ref[1])
    P = P[np.isfinite(P).all(1) & (P[:, 0] < r0) & (P[:, 1] < r1)]
    hv, best = 0.0, r1
    for f0, f1 in P[np.lexsort((P[:, 1], P[:, 0]))]:
        if f1 < best:
            hv += (r0 - f0) * (best - f1)
            best = f1
    return float(hv)


def hv_trajectory(values: Sequence, ref: Sequence[float]) -> list[float]:
    """The hypervolume after each evaluation (None = infeasible, adds nothing)."""
    front: list = []
    out = []
    for v in values:
        if v is not None:
            front.append(v)
            P = np.asarray(front, dtype=float)
            keep = ~((P[None, :, :] <= P[:, None, :]).all(-1) & (P[None, :, :] < P[:, None, :]).any(-1)).any(1)
            front = [tuple(p) for p in P[keep]]  # the non-dominated points so far
        out.append(hypervolume_2d(front, ref) if front else 0.0)
    return out


def _evaluate(problem, config: dict):
    v = problem.fn(problem.domain.flat(config))
    if v is None or not all(math.isfinite(x) for x in v):
        return None
    return tuple(float(x) for x in v)


def random_reference(problem, n: int = 2000, seed: int = RANDOM_REF_SEED) -> float:
    """Hypervolume of ``n`` uniform random (duplicate-free) evaluations of ``problem``."""
    from gpunet_ray.searchers import RandomCore

    core = RandomCore(problem.domain, seed=seed, objectives=2, maximize=(False, False))
    vals = []
    while len(vals) < n:
        got = core.ask(min(500, n - len(vals)))
        if not got:
            break
        for c in got:
            v = _evaluate(problem, c)
            core.tell(c, v, feasible=v is not None)
            vals.append(v)
    return hypervolume_2d([v for v in vals if v is not None], problem.ref_point)


def run_one_mo(problem_name: str, searcher: str, seed: int, evals: int, batch: int) -> dict:
    """One seeded two-objective run: every value told (None = infeasible), the hypervolume after each
    evaluation, and the mean seconds per suggestion (ask + tell)."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from .mo_peers import make_peer
    from .problems import get_problem

    problem = get_problem(problem_name)
    if problem.objectives != 2:
        raise UsageError(f"problem {problem_name!r} has {problem.objectives} objective(s); --objectives 2 needs 2")
    opt = make_peer(searcher, problem.domain, seed=seed, evals=evals, ref_point=problem.ref_point)
    vals, t_ask = [], 0.0
    while len(vals) < evals:
        t0 = time.perf_counter()
        cs = opt.ask(min(batch, evals - len(vals)))
        t_ask += time.perf_counter() - t0
        if not cs:
            break
        for c in cs:
            v = _evaluate(problem, c)
            t0 = time.perf_counter()
            opt.tell(c, v, feasible=v is not None)
            t_ask += time.perf_counter() - t0
            vals.append(v)
    return {"problem": problem_name, "searcher": searcher, "seed": seed, "values": vals,
            "hv": hv_trajectory(vals, problem.ref_point), "suggest_s": t_ask / max(1, len(vals)),
            "ref_point": list(problem.ref_point), "max_hv": problem.max_hv}


def _evals_to_reach(hv: Sequence[float], target: float) -> int | None:
    """Evaluations until the hypervolume first reaches ``target`` (None: not within the run)."""
    for i, h in enumerate(hv):
        if h >= target:
            return i + 1
    return None


def summarize_mo(runs: list[dict], random_ref: dict[str, float]) -> dict:
    """Per (problem, searcher): median / IQR hypervolume at the budget, evaluations to the random
    reference (median over the runs that reached it, and how many did); mean rank of the medians."""
    from scipy.stats import rankdata

    problems = list(dict.fromkeys(r["problem"] for r in runs))
    searchers = list(dict.fromkeys(r["searcher"] for r in runs))
    ok = [r for r in runs if "hv" in r]
    cells: dict = {}
    for p in problems:
        for s in searchers:
            rs = [r for r in ok if r["problem"] == p and r["searcher"] == s]
            if not rs:
                why = next((r.get("error") for r in runs if r["problem"] == p and r["searcher"] == s), "no run")
                cells[(p, s)] = {"n": 0, "why": why}
                continue
            hv = np.array([r["hv"][-1] if r["hv"] else 0.0 for r in rs])
            q1, med, q3 = np.percentile(hv, [25, 50, 75])
            reach = [_evals_to_reach(r["hv"], random_ref[p]) for r in rs] if p in random_ref else []
            hit = [k for k in reach if k is not None]
            cells[(p, s)] = {"n": len(rs), "median": float(med), "q1": float(q1), "q3": float(q3),
                             "reached": len(hit), "evals_to_random_ref": float(np.median(hit)) if hit else None,
                             "suggest_ms": float(np.median([r["suggest_s"] for r in rs]) * 1e3)}
    ranks: dict = {s: [] for s in searchers}
    for p in problems:
        present = [s for s in searchers if cells[(p, s)]["n"]]
        meds = np.array([cells[(p, s)]["median"] for s in present])
        for s, rk in zip(present, rankdata(-meds, method="average") if len(meds) else []):
            ranks[s].append(float(rk))
    return {"problems": problems, "searchers": searchers, "cells": cells, "random_ref": dict(random_ref),
            "mean_rank": {s: (float(np.mean(v)) if v else None) for s, v in ranks.items()},
            "n_ranked": {s: len(v) for s, v in ranks.items()}}


def merged_random_ref(metas: Sequence[dict], runs: Sequence[dict]) -> dict[str, float]:
    """The random-reference hypervolume per problem for runs merged from several results files.

    Each file's reference comes from its own summary (``random_ref_hv``, kept by the merge's read); files
    that drew it differently (another ``--random-ref`` count or seed) or that disagree on a problem's value
    cannot be read side by side."""
    drawn = {json.dumps(m.get("random_ref"), sort_keys=True) for m in metas}
    if len(drawn) > 1:
        raise UsageError(f"the results files drew their random reference differently ({sorted(drawn)}); "
                         "merge files written with the same --random-ref")
    ref: dict[str, float] = {}
    for m in metas:
        for p, v in m.get("random_ref_hv", {}).items():
            if p in ref and not math.isclose(ref[p], v, rel_tol=1e-9, abs_tol=1e-12):
                raise UsageError(f"the results files disagree on {p}'s random-reference hypervolume "
                                 f"({ref[p]} vs {v}): was the problem changed between the runs?")
            ref[p] = v
    missing = sorted({r["problem"] for r in runs} - set(ref))
    if missing:
        raise UsageError(f"no random-reference hypervolume for {missing} in the merged files")
    return ref


def table_mo_md(summary: dict) -> str:
    """Median hypervolume [IQR] (bold: best), then evaluations to the 2,000-random hypervolume."""
    from .searchers import _fmt

    S = summary["searchers"]
    lines = ["| problem (random-ref HV) | " + " | ".join(S) + " |", "|---|" + "---|" * len(S)]
    for p in summary["problems"]:
        cells = [summary["cells"][(p, s)] for s in S]
        best = max((c["median"] for c in cells if c["n"]), default=None)
        row = [f"{p} ({_fmt(summary['random_ref'].get(p))})"]
        for c in cells:
            if not c["n"]:
                row.append("n/a")
                continue
            txt = f"{_fmt(c['median'])} [{_fmt(c['q1'])}, {_fmt(c['q3'])}]"
            row.append(f"**{txt}**" if c["median"] == best else txt)
        lines.append("| " + " | ".join(row) + " |")
    lines.append("| **mean rank** | " + " | ".join(
        f"{summary['mean_rank'][s]:.2f} ({summary['n_ranked'][s]})" if summary["mean_rank"][s] is not None else "n/a"
        for s in S) + " |")
    lines += ["", "Evaluations to reach the random-reference hypervolume (median over the runs that did; runs "
              "that did / runs):", "", "| problem | " + " | ".join(S) + " |", "|---|" + "---|" * len(S)]
    for p in summary["problems"]:
        row = [p]
        for s in S:
            c = summary["cells"][(p, s)]
            row.append("n/a" if not c["n"] else
                       f"{_fmt(c['evals_to_random_ref']) if c['evals_to_random_ref'] is not None else '-'} "
                       f"({c['reached']}/{c['n']})")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def main_mo(args, argv: Sequence[str] | None, problems: list[str]) -> int:
    """The ``--objectives 2`` branch of ``python -m gpunet_ray.bench searchers`` (arguments parsed there)."""
    from .mo_peers import MO_PEERS, make_peer
    from .problems import get_problem
    from .searchers import check_variants, parse_variant, split_searchers

    if args.objectives != 2:
        raise UsageError(f"--objectives {args.objectives}: the multi-objective benchmark takes 2")
    bad = [p for p in problems if get_problem(p).objectives != 2]
    if bad:
        raise UsageError(f"problem(s) {bad} are not two-objective; use --set mo or heldout2-mo to heldout8-mo")
    searchers = split_searchers(args.searchers or ",".join(DEFAULT_MO_SEARCHERS))
    unknown = [s for s in searchers if parse_variant(s)[0] not in MO_PEERS]
    if unknown:
        raise UsageError(f"unknown multi-objective searcher(s) {unknown}; use {', '.join(MO_PEERS)}")
    if min(args.evals, args.seeds, args.batch, args.jobs, args.random_ref) < 1:
        raise UsageError("--evals, --seeds, --batch, --jobs and --random-ref must be >= 1")
    check_variants(searchers, get_problem(problems[0]),
                   lambda s, p: make_peer(s, p.domain, seed=0, evals=args.evals, ref_point=p.ref_point))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    meta = {"command": "python -m gpunet_ray.bench searchers " + " ".join(sys.argv[1:] if argv is None else argv),
            "machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.platform()}",
            "python": platform.python_version(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "objectives": 2, "evals": args.evals, "seeds": args.seeds, "batch": args.batch,
            "random_ref": {"evaluations": args.random_ref, "seed": RANDOM_REF_SEED}}
    seeds = seed_list(args.seeds, args.only_seeds)
    if args.only_seeds:
        meta["only_seeds"] = seeds
    t0 = time.time()
    ref = {p: random_reference(get_problem(p), args.random_ref) for p in problems}
    tasks = [(p, s, seed, args.evals, args.batch) for p in problems for seed in seeds for s in searchers]
    runs = run_tasks(run_one_mo, tasks, args.jobs,
                     lambda r: r.get("error") or f"HV {r['hv'][-1] if r['hv'] else 0.0:.4g}")
    summ = summarize_mo(runs, ref)
    md = table_mo_md(summ)
    print(md)
    tag = args.tag or f"mo_{args.evals}"
    report = {"meta": meta, "runs": runs, "wall_s": time.time() - t0,
              "summary": {**{k: v for k, v in summ.items() if k != "cells"},
                          "cells": {f"{p}|{s}": c for (p, s), c in summ["cells"].items()}}}
    (out / f"table_{tag}.md").write_text(md + "\n")
    write_report(out / f"results_{tag}.json", report)
    return failed_runs_exit(runs, str(out / f"results_{tag}.json"))
