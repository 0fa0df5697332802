"""Bad model files and settings: one clear line and the documented exit code, never a traceback.

Model file problems (missing, truncated, not GGUF, not a MiniMax architecture) are
`ModelFileError`: exit 3, like any model or backend failure. Unusable settings (an unreadable
chat template, `--tool-choice required` without `--constrain-tools`) are configuration errors:
exit 2. The header is checked before llama.cpp is touched, so most of these need no llama_cpp.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RunCli, make_repo, tiny_template


def llama_arch_gguf(path: Path) -> Path:
    import gguf
    import numpy as np

    writer = gguf.GGUFWriter(path, "llama")
    writer.add_context_length(128)
    writer.add_embedding_length(8)
    writer.add_block_count(1)
    writer.add_head_count(2)
    writer.add_chat_template("{{ messages }}")
    writer.add_tensor("token_embd.weight", np.zeros((16, 8), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def bad_models(tmp_path: Path, tiny: Path) -> dict[str, tuple[Path, str]]:
    truncated = tmp_path / "truncated.gguf"
    data = tiny.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    text = tmp_path / "notes.gguf"
    text.write_text("these are not model weights\n" * 10)
    unsuffixed = tmp_path / "weights.bin"  # an existing file is a file, not a model name
    unsuffixed.write_text("these are not model weights either\n" * 10)
    return {
        "missing": (tmp_path / "nope.gguf", "no such file"),
        "truncated": (truncated, "truncated GGUF"),
        "not gguf": (text, "not a GGUF file"),
        "not gguf, no suffix": (unsuffixed, "not a GGUF file"),
        "llama": (llama_arch_gguf(tmp_path / "llama.gguf"), "'llama' is not a MiniMax model"),
    }


# a process of its own: llama.cpp writes its load errors to file descriptor 2, which CliRunner
# does not capture, and "one error line" is about everything the user sees
def test_bad_model_files_exit_3(tmp_path: Path, tiny_gguf: Path, run_cli: RunCli) -> None:
    repo = make_repo(tmp_path / "repo", {"a.py": "x = 1\n"})
    for name, (path, message) in bad_models(tmp_path, tiny_gguf).items():
        proc = run_cli("fix", "x", "-C", str(repo), "--model", str(path))
        assert proc.returncode == 3, (name, proc.stderr)
        assert message in proc.stderr, (name, proc.stderr)
        assert "Traceback" not in proc.stderr, name
        lines = [line for line in proc.stderr.splitlines() if "error" in line]
        assert len(lines) == 1, (name, proc.stderr)


def test_doctor_reports_a_broken_model(tmp_path: Path, tiny_gguf: Path, invoke_cli: RunCli) -> None:
    path = llama_arch_gguf(tmp_path / "llama.gguf")
    proc = invoke_cli("doctor", "-C", str(tmp_path), "--model", str(path), "--no-tiny")
    assert proc.returncode == 3
    assert "not a MiniMax model" in proc.stdout


def test_configuration_errors_exit_2(
    llama: Any, tmp_path: Path, tiny_gguf: Path, invoke_cli: RunCli
) -> None:
    repo = make_repo(tmp_path / "repo", {"a.py": "x = 1\n"})
    common = ("fix", "x", "-C", str(repo), "--model", str(tiny_gguf))
    unforced = invoke_cli(*common, "--tool-choice", "required")
    assert unforced.returncode == 2 and "--constrain-tools" in unforced.stderr
    missing = invoke_cli(*common, "--chat-template", str(tmp_path / "none.jinja"))
    assert missing.returncode == 2 and "cannot read chat template" in missing.stderr
    (tmp_path / "broken.jinja").write_text("{% if %}")
    broken = invoke_cli(*common, "--chat-template", str(tmp_path / "broken.jinja"))
    assert broken.returncode == 2 and "does not compile" in broken.stderr
    bad_moe = invoke_cli(*common, "--cpu-moe", "some")
    assert bad_moe.returncode == 2 and "cpu_moe" in bad_moe.stderr
    no_fa = invoke_cli(*common, "--kv-type", "q8_0", "--no-flash-attn")
    assert no_fa.returncode == 2 and "needs flash attention" in no_fa.stderr
    runs = (unforced, missing, broken, bad_moe, no_fa)
    assert all("Traceback" not in p.stderr for p in runs)


def test_missing_template_falls_back_with_a_warning(
    make_backend: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from minimax_agent.backends.local import LocalBackend
    from quantize.tiny import write_tiny_model
    from tests.local.conftest import local_settings

    bare = write_tiny_model(tmp_path / "bare.gguf", "tiny", chat_template="")
    with caplog.at_level(logging.WARNING, logger="minimax_agent"):
        backend = LocalBackend.from_settings(local_settings(bare))
    try:
        assert backend.template == tiny_template()
        assert "has no chat template" in caplog.text
    finally:
        backend.close()
    own = tmp_path / "own.jinja"
    own.write_text(tiny_template().replace("You are a helpful assistant.", "Be brief."))
    backend = make_backend(chat_template=own)
    assert backend.template == own.read_text()


def test_a_failed_local_step_says_what_it_sent(make_backend: Any) -> None:
    """A turn that fails (here: a prompt longer than the context) carries the rendered prompt,
    so `--trace` records it as it does an endpoint's request body."""
    from minimax_agent.backends import Request
    from minimax_agent.errors import ContextOverflowError
    from tests.local.conftest import conversation

    backend = make_backend(n_ctx=256)
    task = "a much too long task " * 200
    with pytest.raises(ContextOverflowError) as caught:
        list(backend.stream(Request(messages=conversation(task))))
    assert isinstance(caught.value.request, str)
    assert task in caught.value.request and caught.value.request.startswith("]~!b[")


def test_missing_llama_cpp_names_an_install_that_works() -> None:
    """`minimax-agent` on PyPI is an unrelated project: the hint names llama-cpp-python itself
    (and the checkout's extra), never `pip install 'minimax-agent[local]'`."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['llama_cpp'] = None\n"
        "from minimax_agent.backends.local.library import llama\n"
        "from minimax_agent.errors import ConfigError\n"
        "try:\n    llama()\nexcept ConfigError as exc:\n    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'llama-cpp-python>=0.3.36'" in out.stdout
    assert "minimax-agent[local]" not in out.stdout
