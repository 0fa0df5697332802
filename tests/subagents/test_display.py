"""The REPL renderer folds a subagent's steps under the parent's task call: one dim,
indented line per child tool call; the child's text stays out of view."""

from __future__ import annotations

import io

from rich.console import Console

from minimax_agent.events import ChildEvent, StepStarted, TextDelta, ToolCall, ToolOutcome
from minimax_agent.ui.render import Renderer


def test_child_tool_calls_are_indented_lines_under_the_parent_call() -> None:
    out = io.StringIO()
    renderer = Renderer(Console(file=out, width=100, force_terminal=False))
    parent = ToolCall("call-1", "task", {"description": "look", "prompt": "Read notes."})
    renderer.on_event(parent)
    child_call = ToolCall("c1", "read_file", {"path": "notes.txt"})
    for event in (
        StepStarted(1),
        TextDelta("child prose that stays hidden"),
        child_call,
        ToolOutcome(child_call, "the file's text", False),
        ToolOutcome(ToolCall("c2", "grep", {"pattern": "x"}), "Error: bad pattern", True),
    ):
        renderer.on_event(ChildEvent("call-1", event))
    renderer.on_event(ToolOutcome(parent, "The notes hold one line.", False))
    renderer.settle()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("● task")
    assert lines[1] == "    ↳ read_file  notes.txt"
    assert lines[2] == "      ⎿ Error: bad pattern"
    assert "child prose" not in out.getvalue()
    assert "the file's text" not in out.getvalue()
    assert lines[3].startswith("  ⎿ The notes hold one line.")
