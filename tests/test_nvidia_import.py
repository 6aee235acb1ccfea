"""``python -m gpunet_ray.hub import-nvidia``: checkpoints generated here in NVIDIA's key layout (the timm
training checkpoint and the plain state_dict), logits reproduced bitwise, EMA preferred, misfits and pickled
code refused with one line and nothing written."""

import hashlib
import json
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")

from gpunet_ray.cli import run_cli  # noqa: E402
from gpunet_ray.hub import main as hub_main  # noqa: E402
from gpunet_ray.nvidia import nvidia_key_map  # noqa: E402
from gpunet_ray.search_space import load_arch_file  # noqa: E402
from gpunet_ray.search_space.builder import build_model  # noqa: E402
from gpunet_ray.search_space.presets import get_preset  # noqa: E402
from nvidia_ckpt import SMALL, SMALL_D, nvidia_layout, random_state, timm_checkpoint  # noqa: E402

pytestmark = pytest.mark.timeout(120)


def logits(spec, state, x):
    m = build_model(spec)
    m.load_state_dict(state, strict=True)
    with torch.no_grad():
        return m.eval()(x)


def imported_logits(out, x):
    spec = load_arch_file(out / "arch.json")
    return logits(spec, torch.load(out / "weights.pt", map_location="cpu", weights_only=True), x)


def run_hub(capsys, *args):
    rc = run_cli(hub_main, [str(a) for a in args], prog="python -m gpunet_ray.hub")
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def assert_refused(rc, err, out_dir, *needles):
    assert rc == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for n in needles:
        assert n in lines[0], lines[0]
    assert not out_dir.exists()
    assert not [p for p in out_dir.parent.iterdir() if ".partial" in p.name]


@pytest.fixture
def small(tmp_path):
    path = tmp_path / "small.json"
    path.write_text(json.dumps(SMALL))
    return path, load_arch_file(path)


def test_key_map_names_nvidias_modules():
    g0, d1 = get_preset("gpunet-0"), get_preset("gpunet-d1")
    k0 = set(nvidia_key_map(g0, build_model(g0).state_dict()).values())
    assert {"network.head: 2.net.0.weight", "network.head: 2.net.1.running_var",
            "network.stage: 1 layer3.conv.weight", "network.stage: 1 layer3.bn1.bias",
            "network.stage: 2 layer5.conv_exp.weight", "network.stage: 6 layer13.se.conv_reduce.bias",
            "network. layer15.net.6.weight"} <= k0
    kd = set(nvidia_key_map(d1, build_model(d1).state_dict()).values())
    assert {"network.head:.net.0.weight", "network.stage: 0 irb3.body.0.weight",
            "network.tail:.net.4.weight", "network.tail:.net.8.bias"} <= kd


@pytest.mark.parametrize("name", ["gpunet-0", "gpunet-1", "gpunet-2", "gpunet-p0", "gpunet-p1", "gpunet-d1",
                                  "gpunet-d2"])
def test_key_map_agrees_with_nvidias_layout_for_every_release(name):
    spec = get_preset(name)
    sd = build_model(spec).state_dict()
    assert list(nvidia_key_map(spec, sd).values()) == list(nvidia_layout(spec, sd))


def test_timm_checkpoint_imports_ema_weights_with_identical_logits(tmp_path, small, capsys):
    arch, spec = small
    raw, ema = random_state(spec, 1), random_state(spec, 2)
    ck = tmp_path / "gpunet_small.pth.tar"
    torch.save(timm_checkpoint(spec, raw, ema), ck)
    out = tmp_path / "imported"
    rc, stdout, err = run_hub(capsys, "import-nvidia", ck, "--arch", arch, "--out", out)
    assert rc == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["arch.json", "metrics.json", "model.onnx", "weights.pt"]
    assert load_arch_file(out / "arch.json") == spec
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    got = imported_logits(out, x)
    assert torch.equal(got, logits(spec, ema, x))  # bitwise: NVIDIA evaluates the EMA weights
    assert not torch.allclose(got, logits(spec, raw, x))
    m = json.loads((out / "metrics.json").read_text())
    assert m["weights"] == "ema" and m["checkpoint_key"] == "state_dict_ema" and m["epoch"] == 449
    assert m["tensors"] == len(ema) and m["source"] == str(ck.resolve())
    assert m["sha256"] == hashlib.sha256(ck.read_bytes()).hexdigest()
    assert m["params"] == sum(v.numel() for k, v in ema.items() if "running" not in k and "num_batches" not in k)
    assert "ema weights" in stdout
    ort = pytest.importorskip("onnxruntime")
    sess = ort.InferenceSession(str(out / "model.onnx"), providers=["CPUExecutionProvider"])
    onnx_out = sess.run(None, {"input": x[:1].numpy()})[0]
    assert abs(onnx_out - got[:1].numpy()).max() < 1e-4


