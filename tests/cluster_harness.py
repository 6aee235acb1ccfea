"""Multi-node Ray cluster fault-injection harness (used by tests/test_cluster.py).

Run it inside private PID + network + mount namespaces, so that the nodes talk over loopback only,
``ps`` sees only this cluster's processes, and the kernel kills every node when the harness exits::

    unshare -n -p -f --mount-proc python tests/cluster_harness.py SCENARIO WORKDIR --data DIR
    unshare -n -p -f --mount-proc python tests/cluster_harness.py all WORKDIR --markdown

It brings ``lo`` up, starts a real cluster with ``ray start`` -- a head (0 CPUs: driver only), a
"training" worker node (127.0.0.2, 2 CPUs, ``train_node: 1``) and a "latency" worker node (127.0.0.3,
1 CPU, ``latency_gpu: 1``, the resource the latency actor pool asks for) -- runs the real search CLI
against ``--address 127.0.0.1:PORT``, injects one fault, and writes ``WORKDIR/<scenario>/report.json``.

Scenarios:

* ``node_loss``: SIGKILL every process of the training node while a trial is held there, start a
  replacement node;
* ``latency_actor``: SIGKILL the latency actor while it measures;
* ``driver_kill``: SIGKILL the search CLI mid-search, then ``--resume``;
* ``crash_always``: one trial raises on every attempt;
* ``sigterm``: a graceful stop mid-trial, then ``--resume``;
* ``kill_chain``: the driver, and then each ``--resume``, SIGKILL themselves at successive points; then
  a last ``--resume``;
* ``kill_<point>``: the driver SIGKILLs itself at a named point (tests/faulty_search.py), then ``--resume``.

It refuses to run unless it is PID 1 of its own PID namespace: teardown kills every other process
it can see, and never runs ``ray stop``.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

PORT = 6390
HEAD, TRAIN, LATENCY, REPLACEMENT = "127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"
KILL_POINTS = ("before_measure", "measuring", "queued", "trial_pending", "mid_trial", "before_tell", "publish")
SCENARIOS = ("node_loss", "latency_actor", "driver_kill", "crash_always", "sigterm", "kill_chain",
             *(f"kill_{p}" for p in KILL_POINTS))
UNRESOLVED = ("new", "measured", "queued", "training")
HUB_FILES = ("config.yaml", "trials.parquet", "hub.parquet", "hub.csv", "HUB.md", "pareto.png", "candidates.jsonl",
             "latency.sqlite")
_OWN: set[int] = set()  # Popen children: never reaped behind subprocess' back


# -- processes in this PID namespace -------------------------------------------------------------
def _procs() -> dict[int, str]:
    out = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                out[int(d)] = Path(f"/proc/{d}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                pass
    return out


def _ppid(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _reap() -> None:
    """PID 1 duty: reap orphaned (daemonised) Ray processes that exited."""
    for pid in list(_procs()):
        if pid in _OWN or pid == 1:
            continue
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                os.waitpid(pid, os.WNOHANG)
        except (OSError, IndexError, ChildProcessError):
            pass


def _find(*needles: str) -> list[int]:
    return [p for p, c in _procs().items() if p != os.getpid() and all(n in c for n in needles)]


def _sleep(s: float) -> None:
    _reap()
    time.sleep(s)


def teardown() -> None:
    """Kill every other process of this namespace (TERM, then KILL). Never ``ray stop``."""
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        others = [p for p in _procs() if p != os.getpid()]
        for p in others:
            try:
                os.kill(p, sig)
            except OSError:
                pass
        end = time.time() + wait
        while time.time() < end and [p for p in _procs() if p != os.getpid()]:
            _reap()
            try:
                os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                pass
            time.sleep(0.1)


# -- the cluster ------------------------------------------------------------------------------------
class Cluster:
    def __init__(self, work: Path, extra_env: dict | None = None):
        self.temp = Path(tempfile.mkdtemp(prefix="rc", dir="/tmp"))  # short: Unix socket paths <= 107 bytes
        self.env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
                    # tests/ importable on every node: the test-only fault trainable lives there
                    "PYTHONPATH": os.pathsep.join(p for p in (str(Path(__file__).parent),
                                                              os.environ.get("PYTHONPATH")) if p),
                    **(extra_env or {}),
                    "OMP_NUM_THREADS": "1", "RAY_DEDUP_LOGS": "0", "RAY_USAGE_STATS_ENABLED": "0",
                    # workers at nice 0, not Ray's 15: the load beside a test run must not starve the
                    # trials (kill_queued timed out at load 6.5 with its trials at 4 % of a core)
                    "RAY_worker_niceness": os.environ.get("RAY_worker_niceness", "0"),
                    # token auth with a fresh token, as a real cluster should run
                    "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32),
                    # declare a dead node within ~3 s instead of the default ~30 s
                    "RAY_health_check_period_ms": "1000", "RAY_health_check_timeout_ms": "1000",
                    "RAY_health_check_failure_threshold": "3"}
        self.log = open(work / "ray_start.log", "a")
        self.events: list[str] = []

    def _ray_start(self, *args: str) -> None:
        t0 = time.time()
        cmd = ["ray", "start", "--disable-usage-stats", f"--temp-dir={self.temp}", "--object-store-memory=100000000",
               *args]
        res = subprocess.run(cmd, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, timeout=180)
        if res.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed (rc {res.returncode}); see ray_start.log")
        self.events.append(f"{time.strftime('%H:%M:%S')} ray start {' '.join(args)} ({time.time() - t0:.1f} s)")

    def start(self) -> None:
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True, timeout=30)
        self._ray_start("--head", f"--port={PORT}", f"--node-ip-address={HEAD}", "--num-cpus=0",
                        "--include-dashboard=false")
        self.add_node(TRAIN, cpus=2, resources={"train_node": 1})
        self.add_node(LATENCY, cpus=1, resources={"latency_gpu": 1})

    def add_node(self, ip: str, cpus: int, resources: dict) -> None:
        self._ray_start(f"--address={HEAD}:{PORT}", f"--node-ip-address={ip}", f"--num-cpus={cpus}",
                        f"--resources={json.dumps(resources)}")

    def raylet_pids(self, ip: str) -> list[int]:
        return _find("/raylet/raylet", f"--node_ip_address={ip} ")

    def node_pids(self, ip: str) -> list[int]:
        """Every process of node ``ip``: its raylet, the raylet's descendants (workers, agents), and the
        daemons started with that node IP. SIGKILLing them all is the machine disappearing."""
        procs = _procs()
        pids = set(self.raylet_pids(ip)) | {p for p, c in procs.items() if p != os.getpid() and
                                            (f"={ip} " in c + " " or f"={ip}:" in c)}
        grew = True
        while grew:
            kids = {p for p in procs if _ppid(p) in pids} - pids
            grew = bool(kids)
            pids |= kids
        return sorted(pids)

    def running_trials(self, ip: str) -> list[int]:
        """PIDs of Tune trial workers executing on node ``ip`` (``ray::ImplicitFunc.train``, started by its raylet)."""
        raylets = set(self.raylet_pids(ip))
        return [p for p, c in _procs().items() if c.startswith("ray::ImplicitFunc.train") and _ppid(p) in raylets]


# -- the search -------------------------------------------------------------------------------------
#: ~2.2x the synthetic backend's default coefficients: about half of the tiny space's random networks
#: are over the 0.85 ms budget (the gate rejects some, measured or predicted, as with a real backend)
SYNTHETIC = {"base_ms": 0.1, "ms_per_gmac": 9.0, "ms_per_mact": 0.9, "ms_per_layer": 0.02, "delay_s": 1.5}


def write_config(work: Path, data: Path, **train_extra) -> Path:
    cfg = {
        "budgets_ms": [0.85], "space": "tiny", "data": str(data), "trials": 4, "concurrency": 2,
        "baselines": False,
        # the synthetic backend: which candidates pass the gate must not depend on the box's load (a real
        # backend's figures rise with it: on a loaded 2-core box onnxruntime measured 2-3x, the search
        # then spent its time on rejections and ran out of time); delay_s keeps a measurement in flight
        # long enough to be killed, as a real one is
        "latency": {"backend": "synthetic", "threads": 1, "resource": "latency_gpu", "timeout_s": 120,
                    "options": SYNTHETIC},
        "train": {"epochs": 1, "batch_size": 64, "threads": 1, "loader": "torchvision", "max_failures": 2,
                  "recipe": {"resolution": 64, "limit_train_batches": 40, "hflip": False,
                             "crop_scale": [0.5, 1.0], "warmup_epochs": 0.1}, **train_extra},
        "cluster": {"address": f"{HEAD}:{PORT}"},
    }
    p = work / "search.yaml"
    p.write_text(yaml.safe_dump(cfg))
    return p


def start_search(cluster: Cluster, work: Path, *args: str, tag: str = "search", kill_at: str | None = None
                 ) -> subprocess.Popen:
    entry = [str(Path(__file__).with_name("faulty_search.py")), "--kill-at", kill_at] if kill_at else \
        ["-m", "gpunet_ray.search"]
    cmd = [sys.executable, *entry, "--no-dashboard", "--quiet", "--address", f"{HEAD}:{PORT}", *args]
    out = open(work / f"{tag}.stdout", "w")
    err = open(work / f"{tag}.stderr", "w")
    proc = subprocess.Popen(cmd, env=cluster.env, stdout=out, stderr=err, cwd=str(work))
    _OWN.add(proc.pid)
    cluster.events.append(f"{time.strftime('%H:%M:%S')} {tag}: {' '.join(cmd[1:])} (pid {proc.pid})")
    return proc


def wait_search(proc: subprocess.Popen, timeout: float) -> int | None:
    end = time.time() + timeout
    while time.time() < end:
        rc = proc.poll()
        if rc is not None:
            return rc
        _sleep(0.5)
    proc.kill()
    proc.wait()
    return None  # timed out


def log_records(out: Path) -> list[dict]:
    p = out / "candidates.jsonl"
    recs = []
    if p.is_file():
        for line in p.read_text().splitlines():
            try:
                recs.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    return recs


def latest(out: Path) -> dict[str, dict]:
    last: dict[str, dict] = {}
    for r in log_records(out):
        last[r["id"]] = {**last.get(r["id"], {}), **r}
    return last


def wait_until(pred, timeout: float, proc: subprocess.Popen | None = None, poll: float = 0.2) -> bool:
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        if proc is not None and proc.poll() is not None:
            return False
        _sleep(poll)
    return False


def tune_trials(out: Path) -> dict[str, dict]:
    """candidate id -> Tune's view of its trial (status, num_failures), from the experiment state."""
    res: dict[str, dict] = {}
    runs = sorted((p for p in out.glob("tune*") if p.is_dir()), key=lambda p: (len(p.name), p.name))
    trial_data = []
    for run in runs:  # tune, tune-resume-1, ...: a later run's view wins
        states = sorted(run.glob("experiment_state*.json"))
        if states:
            trial_data += json.loads(states[-1].read_text()).get("trial_data", [])
    for t in trial_data:
        try:
            a, b = json.loads(t[0]), json.loads(t[1])
        except (TypeError, ValueError, IndexError):
            continue
        cid = (a.get("config") or {}).get("candidate_id")
        if cid:
            res[cid] = {"status": a.get("status"), "num_failures": b.get("num_failures")}
    return res


