"""Persistent latency cache: an SQLite database in WAL mode, keyed by (arch hash, fingerprint).

* Safe with several writer processes (WAL, ``busy_timeout``, one-statement upserts) and with
  several threads of one process (a lock around the connection); reconnects after ``fork``.
* Survives restarts (it is a file); a hit is one primary-key lookup plus a JSON decode (~20 us).
* A corrupt file, a file that is not SQLite, or an SQLite database written by something else
  is *reported* (a ``logging`` warning and :attr:`LatencyCache.problem`) and *ignored*: the cache
  then behaves as an empty, read-only cache and never raises, so a search never crashes on it.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Iterator

from gpunet_ray.errors import GpunetRayError

from .record import LatencyRecord

__all__ = ["LatencyCache", "default_cache_path", "APP_ID", "SCHEMA_VERSION"]

log = logging.getLogger("gpunet_ray.latency")

APP_ID = "gpunet_ray.latency"
SCHEMA_VERSION = 1
_MAGIC = b"SQLite format 3\x00"
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS records ("
    " arch_hash TEXT NOT NULL, fingerprint TEXT NOT NULL, backend TEXT, device TEXT,"
    " median_ms REAL, record TEXT NOT NULL, created REAL NOT NULL,"
    " PRIMARY KEY (arch_hash, fingerprint)) WITHOUT ROWID",
)


def default_cache_path() -> Path:
    """``$GPUNET_RAY_LATENCY_CACHE``, else ``~/.cache/gpunet_ray/latency.sqlite``."""
    env = os.environ.get("GPUNET_RAY_LATENCY_CACHE")
    if env:
        return Path(env)
    return Path(os.path.expanduser("~")) / ".cache" / "gpunet_ray" / "latency.sqlite"


class LatencyCache:
    """``cache.get(arch_hash, fingerprint) -> LatencyRecord | None``; ``cache.put(record)``.

    ``path``: the database file (created with its folder if missing). ``timeout_s``: how long a
    writer waits for another process's lock before skipping one write (with a warning).
    """

    def __init__(self, path: str | os.PathLike | None = None, timeout_s: float = 30.0) -> None:
        self.path = Path(path) if path is not None else default_cache_path()
        self.timeout_s = float(timeout_s)
        self.problem: str | None = None
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._pid = -1
        self.hits = self.misses = self.writes = 0
        self._open()

    # -- connection ----------------------------------------------------------------------------
    def _disable(self, why: str) -> None:
        if self.problem is None:
            self.problem = why
            log.warning("latency cache %s ignored: %s", self.path, why)
        self._close_conn()

    def _close_conn(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except sqlite3.Error:
                pass
        self._conn = None

    @property
    def ok(self) -> bool:
        """True while the cache is usable (no problem was found)."""
        return self.problem is None

    def _open(self) -> None:
        self._pid = os.getpid()
        self._conn = None
        if self.problem is not None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.path.exists():
                if self.path.is_dir():
                    return self._disable("it is a directory; pass a file path for the latency cache")
                with open(self.path, "rb") as fh:
                    head = fh.read(16)
                if head and head != _MAGIC:
                    return self._disable("not an SQLite database (corrupt or foreign); delete it or use another path")
            conn = sqlite3.connect(str(self.path), timeout=self.timeout_s, isolation_level=None,
                                   check_same_thread=False)
        except OSError as exc:
            return self._disable(f"cannot open it ({exc.strerror or exc}); use a writable path")
        except sqlite3.Error as exc:
            return self._disable(f"cannot open it ({exc}); delete it or use another path")
        try:
            conn.execute(f"PRAGMA busy_timeout={int(self.timeout_s * 1000)}")
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                log.warning("latency cache %s: journal mode %s (WAL unavailable on this filesystem)", self.path, mode)
            conn.execute("PRAGMA synchronous=NORMAL")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if tables and "meta" not in tables:
                conn.close()
                return self._disable(
                    f"an SQLite database of another application (tables: {', '.join(sorted(tables))}); "
                    "use another path for the latency cache"
                )
            for stmt in _SCHEMA:
                conn.execute(stmt)
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('app', ?)", (APP_ID,))
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError as exc:
            conn.close()
            return self._disable(f"unreadable ({exc}); delete it or use another path")
        if meta.get("app") != APP_ID:
            conn.close()
            return self._disable(f"written by another application ({meta.get('app')!r}); use another path")
        if meta.get("schema") != str(SCHEMA_VERSION):
            conn.close()
            return self._disable(
                f"schema version {meta.get('schema')} (this code reads {SCHEMA_VERSION}); use another path"
            )
        self._conn = conn

    def _connection(self) -> sqlite3.Connection | None:
        if self._pid != os.getpid():  # after fork: never share a connection with the parent
            self._open()
        return self._conn

    def _fail(self, exc: sqlite3.Error, what: str) -> None:
        msg = str(exc).lower()
        if isinstance(exc, sqlite3.OperationalError) and ("locked" in msg or "busy" in msg):
            log.warning("latency cache %s busy for %.0f s; skipped one %s", self.path, self.timeout_s, what)
            return
        self._disable(f"{what} failed ({exc}); the file may be corrupt: delete it or use another path")

    # -- API -----------------------------------------------------------------------------------
    def get(self, arch_hash: str, fingerprint: str) -> LatencyRecord | None:
        """The cached record, or ``None`` (also when the cache is disabled or the row is bad)."""
        with self._lock:
            conn = self._connection()
            if conn is None:
                self.misses += 1
                return None
            try:
                row = conn.execute(
                    "SELECT record FROM records WHERE arch_hash=? AND fingerprint=?", (arch_hash, fingerprint)
                ).fetchone()
            except sqlite3.Error as exc:
                self._fail(exc, "read")
                self.misses += 1
                return None
        if row is None:
            self.misses += 1
            return None
        try:
            rec = LatencyRecord.from_json(row[0])
        except GpunetRayError as exc:
            log.warning("latency cache %s: ignoring a bad row for %s: %s", self.path, arch_hash, exc)
            self.misses += 1
            return None
        if rec.key != (arch_hash, fingerprint):
            self.misses += 1
            return None
        self.hits += 1
        return rec

    def put(self, record: LatencyRecord) -> bool:
        """Insert or replace ``record``; returns False when it was not written (disabled / busy)."""
        if not isinstance(record, LatencyRecord):
            raise TypeError(f"expected a LatencyRecord, got {type(record).__name__}")
        with self._lock:
            conn = self._connection()
            if conn is None:
                return False
            try:
                conn.execute(
                    "INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (record.arch_hash, record.fingerprint, record.backend, record.device, record.median_ms,
                     record.to_json(), time.time()),
                )
            except sqlite3.Error as exc:
                self._fail(exc, "write")
                return False
            self.writes += 1
            return True

    def records(self, fingerprint: str | None = None) -> Iterator[LatencyRecord]:
        """All readable records (of one fingerprint when given)."""
        with self._lock:
            conn = self._connection()
            if conn is None:
                return iter(())
            try:
                if fingerprint is None:
                    rows = conn.execute("SELECT record FROM records").fetchall()
                else:
                    rows = conn.execute("SELECT record FROM records WHERE fingerprint=?", (fingerprint,)).fetchall()
            except sqlite3.Error as exc:
                self._fail(exc, "read")
                return iter(())
        out = []
        for (blob,) in rows:
            try:
                out.append(LatencyRecord.from_json(blob))
            except GpunetRayError:
                continue
        return iter(out)

    def __len__(self) -> int:
        with self._lock:
            conn = self._connection()
            if conn is None:
                return 0
            try:
                return int(conn.execute("SELECT COUNT(*) FROM records").fetchone()[0])
            except sqlite3.Error as exc:
                self._fail(exc, "read")
                return 0

    def close(self) -> None:
        with self._lock:
            self._close_conn()

    def __enter__(self) -> "LatencyCache":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"LatencyCache({str(self.path)!r}{'' if self.ok else ', disabled'})"

    # Pickling (Ray actors, multiprocessing): ship the path, reopen on the other side.
    def __getstate__(self) -> dict:
        return {"path": str(self.path), "timeout_s": self.timeout_s}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["path"], state["timeout_s"])
