"""The conversation, in OpenAI chat shape.

An assistant message keeps everything the model produced: reasoning, visible text, tool calls,
the exact raw text it generated, and whatever the provider needs echoed back. MiniMax states that
M2.x degrades when earlier reasoning is dropped, so nothing here is ever thrown away.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

# A tool as offered to the model is part of the conversation's vocabulary (backends and dialects
# take it with the messages); the tools library defines it, since it must not import us.
from tools.spec import ToolSpec as ToolSpec


@dataclass(frozen=True)
class ToolCall:
    """One tool call as the model made it: in history, and as the event a backend streams.
    When `error` is set the call was malformed: the agent sends the error back to the model as
    the tool result instead of running anything. History never stores `error` (the tool
    result that follows says it)."""

    id: str
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    error: Annotated[str | None, Field(exclude=True)] = None


class SystemMessage(BaseModel):
    role: Literal["system"] = "system"
    content: str


class UserMessage(BaseModel):
    role: Literal["user"] = "user"
    content: str


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str = ""
    reasoning: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    # The exact text the model generated for this turn (local and inline-think endpoints).
    raw: str | None = None
    # Provider fields to send back unmodified, e.g. {"reasoning_details": [...]}.
    provider_fields: dict[str, Any] = Field(default_factory=dict)


class ToolMessage(BaseModel):
    role: Literal["tool"] = "tool"
    tool_call_id: str
    name: str
    content: str
    is_error: bool = False


Message = Annotated[
    SystemMessage | UserMessage | AssistantMessage | ToolMessage, Field(discriminator="role")
]


def assistant_shape(message: AssistantMessage, *, json_arguments: bool) -> dict[str, Any]:
    """An assistant turn in OpenAI shape: `reasoning_content` (the field the M2 template reads)
    and tool calls with arguments as a dict (chat templates) or a JSON string (the wire)."""
    item: dict[str, Any] = {"role": "assistant", "content": message.content}
    if message.reasoning:
        item["reasoning_content"] = message.reasoning
    if message.tool_calls:
        item["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {
                    "name": call.name,
                    "arguments": (
                        json.dumps(call.arguments, ensure_ascii=False)
                        if json_arguments
                        else call.arguments
                    ),
                },
            }
            for call in message.tool_calls
        ]
    return item


def template_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """Messages in the shape Hugging Face chat templates expect.

    Assistant turns carry `reasoning_content` and tool-call arguments as dicts; the template
    decides which reasoning it renders.
    """
    out: list[dict[str, Any]] = []
    for message in messages:
        if isinstance(message, AssistantMessage):
            out.append(assistant_shape(message, json_arguments=False))
        elif isinstance(message, ToolMessage):
            out.append(
                {
                    "role": "tool",
                    "tool_call_id": message.tool_call_id,
                    "name": message.name,
                    "content": message.content,
                }
            )
        else:
            out.append({"role": message.role, "content": message.content})
    return out


def close_unanswered(messages: list[Message], note: str) -> int:
    """Give each tool call of the last assistant turn that has no result an error result
    saying `note`, so the history is well-formed again (an interrupted run, a session that
    ended mid-step); returns how many were closed."""
    last = next(
        (i for i in range(len(messages) - 1, -1, -1) if isinstance(messages[i], AssistantMessage)),
        None,
    )
    if last is None:
        return 0
    turn = messages[last]
    assert isinstance(turn, AssistantMessage)
    answered = {m.tool_call_id for m in messages[last:] if isinstance(m, ToolMessage)}
    missing = [c for c in turn.tool_calls if c.id not in answered]
    for call in missing:
        messages.append(
            ToolMessage(tool_call_id=call.id, name=call.name, content=note, is_error=True)
        )
    return len(missing)
