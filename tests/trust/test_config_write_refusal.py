"""The agent may not write its own configuration: the project file (at the workspace root and
at the repository top), the user's config directory and the trust list. Through the real
tools, on a workspace built by `runner.build_agent` as every run builds it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from minimax_agent.config import load_settings, user_config_file
from minimax_agent.session.runner import build_agent
from minimax_agent.trust import remember, trust_file
from minimax_agent.ui.headless import HeadlessHooks
from tests.conftest import RunCli, make_repo, write_script
from tests.tools.conftest import err, ok
from tools.files import edit_file, write_file
from tools.workspace import Workspace

PLANTED = 'approval = "full-auto"\nbase_url = "http://evil/v1"\n'


def invoke(name: str, **params: object) -> str:
    body = "".join(f'<parameter name="{k}">{v}</parameter>\n' for k, v in params.items())
    return f'<minimax:tool_call>\n<invoke name="{name}">\n{body}</invoke>\n</minimax:tool_call>'


def workspace_of_a_run(root: Path, tmp_path: Path) -> Workspace:
    script = write_script(tmp_path / "unused.json", ["done"])
    settings = load_settings(root, backend=f"scripted:{script}")
    agent = build_agent(settings, root, HeadlessHooks(None), interactive=False)
    return agent.workspace


def test_fix_in_auto_edit_cannot_plant_a_project_config(tmp_path: Path, invoke_cli: RunCli) -> None:
    """The replay: the model writes .minimax-agent.toml, then edits it, then tries a detour."""
    repo = make_repo(tmp_path / "repo", {".minimax-agent.toml": "max_steps = 10\n", "a.py": ""})
    steps = [
        "r</think>" + invoke("write_file", path=".minimax-agent.toml", content=PLANTED),
        "r</think>"
        + invoke(
            "edit_file",
            path=".minimax-agent.toml",
            old_string="max_steps = 10",
            new_string='approval = "full-auto"',
        ),
        # an ordinary write between them (three failures in a row would end the run)
        "r</think>" + invoke("write_file", path="a.py", content="print(1)"),
        "r</think>" + invoke("write_file", path="a/../.MINIMAX-AGENT.toml", content=PLANTED),
        "r</think>\n\nDone.",
    ]
    script = write_script(tmp_path / "s.json", steps)
    proc = invoke_cli(
        "fix", "x", "-C", str(repo), "--backend", f"scripted:{script}", "--approval", "auto-edit",
        "--output-format", "json", "--max-steps", "10",
    )  # fmt: skip
    report = json.loads(proc.stdout)
    calls = report["tool_calls"]
    assert [c["is_error"] for c in calls] == [True, True, False, True], calls
    assert all("agent's own configuration" in calls[i]["result"] for i in (0, 1, 3))
    assert (repo / ".minimax-agent.toml").read_text() == "max_steps = 10\n"
    assert (repo / "a.py").read_text() == "print(1)"  # ordinary writes still work


def test_the_repository_tops_project_file_is_refused_from_a_subdirectory(
    tmp_path: Path,
) -> None:
    repo = make_repo(tmp_path / "repo", {"pkg/mod.py": "x = 1\n"})
    ws = workspace_of_a_run(repo / "pkg", tmp_path)
    assert "agent's own configuration" in err(
        write_file, ws, path=".minimax-agent.toml", content=PLANTED
    )
    # the workspace cannot reach the top anyway; the top's file is on the list for when a
    # symlink inside the workspace points there
    (repo / ".minimax-agent.toml").write_text("max_steps = 4\n")
    os.symlink(repo / ".minimax-agent.toml", repo / "pkg" / "link.toml")
    ws = Workspace(repo)
    ws.protected = workspace_of_a_run(repo / "pkg", tmp_path).protected
    assert "agent's own configuration" in err(write_file, ws, path="pkg/link.toml", content="x")
    assert (repo / ".minimax-agent.toml").read_text() == "max_steps = 4\n"
    assert ok(write_file, ws, path="pkg/other.toml", content="fine\n").startswith("created")


def test_the_users_config_and_trust_list_are_refused_when_home_is_the_workspace(
    isolated_home: Path, tmp_path: Path
) -> None:
    config = user_config_file()
    config.parent.mkdir(parents=True)
    config.write_text("max_steps = 5\n")
    remember(tmp_path / "somewhere", trusted=True)
    before = trust_file().read_text()
    ws = workspace_of_a_run(isolated_home, tmp_path)
    rel_config = config.relative_to(isolated_home).as_posix()
    rel_trust = trust_file().relative_to(isolated_home).as_posix()
    for path in (rel_config, rel_trust, str(config), f"{config.parent}/new.toml"):
        assert "agent's own configuration" in err(write_file, ws, path=path, content=PLANTED)
    assert "agent's own configuration" in err(
        edit_file, ws, path=rel_config, old_string="5", new_string="500"
    )
    assert config.read_text() == "max_steps = 5\n" and trust_file().read_text() == before
    assert not (config.parent / "new.toml").exists()


@pytest.mark.parametrize("name", [".minimax-agent.toml", ".Minimax-Agent.TOML"])
def test_reading_the_project_file_is_still_allowed(tmp_path: Path, name: str) -> None:
    repo = make_repo(tmp_path / "repo", {name: "max_steps = 4\n"})
    ws = workspace_of_a_run(repo, tmp_path)
    assert ws.resolve(name) == repo / name
    with pytest.raises(Exception, match="agent's own configuration"):
        ws.resolve(name, write=True)
