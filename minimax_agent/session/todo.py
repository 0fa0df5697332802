"""The session's task list: what the model last wrote with `todo_write`, kept with the session.

The tool (tools/todo.py) holds no state: the list is the arguments of the last call that
succeeded. The conversation hands every tool outcome to `TodoList.observe`; a change is
written to the session file as a `todo` event, so `--continue` and `/resume` restore the list
even when compaction has since folded the call itself into a summary. After a compaction the
list is offered to the model again, appended to the summary (`reminder`), since a summary in
prose loses which step was current.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from tools.errors import ToolError
from tools.todo import TOOL_NAME, TodoItem, items_text, parse_items

if TYPE_CHECKING:
    from minimax_agent.events import AgentEvent

TODO_EVENT = "todo"  # the session event's kind
REMINDER_HEADER = "Your task list so far (from todo_write; keep it current as you work):"


def todos_of(event: AgentEvent) -> list[TodoItem] | None:
    """The list a successful `todo_write` outcome set, or None for any other event."""
    from minimax_agent.events import ToolOutcome

    if not isinstance(event, ToolOutcome) or event.is_error or event.call.name != TOOL_NAME:
        return None
    try:
        return parse_items(event.call.arguments)
    except ToolError:  # the tool accepted it, so this is not expected: treat as no change
        return None


def items_json(items: Iterable[TodoItem]) -> list[dict[str, str]]:
    """The list as stream-json, `fix --output-format json` and the session event carry it."""
    return [{"content": i.content, "status": i.status} for i in items]


class TodoList:
    """The current list of one conversation."""

    def __init__(self) -> None:
        self.items: list[TodoItem] = []

    def observe(self, event: AgentEvent) -> bool:
        """Take the list from a `todo_write` outcome; True when it changed (then the caller
        records it)."""
        found = todos_of(event)
        if found is None or found == self.items:
            return False
        self.items = found
        return True

    def json(self) -> list[dict[str, str]]:
        return items_json(self.items)

    def restore(self, events: Iterable[dict[str, Any]]) -> None:
        """The list as the session's last `todo` event left it (none: empty)."""
        self.items = []
        for event in events:
            if event.get("kind") != TODO_EVENT:
                continue
            try:
                self.items = parse_items({"items": event.get("items")})
            except ToolError:
                continue  # a damaged record: the one before it stands

    def reminder(self) -> str | None:
        """The list as a note for the model after a compaction, or None when it is empty."""
        if not self.items:
            return None
        return f"{REMINDER_HEADER}\n{items_text(self.items)}"
