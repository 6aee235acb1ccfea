"""End-to-end benchmark (issue 15): the real search pipeline, several searchers, several seeds.

Wired as ``python -m gpunet_ray.bench e2e [...]``; ``main(argv)`` is the entry point.

Every run is a real search (:func:`gpunet_ray.driver.run_search` with a local Ray: measured latency
on ``--config``'s backend, the gate, Ray Tune proxy training, the hub), one per (searcher, seed), on
the same data, budgets and trial budget, into ``OUT/runs/<searcher>-s<seed>/``. The seed sets the
searcher's seed and the training seed (``train.recipe.seed``), so the spread over seeds holds the
proxy's own noise. A single-objective searcher (``optuna-tpe``, ``hebo``) fills several budgets in
the per-tier mode (``searcher.options.multi_budget: auto``, the default, picks it). The hand-designed families
(:mod:`gpunet_ray.baselines`) are trained with the same recipe inside the first searcher's run of
each seed. ``--per-tier-compare`` also runs the first searcher as one single-budget search per
budget with ``--trials / len(budgets)`` trials each (the same total number of trained candidates):
its records carry the searcher name ``<searcher>/per-tier``. A finished run is reused when the
benchmark is run again with the same ``--out`` (an unfinished one is started again).

Outputs, all from the runs' own ``trials.parquet`` and ``candidates.jsonl``:

* ``OUT/e2e.json``: ``records``, one per (searcher, seed, tier): ``{"searcher", "seed", "budget_ms",
  "best_top1", "latency_ms", "trials", "train_seconds"}`` (best trained network within the budget;
  ``trials``: trained searched candidates of the run, ``train_seconds``: their training seconds);
  ``runs``: per run its (top-1, latency) hypervolume and per tier the best-so-far trajectory over
  cumulative training seconds; ``summary``;
* ``OUT/E2E.md``: per tier, median and IQR of the best top-1 over seeds per searcher; the median
  hypervolume per searcher (top-1 in points x ms below the largest budget; reference (0 %, largest
  budget)); time-to-quality: the training seconds until a run first reaches random search's final
  best (median over seeds) at that tier;
* ``OUT/e2e.png``: best top-1 per tier per searcher, median with the seed range.
"""

from __future__ import annotations

import json
import math
import platform
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ._pool import seed_list
from .searchers import split_searchers

__all__ = ["main", "DESCRIPTION", "run_records", "training_trajectory", "summarize", "proxy_noise", "margins",
           "table_md", "plot"]

DESCRIPTION = "end to end: real searches (lamcts, random, optuna-tpe, hebo) x seeds, baselines, per-tier vs multi-tier"
DEFAULT_SEARCHERS = ("lamcts", "random", "optuna-tpe", "hebo")


def _parser():
    from gpunet_ray.cli import OneLineParser

    p = OneLineParser(prog="python -m gpunet_ray.bench e2e", description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="ImageNet-layout folder (e.g. `python -m gpunet_ray.data make-task`)")
    p.add_argument("--out", required=True, help="results folder (runs/, e2e.json, E2E.md, e2e.png); re-runs resume")
    p.add_argument("--config", default=None, help="search config (default experiments/demo.yaml)")
    p.add_argument("--budgets-ms", default=None, help="comma list of latency budgets (default: the config's)")
    p.add_argument("--searchers", default=",".join(DEFAULT_SEARCHERS),
                   help="comma list; those whose package does not import are left out with a note")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--latency-cache", default=None,
                   help="latency cache shared by every run (default OUT/latency.sqlite); name one file for "
                        "several --out folders to give them the same latencies")
    p.add_argument("--report-only", action="store_true",
                   help="run nothing: report the finished runs in OUT (unfinished or missing ones are listed)")
    p.add_argument("--only-seeds", default=None,
                   help="comma list: run only these of the seeds 0..SEEDS-1 (several processes on one --out); "
                        "the tables then cover only the finished seeds")
    p.add_argument("--trials", type=int, default=None, help="trained searched candidates per run (default: config's)")
    p.add_argument("--epochs", type=int, default=None, help="proxy epochs (default: the config's)")
    p.add_argument("--limit-train-batches", type=int, default=None, help="cap batches per epoch (smoke runs)")
    p.add_argument("--limit-val-batches", type=int, default=None)
    p.add_argument("--no-baselines", action="store_true", help="do not train the hand-designed families")
    p.add_argument("--per-tier-compare", action="store_true",
                   help="also run the first searcher as one single-budget search per budget (same total trials)")
    return p


