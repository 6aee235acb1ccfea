"""Model builder: exact parameter counts, MACs, forward shapes, ONNX equivalence."""

from pathlib import Path

import numpy as np
import pytest
import torch

from gpunet_ray.search_space import arch_stats, get_space, load_arch_file
from gpunet_ray.search_space.builder import build_model, count_macs, count_params, export_onnx
from gpunet_ray.search_space.presets import PUBLISHED, get_preset

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "distilled_grouped.json"


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_torch_parameter_counts_match_published(name):
    model = build_model(get_preset(name))
    assert count_params(model) == PUBLISHED[name]["params"]


@pytest.mark.parametrize("n", [0, 1, 2])
def test_released_json_builds_with_published_count(shared_gpunet, n):
    spec = load_arch_file(shared_gpunet / f"GPUNet-{n}.json")
    assert count_params(build_model(spec)) == PUBLISHED[f"gpunet-{n}"]["params"]


def test_macs_agree_with_pure_python_stats_and_forward_shapes():
    specs = [get_preset("gpunet-1"), get_preset("gpunet-d1").with_resolution(128)]
    specs += get_space("tiny").sample(np.random.default_rng(0), 5)
    from gpunet_ray.search_space import ArchSpec

    specs.append(ArchSpec.from_gpunet_json(FIXTURE.read_text()))
    for spec in specs:
        model = build_model(spec).eval()
        assert count_macs(model) == arch_stats(spec).macs
        assert count_params(model) == arch_stats(spec).params
        with torch.no_grad():
            out = model(torch.randn(2, 3, spec.resolution, spec.resolution))
        assert out.shape == (2, spec.num_classes)


def test_num_classes_override_and_residuals():
    spec = get_preset("gpunet-0")
    model = build_model(spec, num_classes=10)
    assert model[-1].fc.out_features == 10
    residual = [m.has_residual for m in model if hasattr(m, "has_residual")]
    expected = [layer.stride == 1 and layer.in_chs == layer.out_chs
                for layer in spec.layers if layer.type in ("irb", "fused_irb")]
    assert residual == expected and any(residual) and not all(residual)


def test_drop_path_only_in_training():
    spec = get_space("tiny").sample(np.random.default_rng(2), 1)[0]
    model = build_model(spec, drop_path_rate=0.5)
    x = torch.randn(4, 3, spec.resolution, spec.resolution)
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(x), model(x))


@pytest.mark.parametrize("fp16", [False, True])
def test_onnx_matches_torch(tmp_path, fp16):
    import onnx
    import onnxruntime as ort

    spec = get_space("tiny").with_num_classes(10).sample(np.random.default_rng(7), 1)[0]
    torch.manual_seed(0)
    model = build_model(spec).eval()
    for m in model.modules():  # non-trivial BN statistics
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    path = export_onnx(model, tmp_path / "m.onnx", fp16=fp16)
    graph = onnx.load(str(path))
    assert graph.opset_import[0].version == 17
    dims = [d.dim_value for d in graph.graph.input[0].type.tensor_type.shape.dim]
    assert dims == [1, 3, spec.resolution, spec.resolution]
    x = torch.randn(1, 3, spec.resolution, spec.resolution)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feed = x.half().numpy() if fp16 else x.numpy()
    got = sess.run(None, {"input": feed})[0].astype(np.float32)
    with torch.no_grad():
        want = model.float()(x).numpy()
    tol = 5e-2 if fp16 else 1e-4
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    assert not list(tmp_path.glob("*.part"))
