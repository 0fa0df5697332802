"""The REPL's sandbox: full-auto never runs commands unsandboxed unless the user said so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import make_repo, write_script
from tests.repl.conftest import PROMPT, Terminal
from tests.repl.test_repl import invoke
from tests.tools.test_sandbox import path_without_bwrap


def test_switching_to_full_auto_without_a_sandbox_is_refused(
    tmp_path: Path, start_repl: Any
) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    steps = [
        "r</think>\n\n" + invoke("run_command", command="echo ran > ran.txt"),
        "r</think>\n\nok",
    ]
    script = write_script(tmp_path / "s.json", steps)
    env = {"PATH": path_without_bwrap(tmp_path)}
    # attended and in ask mode, the session starts without the sandbox (a person approves)
    term: Terminal = start_repl(repo, "--backend", f"scripted:{script}", env=env)
    term.type_line("/approval full-auto")
    term.expect("bwrap was not found on PATH")
    term.expect(PROMPT)
    term.type_line("/approval")
    term.expect("approval mode: ask")
    term.send("\x04")
    assert term.wait_exit() == 0
    assert not (repo / "ran.txt").exists()


def test_full_auto_with_the_sandbox_turned_off_by_the_user_is_allowed(
    tmp_path: Path, start_repl: Any
) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    script = write_script(tmp_path / "s.json", ["r</think>\n\nok"])
    env = {"PATH": path_without_bwrap(tmp_path)}
    term: Terminal = start_repl(
        repo, "--backend", f"scripted:{script}", "--sandbox", "off", env=env
    )
    term.type_line("/approval full-auto")
    term.expect("approval mode: full-auto")
    term.send("\x04")
    assert term.wait_exit() == 0
