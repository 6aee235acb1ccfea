"""Models as a library: ``gpunet_ray.create_model`` (presets, arch JSON/strings, weights in every accepted
form), ``load_model`` (hub tiers trained by ``hub train``, ``import-nvidia`` folders) and ``hubconf.py``
through ``torch.hub.load(..., source="local")`` (no network)."""

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

import gpunet_ray  # noqa: E402
from gpunet_ray import ConfigError, create_model, load_model  # noqa: E402
from gpunet_ray.hub import HUB_COLUMNS, write_hub  # noqa: E402
from gpunet_ray.models import list_models, preset_name  # noqa: E402
from gpunet_ray.search_space import ArchSpec  # noqa: E402
from gpunet_ray.search_space.builder import build_model, count_params  # noqa: E402
from nvidia_ckpt import SMALL, nvidia_layout, random_state, timm_checkpoint  # noqa: E402

pytestmark = pytest.mark.timeout(120)
ROOT = Path(__file__).resolve().parents[1]
SPEC = ArchSpec.from_gpunet_json(SMALL)
X = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))


def logits(model, x=X):
    with torch.no_grad():
        return model.eval()(x)


def reference(state, spec=SPEC):
    m = build_model(spec)
    m.load_state_dict(state)
    return logits(m)


def test_import_gpunet_ray_stays_light():
    code = "import sys, gpunet_ray; gpunet_ray.create_model; gpunet_ray.load_model; print('torch' in sys.modules)"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and res.stdout.strip() == "False", res.stderr


def test_preset_names():
    assert preset_name("GPUNet-0") == preset_name("gpunet0") == preset_name("gpunet_0") == "gpunet-0"
    assert preset_name("GPUNet-P1") == "gpunet-p1" and preset_name("gpunet-d2") == "gpunet-d2"
    assert preset_name("gpunet-9") is None
    released = {"gpunet-0", "gpunet-1", "gpunet-2", "gpunet-p0", "gpunet-p1", "gpunet-d1", "gpunet-d2"}
    assert released <= set(list_models())
    with pytest.raises(ConfigError, match="unknown model 'resnet50'"):
        create_model("resnet50")


def test_create_model_from_preset_and_every_arch_form(tmp_path):
    d1 = create_model("GPUNet-D1")
    assert count_params(d1) == 10_589_859 and d1.training and d1.resolution == 456
    path = tmp_path / "small.json"
    path.write_text(json.dumps(SMALL))
    for arch in (path, str(path), json.dumps(SMALL), SMALL, SPEC.arch_string, SPEC):
        m = create_model(arch)
        assert m.spec == SPEC
    m = create_model(SPEC, num_classes=3)
    assert m.spec.num_classes == 3 and logits(m).shape == (2, 3)
    with pytest.raises(ConfigError, match="num_classes"):
        create_model(SPEC, num_classes=0)


def test_create_model_with_weights_in_every_form(tmp_path):
    raw, ema = random_state(SPEC, 1), random_state(SPEC, 2)
    plain, ours_ck, nv_ck, nv_plain = (tmp_path / n for n in ("w.pt", "state.pt", "nv.pth", "nvp.pth"))
    torch.save(ema, plain)
    torch.save({"format": 1, "model": raw, "ema": ema, "epoch": 3}, ours_ck)  # trainables' checkpoint
    torch.save(timm_checkpoint(SPEC, raw, ema), nv_ck)
    torch.save(nvidia_layout(SPEC, ema), nv_plain)
    want = reference(ema)
    for w in (plain, ours_ck, nv_ck, nv_plain, str(plain)):
        assert torch.equal(logits(create_model(SPEC, weights=w)), want), w
    # the weights fix the classifier size; another num_classes keeps the rest and starts a new classifier
    ten = create_model(SPEC.with_num_classes(1000), weights=plain)
    assert ten.spec.num_classes == 10 and torch.equal(logits(ten), want)
    three = create_model(SPEC, weights=plain, num_classes=3)
    assert three.spec.num_classes == 3 and three.training
    sd3 = three.state_dict()
    assert all(torch.equal(sd3[k], v) for k, v in ema.items() if not k.startswith("6.fc."))
    assert create_model(SPEC, weights=plain, drop_path_rate=0.1)[5].drop_path > 0


def test_create_model_refuses_weights_that_do_not_fit(tmp_path):
    bad = random_state(SPEC, 3)
    bad["4.conv_dw.weight"] = torch.zeros(72, 1, 3, 3)
    torch.save(bad, tmp_path / "bad.pt")
    with pytest.raises(ConfigError, match=r"'4.conv_dw.weight' expected shape \(72, 1, 5, 5\), got \(72, 1, 3, 3\)"):
        create_model(SPEC, weights=tmp_path / "bad.pt")
    with pytest.raises(ConfigError, match="does not fit gpunet-0"):
        create_model("gpunet-0", weights=tmp_path / "bad.pt")
    with pytest.raises(ConfigError, match="does not exist"):
        create_model(SPEC, weights=tmp_path / "none.pt")


