"""How `fix --output-format text` ends: the answer, the problem if any, and on a terminal the
closing summary (ui/summary.py).

stdout is the answer and nothing else. When it is not a terminal it stays the plain text, as
scripts read it; on a terminal it is drawn once, as markdown (the progress held it back, see
ui/headless.py). Everything else goes to stderr. A reader that went away (`| head -1`) costs
the lines it would have read, never the exit code.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from minimax_agent.events import RunResult, RunStatus
from minimax_agent.redact import current
from minimax_agent.ui.terminal_safe import SafeConsole, is_terminal, silence, terminal_safe

if TYPE_CHECKING:
    from minimax_agent.ui.headless import HeadlessHooks

# tools that change files: after one of them succeeded, `undo` has something to take back
CHANGING_KINDS = ("write", "shell")


@dataclass(frozen=True)
class RunFacts:
    """What the summary says beyond the result itself."""

    seconds: float
    session_id: str
    directory: Path | None  # -C as given: repeated in the hints
    checkpoints: bool  # the run could be undone (a git workspace with checkpoints on)


def echo(text: str, *, err: bool = False) -> None:
    """One line to stdout or stderr; a closed reader silences the stream instead of raising."""
    try:
        typer.echo(text, err=err)
    except BrokenPipeError:
        silence(sys.stderr if err else sys.stdout)


def changed_files(result: RunResult) -> bool:
    """Whether a tool that changes files succeeded in this run."""
    from tools import default_tools

    kinds = {tool.name: tool.kind for tool in default_tools()}
    return any(
        not o.is_error and kinds.get(o.call.name or "") in CHANGING_KINDS for o in result.outcomes
    )


def report_text(hooks: HeadlessHooks, result: RunResult, facts: RunFacts) -> None:
    """The end of a text-mode run, after its progress."""
    on_terminal = hooks.hold_text  # held back for stdout exactly when stdout is a terminal
    held = hooks.held()
    answer = result.final_text.strip()
    if held.strip() and held.strip() != answer:
        hooks.progress_text(held)  # held as a possible answer, but the run ended otherwise
    hooks.end_line()
    if answer:
        # the answer shown, not the answer kept: json output and the session have it raw
        shown = current().text(answer)
        if on_terminal:
            _markdown(shown)
        else:
            echo(terminal_safe(shown))
    if result.status is RunStatus.GAVE_UP:
        echo("minimax-agent: not done: the model gave up (see its answer)", err=True)
    elif result.status is not RunStatus.DONE:
        problem = f"minimax-agent: {result.status}: {result.error or 'not done'}"
        echo(terminal_safe(current().text(problem)), err=True)
    if is_terminal(sys.stderr):
        _summary(result, facts)


def _markdown(text: str) -> None:
    from rich.markdown import Markdown

    SafeConsole(highlight=False).print(Markdown(text))


def _summary(result: RunResult, facts: RunFacts) -> None:
    from rich.text import Text

    from minimax_agent.ui.summary import hints_line, totals_line

    console = SafeConsole(stderr=True, highlight=False)
    totals = totals_line(result, seconds=facts.seconds, session_id=facts.session_id)
    undoable = facts.checkpoints and changed_files(result)
    console.print(Text(totals, style="bold"), soft_wrap=True)
    console.print(
        Text(hints_line(facts.directory, changed_files=undoable), style="dim"), soft_wrap=True
    )
