"""`models quantize` through llama.cpp's quantizer, on the K-quant-able tiny model."""

from __future__ import annotations

import ctypes
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gguf
import numpy as np
import pytest
from typer.testing import CliRunner

from minimax_agent.cli.models import models_app
from quantize.errors import ModelFileError, QuantizeUsageError
from quantize.imatrix import load_imatrix
from quantize.inspect import summarize
from quantize.requant import estimate, prepare, run
from quantize.tiny import write_tiny_model
from tests.conftest import tiny_template


@pytest.fixture(scope="module")
def quant_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("q") / "src.gguf"
    return write_tiny_model(path, size="quant", chat_template=tiny_template())


@pytest.fixture(scope="module")
def f32_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("q") / "f32.gguf"
    return write_tiny_model(path, size="quant", dtype="f32", chat_template=tiny_template())


@pytest.fixture(scope="module")
def llama_cpp() -> Any:
    return pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")


def _generates(llama_cpp: Any, model: Path) -> None:
    """The model loads in llama.cpp and generates at least one token for an M2 prompt."""
    llm = llama_cpp.Llama(model_path=str(model), n_ctx=128, verbose=False, seed=1)
    done = llm.create_completion("]~b]user\nhi[e~[\n]~b]ai\n<think>\n", max_tokens=3)
    assert done["usage"]["completion_tokens"] >= 1


def test_f32_to_q8_0_loads_and_generates(f32_src: Path, tmp_path: Path, llama_cpp: Any) -> None:
    source = summarize(f32_src)
    assert source.file_type == "F32"
    assert set(source.groups["experts"].types) == {"F32"}
    out = run(prepare(f32_src, tmp_path / "q8.gguf", "Q8_0"))
    s = summarize(out)
    assert s.file_type == "Q8_0"
    for group in ("attention", "experts", "embeddings", "output"):
        assert set(s.groups[group].types) == {"Q8_0"}, group
    # Q8_0: 34 bytes per 32 weights, against 128 bytes in F32
    experts = source.groups["experts"]
    assert s.groups["experts"].n_bytes == experts.n_bytes // 128 * 34
    _generates(llama_cpp, out)


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
    _generates(llama_cpp, out)


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
    quant_src: Path, tmp_path: Path, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(QuantizeUsageError, match=message):
        prepare(quant_src, tmp_path / "o.gguf", **kwargs)


