"""Fixtures for the tool tests: a real git repository as the workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_repo
from tools.base import Tool, ToolResult
from tools.workspace import Workspace


@pytest.fixture(autouse=True)
def _no_user_git_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the developer's own git config (signing, hooks paths, default branch) must not leak in
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-global-gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(
        tmp_path / "repo",
        {
            "README.md": "# demo\n",
            "src/app.py": "def main():\n    return 1\n",
            ".gitignore": "build/\n*.log\n",
        },
    )


@pytest.fixture
def ws(repo: Path) -> Workspace:
    return Workspace(repo)


@pytest.fixture
def plain_ws(tmp_path: Path) -> Workspace:
    """A workspace that is not a git repository."""
    root = tmp_path / "plain"
    root.mkdir()
    return Workspace(root)


def ok(tool: Tool, ws: Workspace, **arguments: Any) -> str:
    """Run a tool through its real entry point and return its result, which must succeed."""
    result = tool.run(ws, arguments)
    assert not result.is_error, result.content
    return result.content


def err(tool: Tool, ws: Workspace, **arguments: Any) -> str:
    """Run a tool that must fail; returns the error text the model would see."""
    result: ToolResult = tool.run(ws, arguments)
    assert result.is_error, result.content
    return result.content
