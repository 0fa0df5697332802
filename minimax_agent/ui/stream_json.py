"""`fix --output-format stream-json`: one JSON object per line on stdout, as things happen.

The schema is documented in the README ("stream-json events"). Every line has `type`; a
consumer should ignore types it does not know, so events can be added without breaking it.
"""

from __future__ import annotations

import json
import sys
from typing import IO, TYPE_CHECKING, Any

from minimax_agent import __version__
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
    Usage,
)
from minimax_agent.redact import EventRedactor
from minimax_agent.session.todo import items_json, todos_of
from minimax_agent.surrogates import repair

if TYPE_CHECKING:
    from minimax_agent.events import RunResult
    from minimax_agent.session.conversation import Conversation


class StreamJsonHooks(Hooks):
    """Agent hooks that write the run as JSON lines; like every headless run, asks nobody (the
    default `approve`)."""

    def __init__(self, out: IO[str] | None = None) -> None:
        self.out = out or sys.stdout
        self.step = 0
        # no secret reaches the stream: deltas are redacted as a stream (a secret can arrive in
        # two chunks), every line once more as it is written (see redact.py)
        self._redact = EventRedactor()
        # a subagent's lines carry `"parent": CALL_ID` (the parent's task call) and the
        # child's own step; each child's deltas are redacted as a stream of their own
        self._parent: str | None = None
        self._children: dict[str, tuple[EventRedactor, int]] = {}

    def emit(self, event_type: str, **fields: Any) -> None:
        record = {"type": event_type, **fields}
        if self._parent is not None:
            record["parent"] = self._parent
        line = json.dumps(record, ensure_ascii=False, default=str)
        # repair: a lone surrogate (half an emoji from a stream) cannot be written as UTF-8
        self.out.write(repair(self._redact.redactor.text(line)))
        self.out.write("\n")
        self.out.flush()

    def start(self, conversation: Conversation, task: str) -> None:
        settings = conversation.settings
        self.emit(
            "start",
            session_id=conversation.session_id,
            task=task,
            cwd=str(conversation.root),
            backend=conversation.backend_name,
            model=settings.model,
            approval=str(settings.approval),
            resumed_messages=len(conversation.messages) - 1,
            version=__version__,
        )

    def done(self, conversation: Conversation, result: RunResult) -> None:
        from minimax_agent.session.runner import result_json

        for held in self._redact.flush():
            self._show(held)
        self.emit(
            "done",
            session_id=conversation.session_id,
            **result_json(result),
            todos=conversation.todos.json(),
        )

    def on_event(self, event: AgentEvent) -> None:
        if isinstance(event, ChildEvent):
            self._child(event)
            return
        if isinstance(event, Notice):
            # not part of the model's stream: written at once, whatever the stream holds back
            self.emit("notice", step=self.step, kind=event.kind, text=event.text)
            return
        if isinstance(event, HookRun):
            self.emit(  # every line is redacted as it is written
                "hook",
                step=self.step,
                event=event.event,
                command=event.command,
                exit_code=event.exit_code,
                decision=event.decision,
                message=event.message,
                seconds=round(event.seconds, 4),
            )
            return
        for shown in self._redact(event):
            self._show(shown)

    def _child(self, wrapped: ChildEvent) -> None:
        redact, step = self._children.get(wrapped.parent) or (EventRedactor(), 0)
        saved, self.step, self._parent = self.step, step, wrapped.parent
        try:
            inner = wrapped.event
            if isinstance(inner, Notice | HookRun):
                self.on_event(inner)
            else:
                for shown in redact(inner):
                    self._show(shown)
            self._children[wrapped.parent] = (redact, self.step)
        finally:
            self.step, self._parent = saved, None

    def _show(self, event: AgentEvent) -> None:
        if isinstance(event, StepStarted):
            self.step = event.step
            self.emit("step", step=event.step)
        elif isinstance(event, ReasoningDelta):
            self.emit("reasoning", step=self.step, text=event.text)
        elif isinstance(event, TextDelta):
            self.emit("text", step=self.step, text=event.text)
        elif isinstance(event, ToolCall):
            self.emit(
                "tool_call",
                step=self.step,
                id=event.id,
                name=event.name,
                arguments=event.arguments,
                error=event.error,
            )
        elif isinstance(event, ToolOutcome):
            self.emit(
                "tool_result",
                step=self.step,
                id=event.call.id,
                name=event.call.name,
                is_error=event.is_error,
                content=event.content,
                seconds=round(event.seconds, 4),
            )
            todos = todos_of(event)  # the task list changed: the whole new list
            if todos is not None:
                self.emit("todo", step=self.step, items=items_json(todos))
        elif isinstance(event, Usage):
            self.emit(
                "usage",
                step=self.step,
                prompt_tokens=event.prompt_tokens,
                completion_tokens=event.completion_tokens,
                cached_tokens=event.cached_tokens,
                cost=event.cost,
            )
