"""The conversation as a Chat Completions request body.

Assistant turns this backend produced go back exactly as they came (see assemble.py): the
content string byte for byte, the reasoning in the field it arrived in, the merged
`reasoning_details`, and native tool calls with their original argument strings.
"""

from __future__ import annotations

from typing import Any

from minimax_agent.messages import (
    AssistantMessage,
    Message,
    SystemMessage,
    ToolMessage,
    ToolSpec,
    assistant_shape,
)
from minimax_agent.providers import Provider


def assistant_wire(message: AssistantMessage) -> dict[str, Any]:
    fields = message.provider_fields
    if "dialect" not in fields or message.raw is None:
        return _foreign_assistant(message)
    item: dict[str, Any] = {"role": "assistant"}
    tool_calls = fields.get("tool_calls")
    # No content at all was null on the way in; an empty string with tool calls is rejected by
    # some upstreams (Anthropic through OpenRouter), so null it stays.
    item["content"] = None if fields.get("content_null") and tool_calls else message.raw
    if fields.get("reasoning_field"):
        item[fields["reasoning_field"]] = message.reasoning
    if fields.get("reasoning_details"):
        # The whole array, encrypted items and signatures included: it supersedes `reasoning`.
        item["reasoning_details"] = fields["reasoning_details"]
    # Tool calls that the model wrote as <minimax:tool_call> XML in the content (a server with
    # no tool parser) go back inside the raw content only, not also as `tool_calls`. Such a
    # server renders history through the official M2 template: it prints `content` verbatim
    # (after splitting <think> off) and would print `tool_calls` a second time, re-serialised
    # from parsed arguments (tojson for non-strings, its own newlines). The raw content is the
    # one form in which the model sees exactly the call it wrote; the template renders `tool`
    # results without looking at ids, so they still follow the call.
    if tool_calls:
        item["tool_calls"] = tool_calls
    return item


def _foreign_assistant(message: AssistantMessage) -> dict[str, Any]:
    """A turn from another backend (local llama.cpp, a resumed session): its parts, in the
    fields most servers read (`reasoning_content` is what the official M2 template uses)."""
    item = assistant_shape(message, json_arguments=True)
    if message.tool_calls and not message.content:
        item["content"] = None  # some upstreams reject an empty string beside tool calls
    return item


def wire_messages(messages: list[Message]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for message in messages:
        if isinstance(message, AssistantMessage):
            out.append(assistant_wire(message))
        elif isinstance(message, ToolMessage):
            out.append(
                {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.content}
            )
        elif isinstance(message, SystemMessage):
            out.append({"role": "system", "content": message.content})
        else:
            out.append({"role": "user", "content": message.content})
    return out


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


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
    """The request body, secrets excluded (`with_key` adds a body key where the provider needs
    one, so traces never hold it)."""
    config = provider.config
    body: dict[str, Any] = {
        "model": model,
        config.model_field: model,
        "messages": wire_messages(messages),
        "temperature": temperature,
        "top_p": top_p,
    }
    if config.top_k:
        body["top_k"] = top_k
    if max_tokens is not None:
        body[config.max_tokens_field] = max_tokens
    if tools:
        body["tools"] = [t.openai_shape() for t in tools]
        if tool_choice != "auto":
            body["tool_choice"] = tool_choice
    body["stream"] = config.stream
    if config.stream and config.include_usage:
        body["stream_options"] = {"include_usage": True}
    return _merge(body, config.extra_body)


def with_key(provider: Provider, body: dict[str, Any]) -> dict[str, Any]:
    if provider.config.auth in ("body", "both") and provider.api_key:
        return {**body, provider.config.key_field: provider.api_key}
    return body


def headers(provider: Provider, user_agent: str) -> dict[str, str]:
    out = {"Content-Type": "application/json", "User-Agent": user_agent}
    out.update(provider.config.headers)
    if provider.config.auth in ("bearer", "both") and provider.api_key:
        out["Authorization"] = f"Bearer {provider.api_key}"
    return out
