"""Offline checks of every Ray cluster-launcher YAML in the repository root (``cluster*.yaml``).

Each file goes through Ray's own config pipeline as ``ray up`` runs it -- ``prepare_config``
(merge with the provider's defaults.yaml, setup-command merge, per-type min/max workers) and
``validate_config`` (JSON schema + cross-field rules). The two steps of ``ray up`` that follow
need a cloud account and are not run: resource auto-detection
(``fillout_available_node_types_resources``, which lists EC2 instance types) and
``bootstrap_config`` (IAM role, key pair, subnets, security group through boto3). The security
group Ray would create is instead rebuilt offline from Ray's fixed default rules plus the config's
``provider.security_group.IpPermissions``; a test compares that rebuild with Ray's own function
where boto3 is installed.

On top of Ray's validation, :func:`check_cluster` enforces this project's conventions:
* head: no GPU, no CPU advertised (the driver and searcher are plain processes; no trial lands there);
* training node type: GPUs + ``accelerator_type:A100``; latency node type: ``latency_gpu``, with a
  Ray CPU count below the experiment's ``cpus_per_trial`` so training can never be placed on it;
* no rule opens 8265 (dashboard), 6379 (GCS) or 10001 (client) to an address range, and nothing
  but TCP 22 is open to 0.0.0.0/0 or ::/0;
* the dashboard binds to 127.0.0.1 in the head start command;
* setup installs the synced package with the ``[trt,dali]`` extras; /mnt/shared is mounted and
  holds the experiment's ``out`` (Tune storage, hub, latency cache).
Mutated copies of the configs show every check can fail.
"""

from __future__ import annotations

import copy
import re
import shlex
import stat
import subprocess
from pathlib import Path
from typing import Any, Callable

import pytest

yaml = pytest.importorskip("yaml")
pytest.importorskip("jsonschema", reason="Ray's validate_config needs jsonschema (ray[default])")
from ray.autoscaler._private.util import prepare_config, validate_config  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CLUSTER_FILES = sorted(ROOT.glob("cluster*.yaml"))
EXPERIMENT = ROOT / "experiments" / "gpunet_a100.yaml"

FORBIDDEN_PORTS = {8265: "dashboard", 6379: "GCS", 10001: "Ray client"}
PUBLIC_RANGES = {"0.0.0.0/0", "::/0"}
SHARED = "/mnt/shared"
LATENCY_PREFIX = "latency_"
COMMAND_LISTS = (
    "initialization_commands", "setup_commands", "head_setup_commands", "worker_setup_commands",
    "head_start_ray_commands", "worker_start_ray_commands",
)


# -- loading and Ray's own validation ------------------------------------------------------------
def load_yaml(path: Path) -> dict:
    with open(path) as f:
        return yaml.safe_load(f)


def ray_prepare(raw: dict) -> dict:
    """The config as ``ray up`` sees it before touching the cloud: Ray's ``prepare_config``
    followed by Ray's ``validate_config`` (raises ``jsonschema.ValidationError``/``ValueError``)."""
    prepared = prepare_config(copy.deepcopy(raw))
    validate_config(prepared)
    return prepared


