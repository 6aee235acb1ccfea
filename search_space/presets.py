"""Built-in architectures, stored as arch strings (see :attr:`ArchSpec.arch_string`).

The GPUNet entries are NVIDIA's released GPUNets (DeepLearningExamples, GPUNet ``configs/batch1``),
re-encoded; their parameter counts are the published ones. The ``tiny-*`` entries are
hand-designed baselines inside the ``tiny`` space (uniformly scaled GPUNet-like and
MobileNetV2-like networks) that the search must beat at equal latency.
"""

from __future__ import annotations

from gpunet_ray.errors import ConfigError

from .spec import ArchSpec

__all__ = ["PRESETS", "get_preset", "PUBLISHED"]

PRESETS: dict[str, str] = {
    "gpunet-0": "r320i3:H_o32|C_k3_s1_o32_ar_t1*2|F_k3_s2_e5_o32_ar_se0_t2|F_k3_s1_e5_o32_ar_se0_t2|F_k3_s2_e5_o64_ar_se0_t3|F_k3_s1_e5_o64_ar_se0_t3*2|I_k3_s2_e5_o256_as_se0_t4|I_k3_s1_e5_o256_as_se0_t4*2|I_k3_s2_e5_o704_ar_se1_t6|I_k3_s1_e5_o704_ar_se1_t6|T_o1280_n1000",  # noqa: E501
    "gpunet-1": "r288i3:H_o24|C_k3_s1_o24_ar_t1|F_k3_s2_e4_o64_as_se0_t2|F_k3_s1_e4_o64_as_se0_t2|F_k3_s2_e4_o96_as_se0_t3|F_k3_s1_e4_o96_as_se0_t3|I_k3_s2_e2_o160_as_se1_t4|I_k3_s1_e5_o288_ar_se0_t5*4|I_k3_s2_e4_o448_ar_se1_t6|I_k3_s1_e4_o448_ar_se1_t6*3|T_o1280_n1000",  # noqa: E501
    "gpunet-2": "r384i3:H_o32|C_k3_s1_o32_ar_t1*3|F_k5_s2_e6_o32_as_se1_t2|F_k3_s2_e3_o112_as_se0_t3|F_k3_s1_e3_o112_as_se0_t3*2|I_k3_s2_e6_o144_as_se0_t4|I_k3_s1_e6_o144_as_se0_t4*5|I_k5_s1_e3_o160_ar_se0_t5*4|I_k3_s2_e3_o224_as_se1_t6|I_k3_s1_e3_o224_as_se1_t6*7|I_k5_s1_e2_o832_ar_se0_t7*7|T_o1280_n1000",  # noqa: E501
    "gpunet-p0": "r224i3:H_o32_ar|C_k3_s1_o32_ar_t1*2|C_k3_s2_o64_ar_t2|I_k3_s2_e8_o96_ar_se0_t3|I_k3_s1_e7.67_o96_ar_se0_t3*2|I_k3_s2_e7.67_o256_ar_se0_t4|I_k5_s1_e4.25_o256_ar_se0_t4|I_k3_s1_e4.75_o256_ar_se0_t4|I_k3_s2_e8_o704_ar_se0_t5|I_k5_s1_e3.82_o704_ar_se0_t5|I_k3_s1_e3.36_o704_ar_se0_t5|I_k3_s1_e2.55_o704_ar_se0_t5|I_k3_s2_e5.73_o704_ar_se0_t6|T_o1984_n1000",  # noqa: E501
    "gpunet-p1": "r224i3:H_o32_ar|C_k3_s1_o32_ar_t1*2|C_k5_s2_o64_ar_t2|I_k3_s1_e8_o64_ar_se0_t2*2|I_k5_s2_e8_o96_ar_se0_t3|I_k5_s1_e8_o96_ar_se0_t3|I_k5_s2_e8_o256_ar_se0_t4|I_k5_s1_e7.5_o256_ar_se0_t4|I_k3_s1_e7.88_o256_ar_se0_t4|I_k5_s2_e7.88_o704_ar_se0_t5|I_k5_s1_e8_o704_ar_se0_t5|I_k3_s1_e7.41_o704_ar_se0_t5|I_k5_s1_e8_o704_ar_se0_t5|I_k5_s2_e7.95_o704_ar_se0_t6|T_o1984_n1000",  # noqa: E501
    "gpunet-d1": "r456i3d:H_o33_t0|I_k3_s1_e1_o33_g1_t0|I_k3_s2_e3_o44_g1_t1|I_k5_s1_e4_o44_g1_t1|I_k3_s1_e3_o44_g1_t1|I_k5_s2_e4_o67_g1_t2|I_k5_s1_e4_o67_g1_t2|I_k3_s1_e6_o67_g1_t2|I_k5_s1_e3_o67_g1_t2|I_k7_s2_e6_o134_g1_t3|I_k5_s1_e6_o134_g1_t3|I_k3_s1_e3_o134_g1_t3|I_k5_s1_e4_o134_g1_t3|I_k3_s1_e6_o190_g1_t3|I_k5_s1_e6_o190_g1_t3|I_k7_s1_e6_o190_g1_t3|I_k3_s1_e4_o190_g1_t3|I_k3_s2_e6_o268_g1_t4|I_k3_s1_e6_o268_g1_t4|I_k5_s1_e6_o268_g1_t4|I_k3_s1_e3_o268_g1_t4*3|T_o1984_n1000",  # noqa: E501
    "gpunet-d2": "r528i3d:HL_o48_t0|I_k3_s1_e1_o48_g1_t0|I_k3_s2_e3_o64_g1_t1|I_k5_s1_e4_o64_g1_t1|I_k3_s1_e3_o64_g1_t1|I_k5_s2_e4_o96_g1_t2|I_k5_s1_e4_o96_g1_t2|I_k3_s1_e6_o96_g1_t2|I_k5_s1_e3_o96_g1_t2|I_k7_s2_e6_o192_g1_t3|I_k5_s1_e6_o192_g1_t3|I_k3_s1_e3_o192_g1_t3|I_k5_s1_e4_o192_g1_t3*2|I_k3_s1_e6_o272_g1_t3|I_k5_s1_e6_o272_g1_t3|I_k7_s1_e6_o272_g1_t3|I_k5_s1_e6_o272_g1_t3|I_k3_s1_e4_o272_g1_t3|I_k3_s2_e6_o384_g1_t4|I_k3_s1_e6_o384_g1_t4|I_k5_s1_e6_o384_g1_t4|I_k3_s1_e3_o384_g1_t4*4|T_o1984_n1000",  # noqa: E501
}

#: Published figures (NVIDIA GPUNet README): params exact; TensorRT 8 FP16 batch-1 median latency.
PUBLISHED: dict[str, dict] = {
    "gpunet-0": {"params": 11_885_432, "a100_trt_fp16_ms": 0.46, "v100_trt_fp16_ms": 0.63, "top1": 78.9},
    "gpunet-1": {"params": 12_704_192, "a100_trt_fp16_ms": 0.59, "v100_trt_fp16_ms": 0.82, "top1": 80.5},
    "gpunet-2": {"params": 25_798_704, "a100_trt_fp16_ms": 1.25, "v100_trt_fp16_ms": 1.68, "top1": 82.2},
    "gpunet-p0": {"params": 22_815_080},
    "gpunet-p1": {"params": 39_905_672},
    "gpunet-d1": {"params": 10_589_859},
    "gpunet-d2": {"params": 19_036_728},
}


def get_preset(name: str) -> ArchSpec:
    key = name.lower()
    if key not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return ArchSpec.from_arch_string(PRESETS[key])
