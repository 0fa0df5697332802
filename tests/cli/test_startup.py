"""What the interactive start imports: it must reach the REPL without typer (whose per-parameter
pydantic adapters would double the time to the prompt) and without rich (loaded by the REPL
once the prompt is drawn). A fresh interpreter is the only honest place to look."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_the_interactive_start_imports_neither_typer_nor_pydantic(tmp_path: Path) -> None:
    cmd = [sys.executable, "-X", "importtime", "-m", "minimax_agent", "-C", str(tmp_path)]
    cmd += ["--backend", "scripted:none.json", "--n-ctx", "4096", "--approval", "auto-edit"]
    # no terminal: the session refuses (exit 2) after the fast start has read the flags
    proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2 and "needs a terminal" in proc.stderr
    imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines()}
    assert "minimax_agent.cli.fast_start" in imported
    assert not {m for m in imported if m.startswith(("typer", "pydantic", "rich"))}


def test_anything_else_goes_through_typer(tmp_path: Path) -> None:
    cmd = [sys.executable, "-X", "importtime", "-m", "minimax_agent", "-C", str(tmp_path), "-v"]
    proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2 and "needs a terminal" in proc.stderr
    imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines()}
    assert "typer" in imported