def summarize(out: Path) -> dict:
    last = latest(out)
    cands = [r for r in last.values() if r.get("status") != "skipped"]
    trained_events: dict[str, int] = {}
    for r in log_records(out):
        if r["status"] == "trained":
            trained_events[r["hash"]] = trained_events.get(r["hash"], 0) + 1
    counts: dict[str, int] = {}
    for r in cands:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    trials = None
    if (out / "trials.parquet").is_file():
        import pandas as pd

        df = pd.read_parquet(out / "trials.parquet")
        trials = {"rows": len(df), "statuses": df["status"].value_counts().to_dict(),
                  "unresolved": int(df["status"].isin(UNRESOLVED).sum())}
    hub_cols = None
    if (out / "hub.parquet").is_file():
        import pandas as pd

        hub = pd.read_parquet(out / "hub.parquet")
        hub_cols = list(hub.columns)
    return {
        "suggested": len(cands),
        "statuses": counts,
        "trained": sum(1 for r in cands if r["status"] == "trained"),
        "rejected": sum(1 for r in cands if r["status"] == "rejected"),
        "unused": sum(1 for r in cands if r["status"] == "unused"),
        "failed": [{"id": r["id"], "hash": r["hash"], "reason": r.get("reason")} for r in cands
                   if r["status"] == "failed"],
        "rejected_reasons": sorted({str(r.get("reason")) for r in cands if r["status"] == "rejected"}),
        "lost": [{"id": r["id"], "status": r["status"]} for r in cands if r["status"] in UNRESOLVED],
        "trained_twice": {h: n for h, n in trained_events.items() if n > 1},
        "unmeasured_gated": [r["id"] for r in cands if r.get("latency_ms") is None
                             and r.get("reason") != "predicted_over_budget"],
        "trials_parquet": trials,
        "hub_files": sorted(f for f in HUB_FILES if (out / f).is_file()),
        "hub_models": sorted(str(p.relative_to(out)) for p in (out / "models").rglob("*") if p.is_file())
        if (out / "models").is_dir() else [],
        "hub_columns": hub_cols,
        "tune_trials": tune_trials(out),
    }


