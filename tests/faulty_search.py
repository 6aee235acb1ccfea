"""The search CLI with one deterministic kill point: test-only, never imported by the product.

    python tests/faulty_search.py --kill-at POINT[:N] [search CLI arguments ...]

runs ``python -m gpunet_ray.search`` with the driver patched so that it SIGKILLs itself, exactly
as ``kill -9`` would (no cleanup, no flush beyond what the code made durable), the N-th time (1st
by default) it reaches POINT:

* ``before_measure``: a batch of suggested candidates is in the ledger, none measured yet;
* ``measuring``: measurements were submitted to the latency pool, none recorded;
* ``queued``: a candidate was queued for training, not yet handed to Tune;
* ``trial_pending``: Tune asks for a 2nd trial (use ``trial_pending:2``: the 1st is pending or running);
* ``mid_trial``: a trial reported an intermediate epoch;
* ``before_tell``: a trial ended, the searcher has not recorded the outcome;
* ``publish``: ``trials.parquet`` is written, the hub is not.

Kill points are patches applied here, so the production code carries no test hooks.
"""

from __future__ import annotations

import argparse
import functools
import os
import signal
import sys

POINTS = ("before_measure", "measuring", "queued", "trial_pending", "mid_trial", "before_tell", "publish")


def install(point: str, nth: int = 1) -> None:
    from gpunet_ray import hub
    from gpunet_ray.pipeline import CandidatePipeline
    from gpunet_ray.tune_adapter import GatedSearch

    hits = {"n": 0}

    def hit() -> None:
        hits["n"] += 1
        if hits["n"] == nth:
            os.kill(os.getpid(), signal.SIGKILL)

    def before(cls, name):
        orig = getattr(cls, name)

        @functools.wraps(orig)
        def wrapped(*a, **kw):
            hit()
            return orig(*a, **kw)

        setattr(cls, name, wrapped)

    if point == "before_measure":
        before(CandidatePipeline, "_measure")
    elif point == "measuring":
        orig_submit = GatedSearch._submit

        def submit(self, specs):
            futures = orig_submit(self, specs)
            hit()
            return futures

        GatedSearch._submit = submit
    elif point == "queued":
        orig_set = CandidatePipeline._set

        def set_(self, cid, **changes):
            c = orig_set(self, cid, **changes)
            if changes.get("status") == "queued":
                hit()
            return c

        CandidatePipeline._set = set_
    elif point == "trial_pending":
        before(GatedSearch, "suggest")
    elif point == "mid_trial":
        before(GatedSearch, "on_trial_result")
    elif point == "before_tell":
        before(GatedSearch, "on_trial_complete")
    elif point == "publish":
        orig_write = hub.write_hub

        def write_hub(*a, **kw):
            hit()
            return orig_write(*a, **kw)

        hub.write_hub = write_hub
    else:
        raise SystemExit(f"unknown kill point {point!r}; one of {', '.join(POINTS)}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kill-at", required=True, help="POINT or POINT:N")
    args, rest = ap.parse_known_args()
    point, _, nth = args.kill_at.partition(":")
    install(point, int(nth or 1))
    from gpunet_ray.cli import run_cli
    from gpunet_ray.search import PROG, main as search_main

    return run_cli(search_main, rest, prog=PROG)


if __name__ == "__main__":
    sys.exit(main())
