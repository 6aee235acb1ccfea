"""``torch.hub`` entry points of gpunet_ray.

    import torch
    model = torch.hub.load("/path/to/gpunet_ray", "gpunet", "gpunet-0", source="local", weights="weights.pt")

``weights`` takes this project's ``weights.pt`` (``hub train``, ``hub import-nvidia``) or NVIDIA's GPUNet
checkpoint itself; files are read with ``torch.load(weights_only=True)``. Nothing is downloaded.
The package's other dependencies (``pip install -e .``) must be installed; a checkout that is not
installed works too, as long as they are.
"""

import importlib.util
import sys
from pathlib import Path

dependencies = ["torch"]

_ROOT = Path(__file__).resolve().parent
# The packages setup.cfg maps from folders outside gpunet_ray/ (its [options] package_dir).
_MAPPED = {"gpunet_ray.search_space": "search_space", "gpunet_ray.trainables": "trainables",
           "gpunet_ray.latency": "latency"}


def _ensure_importable() -> None:
    """Import gpunet_ray from this checkout when it is not installed (torch.hub only puts the
    checkout on ``sys.path``, which does not map ``search_space/`` to ``gpunet_ray.search_space``)."""
    import gpunet_ray

    for name, folder in _MAPPED.items():
        if name in sys.modules or importlib.util.find_spec(name) is not None:
            continue
        spec = importlib.util.spec_from_file_location(name, _ROOT / folder / "__init__.py",
                                                      submodule_search_locations=[str(_ROOT / folder)])
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        setattr(gpunet_ray, name.rsplit(".", 1)[1], module)
        spec.loader.exec_module(module)


def gpunet(name="gpunet-0", weights=None, num_classes=None, **kwargs):
    """A GPUNet ``nn.Module`` (training mode; call ``.eval()`` for inference).

    name: a preset (gpunet-0/1/2/p0/p1/d1/d2, in any case), an arch string, GPUNet JSON or a ``.json`` file.
    weights: a weights file (None: randomly initialised). num_classes: the classifier size (default:
    the architecture's or the weights'; a different one starts a new classifier).
    Other keyword arguments go to :func:`gpunet_ray.create_model` (``drop_path_rate``).
    """
    _ensure_importable()
    from gpunet_ray.models import create_model

    return create_model(name, weights=weights, num_classes=num_classes, **kwargs)
