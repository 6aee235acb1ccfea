"""Latency backends behind one interface, found by name with :func:`get_backend`.

=================  =========================================================================
``onnxruntime-cpu``  ONNX export -> onnxruntime CPU session; fixed intra-op threads (default 1),
                     sequential execution, full graph optimisation. The CPU default.
``torch-cpu``        eager PyTorch on CPU, ``torch.set_num_threads(threads)`` while timing.
``torch-cuda``       PyTorch on CUDA, FP16 by default, CUDA-event timing of a CUDA-graph replay
                     (``cuda_graphs=False`` times eager execution, which is launch-bound at batch 1).
``tensorrt``         FP16 TensorRT engine built from the ONNX export (Python API with a persisted
                     builder timing cache, CUDA-event timing), or ``trtexec`` output where only the
                     command-line tool exists. Reports the median GPU compute time (NVIDIA's
                     protocol for GPUNet's published figures).
``synthetic``        deterministic latency computed from MACs and memory traffic, no dependencies;
                     for tests and demos of the search pipeline only, never for real numbers.
=================  =========================================================================

Your own backend (a :class:`Backend` subclass) is found, in the driver and in every
:class:`~gpunet_ray.latency.LatencyService` actor, by any of:

* its import path ``"package.module:ClassName"``, wherever a backend name goes (``--backend``,
  ``--latency-backend``, ``latency.backend`` in a search config, ``LatencyService(backend=...)``);
* a name given with :func:`register_backend` in the driver: the actors import the class by its
  import path (or, for a class defined in ``__main__`` or in a function, receive it pickled);
* an entry point in the group ``gpunet_ray.latency_backends`` (:data:`ENTRY_POINT_GROUP`) of an
  installed distribution, e.g. in ``pyproject.toml``:
  ``[project.entry-points."gpunet_ray.latency_backends"] mine = "mypkg.timing:MyBackend"``.

The module must import on the driver and on every Ray node that runs a latency actor (installed,
or on ``PYTHONPATH``), cheaply: like the built-ins, import heavy dependencies inside methods.
Nothing heavy is imported at module import time; a backend whose dependency or device is missing
raises :class:`~gpunet_ray.errors.BackendUnavailable` (saying what to install) when constructed.
"""

from __future__ import annotations

from typing import Any

from gpunet_ray.errors import BackendUnavailable, ConfigError

from .base import CLOCKS, Backend, cpu_name
from .onnxruntime_cpu import OnnxRuntimeCPU
from .synthetic import Synthetic
from .tensorrt import TensorRT, record_from_trtexec
from .torch_cpu import TorchCPU
from .torch_cuda import TorchCUDA

__all__ = [
    "Backend",
    "OnnxRuntimeCPU",
    "TorchCPU",
    "TorchCUDA",
    "TensorRT",
    "Synthetic",
    "record_from_trtexec",
    "get_backend",
    "backend_class",
    "backend_ref",
    "backend_help",
    "list_backends",
    "register_backend",
    "cpu_name",
    "CLOCKS",
    "DEFAULT_BACKEND",
    "ENTRY_POINT_GROUP",
]

DEFAULT_BACKEND = "onnxruntime-cpu"
ENTRY_POINT_GROUP = "gpunet_ray.latency_backends"

_BUILTIN: dict[str, type[Backend]] = {c.name: c for c in (OnnxRuntimeCPU, TorchCPU, TorchCUDA, TensorRT, Synthetic)}
_REGISTRY: dict[str, type[Backend]] = dict(_BUILTIN)


def _checked(cls: Any, what: str) -> type[Backend]:
    if not (isinstance(cls, type) and issubclass(cls, Backend)):
        raise ConfigError(f"latency backend {what}: a backend must subclass latency.Backend, got {cls!r}")
    return cls


def _entry_points() -> dict:
    """``{name: EntryPoint}`` of the group :data:`ENTRY_POINT_GROUP`."""
    from gpunet_ray.plugins import entry_points

    return entry_points(ENTRY_POINT_GROUP)