def _tail(p: Path, n: int = 3000) -> str:
    return p.read_text(errors="replace")[-n:] if p.is_file() else ""


# -- scenarios --------------------------------------------------------------------------------------
def scenario_node_loss(cluster: Cluster, work: Path, data: Path) -> dict:
    """The training node disappears (SIGKILL of every process it runs) while a trial certainly runs there;
    then a replacement node joins.

    The trainable is tests/fault_trainable.py's ``hold``: once a result is in, the harness opens the gate and
    the next trial to report on the training node blocks before its report and names itself (``held.<id>``).
    So the killed trial is known, was running on the lost node, and had not reported: Tune must retry it.
    """
    out = work / "out"
    hold = work / "hold"
    hold.mkdir()
    cfg = write_config(work, data, epochs=2, trainable="fault_trainable:train_candidate")
    proc = start_search(cluster, work, "--config", str(cfg), "--out", str(out))
    injected: dict = {"raylet_killed": 0, "replacement_nodes": 0}

    def held() -> list[str]:
        return sorted(p.name.split(".", 1)[1] for p in hold.glob("held.*"))

    if wait_until(lambda: any(r["status"] == "trained" for r in latest(out).values()), 400, proc):
        (hold / "gate").touch()
        cluster.events.append(f"{time.strftime('%H:%M:%S')} hold gate opened")
    if wait_until(lambda: bool(held()), 400, proc):
        in_flight = held()
        raylets = cluster.raylet_pids(TRAIN)
        pids = cluster.node_pids(TRAIN)
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        injected.update(raylet_killed=len(raylets), node_processes_killed=len(pids), trials_in_flight=in_flight,
                        trained_before=sorted(c for c, r in latest(out).items() if r["status"] == "trained"))
        cluster.events.append(f"{time.strftime('%H:%M:%S')} SIGKILL every process of {TRAIN} (raylet {raylets}, "
                              f"{len(pids)} processes); held there: {in_flight}")
        (hold / "gate").unlink()
        cluster.add_node(REPLACEMENT, cpus=2, resources={"train_node": 1})
        injected["replacement_nodes"] = 1
    rc = wait_search(proc, 500)
    s = summarize(out)
    final = latest(out)
    s["in_flight_outcome"] = {c: final[c]["status"] for c in injected.get("trials_in_flight", [])}
    s["trained_before_still_trained"] = all(final[c]["status"] == "trained"
                                            for c in injected.get("trained_before", []))
    return {"rc": rc, "injected": injected, **s}


