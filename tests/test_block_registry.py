"""The block registry: a block type declared once (one class + one registration) works everywhere.

A toy residual KxK conv block (``res_conv``, token code ``R``) is registered from this test and
goes through the whole pipeline: a YAML search space that uses it, seeded sampling and the real
LA-MCTS core (ask/tell on the parameter count), arch string and NVIDIA JSON round trips, checks,
the torch module (forward, parameter and MAC counts against ``arch_stats``), ONNX export timed by
the onnxruntime-cpu backend, the latency predictor's features, size limits and the baselines. The
type is unregistered afterwards, so no other test sees it.
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from gpunet_ray.errors import ConfigError, InvalidArchitecture
from gpunet_ray.search_space import ArchSpec, SearchSpace, arch_stats, get_space
from gpunet_ray.search_space.blocks import (
    BlockType,
    Counter,
    check_act,
    check_stride_kernel,
    get_block,
    list_blocks,
    out_size,
    register_block,
    unregister_block,
)

pytestmark = pytest.mark.timeout(300)

BUILTIN = ("head", "head_large", "conv", "fused_irb", "irb", "tail")


class ResConv(BlockType):
    """KxK conv (strided), BN, activation, plus the input when the shape is kept (ResNet-style)."""

    name = "res_conv"
    code = "R"
    title = "residual conv"
    fields = ("stride", "kernel", "act", "stage")
    required = ("num_in_channels", "num_out_channels", "stride", "kernel_size")
    stage_dims = ("kernel", "act")
    feature_kind = "conv"

    def check(self, layer, where, index, n_layers, distill):
        check_stride_kernel(layer, where)
        check_act(layer, where)

    def stats(self, layer, hw, distill):
        c = Counter()
        hw = out_size(hw, layer.kernel, layer.stride, layer.kernel // 2)
        c.conv(layer.in_chs, layer.out_chs, layer.kernel, hw)
        return c.params, c.macs, hw, layer.out_chs * hw * hw

    def build(self, layer, distill, drop_path):
        from torch import nn

        class ResConvModule(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.conv = nn.Conv2d(layer.in_chs, layer.out_chs, layer.kernel, layer.stride, layer.kernel // 2,
                                      bias=False)
                self.bn = nn.BatchNorm2d(layer.out_chs)
                self.act = nn.SiLU() if layer.act == "swish" else nn.ReLU()
                self.has_residual = layer.stride == 1 and layer.in_chs == layer.out_chs

            def forward(self, x):
                y = self.act(self.bn(self.conv(x)))
                return y + x if self.has_residual else y

        return ResConvModule()


SPACE = {
    "name": "toy",
    "resolutions": [32, 48],
    "tail_channels": 64,
    "num_classes": 10,
    "stages": [
        {"block": "conv", "stride": 2, "depths": [1], "filters": [8, 16]},
        {"block": "res_conv", "stride": 1, "depths": [1, 2, 3], "filters": [8, 16], "kernels": [3, 5]},
        {"block": "res_conv", "stride": 2, "depths": [1, 2], "filters": [16, 24], "acts": ["relu", "swish"]},
        {"block": "irb", "stride": 2, "depths": [0, 1], "filters": [24, 32], "expansions": [2, 4]},
    ],
}


@pytest.fixture(scope="class")
def toy_space(tmp_path_factory):
    register_block(ResConv)
    try:
        p = tmp_path_factory.mktemp("space") / "toy.yaml"
        p.write_text(yaml.safe_dump(SPACE))
        yield get_space(str(p))
    finally:
        unregister_block("res_conv")


def _toy_layers(spec: ArchSpec) -> list:
    return [layer for layer in spec.layers if layer.type == "res_conv"]


class TestToyBlock:
    """The toy type, registered for the tests of this class only (class-scoped fixture)."""

    def test_the_space_uses_the_block_and_views_round_trip(self, toy_space):
        from gpunet_ray.search_space import LAYER_TYPES

        assert LAYER_TYPES == BUILTIN + ("res_conv",)
        names = [d.name for d in toy_space.all_dims]
        assert "s1_kernel" in names and "s1_act" in names and "s1_expansion" not in names and "s1_se" not in names
        specs = toy_space.sample(np.random.default_rng(0), 20)
        assert len({s.hash for s in specs}) > 10
        for spec in specs:
            assert _toy_layers(spec) and "|R_k" in spec.arch_string
            assert ArchSpec.from_arch_string(spec.arch_string) == spec
            obj = spec.to_gpunet_json()
            assert ArchSpec.from_gpunet_json(obj) == spec
            entry = next(e for e in obj if e["layer_type"] == "res_conv")
            assert set(entry) == {"layer_type", "num_in_channels", "num_out_channels", "stride", "kernel_size", "act",
                                  "stage"}
            assert toy_space.decode(toy_space.encode(spec)) == spec
            assert toy_space.from_config(toy_space.to_config(spec)) == spec
            toy_space.validate(spec)
        assert toy_space.mutate(specs[0], np.random.default_rng(1)) in toy_space.neighbours(specs[0])


    def test_json_keys_and_checks_come_from_the_declaration(self, toy_space):
        obj = toy_space.sample(np.random.default_rng(2), 1)[0].to_gpunet_json()
        i = next(i for i, e in enumerate(obj) if e["layer_type"] == "res_conv")
        obj[i]["expansion"] = 3  # not a res_conv key: dropped on reading
        assert ArchSpec.from_gpunet_json(obj).layers[i - 1].expansion is None
        obj[i]["kernel_size"] = 4
        with pytest.raises(InvalidArchitecture, match=rf"layer {i} \(res_conv, stage 1\): kernel_size must be an odd"):
            ArchSpec.from_gpunet_json(obj)
        del obj[i]["kernel_size"]
        with pytest.raises(InvalidArchitecture, match="required key 'kernel_size' is missing"):
            ArchSpec.from_gpunet_json(obj)


    def test_lamcts_searches_a_space_with_the_block(self, toy_space):
        from gpunet_ray.searchers import get_optimizer

        opt = get_optimizer("lamcts", toy_space, seed=0, maximize=False, n_init=6, n_candidates=200)
        seen = []
        for _ in range(3):
            for cfg in opt.ask(3):
                spec = toy_space.from_config(cfg)
                seen.append(spec)
                opt.tell(cfg, arch_stats(spec).params)
        assert len(seen) == 9 and all(_toy_layers(s) for s in seen)


    def test_builder_onnx_and_latency_backend(self, toy_space, tmp_path):
        import onnxruntime as ort
        import torch

        from gpunet_ray.latency import TimingPolicy, get_backend
        from gpunet_ray.search_space.builder import build_model, count_macs, count_params, export_onnx
        from gpunet_ray.search_space.stats import check_size

        spec = next(s for s in toy_space.sample(np.random.default_rng(3), 20)
                    if any(layer.stride == 1 and layer.in_chs == layer.out_chs for layer in _toy_layers(s)))
        st = arch_stats(spec)
        model = build_model(spec).eval()
        assert count_params(model) == st.params and count_macs(model) == st.macs
        assert any(getattr(m, "has_residual", False) for m in model)
        x = torch.randn(2, 3, spec.resolution, spec.resolution)
        with torch.no_grad():
            want = model(x[:1]).numpy()
            assert model(x).shape == (2, 10)
        check_size(spec, batch=1)
        path = export_onnx(model, tmp_path / "toy.onnx")
        sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        np.testing.assert_allclose(sess.run(None, {"input": x[:1].numpy()})[0], want, rtol=1e-4, atol=1e-4)
        rec = get_backend("onnxruntime-cpu").measure(spec, TimingPolicy(warmup=2, warmup_s=0.0, min_time_s=0.0,
                                                                        repeats=5))
        assert rec.arch_hash == spec.hash and rec.n == 5 and rec.median_ms > 0


    def test_predictor_features_and_baselines(self, toy_space):
        from gpunet_ray.baselines import FAMILIES, baseline_family
        from gpunet_ray.latency.predictor import LatencyPredictor, arch_features, feature_names

        specs = toy_space.sample(np.random.default_rng(4), 12)
        names = feature_names()
        for spec in specs:
            f = arch_features(spec)
            assert f.shape == (len(names),) and np.all(np.isfinite(f))
            # the stem conv is the "stem" group; every res_conv layer adds to the "conv" group
            assert f[names.index("conv_count")] == len(_toy_layers(spec))
        y = [1.0 + arch_stats(s).macs / 1e6 for s in specs]
        pred = LatencyPredictor(model="ridge").fit(specs, y)
        assert pred.predict(specs[:2]).shape == (2,)
        for family in FAMILIES:
            members = baseline_family(toy_space, family, steps=3)
            assert members and all(_toy_layers(s) for _, s in members)


def test_registration_is_validated_and_undone():
    class Bad(ResConv):
        name = "bad"

    with pytest.raises(ConfigError, match="already registered"):
        register_block(get_block("irb").__class__)
    with pytest.raises(ConfigError, match="code 'I' is taken by 'irb'"):
        register_block(type("X", (ResConv,), {"name": "x", "code": "I"}))
    with pytest.raises(ConfigError, match="role"):
        register_block(type("X", (ResConv,), {"name": "x", "code": "X", "role": "middle"}))
    with pytest.raises(ConfigError, match="stage_dims"):
        register_block(type("X", (ResConv,), {"name": "x", "code": "X", "stage_dims": ("groups",)}))
    with pytest.raises(ConfigError, match="feature_kind"):
        register_block(type("X", (ResConv,), {"name": "x", "code": "X", "feature_kind": "lstm"}))
    with pytest.raises(ConfigError, match="code"):
        register_block(type("X", (ResConv,), {"name": "x", "code": "r"}))
    assert list_blocks() == BUILTIN
    register_block(Bad)
    try:
        spec = ArchSpec.from_arch_string("r32i3:C_k3_s2_o8_ar_t0|R_k3_s1_o8_ar_t1|T_o16_n2")
        assert spec.layers[1].type == "bad"
    finally:
        unregister_block("bad")
    assert list_blocks() == BUILTIN
    with pytest.raises(InvalidArchitecture, match="unknown layer code 'R'"):
        ArchSpec.from_arch_string("r32i3:C_k3_s2_o8_ar_t0|R_k3_s1_o8_ar_t1|T_o16_n2")
    with pytest.raises(ConfigError, match="stage block must be one of"):
        SearchSpace.from_dict(SPACE)