# -- security group ------------------------------------------------------------------------------
def ray_default_inbound_rules(sgids: set[str], extended: list[dict]) -> list[dict]:
    """Mirror of ``ray.autoscaler._private.aws.config._create_default_inbound_rules`` (Ray 2.60):
    all traffic between the cluster's own groups, SSH from anywhere, then the config's rules.
    (Ray's module imports boto3 at import time, so it is not used here; see the test below.)"""
    return [
        {"FromPort": -1, "ToPort": -1, "IpProtocol": "-1",
         "UserIdGroupPairs": [{"GroupId": g} for g in sorted(sgids)]},
        {"FromPort": 22, "ToPort": 22, "IpProtocol": "tcp", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        *extended,
    ]


def effective_inbound_rules(cfg: dict) -> list[dict]:
    """Inbound rules of the security group Ray creates for an AWS cluster."""
    extended = cfg["provider"].get("security_group", {}).get("IpPermissions", []) or []
    return ray_default_inbound_rules({"sg-cluster"}, extended)


def _ranges(rule: dict) -> list[str]:
    return ([r.get("CidrIp", "") for r in rule.get("IpRanges", [])]
            + [r.get("CidrIpv6", "") for r in rule.get("Ipv6Ranges", [])])


def _ports(rule: dict) -> tuple[int, int]:
    if str(rule.get("IpProtocol", "-1")) in ("-1", "all"):
        return 0, 65535
    lo, hi = rule.get("FromPort", -1), rule.get("ToPort", -1)
    return (0, 65535) if lo == -1 or hi == -1 else (int(lo), int(hi))


def security_problems(rules: list[dict]) -> list[str]:
    problems = []
    for rule in rules:
        ranges = [r for r in _ranges(rule) if r]
        if not ranges:  # group-to-group rules (intra-cluster) only
            continue
        lo, hi = _ports(rule)
        for port, what in FORBIDDEN_PORTS.items():
            if lo <= port <= hi:
                problems.append(f"security group opens port {port} ({what}) to {', '.join(ranges)}")
        public = sorted(set(ranges) & PUBLIC_RANGES)
        is_ssh = str(rule.get("IpProtocol")) in ("tcp", "6") and (lo, hi) == (22, 22)
        if public and not is_ssh:
            problems.append(f"security group opens {rule.get('IpProtocol')} {lo}-{hi} to "
                            f"{', '.join(public)} (only TCP 22 may be public)")
    return problems


# -- commands ------------------------------------------------------------------------------------
def _commands(cfg: dict, *keys: str) -> list[str]:
    return [str(c) for k in keys for c in (cfg.get(k) or [])]


_DASH = re.compile(r"--dashboard-host[= ](\S+)")
_PIP = re.compile(r"pip3? install\b[^\n]*?gpunet_ray\[([^\]]*)\]")
_MOUNT = re.compile(r"\bmount\b[^\n]*\s" + re.escape(SHARED) + r"(\s|$|;|\))")
_LATENCY_IPS = re.compile(r'LATENCY_IPS="([^"]*)"')
_RESOURCES = re.compile(r"--resources='([^']*)'")


def command_problems(cfg: dict) -> list[str]:
    problems = []
    heads = [c for c in _commands(cfg, "head_start_ray_commands") if "ray start" in c]
    if not any("--head" in c for c in heads):
        problems.append("head_start_ray_commands has no `ray start --head`")
    for c in heads:
        hosts = _DASH.findall(c)
        if not hosts or any(h.strip("'\"") not in ("127.0.0.1", "localhost") for h in hosts):
            problems.append(f"head start must bind the dashboard to 127.0.0.1: {c!r}")
        if "--autoscaling-config=~/ray_bootstrap_config.yaml" not in c:
            problems.append(f"head start lost --autoscaling-config (no autoscaling): {c!r}")
    for c in _commands(cfg, *COMMAND_LISTS):
        for h in _DASH.findall(c):
            if h.strip("'\"") not in ("127.0.0.1", "localhost"):
                problems.append(f"a command binds the dashboard to {h}: {c!r}")
    workers = [c for c in _commands(cfg, "worker_start_ray_commands") if "ray start" in c]
    if not workers or not all("--address=$RAY_HEAD_IP:6379" in c and "--head" not in c for c in workers):
        problems.append("worker_start_ray_commands must join the head (--address=$RAY_HEAD_IP:6379)")

    mounts = {k for k, _ in (cfg.get("file_mounts") or {}).items()}
    for key in ("head_setup_commands", "worker_setup_commands"):  # both include setup_commands
        extras = [set(e.replace(" ", "").split(",")) for e in _PIP.findall("\n".join(_commands(cfg, key)))]
        if not any({"trt", "dali"} <= e for e in extras):
            problems.append(f"{key}: no `pip install ...gpunet_ray[trt,dali]`")
    if "~/gpunet_ray" not in mounts:
        problems.append("file_mounts must sync the repository to ~/gpunet_ray (the pip install path)")
    if not any(_MOUNT.search(c) for c in _commands(cfg, "initialization_commands", "setup_commands")):
        problems.append(f"no shared storage mounted at {SHARED} (initialization/setup commands)")
    return problems


# -- node types ----------------------------------------------------------------------------------
def _is_latency(res: dict) -> bool:
    return any(k.startswith(LATENCY_PREFIX) and v > 0 for k, v in res.items())


def node_type_problems(cfg: dict, exp: dict) -> list[str]:
    problems = []
    types = cfg["available_node_types"]
    head = types[cfg["head_node_type"]]
    hres = head.get("resources", {})
    if hres.get("GPU", None) != 0:
        problems.append(f"head node type must advertise GPU 0, has {hres.get('GPU', 'auto-detected')}")
    if hres.get("CPU", None) != 0:
        problems.append(f"head node type must advertise CPU 0 (driver only), has {hres.get('CPU', 'auto-detected')}")
    if _is_latency(hres):
        problems.append("head node type carries a latency resource")
    workers = {n: t for n, t in types.items() if n != cfg["head_node_type"]}
    train = {n: t for n, t in workers.items() if not _is_latency(t.get("resources", {}))}
    latency = {n: t for n, t in workers.items() if _is_latency(t.get("resources", {}))}

    acc = (exp.get("train") or {}).get("accelerator_type") or "A100"
    cpus_per_trial = (exp.get("train") or {}).get("cpus_per_trial", 1)
    ok_train = [n for n, t in train.items()
                if t.get("resources", {}).get("GPU", 0) > 0
                and t.get("resources", {}).get(f"accelerator_type:{acc}", 0) > 0
                and t.get("max_workers", 0) >= max(1, t.get("min_workers", 0))]
    if not ok_train:
        problems.append(f"no training node type with GPU and accelerator_type:{acc} (and max_workers >= 1)")

    want = (exp.get("latency") or {}).get("resource") or "latency_gpu"
    offered = 0
    for name, t in latency.items():
        res = t.get("resources", {})
        units = sum(v for k, v in res.items() if k.startswith(LATENCY_PREFIX))
        offered += res.get(want, 0) * t.get("max_workers", 0)
        if res.get("GPU", 0) < units:
            problems.append(f"{name}: fewer GPUs ({res.get('GPU', 0)}) than latency slots ({units})")
        cpu = res.get("CPU")
        if cpu is None or cpu > units or cpu >= cpus_per_trial:
            problems.append(f"{name}: CPU {cpu} must be <= its latency slots ({units}) and below "
                            f"cpus_per_trial ({cpus_per_trial}), else training trials can land there")
        if t.get("min_workers", 0) < 1:
            problems.append(f"{name}: min_workers must be >= 1 (the latency service needs the resource at start)")
    if not any(want in t.get("resources", {}) for t in latency.values()):
        problems.append(f"no node type offers the latency resource {want!r}")
    actors = (exp.get("latency") or {}).get("actors", 1)
    if latency and offered < actors:
        problems.append(f"latency.actors={actors} but the cluster offers {offered} x {want}")

    opaque = [n for n, t in types.items()
              if {"SecurityGroupIds", "NetworkInterfaces"} & set(t.get("node_config", {}))]
    if opaque:
        problems.append(f"{opaque}: pre-made security groups cannot be checked offline; "
                        "use provider.security_group")
    return problems


def local_problems(cfg: dict, exp: dict) -> list[str]:
    """Ray's local provider has one node type; roles are set by `ray start` flags per IP."""
    problems = []
    prov = cfg["provider"]
    for c in _commands(cfg, "head_start_ray_commands"):
        if "ray start" in c and not ("--num-gpus=0" in c and "--num-cpus=0" in c):
            problems.append(f"on-prem head must start with --num-cpus=0 --num-gpus=0: {c!r}")
    want = (exp.get("latency") or {}).get("resource") or "latency_gpu"
    text = "\n".join(_commands(cfg, "worker_start_ray_commands"))
    if not any(want in r for r in _RESOURCES.findall(text)):
        problems.append(f"no worker starts with --resources='{{\"{want}\": 1}}'")
    ips = [ip for m in _LATENCY_IPS.findall(text) for ip in m.split()]
    if not ips:
        problems.append("worker_start_ray_commands sets no LATENCY_IPS")
    for ip in ips:
        if ip not in prov.get("worker_ips", []) or ip == prov.get("head_ip"):
            problems.append(f"latency box {ip} is not one of provider.worker_ips")
    return problems


def check_cluster(raw: dict, exp: dict | None = None) -> list[str]:
    """Every convention violated by a cluster config (empty list: all good). Ray's own
    validation runs first and raises on a config Ray itself rejects."""
    exp = load_yaml(EXPERIMENT) if exp is None else exp
    cfg = ray_prepare(raw)
    problems = command_problems(cfg)
    out = str(exp.get("out", ""))
    if not out.startswith(SHARED + "/"):
        problems.append(f"experiment out {out!r} is not on the shared storage {SHARED}")
    ptype = cfg["provider"]["type"]
    if ptype == "aws":
        region = cfg["provider"].get("region", "")
        zones = [z.strip() for z in str(cfg["provider"].get("availability_zone", "")).split(",") if z.strip()]
        if not region or not zones or not all(z.startswith(region) for z in zones):
            problems.append(f"provider: availability_zone {zones} must be set and lie in region {region!r}")
        problems += node_type_problems(cfg, exp)
        problems += security_problems(effective_inbound_rules(cfg))
    elif ptype == "local":
        problems += local_problems(cfg, exp)
    else:
        problems.append(f"provider type {ptype!r} has no checks here; add them")
    return problems


# -- tests ---------------------------------------------------------------------------------------
def test_cluster_files_found():
    names = {p.name for p in CLUSTER_FILES}
    assert {"cluster.yaml", "cluster-onprem.yaml"} <= names, names


@pytest.mark.parametrize("path", CLUSTER_FILES, ids=lambda p: p.name)
def test_ray_accepts_config(path):
    cfg = ray_prepare(load_yaml(path))
    assert cfg["head_node_type"] in cfg["available_node_types"]
    # Ray's defaults.yaml starts the dashboard on 0.0.0.0; the merged config must not inherit it.
    assert "--dashboard-host=0.0.0.0" not in " ".join(_commands(cfg, "head_start_ray_commands"))


@pytest.mark.parametrize("path", CLUSTER_FILES, ids=lambda p: p.name)
def test_project_conventions(path):
    assert check_cluster(load_yaml(path)) == []


def test_aws_node_types():
    cfg = ray_prepare(load_yaml(ROOT / "cluster.yaml"))
    assert cfg["cluster_name"] == "gpunet-ray"
    types = cfg["available_node_types"]
    assert types["head"]["resources"] == {"CPU": 0, "GPU": 0}
    assert types["train.a100"]["node_config"]["InstanceType"] == "p4d.24xlarge"
    assert types["train.a100"]["resources"]["GPU"] == 8
    assert types["train.a100"]["min_workers"] < types["train.a100"]["max_workers"]  # autoscales
    assert types["latency.a100"]["resources"]["latency_gpu"] >= 1
    assert "latency_gpu" not in types["train.a100"]["resources"]
    # The only rules reaching outside the cluster: SSH.
    outside = [r for r in effective_inbound_rules(cfg) if _ranges(r)]
    assert [(r["IpProtocol"], r["FromPort"], r["ToPort"]) for r in outside] == [("tcp", 22, 22)]


def _set(path: str, value: Any) -> Callable[[dict], None]:
    def mutate(cfg: dict) -> None:
        *parents, last = path.split("/")
        node = cfg
        for p in parents:
            node = node[p]
        node[last] = value
    return mutate


def _rule(port_lo, port_hi, proto="tcp", cidr="0.0.0.0/0", v6=False) -> Callable[[dict], None]:
    rng = {"Ipv6Ranges": [{"CidrIpv6": cidr}]} if v6 else {"IpRanges": [{"CidrIp": cidr}]}
    return _set("provider/security_group/IpPermissions",
                [{"IpProtocol": proto, "FromPort": port_lo, "ToPort": port_hi, **rng}])


def _edit_cmds(key: str, old: str, new: str) -> Callable[[dict], None]:
    def mutate(cfg: dict) -> None:
        cfg[key] = [c.replace(old, new) for c in cfg[key]]
    return mutate


def _drop(key: str) -> Callable[[dict], None]:
    return lambda cfg: cfg.pop(key)


def _res(node_type: str, **res) -> Callable[[dict], None]:
    def mutate(cfg: dict) -> None:
        cfg["available_node_types"][node_type]["resources"].update(
            {k.replace("__", ":"): v for k, v in res.items()})
    return mutate


def _del_res(node_type: str, key: str) -> Callable[[dict], None]:
    return lambda cfg: cfg["available_node_types"][node_type]["resources"].pop(key)


MUTATIONS = {
    # name: (file, mutation, substring expected in one problem)
    "dashboard-8265-public": ("cluster.yaml", _rule(8265, 8265), "port 8265 (dashboard)"),
    "gcs-6379-in-range": ("cluster.yaml", _rule(6000, 7000, cidr="10.0.0.0/8"), "port 6379 (GCS)"),
    "client-10001-ipv6": ("cluster.yaml", _rule(10001, 10001, v6=True, cidr="::/0"), "port 10001"),
    "all-traffic-public": ("cluster.yaml", _rule(-1, -1, proto="-1"), "only TCP 22 may be public"),
    "https-public": ("cluster.yaml", _rule(443, 443), "only TCP 22 may be public"),
    "dashboard-host-any": ("cluster.yaml", _edit_cmds("head_start_ray_commands", "127.0.0.1", "0.0.0.0"),
                           "dashboard to 127.0.0.1"),
    "head-start-from-defaults": ("cluster.yaml", _drop("head_start_ray_commands"), "dashboard to 127.0.0.1"),
    "no-autoscaling-config": ("cluster.yaml", _edit_cmds("head_start_ray_commands",
                                                         "--autoscaling-config=~/ray_bootstrap_config.yaml", ""),
                              "--autoscaling-config"),
    "head-gpu": ("cluster.yaml", _res("head", GPU=1), "head node type must advertise GPU 0"),
    "head-cpu": ("cluster.yaml", _res("head", CPU=16), "head node type must advertise CPU 0"),
    "train-no-accelerator": ("cluster.yaml", _del_res("train.a100", "accelerator_type:A100"),
                             "accelerator_type:A100"),
    "train-no-gpu": ("cluster.yaml", _res("train.a100", GPU=0), "no training node type"),
    "latency-resource-gone": ("cluster.yaml", _del_res("latency.a100", "latency_gpu"), "'latency_gpu'"),
    "latency-cpu-fits-trial": ("cluster.yaml", _res("latency.a100", CPU=96), "training trials can land"),
    "latency-no-gpu": ("cluster.yaml", _res("latency.a100", GPU=0), "fewer GPUs"),
    "latency-autoscaled-from-0": ("cluster.yaml", _set("available_node_types/latency.a100/min_workers", 0),
                                  "min_workers must be >= 1"),
    "premade-security-group": ("cluster.yaml",
                               _set("available_node_types/head/node_config/SecurityGroupIds", ["sg-1"]),
                               "cannot be checked offline"),
    "zone-outside-region": ("cluster.yaml", _set("provider/availability_zone", "eu-west-1a"), "region"),
    "pip-without-extras": ("cluster.yaml", _edit_cmds("setup_commands", "[trt,dali]", "[trt]"), "[trt,dali]"),
    "no-shared-mount": ("cluster.yaml", _set("initialization_commands", []), "no shared storage"),
    "no-code-sync": ("cluster.yaml", _set("file_mounts", {}), "file_mounts"),
    "onprem-dashboard-any": ("cluster-onprem.yaml",
                             _edit_cmds("head_start_ray_commands", "127.0.0.1", "0.0.0.0"), "dashboard"),
    "onprem-head-gpu": ("cluster-onprem.yaml", _edit_cmds("head_start_ray_commands", "--num-gpus=0", ""),
                        "--num-gpus=0"),
    "onprem-no-latency-resource": ("cluster-onprem.yaml",
                                   _edit_cmds("worker_start_ray_commands", "latency_gpu", "gpu_latency"),
                                   "--resources"),
    "onprem-latency-ip-unknown": ("cluster-onprem.yaml", _set("provider/worker_ips", ["192.168.1.11"]),
                                  "not one of provider.worker_ips"),
    "onprem-pip-without-extras": ("cluster-onprem.yaml", _edit_cmds("setup_commands", "[trt,dali]", ""),
                                  "[trt,dali]"),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_checker_flags_mutation(name):
    fname, mutate, expected = MUTATIONS[name]
    raw = load_yaml(ROOT / fname)
    assert not any(expected in p for p in check_cluster(raw)), "the unmutated file already fails"
    mutate(raw)
    problems = check_cluster(raw)
    assert any(expected in p for p in problems), problems


def test_experiment_out_must_be_shared():
    exp = load_yaml(EXPERIMENT)
    exp["out"] = "results/a100"
    assert any("shared storage" in p for p in check_cluster(load_yaml(ROOT / "cluster.yaml"), exp))
    exp = load_yaml(EXPERIMENT)
    exp["latency"]["actors"] = 5  # more latency actors than latency GPUs
    assert any("latency.actors=5" in p for p in check_cluster(load_yaml(ROOT / "cluster.yaml"), exp))


@pytest.mark.parametrize("mutate, error", [
    (_set("provider/security_group/Bogus", 1), "Additional properties"),
    (_set("available_node_types/train.a100/max_workerz", 3), "Additional properties"),
    (_set("max_workers", 1), "min_workers"),  # sum of min_workers (2) > global max_workers
    (_set("head_node_type", "nope"), "head_node_type"),
])
def test_ray_validation_rejects(mutate, error):
    """Ray's own validation is live: it rejects what Ray itself would reject at `ray up`."""
    import jsonschema

    raw = load_yaml(ROOT / "cluster.yaml")
    mutate(raw)
    with pytest.raises((jsonschema.ValidationError, ValueError)) as info:
        ray_prepare(raw)
    assert error in str(info.value)


def test_default_rules_mirror_ray():
    """The offline rebuild of the security group equals Ray's (only where boto3 is installed:
    Ray's AWS config module imports boto3 at import time)."""
    pytest.importorskip("boto3", reason="boto3 not installed: Ray's AWS module cannot be imported "
                        "(the launcher needs it, the package does not)")
    from ray.autoscaler._private.aws.config import _create_default_inbound_rules

    extended = [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "1.2.3.4/32"}]}]
    assert ray_default_inbound_rules({"sg-b", "sg-a"}, extended) == _create_default_inbound_rules(
        {"sg-b", "sg-a"}, extended)


