"""The conversation as a Chat Completions request body.

Assistant turns this backend produced go back as they came (see assemble.py): the reasoning in
the field it arrived in, the merged `reasoning_details`, native tool calls with their original
argument strings; less the layout the official template adds again, and with tool calls left
as XML in the content sent as `tool_calls` (see echo.py).
"""

from __future__ import annotations

from typing import Any

from minimax_agent.backends.openai.echo import assistant_echo, assistant_parts
from minimax_agent.dialect import Dialect, dialect_for
from minimax_agent.messages import AssistantMessage, Message, SystemMessage, ToolMessage, ToolSpec
from minimax_agent.providers import Provider


def assistant_wire(message: AssistantMessage, dialect: Dialect | None = None) -> dict[str, Any]:
    if "dialect" not in message.provider_fields or message.raw is None:
        return assistant_parts(message)  # another backend's turn, or a resumed session's
    return assistant_echo(message, dialect or dialect_for())


def wire_messages(messages: list[Message], dialect: Dialect | None = None) -> list[dict[str, Any]]:
    """The messages as sent; `dialect` is the model's format (the default one if not given)."""
    out: list[dict[str, Any]] = []
    for message in messages:
        if isinstance(message, AssistantMessage):
            out.append(assistant_wire(message, dialect))
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
    dialect: Dialect | None = None,
) -> dict[str, Any]:
    """The request body, secrets excluded (`with_key` adds a body key where the provider needs
    one, so traces never hold it); `dialect`: the model's format (`--dialect`), else the one
    its name says."""
    config = provider.config
    body: dict[str, Any] = {
        "model": model,
        config.model_field: model,
        "messages": wire_messages(messages, dialect or dialect_for(model_name=model)),
        "temperature": temperature,
        "top_p": top_p,
    }
    if config.top_k:
        body["top_k"] = top_k
    if config.min_p:
        # the in-process sampler has no min_p; llama-server would apply its own 0.05
        body["min_p"] = 0.0
    if max_tokens is not None:
        body[config.max_tokens_field] = max_tokens
    if tools:
        body["tools"] = [t.openai_shape() for t in tools]
        if config.tool_choice_none:
            # the server leaves the model's XML in the content and our parser reads it (the
            # tools still go in, so its template shows them to the model)
            body["tool_choice"] = "none"
        elif tool_choice != "auto":
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