def scenario_latency_actor(cluster: Cluster, work: Path, data: Path) -> dict:
    out = work / "out"
    proc = start_search(cluster, work, "--config", str(write_config(work, data)), "--out", str(out))
    killed: list[int] = []
    end = time.time() + 400
    # after the search has started (its first candidates logged), kill the actor while it measures;
    # twice, at different measurements (the replacement actor is killed the second time)
    while time.time() < end and len(killed) < 2 and proc.poll() is None:
        if log_records(out):
            busy = [p for p in _find("ray::_LatencyActor.measure") if p not in killed]
            if busy:
                os.kill(busy[0], signal.SIGKILL)
                killed.append(busy[0])
                cluster.events.append(f"{time.strftime('%H:%M:%S')} SIGKILL latency actor pid {busy[0]} "
                                      "mid-measurement")
                _sleep(1.0)
                continue
        time.sleep(0.01)
        if int(time.time() * 10) % 20 == 0:
            _reap()
    rc = wait_search(proc, 500)
    s = summarize(out)
    return {"rc": rc, "injected": {"latency_actor_killed": len(killed), "pids": killed}, **s,
            "latency_failed": [r for r in s["rejected_reasons"] if r.startswith("latency_failed")]}


def _resume(cluster: Cluster, work: Path, out: Path, first_rc, injected: dict, trained_before: list) -> dict:
    """After the first driver ended (killed or stopped): ``--resume`` it and report the outcome."""
    hub_before_resume = (out / "hub.parquet").is_file()
    _sleep(2.0)
    proc2 = start_search(cluster, work, "--resume", "--out", str(out), tag="resume")
    rc = wait_search(proc2, 500)
    s = summarize(out)
    final = latest(out)
    s["trained_before_still_trained"] = all(final[c]["status"] == "trained" for c in trained_before)
    return {"rc": rc, "first_rc": first_rc, "hub_before_resume": hub_before_resume, "injected": injected, **s}


