"""ArchSpec: well-formedness, NVIDIA JSON and arch-string round trips, published parameter counts."""

import json

import pytest

from gpunet_ray.errors import InvalidArchitecture
from gpunet_ray.search_space import ArchSpec, Layer, arch_stats, load_arch_file
from gpunet_ray.search_space.presets import PRESETS, PUBLISHED, get_preset

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FIXTURE = ROOT / "tests" / "fixtures" / "distilled_grouped.json"


@pytest.mark.parametrize("n", [0, 1, 2])
def test_released_json_roundtrips_and_counts(shared_gpunet, n):
    raw = json.loads((shared_gpunet / f"GPUNet-{n}.json").read_text())
    spec = ArchSpec.from_gpunet_json(raw)
    assert spec.to_gpunet_json() == raw  # lossless, key for key
    assert ArchSpec.from_arch_string(spec.arch_string) == spec
    assert arch_stats(spec).params == PUBLISHED[f"gpunet-{n}"]["params"]
    assert get_preset(f"gpunet-{n}") == spec


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_params_match_published(name):
    spec = get_preset(name)
    assert arch_stats(spec).params == PUBLISHED[name]["params"]
    assert ArchSpec.from_gpunet_json(json.loads(spec.dumps())) == spec


def test_feature_map_sizes_follow_nvidia_padding(shared_gpunet):
    # Fused-IRB at stride 2 has no padding in NVIDIA's builder: 320 -> 160 -> 79 -> 39 -> 20 -> 10.
    spec = load_arch_file(shared_gpunet / "GPUNet-0.json")
    sizes = []
    for layer, st in zip(spec.layers, arch_stats(spec).layers):
        if layer.stride == 2 or layer.type == "head":
            sizes.append(st.out_hw)
    assert sizes == [160, 79, 39, 20, 10]


def test_distilled_grouped_fixture_loads_and_roundtrips():
    spec = load_arch_file(FIXTURE)
    assert spec.distill and spec.layers[0].type == "head_large"
    assert [layer.groups for layer in spec.layers[1:-1]] == [2, 1, 4, 2]
    assert ArchSpec.from_arch_string(spec.arch_string) == spec
    assert ArchSpec.from_gpunet_json(spec.to_gpunet_json()) == spec


def test_hash_is_stable_and_distinguishes():
    a, b = get_preset("gpunet-0"), get_preset("gpunet-1")
    assert a.hash == get_preset("gpunet-0").hash and len(a.hash) == 16
    assert a.hash != b.hash
    assert a.with_num_classes(10).hash != a.hash
    assert {a: 1}[get_preset("gpunet-0")] == 1  # hashable, equal by value


def _base():
    return [
        {"layer_type": "data", "img_resolution": 64, "distill": False},
        {"layer_type": "head", "num_in_channels": 3, "num_out_channels": 16},
        {"layer_type": "irb", "num_in_channels": 16, "num_out_channels": 24, "stride": 2, "expansion": 4,
         "kernel_size": 3, "act": "relu", "use_se": True, "stage": 4},
        {"layer_type": "tail", "num_in_channels": 24, "num_out_channels": 64, "num_classes": 10},
    ]


@pytest.mark.parametrize(
    "mutate, needle",
    [
        (lambda j: j[2].update(layer_type="mbconv"), "unknown layer_type 'mbconv'"),
        (lambda j: j[2].pop("num_out_channels"), "'num_out_channels' is missing"),
        (lambda j: j[2].update(num_out_channels=0), "num_out_channels must be a positive integer"),
        (lambda j: j[3].update(num_in_channels=32), "must chain"),
        (lambda j: j[2].update(stride=3), "stride must be 1 or 2"),
        (lambda j: j[2].update(kernel_size=4), "kernel_size must be an odd integer"),
        (lambda j: j[2].update(act="gelu"), "act must be one of"),
        (lambda j: j[2].update(expansion=-1), "expansion must be a positive number"),
        (lambda j: j[3].update(num_classes=0), "num_classes must be a positive integer"),
        (lambda j: j.pop(0), "first entry must be the 'data' layer"),
        (lambda j: j[2].pop("use_se"), "use_se"),
    ],
)
def test_malformed_architectures_raise_typed_error_naming_layer(mutate, needle):
    obj = _base()
    mutate(obj)
    with pytest.raises(InvalidArchitecture) as exc:
        ArchSpec.from_gpunet_json(obj)
    assert needle in str(exc.value)


def test_error_names_stage():
    obj = _base()
    obj[2]["kernel_size"] = 2
    with pytest.raises(InvalidArchitecture, match=r"layer 2 \(irb, stage 4\)"):
        ArchSpec.from_gpunet_json(obj)


def test_distilled_rules():
    obj = json.loads(FIXTURE.read_text())
    obj[2]["groups"] = 3  # does not divide 16
    with pytest.raises(InvalidArchitecture, match="groups 3 must divide"):
        ArchSpec.from_gpunet_json(obj)
    obj = json.loads(FIXTURE.read_text())
    obj[5]["expansion"] = 2.3  # 32 * 2.3 is not an integer
    with pytest.raises(InvalidArchitecture, match="must be an integer"):
        ArchSpec.from_gpunet_json(obj)
    plain = _base()
    plain[1]["layer_type"] = "head_large"
    with pytest.raises(InvalidArchitecture, match="only valid in distilled"):
        ArchSpec.from_gpunet_json(plain)


def test_malformed_arch_strings():
    for bad in ["", "r64i3", "x64i3:H_o8", "r64i3:Z_o8", "r64i3:H_q8", "r64i3:C_k3_s1_ar", "r64i3:H_o8*x"]:
        with pytest.raises(InvalidArchitecture):
            ArchSpec.from_arch_string(bad)


def test_spec_is_frozen():
    spec = get_preset("gpunet-0")
    with pytest.raises(AttributeError):
        spec.resolution = 10
    with pytest.raises(AttributeError):
        spec.layers[0].out_chs = 1


def test_vanishing_feature_map_is_reported():
    # Fused-IRB at stride 2 has no padding, so a 5x5 kernel shrinks the map until nothing is left.
    layers = [Layer("head", 3, 8)] + [
        Layer("fused_irb", 8, 8, stride=2, kernel=5, expansion=2, act="relu", use_se=False, stage=2) for _ in range(3)
    ] + [Layer("tail", 8, 16, num_classes=2)]
    with pytest.raises(InvalidArchitecture, match="vanishes"):
        arch_stats(ArchSpec(resolution=8, layers=tuple(layers)))


def test_one_as_spec_reads_every_form(tmp_path):
    from gpunet_ray.latency.measure import as_spec as measure_as_spec
    from gpunet_ray.search_space import as_spec
    from gpunet_ray.trainables.loop import as_spec as loop_as_spec

    assert measure_as_spec is as_spec and loop_as_spec is as_spec
    spec = get_preset("gpunet-1")
    (tmp_path / "a.json").write_text(spec.dumps())
    (tmp_path / "arch").write_text(spec.dumps())
    forms = [spec, spec.arch_string, f" {spec.arch_string}\n", spec.to_gpunet_json(), tuple(spec.to_gpunet_json()),
             spec.dumps(), tmp_path / "a.json", str(tmp_path / "a.json"), str(tmp_path / "arch")]
    for form in forms:
        assert as_spec(form) == spec
    with pytest.raises(InvalidArchitecture, match="cannot read an architecture from a int"):
        as_spec(3)
    with pytest.raises(InvalidArchitecture, match="does not exist"):
        as_spec(str(tmp_path / "missing.json"))