# -- reading a run ------------------------------------------------------------------------------------------
def training_trajectory(out: Path) -> list[dict]:
    """Searched candidates' training, in order of completion: ``{"id", "seconds", "top1", "latency_ms",
    "status"}``, from the time stamps of ``candidates.jsonl`` (status ``training`` -> a final one)."""
    start: dict[str, float] = {}
    done: list[dict] = []
    seen: set[str] = set()
    for line in (out / "candidates.jsonl").read_text(errors="replace").splitlines():
        try:
            r = json.loads(line)
        except json.JSONDecodeError:
            continue
        cid, st, t = r.get("id"), r.get("status"), r.get("time")
        if r.get("role") != "search" or cid is None or t is None:
            continue
        if st == "training":  # logged again with each epoch's report: the first one is the start
            start.setdefault(cid, float(t))
        elif st in ("trained", "failed") and cid in start and cid not in seen:
            seen.add(cid)
            done.append({"id": cid, "seconds": float(t) - start[cid], "top1": r.get("top1"),
                         "latency_ms": r.get("latency_ms"), "status": st, "end": float(t)})
    done.sort(key=lambda d: d["end"])
    return done


def _finite(v: Any) -> bool:
    try:
        return v is not None and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def run_records(out: Path, searcher: str, seed: int, budgets: Sequence[float], baselines: bool = False,
                tiers: Sequence[float] | None = None) -> tuple[list[dict], dict]:
    """``(records, run)`` of one finished search folder (see the module docstring).

    ``tiers``: the budgets to report (default ``budgets``); ``baselines``: also one record per
    hand-designed family and tier (searcher = the family name)."""
    import pandas as pd

    from gpunet_ray.bench.multiobjective import hypervolume_2d

    df = pd.read_parquet(out / "trials.parquet")
    traj = training_trajectory(out)
    train_s = float(sum(d["seconds"] for d in traj))
    search = df[(df["role"] == "search") & (df["status"] == "trained")]
    recs = []
    run: dict[str, Any] = {"searcher": searcher, "seed": seed, "out": str(out), "trials": len(search),
                           "train_seconds": train_s, "tiers": {}}
    for b in (tiers or budgets):
        fit = search[search["latency_ms"] <= b]
        best = fit.loc[fit["top1"].idxmax()] if len(fit) else None
        recs.append({"searcher": searcher, "seed": seed, "budget_ms": float(b),
                     "best_top1": None if best is None else float(best["top1"]),
                     "latency_ms": None if best is None else float(best["latency_ms"]),
                     "trials": len(search), "train_seconds": train_s})
        cum, so_far, path = 0.0, -math.inf, []
        for d in traj:
            cum += d["seconds"]
            if d["status"] == "trained" and _finite(d["top1"]) and _finite(d["latency_ms"]) and d["latency_ms"] <= b:
                so_far = max(so_far, float(d["top1"]))
            path.append([cum, None if so_far == -math.inf else so_far])
        run["tiers"][f"{float(b):g}"] = path
    pts = [(-float(t), float(lat)) for t, lat in zip(search["top1"], search["latency_ms"]) if _finite(t)]
    run["hypervolume"] = hypervolume_2d(pts, (0.0, float(max(budgets)))) if pts else 0.0
    if baselines:
        base = df[(df["role"] == "baseline") & (df["status"] == "trained")]
        fams = base["name"].astype(str).str.split("@").str[0]
        for fam in sorted(set(fams)):
            members = base[fams == fam]
            for b in (tiers or budgets):
                fit = members[members["latency_ms"] <= b]
                best = fit.loc[fit["top1"].idxmax()] if len(fit) else None
                recs.append({"searcher": fam, "seed": seed, "budget_ms": float(b),
                             "best_top1": None if best is None else float(best["top1"]),
                             "latency_ms": None if best is None else float(best["latency_ms"]),
                             "trials": len(members), "train_seconds": None})
    return recs, run


# -- summary ---------------------------------------------------------------------------------------------
def _q(v: list[float], q: float) -> float:
    return float(np.percentile(v, q)) if v else math.nan


def _first_reach(path: list, target: float) -> float | None:
    for cum, best in path:
        if best is not None and best >= target:
            return float(cum)
    return None