def scenario_driver_kill(cluster: Cluster, work: Path, data: Path) -> dict:
    out = work / "out"
    proc = start_search(cluster, work, "--config", str(write_config(work, data)), "--out", str(out))
    injected: dict = {"driver_killed": 0}
    if wait_until(lambda: any(r["status"] == "trained" for r in latest(out).values()), 400, proc):
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        injected.update(driver_killed=1,
                        trained_before=sorted(c for c, r in latest(out).items() if r["status"] == "trained"),
                        in_flight=sorted(c for c, r in latest(out).items() if r["status"] == "training"))
        cluster.events.append(f"{time.strftime('%H:%M:%S')} SIGKILL search driver pid {proc.pid}")
    return _resume(cluster, work, out, proc.returncode, injected, injected.get("trained_before", []))


def scenario_kill_point(cluster: Cluster, work: Path, data: Path, point: str) -> dict:
    """SIGKILL the driver at a named point of its life (tests/faulty_search.py), then ``--resume``."""
    out = work / "out"
    nth = "2" if point == "trial_pending" else "1"
    proc = start_search(cluster, work, "--config", str(write_config(work, data, epochs=2)), "--out", str(out),
                        kill_at=f"{point}:{nth}")
    first_rc = wait_search(proc, 500)
    trained_before = sorted(c for c, r in latest(out).items() if r["status"] == "trained")
    cluster.events.append(f"{time.strftime('%H:%M:%S')} driver killed itself at {point} (rc {first_rc})")
    return _resume(cluster, work, out, first_rc, {"kill_point": point, "trained_before": trained_before},
                   trained_before)