def _import_class(path: str) -> type[Backend]:
    """The class at ``"package.module:Qual.Name"``."""
    from gpunet_ray.plugins import import_object

    obj = import_object(path, "latency backend", "here and on every Ray node running latency actors")
    return _checked(obj, repr(path))


def _import_path(cls: type) -> str | None:
    """``"module:QualName"`` when another process can import ``cls`` by it, else ``None``."""
    if cls.__module__ == "__main__" or "<locals>" in cls.__qualname__:
        return None
    path = f"{cls.__module__}:{cls.__qualname__}"
    try:
        return path if _import_class(path) is cls else None
    except (ConfigError, BackendUnavailable):
        return None


def register_backend(name: str, cls: type[Backend]) -> None:
    """Make ``cls`` available as ``get_backend(name)``.

    The registration lives in this process; a :class:`~gpunet_ray.latency.LatencyService`
    started here hands its actors the class's import path (see :func:`backend_ref`).
    """
    if not isinstance(name, str) or not name or ":" in name:
        raise ConfigError(f"a latency backend name is a non-empty string without ':', got {name!r}")
    _REGISTRY[name] = _checked(cls, repr(name))


def list_backends() -> list[str]:
    """Registered names and entry-point names, sorted (import paths work as well)."""
    return sorted(set(_REGISTRY) | set(_entry_points()))


def backend_help(default: str = DEFAULT_BACKEND) -> str:
    """One line for a CLI's help: the names of :func:`list_backends` and the import-path form."""
    names = [f"{n} (default)" if n == default else n for n in list_backends()]
    return ", ".join(names) + ", or a Backend subclass as package.module:ClassName"


def backend_class(name: str | type[Backend] | Backend) -> type[Backend]:
    """The :class:`Backend` subclass for a registered name, an entry-point name or an import path
    ``"package.module:ClassName"`` (a class is returned as is, an instance gives its class).

    Raises :class:`ConfigError` for an unknown name or a bad path, :class:`BackendUnavailable`
    when the backend's module does not import (a missing dependency).
    """
    if isinstance(name, Backend):
        return type(name)
    if isinstance(name, type):
        return _checked(name, repr(name))
    if not isinstance(name, str):
        raise ConfigError(f"a latency backend is a name or 'package.module:ClassName', got {name!r}")
    if name in _REGISTRY:
        return _REGISTRY[name]
    if ":" in name:
        return _import_class(name)
    ep = _entry_points().get(name)
    if ep is None:
        raise ConfigError(f"unknown latency backend {name!r}; use one of {', '.join(list_backends())}, "
                          "or a Backend subclass as package.module:ClassName")
    try:
        cls = ep.load()
    except ImportError as exc:
        raise BackendUnavailable(f"latency backend {name!r} (entry point {ep.value}) does not import: {exc}") from None
    except AttributeError as exc:
        raise ConfigError(f"latency backend {name!r}: entry point {ep.value} names nothing ({exc})") from None
    return _checked(cls, f"{name!r} (entry point {ep.value})")


def backend_ref(name: str | type[Backend] | Backend) -> str | type[Backend] | Backend:
    """What another process (a Ray actor) needs to find the same backend class.

    Built-in names, import paths and entry-point names resolve the same way everywhere, so they
    are returned as they are; a class registered in this process (or passed as a class) becomes
    its import path, or the class itself (to be pickled) when it has none (``__main__``, locals);
    a ready instance is returned as it is (to be pickled).
    """
    if isinstance(name, Backend):
        return name
    cls = backend_class(name)
    if isinstance(name, str) and (_BUILTIN.get(name) is cls or name not in _REGISTRY):
        return name
    return _import_path(cls) or cls


def get_backend(name: str | type[Backend] | Backend = DEFAULT_BACKEND, **kwargs: Any) -> Backend:
    """A ready backend instance by name, import path or class (an instance is returned as is).

    Raises :class:`ConfigError` for an unknown name and :class:`BackendUnavailable` when the
    backend's dependency or device is missing (the message says what to install).
    """
    if isinstance(name, Backend):
        return name
    return backend_class(name)(**kwargs)
