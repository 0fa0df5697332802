"""The interactive session with nothing configured offers setup before it loads, in a real
pseudo-terminal: the provider picked from the list, the key typed hidden and checked, then the
session talks to that provider. Declining leaves the load to say what is missing."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect  # type: ignore[import-untyped]
import pytest

from tests.conftest import make_repo
from tests.fakes.openai_server import FakeOpenAIServer, Turn
from tests.repl.conftest import PROMPT, Terminal
from tests.setup.conftest import KEY, table

OFFER = "Set up a provider now? [Y/n]"


@pytest.fixture
def spawn(home: Path) -> Iterator[object]:
    started: list[Terminal] = []

    def start(directory: Path) -> Terminal:
        child = pexpect.spawn(
            sys.executable,
            ["-m", "minimax_agent"],
            cwd=str(directory),
            env={**os.environ, "TERM": "xterm-256color"},
            dimensions=(40, 120),
            encoding="utf-8",
            codec_errors="replace",
        )
        started.append(Terminal(child))
        return started[-1]

    yield start
    for terminal in started:
        terminal.close()


def test_the_session_offers_setup_and_then_uses_it(
    tmp_path: Path, spawn: object, config_dir: Path, endpoint: FakeOpenAIServer
) -> None:
    (config_dir / "config.toml").write_text(table(endpoint))
    endpoint.get_needs_key = True
    endpoint.add(Turn(reasoning="Greet.", text="Hello from the endpoint."))
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    term: Terminal = spawn(repo)  # type: ignore[operator]
    term.expect("Nothing is configured yet")
    term.expect(OFFER)
    term.type_line("y")
    listed = term.expect("Provider [1-4 or a name, Enter skips]:")
    assert "1. openrouter" in listed and "https://openrouter.ai/keys" in listed
    term.type_line("1")
    term.expect("Paste your OPENROUTER_API_KEY (get one at https://openrouter.ai/keys)")
    term.type_line("sk-or-mistyped-000000")  # refused: asked for again
    term.expect("refused the key (HTTP 401): that key does not work; try again (2 left)")
    term.expect("Paste your OPENROUTER_API_KEY")
    term.type_line(KEY)
    term.expect("accepted the key")
    term.expect(PROMPT)
    assert KEY not in term.text and "mistyped" not in term.text  # typed hidden, never echoed
    term.type_line("hello")
    term.expect("Hello from the endpoint.")
    assert (config_dir / "credentials.toml").is_file()
    term.send("\x04")
    assert term.wait_exit() == 0


def test_declining_leaves_the_load_to_name_the_ways(tmp_path: Path, spawn: object) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    term: Terminal = spawn(repo)  # type: ignore[operator]
    term.expect(OFFER)
    term.type_line("n")
    term.expect("no backend configured")
    assert "--provider NAME" in term.text and "minimax-agent setup" in term.text
    assert term.wait_exit() == 2