def test_raw_flag_and_checkpoint_without_ema(tmp_path, small, capsys):
    arch, spec = small
    raw, ema = random_state(spec, 3), random_state(spec, 4)
    x = torch.randn(1, 3, 64, 64)
    both, only_raw = tmp_path / "both.pth", tmp_path / "raw.pth"
    torch.save(timm_checkpoint(spec, raw, ema), both)
    torch.save(timm_checkpoint(spec, raw, None), only_raw)
    for ck, flags, name in ((both, ["--raw"], "a"), (only_raw, [], "b")):
        rc, _, err = run_hub(capsys, "import-nvidia", ck, "--arch", arch, "--out", tmp_path / name, *flags)
        assert rc == 0, err
        assert torch.equal(imported_logits(tmp_path / name, x), logits(spec, raw, x))
        m = json.loads((tmp_path / name / "metrics.json").read_text())
        assert m["weights"] == "raw" and m["checkpoint_key"] == "state_dict"


def test_plain_state_dict_of_a_distilled_network(tmp_path, capsys):
    """P0/P1 come as a plain state_dict (no wrapper, no module. prefix); here with the D layout."""
    arch = tmp_path / "d.json"
    arch.write_text(json.dumps(SMALL_D))
    spec = load_arch_file(arch)
    state = random_state(spec, 5)
    ck = tmp_path / "d.pth"
    torch.save(nvidia_layout(spec, state), ck)
    rc, _, err = run_hub(capsys, "import-nvidia", ck, "--arch", arch, "--out", tmp_path / "out")
    assert rc == 0, err
    x = torch.randn(2, 3, 64, 64)
    assert torch.equal(imported_logits(tmp_path / "out", x), logits(spec, state, x))
    m = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert m["weights"] == "raw" and m["checkpoint_key"] is None and m["checkpoint_form"] == "state_dict"


def test_released_preset_by_name(tmp_path, capsys):
    spec = get_preset("gpunet-0")
    state = random_state(spec, 6)
    ck = tmp_path / "gpunet0.pth"
    torch.save(timm_checkpoint(spec, state, state), ck)  # one copy on disk: torch.save shares the storages
    rc, _, err = run_hub(capsys, "import-nvidia", ck, "--model", "GPUNet-0", "--out", tmp_path / "g0")
    assert rc == 0, err
    x = torch.randn(1, 3, 96, 96)  # any resolution runs; the export uses the network's own (320)
    assert torch.equal(imported_logits(tmp_path / "g0", x), logits(spec, state, x))
    assert json.loads((tmp_path / "g0" / "metrics.json").read_text())["params"] == 11_885_432


def test_released_json_by_arch(tmp_path, capsys, shared_gpunet):
    arch = shared_gpunet / "GPUNet-1.json"
    spec = load_arch_file(arch)
    state = random_state(spec, 8)
    ck = tmp_path / "gpunet1.pth"
    torch.save(nvidia_layout(spec, state), ck)
    rc, _, err = run_hub(capsys, "import-nvidia", ck, "--arch", arch, "--out", tmp_path / "g1")
    assert rc == 0, err
    x = torch.randn(1, 3, 64, 64)
    assert torch.equal(imported_logits(tmp_path / "g1", x), logits(spec, state, x))


