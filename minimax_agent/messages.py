"""The conversation, in OpenAI chat shape.

An assistant message keeps everything the model produced: reasoning, visible text, tool calls,
the exact raw text it generated, and whatever the provider needs echoed back. MiniMax states that
M2.x degrades when earlier reasoning is dropped, so nothing here is ever thrown away.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field


class ToolCallRecord(BaseModel):
    """One tool call as the model made it."""

    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


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
    tool_calls: list[ToolCallRecord] = Field(default_factory=list)
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


class ToolSpec(BaseModel):
    """A tool as offered to the model: name, description and JSON schema of its arguments."""

    name: str
    description: str
    parameters: dict[str, Any]

    def openai_shape(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }


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
