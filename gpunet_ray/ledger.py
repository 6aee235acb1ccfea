"""The candidate ledger: an append-only, fsynced JSON-lines log of every candidate's life.

Each line is a whole record of one candidate after a change (``id``, ``status``, ``reason``,
latency, accuracy, the searcher ``config`` ...); the latest line of an id wins. It is written
*before* the change takes effect anywhere else (the searcher core, the searcher snapshot, Tune),
so after a kill at any moment the ledger is the truth that ``--resume`` rebuilds from:

* ``new`` (suggested), ``measured``, ``queued``, ``training``: unresolved, picked up again;
* ``trained``, ``failed``, ``rejected``, ``skipped`` (a duplicate, or a baseline no budget needs),
  ``unused`` (measured within a budget, but the trial budget was spent first): final.

Also the atomic JSON writer used for the searcher snapshot. No Ray, no torch.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable

__all__ = ["FINAL", "UNRESOLVED", "LOG_FIELDS", "load_candidates", "append_records", "write_json_atomic",
           "read_json"]

FINAL = ("trained", "failed", "rejected", "skipped", "unused")
UNRESOLVED = ("new", "measured", "queued", "training")
LOG_FIELDS = ("id", "role", "name", "arch", "hash", "status", "reason", "predicted_ms", "latency_ms",
              "latency_p90_ms", "latency_cv", "latency_n", "backend", "device", "params", "macs", "top1", "top5",
              "loss", "epochs", "trial_id", "config", "last_result", "time")


def load_candidates(path: str | Path) -> dict[str, dict]:
    """Latest record of every candidate in a ledger (a torn last line is ignored)."""
    out: dict[str, dict] = {}
    p = Path(path)
    if not p.is_file():
        return out
    for line in p.read_text(errors="replace").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict) and "id" in rec:
            out[rec["id"]] = {**out.get(rec["id"], {}), **rec}
    return out


def append_records(path: str | Path, records: Iterable[dict]) -> None:
    """Append whole records (``LOG_FIELDS``) as lines and fsync before returning.

    A torn last line left by a kill mid-write is closed first, so the new lines parse."""
    lines = [json.dumps({k: r.get(k) for k in LOG_FIELDS}, default=str) + "\n" for r in records]
    if not lines:
        return
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size:
            with open(path, "rb") as f:
                f.seek(size - 1)
                if f.read(1) != b"\n":
                    lines[0] = "\n" + lines[0]
        os.write(fd, "".join(lines).encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json_atomic(path: str | Path, obj: Any) -> None:
    """Write ``obj`` as JSON to ``path`` so that a reader sees the old or the new file, never half."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w") as f:
        json.dump(obj, f, default=str)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    try:
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:  # some filesystems cannot fsync a directory; the rename is still atomic
        pass


def read_json(path: str | Path) -> Any | None:
    """The JSON in ``path``, or None if it is missing or unreadable."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
