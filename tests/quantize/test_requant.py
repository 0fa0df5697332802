"""`models quantize` through llama.cpp's quantizer, on the K-quant-able tiny model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from minimax_agent.cli_models import models_app
from minimax_agent.errors import UsageError
from quantize.inspect import summarize
from quantize.requant import estimate, prepare, run
from quantize.tiny import write_tiny_model


@pytest.fixture(scope="module")
def quant_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_model(tmp_path_factory.mktemp("q") / "src.gguf", size="quant")


@pytest.fixture(scope="module")
def llama_cpp() -> Any:
    return pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")


def test_moe_recipe_keeps_what_every_token_reads_at_q8(
    quant_src: Path, tmp_path: Path, llama_cpp: Any
) -> None:
    out = run(prepare(quant_src, tmp_path / "moe.gguf", "q4_k_m", "moe"))
    s = summarize(out)
    assert s.file_type == "Q4_K_M"
    assert set(s.groups["attention"].types) == {"Q8_0"}
    assert set(s.groups["embeddings"].types) == {"Q8_0"}
    assert set(s.groups["output"].types) == {"Q8_0"}
    assert set(s.groups["router"].types) == {"F32"}
    assert set(s.groups["norms"].types) == {"F32"}
    assert set(s.groups["experts"].types) <= {"Q4_K", "Q6_K"}
    assert "Q4_K" in s.groups["experts"].types
    assert not list(tmp_path.glob("*.part"))

    llm = llama_cpp.Llama(model_path=str(out), n_ctx=128, verbose=False, seed=1)
    done = llm.create_completion("]~b]user\nhi[e~[\n]~b]ai\n<think>\n", max_tokens=3)
    assert done["usage"]["completion_tokens"] >= 1


def test_default_recipe_quantizes_attention_too(
    quant_src: Path, tmp_path: Path, llama_cpp: Any
) -> None:
    out = run(prepare(quant_src, tmp_path / "d.gguf", "Q4_K_M"))
    s = summarize(out)
    # llama.cpp's own mix gives an MoE's attn_k/attn_v Q8_0, but q and output get the type
    assert "Q4_K" in s.groups["attention"].types
    assert out.stat().st_size < quant_src.stat().st_size / 2


def test_estimate_without_running(quant_src: Path, tmp_path: Path) -> None:
    job = prepare(quant_src, tmp_path / "x.gguf", "Q4_K_M", "moe")
    by_group = {g.group: g for g in estimate(job)}
    assert by_group["attention"].target == "Q8_0"
    assert by_group["experts"].target == "Q4_K_M"
    assert by_group["router"].target == "unchanged"
    experts = job.source.groups["experts"].n_params
    assert by_group["experts"].estimated_bytes == int(experts * 4.8 / 8)
    assert not job.requantize


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"qtype": "Q9_X"}, "unknown quant type 'Q9_X'"),
        ({"qtype": "Q4_K_M", "recipe": "fast"}, "unknown recipe 'fast'"),
    ],
)
def test_bad_requests(
    quant_src: Path, tmp_path: Path, kwargs: dict[str, str], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        prepare(quant_src, tmp_path / "o.gguf", **kwargs)


def test_refuses_to_overwrite(quant_src: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.gguf"
    out.write_text("keep me")
    with pytest.raises(UsageError, match="--force"):
        prepare(quant_src, out, "Q4_K_M")
    with pytest.raises(UsageError, match="different file"):
        prepare(quant_src, quant_src, "Q4_K_M", force=True)


def test_cli_dry_run_writes_nothing(quant_src: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.gguf"
    args = [
        "quantize",
        str(quant_src),
        str(out),
        "--type",
        "Q4_K_M",
        "--recipe",
        "moe",
        "--dry-run",
    ]
    result = CliRunner().invoke(models_app, args)
    assert result.exit_code == 0, result.output
    assert "Q8_0" in result.output and "experts" in result.output
    assert not out.exists()


def test_cli_quantizes(quant_src: Path, tmp_path: Path, llama_cpp: Any) -> None:
    out = tmp_path / "o.gguf"
    result = CliRunner().invoke(
        models_app, ["quantize", str(quant_src), str(out), "--type", "Q8_0"]
    )
    assert result.exit_code == 0, result.output
    assert summarize(out).file_type == "Q8_0"