def test_refuses_to_overwrite(quant_src: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.gguf"
    out.write_text("keep me")
    with pytest.raises(QuantizeUsageError, match="--force"):
        prepare(quant_src, out, "Q4_K_M")
    with pytest.raises(QuantizeUsageError, match="different file"):
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


def _log_callback_address(llama_cpp: Any) -> int | None:
    current = llama_cpp.llama_log_callback()
    llama_cpp.llama_log_get(ctypes.byref(current), ctypes.byref(ctypes.c_void_p()))
    address: int | None = ctypes.cast(current, ctypes.c_void_p).value
    return address


@pytest.fixture
def log_restored(llama_cpp: Any) -> Iterator[None]:
    """The test leaves llama.cpp's log callback as it found it (llama-cpp-python's own, or
    whichever another test in this process installed)."""
    before = _log_callback_address(llama_cpp)
    yield
    assert _log_callback_address(llama_cpp) == before


@pytest.mark.usefixtures("log_restored")
def test_on_tensor_hears_every_tensor_in_order(quant_src: Path, tmp_path: Path) -> None:
    calls: list[tuple[int, int, str]] = []
    out = run(
        prepare(quant_src, tmp_path / "p.gguf", "Q4_K_M"),
        on_tensor=lambda i, n, name: calls.append((i, n, name)),
    )
    n_tensors = summarize(out).n_tensors
    assert n_tensors == summarize(quant_src).n_tensors
    assert [i for i, _, _ in calls] == list(range(1, n_tensors + 1))
    assert {n for _, n, _ in calls} == {n_tensors}
    names = [name for _, _, name in calls]
    assert len(set(names)) == n_tensors
    assert "blk.0.ffn_down_exps.weight" in names


@pytest.mark.usefixtures("log_restored")
def test_a_failing_hook_stops_the_job_after_the_call(quant_src: Path, tmp_path: Path) -> None:
    calls: list[int] = []

    def hook(index: int, total: int, name: str) -> None:
        calls.append(index)
        if index == 3:
            raise RuntimeError("stop here")

    out = tmp_path / "f.gguf"
    with pytest.raises(RuntimeError, match="stop here"):
        run(prepare(quant_src, out, "Q8_0"), on_tensor=hook)
    assert calls == [1, 2, 3]  # not called again once it failed
    assert not out.exists() and not list(tmp_path.glob("*.part"))


def _matmul_weights(model: Path) -> dict[str, tuple[int, int]]:
    """Tensor name -> (input columns, experts) for every weight an imatrix would cover."""
    out = {}
    for t in gguf.GGUFReader(model).tensors:
        shape = [int(d) for d in t.shape]
        if t.name.endswith(".weight") and len(shape) >= 2 and shape[1] > 1:
            out[t.name] = (shape[0], shape[2] if len(shape) > 2 else 1)
    return out


def _write_gguf_imatrix(model: Path, path: Path, counts: int = 10) -> dict[str, np.ndarray]:
    """An imatrix in llama-imatrix's GGUF layout; returns the sums it wrote (as numpy arrays
    shaped experts x columns). The first expert of each expert tensor never saw a token."""
    rng = np.random.default_rng(0)
    writer = gguf.GGUFWriter(path, "minimax-m2")
    writer.add_type(gguf.GGUFType.IMATRIX)
    writer.add_array(gguf.Keys.IMatrix.DATASETS, ["calibration.txt"])
    writer.add_uint32(gguf.Keys.IMatrix.CHUNK_COUNT, 7)
    writer.add_uint32(gguf.Keys.IMatrix.CHUNK_SIZE, 512)
    sums = {}
    for name, (cols, experts) in _matmul_weights(model).items():
        sums[name] = rng.uniform(0.5, 2.0, (experts, cols)).astype(np.float32) * counts
        n = np.full((experts, 1), counts, dtype=np.float32)
        if experts > 1:
            n[0] = 0
        writer.add_tensor(f"{name}.in_sum2", sums[name])
        writer.add_tensor(f"{name}.counts", n)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return sums


def _write_legacy_imatrix(path: Path, sums: dict[str, np.ndarray], ncall: int) -> None:
    blob = struct.pack("<i", len(sums))
    for name, values in sums.items():
        flat = values.astype("<f4").reshape(-1)
        blob += struct.pack("<i", len(name)) + name.encode()
        blob += struct.pack("<ii", ncall, flat.size) + flat.tobytes()
    dataset = b"calibration.txt"
    path.write_bytes(blob + struct.pack("<ii", 7, len(dataset)) + dataset)


def test_imatrix_formats_load_as_llama_quantize_reads_them(quant_src: Path, tmp_path: Path) -> None:
    sums = _write_gguf_imatrix(quant_src, tmp_path / "m.gguf", counts=10)
    new = load_imatrix(tmp_path / "m.gguf")
    assert (new.datasets, new.chunks) == (["calibration.txt"], 7)
    assert set(new.values) == set(sums)
    experts = new.values["blk.0.ffn_up_exps.weight"].reshape(8, -1)
    np.testing.assert_array_equal(experts[0], 1.0)  # no tokens: neutral
    np.testing.assert_allclose(experts[1:], sums["blk.0.ffn_up_exps.weight"][1:] / 10)

    _write_legacy_imatrix(tmp_path / "m.dat", sums, ncall=10)
    old = load_imatrix(tmp_path / "m.dat")
    assert (old.datasets, old.chunks) == (["calibration.txt"], 7)
    for name, values in sums.items():
        np.testing.assert_allclose(old.values[name], values.reshape(-1) / 10, rtol=1e-6)


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [
        (None, QuantizeUsageError, "cannot read the importance matrix"),
        (b"\x01\x00\x00\x00\x05\x00", ModelFileError, "not a usable importance matrix"),
        (struct.pack("<i", 0), ModelFileError, "not a usable importance matrix"),
    ],
)
def test_bad_imatrix_fails_before_any_work(
    quant_src: Path, tmp_path: Path, content: bytes | None, error: type[Exception], message: str
) -> None:
    path = tmp_path / "bad.dat"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(error, match=message):
        prepare(quant_src, tmp_path / "o.gguf", "IQ2_XXS", imatrix=path)


@pytest.mark.usefixtures("log_restored")
def test_imatrix_makes_iq2_possible(quant_src: Path, tmp_path: Path) -> None:
    # IQ2_XXS refuses to run without an importance matrix: proof the matrix reaches llama.cpp
    with pytest.raises(ModelFileError, match="could not quantize"):
        run(prepare(quant_src, tmp_path / "no.gguf", "IQ2_XXS"))

    entries = len(_write_gguf_imatrix(quant_src, tmp_path / "m.gguf"))
    out = run(prepare(quant_src, tmp_path / "iq2.gguf", "IQ2_XXS", imatrix=tmp_path / "m.gguf"))
    s = summarize(out)
    assert s.file_type == "IQ2_XXS"
    assert set(s.groups["experts"].types) == {"IQ2_XXS"}
    fields = gguf.GGUFReader(out).fields
    assert fields["quantize.imatrix.entries_count"].contents() == entries
    assert fields["quantize.imatrix.chunks_count"].contents() == 7
    assert fields["quantize.imatrix.dataset"].contents() == "calibration.txt"


def test_cli_imatrix_and_progress_lines(quant_src: Path, tmp_path: Path, llama_cpp: Any) -> None:
    entries = len(_write_gguf_imatrix(quant_src, tmp_path / "m.gguf"))
    out = tmp_path / "o.gguf"
    args = ["quantize", str(quant_src), str(out), "--type", "IQ2_XXS"]
    result = CliRunner().invoke(models_app, [*args, "--imatrix", str(tmp_path / "m.gguf")])
    assert result.exit_code == 0, result.output
    assert f"importance matrix: {entries} tensors" in result.output
    # not a terminal: a line per 10%, never a line per tensor
    progress = [line for line in result.output.splitlines() if line.startswith("quantizing:")]
    assert progress[0].startswith("quantizing: 10%") and len(progress) == 9
    assert "blk.0.attn_q.weight" not in result.output
    assert summarize(out).file_type == "IQ2_XXS"
