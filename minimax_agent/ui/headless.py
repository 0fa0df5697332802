"""Hooks for `fix`: progress on stderr, the final answer on stdout, no questions asked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape

from minimax_agent.agent import Hooks
from minimax_agent.events import (
    AgentEvent,
    Notice,
    ReasoningDelta,
    StepStarted,
    TextDelta,
    ToolCall,
    ToolOutcome,
    call_summary,
)
from minimax_agent.redact import EventRedactor, current
from minimax_agent.ui.terminal_safe import terminal_safe

if TYPE_CHECKING:
    from rich.console import Console

    from tools.base import Tool

ARG_PREVIEW = 120


def call_line(call: ToolCall) -> str:
    """A tool call on one line, as the REPL shows it: `name  main argument  key=value ...`."""
    main, rest = call_summary(call)
    if main is not None:
        main = ("$ " if call.name == "run_command" else "") + main.replace("\n", "\\n")
    line = "  ".join(part for part in (call.name or "?", main, rest) if part)
    return line if len(line) <= ARG_PREVIEW else line[: ARG_PREVIEW - 3] + "..."


class HeadlessHooks(Hooks):
    """Renders a run for a log or a terminal; denies whatever would need a human to approve
    (the default `approve`, after saying so)."""

    def __init__(self, console: Console | None, *, show_reasoning: bool = False) -> None:
        self.console = console
        self.show_reasoning = show_reasoning
        self._streaming = ""  # which kind of delta is mid-line
        self._redact = EventRedactor()  # no secret reaches a log (see redact.py)

    def end_line(self) -> None:
        """Finish a line left open by streamed text (the caller prints after the run)."""
        for held in self._redact.flush():
            self._show(held)
        if self._streaming and self.console:
            self.console.print()
        self._streaming = ""

    def on_event(self, event: AgentEvent) -> None:
        if self.console is None:
            return
        if isinstance(event, Notice):
            # a line of its own on stderr, as every message of the command is written
            line = terminal_safe(current().text(f"minimax-agent: {event.text}"))
            self.console.file.write(line + "\n")
            self.console.file.flush()
            return
        for shown in self._redact(event):
            self._show(shown)

    def _show(self, event: AgentEvent) -> None:
        console = self.console
        if console is None:
            return
        if isinstance(event, StepStarted):
            self.end_line()
            console.print(f"[bold blue]── step {event.step}[/]", highlight=False)
        elif isinstance(event, ReasoningDelta) and self.show_reasoning:
            self._streaming = "reasoning"
            console.print(event.text, end="", style="dim", markup=False, highlight=False)
        elif isinstance(event, TextDelta):
            text = event.text.lstrip("\n") if self._streaming != "text" else event.text
            if text:
                self._streaming = "text"
                console.print(text, end="", markup=False, highlight=False)
        elif isinstance(event, ToolCall):
            self.end_line()
            # escaped: a `[link=…]` in an argument must not become markup
            console.print(f"[cyan]→ {escape(call_line(event))}[/]", markup=True, highlight=False)
        elif isinstance(event, ToolOutcome):
            first = (
                event.content.strip().splitlines()[0] if event.content.strip() else "(no output)"
            )
            style = "red" if event.is_error else "green"
            mark = "✗" if event.is_error else "✓"
            console.print(f"  {mark} {first[:160]}", style=style, markup=False, highlight=False)

    def approve(self, call: ToolCall, tool: Tool, reason: str) -> bool:
        self.end_line()
        if self.console:
            self.console.print(
                f"[yellow]  refused without a human to approve: {current().text(reason)}[/]",
                highlight=False,
            )
        return False
