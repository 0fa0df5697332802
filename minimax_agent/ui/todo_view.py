"""How the REPL draws the model's task list: a compact checklist, one line an item.

Shown under a `todo_write` call whenever the list changes, and by `/todo` (its handler is in
ui/plan_review.py). Completed items
are dim, the current one bold; the text is the model's, so it goes in as plain `Text` (no
markup is read from it) and the console it is printed on makes it terminal-safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text

if TYPE_CHECKING:
    from tools.todo import TodoItem

MARKS = {"completed": "✔", "in_progress": "◼", "pending": "◻"}
STYLES = {"completed": "dim", "in_progress": "bold", "pending": ""}
INDENT = "    "


def checklist(items: Sequence[TodoItem], *, indent: str = INDENT) -> Text:
    """The list as lines `✔ done`, `◼ current`, `◻ to do` (no trailing newline)."""
    text = Text()
    for number, item in enumerate(items):
        if number:
            text.append("\n")
        style = STYLES[item.status]
        mark_style = "green" if item.status == "completed" else ("cyan" if style else "dim")
        text.append(f"{indent}{MARKS[item.status]} ", style=mark_style)
        # one line an item: a newline the model put in would break the checklist's shape
        text.append(" ".join(item.content.split()), style=style)
    return text


def todo_update(items: Sequence[TodoItem]) -> Text:
    """What the REPL shows for a `todo_write` result: a count, then the checklist."""
    from tools.todo import summary_line

    head = Text(f"  ⎿ {summary_line(items)}", style="dim")
    if not items:
        return head
    head.append("\n")
    head.append_text(checklist(items))
    return head
