"""Publishing a search: ``trials.parquet`` and the model hub from the candidate ledger, and how
the search ended (:class:`Outcome`). See :mod:`gpunet_ray.hub` for the hub itself."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from .config import SearchConfig

__all__ = ["EXPERIMENT", "Outcome", "experiments", "next_experiment", "explain_trial_errors", "publish"]

EXPERIMENT = "tune"


@dataclass(frozen=True)
class Outcome:
    """How a search ended; :func:`exit_code` turns it into the CLI's exit status."""

    out: Path
    interrupted: int | None = None  # the signal that stopped it (SIGINT, SIGTERM), if any
    unresolved: tuple[str, ...] = ()  # candidates with no outcome yet (resumable)
    missing_budgets: tuple[float, ...] = ()  # budgets with no trained model in the hub
    trained: int = 0
    failed: int = 0
    reasons: tuple[str, ...] = ()  # most common failure reasons


def experiments(out: Path) -> list[Path]:
    """The Tune experiment folders of earlier runs of this search (``tune``, ``tune-resume-N``)."""
    runs = [p for p in out.glob(f"{EXPERIMENT}*") if p.is_dir() and
            (p.name == EXPERIMENT or p.name.startswith(f"{EXPERIMENT}-resume-"))]
    return sorted(runs, key=lambda p: int(p.name.rsplit("-", 1)[1]) if p.name != EXPERIMENT else 0)


def next_experiment(out: Path) -> str:
    runs = experiments(out)
    if not runs:
        return EXPERIMENT
    last = runs[-1].name
    return f"{EXPERIMENT}-resume-{1 if last == EXPERIMENT else int(last.rsplit('-', 1)[1]) + 1}"


def explain_trial_errors(out: Path, cands: dict[str, dict]) -> int:
    """Give crashed trials a specific reason from Tune's ``error.txt``; returns how many were explained.

    A trial whose worker raised past Tune's retries reaches the searcher as a bare error, recorded
    as ``reason="trial_error"``; Tune writes the traceback into the trial's folder only afterwards.
    Here the last line of that traceback is appended to the reason (``"trial_error: RuntimeError:
    ..."``), in ``cands`` and as an update line in ``candidates.jsonl`` (so a re-publish agrees).
    """
    from .ledger import append_records

    todo = {c["trial_id"]: c for c in cands.values()
            if c.get("status") == "failed" and c.get("reason") == "trial_error" and c.get("trial_id")}
    if not todo:
        return 0
    updates = []
    for err in sorted(e for run in experiments(out) for e in run.glob("*/error.txt")):
        tid = next((t for t in todo if t in err.parent.name), None)
        if tid is None:
            continue
        try:
            lines = [ln.strip() for ln in err.read_text(errors="replace").splitlines() if ln.strip()]
        except OSError:
            continue
        if not lines:
            continue
        rec = todo.pop(tid)
        rec["reason"] = f"trial_error: {lines[-1][:300]}"
        rec["time"] = time.time()
        updates.append(dict(rec))  # a whole record, like the searcher's lines
    append_records(out / "candidates.jsonl", updates)
    return len(updates)


def publish(out: Path, cfg: SearchConfig, unresolved: Sequence[str] = ()) -> Outcome:
    """trials.parquet, hub.parquet/csv, HUB.md, pareto.png and models/<tier>/ from the candidate log.

    Every file is replaced atomically, so a kill while publishing leaves the earlier version (or
    none) and a rerun (``--resume``) publishes again from the ledger."""
    import pandas as pd

    from .hub import _atomic, plot_pareto, select_hub, write_hub
    from .ledger import load_candidates

    cands = load_candidates(out / "candidates.jsonl")
    explain_trial_errors(out, cands)
    rows = [c for c in cands.values() if c.get("status") != "skipped"]
    df = pd.DataFrame(rows)
    for col in ("top1", "top5", "loss", "latency_ms", "latency_p90_ms", "latency_cv", "predicted_ms"):
        if col not in df:
            df[col] = float("nan")
        df[col] = pd.to_numeric(df[col], errors="coerce")
    for col in ("config", "last_result"):
        if col in df:
            df[col] = df[col].map(lambda c: json.dumps(c, default=str) if c is not None else None)
    for col in ("status", "role", "reason"):
        if col not in df:
            df[col] = None
    _atomic(out / "trials.parquet", lambda p: df.to_parquet(p, index=False))
    measured = df[df["latency_ms"].notna()]
    backend = str(measured["backend"].iloc[0]) if len(measured) else cfg.latency.backend
    device = str(measured["device"].iloc[0]) if len(measured) else "unknown"
    hub = select_hub(df, cfg.budgets, batch=cfg.latency.batch, backend=backend, device=device)
    write_hub(hub, out)
    _atomic(out / "pareto.png", lambda p: plot_pareto(df, cfg.budgets, p))
    print((out / "HUB.md").read_text())
    search = df[df["role"] == "search"]
    failed = search[search["status"] == "failed"]
    reasons = failed["reason"].astype(str).str.split(":").str[0].value_counts()
    return Outcome(out=out, unresolved=tuple(unresolved),
                   missing_budgets=tuple(b for b in cfg.budgets if b not in set(hub["budget_ms"])),
                   trained=int((search["status"] == "trained").sum()), failed=len(failed),
                   reasons=tuple(f"{r} x{n}" for r, n in reasons.head(3).items()))
