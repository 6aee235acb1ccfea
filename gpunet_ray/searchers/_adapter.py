"""The Ray Tune glue the project's searchers share: :class:`TuneAdapter`.

:class:`~gpunet_ray.searchers.LAMCTSSearch` (a drop-in searcher over an ask/tell core) and
:class:`~gpunet_ray.tune_adapter.GatedSearch` (the latency-gated search over its candidate
pipeline) are thin subclasses; the Tune side of both lives here, once:

* **trial ids**: ``suggest`` hands a trial id Tune asks about again the same config, and
  ``on_trial_complete`` forgets the id (a second or unknown completion is ignored). A subclass
  says how a new trial gets its *handle* (:meth:`TuneAdapter._new_trial`: a flat config, a
  candidate id ...), which config a handle is (:meth:`TuneAdapter._trial_config`) and what a
  completed trial means (:meth:`TuneAdapter._complete`).
* **mode sign**: :func:`core_objectives` turns Tune modes into the keywords an ask/tell core takes
  (``maximize`` and, for several objectives, ``objectives``; see :func:`get_optimizer`).
* **versioned JSON state**: ``get_state`` wraps the subclass's body (:meth:`TuneAdapter._state_body`)
  in its ``format`` and ``version``, ``set_state`` checks them (``STATE_FORMAT``, ``STATE_VERSION``,
  ``STATE_READS``) before :meth:`TuneAdapter._load_state_body`; ``save`` writes the state
  atomically (a reader sees the old file or the new one), ``restore`` reads it back. Never a pickle.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from ray.tune.search import Searcher

from gpunet_ray.errors import ConfigError
from gpunet_ray.ledger import write_json_atomic

__all__ = ["TuneAdapter", "core_objectives", "maximize_flags", "read_state"]


def maximize_flags(mode: str | list) -> tuple[bool, ...]:
    """One flag per objective, True where the Tune mode is ``"max"``."""
    return tuple(m == "max" for m in (mode if isinstance(mode, list) else [mode]))


def core_objectives(mode: str | list) -> dict:
    """An ask/tell core's keywords for these Tune modes: ``{"maximize": bool}`` for one objective,
    ``{"objectives": n, "maximize": (bool, ...)}`` for several."""
    flags = maximize_flags(mode)
    return {"maximize": flags[0]} if len(flags) == 1 else {"objectives": len(flags), "maximize": flags}


def read_state(path: str | Path) -> Any:
    """The JSON a searcher's ``save`` wrote; ConfigError if the file is no JSON (e.g. a pickle)."""
    try:
        return json.loads(Path(path).read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ConfigError(f"{str(path)!r} is not a JSON searcher state") from None


class TuneAdapter(Searcher):
    """A ``ray.tune.search.Searcher`` with the trial-id mapping and the versioned, atomically saved
    JSON state of this project's searchers (see the module docstring for the hooks)."""

    #: ``format`` of the state; its ``version``; the versions ``set_state`` reads (default: the current one).
    STATE_FORMAT: ClassVar[str] = ""
    STATE_VERSION: ClassVar[int] = 1
    STATE_READS: ClassVar[tuple[int, ...]] = ()

    def __init__(self, metric: str | list | None = None, mode: str | list | None = None):
        super().__init__(metric=metric, mode=mode)
        self._live: dict[str, Any] = {}  # trial id -> handle, while the trial runs

    # -- hooks ------------------------------------------------------------------------------------
    def _new_trial(self, trial_id: str) -> Any:
        """The handle of a new trial; None at a concurrency limit; ``Searcher.FINISHED`` when done."""
        raise NotImplementedError

    def _trial_config(self, handle: Any) -> dict:
        """The config Tune gets for ``handle``."""
        raise NotImplementedError

    def _complete(self, trial_id: str, handle: Any, result: dict | None, error: bool) -> None:
        """A trial of ours ended (called once per trial)."""
        raise NotImplementedError

    def _state_body(self) -> dict:
        """The subclass's part of the state (JSON)."""
        raise NotImplementedError

    def _load_state_body(self, state: dict) -> None:
        """Set the subclass's part of a checked state."""
        raise NotImplementedError

    # -- trial ids ----------------------------------------------------------------------------------
    def suggest(self, trial_id: str) -> dict | str | None:
        if trial_id in self._live:  # Tune asking again about a known trial: the same config
            return self._trial_config(self._live[trial_id])
        handle = self._new_trial(trial_id)
        if handle is None or (isinstance(handle, str) and handle == Searcher.FINISHED):
            return handle
        self._live[trial_id] = handle
        return self._trial_config(handle)

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        handle = self._live.pop(trial_id, None)
        if handle is not None:  # else an unknown or already completed trial
            self._complete(trial_id, handle, result, error)

    # -- state --------------------------------------------------------------------------------------
    def get_state(self) -> dict:
        return {"format": self.STATE_FORMAT, "version": self.STATE_VERSION, **self._state_body()}

    def set_state(self, state: dict) -> None:
        fmt = state.get("format") if isinstance(state, dict) else None
        if fmt != self.STATE_FORMAT:
            raise ConfigError(f"not a {self.STATE_FORMAT} searcher state (format {fmt!r})")
        reads = self.STATE_READS or (self.STATE_VERSION,)
        try:
            version = int(state.get("version"))
        except (TypeError, ValueError):
            version = state.get("version")
        if version not in reads:
            raise ConfigError(f"{self.STATE_FORMAT} searcher state version {version!r} is not supported "
                              f"(reads {', '.join(map(str, reads))})")
        self._load_state_body(state)

    def save(self, checkpoint_path: str) -> None:
        """Write the JSON state atomically (the file name may end in ``.pkl``: Tune's template)."""
        write_json_atomic(checkpoint_path, self.get_state())

    def restore(self, checkpoint_path: str) -> None:
        self.set_state(read_state(checkpoint_path))
