"""Expected hypervolume improvement (two objectives) for LA-MCTS's Pareto mode.

``mo_acquisition="ehvi"``: each objective gets its own GP on the region's training set; a candidate's
score is the Monte-Carlo expected gain in the hypervolume of the observed front (pending points and
the batch's earlier picks added at their posterior means), against a reference point 10 % of the
front's range beyond its worst values (BoTorch's ``infer_reference_point`` rule). Samples
share their normal draws across candidates (common random numbers) and come from the core's generator.
"""

from __future__ import annotations

import numpy as np

__all__ = ["hvi_2d", "ehvi_scores", "reference_point"]


def _front_2d(F: np.ndarray) -> np.ndarray:
    """The non-dominated rows of ``F`` (n x 2, minimised), x ascending and y descending: one sort and a
    running minimum (O(n log n), where the general :func:`~._pareto.dominance_counts` is O(n^2))."""
    if not len(F):
        return F
    F = F[np.lexsort((F[:, 1], F[:, 0]))]
    return F[F[:, 1] < np.minimum.accumulate(np.concatenate([[np.inf], F[:-1, 1]]))]


def reference_point(F: np.ndarray) -> np.ndarray:
    """(2,) reference for minimised objectives ``F`` (n x 2): the worst values *of the Pareto front*
    plus 10 % of its range (BoTorch's ``infer_reference_point``; the worst of all points would put
    the effort where no user's reference point is)."""
    F = _front_2d(F)
    lo, hi = F.min(0), F.max(0)
    span = np.where(hi > lo, hi - lo, np.maximum(np.abs(hi), 1.0))
    return hi + 0.1 * span


def _staircase(front: np.ndarray, ref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Breakpoints ``b`` (m+2) and levels ``g`` (m+1) of the front's attainment curve inside the box."""
    F = _front_2d(front[(front < ref).all(1)])
    b = np.concatenate([[-np.inf], F[:, 0], [ref[0]]])
    g = np.concatenate([[ref[1]], F[:, 1]])
    return b, g


def hvi_2d(P: np.ndarray, front: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Hypervolume improvement of each point of ``P`` (..., 2) over ``front`` (m x 2), minimised, in the
    box below ``ref``: the area under the front's staircase and above-right of the point."""
    b, g = _staircase(np.asarray(front, dtype=float).reshape(-1, 2), ref)
    x, y = P[..., 0:1], P[..., 1:2]
    width = np.clip(np.minimum(b[1:], ref[0]) - np.maximum(b[:-1], x), 0.0, None)
    height = np.clip(g - y, 0.0, None)
    return (width * height).sum(-1)


def ehvi_scores(means: np.ndarray, stds: np.ndarray, front: np.ndarray, ref: np.ndarray,
                rng: np.random.Generator, samples: int = 32) -> np.ndarray:
    """Monte-Carlo EHVI of candidates with independent normal posteriors ``means``/``stds`` (k x 2, in
    minimised units) over ``front`` (m x 2) and ``ref``."""
    Z = rng.standard_normal((samples, 2))
    S = means[:, None, :] + stds[:, None, :] * Z[None, :, :]  # (k, samples, 2)
    return hvi_2d(S, front, ref).mean(1)
