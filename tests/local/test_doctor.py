"""`minimax-agent doctor` on this machine (in process, through CliRunner), and the CLI's start-up
staying free of llama_cpp (in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import RunCli


def test_doctor_with_the_tiny_model(
    llama: Any, tmp_path: Path, tiny_gguf: Path, invoke_cli: RunCli
) -> None:
    proc = invoke_cli("doctor", "-C", str(tmp_path), "--model", str(tiny_gguf), "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    checks = {c["name"]: c for c in json.loads(proc.stdout)["checks"]}
    assert checks["llama.cpp"]["status"] == "ok"
    assert "system_info" in checks["llama.cpp"]["data"]
    assert checks["llama.cpp"]["data"]["gpu_offload"] in (True, False)
    assert checks["RAM"]["data"]["available"] > 0
    model = checks["model"]
    assert model["status"] == "ok" and model["data"]["architecture"] == "minimax-m2"
    assert "n_ctx 4096" in model["detail"] and "fits" in model["detail"]
    assert checks["endpoint"]["status"] == "skip"
    assert checks["tiny model"]["status"] == "ok"
    assert checks["tiny model"]["data"]["decode_tps"] > 0
    # llama.cpp says in its log whether `auto` turned flash attention on for this build
    assert checks["tiny model"]["data"]["flash_attn"] in (True, False)


def test_doctor_checks_the_model_the_backend_would_load(
    llama: Any, tmp_path: Path, invoke_cli: RunCli, isolated_home: Path
) -> None:
    # a name is looked up in the models directory, as --model NAME does for fix
    named = invoke_cli("doctor", "-C", str(tmp_path), "--model", "MiniMax-M2.1-Q4_K_M", "--no-tiny")
    assert named.returncode == 2, named.stdout + named.stderr
    assert "✗ model: no model named 'MiniMax-M2.1-Q4_K_M'" in named.stdout
    # `--backend local:PATH` names the file as well as --model does
    missing = tmp_path / "absent.gguf"
    spec = invoke_cli("doctor", "-C", str(tmp_path), "--backend", f"local:{missing}", "--no-tiny")
    assert spec.returncode == 3, spec.stdout + spec.stderr
    assert f"✗ model: {missing}" in spec.stdout


def test_doctor_text_and_an_unreachable_endpoint(
    llama: Any, tmp_path: Path, invoke_cli: RunCli
) -> None:
    # Port 9 (discard) on localhost: nothing listens, the connection is refused at once.
    proc = invoke_cli(
        "doctor", "-C", str(tmp_path), "--base-url", "http://127.0.0.1:9/v1", "--no-tiny"
    )
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "✗ endpoint" in proc.stdout and "GET http://127.0.0.1:9/v1/models" in proc.stdout
    assert "✓ llama.cpp" in proc.stdout


def imported_by(*args: str) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "minimax_agent", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return {line.split("|")[-1].strip() for line in proc.stderr.splitlines()}


def test_start_up_does_not_import_llama_cpp() -> None:
    heavy = ("llama_cpp", "gguf", "numpy", "minimax_agent.backends.local")
    for args in (["--version"], ["fix", "--help"], ["doctor", "--help"]):
        imported = imported_by(*args)
        assert not {m for m in imported if m.startswith(heavy)}, args
    assert "minimax_agent.cli.flags" in imported_by("fix", "--help")
