"""The candidate ledger: an append-only, fsynced JSON-lines log of every candidate's life.

Each line is a whole record of one candidate after a change (``id``, ``status``, ``reason``,
latency, accuracy, the searcher ``config`` ...); the latest line of an id wins. It is written
*before* the change takes effect anywhere else (the searcher core, the searcher snapshot, Tune),
so after a kill at any moment the ledger is the truth that ``--resume`` rebuilds from:

* ``new`` (suggested), ``measured``, ``queued``, ``training``: unresolved, picked up again;
* ``trained``, ``failed``, ``rejected``, ``skipped`` (a duplicate, or a baseline no budget needs),
  ``unused`` (measured within a budget, but the trial budget was spent first): final.

:class:`Candidate` is one frozen record; :class:`Ledger` holds the latest record of each candidate
and writes every change through to the file. Also the atomic JSON writer used for the searcher
snapshot. No Ray, no torch.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Iterable, Iterator

__all__ = ["FINAL", "UNRESOLVED", "LOG_FIELDS", "Candidate", "Ledger", "load_candidates", "append_records",
           "write_json_atomic", "read_json"]

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


@dataclass(frozen=True)
class Candidate:
    """One candidate's record at one moment (see the module docstring for ``status``)."""

    id: str
    role: str  # "search" | "baseline"
    arch: str
    hash: str
    status: str = "new"
    reason: str | None = None
    name: str | None = None
    config: dict | None = None  # the searcher's config (search role)
    params: int | None = None
    macs: int | None = None
    predicted_ms: float | None = None
    latency_ms: float | None = None
    latency_p90_ms: float | None = None
    latency_cv: float | None = None
    latency_n: int | None = None
    backend: str | None = None
    device: str | None = None
    top1: float | None = None
    top5: float | None = None
    loss: float | None = None
    epochs: int | None = None
    trial_id: str | None = None
    last_result: dict | None = None  # the trial's latest report, while it trains
    time: float | None = None

    @property
    def final(self) -> bool:
        return self.status in FINAL

    def record(self) -> dict:
        return {f: getattr(self, f) for f in LOG_FIELDS}

    @classmethod
    def from_record(cls, d: dict) -> "Candidate":
        return cls(**{f.name: d.get(f.name) for f in fields(cls) if f.name in d})


class Ledger:
    """The latest :class:`Candidate` of each id, every change written through to ``path`` first."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else None
        self._items: dict[str, Candidate] = {}

    def __getitem__(self, cid: str) -> Candidate:
        return self._items[cid]

    def __contains__(self, cid: str) -> bool:
        return cid in self._items

    def __iter__(self) -> Iterator[Candidate]:
        return iter(list(self._items.values()))

    def __len__(self) -> int:
        return len(self._items)

    def next_id(self) -> str:
        return f"c{len(self._items):05d}"

    def add(self, cands: Iterable[Candidate], write: bool = True) -> list[Candidate]:
        cands = [replace(c, time=time.time()) for c in cands]
        if write and self.path is not None:
            append_records(self.path, [c.record() for c in cands])
        for c in cands:
            self._items[c.id] = c
        return cands

    def update(self, cid: str, **changes: Any) -> Candidate:
        """A new record for ``cid``, durable in the file before it is returned."""
        new = replace(self._items[cid], **changes, time=time.time())
        if self.path is not None:
            append_records(self.path, [new.record()])
        self._items[cid] = new
        return new

    def load(self) -> None:
        """Merge the file's latest records into memory (the file wins)."""
        if self.path is None:
            return
        for cid, rec in load_candidates(self.path).items():
            old = self._items.get(cid)
            base = old.record() if old is not None else {}
            self._items[cid] = Candidate.from_record({**base, **rec})
        self._items = dict(sorted(self._items.items()))

    def trial_ids(self) -> dict[str, list[str]]:
        """candidate id -> every Tune trial id it ever had (from the whole file)."""
        out: dict[str, list[str]] = {}
        if self.path is None or not self.path.is_file():
            return out
        for line in self.path.read_text(errors="replace").splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(rec, dict) and rec.get("trial_id") and rec.get("id"):
                ids = out.setdefault(rec["id"], [])
                if rec["trial_id"] not in ids:
                    ids.append(rec["trial_id"])
        return out

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self._items.values():
            out[c.status] = out.get(c.status, 0) + 1
        return out
