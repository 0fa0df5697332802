"""A context window that the system prompt and tools all but fill is refused at the start,
with the size that would do, instead of compacting before every step to no avail. Generic:
here a scripted backend with a small configured window (any remote model's case)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import RunCli, make_repo, write_script

ANSWER = "Done.\n</think>\n\nNothing to change."


def test_a_window_the_prompt_fills_is_refused_up_front(invoke_cli: RunCli, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"calc.py": "def add(a, b):\n    return a + b\n"})
    (repo / ".minimax-agent.toml").write_text("context_window = 2048\n")
    script = write_script(tmp_path / "script.json", [ANSWER])
    shown = invoke_cli("fix", "look", "-C", str(repo), "--backend", f"scripted:{script}")
    assert shown.returncode == 2, shown.stderr
    message = re.fullmatch(
        r"minimax-agent: error: the system prompt and tools take about (\d+) tokens but the "
        r"model's context is 2048: use a model with a longer context \(or set context_window, "
        r"if that figure is wrong\)\n",
        shown.stderr,
    )
    assert message is not None, shown.stderr
    assert "compacting" not in shown.stderr


def test_a_window_with_room_runs(invoke_cli: RunCli, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"calc.py": "def add(a, b):\n    return a + b\n"})
    (repo / ".minimax-agent.toml").write_text("context_window = 65536\n")
    script = write_script(tmp_path / "script.json", [ANSWER])
    shown = invoke_cli("fix", "look", "-C", str(repo), "--backend", f"scripted:{script}")
    assert shown.returncode == 0, shown.stderr
