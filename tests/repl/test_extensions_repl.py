"""The user's extensions in the interactive session: `/mcp` against a real FastMCP server over
stdio, `/skills`, and a custom command `/hello world` run as a task (pty, scripted backend);
and custom command names completing after `/`."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from minimax_agent.extensions.commands import discover_commands
from minimax_agent.extensions.loader import Extensions
from minimax_agent.ui.completion import ReplCompleter
from minimax_agent.ui.slash import BUILTIN
from minimax_agent.ui.slash_extensions import completions
from tests.conftest import make_repo, write_script
from tests.fakes.mcp_servers import SERVER
from tests.repl.conftest import PROMPT, Terminal
from tests.repl.test_repl import session_records, user_messages

HELLO = "---\ndescription: Greet someone\nargument-hint: NAME\n---\nSay hello to $ARGUMENTS.\n"
SKILL = "---\nname: release-notes\ndescription: Write release notes from the git log\n---\nBody.\n"


def configure_server(home: Path) -> None:
    config = home / ".config" / "minimax-agent" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        f"[mcp_servers.fake]\ncommand = {json.dumps(sys.executable)}\n"
        f"args = {json.dumps([str(SERVER)])}\n"
    )


def wait_for_ready(term: Terminal, timeout: float = 60) -> str:
    """`/mcp` until the server shows ready (it starts behind the prompt); the last table."""
    deadline = time.monotonic() + timeout
    while True:
        term.type_line("/mcp")
        shown = term.expect("/mcp NAME lists a server's tools")
        if " ready " in shown:
            return shown
        assert time.monotonic() < deadline, f"the server never became ready:\n{shown}"
        time.sleep(0.3)


def test_mcp_skills_and_a_custom_command(
    tmp_path: Path, start_repl: Any, isolated_home: Path
) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {
            ".minimax-agent/commands/hello.md": HELLO,
            ".agents/skills/release-notes/SKILL.md": SKILL,
            "a.txt": "a\n",
        },
    )
    configure_server(isolated_home)
    script = write_script(tmp_path / "s.json", ["Greeting.\n</think>\n\nHello, world!"])
    term: Terminal = start_repl(repo, "--backend", f"scripted:{script}")

    table = wait_for_ready(term)
    row = next(line for line in table.splitlines() if line.strip().startswith("fake"))
    assert row.split()[:3] == ["fake", "stdio", "ready"] and row.split()[3].isdigit()
    term.type_line("/mcp fake")
    term.expect("MCP server fake (stdio)")
    term.expect("Add two integers.")
    term.expect("mcp__fake__add")
    term.type_line("/mcp nope")
    term.expect("no MCP server 'nope'; configured: fake")

    term.type_line("/skills")
    term.expect("release-notes  (project)  .agents/skills/release-notes/SKILL.md")
    term.expect("Write release notes from the git log")

    term.type_line("/help")
    term.expect("Custom commands")
    term.expect("/hello NAME")
    term.expect("Greet someone")

    term.type_line("/hello world")
    term.expect("(/hello → ")
    term.expect(".minimax-agent/commands/hello.md)")
    term.expect("Hello, world!")
    term.expect(PROMPT)
    term.send("\x04")
    assert term.wait_exit() == 0
    assert user_messages(session_records(isolated_home)) == ["Say hello to world."]


def test_nothing_configured_says_where_things_go(
    tmp_path: Path, start_repl: Any, isolated_home: Path
) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    script = write_script(tmp_path / "s.json", [])
    term: Terminal = start_repl(repo, "--backend", f"scripted:{script}")
    term.type_line("/mcp")
    term.expect("no MCP servers configured")
    term.expect("[mcp_servers.NAME]")
    term.type_line("/skills")
    term.expect("no skills found")
    term.expect("SKILL.md")
    term.type_line("/nosuch thing")
    term.expect("unknown command /nosuch")
    term.send("\x04")
    assert term.wait_exit() == 0


def test_custom_commands_complete_after_the_slash(tmp_path: Path, isolated_home: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {
            ".minimax-agent/commands/hello.md": HELLO,
            ".claude/commands/undo.md": "A repository's own /undo.\n",
        },
    )
    commands, warnings = discover_commands(repo, reserved=BUILTIN)
    assert "undo" not in commands and any("built-in" in w for w in warnings)
    completer = ReplCompleter(repo)

    def names(text: str) -> list[str]:
        found = completer.get_completions(Document(text), CompleteEvent())
        return [c.text for c in found]

    assert "/hello" not in names("/he")  # not loaded yet: built-ins only
    completer.custom = completions(Extensions(commands=commands))
    assert names("/he") == ["/help", "/hello"]
    shown = completer.get_completions(Document("/hel"), CompleteEvent())
    meta = {c.text: c.display_meta_text for c in shown}
    assert meta["/hello"] == "Greet someone"
    assert names("/undo") == ["/undo"]  # the built-in, once


def test_a_server_that_becomes_ready_while_the_prompt_idles_says_so(
    tmp_path: Path, start_repl: Any, isolated_home: Path
) -> None:
    """Servers start behind the prompt: the notice that their tools arrived is printed above
    the prompt at once, without the user sending anything."""
    config = isolated_home / ".config" / "minimax-agent" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        f"[mcp_servers.late]\ncommand = {json.dumps(sys.executable)}\n"
        f"args = {json.dumps([str(SERVER), '--slow-start', '1'])}\n"
    )
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    script = write_script(tmp_path / "s.json", ["ok</think>\n\nhi"])
    term: Terminal = start_repl(repo, "--backend", f"scripted:{script}")
    term.expect(PROMPT)
    term.expect("mcp: late ready")  # nothing typed in between
    term.send("\x04")
    assert term.wait_exit() == 0
