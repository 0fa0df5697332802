"""The REPL's agent hooks: events go to the renderer; tool calls that need a yes are asked.

The question offers: yes once, no, always for this tool, and (for a shell command made of plain
words) always for commands starting with the same words. "Always" answers live in the session's
`ApprovalPolicy`; its deny-list of machine-damaging commands still asks every time.
"""

from __future__ import annotations

import difflib
import re
import shlex
from typing import TYPE_CHECKING

from rich.text import Text

from minimax_agent.agent import Hooks
from minimax_agent.ui.render import diff_text
from minimax_agent.ui.terminal_safe import terminal_safe

if TYPE_CHECKING:
    from rich.console import Console

    from minimax_agent.events import AgentEvent, ToolCall
    from minimax_agent.ui.keys import KeyWatcher
    from minimax_agent.ui.render import Renderer
    from tools.approval import ApprovalPolicy
    from tools.base import Tool
    from tools.workspace import Workspace

PREVIEW_LINES = 12
OUTSIDE_SANDBOX = "runs OUTSIDE the sandbox: it can change any file you can and use the network"
_OPERATORS = re.compile(r"[;&|<>()`$\n\\]")


def suggested_prefix(command: str) -> str | None:
    """The words an "always" answer should cover: the program and its subcommand (`git status`,
    `npm test`), or the program alone; None for commands that chain, pipe or substitute."""
    if _OPERATORS.search(command):
        return None
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if not words:
        return None
    if len(words) > 1 and re.fullmatch(r"[A-Za-z][\w.:-]*", words[1]):
        return shlex.join(words[:2])
    return shlex.join(words[:1])


def real_diff(call: ToolCall, workspace: Workspace | None) -> str | None:
    """The diff an edit_file or write_file call would make to the file as it is now."""
    if workspace is None or call.name not in ("edit_file", "write_file"):
        return None
    from tools.files import preview_diff

    return preview_diff(workspace, call.name, call.arguments) or None


def preview(call: ToolCall, tool: Tool, workspace: Workspace | None = None) -> Text:
    """What the call would do, shown before the question: for an edit or a write in
    `workspace`, the diff it would make to the file as it is (true line numbers, context)."""
    args = call.arguments
    diff = real_diff(call, workspace)
    if diff:
        return diff_text(diff)
    if call.name == "edit_file":  # the file cannot be read: the change as the call gives it
        path = str(args.get("path", "?"))
        lines = difflib.unified_diff(
            str(args.get("old_string", "")).splitlines(),
            str(args.get("new_string", "")).splitlines(),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
            lineterm="",
        )
        return diff_text("\n".join(lines))
    if call.name == "write_file":
        content = str(args.get("content", "")).splitlines()
        count = f"{len(content)} line{'' if len(content) == 1 else 's'}"
        text = Text(f"    {args.get('path', '?')} ({count})\n", style="bold")
        for line in content[:PREVIEW_LINES]:
            text.append(f"    + {line}\n", style="green")
        if len(content) > PREVIEW_LINES:
            text.append(f"    … {len(content) - PREVIEW_LINES} more lines\n", style="dim")
        return text
    if tool.kind == "shell":
        # terminal_safe before Text: rich would drop a \r or \b silently, and the user must
        # see every byte of what they approve
        return Text(f"    $ {terminal_safe(str(args.get('command', '')))}\n", style="bold")
    if tool.kind == "network":
        # the whole URL: its query string is what could carry data out
        return Text(f"    GET {terminal_safe(str(args.get('url', '')))}\n", style="bold")
    shown = ", ".join(f"{k}={str(v)[:80]!r}" for k, v in args.items())
    return Text(terminal_safe(f"    {call.name}({shown})\n"))


class ReplHooks(Hooks):
    """The agent's `Hooks` for the terminal session."""

    def __init__(self, console: Console, renderer: Renderer) -> None:
        self.console = console
        self.renderer = renderer
        self.policy: ApprovalPolicy | None = None
        self.workspace: Workspace | None = None  # for previews of edits (set by the REPL)
        self.watcher: KeyWatcher | None = None
        # whether commands run in the OS sandbox (set by the REPL); until known, say they do not
        self.sandboxed = False

    def on_event(self, event: AgentEvent) -> None:
        self.renderer.on_event(event)

    def approve(self, call: ToolCall, tool: Tool, reason: str) -> bool:
        self.renderer.settle()
        console = self.console
        console.print(Text(f"? {tool.name} needs your approval: {reason}", style="yellow bold"))
        shown = preview(call, tool, self.workspace)
        shown_diff = call.name == "edit_file" and real_diff(call, self.workspace) is not None
        console.print(shown, end="")
        if tool.kind == "shell" and not self.sandboxed:
            console.print(Text(f"    {OUTSIDE_SANDBOX}", style="red"))
        prefix = suggested_prefix(str(call.arguments.get("command", "")))
        offers = Text("  ")
        offers.append("y", style="bold green")
        offers.append(" yes  ")
        offers.append("n", style="bold red")
        offers.append(" no  ")
        offers.append("a", style="bold")
        offers.append(f" always {tool.name}  ")
        if tool.kind == "shell" and prefix:
            offers.append("p", style="bold")
            offers.append(f" always `{prefix} …`  ")
        offers.append("(Esc: no)", style="dim")
        console.print(offers)
        try:
            approved = self._answer(tool, prefix)
        finally:
            self.renderer.tools_running()
        if approved and shown_diff:
            self.renderer.previewed.add(call.id)  # its result's diff is not shown again
        return approved

    def _answer(self, tool: Tool, prefix: str | None) -> bool:
        console = self.console
        while True:
            key = self.watcher.read_key() if self.watcher else b""
            answer = key[:1].lower()
            if answer == b"y":
                console.print(Text("  ✓ approved", style="green"))
                return True
            if answer == b"a" and self.policy:
                self.policy.allow_tool(tool.name)
                console.print(Text(f"  ✓ approved; {tool.name} runs without asking now", "green"))
                return True
            if answer == b"p" and prefix and tool.kind == "shell" and self.policy:
                if self.policy.allow_command_prefix(prefix):
                    console.print(
                        Text(f"  ✓ approved; `{prefix} …` runs without asking now", "green")
                    )
                return True
            if answer in (b"n", b"\x1b", b""):
                console.print(Text("  ✗ declined", style="red"))
                return False
