"""`models tiny`, and that the command module stays light to import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import gguf
from typer.testing import CliRunner

from minimax_agent.cli.models import models_app


def test_tiny_writes_and_refuses_to_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "m.gguf"
    runner = CliRunner()
    first = runner.invoke(models_app, ["tiny", str(out), "--seed", "5"])
    assert first.exit_code == 0, first.output
    assert gguf.GGUFReader(out).fields["general.architecture"].contents() == "minimax-m2"
    before = out.read_bytes()

    again = runner.invoke(models_app, ["tiny", str(out), "--seed", "6"])
    assert again.exit_code == 2
    assert "--force" in again.output
    assert out.read_bytes() == before

    forced = runner.invoke(models_app, ["tiny", str(out), "--seed", "6", "--force"])
    assert forced.exit_code == 0, forced.output
    assert out.read_bytes() != before


def test_tiny_into_a_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    out = tmp_path / "no" / "such" / "dir" / "m.gguf"
    result = CliRunner().invoke(models_app, ["tiny", str(out)])
    assert result.exit_code == 2, result.output
    assert f"cannot write {out}" in result.output


def test_tiny_unknown_size(tmp_path: Path) -> None:
    result = CliRunner().invoke(models_app, ["tiny", str(tmp_path / "m.gguf"), "--size", "xl"])
    assert result.exit_code == 2
    assert "unknown tiny model size 'xl'" in result.output


def test_importing_the_commands_loads_nothing_heavy() -> None:
    code = (
        "import sys, minimax_agent.cli.models\n"
        "heavy = {'gguf', 'numpy', 'llama_cpp', 'rich.table'} & set(sys.modules)\n"
        "print(sorted(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
