"""Connecting to Ray: join the cluster named by ``--address`` (or the one running here), else start a
local Ray whose dashboard binds to 127.0.0.1."""

from __future__ import annotations

import socket
import sys

from .config import SearchConfig
from .errors import ConfigError

__all__ = ["connect_ray", "check_address"]


def _reachable(address: str) -> bool:
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=3):
            return True
    except (OSError, ValueError):
        return False


def _running_cluster() -> str | None:
    """The address of a running Ray cluster on this machine (RAY_ADDRESS, or Ray's own discovery)."""
    try:
        from ray._private.services import get_ray_address_from_environment

        addr = get_ray_address_from_environment("auto", None)
    except Exception:  # nothing running (Ray raises ConnectionError) or an unknown layout
        return None
    if not addr or addr == "auto" or addr.startswith("ray://"):
        return addr if addr and addr.startswith("ray://") else None
    return addr if _reachable(addr) else None  # a stale record of a dead cluster is not a cluster


def check_address(address: str | None) -> None:
    if address in (None, "auto", "local") or address.startswith("ray://"):
        return
    if not _reachable(address):
        raise ConfigError(f"cannot reach a Ray cluster at --address {address!r}; start one with "
                          "'ray start --head' or 'ray up cluster.yaml', or omit --address")


def connect_ray(cfg: SearchConfig, dashboard: bool = True) -> bool:
    """Join ``cfg.cluster.address`` (or a running cluster), else start a local Ray. True if started here."""
    import ray

    if ray.is_initialized():
        return False
    address = cfg.cluster.address
    env = {"OMP_NUM_THREADS": "1"}
    if address in (None, "auto"):
        running = _running_cluster()
        if running is not None:
            ray.init(address=running, runtime_env={"env_vars": env}, log_to_driver=False)
            print(f"joined the running Ray cluster at {running}", file=sys.stderr)
            return False
        if address == "auto":
            raise ConfigError("no running Ray cluster found for --address auto; start one or omit --address")
    elif address != "local":
        try:
            ray.init(address=address, runtime_env={"env_vars": env}, log_to_driver=False)
            return False
        except (ConnectionError, RuntimeError) as exc:
            raise ConfigError(f"cannot join the Ray cluster at {address!r}: {str(exc).splitlines()[0]}") from None
    ctx = ray.init(include_dashboard=dashboard, dashboard_host=cfg.cluster.dashboard_host,
                   runtime_env={"env_vars": env}, log_to_driver=False, configure_logging=True,
                   logging_level="ERROR")
    if dashboard and getattr(ctx, "dashboard_url", None):
        print(f"Ray dashboard (local only): http://{ctx.dashboard_url}", file=sys.stderr)
    return True