def summarize(records: list[dict], runs: list[dict], reference: str = "random") -> dict:
    """Per tier and searcher: median / IQR of the best top-1 over seeds, median time-to-quality
    (to ``reference``'s median final best); per searcher: median hypervolume."""
    tiers = sorted({r["budget_ms"] for r in records})
    searchers = list(dict.fromkeys(r["searcher"] for r in records))
    out: dict[str, Any] = {"tiers": {}, "hypervolume": {}}
    for b in tiers:
        row: dict[str, Any] = {}
        ref = [r["best_top1"] for r in records if r["budget_ms"] == b and r["searcher"] == reference
               and r["best_top1"] is not None]
        target = float(np.median(ref)) if ref else None
        for s in searchers:
            v = [r["best_top1"] for r in records if r["budget_ms"] == b and r["searcher"] == s
                 and r["best_top1"] is not None]
            n = sum(1 for r in records if r["budget_ms"] == b and r["searcher"] == s)
            ttq = [_first_reach(run["tiers"].get(f"{b:g}", []), target) for run in runs
                   if run["searcher"] == s] if target is not None else []
            reached = [t for t in ttq if t is not None]
            row[s] = {"median": _q(v, 50), "q25": _q(v, 25), "q75": _q(v, 75), "seeds": n, "with_model": len(v),
                      "time_to_quality_s": float(np.median(reached)) if reached else None,
                      "reached": f"{len(reached)}/{len(ttq)}" if ttq else None}
        out["tiers"][f"{b:g}"] = {"target_top1": target, "searchers": row}
    for s in dict.fromkeys(r["searcher"] for r in runs):
        hv = [r["hypervolume"] for r in runs if r["searcher"] == s]
        out["hypervolume"][s] = {"median": _q(hv, 50), "q25": _q(hv, 25), "q75": _q(hv, 75), "runs": len(hv)}
    return out


def proxy_noise(run_dirs: Sequence[Path]) -> dict:
    """The proxy's seed-to-seed noise, measured in the benchmark itself: each hand-designed network is
    trained once per seed (a different training seed each); per network the standard deviation of
    its top-1 over seeds (ddof 1). ``{"mean_std", "max_std", "networks", "seeds"}`` (None without
    at least two seeds)."""
    import pandas as pd

    top: dict[str, list[float]] = {}
    for d in run_dirs:
        if not (d / "trials.parquet").is_file():
            continue
        df = pd.read_parquet(d / "trials.parquet")
        for _, row in df[(df["role"] == "baseline") & (df["status"] == "trained")].iterrows():
            if _finite(row["top1"]):
                top.setdefault(str(row["name"]), []).append(float(row["top1"]))
    stds = [float(np.std(v, ddof=1)) for v in top.values() if len(v) >= 2]
    return {"mean_std": float(np.mean(stds)) if stds else None, "max_std": float(max(stds)) if stds else None,
            "networks": len(stds), "seeds": max((len(v) for v in top.values()), default=0)}


def margins(summary: dict, searcher: str) -> dict:
    """Per tier: ``searcher``'s median best top-1 minus each other entry's (searchers and families);
    ``worst`` is the smallest of those margins and ``against`` the entry it is against."""
    out = {}
    for tier, t in summary["tiers"].items():
        own = t["searchers"].get(searcher, {}).get("median")
        diffs = {s: (own - r["median"]) if own is not None and not math.isnan(own) and not math.isnan(r["median"])
                 else None for s, r in t["searchers"].items() if s != searcher and not s.startswith(searcher + "/")}
        known = {s: d for s, d in diffs.items() if d is not None}
        worst = min(known, key=known.get) if known else None
        out[tier] = {"vs": diffs, "worst": None if worst is None else known[worst], "against": worst}
    return out


