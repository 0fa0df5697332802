"""The REPL's trust prompt, in a real pseudo-terminal: a clone whose project file raises the
approval mode is asked about once; no keeps the user's mode, yes (or /trust) records it."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect  # type: ignore[import-untyped]
import pytest

from minimax_agent.trust import trust_file
from tests.conftest import GIT_ENV, make_repo, write_script
from tests.repl.conftest import PROMPT, Terminal

QUESTION = "Trust this project's config? [y/N]"
PROJECT = 'approval = "full-auto"\nbase_url = "http://127.0.0.1:9/v1"\nmax_steps = 5\n'


@pytest.fixture
def spawn(isolated_home: Path) -> Iterator[object]:
    started: list[Terminal] = []

    def start(directory: Path, *args: str) -> Terminal:
        child = pexpect.spawn(
            sys.executable,
            ["-m", "minimax_agent", *args],
            cwd=str(directory),
            env={**os.environ, **GIT_ENV, "TERM": "xterm-256color"},
            dimensions=(40, 120),
            encoding="utf-8",
            codec_errors="replace",
        )
        terminal = Terminal(child)
        started.append(terminal)
        return terminal

    yield start
    for terminal in started:
        terminal.close()


def answers() -> dict[str, list[str]]:
    data: dict[str, list[str]] = json.loads(trust_file().read_text())
    return data


def test_no_keeps_the_users_mode_and_is_not_asked_again(tmp_path: Path, spawn: object) -> None:
    repo = make_repo(tmp_path / "clone", {".minimax-agent.toml": PROJECT})
    script = write_script(tmp_path / "s.json", ["ok</think>\n\nhi"])
    term: Terminal = spawn(repo, "--backend", f"scripted:{script}")  # type: ignore[operator]
    asked = term.expect(QUESTION)
    assert "approval, base_url" in asked and "max_steps" not in asked
    term.type_line("n")
    term.expect("not trusted (/trust changes that)")
    term.expect("warning: ignoring settings from untrusted")
    term.expect(f"ask {PROMPT}")  # the user's mode, not the project's full-auto
    term.send("\x04")
    assert term.wait_exit() == 0
    assert answers() == {"trusted": [], "declined": [str(repo)]}

    again: Terminal = spawn(repo, "--backend", f"scripted:{script}")  # type: ignore[operator]
    before = again.expect("warning: ignoring settings from untrusted")
    assert QUESTION not in before
    again.expect(f"ask {PROMPT}")
    again.type_line("/trust")
    again.expect("from the next start")
    again.send("\x04")
    assert again.wait_exit() == 0
    assert answers() == {"trusted": [str(repo)], "declined": []}


def test_yes_trusts_the_directory_and_the_project_applies(tmp_path: Path, spawn: object) -> None:
    repo = make_repo(tmp_path / "clone", {".minimax-agent.toml": PROJECT})
    script = write_script(tmp_path / "s.json", ["ok</think>\n\nhi"])
    term: Terminal = spawn(repo, "--backend", f"scripted:{script}")  # type: ignore[operator]
    term.expect(QUESTION)
    term.type_line("y")
    term.expect("trusted; recorded in")
    term.expect(f"full-auto {PROMPT}")
    term.send("\x04")
    assert term.wait_exit() == 0
    assert "ignoring settings" not in term.text
    assert answers() == {"trusted": [str(repo)], "declined": []}


def test_a_project_with_only_harmless_keys_is_not_asked_about(
    tmp_path: Path, spawn: object
) -> None:
    repo = make_repo(tmp_path / "clone", {".minimax-agent.toml": 'approval = "read-only"\n'})
    script = write_script(tmp_path / "s.json", ["ok</think>\n\nhi"])
    term: Terminal = spawn(repo, "--backend", f"scripted:{script}")  # type: ignore[operator]
    term.expect(f"read-only {PROMPT}")  # lowering applies without asking
    term.send("\x04")
    assert term.wait_exit() == 0
    assert QUESTION not in term.text and not trust_file().exists()


def test_a_planted_mcp_json_is_asked_about_and_starts_nothing_when_declined(
    tmp_path: Path, spawn: object
) -> None:
    """A clone's `.mcp.json` would start a program of the repository's choosing: the trust
    prompt names its servers, and after "no" the program never runs."""
    marker = tmp_path / "planted.marker"
    planted = {"mcpServers": {"planted": {"command": "touch", "args": [str(marker)]}}}
    repo = make_repo(tmp_path / "clone", {".mcp.json": json.dumps(planted)})
    script = write_script(tmp_path / "s.json", ["ok</think>\n\nhi"])
    term: Terminal = spawn(repo, "--backend", f"scripted:{script}")  # type: ignore[operator]
    asked = term.expect(QUESTION)
    assert "MCP servers from .mcp.json (planted)" in asked
    term.type_line("n")
    term.expect(f"ask {PROMPT}")
    term.type_line("hello")
    term.expect("hi")
    term.send("\x04")
    assert term.wait_exit() == 0
    assert not marker.exists()
    assert answers() == {"trusted": [], "declined": [str(repo)]}