def _fake_hub(tmp_path) -> Path:
    """A hub of two tiers as a search writes it (hub.parquet, models/<tier>/arch.json); only the faster
    tier has been through ``hub train`` (models/<tier>/final/{arch.json,weights.pt}, dataset classes)."""
    import pandas as pd

    fast, slow = SPEC, SPEC.with_resolution(96)
    rows = []
    for spec, budget, top1, lat in ((fast, 0.5, 90.0, 0.4), (slow, 1.0, 95.0, 0.9)):
        tier = f"{budget:g}ms-b1-onnxruntime-cpu-x"
        rows.append({"tier": tier, "budget_ms": budget, "batch": 1, "backend": "onnxruntime-cpu", "device": "x",
                     "arch": spec.arch_string, "hash": spec.hash, "top1": top1, "latency_ms": lat,
                     "latency_p90_ms": lat, "params": 1, "macs": 1, "resolution": spec.resolution,
                     "baseline": None, "baseline_top1": math.nan, "baseline_latency_ms": math.nan,
                     "arch_json": f"models/{tier}/arch.json", "onnx": f"models/{tier}/model.onnx"})
    hub = tmp_path / "hub"
    write_hub(pd.DataFrame(rows, columns=HUB_COLUMNS), hub, export_models=False)
    for r in rows:
        (hub / "models" / r["tier"]).mkdir(parents=True)
        (hub / "models" / r["tier"] / "arch.json").write_text(ArchSpec.from_arch_string(r["arch"]).dumps())
    final = hub / "models" / rows[0]["tier"] / "final"
    final.mkdir()
    (final / "arch.json").write_text(json.dumps(fast.to_gpunet_json(), indent=1))
    torch.save(random_state(fast, 4), final / "weights.pt")
    return hub


def test_load_model_from_a_hub(tmp_path):
    hub = _fake_hub(tmp_path)
    want = reference(random_state(SPEC, 4))
    for kw in ({"tier": "0.5ms-b1-onnxruntime-cpu-x"}, {"budget_ms": 0.6}):
        m = load_model(hub, **kw)
        assert not m.training and torch.equal(logits(m), want)
    assert gpunet_ray.load_model is load_model
    with pytest.raises(ConfigError, match=r"has 2 tiers; pass tier= \(one of 0.5ms-b1-onnxruntime-cpu-x, 1ms"):
        load_model(hub)
    with pytest.raises(ConfigError, match="python -m gpunet_ray.hub train --hub .* --tier 1ms-b1-onnxruntime-cpu-x"):
        load_model(hub, budget_ms=2.0)  # the most accurate tier under 2 ms is not trained yet
    with pytest.raises(ConfigError, match="no tier 'nope'"):
        load_model(hub, tier="nope")
    with pytest.raises(ConfigError, match="neither a hub"):
        load_model(tmp_path)
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "arch.json").write_text(SPEC.dumps())
    with pytest.raises(ConfigError, match="no weights.pt; train it"):
        load_model(tmp_path / "m")


def test_load_model_from_an_import_nvidia_folder(tmp_path):
    from gpunet_ray.nvidia import import_nvidia

    ema = random_state(SPEC, 5)
    torch.save(timm_checkpoint(SPEC, random_state(SPEC, 6), ema), tmp_path / "ck.pth")
    import_nvidia(tmp_path / "ck.pth", SPEC, tmp_path / "imported")
    m = load_model(tmp_path / "imported")
    assert not m.training and torch.equal(logits(m), reference(ema))


def test_torch_hub_local(tmp_path):
    ema = random_state(SPEC, 7)
    torch.save(timm_checkpoint(SPEC, random_state(SPEC, 8), ema), tmp_path / "nv.pth")
    m = torch.hub.load(str(ROOT), "gpunet", SPEC.arch_string, source="local", weights=str(tmp_path / "nv.pth"))
    assert torch.equal(logits(m), reference(ema))
    g0 = torch.hub.load(str(ROOT), "gpunet", "gpunet-0", source="local")
    assert count_params(g0) == 11_885_432


def test_torch_hub_local_from_a_checkout_that_is_not_installed(tmp_path):
    """Without the editable install's finder, hubconf maps search_space/ etc. into gpunet_ray itself."""
    torch.save(random_state(SPEC, 9), tmp_path / "w.pt")
    code = f"""
import sys
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in getattr(f, "__module__", "")
                    and "editable" not in getattr(f, "__name__", "")]
import torch
m = torch.hub.load({str(ROOT)!r}, "gpunet", {SPEC.arch_string!r}, source="local", weights={str(tmp_path / "w.pt")!r})
import gpunet_ray.search_space as s
print(type(m).__name__, s.__file__)
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["GPUNet", str(ROOT / "search_space" / "__init__.py")]