# -- the shell in the commands, run with stand-ins for ray/sudo/hostname --------------------------
def _shims(tmp_path: Path, hostname_ips: str, mounted: bool = False) -> tuple[dict, Path]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    for name, body in {
        "ray": f'echo "ray $*" >> {shlex.quote(str(log))}',
        "sudo": f'echo "sudo $*" >> {shlex.quote(str(log))}',
        "hostname": f'echo "{hostname_ips}"',
        "mountpoint": "exit 0" if mounted else "exit 1",
    }.items():
        p = bin_dir / name
        p.write_text("#!/bin/sh\n" + body + "\n")
        p.chmod(p.stat().st_mode | stat.S_IXUSR)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path), "RAY_HEAD_IP": "192.168.1.10"}
    return env, log


@pytest.mark.timeout(60)
@pytest.mark.parametrize("ips, role", [("192.168.1.13 172.17.0.1", "latency"),
                                       ("192.168.1.11", "train"), ("192.168.1.131", "train")])
def test_onprem_worker_roles(tmp_path, ips, role):
    """The on-prem worker start command gives the latency box (and only it) the latency resource."""
    env, log = _shims(tmp_path, ips)
    cfg = ray_prepare(load_yaml(ROOT / "cluster-onprem.yaml"))
    for cmd in cfg["worker_start_ray_commands"]:
        subprocess.run(["bash", "-c", cmd], env=env, check=True, timeout=30)
    starts = [line for line in log.read_text().splitlines() if line.startswith("ray start")]
    assert len(starts) == 1, starts
    assert "--address=192.168.1.10:6379" in starts[0]
    if role == "latency":
        assert '--resources={"latency_gpu": 1}' in starts[0] and "--num-cpus=1" in starts[0]
    else:
        assert "latency_gpu" not in starts[0] and "--num-cpus" not in starts[0]