def scenario_kill_chain(cluster: Cluster, work: Path, data: Path) -> dict:
    """The driver SIGKILLs itself at one point, and every ``--resume`` after it at the next point of the chain
    (a second kill during the resume itself); then a last ``--resume`` runs to the end."""
    out = work / "out"
    chain = ("measuring", "queued", "mid_trial", "before_tell", "publish")
    proc = start_search(cluster, work, "--config", str(write_config(work, data, epochs=2)), "--out", str(out),
                        kill_at=chain[0])
    rcs = [wait_search(proc, 500)]
    seen = [chain[0]]
    kept = True  # every trained candidate stays trained through each killed resume
    for i, point in enumerate(chain[1:], 1):
        before = {c for c, r in latest(out).items() if r["status"] == "trained"}
        proc = start_search(cluster, work, "--resume", "--out", str(out), tag=f"resume{i}", kill_at=point)
        rcs.append(wait_search(proc, 500))
        kept = kept and before <= {c for c, r in latest(out).items() if r["status"] == "trained"}
        cluster.events.append(f"{time.strftime('%H:%M:%S')} resume {i} killed at {point}? rc {rcs[-1]}")
        if rcs[-1] == 0:  # it finished before reaching the point
            break
        seen.append(point)
    trained_before = sorted(c for c, r in latest(out).items() if r["status"] == "trained")
    r = _resume(cluster, work, out, rcs[0], {"chain": seen, "rcs": rcs, "kept_through_kills": kept},
                trained_before)
    return r


def scenario_sigterm(cluster: Cluster, work: Path, data: Path) -> dict:
    """SIGTERM the driver while a trial trains (a graceful stop), then ``--resume``."""
    out = work / "out"
    proc = start_search(cluster, work, "--config", str(write_config(work, data, epochs=2)), "--out", str(out))
    injected: dict = {"sigterm": 0}
    if wait_until(lambda: bool(cluster.running_trials(TRAIN)) and
                  any(r["status"] == "training" for r in latest(out).values()), 400, proc):
        proc.send_signal(signal.SIGTERM)
        injected["sigterm"] = 1
        cluster.events.append(f"{time.strftime('%H:%M:%S')} SIGTERM search driver pid {proc.pid}")
    first_rc = wait_search(proc, 300)
    injected["unresolved_after_stop"] = sorted(c for c, r in latest(out).items() if r["status"] in UNRESOLVED)
    trained_before = sorted(c for c, r in latest(out).items() if r["status"] == "trained")
    return _resume(cluster, work, out, first_rc, injected, trained_before)


def scenario_crash_always(cluster: Cluster, work: Path, data: Path) -> dict:
    out = work / "out"
    marker = work / "crash_marker"
    cfg = write_config(work, data, max_failures=1, trainable="fault_trainable:train_candidate")
    proc = start_search(cluster, work, "--config", str(cfg), "--out", str(out))
    rc = wait_search(proc, 500)
    s = summarize(out)
    lines = marker.read_text().splitlines() if marker.is_file() else []
    return {"rc": rc, "injected": {"crashing_candidate": lines[0] if lines else None,
                                   "attempts": len(lines) - 1 if lines else 0, "max_failures": 1}, **s}


RUNNERS = {"node_loss": scenario_node_loss, "latency_actor": scenario_latency_actor,
           "driver_kill": scenario_driver_kill, "crash_always": scenario_crash_always, "sigterm": scenario_sigterm,
           "kill_chain": scenario_kill_chain}
for _p in KILL_POINTS:
    RUNNERS[f"kill_{_p}"] = lambda c, w, d, _p=_p: scenario_kill_point(c, w, d, _p)