def test_wrong_shape_is_refused_with_one_line(tmp_path, small, capsys):
    arch, spec = small
    ema = nvidia_layout(spec, random_state(spec, 9), "module.")
    key = "module.network.stage: 3 layer6.conv_dw.weight"
    assert ema[key].shape == (72, 1, 5, 5)
    ema[key] = torch.zeros(72, 1, 3, 3)
    ck = tmp_path / "bad.pth"
    torch.save({"state_dict": ema, "state_dict_ema": ema, "epoch": 1}, ck)
    out = tmp_path / "out"
    rc, _, err = run_hub(capsys, "import-nvidia", ck, "--arch", arch, "--out", out)
    assert_refused(rc, err, out, "'network.stage: 3 layer6.conv_dw.weight'", "(72, 1, 5, 5)", "(72, 1, 3, 3)")


def test_extra_tensor_is_refused(tmp_path, small, capsys):
    arch, spec = small
    sd = nvidia_layout(spec, random_state(spec, 10))
    sd["network.stage: 9 layer99.conv.weight"] = torch.zeros(3)
    ck = tmp_path / "extra.pth"
    torch.save(sd, ck)
    rc, _, err = run_hub(capsys, "import-nvidia", ck, "--arch", arch, "--out", tmp_path / "out")
    assert_refused(rc, err, tmp_path / "out", "'network.stage: 9 layer99.conv.weight'", "(3,)")


def test_wrong_model_is_refused_in_a_subprocess(tmp_path, small):
    """The real command line: exit 2, one stderr line naming the first tensor that does not fit."""
    _, spec = small
    ck = tmp_path / "small.pth"
    torch.save(timm_checkpoint(spec, random_state(spec, 11), random_state(spec, 12)), ck)
    out = tmp_path / "out"
    res = subprocess.run([sys.executable, "-m", "gpunet_ray.hub", "import-nvidia", str(ck), "--model", "gpunet-0",
                          "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert_refused(res.returncode, res.stderr, out, "does not fit gpunet-0", "'network.head: 2.net.0.weight'",
                   "(32, 3, 3, 3)", "(16, 3, 3, 3)")


class Payload:
    """A class a checkpoint must never be able to instantiate."""

    ran = 0

    def __setstate__(self, state):
        Payload.ran += 1


def test_checkpoint_with_pickled_code_is_refused(tmp_path, small, capsys):
    arch, spec = small
    ck = tmp_path / "evil.pth"
    torch.save({"state_dict": nvidia_layout(spec, random_state(spec, 13)), "extra": Payload()}, ck)
    out = tmp_path / "out"
    rc, _, err = run_hub(capsys, "import-nvidia", ck, "--arch", arch, "--out", out)
    assert_refused(rc, err, out, "Payload", "weights-only")
    assert Payload.ran == 0


def test_bad_input_exits_2(tmp_path, small, capsys):
    arch, spec = small
    ck = tmp_path / "ok.pth"
    torch.save(nvidia_layout(spec, random_state(spec, 14)), ck)
    rc, _, err = run_hub(capsys, "import-nvidia", ck, "--model", "gpunet-9", "--out", tmp_path / "a")
    assert_refused(rc, err, tmp_path / "a", "unknown --model 'gpunet-9'", "gpunet-p1")
    rc, _, err = run_hub(capsys, "import-nvidia", tmp_path / "missing.pth", "--arch", arch, "--out", tmp_path / "b")
    assert_refused(rc, err, tmp_path / "b", "does not exist")
    rc, _, err = run_hub(capsys, "import-nvidia", ck, "--arch", arch, "--model", "gpunet-0", "--out", tmp_path / "c")
    assert_refused(rc, err, tmp_path / "c", "not allowed with")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("keep")
    rc, _, err = run_hub(capsys, "import-nvidia", ck, "--arch", arch, "--out", tmp_path / "full")
    assert rc == 2 and "not an empty folder" in err
    assert [p.name for p in (tmp_path / "full").iterdir()] == ["x"]
