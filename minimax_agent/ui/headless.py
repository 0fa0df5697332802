"""Hooks for `fix`: progress on stderr, the final answer on stdout, no questions asked.

When stdout is a terminal the answer is drawn there once, as markdown, after the run; so the
progress holds each step's text back (`hold_text`) and shows it only when the step goes on to
call tools: the last step's text is the answer, and `held()` hands it to the caller.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape

from minimax_agent.agent import Hooks
from minimax_agent.events import (
    AgentEvent,
    ChildEvent,
    HookRun,
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
RESULT_PREVIEW = 160


def clip_at_word(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a word's end, with "…" when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + "…"


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

    def __init__(
        self, console: Console | None, *, show_reasoning: bool = False, hold_text: bool = False
    ) -> None:
        self.console = console
        self.show_reasoning = show_reasoning
        self.hold_text = hold_text
        self._held = ""  # this step's text, while it may still be the final answer
        self._streaming = ""  # which kind of delta is mid-line
        self._redact = EventRedactor()  # no secret reaches a log (see redact.py)

    def held(self) -> str:
        """The text the last step held back (the answer, when the run ended there)."""
        for event in self._redact.flush():
            self._show(event)
        held, self._held = self._held, ""
        return held

    def _release(self) -> None:
        """The held text was not the answer (tools follow): show it as progress after all."""
        held, self._held = self._held, ""
        self.progress_text(held)

    def progress_text(self, text: str) -> None:
        """Text of the model's, shown as progress on a line (or lines) of its own."""
        text = text.strip("\n")
        if text and self.console:
            if self._streaming:  # reasoning shown mid-line
                self.console.print()
                self._streaming = ""
            self.console.print(text, markup=False, highlight=False, emoji=False)

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
            self.notice(event.text)
            return
        if isinstance(event, HookRun):
            self.notice(event.summary())
            return
        if isinstance(event, ChildEvent):
            # a subagent's run: only its tool calls, one dim line each under the task call
            if isinstance(event.event, ToolCall):
                self.end_line()
                line = terminal_safe(current().text(f"    ↳ {call_line(event.event)}"))
                self.console.print(line, style="dim", markup=False, highlight=False)
            return
        for shown in self._redact(event):
            self._show(shown)

    def notice(self, text: str) -> None:
        """`minimax-agent: TEXT` on a line of its own on stderr, as every message of the
        command is written (a retry, a warning), even in the middle of streamed text."""
        if self.console is None:
            return
        if self._streaming:
            self.console.print()
            self._streaming = ""
        line = terminal_safe(current().text(f"minimax-agent: {text}"))
        self.console.print(line, markup=False, highlight=False, emoji=False, soft_wrap=True)

    def _show(self, event: AgentEvent) -> None:
        console = self.console
        if console is None:
            return
        if isinstance(event, TextDelta) and self.hold_text:
            self._held += event.text
            return
        if isinstance(event, StepStarted | ToolCall):
            self._release()
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
            # an error's first line is its reason (a refused finding says why): shown whole
            shown = first if event.is_error else clip_at_word(first, RESULT_PREVIEW)
            console.print(f"  {mark} {shown}", style=style, markup=False, highlight=False)

    def approve(self, call: ToolCall, tool: Tool, reason: str) -> bool:
        self.end_line()
        if self.console:
            self.console.print(
                f"[yellow]  refused without a human to approve: {current().text(reason)}[/]",
                highlight=False,
            )
        return False