def run_scenario(name: str, work: Path, data: Path) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    extra_env = {}
    if name == "crash_always":  # read by tests/fault_trainable.py in every training worker
        extra_env = {"GPUNET_RAY_TEST_FAULT": "crash_always",
                     "GPUNET_RAY_TEST_FAULT_MARKER": str(work / "crash_marker")}
    elif name == "node_loss":
        extra_env = {"GPUNET_RAY_TEST_FAULT": "hold", "GPUNET_RAY_TEST_FAULT_MARKER": str(work / "hold"),
                     "GPUNET_RAY_TEST_HOLD_NODE": TRAIN}
    cluster = Cluster(work, extra_env)
    t0 = time.time()
    report: dict = {"scenario": name}
    try:
        cluster.start()
        report["cluster_up_s"] = round(time.time() - t0, 1)
        report.update(RUNNERS[name](cluster, work, data))
    except Exception as exc:  # noqa: BLE001 - reported, the test asserts on it
        report["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        report["duration_s"] = round(time.time() - t0, 1)
        report["events"] = cluster.events
        report["stderr_tail"] = "".join(_tail(p) for p in [work / "search.stderr",
                                                            *sorted(work.glob("resume*.stderr"))])
        teardown()
        (work / "report.json").write_text(json.dumps(report, indent=1, default=str))
    return report


def markdown(reports: list[dict]) -> str:
    rows = ["| scenario | injected fault | outcome | suggested | trained | rejected (latency gate) | "
            "failed with reason | lost |", "|---|---|---|---|---|---|---|---|"]
    for r in reports:
        inj = r.get("injected", {})
        fault = {"node_loss": f"SIGKILL every process of the training node "
                              f"({inj.get('node_processes_killed', 0)} processes, "
                              f"{len(inj.get('trials_in_flight', []))} trials in flight), replacement node started",
                 "latency_actor": f"SIGKILL latency actor mid-measurement ({inj.get('latency_actor_killed', 0)}x)",
                 "driver_kill": f"SIGKILL search driver ({inj.get('driver_killed', 0)}x), then --resume",
                 "crash_always": f"one trial raises on every attempt ({inj.get('attempts', 0)} attempts, "
                                 f"max_failures={inj.get('max_failures')})",
                 "sigterm": "SIGTERM search driver mid-trial (graceful stop), then --resume",
                 "kill_chain": f"SIGKILL search driver at {', '.join(inj.get('chain', []))}, each resume killed "
                               "at the next point, then --resume"}.get(
                     r["scenario"], f"SIGKILL search driver at {inj.get('kill_point')}, then --resume")
        ok = r.get("rc") == 0 and not r.get("lost") and not r.get("trained_twice")
        outcome = ("search finished, hub written" if ok else f"FAILED rc={r.get('rc')} {r.get('error', '')}")
        if r["scenario"] == "driver_kill" or r["scenario"].startswith("kill_"):
            outcome += f"; no arch trained twice ({len(r.get('trained_twice', {}))} repeats)"
        if r["scenario"] == "latency_actor":
            outcome += f"; {len(r.get('latency_failed', []))} latency failures, all gated candidates measured"
        failed = "; ".join(f"{f['id']}: {f['reason']}" for f in r.get("failed", [])) or "0"
        rows.append(f"| {r['scenario']} | {fault} | {outcome} | {r.get('suggested')} | {r.get('trained')} | "
                    f"{r.get('rejected')} | {failed} | {len(r.get('lost', []))} |")
    return "\n".join(rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", choices=(*SCENARIOS, "all"))
    ap.add_argument("workdir")
    ap.add_argument("--data", help="demo dataset folder (default: made in WORKDIR/data)")
    ap.add_argument("--markdown", action="store_true", help="print the reliability table")
    args = ap.parse_args()
    if os.getpid() != 1:
        print("cluster_harness: run me as PID 1 of a private namespace: "
              "unshare -n -p -f --mount-proc python tests/cluster_harness.py ...", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # PID 1 ignores SIGTERM by default
    work = Path(args.workdir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    data = Path(args.data) if args.data else work / "data"
    if not args.data and not (data / "train").is_dir():
        from gpunet_ray.data import make_demo

        make_demo(data)
    names = SCENARIOS if args.scenario == "all" else (args.scenario,)
    reports = [run_scenario(n, work / n, data) for n in names]
    if args.markdown:
        print(markdown(reports))
    return 0


if __name__ == "__main__":
    sys.exit(main())