@pytest.mark.timeout(60)
def test_aws_storage_placeholder_fails_loudly(tmp_path):
    """Until SHARED_NFS is set, node setup stops with one clear line before touching the node."""
    env, log = _shims(tmp_path, "10.0.0.5")
    cfg = ray_prepare(load_yaml(ROOT / "cluster.yaml"))
    (cmd,) = cfg["initialization_commands"]
    if "REPLACE-ME" not in cmd:
        pytest.skip("SHARED_NFS is set in cluster.yaml (this test covers the shipped placeholder)")
    r = subprocess.run(["bash", "-c", cmd], env=env, capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert "set SHARED_NFS" in r.stderr
    assert not log.exists()  # nothing ran (no sudo, no apt, no mount)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("fname, mounted", [("cluster.yaml", False), ("cluster.yaml", True),
                                            ("cluster-onprem.yaml", False)])
def test_shared_storage_mount_command(tmp_path, fname, mounted):
    """With the export filled in, a node mounts it at /mnt/shared once (idempotent on re-runs)."""
    env, log = _shims(tmp_path, "10.0.0.5", mounted=mounted)
    cfg = ray_prepare(load_yaml(ROOT / fname))
    (cmd,) = cfg["initialization_commands"]
    cmd = re.sub(r'SHARED_NFS="[^"]*"', 'SHARED_NFS="nfs.test:/export"', cmd)
    subprocess.run(["bash", "-c", cmd], env=env, check=True, timeout=30)
    calls = log.read_text().splitlines()
    mounts = [c for c in calls if c.startswith("sudo mount")]
    if mounted:
        assert mounts == []
    else:
        assert len(mounts) == 1 and " -t nfs4 " in mounts[0]
        assert mounts[0].split()[-2:] == ["nfs.test:/export", SHARED]
    assert calls[-1].startswith("sudo chown") and calls[-1].endswith(f"{SHARED}/gpunet_ray")


