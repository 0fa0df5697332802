"""What a checkpoint is labelled with, and what an undo leaves behind: the note that tells the
model and the session record. The REPL's `/undo` (through Conversation) and `minimax-agent
undo` (with no Conversation, straight on the session file) write the same ones."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from minimax_agent.events import call_summary
from minimax_agent.session.checkpoints import shown

if TYPE_CHECKING:
    from minimax_agent.events import ToolCall
    from minimax_agent.session.checkpoints import Checkpoints, Restored


def checkpoint_label(step: int, calls: list[ToolCall]) -> str:
    """`before step N: edit_file calc.py; run_command make`: what a checkpoint was taken for."""
    parts = []
    for call in calls:
        main, _ = call_summary(call)
        parts.append(f"{call.name} {(main or '').replace(chr(10), ' ')[:60]}".strip())
    return f"before step {step}: " + "; ".join(parts)


def restore_checkpoint(
    checkpoints: Checkpoints, target: str | None, *, force: bool = False
) -> Restored:
    """Undo to `target` (see `Checkpoints.find`); the REPL and `minimax-agent undo` share it."""
    return checkpoints.restore(checkpoints.find(target), force=force)


def undo_note(restored: Restored) -> str:
    return (
        f"[Note: the user undid the changes made since checkpoint {restored.checkpoint.short} "
        f"({restored.checkpoint.label}): {restored.describe()}. Those files are back as they "
        "were before that step; do not assume the undone changes are still there.]"
    )


def undo_event(restored: Restored) -> dict[str, Any]:
    """The session record of an undo; file names escaped (`shown`) so any name can be written."""
    backup = restored.backup.commit if restored.backup else None
    return {
        "checkpoint": restored.checkpoint.commit,
        "files": [shown(p) for p in restored.files],
        "kept": len(restored.kept),
        "backup": backup,
    }
