"""Search spaces: membership, encodings, seeded sampling, neighbourhoods, YAML definitions."""

import numpy as np
import pytest

from gpunet_ray.errors import ConfigError, InvalidArchitecture
from gpunet_ray.search_space import ArchSpec, SearchSpace, get_space, load_arch_file, load_space
from gpunet_ray.search_space.presets import get_preset


@pytest.fixture(params=["gpunet", "tiny"])
def space(request):
    return get_space(request.param)


def test_published_gpunet_space_table():
    sp = get_space("gpunet")
    assert [st.block for st in sp.stages] == ["conv", "conv", "fused_irb", "fused_irb", "irb", "irb", "irb", "irb"]
    assert [st.stride for st in sp.stages] == [2, 1, 2, 2, 2, 1, 2, 1]
    assert [(min(st.depths), max(st.depths)) for st in sp.stages] == [
        (1, 1), (1, 4), (1, 8), (1, 8), (1, 10), (0, 15), (1, 15), (0, 15)]
    assert [(st.filters[0], st.filters[-1], st.filters[1] - st.filters[0]) for st in sp.stages] == [
        (24, 32, 8), (24, 32, 8), (32, 80, 16), (48, 112, 16), (96, 192, 16), (112, 224, 16), (128, 416, 32),
        (256, 832, 64)]
    assert all(st.expansions == (2, 3, 4, 5, 6) and st.kernels == (3, 5) for st in sp.stages[2:])
    assert sp.resolutions == tuple(range(224, 513, 32))


def test_roundtrips_for_sampled_specs(space):
    rng = np.random.default_rng(0)
    for spec in space.sample(rng, 100):
        x = space.encode(spec)
        assert x.shape == (space.ndim,) and np.all((x > 0) & (x < 1))
        assert space.decode(x) == spec
        assert space.from_config(space.to_config(spec)) == spec
        assert ArchSpec.from_arch_string(spec.arch_string) == spec
        assert ArchSpec.from_gpunet_json(spec.to_gpunet_json()) == spec
        space.validate(spec)


def test_every_choice_of_every_dim_roundtrips_exactly(space):
    rng = np.random.default_rng(1)
    base = space.sample_configs(rng, 1)[0]
    for d in space.dims:
        for v in d.choices:
            assert d.decode(d.encode(v)) == v
            # bin edges decode to the right neighbours
            i = d.choices.index(v)
            assert d.decode(i / d.n + 1e-9) == v and d.decode((i + 1) / d.n - 1e-9) == v
        cfg = {**base, d.name: d.choices[-1]}
        assert space.vector_to_config(space.config_to_vector(cfg)) == cfg
    assert space.dims[0].decode(1.0) == space.dims[0].choices[-1]  # closed upper edge


def test_sampling_is_seeded_and_uniformish():
    sp = get_space("tiny")
    a = sp.sample(np.random.default_rng(42), 20)
    b = sp.sample(np.random.default_rng(42), 20)
    c = sp.sample(np.random.default_rng(43), 20)
    assert a == b and a != c
    res = [s.resolution for s in sp.sample(np.random.default_rng(0), 2000)]
    counts = np.bincount([sp.resolutions.index(r) for r in res])
    assert counts.min() > 0.8 * 2000 / len(sp.resolutions)


def test_skipped_stage_and_canonical_config():
    sp = get_space("gpunet")
    cfg = sp.sample_configs(np.random.default_rng(3), 1)[0]
    cfg.update(s5_depth=0, s5_kernel=5)
    spec = sp.from_config(cfg)
    assert 5 not in spec.stages()
    cfg2 = {**cfg, "s5_kernel": 3, "s5_filters": 224}
    assert sp.from_config(cfg2) == spec
    assert sp.canonical_config(cfg) == sp.canonical_config(cfg2)


def test_neighbours_and_mutation_move_one_step():
    sp = get_space("tiny")
    rng = np.random.default_rng(5)
    spec = sp.sample(rng, 1)[0]
    x = sp.encode(spec)
    nbrs = sp.neighbours(spec)
    assert nbrs and spec not in nbrs and len(set(nbrs)) == len(nbrs)
    for n in nbrs:
        assert np.count_nonzero(~np.isclose(sp.encode(n), x)) >= 1
        sp.validate(n)
    m = sp.mutate(spec, rng)
    assert m != spec and m in nbrs
    assert sp.mutate(spec, np.random.default_rng(9), n_changes=3) != spec


def test_membership_is_separate_from_well_formedness(shared_gpunet):
    sp = get_space("gpunet")
    g0 = load_arch_file(shared_gpunet / "GPUNet-0.json")  # well-formed, but stage 4 has 256 filters
    with pytest.raises(InvalidArchitecture, match=r"stage 4 \(irb\): filters 256 is outside the choices 96..192"):
        sp.validate(g0)
    sp.validate(load_arch_file(shared_gpunet / "GPUNet-2.json"))  # the head counts as a 3x3 conv stem
    assert not sp.contains(get_preset("gpunet-d1"))


@pytest.mark.parametrize(
    "change, needle",
    [
        ({"resolution": 100}, "resolution=100 is outside"),
        ({"s4_filters": 256}, "s4_filters=256 is outside"),
        ({"s2_expansion": 7}, "s2_expansion=7 is outside"),
    ],
)
def test_out_of_space_configs(change, needle):
    sp = get_space("gpunet")
    cfg = {**sp.sample_configs(np.random.default_rng(0), 1)[0], **change}
    with pytest.raises(InvalidArchitecture, match=needle):
        sp.from_config(cfg)


def test_mixed_settings_within_a_stage_are_rejected():
    sp = get_space("tiny")
    cfg = sp.sample_configs(np.random.default_rng(0), 1)[0]
    cfg.update(s4_depth=2)
    spec = sp.from_config(cfg)
    layers = list(spec.layers)
    i = next(i for i, layer in enumerate(layers) if layer.stage == 4 and layer.stride == 1)
    layers[i] = layers[i].__class__(**{**layers[i].__dict__, "kernel": 5 if layers[i].kernel == 3 else 3})
    with pytest.raises(InvalidArchitecture, match="share one setting"):
        sp.validate(ArchSpec(resolution=spec.resolution, layers=tuple(layers)))


def test_space_yaml_roundtrip(tmp_path):
    import yaml

    sp = get_space("tiny")
    p = tmp_path / "mine.yaml"
    p.write_text(yaml.safe_dump(sp.to_dict()))
    assert get_space(str(p)) == sp
    custom = {
        "name": "custom",
        "resolutions": [32, 48],
        "tail_channels": 64,
        "num_classes": 10,
        "stages": [
            {"block": "conv", "stride": 2, "depths": [1], "filters": {"min": 8, "max": 16, "step": 8}},
            {"block": "irb", "stride": 2, "depths": {"min": 1, "max": 3}, "filters": [16, 24],
             "expansions": [2, 4]},
        ],
    }
    p.write_text(yaml.safe_dump(custom))
    csp = load_space(p)
    assert csp.stages[0].filters == (8, 16) and csp.stages[1].depths == (1, 2, 3)
    spec = csp.sample(np.random.default_rng(0), 1)[0]
    assert spec.num_classes == 10 and csp.decode(csp.encode(spec)) == spec


def test_bad_space_definitions():
    with pytest.raises(ConfigError, match="unknown space"):
        get_space("huge")
    with pytest.raises(ConfigError):
        SearchSpace.from_dict({"name": "x", "resolutions": [32], "stages": [{"block": "lstm", "stride": 1}]})
