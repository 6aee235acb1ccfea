"""Deterministic driver kill points, for the resume tests (``tests/test_resume_matrix.py``).

``GPUNET_RAY_KILL_AT=NAME`` (or ``NAME:N``, the N-th time the driver passes NAME) makes the
search driver SIGKILL itself at that point, exactly as ``kill -9`` would: no cleanup, no flush
beyond what the code already made durable. Unset (always, outside the tests), this is a dict
lookup. Points: ``before_measure``, ``measuring``, ``queued``, ``trial_pending``, ``mid_trial``,
``before_tell``, ``publish``.
"""

from __future__ import annotations

import os
import signal

__all__ = ["kill_point", "KILL_POINTS"]

KILL_POINTS = ("before_measure", "measuring", "queued", "trial_pending", "mid_trial", "before_tell", "publish")
_hits: dict[str, int] = {}


def kill_point(name: str) -> None:
    want = os.environ.get("GPUNET_RAY_KILL_AT")
    if not want:
        return
    point, _, nth = want.partition(":")
    if point != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
