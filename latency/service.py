"""``LatencyService``: a dedicated pool of Ray actors that each own one timing device.

* Each actor runs one measurement at a time (Ray actors execute calls serially), so timings on
  one device never disturb each other. Actors are pinned by a custom resource (``resource=
  "latency_gpu"``, provided by the cluster's latency node type; GPU backends also take
  ``num_gpus=1`` so training can never be scheduled on a latency GPU). With ``resource=None``
  (a CPU-only machine) an actor takes ``threads`` CPU slots.
* The driver-side dispatcher (one thread) keeps at most one request in flight per actor, so a
  per-request timeout is exact and a killed actor loses at most one request, which is retried on
  another actor (``max_retries``); dead actors are replaced.
* Identical in-flight requests share one future; finished records go to the persistent cache and
  a cached (arch, fingerprint) is answered without touching an actor.
* :meth:`LatencyService.stats` reports queue depth, in-flight requests, throughput, retries ...
"""

from __future__ import annotations

import collections
import logging
import os
import threading
import time
from concurrent.futures import Future
from dataclasses import asdict
from typing import Any, Iterable

import ray

from gpunet_ray.errors import ConfigError, GpunetRayError, MeasurementError, MeasurementTimeout

from ._actor import _LatencyActor, Request, Slot, actor_lost, actor_options, kill_actor, task_cause
from .backends import DEFAULT_BACKEND, backend_class, backend_ref
from .cache import LatencyCache
from .measure import as_spec
from .record import LatencyRecord
from .timing import TimingPolicy

__all__ = ["LatencyService", "MeasurementTimeout"]

log = logging.getLogger("gpunet_ray.latency")

