"""Agent definitions are found where they should be, innermost first, safely, and listed to
the model in the task tool's description."""

from __future__ import annotations

import os
from pathlib import Path

from minimax_agent.subagents import discover_agents, task_tool
from tests.conftest import make_repo


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def definition(name: str, description: str, extra: str = "") -> str:
    return f"---\nname: {name}\ndescription: {description}\n{extra}---\nBody of {name}.\n"


def test_project_dirs_innermost_first_then_the_users(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"pkg/x.py": ""})
    user = tmp_path / "user-agents"
    write(repo / ".claude/agents/explorer.md", definition("explorer", "Root explorer"))
    write(repo / "pkg/.minimax-agent/agents/explorer.md", definition("explorer", "Inner one"))
    write(
        repo / ".minimax-agent/agents/tester.md",
        definition("tester", "Runs tests", "tools: [read_file, run_command]\nmodel: inherit\n"),
    )
    write(user / "explorer.md", definition("explorer", "The user's"))
    write(user / "reviewer.md", definition("reviewer", "Reviews diffs", "tools: Read, Grep\n"))
    found, warnings = discover_agents(repo / "pkg", [user])
    assert warnings == []
    by_name = {d.name: d for d in found}
    assert [d.name for d in found] == ["explorer", "tester", "reviewer"]
    assert by_name["explorer"].description == "Inner one"
    assert by_name["explorer"].prompt == "Body of explorer."
    assert by_name["tester"].tools == ("read_file", "run_command")
    assert by_name["tester"].model == "inherit"
    assert by_name["reviewer"].tools == ("read_file", "grep")  # Claude Code's names mapped
    assert by_name["reviewer"].scope == "user"
    description = task_tool(found).spec().description
    assert "- explorer: Inner one" in description
    assert "- reviewer: Reviews diffs" in description


def test_unsafe_and_broken_files_are_skipped_with_a_warning(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": ""})
    outside = write(tmp_path / "secret.md", definition("leak", "Outside the project"))
    agents = repo / ".claude/agents"
    agents.mkdir(parents=True)
    os.symlink(outside, agents / "leak.md")
    write(agents / "nodesc.md", "---\nname: nodesc\n---\nbody\n")
    write(agents / "bad-name.md", definition("bad name!", "x"))
    write(agents / "stem.md", "---\ndescription: Named after its file\n---\nbody\n")
    found, warnings = discover_agents(repo, [])
    assert [d.name for d in found] == ["stem"]
    text = "\n".join(warnings)
    assert "leak.md: it leads outside its directory" in text
    assert "nodesc.md: its front matter has no 'description'" in text
    assert "bad-name.md" in text
    assert len(warnings) == 3


def test_no_definitions_no_listing(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": ""})
    found, warnings = discover_agents(repo, [])
    assert found == [] and warnings == []
    spec = task_tool(found).spec()
    assert "Agents (pass one's name" not in spec.description
    assert set(spec.parameters["properties"]) == {"description", "prompt", "agent"}
    assert spec.parameters["required"] == ["description", "prompt"]


def test_every_session_offers_the_task_tool_with_the_projects_agents(
    tmp_path: Path, isolated_home: Path
) -> None:
    from minimax_agent.session.runner import tools_for
    from tools.modes import ApprovalMode

    repo = make_repo(tmp_path / "repo", {"a.txt": ""})
    write(repo / ".claude/agents/explorer.md", definition("explorer", "Explores the code"))
    for mode in (ApprovalMode.READ_ONLY, ApprovalMode.FULL_AUTO):
        task = tools_for(mode, None, repo).get("task")
        assert task is not None and task.kind == "read"
        assert "- explorer: Explores the code" in task.description
    assert tools_for(ApprovalMode.ASK, None).get("task") is None  # no workspace, no task
