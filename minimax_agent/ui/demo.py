"""The hooks of `minimax-agent demo`: headless progress on stdout, a command's output shown
(head and tail, not only its first line), and approvals asked on a terminal.

The demo runs in `ask` mode with a person assumed present, so every edit and command reaches
`approve`: on a terminal it shows what the call would do and asks; when stdin is not a
terminal (a pipe, CI, a test) it shows the same and grants it, saying so, since the calls are
the shipped script's own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from minimax_agent.events import AgentEvent, ToolCall, ToolOutcome
from minimax_agent.ui.approvals import preview
from minimax_agent.ui.headless import HeadlessHooks

if TYPE_CHECKING:
    from rich.console import Console

    from tools.base import Tool
    from tools.workspace import Workspace

OUTPUT_HEAD = 6  # lines of a command's output shown before the cut, then the tail
OUTPUT_TAIL = 3


class DemoHooks(HeadlessHooks):
    def __init__(self, console: Console, *, attended: bool) -> None:
        super().__init__(console)
        self.out = console
        self.attended = attended
        self.workspace: Workspace | None = None  # for previews of edits as real diffs

    def _show(self, event: AgentEvent) -> None:
        if isinstance(event, ToolOutcome) and event.call.name == "run_command":
            show_output(self.out, event)
            return
        super()._show(event)

    def approve(self, call: ToolCall, tool: Tool, reason: str) -> bool:
        self.end_line()
        self.out.print(f"? {reason}", style="yellow", markup=False, highlight=False)
        self.out.print(preview(call, tool, self.workspace), end="")
        if self.attended:
            return confirm(self.out)
        self.out.print(
            "  ✓ approved by the demo itself: stdin is not a terminal",
            style="green",
            markup=False,
            highlight=False,
        )
        return True


def confirm(console: Console) -> bool:
    """Ask y/n on the terminal (Enter is yes); Ctrl-C or the end of input is a no."""
    import click

    try:
        yes = click.confirm("  Allow it?", default=True)
    except click.exceptions.Abort:
        yes = False
    console.print(
        "  ✓ approved" if yes else "  ✗ declined",
        style="green" if yes else "red",
        markup=False,
        highlight=False,
    )
    return yes


def show_output(console: Console, outcome: ToolOutcome) -> None:
    """A command's output, indented: all of it when short, else its head and tail."""
    lines = outcome.content.rstrip("\n").splitlines() or ["(no output)"]
    if len(lines) > OUTPUT_HEAD + OUTPUT_TAIL + 1:
        cut = len(lines) - OUTPUT_HEAD - OUTPUT_TAIL
        lines = [*lines[:OUTPUT_HEAD], f"[… {cut} lines …]", *lines[-OUTPUT_TAIL:]]
    style = "red" if outcome.is_error else "dim"
    for line in lines:
        console.print(f"  │ {line}", style=style, markup=False, highlight=False)
