"""The conversation as an Anthropic Messages API request body.

- System text goes in `system`, tools as `input_schema` tools, tool results as `tool_result`
  blocks in the user turn after the call (consecutive results, and a user note after them, are
  one user turn: the API wants the roles to alternate).
- An assistant turn this backend produced goes back as its `content` list exactly as it came
  (`provider_fields["anthropic_content"]`): thinking blocks with their signatures,
  redacted_thinking, text and tool_use, in order. MiniMax's docs say to append the whole
  `response.content` so the reasoning chain survives; the API checks the signatures.
- A turn from another backend (local, OpenAI-compatible, a scripted one) is rebuilt from its
  parts: its reasoning as a thinking block with no signature (the MiniMax endpoint takes it;
  Anthropic's own would refuse it), its text, its calls as tool_use.
- `cache_control` marks the stable head (the last tool and the system text) and the newest user
  turn, so each step reads the earlier ones from the endpoint's prompt cache; echoed assistant
  blocks are never marked, so they stay as they came.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

from minimax_agent.backends.openai.wire import _merge
from minimax_agent.messages import (
    AssistantMessage,
    Message,
    SystemMessage,
    ToolMessage,
    ToolSpec,
)
from minimax_agent.providers import Provider

ANTHROPIC_VERSION = "2023-06-01"
# The API requires max_tokens; M2 reasons at length before it answers, so the default is wide.
DEFAULT_MAX_TOKENS = 32000
CACHE = {"type": "ephemeral"}
# Where an assistant turn's content blocks are kept, as they came.
CONTENT_FIELD = "anthropic_content"


def api_url(base_url: str, path: str) -> str:
    """`/v1/PATH` under the base URL (`https://api.minimax.io/anthropic` → …/v1/messages); a
    base URL that already ends in `/v1` (a gateway given as `http://host:4000/v1`) is not
    given a second one."""
    base = base_url.rstrip("/")
    return f"{base}/{path}" if base.endswith("/v1") else f"{base}/v1/{path}"


def assistant_blocks(message: AssistantMessage) -> list[dict[str, Any]]:
    """The content blocks of an assistant turn: as they came for one of ours, else its parts."""
    kept = message.provider_fields.get(CONTENT_FIELD)
    if isinstance(kept, list):
        return copy.deepcopy(kept)  # the caller may add to the request; history stays as it is
    blocks: list[dict[str, Any]] = []
    if message.reasoning:
        blocks.append({"type": "thinking", "thinking": message.reasoning, "signature": ""})
    if message.content:
        blocks.append({"type": "text", "text": message.content})
    blocks += [
        {"type": "tool_use", "id": call.id, "name": call.name, "input": dict(call.arguments)}
        for call in message.tool_calls
    ]
    return blocks


def _tool_result(message: ToolMessage) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": message.tool_call_id}
    if message.content:  # an empty text block is refused; no content is not
        block["content"] = message.content
    if message.is_error:
        block["is_error"] = True
    return block


def wire_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """The turns after the system text, each role's consecutive blocks in one turn."""
    out: list[dict[str, Any]] = []
    for message in messages:
        role: Literal["user", "assistant"] = "user"
        if isinstance(message, SystemMessage):
            continue
        if isinstance(message, AssistantMessage):
            role, blocks = "assistant", assistant_blocks(message)
        elif isinstance(message, ToolMessage):
            blocks = [_tool_result(message)]
        else:
            blocks = [{"type": "text", "text": message.content}] if message.content else []
        if not blocks:
            continue  # an empty turn is refused; its neighbours join up instead
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})
    return out


def system_blocks(messages: list[Message]) -> list[dict[str, Any]]:
    return [
        {"type": "text", "text": m.content}
        for m in messages
        if isinstance(m, SystemMessage) and m.content
    ]


def tool_shapes(tools: list[ToolSpec]) -> list[dict[str, Any]]:
    return [
        {"name": t.name, "description": t.description, "input_schema": t.parameters} for t in tools
    ]


def prompt_body(model: str, messages: list[Message], tools: list[ToolSpec]) -> dict[str, Any]:
    """What the prompt is made of (model, system, messages, tools), cache marks included:
    the part a `count_tokens` request takes as well."""
    body: dict[str, Any] = {"model": model}
    system = system_blocks(messages)
    if system:
        system[-1]["cache_control"] = CACHE
        body["system"] = system
    turns = wire_messages(messages)
    if turns and turns[-1]["role"] == "user":
        # blocks built here, never an echoed one: the newest prompt prefix is cached too
        turns[-1]["content"][-1]["cache_control"] = CACHE
    body["messages"] = turns
    if tools:
        shapes = tool_shapes(tools)
        shapes[-1]["cache_control"] = CACHE
        body["tools"] = shapes
    return body


def build_body(
    provider: Provider,
    model: str,
    messages: list[Message],
    tools: list[ToolSpec],
    *,
    max_tokens: int | None,
    temperature: float,
    top_p: float,
    top_k: int,
    tool_choice: str = "auto",
) -> dict[str, Any]:
    """The streamed request body (the key travels in a header, never here)."""
    config = provider.config
    body = prompt_body(model, messages, tools)
    body["max_tokens"] = max_tokens or DEFAULT_MAX_TOKENS
    body["temperature"] = temperature
    body["top_p"] = top_p
    if config.top_k:
        body["top_k"] = top_k
    if tools and tool_choice != "auto":
        body["tool_choice"] = {"type": tool_choice}
    body["stream"] = True
    return _merge(body, config.extra_body)


def auth_headers(provider: Provider) -> dict[str, str]:
    """The version header, and the key where the endpoint wants it (`x-api-key`, or a bearer
    token as gateways and ModelsLab take it); a preset's own headers win."""
    out = {"anthropic-version": ANTHROPIC_VERSION}
    key, auth = provider.api_key, provider.config.auth
    if key and auth == "x-api-key":
        out["x-api-key"] = key
    elif key and auth in ("bearer", "both"):
        out["Authorization"] = f"Bearer {key}"
    out.update(provider.config.headers)
    return out
