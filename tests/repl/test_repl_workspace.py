"""The REPL's git-aware workspace in a real pty: started in a subdirectory it works at the git
root and tells the model where the user stands; outside git it says checkpoints are off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from minimax_agent.session.workspace import NO_CHECKPOINTS
from tests.conftest import make_repo, write_script
from tests.repl.conftest import PROMPT, Terminal
from tests.repl.test_repl import session_records

ANSWER = "ok\n</think>\n\nHello there."


def test_outside_git_the_session_says_checkpoints_are_off(tmp_path: Path, start_repl: Any) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    script = write_script(tmp_path / "s.json", [ANSWER])
    term: Terminal = start_repl(plain, "--backend", f"scripted:{script}")
    term.type_line("hi")
    term.expect("Hello there.")
    term.expect(PROMPT)
    term.send("\x04")
    assert term.wait_exit() == 0
    # the notice may wrap at the pty's width: compared with its line breaks taken out
    shown = " ".join(term.text.split())
    assert shown.count(" ".join(NO_CHECKPOINTS.split())) == 1


def test_from_a_subdirectory_the_workspace_is_the_git_root(
    tmp_path: Path, start_repl: Any, isolated_home: Path
) -> None:
    repo = make_repo(tmp_path / "repo", {"pkg/mod.py": "x = 1\n"})
    script = write_script(tmp_path / "s.json", [ANSWER])
    term: Terminal = start_repl(repo / "pkg", "--backend", f"scripted:{script}")
    term.type_line("hi")
    term.expect("Hello there.")
    term.expect(PROMPT)
    term.send("\x04")
    assert term.wait_exit() == 0
    assert NO_CHECKPOINTS not in term.text
    header = term.text.splitlines()[0]
    assert header.endswith(str(repo.resolve()))
    meta, system = session_records(isolated_home)[:2]
    assert meta["root"] == str(repo.resolve())
    assert "- Current directory: pkg (the user started here" in system["m"]["content"]