def table_md(summary: dict, meta: dict) -> str:
    def f(v, fmt="{:.2f}"):
        return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else fmt.format(v)

    lines = ["# End-to-end benchmark", "", f"`{meta['command']}`", "",
             f"machine: {meta['machine']}; date: {meta['date']}; data: `{meta['data']}`; budgets "
             f"{', '.join(f'{b:g}' for b in meta['budgets_ms'])} ms; {meta['trials']} trials per run; seeds "
             f"{meta['seeds']}; proxy {meta['epochs']} epoch(s)", ""]
    if meta.get("missing_runs"):
        lines += [f"not finished, left out: {', '.join(meta['missing_runs'])}", ""]
    for tier, t in summary["tiers"].items():
        lines += [f"## {tier} ms", "", f"random search's median final best: {f(t['target_top1'])} %", "",
                  "| searcher | best top-1 median | IQR | runs with a model / runs | training s to random's best "
                  "(median, reached) |", "|---|---|---|---|---|"]
        for s, r in t["searchers"].items():
            lines.append(f"| {s} | {f(r['median'])} | {f(r['q25'])} .. {f(r['q75'])} | {r['with_model']}/{r['seeds']} "
                         f"| {f(r['time_to_quality_s'], '{:.0f}')} ({r['reached'] or '-'}) |")
        lines.append("")
    noise, first = summary.get("noise") or {}, (meta.get("searchers") or [None])[0]
    if noise.get("mean_std") is not None and first is not None:
        lines += ["## Margin against the proxy's seed noise", "",
                  "proxy seed noise (the same hand-designed network trained with each seed): std "
                  f"{f(noise['mean_std'])} points on average, {f(noise['max_std'])} at most "
                  f"({noise['networks']} networks x "
                  f"{noise['seeds']} seeds)", "",
                  f"| tier | {first}'s smallest margin (points) | against | larger than the noise's mean std |",
                  "|---|---|---|---|"]
        for tier, m in (summary.get("margins") or {}).items():
            big = "-" if m["worst"] is None else ("yes" if m["worst"] > noise["mean_std"] else "no")
            lines.append(f"| {tier} ms | {f(m['worst'], '{:+.2f}')} | {m['against'] or '-'} | {big} |")
        lines.append("")
    lines += ["## (top-1, latency) hypervolume per run", "",
              "reference point (0 %, largest budget); points x ms; higher is better", "",
              "| searcher | median | IQR | runs |", "|---|---|---|---|"]
    for s, h in summary["hypervolume"].items():
        lines.append(f"| {s} | {f(h['median'])} | {f(h['q25'])} .. {f(h['q75'])} | {h['runs']} |")
    lines.append("")
    return "\n".join(lines)


