"""Assemble one assistant turn from Anthropic Messages API stream events.

`message_start` opens the message (and the first usage figures), each content block streams
between `content_block_start` and `content_block_stop` (`thinking` with `thinking_delta` and
`signature_delta`, `redacted_thinking` whole at its start, `text` with `text_delta`, `tool_use`
with `input_json_delta` pieces that split anywhere, even inside a token), `message_delta`
brings the stop reason and the final usage, `message_stop` ends the turn; `ping` carries
nothing and an `error` event fails the attempt.

Every block is kept as it came, in order, with its streamed strings joined (the thinking
text, the signature, a tool call's input parsed from its JSON pieces): that list is the turn's
`anthropic_content` provider field, which the next request sends back unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from minimax_agent.backends.anthropic.usage import anthropic_usage
from minimax_agent.backends.anthropic.wire import CONTENT_FIELD
from minimax_agent.backends.openai.assemble import MalformedChunk, StreamFailed
from minimax_agent.dialect.call_ids import new_call_id
from minimax_agent.dialect.json_args import MAX_DEPTH, ArgumentError, load_json, nesting_depth
from minimax_agent.events import Event, ReasoningDelta, TextDelta, ToolCall, Usage
from minimax_agent.messages import AssistantMessage, ToolSpec
from minimax_agent.surrogates import PairJoiner

# the API's stop reasons in the words the rest of the agent uses (OpenAI's finish reasons)
STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    "pause_turn": "stop",
}
# The string field of a block that each delta type adds to.
_APPENDS = {
    "thinking_delta": "thinking",
    "signature_delta": "signature",
    "text_delta": "text",
}


class AnthropicTurn:
    """Feed the parsed `data` of each event in order; `finish()` gives the trailing events
    (the tool calls) and the message. The same interface as the OpenAI `TurnAssembler`, so
    one retry loop serves both backends."""

    end_markers = "no message_stop"

    def __init__(self, tools: Sequence[ToolSpec]) -> None:
        self._tools = {t.name: t for t in tools}
        self.blocks: dict[int, dict[str, Any]] = {}
        self._json: dict[int, list[str]] = {}  # a tool_use block's input pieces
        self._pairs: dict[int, PairJoiner] = {}  # a surrogate pair split between deltas
        self.usage: dict[str, Any] | None = None
        self.finish_reason: str | None = None
        self.stopped = False
        self.chunks = 0

    @property
    def finished(self) -> bool:
        return self.stopped

    def feed(self, chunk: dict[str, Any]) -> list[Event]:
        self.chunks += 1
        kind = chunk.get("type")
        if kind == "error":
            error = chunk.get("error")
            message = error.get("message") if isinstance(error, dict) else error
            kind_name = error.get("type") if isinstance(error, dict) else None
            raise StreamFailed(f"{message or chunk} ({kind_name})" if kind_name else str(message))
        if kind == "message":  # a reply that was not streamed: the whole message at once
            return self._whole(chunk)
        if kind == "message_start":
            message = chunk.get("message")
            if isinstance(message, dict):
                self._add_usage(message.get("usage"))
        elif kind == "content_block_start":
            block = chunk.get("content_block")
            if not isinstance(block, dict):
                raise MalformedChunk("content_block_start without a content_block")
            self.blocks[self._index(chunk)] = dict(block)
        elif kind == "content_block_delta":
            return self._delta(self._index(chunk), chunk.get("delta"))
        elif kind == "content_block_stop":
            self._close(self._index(chunk))
        elif kind == "message_delta":
            delta = chunk.get("delta")
            if isinstance(delta, dict) and isinstance(delta.get("stop_reason"), str):
                reason = delta["stop_reason"]
                self.finish_reason = STOP_REASONS.get(reason, reason)
            self._add_usage(chunk.get("usage"))
        elif kind == "message_stop":
            self.stopped = True
        # `ping`, and event types added later, carry nothing a turn needs
        return []

    def _whole(self, message: dict[str, Any]) -> list[Event]:
        content = message.get("content")
        if not isinstance(content, list) or not all(isinstance(b, dict) for b in content):
            raise MalformedChunk("a message whose content is not a list of blocks")
        events: list[Event] = []
        for index, block in enumerate(content):
            self.blocks[index] = dict(block)
            if block.get("type") == "thinking" and block.get("thinking"):
                events.append(ReasoningDelta(str(block["thinking"])))
            elif block.get("type") == "text" and block.get("text"):
                events.append(TextDelta(str(block["text"])))
        self._add_usage(message.get("usage"))
        reason = message.get("stop_reason")
        self.finish_reason = STOP_REASONS.get(reason, reason) if isinstance(reason, str) else None
        self.stopped = True
        return events

    @staticmethod
    def _index(chunk: dict[str, Any]) -> int:
        index = chunk.get("index")
        if not isinstance(index, int) or isinstance(index, bool):
            raise MalformedChunk(f"a {chunk.get('type')} event without an integer index")
        return index

    def _add_usage(self, usage: Any) -> None:
        """Usage figures as they arrive: `message_delta`'s are cumulative, so a later number
        replaces an earlier one (a null never erases one)."""
        if isinstance(usage, dict):
            merged = dict(self.usage or {})
            merged.update({k: v for k, v in usage.items() if v is not None})
            self.usage = merged

    def _delta(self, index: int, delta: Any) -> list[Event]:
        block = self.blocks.get(index)
        if block is None or not isinstance(delta, dict):
            raise MalformedChunk(f"a content_block_delta for block {index}, which did not start")
        kind = delta.get("type")
        if kind == "input_json_delta":
            piece = delta.get("partial_json")
            if isinstance(piece, str):
                self._json.setdefault(index, []).append(piece)
            return []
        field = _APPENDS.get(str(kind))
        value = delta.get(field) if field else None
        if field is None or not isinstance(value, str):
            if kind == "citations_delta" and isinstance(delta.get("citation"), dict):
                block.setdefault("citations", []).append(delta["citation"])
            return []  # a delta type added later: kept out, not a failure
        block[field] = str(block.get(field) or "") + value
        if field == "signature":
            return []
        shown = self._pairs.setdefault(index, PairJoiner()).feed(value)
        if not shown:
            return []
        return [ReasoningDelta(shown) if field == "thinking" else TextDelta(shown)]

    def _close(self, index: int) -> None:
        block = self.blocks.get(index)
        if block is None:
            raise MalformedChunk(f"content_block_stop for block {index}, which did not start")
        if block.get("type") in ("tool_use", "server_tool_use") and index in self._json:
            block["input_json"] = "".join(self._json.pop(index))

    def finish(self) -> tuple[list[Event], AssistantMessage]:
        """The tool calls, and the turn as it enters history."""
        events: list[Event] = []
        for index, joiner in self._pairs.items():
            held = joiner.flush()
            if held:
                kind = self.blocks[index].get("type")
                events.append(ReasoningDelta(held) if kind == "thinking" else TextDelta(held))
        content: list[dict[str, Any]] = []
        calls: list[ToolCall] = []
        for index in sorted(self.blocks):
            block = self.blocks[index]
            if index in self._json:  # a tool_use block the stream never closed
                block["input_json"] = "".join(self._json.pop(index))
            if block.get("type") == "tool_use":
                call, block = self._call(block)
                calls.append(call)
            content.append(block)
        events.extend(calls)
        text = "".join(b["text"] for b in content if b.get("type") == "text" and b.get("text"))
        reasoning = "".join(
            b["thinking"] for b in content if b.get("type") == "thinking" and b.get("thinking")
        )
        message = AssistantMessage(
            content=text,
            reasoning=reasoning,
            tool_calls=[ToolCall(c.id, c.name, c.arguments) for c in calls],
            provider_fields={CONTENT_FIELD: content},
        )
        return events, message

    def _call(self, block: dict[str, Any]) -> tuple[ToolCall, dict[str, Any]]:
        """The tool call a tool_use block makes, and the block as history keeps it (its input
        the object the JSON pieces spell, or the start's input when none came)."""
        block = dict(block)
        raw = block.pop("input_json", None)
        if not isinstance(block.get("id"), str) or not block["id"]:
            block["id"] = new_call_id()
        call_id, name = block["id"], str(block.get("name") or "")
        start = block.get("input")
        error: str | None = None
        if raw is not None and raw.strip():
            try:
                parsed = load_json(raw)
            except (json.JSONDecodeError, ArgumentError, RecursionError) as exc:
                parsed, error = {}, f"the arguments of {name or 'this call'} are not valid JSON"
                error += f" ({exc}); call it again with one JSON object"
        else:
            parsed = start if isinstance(start, dict) else {}
        if error is None and not isinstance(parsed, dict):
            parsed, error = {}, "tool arguments must be a JSON object"
        if error is None and nesting_depth(parsed) > MAX_DEPTH:
            parsed, error = {}, f"the arguments of {name} are nested more than {MAX_DEPTH} deep"
        block["input"] = parsed
        if error is None and not name:
            error = "malformed tool call: no function name"
        if error is None and self._tools and name not in self._tools:
            error = f"unknown tool {name!r}; known: {', '.join(sorted(self._tools))}"
        spec = self._tools.get(name)
        typed = _typed(parsed, spec.parameters if spec else {}) if error is None else parsed
        return ToolCall(call_id, name, typed, error), block

    def usage_event(self) -> Usage | None:
        return anthropic_usage(self.usage) if self.usage is not None else None

    def emptiness(self, message: AssistantMessage) -> str | None:
        """What the finished turn lacks when it holds nothing readable (a redacted thinking
        block alone does not count), or None."""
        if message.content.strip() or message.reasoning.strip() or message.tool_calls:
            return None
        return "no content blocks" if not self.blocks else "no text, thinking or tool call"


_KINDS = {bool: "boolean", int: "integer", float: "number", list: "array", dict: "object"}


def _declared(prop: dict[str, Any]) -> set[str]:
    """The JSON types a property declares (`type`, a list of them, or `anyOf` branches)."""
    found: set[str] = set()
    for option in [prop, *(prop.get("anyOf") or [])]:
        if not isinstance(option, dict):
            continue
        kind = option.get("type")
        found.update([kind] if isinstance(kind, str) else kind if isinstance(kind, list) else [])
    return found


def _typed(arguments: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The arguments with a string the schema cannot take (`"5"` for an integer `limit`, as
    some servers' tool parsers pass every value) read as the JSON value it spells, where that
    value is of a type the schema declares; anything else as it came (validation says what is
    wrong). The block in history keeps the input as sent."""
    props = schema.get("properties") or {}
    out = dict(arguments)
    for key, value in arguments.items():
        prop = props.get(key) if isinstance(props, dict) else None
        types = _declared(prop) if isinstance(prop, dict) else set()
        if not isinstance(value, str) or not types or "string" in types:
            continue
        try:
            parsed = load_json(value)
        except (ValueError, RecursionError):
            continue
        kind = "null" if parsed is None else _KINDS.get(type(parsed))
        if kind in types or (kind == "integer" and "number" in types):
            out[key] = parsed
    return out
