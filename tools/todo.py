"""The task list: `todo_write` lets the model keep a visible checklist for a long task.

The tool holds no state of its own. Each call replaces the whole list and the list travels in
the call's arguments, so whoever watches the run (the session, the REPL, stream-json) reads
the current list from the last call that succeeded; the result repeats it as text, which is
what the model sees. It changes no file, so it is a "read" tool: plan mode and read-only
sessions keep it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tools.base import tool
from tools.errors import ToolError
from tools.workspace import Workspace

TOOL_NAME = "todo_write"
MAX_ITEMS = 50
MAX_CONTENT_CHARS = 500
TodoStatus = Literal["pending", "in_progress", "completed"]
# how each status reads in the text the model gets back (and in plain logs)
MARKS: dict[str, str] = {"pending": "[ ]", "in_progress": "[>]", "completed": "[x]"}


class TodoItem(BaseModel):
    """One entry of the list."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    content: Annotated[
        str,
        Field(
            description="What to do, as a short imperative line.",
            min_length=1,
            max_length=MAX_CONTENT_CHARS,
        ),
    ]
    status: Annotated[
        TodoStatus,
        Field(description="pending, in_progress (the one being worked on) or completed."),
    ]


def check_items(items: Sequence[TodoItem]) -> None:
    """The rules pydantic cannot state: text that is more than blanks, at most one item in
    progress (a list with two current steps no longer says what is being done)."""
    if len(items) > MAX_ITEMS:
        raise ToolError(f"the list has {len(items)} items; keep it to {MAX_ITEMS} at most")
    for number, item in enumerate(items, 1):
        if not item.content.strip():
            raise ToolError(f"item {number} has no text")
    working = [n for n, item in enumerate(items, 1) if item.status == "in_progress"]
    if len(working) > 1:
        listed = ", ".join(str(n) for n in working)
        raise ToolError(
            f"items {listed} are all in_progress: mark at most one item in_progress (the one "
            "you are working on now), the others pending or completed"
        )


def parse_items(arguments: dict[str, Any]) -> list[TodoItem]:
    """The list a `todo_write` call's arguments give, checked; ToolError when they are not
    a valid list (for readers of a call the tool already accepted, this does not raise)."""
    raw = arguments.get("items")
    if not isinstance(raw, list):
        raise ToolError("items must be a list of {content, status} objects")
    try:
        items = [TodoItem.model_validate(entry) for entry in raw]
    except ValidationError as exc:
        raise ToolError(f"invalid todo item: {exc.errors()[0]['msg']}") from None
    check_items(items)
    return items


def summary_line(items: Sequence[TodoItem]) -> str:
    """`3 tasks: 1 completed, 1 in progress, 1 pending; now: Run the tests`."""
    if not items:
        return "the task list is empty"
    counts = {status: sum(i.status == status for i in items) for status in MARKS}
    parts = [f"{counts['completed']} completed"]
    if counts["in_progress"]:
        parts.append(f"{counts['in_progress']} in progress")
    parts.append(f"{counts['pending']} pending")
    line = f"{len(items)} task{'' if len(items) == 1 else 's'}: {', '.join(parts)}"
    current = next((i for i in items if i.status == "in_progress"), None)
    return f"{line}; now: {current.content.strip()}" if current else line


def items_text(items: Sequence[TodoItem]) -> str:
    """The list as plain lines, `[x] done`, `[>] current`, `[ ] to do`."""
    return "\n".join(f"{MARKS[i.status]} {i.content.strip()}" for i in items)


@tool("read")
def todo_write(
    ws: Workspace,
    items: Annotated[
        list[TodoItem],
        Field(
            description=(
                "The whole task list, in order. Each call replaces the previous list, so "
                "send every item each time, with its current status."
            ),
            max_length=MAX_ITEMS,
        ),
    ],
) -> str:
    """Write your task list for the current request: a checklist the user sees.

    Use it for work of three or more steps: list the steps, mark one in_progress before you
    start it and completed as soon as it is done, and add steps you discover. At most one
    item is in_progress at a time. An empty list clears it. Skip it for a one-step request.
    """
    check_items(items)
    if not items:
        return "Task list cleared."
    return f"Task list updated ({summary_line(items)}):\n{items_text(items)}"