def _uncommented_v100(raw_text: str) -> dict:
    """cluster.yaml with its commented-out `latency.v100` node type switched on, as documented."""
    lines = raw_text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.strip() == "# latency.v100:")
    block = []
    for ln in lines[start:]:
        if not ln.startswith("  # "):
            break
        block.append("  " + ln[4:])
    cfg = yaml.safe_load("available_node_types:\n" + "\n".join(block))
    raw = yaml.safe_load(raw_text)
    raw["available_node_types"].update(cfg["available_node_types"])
    raw["max_workers"] += 1
    return raw


def test_documented_second_latency_node_type():
    """The commented V100 latency node type, switched on, passes Ray and the checks for both the
    A100 experiment and a V100 experiment asking for `latency_v100`."""
    raw = _uncommented_v100((ROOT / "cluster.yaml").read_text())
    assert raw["available_node_types"]["latency.v100"]["resources"]["latency_v100"] == 1
    assert check_cluster(copy.deepcopy(raw)) == []
    exp = load_yaml(EXPERIMENT)
    exp["latency"]["resource"] = "latency_v100"
    exp["latency"]["actors"] = 1
    exp["out"] = "/mnt/shared/gpunet_ray/runs/v100"
    assert check_cluster(copy.deepcopy(raw), exp) == []
    exp["latency"]["actors"] = 2  # one V100 only
    assert any("latency.actors=2" in p for p in check_cluster(raw, exp))
