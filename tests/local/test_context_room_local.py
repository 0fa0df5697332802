"""The tiny model at its own defaults (a 4096-token context) cannot hold the system prompt and
tools: `fix` says so before any generation and names the --n-ctx that fits."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.conftest import RunCli, make_repo


def test_tiny_model_defaults_are_refused_with_the_n_ctx_that_fits(
    llama: Any, tmp_path: Path, tiny_gguf: Path, run_cli: RunCli
) -> None:
    repo = make_repo(tmp_path / "repo", {"calc.py": "def add(a, b):\n    return a - b\n"})
    base = ["fix", "look", "-C", str(repo), "--model", str(tiny_gguf), "--threads", "1"]
    proc = run_cli(*base, "--max-steps", "1", timeout=300)
    assert proc.returncode == 2, proc.stderr
    found = re.search(
        r"minimax-agent: error: the system prompt and tools take (\d+) tokens but the model's "
        r"context is 4096: pass --n-ctx (\d+) \(past the 4096 tokens it was trained on\)",
        proc.stderr,
    )
    assert found is not None, proc.stderr
    tokens, suggested = int(found[1]), int(found[2])
    assert tokens > 4096 and suggested >= 2 * tokens and suggested & (suggested - 1) == 0
    assert "compacting" not in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""  # refused before the first step: nothing generated
