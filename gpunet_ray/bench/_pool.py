"""Run benchmark tasks serially or in a process pool, one progress line each (bench searchers / --objectives 2).

Also the ``--only-seeds`` parsing, the results file's atomic write and the exit status the benchmark commands
share.
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Callable, Sequence


def _guarded(run: Callable[..., dict], args: tuple) -> dict:
    """``run(*args)``, or ``{"error": ...}`` when it raises (a peer failing must not kill the benchmark);
    either way tagged with the task's problem, searcher and seed."""
    p, s, seed = args[:3]
    try:
        r = run(*args)
    except Exception as exc:
        r = {"error": f"{type(exc).__name__}: {exc}"}
    r.update(problem=p, searcher=s, seed=seed)
    return r


def run_tasks(run: Callable[..., dict], tasks: Sequence[tuple], jobs: int,
              describe: Callable[[dict], str]) -> list[dict]:
    """``run(*t)`` for every ``t = (problem, searcher, seed, ...)``, guarded (a raise becomes the result
    ``{"error": ...}``); a ``spawn`` pool when ``jobs > 1``.

    Prints ``[i/n] problem searcher seed s: describe(result)`` as results come in; returns the results in
    the order of ``tasks``. ``run`` must be a module-level function (the pool pickles it by name).
    """
    runs: list[dict] = []
    task = functools.partial(_guarded, run)

    def progress(i: int, r: dict) -> None:
        print(f"[{i + 1}/{len(tasks)}] {r['problem']} {r['searcher']} seed {r['seed']}: {describe(r)}", flush=True)

    if jobs == 1:
        for i, t in enumerate(tasks):
            runs.append(task(t))
            progress(i, runs[-1])
    else:
        import multiprocessing as mp

        with mp.get_context("spawn").Pool(jobs, maxtasksperchild=20) as pool:
            for i, r in enumerate(pool.imap_unordered(task, tasks)):
                runs.append(r)
                progress(i, r)
    order = {tuple(t[:3]): i for i, t in enumerate(tasks)}
    runs.sort(key=lambda r: order[(r["problem"], r["searcher"], r["seed"])])
    return runs


def seed_list(seeds: int, only_seeds: str | None) -> list[int]:
    """Seeds ``0 .. seeds - 1``, or the ``--only-seeds`` comma list of them (a long run split over processes).

    Raises the CLI's ``UsageError`` (exit 2, one line) for a non-integer or out-of-range entry.
    """
    if not only_seeds:
        return list(range(seeds))
    from gpunet_ray.cli import UsageError

    try:
        chosen = sorted({int(x) for x in only_seeds.split(",") if x.strip()})
    except ValueError:
        raise UsageError(f"--only-seeds takes a comma list of integers, got {only_seeds!r}") from None
    if not chosen or not set(chosen) <= set(range(seeds)):
        raise UsageError(f"--only-seeds must name seeds in 0..{seeds - 1}, got {only_seeds!r}")
    return chosen


def failed_runs_exit(runs: Sequence[dict], results: str, prog: str = "python -m gpunet_ray.bench searchers") -> int:
    """The exit status of a benchmark whose runs are all in: 0, or 1 with one stderr line when a run failed
    (a searcher raised at run time). The failed runs' cells read ``n/a``; their errors are in ``results``,
    which is written in full before this is called, so nothing finished is lost and nothing reads as a pass."""
    failed = [r for r in runs if "error" in r]
    if not failed:
        return 0
    f = failed[0]
    err = " ".join(str(f["error"]).split())
    print(f"{prog}: error: {len(failed)} of {len(runs)} runs failed (first: {f['searcher']} on {f['problem']} "
          f"seed {f['seed']}: {err}); their cells read n/a and every error is in {results}", file=sys.stderr)
    return 1


def write_report(path: Path, report: dict) -> None:
    """Write ``report`` as JSON to ``path`` atomically (a hidden temporary beside it, then a rename), so an
    interrupted command never leaves a half-written results file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(report, indent=1, default=str))
    tmp.replace(path)
