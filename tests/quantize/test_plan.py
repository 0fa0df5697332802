"""The fit planner, against numbers worked out by hand below.

Shared hand arithmetic for MiniMax-M2.1 (62 layers, hidden 3072, 48 q / 8 kv heads of 128,
256 experts of FFN 1536, vocab 200064):

  attention params  62 x 3072 x (6144 + 1024 + 1024 + 6144)     =   2_730_491_904
  expert params     3 x 256 x 3072 x 1536 = 3_623_878_656 / layer, x 62 = 224_680_476_672
  output params     200064 x 3072                                =     614_596_608
  router bytes      62 x (3072 x 256 + 256) x 4 (f32)            =     195_098_624
  norm bytes        4 x (62 x (3072 + 3072 + 6144 + 1024) + 3072) =       3_313_664
  KV values/token   62 x 2 x 8 x 128 = 126_976
                    -> f16 253_952 B/token, q8_0 (34 B per 32) 134_912 B/token

At Q4_K_M (4.80 bits per weight, i.e. x 0.6 bytes per parameter):
  attention 1_638_295_142 B, output 368_757_964 B, experts 2_174_327_193 B per layer.
  GPU-resident weights = 1_638_295_142 + 368_757_964 + 195_098_624 + 3_313_664 = 2_205_465_394 B.
The compute margin is 2 GiB = 2_147_483_648 B; host overhead 1 GiB; OS reserve 8 GiB.
An L40S reports 46068 MiB = 48_305_799_168 B.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from minimax_agent.backends import local_model
from minimax_agent.cli.models import models_app
from minimax_agent.config import Settings
from quantize.errors import QuantizeUsageError
from quantize.footprint import file_footprint, m2_footprint
from quantize.hardware import GB_S, GIB, GPU_PRESETS, measure_cpu_bandwidth, parse_size
from quantize.plan import Hardware, PlanRequest, plan_fit
from quantize.tiny import write_tiny_model
from tests.conftest import tiny_template

GPU_WEIGHTS_Q4KM = 2_205_465_394
EXPERT_LAYER_Q4KM = 2_174_327_193
EMBD_Q4KM = 368_757_964
L40S = 48_305_799_168
MARGIN = 2 * GIB


def l40s(ram: int = 128 * GIB) -> Hardware:
    p = GPU_PRESETS["l40s"]
    return Hardware(p.name, p.memory, p.bandwidth, ram, 80 * GB_S)


def test_presets_are_what_the_driver_reports() -> None:
    assert GPU_PRESETS["l40s"].memory == L40S
    assert GPU_PRESETS["rtx-pro-6000"].memory == 97887 * 2**20


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("48G", 48 * 2**30),
        ("48GB", 48 * 2**30),
        ("48GiB", 48 * 2**30),
        ("128g", 128 * 2**30),
        ("512M", 512 * 2**20),
        ("1.5T", int(1.5 * 2**40)),
        (" 96 gb ", 96 * 2**30),
    ],
)
def test_parse_size(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["48", "lots", "48X", "-4G", "4 8G", "", "G"])
def test_bad_sizes(text: str) -> None:
    with pytest.raises(QuantizeUsageError, match="bad size"):
        parse_size(text)


@pytest.mark.parametrize(
    ("quant", "low", "high"),
    [
        ("IQ2_M", 76e9, 80e9),
        ("Q2_K", 95e9, 99e9),
        ("Q3_K_M", 110e9, 114e9),
        ("Q4_K_M", 135e9, 139e9),
        ("Q8_0", 240e9, 250e9),
    ],
)
def test_named_quant_sizes(quant: str, low: float, high: float) -> None:
    assert low < m2_footprint(quant).total < high


def test_m21_shape() -> None:
    m = m2_footprint("Q8_0")  # 8.5 bits per weight: bytes x 8 / 8.5 = params
    assert m.experts * 8 / 8.5 == pytest.approx(224_680_476_672, rel=1e-6)
    assert m.attention * 8 / 8.5 == pytest.approx(2_730_491_904, rel=1e-6)
    assert (m.output + m.embeddings) * 8 / 8.5 == pytest.approx(2 * 614_596_608, rel=1e-6)
    assert m.kv_bytes_per_token("f16") == 253_952
    assert m.kv_bytes_per_token("q8_0") == 134_912


def test_q4km_on_l40s_64k_q8_fits_with_46_cpu_expert_layers() -> None:
    """KV: 134_912 x 65_536 = 8_841_592_832 B.
    GPU fixed = 2_205_465_394 + 8_841_592_832 + 2_147_483_648 = 13_194_541_874 B.
    Free for experts = 48_305_799_168 - 13_194_541_874 = 35_111_257_294 B
      -> floor(35_111_257_294 / 2_174_327_193) = 16 layers on the GPU, 62 - 16 = 46 on the CPU.
    RAM = 46 x 2_174_327_193 + 368_757_964 (embeddings) + 1 GiB = 101_461_550_666 B,
      under 128 GiB - 8 GiB; left for the OS: 137_438_953_472 - 101_461_550_666 = 35_977_402_806.
    Decode, empty context: GPU reads 2_205_465_394 + 16 x 2_174_327_193 x 8/256
      = 3_292_628_990 B at 864 GB/s = 3.8109 ms; CPU reads 46 x 2_174_327_193 x 8/256
      = 3_125_595_340 B at 80 GB/s = 39.0699 ms; 1 / 42.8808 ms = 23.32 tok/s.
    """
    plan = plan_fit(PlanRequest(m2_footprint("Q4_K_M"), l40s(), ctx=65536, kv_type="q8_0"))
    assert plan.fits
    assert plan.gpu["kv_cache"] == 8_841_592_832
    assert plan.gpu_expert_layers == 16
    assert plan.cpu_moe == 46
    assert plan.gpu_used == pytest.approx(13_194_541_874 + 16 * EXPERT_LAYER_Q4KM, abs=64)
    assert plan.ram_used == pytest.approx(101_461_550_666, abs=64)
    assert plan.ram_left == pytest.approx(35_977_402_806, abs=64)
    assert plan.tokens_per_s == pytest.approx(23.32, abs=0.01)
    assert plan.advice == []
    flags = plan.agent_flags
    assert flags[flags.index("--cpu-moe") + 1] == "46"
    assert flags[flags.index("--n-ctx") + 1] == "65536"
    assert flags[flags.index("--kv-type") + 1] == "q8_0"
    assert flags[flags.index("--gpu-layers") + 1] == "63"
    server = " ".join(plan.server_flags)
    assert "--n-cpu-moe 46" in server and "-c 65536" in server and "-ngl 63" in server
    assert "-ctk q8_0 -ctv q8_0" in server and "-fa on" in server


def test_q4km_on_l40s_full_context_f16_does_not_fit_and_says_use_q8_kv() -> None:
    """KV f16 at 196_608: 253_952 x 196_608 = 49_928_994_816 B, more than the card alone.
    GPU fixed = 2_205_465_394 + 49_928_994_816 + 2_147_483_648 = 54_281_943_858 B:
      short by 54_281_943_858 - 48_305_799_168 = 5_976_144_690 B.
    With q8_0 instead: KV 26_524_827_648 B, fixed 30_877_776_690, free 17_428_022_478
      -> 8 expert layers on the GPU; RAM 54 x 2_174_327_193 + 368_757_964 + 1 GiB
      = 118_856_168_210 B <= 120 GiB: fits. Halving the context also fits, but the lighter KV
      type costs less quality, so it comes first.
    """
    plan = plan_fit(PlanRequest(m2_footprint("Q4_K_M"), l40s(), ctx=196608, kv_type="f16"))
    assert not plan.fits
    assert plan.gpu_shortfall == pytest.approx(5_976_144_690, abs=64)
    assert plan.agent_flags == [] and plan.server_flags == []
    assert plan.tokens_per_s is None
    best = plan.advice[0]
    assert best.change == "kv" and best.fits
    assert "--kv-type q8_0" in best.description
    assert [a.change for a in plan.advice] == ["kv", "ctx", "quant"]
    assert plan.advice[1].fits and "--ctx 98304" in plan.advice[1].description


def test_iq2m_on_a_96gb_card_is_all_on_the_gpu() -> None:
    """IQ2_M at 2.70 bits (x 0.3375 bytes/param): experts 62 x 1_223_059_046 = 75_829_660_852,
    attention 921_541_017, output 207_426_355, router 195_098_624, norms 3_313_664,
    KV 32K q8_0 = 4_420_796_416, margin 2_147_483_648: 83_725_320_576 B in all,
    under 97887 MiB = 102_641_958_912 B, so no expert layer stays on the CPU.
    """
    p = GPU_PRESETS["rtx-pro-6000"]
    hw = Hardware(p.name, p.memory, p.bandwidth, 128 * GIB, 80 * GB_S)
    plan = plan_fit(PlanRequest(m2_footprint("IQ2_M"), hw, ctx=32768, kv_type="q8_0"))
    assert plan.fits
    assert plan.cpu_moe == 0 and plan.gpu_expert_layers == 62
    assert plan.gpu_used == pytest.approx(83_725_320_576, abs=64)
    assert plan.cpu["experts"] == 0
    assert "--cpu-moe" not in plan.agent_flags and "--n-cpu-moe" not in plan.server_flags


def test_bigger_quant_on_small_card_advises_a_smaller_quant() -> None:
    hw = l40s(ram=64 * GIB)
    plan = plan_fit(PlanRequest(m2_footprint("Q4_K_M"), hw, ctx=32768, kv_type="q8_0"))
    assert not plan.fits and plan.ram_shortfall > 0 and plan.gpu_shortfall == 0
    assert plan.advice[0].change == "quant" and plan.advice[0].fits


def test_cpu_only_plan_for_a_file(tiny_gguf: Path) -> None:
    model = file_footprint(str(tiny_gguf))
    hw = Hardware("no GPU", 0, 0.0, 16 * GIB, 80 * GB_S)
    plan = plan_fit(PlanRequest(model, hw, ctx=2048, kv_type="f16"))
    assert plan.fits and plan.gpu == {} and plan.gpu_layers == 0
    assert plan.cpu["weights"] == model.total
    # 2 layers x 2 (k, v) x 2 heads x 16 dims x 2 bytes x 2048 tokens
    assert plan.cpu["kv_cache"] == 2 * 2 * 2 * 16 * 2 * 2048
    assert "-ngl 0" in " ".join(plan.server_flags)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ctx": 400_000}, "exceeds"),
        ({"ctx": 10}, "too small"),
        ({"kv_type": "q2"}, "unknown KV type"),
    ],
)
def test_bad_requests(changes: dict[str, object], message: str) -> None:
    req = PlanRequest(m2_footprint("Q4_K_M"), l40s(), **changes)  # type: ignore[arg-type]
    with pytest.raises(QuantizeUsageError, match=message):
        plan_fit(req)


def test_unknown_quant() -> None:
    with pytest.raises(QuantizeUsageError, match="unknown quant 'Q9_K'"):
        m2_footprint("Q9_K")


# ---- the command -----------------------------------------------------------------------------

# --cpu-bw keeps the numbers exact: without it, the RAM bandwidth is measured.
BASE = ["plan", "--quant", "Q4_K_M", "--gpu", "l40s", "--ram", "128G", "--cpu-bw", "80"]


def test_cli_fits() -> None:
    result = CliRunner().invoke(models_app, [*BASE, "--ctx", "65536", "--kv", "q8_0"])
    assert result.exit_code == 0, result.output
    assert "--cpu-moe 46" in result.output
    assert "--n-cpu-moe 46" in result.output
    assert "predicted decode: 23.3 tok/s" in result.output
    assert "GPU 864 GB/s (preset figure), RAM 80 GB/s (as given)" in result.output
    # a bare name for the agent, which takes a value ending in .gguf for a path; a file for
    # llama-server, which only takes files
    assert "minimax-agent --model MiniMax-M2.1-Q4_K_M --n-ctx" in result.output
    assert "llama-server -m MiniMax-M2.1-Q4_K_M.gguf " in result.output


def test_named_quant_flag_finds_the_pulled_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "models"
    monkeypatch.setenv("MINIMAX_AGENT_MODELS_DIR", str(root))
    pulled = root / "unsloth/MiniMax-M2.1-GGUF/Q4_K_M/MiniMax-M2.1-Q4_K_M-00001-of-00001.gguf"
    pulled.parent.mkdir(parents=True)
    write_tiny_model(pulled, chat_template=tiny_template())
    plan = plan_fit(PlanRequest(m2_footprint("Q4_K_M"), l40s(), ctx=65536))
    name = plan.agent_flags[plan.agent_flags.index("--model") + 1]
    assert local_model(Settings(model=name)) == str(pulled)
    # what plan printed before: taken for a path, and no such file
    assert local_model(Settings(model=f"{name}.gguf")) == f"{name}.gguf"


def test_cli_measures_ram_bandwidth_when_not_given() -> None:
    # no --gpu, --gpu-mem or --ram: the plan is for this machine, so its bandwidth is measured
    args = ["plan", "--quant", "IQ1_S", "--ctx", "4096", "--json"]
    result = CliRunner().invoke(models_app, args)
    hardware = json.loads(result.output)["request"]["hardware"]
    assert hardware["cpu_bandwidth_source"] == "measured"
    assert hardware["cpu_bandwidth"] > 0


def test_cli_another_machine_keeps_the_typical_ram_bandwidth() -> None:
    # an L40S with 128G is not this machine: what this one measures says nothing about it
    args = ["plan", "--quant", "Q4_K_M", "--gpu", "l40s", "--ram", "128G", "--ctx", "65536"]
    result = CliRunner().invoke(models_app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "GPU 864 GB/s (preset figure), RAM 80 GB/s (a guess; pass --cpu-bw)" in result.output

    result = CliRunner().invoke(models_app, [*args, "--json"])
    hardware = json.loads(result.output)["request"]["hardware"]
    assert hardware["cpu_bandwidth_source"] == "default"
    assert hardware["gpu_bandwidth_source"] == "preset"


def test_measure_cpu_bandwidth() -> None:
    measured = measure_cpu_bandwidth(size=16 * 2**20)
    assert measured is not None and 0 < measured < float("inf")


def test_cli_unknown_gpu_bandwidth_is_labelled_a_guess() -> None:
    args = ["plan", "--quant", "Q4_K_M", "--gpu-mem", "48G", "--ram", "128G", "--cpu-bw", "50"]
    result = CliRunner().invoke(models_app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "GPU 900 GB/s (a guess; pass --gpu-bw), RAM 50 GB/s (as given)" in result.output


def test_cli_does_not_fit() -> None:
    result = CliRunner().invoke(models_app, [*BASE, "--ctx", "196608", "--kv", "f16"])
    assert result.exit_code == 1
    assert "does not fit" in result.output
    assert "helps most: a lighter KV cache: --kv-type q8_0" in result.output


def test_cli_json() -> None:
    result = CliRunner().invoke(models_app, [*BASE, "--gpu-mem", "96G", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["fits"] is True
    assert data["request"]["hardware"]["gpu_memory"] == 96 * GIB


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([*BASE, "--gpu-mem", "48 bananas"], "bad size '48 bananas'"),
        (["plan", "--quant", "Q4_K_M", "--gpu", "a100", "--ram", "128G"], "unknown GPU preset"),
        (["plan", "x.gguf", "--quant", "Q4_K_M"], "either a model file or --quant"),
    ],
)
def test_cli_usage_errors(args: list[str], message: str) -> None:
    result = CliRunner().invoke(models_app, args)
    assert result.exit_code == 2
    assert message in result.output


def test_cli_plans_a_file(m21_gguf: Path) -> None:
    args = ["plan", str(m21_gguf), "--gpu", "rtx-pro-6000", "--ram", "256G", "--ctx", "65536"]
    result = CliRunner().invoke(models_app, args)
    assert result.exit_code == 0, result.output
    assert f"--model {m21_gguf}" in result.output


def test_a_split_model_is_run_by_its_first_shard(m21_split: list[Path]) -> None:
    model = file_footprint(str(m21_split[2]))
    assert model.path == str(m21_split[0])
    assert model.quant == "Q4_K_M"
    assert len(model.expert_bytes_per_layer) == 62
