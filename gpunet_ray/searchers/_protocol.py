"""The interface every optimiser core implements: :class:`AskTellOptimizer`.

A core is Ray-free and driven from outside (it never calls the objective): ``ask`` proposes configs,
``tell`` records what they scored, and the state is plain JSON. The search pipeline, the Tune adapter
(:class:`~gpunet_ray.searchers.LAMCTSSearch`'s base) and the benchmark drive every core through these
four methods alone; :func:`~gpunet_ray.searchers.register_optimizer` makes a factory of such cores
available by name, and :func:`~gpunet_ray.searchers.get_optimizer` checks what the factory returns.

Optional: :class:`SupportsPending` (``add_pending`` / ``forget``: configs chosen elsewhere or
cancelled), used where a core has them; and a writable ``constraint`` attribute (``config -> bool``,
or None), which the search pipeline sets to its latency pre-screen once its predictor is fitted (a
core should then not propose configs that fail it).
"""

from __future__ import annotations

from typing import Any, Callable, Protocol, runtime_checkable

__all__ = ["AskTellOptimizer", "SupportsPending", "all_constraints"]


@runtime_checkable
class AskTellOptimizer(Protocol):
    """An ask/tell optimiser core (e.g. :class:`~gpunet_ray.searchers.LAMCTS`, ``RandomCore``)."""

    def ask(self, n: int = 1) -> list[dict]:
        """Up to ``n`` new configs (fewer only when the space is exhausted); they are in flight until told."""

    def tell(self, config: dict, value: Any, feasible: bool = True, extra: Any = None) -> None:
        """Record a result: ``value`` is a float, or a tuple with one float per objective; None, NaN or
        ``feasible=False`` records an infeasible config. ``extra`` is kept with the observation."""

    def state_dict(self) -> dict:
        """The core's whole state as JSON-serialisable data (no pickle)."""

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict` output; the same seed and tells then give the same asks."""


@runtime_checkable
class SupportsPending(Protocol):
    """Cores that can be told about configs in flight that they did not propose, or that were dropped."""

    def add_pending(self, config: dict) -> None:
        """Mark ``config`` (chosen elsewhere) as in flight."""

    def forget(self, config: dict) -> None:
        """Drop a pending config (a trial cancelled without a result)."""


def all_constraints(*fns: Callable[[dict], bool] | None) -> Callable[[dict], bool] | None:
    """One known constraint from several (None entries ignored): None, the only one, or a callable that
    holds when every one does, checked in order (a class, not a closure: Tune may pickle the core)."""
    given = tuple(f for f in fns if f is not None)
    return None if not given else given[0] if len(given) == 1 else _AllOf(given)


class _AllOf:
    def __init__(self, fns: tuple[Callable[[dict], bool], ...]):
        self.fns = fns

    def __call__(self, config: dict) -> bool:
        return all(f(config) for f in self.fns)

