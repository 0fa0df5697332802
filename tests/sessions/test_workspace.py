"""The git-aware workspace (session/workspace.py) and the project files from the git root down
(config.load_settings, trust.project_dirs): real temporary git repositories, a decoy home, and
`fix` through the real CLI from a subdirectory, with `-C`, and outside git."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from minimax_agent.config import load_settings, trust_question
from minimax_agent.errors import WorkspaceError
from minimax_agent.session.store import list_sessions, load_session
from minimax_agent.session.workspace import NO_CHECKPOINTS, find_workspace
from minimax_agent.trust import PROJECT_FILE, project_dirs
from tests.conftest import RunCli, make_repo, write_script
from tests.sessions.conftest import invoke

DONE = "r\n</think>\n\nAll done."
READ = "look\n</think>\n\n" + invoke("read_file", path="README.md")


@pytest.fixture
def nested(tmp_path: Path, isolated_home: Path) -> Path:
    """A repository with a subdirectory two levels down: repo/pkg/sub."""
    repo = make_repo(tmp_path / "repo", {"README.md": "# demo\n", "pkg/sub/mod.py": "x = 1\n"})
    return repo


def write_config(directory: Path, text: str) -> None:
    (directory / PROJECT_FILE).write_text(text)


def trust(isolated_home: Path, directory: Path) -> None:
    config = isolated_home / ".config" / "minimax-agent" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f"trusted_projects = [{json.dumps(str(directory.resolve()))}]\n")


# -- finding the workspace ---------------------------------------------------------------------


def test_without_c_the_workspace_is_the_git_root_and_the_subdir_is_remembered(
    nested: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(nested / "pkg" / "sub")
    found = find_workspace(None)
    assert found.root == nested.resolve() and found.in_git
    assert found.subdir == Path("pkg/sub") and found.here == (nested / "pkg" / "sub").resolve()


def test_c_keeps_the_given_directory_even_inside_a_repository(nested: Path) -> None:
    found = find_workspace(nested / "pkg")
    assert found.root == (nested / "pkg").resolve() and found.subdir == Path(".")
    assert found.in_git


def test_outside_git_the_current_directory_is_the_workspace(
    tmp_path: Path, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.chdir(plain)
    found = find_workspace(None)
    assert (found.root, found.subdir, found.in_git) == (plain.resolve(), Path("."), False)


def test_a_git_file_counts_as_a_repository(tmp_path: Path, isolated_home: Path) -> None:
    worktree = tmp_path / "wt"
    (worktree / "a").mkdir(parents=True)
    (worktree / ".git").write_text("gitdir: /elsewhere/.git/worktrees/wt\n")
    assert find_workspace(worktree / "a").in_git


def test_a_missing_directory_is_a_workspace_error(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="does not exist"):
        find_workspace(tmp_path / "nope")
    (tmp_path / "file").write_text("")
    with pytest.raises(WorkspaceError, match="not a directory"):
        find_workspace(tmp_path / "file")


# -- config from the git root down -------------------------------------------------------------


def test_project_dirs_run_from_the_git_root_down_to_where_the_run_started(nested: Path) -> None:
    root = nested.resolve()
    assert project_dirs(root, root / "pkg" / "sub") == [root, root / "pkg", root / "pkg" / "sub"]
    # -C pkg: the repository's own file still applies above the workspace
    assert project_dirs(root / "pkg") == [root, root / "pkg"]
    assert project_dirs(root, Path("/elsewhere")) == [root]


def test_a_deeper_project_file_overrides_a_shallower_one(nested: Path) -> None:
    root = nested.resolve()
    write_config(root, "max_steps = 3\ntemperature = 0.5\n")
    write_config(root / "pkg", "max_steps = 7\n")
    settings = load_settings(root, here=root / "pkg" / "sub")
    assert settings.max_steps == 7 and settings.temperature == 0.5
    # run from the root, the nested file is not on the way
    assert load_settings(root).max_steps == 3


def test_untrusted_nested_files_are_filtered_and_each_named(nested: Path) -> None:
    root = nested.resolve()
    write_config(root, 'base_url = "http://evil.invalid/v1"\nmax_steps = 4\n')
    write_config(root / "pkg", "sandbox_network = true\nmax_steps = 6\n")
    settings = load_settings(root, here=root / "pkg")
    assert settings.base_url is None and settings.sandbox_network is False
    assert settings.max_steps == 6
    assert settings.ignored_project_keys == ["base_url", "sandbox_network"]
    assert [w.split(":")[0] for w in settings.warnings] == [
        f"ignoring settings from untrusted {root / PROJECT_FILE}",
        f"ignoring settings from untrusted {root / 'pkg' / PROJECT_FILE}",
    ]
    # the REPL's trust question names what a nested file would have set too
    assert trust_question(root, {}, root / "pkg") == ["base_url", "sandbox_network"]


def test_nested_files_take_the_trust_of_the_workspace_root(
    nested: Path, isolated_home: Path
) -> None:
    root = nested.resolve()
    write_config(root / "pkg", 'base_url = "http://localhost:9/v1"\n')
    trust(isolated_home, root)
    settings = load_settings(root, here=root / "pkg")
    assert settings.base_url == "http://localhost:9/v1" and not settings.warnings
    # -C pkg: pkg itself is the workspace, and it is not trusted
    assert load_settings(root / "pkg").base_url is None


# -- fix from a subdirectory, with -C, outside git -------------------------------------------


def test_fix_from_a_subdirectory_uses_the_roots_config_and_works_at_the_root(
    tmp_path: Path, nested: Path, invoke_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = write_script(tmp_path / "s.json", [READ, DONE])
    write_config(nested, f"backend = {json.dumps(f'scripted:{script}')}\n")
    monkeypatch.chdir(nested / "pkg" / "sub")
    proc = invoke_cli("fix", "read the readme", "--trust-project", "--output-format", "json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    # README.md is relative to the workspace root, so the run worked there
    assert result["tool_calls"][0]["result"].count("# demo") == 1
    assert NO_CHECKPOINTS not in proc.stderr
    (info,) = list_sessions()
    assert info.root == str(nested.resolve())
    system = load_session(info).messages[0].content
    assert "- Current directory: pkg/sub (the user started here" in system
    assert f"- Workspace root: {nested.resolve()}\n" in system


def test_nested_config_limits_a_fix_run_from_its_directory(
    tmp_path: Path, nested: Path, invoke_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = write_script(tmp_path / "s.json", [READ, DONE])
    write_config(nested, "max_steps = 5\n")
    write_config(nested / "pkg", "max_steps = 1\n")  # untrusted: a safe key still applies
    monkeypatch.chdir(nested / "pkg" / "sub")
    proc = invoke_cli("fix", "go", "--backend", f"scripted:{script}", "--output-format", "json")
    assert proc.returncode == 1 and json.loads(proc.stdout)["status"] == "max_steps"


def test_fix_with_c_keeps_the_given_directory(
    tmp_path: Path, nested: Path, invoke_cli: RunCli
) -> None:
    script = write_script(tmp_path / "s.json", [DONE])
    sub = nested / "pkg"
    proc = invoke_cli("fix", "go", "-C", str(sub), "--backend", f"scripted:{script}")
    assert proc.returncode == 0, proc.stderr
    (info,) = list_sessions()
    assert info.root == str(sub.resolve())
    assert "Current directory" not in load_session(info).messages[0].content


def test_fix_outside_git_says_checkpoints_are_off(
    tmp_path: Path, isolated_home: Path, invoke_cli: RunCli
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    script = write_script(tmp_path / "s.json", [DONE])
    for output in ("text", "json"):
        proc = invoke_cli(
            "fix", "go", "-C", str(plain), "--backend", f"scripted:{script}",
            "--output-format", output,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        assert f"minimax-agent: {NO_CHECKPOINTS}\n" in proc.stderr
        assert NO_CHECKPOINTS not in proc.stdout


def test_the_agent_cannot_write_a_project_file_at_any_depth(
    tmp_path: Path, nested: Path, invoke_cli: RunCli
) -> None:
    plant = invoke("write_file", path="pkg/sub/.minimax-agent.toml", content='backend = "x"')
    script = write_script(tmp_path / "s.json", ["w\n</think>\n\n" + plant, DONE])
    proc = invoke_cli(
        "fix", "go", "-C", str(nested), "--backend", f"scripted:{script}",
        "--output-format", "json",
    )  # fmt: skip
    (call,) = json.loads(proc.stdout)["tool_calls"]
    assert call["is_error"] and "agent's own configuration" in call["result"]
    assert not (nested / "pkg" / "sub" / PROJECT_FILE).exists()
