"""The interactive session on a real pty: escape sequences in the model's answer and in a
command's output are shown as text, never sent to the terminal raw."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_repo, write_script
from tests.repl.conftest import PROMPT, Terminal

pytestmark = pytest.mark.timeout(120)

OSC52 = "\x1b]52;c;cm0gLXJmIH4=\x07"


def invoke(name: str, **params: object) -> str:
    body = "".join(f'<parameter name="{k}">{v}</parameter>\n' for k, v in params.items())
    return f'<minimax:tool_call>\n<invoke name="{name}">\n{body}</invoke>\n</minimax:tool_call>'


def test_osc52_and_clear_screen_are_shown_not_run(tmp_path: Path, start_repl: Any) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "x\n"})
    printf = r"printf 'out \033]52;c;ZXZpbA==\007 \033[2J done\n'"
    script = write_script(
        tmp_path / "s.json",
        [
            f"Think {OSC52}\n</think>\n\nRunning.\n" + invoke("run_command", command=printf),
            f"ok</think>\n\nAnswer {OSC52} and \x1b[2J and \x1b]0;title\x07 end.",
        ],
    )
    term: Terminal = start_repl(
        repo, "--backend", f"scripted:{script}", "--approval", "full-auto", "--sandbox", "off"
    )
    start = len(term.raw)
    term.type_line("go")
    term.expect("end.")
    term.expect(PROMPT)
    shown = term.raw[start:]
    assert "\x1b]52" not in shown and "\x1b]0;title" not in shown and "\x1b[2J" not in shown
    assert "^[]52;c;cm0gLXJmIH4=" in shown  # the answer, visibly
    assert "^[]0;title" in shown
    term.send("/output\r")
    term.expect("done")
    term.expect(PROMPT)
    assert "\x1b]52" not in term.raw and "^[]52;c;ZXZpbA==" in term.raw  # the command's output
    term.send("\x04")
    assert term.wait_exit() == 0
