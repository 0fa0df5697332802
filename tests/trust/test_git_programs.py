"""The git tools run no program the repository names: hooks (.git/hooks, a husky
core.hooksPath), an fsmonitor, an external diff, a textconv filter, a signing program. Each
writes a marker file when it runs; each is first shown to run under plain git (so the test
would catch it), then the tools run and the marker must not appear."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import RunCli, git, make_repo, write_script
from tests.tools.conftest import ok
from tests.trust.conftest import DECOY_SECRET
from tools.files import write_file
from tools.git import git_blame, git_commit, git_diff, git_log, git_show, git_status
from tools.workspace import Workspace

HOOKS = (
    "pre-commit",
    "prepare-commit-msg",
    "commit-msg",
    "post-commit",
    "post-index-change",
    "reference-transaction",
)


def program(path: Path, marker: Path, tail: str = "") -> Path:
    """An executable script that leaves `marker` behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho ran >> '{marker}'\n{tail}")
    path.chmod(0o755)
    return path


def run_every_tool(ws: Workspace, change: str = "src.txt") -> None:
    (ws.root / change).write_text("changed\n")
    for tool, args in (
        (git_status, {}),
        (git_diff, {}),
        (git_diff, {"target": "HEAD"}),
        (git_log, {}),
        (git_show, {"ref": "HEAD"}),
        (git_show, {"ref": f"HEAD:{change}"}),
        (git_blame, {"path": change, "start": 1, "end": 1}),
    ):
        result = tool.run(ws, args)
        assert not result.is_error, (tool.name, result.content)
    ok(git_commit, ws, message="agent commit")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", {"src.txt": "one\n", "notes.md": "n\n"})


def test_hooks_in_git_hooks_do_not_run(repo: Path, tmp_path: Path) -> None:
    markers = {name: tmp_path / f"marker-{name}" for name in HOOKS}
    for name, marker in markers.items():
        program(repo / ".git" / "hooks" / name, marker)
    run_every_tool(Workspace(repo))
    assert git(repo, "log", "-1", "--format=%s").strip() == "agent commit"
    assert [m.name for m in markers.values() if m.exists()] == []
    # control: the user's own commit does run them
    (repo / "notes.md").write_text("user\n")
    git(repo, "commit", "-qam", "user commit")
    assert markers["pre-commit"].exists() and markers["post-commit"].exists()


def test_git_hooks_setting_lets_commits_run_them_without_secrets(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "marker"
    program(repo / ".git" / "hooks" / "pre-commit", marker, f"env >> '{marker}'\n")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", DECOY_SECRET)
    ws = Workspace(repo)
    ws.git_hooks = True
    # what commands get (runner.command_env_for): the agent's environment without secrets
    ws.command_env = {k: v for k, v in os.environ.items() if k != "AWS_SECRET_ACCESS_KEY"}
    (repo / "src.txt").write_text("two\n")
    ok(git_commit, ws, message="with hooks")
    assert marker.read_text().startswith("ran\n")
    assert DECOY_SECRET not in marker.read_text()


def test_a_rewritten_husky_hook_does_not_run_at_git_commit(
    tmp_path: Path, invoke_cli: RunCli
) -> None:
    """The replay from the issue: a husky repository (core.hooksPath=.husky, an executable
    .husky/pre-commit), a model in auto-edit that rewrites the hook and commits."""
    repo = make_repo(tmp_path / "repo", {"app.py": "x = 1\n"})
    program(repo / ".husky" / "pre-commit", tmp_path / "lint-ran", "exit 0\n")
    git(repo, "add", ".husky/pre-commit")
    git(repo, "commit", "-qm", "husky")
    git(repo, "config", "core.hooksPath", ".husky")
    marker = tmp_path / "pwned"
    payload = f"#!/bin/sh\ntouch '{marker}'\nexit 0"
    steps = [
        'r</think><minimax:tool_call>\n<invoke name="write_file">\n'
        f'<parameter name="path">.husky/pre-commit</parameter>\n'
        f'<parameter name="content">{payload}</parameter>\n</invoke>\n</minimax:tool_call>',
        'r</think><minimax:tool_call>\n<invoke name="git_commit">\n'
        '<parameter name="message">tidy</parameter>\n</invoke>\n</minimax:tool_call>',
        "r</think>\n\nDone.",
    ]
    script = write_script(tmp_path / "s.json", steps)
    proc = invoke_cli(
        "fix", "x", "-C", str(repo), "--backend", f"scripted:{script}",
        "--approval", "auto-edit", "--output-format", "json",
    )  # fmt: skip
    calls = json.loads(proc.stdout)["tool_calls"]
    assert [c["is_error"] for c in calls] == [False, False], calls
    assert os.access(repo / ".husky" / "pre-commit", os.X_OK)  # the rewrite kept the mode
    assert git(repo, "log", "-1", "--format=%s").strip() == "tidy"
    assert not marker.exists()
    # control: the user's next commit would run it (that is the user's hook now; see the diff)
    (repo / "app.py").write_text("x = 2\n")
    git(repo, "commit", "-qam", "user")
    assert marker.exists()


def test_an_fsmonitor_in_the_repository_config_does_not_run(repo: Path, tmp_path: Path) -> None:
    marker = tmp_path / "fsmonitor-ran"
    git(repo, "config", "core.fsmonitor", str(program(tmp_path / "fsmon", marker)))
    git(repo, "status", "--short")
    assert marker.exists()  # control
    marker.unlink()
    run_every_tool(Workspace(repo))
    assert not marker.exists()


def test_external_diff_and_textconv_do_not_run(repo: Path, tmp_path: Path) -> None:
    ext, conv = tmp_path / "ext-ran", tmp_path / "textconv-ran"
    git(repo, "config", "diff.external", str(program(tmp_path / "ext", ext)))
    (repo / ".gitattributes").write_text("*.txt diff=conv\n")
    git(repo, "config", "diff.conv.textconv", str(program(tmp_path / "conv", conv, 'cat "$1"\n')))
    git(repo, "add", ".gitattributes")
    git(repo, "commit", "-qm", "attributes")
    (repo / "src.txt").write_text("control\n")
    git(repo, "diff")
    git(repo, "diff", "--no-ext-diff")  # textconv runs for the plain diff
    assert ext.exists() and conv.exists()  # control
    git(repo, "checkout", "--", "src.txt")
    ext.unlink()
    conv.unlink()
    run_every_tool(Workspace(repo))
    assert not ext.exists() and not conv.exists()
    assert "+changed" in ok(git_show, Workspace(repo), ref="HEAD")  # a plain diff instead


def test_a_signing_program_does_not_run(repo: Path, tmp_path: Path) -> None:
    marker = tmp_path / "gpg-ran"
    git(repo, "config", "commit.gpgsign", "true")
    git(repo, "config", "gpg.program", str(program(tmp_path / "gpg", marker, "exit 1\n")))
    (repo / "src.txt").write_text("control\n")
    with pytest.raises(subprocess.CalledProcessError):  # the fake signer fails
        git(repo, "commit", "-qam", "signed")
    assert marker.exists()  # control
    marker.unlink()
    run_every_tool(Workspace(repo))
    assert not marker.exists()
    assert git(repo, "log", "-1", "--format=%s").strip() == "agent commit"


def test_write_file_still_refuses_the_git_directory(repo: Path) -> None:
    result = write_file.run(Workspace(repo), {"path": ".git/hooks/pre-commit", "content": "x"})
    assert result.is_error and ".git" in result.content
