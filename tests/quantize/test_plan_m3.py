"""`models plan` for the M3 format: M3's published shape (428B / 23B active, 60 layers, 128
experts with 4 active, 1M context) at Q4 is about 257 GB, which 48 GB of VRAM and 128 GB of
RAM cannot hold; the plan says so and names what would fit (a smaller quant, or how much more
RAM). M3.1-Flash's shape is not known, and the planner says so rather than guess."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from minimax_agent.cli.models import models_app
from quantize.errors import QuantizeUsageError
from quantize.footprint import m3_footprint, model_footprint
from quantize.hardware import GB_S, GIB, GPU_PRESETS
from quantize.plan import Hardware, PlanRequest, plan_fit


def l40s(ram: int = 128 * GIB) -> Hardware:
    p = GPU_PRESETS["l40s"]
    return Hardware(p.name, p.memory, p.bandwidth, ram, 80 * GB_S)


def test_m3_shape() -> None:
    m = model_footprint("Q4_K_M", "minimax-m3")
    assert m.name == "MiniMax-M3-Q4_K_M"
    assert (m.n_layer, m.n_expert, m.n_expert_used, m.n_ctx_train) == (60, 128, 4, 1_048_576)
    assert m.total / 1e9 == pytest.approx(256.9, abs=0.5)  # "about 250 GB at Q4"
    # the routed experts a token reads: 4 of 128 in each layer, plus the rest: ~23B active
    active = (m.total - m.experts) + m.experts * 4 / 128
    assert active * 8 / 4.80 / 1e9 == pytest.approx(23, abs=0.3)  # router, norms: f32


def test_m3_at_q4_does_not_fit_48gb_and_128gb_and_a_smaller_quant_would() -> None:
    plan = plan_fit(PlanRequest(m3_footprint("Q4_K_M"), l40s(), ctx=32768, kv_type="q8_0"))
    assert not plan.fits
    # 257 GB of weights against ~45 GB usable VRAM and 119 GiB of RAM (8 GiB kept for the OS)
    assert plan.ram_shortfall / 1e9 == pytest.approx(89, abs=3)
    quant = [a for a in plan.advice if a.change == "quant"]
    assert quant and quant[0].fits and "a smaller quant" in quant[0].description
    # with the RAM the shortfall names, Q4 fits
    more = l40s(ram=128 * GIB + plan.ram_shortfall + GIB)
    assert plan_fit(PlanRequest(m3_footprint("Q4_K_M"), more, ctx=32768, kv_type="q8_0")).fits


def test_m3_1_flash_shape_is_unknown_and_said_so() -> None:
    with pytest.raises(QuantizeUsageError, match=r"MiniMax-M3\.1-Flash: its shape .* not known"):
        model_footprint("Q4_K_M", "M3.1-Flash")


def test_cli_says_m3_q4_does_not_fit() -> None:
    args = ["plan", "--quant", "Q4_K_M", "--model", "MiniMax-M3", "--gpu", "l40s"]
    result = CliRunner().invoke(models_app, [*args, "--ram", "128G", "--cpu-bw", "80"])
    assert "MiniMax-M3-Q4_K_M" in result.output, result.output
    assert "does not fit" in result.output.lower() or "not fit" in result.output.lower()
    assert "smaller quant" in result.output
    flash = ["plan", "--quant", "Q4_K_M", "--model", "MiniMax-M3.1-Flash", "--gpu", "l40s"]
    result = CliRunner().invoke(models_app, [*flash, "--ram", "128G", "--cpu-bw", "80"])
    assert result.exit_code == 2 and "shape" in result.output
