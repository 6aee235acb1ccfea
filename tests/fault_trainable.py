"""Test-only Tune trainable: the project's ``train_candidate`` with an injected fault. Never imported
by the product; a search uses it with ``train.trainable: "fault_trainable:train_candidate"`` and
``tests/`` on ``PYTHONPATH`` (every Ray worker must import it).

The fault comes from the trial config (``_fault``, ``_fault_marker``: keys a test puts in a Tune
``param_space``) or, for a whole search, from the environment (``GPUNET_RAY_TEST_FAULT``,
``GPUNET_RAY_TEST_FAULT_MARKER``), which Ray workers inherit from the node that starts them:

* ``oom``: a simulated CUDA out-of-memory error in the first training step;
* ``crash_once``: a plain exception right after the first epoch's report, once (the marker file
  records it): Tune's retry then resumes from the checkpoint;
* ``crash_always``: a plain exception at the start of every attempt. With a marker, only the first
  candidate to claim the marker crashes, on every attempt, and each attempt appends a line to it:
  Tune's retry budget runs out;
* ``hold``: on the node whose IP is ``GPUNET_RAY_TEST_HOLD_NODE``, each trial's first attempt blocks
  before every report while the gate file ``<marker>/gate`` exists, after writing
  ``<marker>/held.<candidate>``. A test creates the gate, waits for a held file (a trial that is
  certainly running and has not reported), injects its fault, and removes the gate. Later attempts
  of a held candidate never block.
"""

from __future__ import annotations

import os
from pathlib import Path


def _fault(config: dict) -> tuple[str | None, str | None, dict]:
    fault = config.get("_fault") or os.environ.get("GPUNET_RAY_TEST_FAULT")
    marker = config.get("_fault_marker") or os.environ.get("GPUNET_RAY_TEST_FAULT_MARKER")
    return fault, marker, {k: v for k, v in config.items() if not str(k).startswith("_fault")}


def simulate_oom() -> None:
    """The next training epoch in this process raises a CUDA out-of-memory error in its first step."""
    import torch

    from gpunet_ray.trainables import loop

    real = loop._Run.train_epoch

    def train_epoch(self, epoch):
        loop._Run.train_epoch = real  # once: a reused worker trains the next trial normally
        raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated by tests/fault_trainable.py)")

    loop._Run.train_epoch = train_epoch


def crash_always(config: dict, marker: str | None) -> None:
    if not marker:
        raise RuntimeError("simulated persistent fault (crash_always)")
    me = str(config.get("candidate_id") or config.get("arch"))
    try:  # the first trial to create the marker owns the fault
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        os.write(fd, (me + "\n").encode())
        os.close(fd)
    except FileExistsError:
        pass
    if Path(marker).read_text().splitlines()[0] == me:
        with open(marker, "a") as f:
            f.write("attempt\n")
        raise RuntimeError(f"simulated persistent fault (crash_always) in {me}")


def crash_once_after_first_report(marker: str) -> None:
    """Patch ``ray.tune.report`` in this worker: after the first report, crash once (marker file)."""
    from ray import tune

    real = tune.report

    def report(*a, **kw):
        real(*a, **kw)
        if not Path(marker).exists():
            Path(marker).write_text("crashed once\n")
            raise RuntimeError("simulated infrastructure fault (crash_once)")

    tune.report = report


_real_report = None


def hold_before_reports(config: dict, marker: str) -> None:
    """Patch ``ray.tune.report`` in this worker to block while ``<marker>/gate`` exists (see ``hold``)."""
    import time

    import ray
    from ray import tune

    global _real_report
    _real_report = _real_report or tune.report
    tune.report = _real_report  # a reused worker: undo the previous trial's patch
    node = os.environ.get("GPUNET_RAY_TEST_HOLD_NODE")
    if node and ray.util.get_node_ip_address() != node:
        return
    d = Path(marker)
    held = d / f"held.{config.get('candidate_id') or config.get('arch')}"
    if held.exists():  # a retry of a held candidate: never block again
        return
    real = _real_report

    def report(*a, **kw):
        if (d / "gate").exists() and not held.exists():
            held.write_text(f"{os.getpid()}\n")
            while (d / "gate").exists():
                time.sleep(0.1)
        real(*a, **kw)

    tune.report = report


def train_candidate(config: dict) -> None:
    from gpunet_ray.trainables import train_candidate as real

    fault, marker, config = _fault(config)
    if fault == "crash_always":
        crash_always(config, marker)
    elif fault == "oom":
        simulate_oom()
    elif fault == "crash_once":
        if not marker:
            raise ValueError("crash_once needs a marker file (_fault_marker)")
        crash_once_after_first_report(marker)
    elif fault == "hold":
        if not marker:
            raise ValueError("hold needs a marker folder (_fault_marker)")
        hold_before_reports(config, marker)
    elif fault:
        raise ValueError(f"unknown fault {fault!r}")
    return real(config)
