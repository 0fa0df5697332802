"""The extensions inside a real Conversation (scripted backend, a real FastMCP server over
stdio, a real skill in a git repository): the tools they add survive a change of approval
mode, read-only keeps only what changes nothing, and closing the conversation stops the
servers."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from minimax_agent.agent import Hooks
from minimax_agent.config import load_settings
from minimax_agent.session.conversation import Conversation
from tests.conftest import make_repo, write_script
from tests.fakes.mcp_servers import SERVER
from tools.modes import ApprovalMode

SKILL = "---\nname: style\ndescription: The project's style rules.\n---\nUse tabs.\n"


def open_conversation(tmp_path: Path, home: Path) -> Conversation:
    config = home / ".config" / "minimax-agent" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        f"[mcp_servers.fake]\ncommand = {json.dumps(sys.executable)}\n"
        f"args = [{json.dumps(str(SERVER))}]\n"
    )
    repo = make_repo(tmp_path / "repo", {".claude/skills/style/SKILL.md": SKILL})
    script = write_script(tmp_path / "s.json", ["ok</think>\n\ndone"])
    settings = load_settings(repo, backend=f"scripted:{script}")
    return Conversation.open(settings, repo, Hooks(), interactive=True)


def test_extension_tools_survive_a_mode_change(tmp_path: Path, isolated_home: Path) -> None:
    conv = open_conversation(tmp_path, isolated_home)
    try:
        mcp = conv.extensions.mcp
        assert mcp is not None and mcp.wait_ready(60)
        names = conv.agent.tools.names()
        assert {"load_skill", "mcp__fake__add", "mcp__fake__peek"} <= set(names)
        assert "style: The project's style rules." in conv.messages[0].content

        conv.set_approval_mode(ApprovalMode.READ_ONLY)
        names = conv.agent.tools.names()
        # the skill loader and the server's readOnlyHint tool change nothing; `add` may
        assert "load_skill" in names and "mcp__fake__peek" in names
        assert "mcp__fake__add" not in names and "write_file" not in names

        conv.set_approval_mode(ApprovalMode.ASK)
        assert "mcp__fake__add" in conv.agent.tools.names()
    finally:
        conv.close()
    assert [s.state for s in mcp.status()] == ["stopped"]
    assert conv.agent.tools.get("mcp__fake__add") is None  # its tools went with it