def plot(records: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tiers = sorted({r["budget_ms"] for r in records})
    searchers = list(dict.fromkeys(r["searcher"] for r in records))
    fig, ax = plt.subplots(figsize=(max(5, 1.6 * len(tiers) + 3), 4))
    width = 0.8 / max(1, len(searchers))
    for i, s in enumerate(searchers):
        xs, med, lo, hi = [], [], [], []
        for j, b in enumerate(tiers):
            v = [r["best_top1"] for r in records if r["searcher"] == s and r["budget_ms"] == b
                 and r["best_top1"] is not None]
            if v:
                xs.append(j + (i - (len(searchers) - 1) / 2) * width)
                med.append(float(np.median(v)))
                lo.append(float(np.median(v) - min(v)))
                hi.append(float(max(v) - np.median(v)))
        if xs:
            ax.errorbar(xs, med, yerr=[lo, hi], fmt="o", capsize=3, label=s)
    ax.set_xticks(range(len(tiers)), [f"{b:g} ms" for b in tiers])
    ax.set_ylabel("best top-1 (%), median and seed range")
    ax.set_xlabel("latency budget")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# -- running ---------------------------------------------------------------------------------------------
def _available(name: str) -> str | None:
    """None if ``name`` can run here, else why not."""
    import importlib

    need = {"optuna-tpe": "optuna", "optuna-gp": "optuna", "hebo": "hebo"}.get(name)
    if need is None:
        return None
    try:
        importlib.import_module(need)
    except ImportError:
        return f"{need} is not installed"
    return None


def _run_cfg(base, *, out: Path, searcher: str, seed: int, budgets: tuple, trials: int, baselines: bool,
             cache: Path | None = None):
    opts = dict(base.searcher.options)  # several budgets, single-objective searcher: multi_budget auto -> per-tier
    recipe = {**dict(base.train.recipe), "seed": int(seed)}
    return replace(base, out=str(out), budgets_ms=tuple(budgets), trials=int(trials), baselines=baselines,
                   searcher=replace(base.searcher, name=searcher, seed=int(seed), options=opts),
                   train=replace(base.train, recipe=recipe),
                   latency=base.latency if cache is None else replace(base.latency, cache=str(cache)),
                   cluster=replace(base.cluster, address="local"))


def _finished(out: Path) -> bool:
    return (out / "trials.parquet").is_file() and (out / "hub.parquet").is_file()


def _search(cfg, out: Path) -> None:
    from gpunet_ray.driver import run_search

    if _finished(out):
        print(f"e2e: reusing {out}", file=sys.stderr)
        return
    if out.exists():
        shutil.rmtree(out)  # an unfinished run: start it again
    t0 = time.time()
    outcome = run_search(cfg, dashboard=False, verbose=False)
    print(f"e2e: {out.name} finished in {time.time() - t0:.0f} s ({outcome.trained} trained)", file=sys.stderr)


def _main(argv: Sequence[str] | None) -> int:
    from gpunet_ray.cli import UsageError
    from gpunet_ray.config import load_config
    from gpunet_ray.ledger import write_json_atomic

    args = _parser().parse_args(argv)
    root = Path(__file__).resolve().parents[2]
    over: dict[str, Any] = {"data": str(Path(args.data).resolve())}
    if args.budgets_ms:
        try:
            over["budgets_ms"] = tuple(float(b) for b in args.budgets_ms.split(","))
        except ValueError:
            raise UsageError(f"--budgets-ms takes a comma list of numbers, got {args.budgets_ms!r}") from None
    if args.trials is not None:
        over["trials"] = args.trials
    if args.epochs is not None:
        over["train.epochs"] = args.epochs
    base = load_config(args.config or root / "experiments" / "demo.yaml", over)
    rec = dict(base.train.recipe)
    for k, v in (("limit_train_batches", args.limit_train_batches), ("limit_val_batches", args.limit_val_batches)):
        if v is not None:
            rec[k] = v
    base = replace(base, train=replace(base.train, recipe=rec))
    budgets = tuple(sorted(base.budgets))
    searchers, notes = [], []
    for s in split_searchers(args.searchers):
        why = _available(s)
        if why:
            notes.append(f"{s}: left out ({why})")
        else:
            searchers.append(s)
    if not searchers:
        raise UsageError("no searcher can run here: " + "; ".join(notes))
    for n in notes:
        print(f"e2e: {n}", file=sys.stderr)
    out = Path(args.out)
    (out / "runs").mkdir(parents=True, exist_ok=True)
    # one latency per architecture for every run: no searcher is gated on luckier timings
    cache = Path(args.latency_cache) if args.latency_cache else out / "latency.sqlite"
    records: list[dict] = []
    runs: list[dict] = []
    seeds = seed_list(args.seeds, args.only_seeds)
    missing: list[str] = []

    def ready(cfg, d: Path) -> bool:
        """Run (or reuse) the search into ``d``; with --report-only only say whether it finished."""
        if args.report_only:
            if not _finished(d):
                missing.append(d.name)
                return False
            return True
        _search(cfg, d)
        return True

    for seed in seeds:
        for i, s in enumerate(searchers):
            base_run = i == 0 and not args.no_baselines
            d = out / "runs" / f"{s}-s{seed}"
            if not ready(_run_cfg(base, out=d, searcher=s, seed=seed, budgets=budgets, trials=base.trials,
                                  baselines=base_run, cache=cache), d):
                continue
            r, run = run_records(d, s, seed, budgets, baselines=base_run)
            records += r
            runs.append(run)
        if args.per_tier_compare and len(budgets) > 1:
            s = searchers[0]
            per = max(1, base.trials // len(budgets))
            part_recs, trials_n, secs = [], 0, 0.0
            dirs = {b: out / "runs" / f"{s}-pertier-{b:g}ms-s{seed}" for b in budgets}
            done = [ready(_run_cfg(base, out=d, searcher=s, seed=seed, budgets=(b,), trials=per, baselines=False,
                                   cache=cache), d) for b, d in dirs.items()]
            if not all(done):
                continue  # a per-tier comparison needs all of its single-budget searches
            for b, d in dirs.items():
                r, run = run_records(d, f"{s}/per-tier", seed, (b,))
                part_recs += r
                trials_n += run["trials"]
                secs += run["train_seconds"]
                runs.append({**run, "searcher": f"{s}/per-tier@{b:g}ms"})
            for r in part_recs:  # the three searches together spent this many trials and seconds
                r.update(trials=trials_n, train_seconds=secs)
            records += part_recs
    if not records:
        raise UsageError(f"no finished run in {out / 'runs'} to report")
    summary = summarize(records, [r for r in runs if "@" not in r["searcher"]])
    summary["noise"] = proxy_noise([out / "runs" / f"{searchers[0]}-s{seed}" for seed in seeds])
    summary["margins"] = margins(summary, searchers[0])
    meta = {"command": "python -m gpunet_ray.bench e2e " + " ".join(argv if argv is not None else sys.argv[1:]),
            "machine": f"{platform.node()} ({platform.processor() or platform.machine()})",
            "date": time.strftime("%Y-%m-%d"), "data": str(args.data), "budgets_ms": list(budgets),
            "trials": base.trials, "seeds": len(seeds), "epochs": base.train.epochs, "searchers": searchers,
            "notes": notes, "recipe": rec, "missing_runs": missing}
    write_json_atomic(out / "e2e.json", {"meta": meta, "records": records, "runs": runs, "summary": summary})
    (out / "E2E.md").write_text(table_md(summary, meta))
    plot(records, out / "e2e.png")
    print(table_md(summary, meta))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    from gpunet_ray.cli import run_cli

    return run_cli(_main, argv, prog="python -m gpunet_ray.bench e2e")
