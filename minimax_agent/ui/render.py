"""Rendering a run in the terminal: streamed markdown, dim reasoning, compact tool lines, diffs.

One rich `Live` area holds whatever is still growing: a spinner while the model has said
nothing yet, the reasoning line being written, or the markdown block being written. Finished
pieces (complete reasoning lines, complete markdown blocks, tool lines) are printed above it
for good, so scrollback holds the whole session and the live area stays small.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.live import Live
from rich.markdown import Markdown
from rich.spinner import Spinner
from rich.text import Text

from minimax_agent.events import (
    AgentEvent,
    ChildEvent,
    Finish,
    HookRun,
    Notice,
    ReasoningDelta,
    StepStarted,
    TextDelta,
    ToolCall,
    ToolOutcome,
    call_summary,
)
from minimax_agent.redact import EventRedactor
from minimax_agent.session.todo import todos_of
from minimax_agent.ui.todo_view import todo_update

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

OUTPUT_HEAD = 10
OUTPUT_TAIL = 5
DIFF_LINES = 80
READ_TOOLS = {"read_file", "list_dir", "glob", "grep", "git_status", "git_log", "git_blame"}


def diff_text(diff: str, limit: int = DIFF_LINES) -> Text:
    """A unified diff, coloured the way git colours it."""
    out = Text()
    lines = diff.splitlines()
    for line in lines[:limit]:
        if line.startswith(("+++", "---")):
            style = "bold"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        elif line.startswith("@@"):
            style = "cyan"
        else:
            style = "dim"
        out.append("    " + line + "\n", style=style)
    if len(lines) > limit:
        out.append(f"    … {len(lines) - limit} more diff lines\n", style="dim")
    return out


def call_text(call: ToolCall) -> Text:
    """`● name  main argument` for a tool call, other arguments shortened after it."""
    main, rest = call_summary(call)
    text = Text("● ", style="cyan")
    text.append(call.name or "?", style="bold")
    if call.name == "run_command" and main is not None:
        text.append(f"  $ {main}", style="")
    elif main is not None:
        text.append(f"  {main}")
    if rest:
        text.append("  " + rest, style="dim")
    return text


def _split_markdown(buffer: str) -> tuple[str, str]:
    """(complete blocks, the block still being written): split at the last blank line that is
    not inside a code fence, so a block is only drawn for good once it is whole."""
    at = buffer.rfind("\n\n")
    while at > 0:
        before = buffer[:at]
        fences = sum(1 for line in before.splitlines() if line.lstrip().startswith("```"))
        if fences % 2 == 0:
            return before, buffer[at + 2 :]
        at = buffer.rfind("\n\n", 0, at)
    return "", buffer


class Renderer:
    """Turns agent events into terminal output; keeps every tool result for `/output`."""

    def __init__(self, console: Console, *, show_thinking: bool = True) -> None:
        self.console = console
        self.show_thinking = show_thinking
        self.outputs: list[ToolOutcome] = []
        # calls whose diff the approval question showed: their result shows its first line only
        self.previewed: set[str] = set()
        self._live: Live | None = None
        self._phase = ""  # waiting · reasoning · text
        self._partial = ""  # the reasoning line or markdown block still growing
        self._reasoned = 0  # characters of reasoning this step
        self._redact = EventRedactor()  # no secret reaches the screen (see redact.py)

    # -- the live area ---------------------------------------------------------------------

    def _view(self) -> RenderableType:
        if self._phase == "text" and self._partial.strip():
            return Markdown(self._partial)
        if self._phase == "reasoning" and self.show_thinking and self._partial:
            return Text(self._partial, style="dim italic")
        label = {"reasoning": "thinking", "running": "running tools"}.get(self._phase, "working")
        extra = f" ({self._reasoned:,} chars)" if self._reasoned and not self.show_thinking else ""
        return Spinner("dots", Text(f"{label}…{extra}  Esc to interrupt", style="dim"))

    def _start_live(self) -> None:
        if self._live is None:
            self._live = Live(
                console=self.console,
                get_renderable=self._view,
                refresh_per_second=12,
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._live.start()

    def settle(self) -> None:
        """Print what is still growing for good and stop the live area (before a question, a
        tool line, or the prompt)."""
        for held in self._redact.flush():
            self._show(held)
        self._flush_partial()
        if self._live is not None:
            self._live.stop()
            self._live = None

    def _flush_partial(self) -> None:
        partial, self._partial = self._partial, ""
        if partial.strip():
            if self._phase == "text":
                self.console.print(Markdown(partial))
            elif self._phase == "reasoning" and self.show_thinking:
                self.console.print(Text(partial, style="dim italic"))

    def _enter(self, phase: str) -> None:
        if phase != self._phase:
            self._flush_partial()
            if phase == "text" and self._phase == "reasoning" and not self.show_thinking:
                self.console.print(Text(f"✻ thought ({self._reasoned:,} chars)", style="dim"))
            self._phase = phase
        self._start_live()

    # -- events ------------------------------------------------------------------------------

    def on_event(self, event: AgentEvent) -> None:
        if isinstance(event, ChildEvent):
            self._child(event)
            return
        if isinstance(event, Notice):
            # printed above the live area, which goes on (a retry keeps its spinner)
            line = self._redact.redactor.text(f"· {event.text}")
            self.console.print(Text(line, style="yellow"), soft_wrap=True)
            return
        if isinstance(event, HookRun):
            line = self._redact.redactor.text(f"· {event.summary()}")
            self.console.print(Text(line, style="dim"), soft_wrap=True)
            return
        for shown in self._redact(event):
            self._show(shown)

    def _show(self, event: AgentEvent) -> None:
        if isinstance(event, StepStarted):
            self._reasoned = 0
            self._enter("waiting")
        elif isinstance(event, ReasoningDelta):
            self._reasoned += len(event.text)
            self._enter("reasoning")
            if self.show_thinking:
                self._partial += event.text
                done, _, rest = self._partial.rpartition("\n")
                if done:
                    # the live area must not show a line already printed for good
                    self._partial = rest
                if done.strip():
                    self.console.print(Text(done, style="dim italic"))
        elif isinstance(event, TextDelta):
            if self._phase != "text" and not event.text.strip():
                return
            self._enter("text")
            self._partial += event.text if self._partial else event.text.lstrip("\n")
            done, rest = _split_markdown(self._partial)
            if done.strip():
                self._partial = rest
                self.console.print(Markdown(done))
        elif isinstance(event, ToolCall):
            self.settle()
            self._phase = ""
            self.console.print(call_text(event))
        elif isinstance(event, ToolOutcome):
            self.settle()
            self.outputs.append(event)
            self.console.print(self.outcome_text(event))
            self.tools_running()
        elif isinstance(event, Finish):
            self.settle()
            self._phase = ""
            if event.message.tool_calls:
                self.tools_running()

    def _child(self, wrapped: ChildEvent) -> None:
        """A subagent's steps, folded under the parent's `task` call: one dim indented line
        per tool call it makes (and its notices); its text and reasoning stay out of view,
        its answer is the call's result."""
        inner = wrapped.event
        if isinstance(inner, ToolCall):
            main, rest = call_summary(inner)
            line = (
                f"    ↳ {inner.name}"
                + (f"  {main}" if main else "")
                + (f"  {rest}" if rest else "")
            )
            line = self._redact.redactor.text(line)
        elif isinstance(inner, ToolOutcome) and inner.is_error:
            first = (inner.content.strip().splitlines() or [""])[0][:150]
            line = self._redact.redactor.text(f"      ⎿ {first}")
        elif isinstance(inner, Notice):
            line = self._redact.redactor.text(f"    · {inner.text}")
        else:
            return
        self.settle()
        self.console.print(Text(line.replace("\n", " ")[:300], style="dim"), soft_wrap=True)
        self.tools_running()

    def tools_running(self) -> None:
        """A spinner while tools run (a long command shows no output until it ends)."""
        self._phase = "running"
        self._start_live()

    def outcome_text(self, outcome: ToolOutcome) -> Text:
        lines = outcome.content.rstrip("\n").splitlines() or ["(no output)"]
        name = outcome.call.name
        if outcome.is_error:
            shown = "\n    ".join(lines[:6]) + (
                f"\n    … {len(lines) - 6} more" if len(lines) > 6 else ""
            )
            return Text(f"  ⎿ {shown}", style="red")
        if name == "edit_file" and outcome.call.id in self.previewed:
            return Text(f"  ⎿ {lines[0]}", style="green")
        todos = todos_of(outcome)  # the model's task list changed: drawn as a checklist
        if todos is not None:
            return todo_update(todos)
        if name == "edit_file" or (name == "git_diff" and len(lines) > 1):
            text = Text(f"  ⎿ {lines[0]}\n", style="green" if name == "edit_file" else "")
            text.append_text(diff_text("\n".join(lines[1:])))
            text.rstrip()
            return text
        if name in READ_TOOLS:
            more = f"  … {len(lines)} lines" if len(lines) > 1 else ""
            return Text(f"  ⎿ {lines[0][:150]}{more}", style="dim")
        if len(lines) > OUTPUT_HEAD + OUTPUT_TAIL + 1:
            hidden = len(lines) - OUTPUT_HEAD - OUTPUT_TAIL
            lines = [
                *lines[:OUTPUT_HEAD],
                f"… {hidden} lines hidden (/output shows the full text)",
                *lines[-OUTPUT_TAIL:],
            ]
        return Text("  ⎿ " + "\n    ".join(line[:300] for line in lines), style="dim")

    def notice(self, text: str, style: str = "yellow") -> None:
        self.settle()
        self.console.print(Text(self._redact.redactor.text(text), style=style))
