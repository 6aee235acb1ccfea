"""Measured-latency tables: sample architectures, measure them (through the cache), save Parquet."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from gpunet_ray.errors import ConfigError

from .backends import DEFAULT_BACKEND, get_backend
from .cache import LatencyCache
from .measure import measure_latency
from .record import LatencyRecord

__all__ = ["sample_unique", "measure_table", "records_frame", "read_table", "write_table"]


def sample_unique(space, n: int, seed: int = 0) -> list:
    """``n`` distinct architectures (by hash) sampled uniformly from ``space`` with ``seed``."""
    if n < 1:
        raise ConfigError(f"n must be >= 1, got {n}")
    rng = np.random.default_rng(seed)
    out, seen = [], set()
    tries = 0
    while len(out) < n:
        tries += 1
        if tries > 50 * n + 1000:
            raise ConfigError(f"the space {space.name!r} has fewer than {n} distinct architectures")
        spec = space.sample(rng, 1)[0]
        if spec.hash not in seen:
            seen.add(spec.hash)
            out.append(spec)
    return out


def records_frame(specs: Sequence, records: Sequence[LatencyRecord]):
    """One row per (spec, record): ``arch`` (arch string) plus every record field (JSON-able)."""
    import json

    import pandas as pd

    rows = []
    for spec, rec in zip(specs, records):
        d = rec.to_dict()
        d["versions"] = json.dumps(d["versions"], sort_keys=True)
        d["settings"] = json.dumps(d["settings"], sort_keys=True)
        rows.append({"arch": spec.arch_string, **d})
    return pd.DataFrame(rows)


def measure_table(specs: Sequence, backend: str = DEFAULT_BACKEND, threads: int = 1,
                  cache: LatencyCache | None = None, progress: bool = True,
                  measure: Callable[..., LatencyRecord] | None = None, **kw: Any):
    """Measure ``specs`` one after another (cache first) and return the DataFrame."""
    b = get_backend(backend, threads=threads, **kw)
    recs = []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(specs), desc=f"latency[{b.name}]", unit="arch", file=sys.stderr)
    for spec in specs:
        recs.append((measure or measure_latency)(spec, backend=b, cache=cache))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return records_frame(specs, recs)


def write_table(df, path: str | os.PathLike) -> Path:
    """Atomic Parquet write (temporary name, then rename)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + f".{os.getpid()}.part")
    try:
        df.to_parquet(tmp, index=False)
        tmp.replace(p)
    finally:
        tmp.unlink(missing_ok=True)
    return p


def read_table(path: str | os.PathLike):
    """Read a latency table; raises ConfigError unless it has ``arch`` and ``median_ms`` columns."""
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"latency table {str(p)!r} does not exist; create one with "
                          "'python -m gpunet_ray.latency table --space tiny --n 200 --out FILE.parquet'")
    try:
        df = pd.read_parquet(p)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many types for a bad file
        raise ConfigError(f"{str(p)!r} is not a readable Parquet file ({type(exc).__name__}); "
                          "pass a table written by 'python -m gpunet_ray.latency table'") from None
    missing = {"arch", "median_ms"} - set(df.columns)
    if missing:
        raise ConfigError(f"latency table {str(p)!r} lacks column(s) {', '.join(sorted(missing))}; "
                          "pass a table written by 'python -m gpunet_ray.latency table'")
    return df