class LatencyService:
    """A pool of latency actors behind futures.

    ``backend``/``threads``/``batch``/``precision``/``backend_options``: as for
    :func:`measure_latency` (``threads``: intra-op CPU threads per actor, default 1); the actors
    find the backend as the driver does (:func:`~gpunet_ray.latency.backends.backend_ref`).
    ``num_actors``: actors (one device each). ``resource``: custom Ray resource pinning the actors
    (``None``: CPU slots). ``num_gpus``: GPUs per actor (default 1 for GPU backends, else 0).
    ``cache_path``: SQLite cache (``None``: no cache). ``timeout_s``: per-request limit from the
    moment an actor starts it. ``max_retries``: re-dispatches after an actor died.
    ``wait_ready``: block until one actor is up (raising its start-up error, e.g.
    :class:`BackendUnavailable`) for at most ``startup_timeout_s``.
    """

    def __init__(
        self,
        backend: str = DEFAULT_BACKEND,
        num_actors: int = 1,
        resource: str | None = None,
        cache_path: str | os.PathLike | None = None,
        timeout_s: float = 600.0,
        threads: int = 1,
        batch: int = 1,
        precision: str | None = None,
        backend_options: dict | None = None,
        policy: TimingPolicy | None = None,
        num_gpus: float | None = None,
        max_retries: int = 2,
        wait_ready: bool = True,
        startup_timeout_s: float = 300.0,
        window_s: float = 60.0,
    ) -> None:
        if not isinstance(num_actors, int) or num_actors < 1:
            raise ConfigError(f"num_actors must be a positive integer, got {num_actors!r}")
        if not timeout_s or timeout_s <= 0:
            raise ConfigError(f"timeout_s must be positive, got {timeout_s!r}")
        if not isinstance(threads, int) or threads < 1:
            raise ConfigError(f"threads must be a positive integer, got {threads!r}")
        ref = backend_ref(backend)  # ConfigError for an unknown name or path, before Ray starts
        if not ray.is_initialized():
            ray.init(include_dashboard=False, ignore_reinit_error=True)
        self.backend = backend
        self.num_actors = num_actors
        self.resource = resource
        self.timeout_s = float(timeout_s)
        self.max_retries = int(max_retries)
        self.window_s = float(window_s)
        self._actor_opts = actor_options(backend_class(ref), threads, num_gpus, resource)
        self._actor_args = (ref, threads, batch, precision, dict(backend_options or {}),
                            asdict(policy) if policy else None)
        self.cache = LatencyCache(cache_path) if cache_path is not None else None
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._pending: collections.deque[Request] = collections.deque()
        self._inflight: dict[str, Request] = {}
        self._slots: list[Slot] = []
        self._fatal: BaseException | None = None
        self._closed = False
        self._counts = collections.Counter()
        self._done_times: collections.deque[float] = collections.deque()
        self._service_s: collections.deque[float] = collections.deque(maxlen=256)
        self._t0 = time.monotonic()
        for i in range(num_actors):
            self._slots.append(self._spawn(i))
        self._thread = threading.Thread(target=self._loop, name="latency-dispatch", daemon=True)
        self._thread.start()
        if wait_ready:
            self._wait_ready(startup_timeout_s)

    # -- actors --------------------------------------------------------------------------------
    def _spawn(self, index: int) -> Slot:
        actor = _LatencyActor.options(**self._actor_opts).remote(*self._actor_args)
        return Slot(index=index, actor=actor, ready_ref=actor.info.remote())

    def _replace(self, slot: Slot, kill: bool) -> None:
        slot.dead = True
        if kill:
            kill_actor(slot.actor)
        if self._closed or self._fatal is not None:
            return
        self._counts["actor_restarts"] += 1
        self._slots[slot.index] = self._spawn(slot.index)

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if self._fatal is not None:
                    err = self._fatal
                    self.shutdown()
                    raise err
                if any(s.fingerprint for s in self._slots):
                    return
            time.sleep(0.02)
        self.shutdown()
        raise ConfigError(
            f"no latency actor started within {timeout_s:.0f} s; check that the cluster has free "
            f"{self.resource or 'CPU'} slots (ray status)"
        )

    def actors(self) -> list:
        """Handles of the current actors (for operations and fault-injection tests)."""
        with self._lock:
            return [s.actor for s in self._slots]

    @property
    def fingerprints(self) -> set[str]:
        with self._lock:
            return {s.fingerprint for s in self._slots if s.fingerprint}

    # -- public API ----------------------------------------------------------------------------
    def submit(self, specs: Iterable[Any]) -> list[Future]:
        """One ``concurrent.futures.Future`` per spec, resolving to a :class:`LatencyRecord`.

        Specs are ``ArchSpec`` objects (or anything :func:`measure_latency` accepts). Identical
        specs in flight share a future; cached ones resolve immediately. A future raises the
        measurement's error (``InvalidArchitecture``, ``MeasurementError``, ``MeasurementTimeout``
        ...). Invalid input raises here, before anything is queued.
        """
        parsed = [as_spec(s) for s in specs]
        out: list[Future] = []
        with self._lock:
            if self._closed:
                raise ConfigError("the latency service was shut down; create a new LatencyService")
            if self._fatal is not None:
                raise self._fatal
            fps = {s.fingerprint for s in self._slots if s.fingerprint}
            for spec in parsed:
                key = spec.hash
                self._counts["submitted"] += 1
                req = self._inflight.get(key)
                if req is not None:
                    self._counts["dedup_hits"] += 1
                    out.append(req.future)
                    continue
                hit = self._cache_get(key, fps)
                fut: Future = Future()
                if hit is not None:
                    fut.set_result(hit)
                    out.append(fut)
                    continue
                req = Request(key=key, arch=spec.arch_string, future=fut, submitted=time.monotonic())
                self._inflight[key] = req
                self._pending.append(req)
                out.append(fut)
        self._wake.set()
        return out

    def measure(self, spec: Any, timeout: float | None = None) -> LatencyRecord:
        """Measure one spec and wait for its record (raises the measurement's error)."""
        return self.submit([spec])[0].result(timeout=timeout)

    def stats(self) -> dict:
        """Queue depth, in-flight requests, live actors, counters and recent throughput.

        ``throughput_per_s``: measurements finished per second over the last ``window_s`` seconds
        (cache hits excluded); ``mean_measure_s``: mean actor time per measurement.
        """
        now = time.monotonic()
        with self._lock:
            while self._done_times and self._done_times[0] < now - self.window_s:
                self._done_times.popleft()
            span = min(self.window_s, max(now - self._t0, 1e-9))
            out = {
                "queue_depth": len(self._pending),
                "in_flight": sum(1 for s in self._slots if s.request is not None),
                "num_actors": sum(1 for s in self._slots if s.fingerprint and not s.dead),
                "throughput_per_s": len(self._done_times) / span,
                "mean_measure_s": (sum(self._service_s) / len(self._service_s)) if self._service_s else None,
                "cache_hits": self._counts["cache_hits"] + self._counts["submit_cache_hits"],
            }
            for k in ("submitted", "completed", "failed", "dedup_hits", "retries", "actor_restarts", "timeouts"):
                out[k] = self._counts[k]
            return out

    def shutdown(self) -> None:
        """Stop the dispatcher, kill the actors, fail unfinished futures. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            pending = list(self._inflight.values())
            self._inflight.clear()
            self._pending.clear()
            slots = list(self._slots)
        self._wake.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=10)
        for req in pending:
            if not req.future.done():
                req.future.set_exception(ConfigError("the latency service was shut down before this measurement"))
        for s in slots:
            kill_actor(s.actor)
        if self.cache is not None:
            self.cache.close()

    def __enter__(self) -> "LatencyService":
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()

    # -- dispatcher ----------------------------------------------------------------------------
    def _cache_get(self, key: str, fps: Iterable[str]) -> LatencyRecord | None:
        if self.cache is None:
            return None
        for fp in fps:
            rec = self.cache.get(key, fp)
            if rec is not None:
                self._counts["submit_cache_hits"] += 1
                return rec
        return None

    def _finish(self, req: Request, result: LatencyRecord | None = None, error: BaseException | None = None) -> None:
        self._inflight.pop(req.key, None)
        if error is not None:
            self._counts["failed"] += 1
            if not req.future.done():
                req.future.set_exception(error)
        else:
            if not req.future.done():
                req.future.set_result(result)

    def _fail_all(self, error: BaseException) -> None:
        """The service cannot measure anything: fail every request now and every later call."""
        self._fatal = error
        for req in list(self._inflight.values()):
            self._finish(req, error=error)
        self._pending.clear()

    def _assign(self) -> None:
        for slot in self._slots:
            if slot.dead or slot.request is not None or not slot.fingerprint:
                continue
            while self._pending:
                req = self._pending.popleft()
                if req.future.done():
                    continue
                if self.cache is not None:
                    hit = self.cache.get(req.key, slot.fingerprint)
                    if hit is not None:
                        self._counts["cache_hits"] += 1
                        self._finish(req, hit)
                        continue
                req.started = time.monotonic()
                req.attempts += 1
                slot.request, slot.ref = req, slot.actor.measure.remote(req.arch)
                break

    def _on_ready(self, slot: Slot) -> None:
        try:
            info = ray.get(slot.ready_ref)
        except Exception as exc:  # noqa: BLE001
            cause = task_cause(exc)
            slot.ready_ref = None
            if isinstance(cause, GpunetRayError) and not actor_lost(cause):
                # The backend cannot run on this actor (missing dependency/device): fatal for all.
                return self._fail_all(cause)
            self._counts["start_failures"] += 1
            if self._counts["start_failures"] > 3 * self.num_actors:
                return self._fail_all(MeasurementError(
                    f"latency actors keep failing to start ({str(exc).splitlines()[0][:200]}); see ray logs"))
            log.warning("latency actor %d failed to start (%s); replacing it", slot.index, exc)
            self._replace(slot, kill=True)
            return
        slot.ready_ref = None
        slot.info = info
        slot.fingerprint = info["fingerprint"]

    def _on_result(self, slot: Slot) -> None:
        req, ref = slot.request, slot.ref
        slot.request = slot.ref = None
        try:
            rec = ray.get(ref)
        except Exception as exc:  # noqa: BLE001
            cause = task_cause(exc)
            if actor_lost(exc) or actor_lost(cause):
                self._replace(slot, kill=True)
                if req.attempts <= self.max_retries:
                    self._counts["retries"] += 1
                    self._pending.appendleft(req)
                else:
                    self._finish(req, error=MeasurementError(
                        f"latency actors died {req.attempts} times while measuring {req.key}; "
                        "check the actors' logs (ray logs) for crashes or OOM kills"))
                return
            if not isinstance(cause, GpunetRayError):
                cause = MeasurementError(f"measuring {req.key} failed: {type(cause).__name__}: {cause}")
            self._finish(req, error=cause)
            return
        now = time.monotonic()
        self._counts["completed"] += 1
        self._done_times.append(now)
        self._service_s.append(now - (req.started or now))
        if self.cache is not None:
            self.cache.put(rec)
        self._finish(req, rec)

    def _loop(self) -> None:
        while True:
            with self._lock:
                if self._closed:
                    return
                if self._fatal is None:
                    self._assign()
                waiting = {}
                for slot in self._slots:
                    if slot.dead:
                        continue
                    if slot.ready_ref is not None:
                        waiting[slot.ready_ref] = (slot, "ready")
                    if slot.ref is not None:
                        waiting[slot.ref] = (slot, "result")
            if not waiting:
                self._wake.wait(0.1)
                self._wake.clear()
                continue
            try:
                done, _ = ray.wait(list(waiting), num_returns=1, timeout=0.05, fetch_local=False)
                if done:
                    done, _ = ray.wait(list(waiting), num_returns=len(waiting), timeout=0, fetch_local=False)
            except Exception as exc:  # noqa: BLE001 - Ray shutting down under us
                if self._closed or not ray.is_initialized():
                    return
                log.warning("latency dispatcher: ray.wait failed (%s)", exc)
                time.sleep(0.1)
                continue
            with self._lock:
                if self._closed:
                    return
                for ref in done:
                    slot, kind = waiting[ref]
                    if slot.dead:
                        continue
                    if kind == "ready":
                        self._on_ready(slot)
                    else:
                        self._on_result(slot)
                now = time.monotonic()
                for slot in list(self._slots):
                    req = slot.request
                    if req is not None and not slot.dead and req.started and now - req.started > self.timeout_s:
                        self._counts["timeouts"] += 1
                        slot.request = slot.ref = None
                        self._replace(slot, kill=True)
                        self._finish(req, error=MeasurementTimeout(
                            f"measuring {req.key} took more than {self.timeout_s:g} s; raise timeout_s or "
                            "lower the timing policy's time cap"))
