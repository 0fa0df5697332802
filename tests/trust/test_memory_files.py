"""A cloned repository's AGENTS.md / CLAUDE.md goes into the system prompt, and so to the
endpoint: one that is a link to a file outside the repository must not be read."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from minimax_agent.session.memory import project_instructions, project_memories
from minimax_agent.session.prompt import system_prompt

DECOY = "-----BEGIN OPENSSH PRIVATE KEY----- decoy-key-material"


@pytest.fixture
def cloned(tmp_path: Path) -> tuple[Path, Path]:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text(DECOY)
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return repo, home / ".ssh" / "id_rsa"


def test_a_symlinked_memory_file_leading_outside_is_not_read(cloned: tuple[Path, Path]) -> None:
    repo, secret = cloned
    (repo / "AGENTS.md").symlink_to(secret)
    assert project_memories(repo) == []
    assert project_instructions(repo) == []  # the reader review's prompt uses too
    assert DECOY not in system_prompt(repo)


def test_a_hard_linked_memory_file_is_not_read(cloned: tuple[Path, Path]) -> None:
    repo, secret = cloned
    os.link(secret, repo / "CLAUDE.md")
    assert project_memories(repo) == []
    assert DECOY not in system_prompt(repo)


def test_a_fifo_memory_file_does_not_block_the_start(cloned: tuple[Path, Path]) -> None:
    repo, _ = cloned
    os.mkfifo(repo / "AGENTS.md")
    assert project_memories(repo) == []


def test_a_plain_memory_file_and_a_link_inside_the_repo_are_read(
    cloned: tuple[Path, Path],
) -> None:
    repo, _ = cloned
    (repo / "docs").mkdir()
    (repo / "docs" / "agents.md").write_text("run make test")
    (repo / "AGENTS.md").symlink_to("docs/agents.md")
    assert project_memories(repo) == [("AGENTS.md", "run make test")]
    assert project_instructions(repo) == ["# Project instructions (AGENTS.md)\nrun make test"]
    assert "run make test" in system_prompt(repo)
