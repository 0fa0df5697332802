"""`models plan` with neither a file nor --quant: the largest named quant that fits; and a RAM
bandwidth measured far below a typical machine's is flagged rather than trusted."""

from __future__ import annotations

import json
from dataclasses import replace

from typer.testing import CliRunner

from minimax_agent.cli.models import models_app
from quantize.footprint import QUANT_BPW, m2_footprint
from quantize.hardware import DEFAULT_CPU_BANDWIDTH, GB_S, GIB, GPU_PRESETS
from quantize.plan import Hardware, PlanRequest, bandwidth_warning, plan_fit
from quantize.plan_pick import named_quants, pick_quant

L40S_128G = ["--gpu", "l40s", "--ram", "128G", "--cpu-bw", "80"]


def l40s(ram: int = 128 * GIB, cpu_bw: float = 80 * GB_S, source: str = "given") -> Hardware:
    p = GPU_PRESETS["l40s"]
    return Hardware(p.name, p.memory, p.bandwidth, ram, cpu_bw, cpu_bandwidth_source=source)


def test_named_quants_run_largest_first_without_duplicates() -> None:
    names = named_quants()
    assert names[0] == "BF16" and names[-1] == "IQ1_S"
    assert "F16" not in names  # the same size as BF16
    assert [QUANT_BPW[q] for q in names] == sorted((QUANT_BPW[q] for q in names), reverse=True)


def test_the_pick_is_the_largest_quant_that_fits() -> None:
    picked = pick_quant(PlanRequest(m2_footprint("Q4_K_M"), l40s()), "MiniMax-M2.1")
    fitting = [q for q, p in picked.assessed if p.fits]
    assert picked.chosen == fitting[0]
    assert picked.plan.fits and picked.plan.request.model.quant == picked.chosen
    bigger = named_quants()[: named_quants().index(picked.chosen)]
    assert bigger and not any(dict(picked.assessed)[q].fits for q in bigger)


def test_nothing_fits_plans_the_smallest_with_its_advice() -> None:
    tiny_machine = replace(l40s(ram=16 * GIB), gpu_memory=0)
    picked = pick_quant(PlanRequest(m2_footprint("Q4_K_M"), tiny_machine), "MiniMax-M2.1")
    assert picked.chosen == "IQ1_S" and not picked.plan.fits


def test_cli_without_a_file_or_quant_plans_the_largest_that_fits() -> None:
    result = CliRunner().invoke(models_app, ["plan", *L40S_128G], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "planning the largest that fits: Q5_K_M" in result.output
    assert "minimax-agent --model MiniMax-M2.1-Q5_K_M " in result.output

    as_json = CliRunner().invoke(models_app, ["plan", *L40S_128G, "--json"])
    data = json.loads(as_json.output)
    assert data["request"]["model"]["quant"] == "Q5_K_M"
    assert data["picked"]["Q5_K_M"] is True and data["picked"]["Q6_K"] is False


def test_a_slow_measurement_is_flagged() -> None:
    slow = l40s(cpu_bw=1 * GB_S, source="measured")
    plan = plan_fit(PlanRequest(m2_footprint("Q4_K_M"), slow, ctx=65536))
    warning = bandwidth_warning(plan, DEFAULT_CPU_BANDWIDTH)
    assert warning is not None
    assert "measured 1.0 GB/s, far below the 80 GB/s" in warning
    assert "busy" in warning and "--cpu-bw" in warning


def test_a_plausible_or_given_bandwidth_is_not_flagged() -> None:
    for hardware in (l40s(cpu_bw=60 * GB_S, source="measured"), l40s(cpu_bw=1 * GB_S)):
        plan = plan_fit(PlanRequest(m2_footprint("Q4_K_M"), hardware, ctx=65536))
        assert bandwidth_warning(plan, DEFAULT_CPU_BANDWIDTH) is None
