"""Expected hypervolume improvement (two objectives) for LA-MCTS's Pareto mode.

``mo_acquisition="ehvi"``: each objective gets its own GP on the region's training set; a candidate's
score is the expected gain in the hypervolume of the observed front (pending points and the batch's
earlier picks added at their posterior means), against the given reference point or one 10 % of the
front's range beyond its worst values (BoTorch's ``infer_reference_point`` rule).

In two dimensions the expectation is exact and cheap (:func:`ehvi_2d`): the improvement of a point
``(x, y)`` is a sum over the front's staircase of ``width_i(x) * height_i(y)``, and with independent
normal posteriors per objective the expectation of each product is the product of two one-dimensional
expectations of hinge functions. No sampling noise, and far-off candidates keep a tiny positive value
instead of an estimate of 0. :func:`ehvi_scores` (Monte Carlo) stays as the check.
"""

from __future__ import annotations

import numpy as np

__all__ = ["hvi_2d", "ehvi_2d", "ehvi_scores", "reference_point"]


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


def _hinge(a: np.ndarray, mu: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """``E[max(a - Y, 0)]`` for ``Y ~ N(mu, sd^2)`` (broadcast; ``a = -inf`` gives 0, ``sd = 0`` the hinge)."""
    from scipy.special import ndtr

    sd = np.maximum(sd, 1e-12)
    with np.errstate(invalid="ignore"):
        z = (a - mu) / sd
        out = (a - mu) * ndtr(z) + sd * np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)
    return np.where(np.isneginf(a), 0.0, np.maximum(out, 0.0))


def ehvi_2d(means: np.ndarray, stds: np.ndarray, front: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Exact expected hypervolume improvement of candidates with independent normal posteriors
    ``means``/``stds`` (k x 2, minimised) over ``front`` (m x 2) below ``ref``.

    ``hvi = sum_i clip(B_i - max(b_i, x), 0) * clip(g_i - y, 0)`` over the staircase's strips
    ``[b_i, B_i)`` at level ``g_i`` (:func:`hvi_2d`), and ``clip(B - max(b, x), 0)`` is
    ``hinge(B) - hinge(b)`` for ``b < B``; x and y independent, so each term's expectation factorises."""
    b, g = _staircase(np.asarray(front, dtype=float).reshape(-1, 2), np.asarray(ref, dtype=float))
    hi = np.minimum(b[1:], ref[0])
    mx, sx = means[:, 0:1], stds[:, 0:1]
    my, sy = means[:, 1:2], stds[:, 1:2]
    width = _hinge(hi[None, :], mx, sx) - _hinge(b[None, :-1], mx, sx)
    height = _hinge(g[None, :], my, sy)
    return (np.maximum(width, 0.0) * height).sum(1)
