"""Pareto dominance of objective vectors (all maximised)."""

from __future__ import annotations

import numpy as np

__all__ = ["dominance_counts"]


def dominance_counts(Y: np.ndarray) -> np.ndarray:
    """For each row of ``Y`` (n x m, maximised), the number of rows that dominate it (0: on the front)."""
    n = len(Y)
    out = np.zeros(n, dtype=int)
    for a in range(0, n, 512):
        B = Y[a:a + 512]
        ge = (Y[None, :, :] >= B[:, None, :]).all(-1)
        gt = (Y[None, :, :] > B[:, None, :]).any(-1)
        out[a:a + 512] = (ge & gt).sum(1)
    return out
