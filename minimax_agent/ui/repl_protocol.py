"""What the slash commands use of the interactive session (ui/repl.py's class has it), in a
module of its own: the command handlers (ui/slash.py, slash_extensions.py, plan_review.py)
take it, and the modules it names (the renderer, the approval hooks) must not import them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from rich.console import Console

    from minimax_agent.session.conversation import Conversation
    from minimax_agent.session.trace import TraceWriter
    from minimax_agent.ui.approvals import ReplHooks
    from minimax_agent.ui.render import Renderer


class Repl(Protocol):
    """What the commands use of the interactive session."""

    root: Path
    conv: Conversation
    console: Console
    renderer: Renderer
    hooks: ReplHooks
    trace_file: TraceWriter | None
    trace_path: Path | None

    def say(self, text: str, style: str = "") -> None: ...

    def show_history(self, last: int = 6) -> None: ...

    def refresh_prompt(self) -> None: ...
