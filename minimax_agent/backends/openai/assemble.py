"""Assemble one assistant turn from Chat Completions stream chunks.

Endpoints return M2's reasoning in one of four places, and the dialect is read from the response
itself, never configured:

- inline `<think>…</think>` in `content` (vLLM `minimax_m2_append_think`, the MiniMax default);
- a `reasoning_content` field, or a `reasoning` field (vLLM reasoning parsers, llama-server);
- a `reasoning_details` array (OpenRouter; MiniMax with `reasoning_split`).

Everything that came is kept exactly as it came (the content string, the reasoning field's text,
the merged `reasoning_details`, native tool calls with their argument strings), so the turn can be
sent back byte for byte: MiniMax states that M2.x degrades when earlier reasoning is lost. One
exception: a surrogate pair split between two chunks is joined, and a lone surrogate becomes
U+FFFD, since no file, socket or terminal can take it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from minimax_agent.backends.openai.usage import usage_event
from minimax_agent.dialect import Dialect, dialect_for
from minimax_agent.dialect.call_ids import new_call_id
from minimax_agent.dialect.json_args import MAX_DEPTH, ArgumentError, load_json, nesting_depth
from minimax_agent.events import Event, ReasoningDelta, ToolCall, Usage
from minimax_agent.messages import AssistantMessage, ToolSpec
from minimax_agent.surrogates import PairJoiner, repair

REASONING_FIELDS = ("reasoning_content", "reasoning")
# String fields of a reasoning_details item that stream in pieces; the rest are set once.
_APPENDED = ("text", "summary", "data", "signature")


class MalformedChunk(ValueError):
    """A chunk that is JSON but not a chat completion chunk."""


class StreamFailed(RuntimeError):
    """The server reported an error inside the stream."""


@dataclass
class _NativeCall:
    id: str = ""
    type: str = "function"
    name: str = ""
    arguments: str = ""


def merge_details(merged: list[dict[str, Any]], items: list[Any]) -> str:
    """Merge one delta's `reasoning_details` items into `merged`; return their visible text.

    Items are matched by `index` (and type: a new type at an index is a new item). String fields
    that stream (`text`, `summary`, `data`, `signature`) are appended; `id`, `format` and the rest
    are set by whichever delta carries them, a later null never erasing a value.
    """
    shown: list[str] = []
    for item in items:
        if not isinstance(item, dict):
            raise MalformedChunk("a reasoning_details item is not an object")
        target = _continued(merged, item)
        if target is None:
            merged.append(dict(item))
        else:
            for key, value in item.items():
                old = target.get(key)
                if key in _APPENDED and isinstance(value, str) and isinstance(old, str):
                    target[key] = old + value
                elif value is not None or key not in target:
                    target[key] = value
        shown.append(_detail_text(item))
    return "".join(shown)


def _detail_text(item: dict[str, Any]) -> str:
    """The readable part of a reasoning_details item (nothing for encrypted ones)."""
    kind = item.get("type")
    value = item.get("summary") if kind == "reasoning.summary" else item.get("text")
    return value if isinstance(value, str) and kind != "reasoning.encrypted" else ""


def _continued(merged: list[dict[str, Any]], item: dict[str, Any]) -> dict[str, Any] | None:
    """The merged item that `item` continues, if any."""
    index = item.get("index")
    if index is not None:
        for existing in reversed(merged):
            if existing.get("index") == index:
                same_type = existing.get("type") == item.get("type", existing.get("type"))
                return existing if same_type else None
        return None
    # Without an index only the latest item can go on, and only with the same type and id.
    last = merged[-1] if merged else None
    if (
        last is not None
        and last.get("index") is None
        and last.get("type") == item.get("type")
        and item.get("id") in (None, last.get("id"))
    ):
        return last
    return None


class TurnAssembler:
    """Feed parsed chunks in order; `finish()` gives the trailing events and the message."""

    end_markers = "no finish_reason or [DONE]"

    def __init__(
        self,
        tools: Sequence[ToolSpec],
        *,
        starts_in_reasoning: bool = False,
        dialect: Dialect | None = None,
    ) -> None:
        self._tool_names = {t.name for t in tools}
        # Content goes through the dialect's parser: it splits inline <think> off and parses
        # tool-call XML that a server without a tool parser leaves in the content.
        dialect = dialect or dialect_for()
        self._parser = dialect.stream_parser(tools, in_reasoning=starts_in_reasoning)
        self._think_close = dialect.think_close
        # Pieces joined at the end: `+=` on an attribute copies the whole string every time.
        self._content: list[str] = []
        self.content_seen = False
        self.reasoning_field: str | None = None
        self._also: set[str] = set()  # the other name, when a server sends both
        self._field_reasoning: list[str] = []
        self._content_pairs = PairJoiner()
        self._reasoning_pairs = PairJoiner()
        self.choices_seen = False
        self.details: list[dict[str, Any]] = []
        self._native: dict[int, _NativeCall] = {}
        self.usage: dict[str, Any] | None = None
        self.timings: dict[str, Any] | None = None  # llama-server's, on the last chunk
        self.finish_reason: str | None = None
        self.chunks = 0

    @property
    def finished(self) -> bool:
        return self.finish_reason is not None

    def feed(self, chunk: dict[str, Any]) -> list[Event]:
        self.chunks += 1
        error = chunk.get("error")
        if error:
            message = error.get("message") if isinstance(error, dict) else error
            raise StreamFailed(str(message or error))
        if isinstance(chunk.get("usage"), dict):
            self.usage = chunk["usage"]
        if isinstance(chunk.get("timings"), dict):
            self.timings = chunk["timings"]
        choices = chunk.get("choices") or []
        if not isinstance(choices, list):
            raise MalformedChunk("`choices` is not a list")
        events: list[Event] = []
        for choice in choices:
            if not isinstance(choice, dict):
                raise MalformedChunk("a choice is not an object")
            if choice.get("index", 0) != 0:
                continue  # we ask for one choice; ignore any other
            self.choices_seen = True
            delta = choice.get("delta")
            if delta is None:
                delta = choice.get("message")  # a non-streaming reply, fed as one delta
            if delta is not None:
                if not isinstance(delta, dict):
                    raise MalformedChunk("`delta` is not an object")
                events.extend(self._delta(delta))
            if choice.get("finish_reason"):
                self.finish_reason = str(choice["finish_reason"])
        return events

    def _delta(self, delta: dict[str, Any]) -> list[Event]:
        events: list[Event] = []
        shown = ""
        for name in REASONING_FIELDS:
            value = delta.get(name)
            if isinstance(value, str) and value:
                # Servers in transition send the same text under both names: the first is
                # read, and both are echoed (each server reads back only one of them).
                if self.reasoning_field is None:
                    self.reasoning_field = name
                elif name != self.reasoning_field:
                    self._also.add(name)
                if name == self.reasoning_field:
                    shown = self._reasoning_pairs.feed(value)
                    self._field_reasoning.append(shown)
        details = delta.get("reasoning_details")
        if isinstance(details, list) and details:
            # kept as sent (the transport repairs surrogates when it sends them back)
            detail_text = repair(merge_details(self.details, details))
            # OpenRouter repeats the text in `reasoning`; show it once.
            shown = shown or detail_text
        if shown:
            events.append(ReasoningDelta(shown))
        if self.reasoning_field or self.details:
            # The reasoning has a field of its own, so content the parser holds back in case
            # it is reasoning (`R</think>Text` from a server without a reasoning parser) is text.
            events.extend(self._parser.reasoning_elsewhere())
        content = delta.get("content")
        if isinstance(content, str):
            self.content_seen = True
            events.extend(self._content_text(self._content_pairs.feed(content)))
        calls = delta.get("tool_calls")
        if isinstance(calls, list):
            self._accumulate(calls)
        return events

    def _content_text(self, text: str) -> list[Event]:
        if not text:
            return []
        self._content.append(text)
        return self._parser.feed(text)

    def _accumulate(self, calls: list[Any]) -> None:
        for part in calls:
            if not isinstance(part, dict):
                raise MalformedChunk("a tool_calls item is not an object")
            index = part.get("index")
            if not isinstance(index, int):
                # No index: continue the call with the same id; a new id, or a name when the
                # latest call has one, starts a call; anything else continues the latest.
                call_id = part.get("id")
                named = bool((part.get("function") or {}).get("name"))
                same = [i for i, c in self._native.items() if call_id and c.id == call_id]
                latest = max(self._native, default=-1)
                if same:
                    index = same[0]
                elif call_id or latest < 0 or (named and self._native[latest].name):
                    index = latest + 1
                else:
                    index = latest
            slot = self._native.setdefault(index, _NativeCall())
            if isinstance(part.get("id"), str) and part["id"]:
                slot.id = part["id"]
            if isinstance(part.get("type"), str):
                slot.type = part["type"]
            function = part.get("function") or {}
            if not isinstance(function, dict):
                raise MalformedChunk("a tool call's `function` is not an object")
            if isinstance(function.get("name"), str) and function["name"] and not slot.name:
                slot.name = function["name"]
            arguments = function.get("arguments")
            if isinstance(arguments, str):
                slot.arguments += arguments
            elif isinstance(arguments, dict):  # a few servers send an object, not a string
                slot.arguments = json.dumps(arguments, ensure_ascii=False)

    def _native_call(self, slot: _NativeCall) -> ToolCall:
        if not slot.id:
            slot.id = new_call_id()
        name = slot.name
        try:
            # load_json: NaN, Infinity, 1e999 and 5000-digit integers are not JSON either
            parsed = load_json(slot.arguments) if slot.arguments.strip() else {}
        except json.JSONDecodeError as exc:
            return ToolCall(
                slot.id,
                name,
                {},
                f"the arguments of {name or 'this call'} are not valid JSON ({exc.msg} at "
                f"column {exc.colno}); call it again with one JSON object",
            )
        except ArgumentError as exc:
            return ToolCall(
                slot.id,
                name,
                {},
                f"the arguments of {name or 'this call'} are not valid JSON ({exc}); call it "
                "again with one JSON object",
            )
        except RecursionError:  # json's C scanner recurses once per bracket
            parsed, too_deep = None, True
        else:
            too_deep = nesting_depth(parsed) > MAX_DEPTH
        if too_deep:
            # Deeper than any tool's schema, and too deep to store or validate.
            return ToolCall(
                slot.id,
                name,
                {},
                f"the arguments of {name or 'this call'} are nested more than {MAX_DEPTH} "
                "levels deep; call it again with flatter arguments",
            )
        if not isinstance(parsed, dict):
            return ToolCall(slot.id, name, {}, "tool arguments must be a JSON object")
        if not name:
            return ToolCall(slot.id, name, parsed, "malformed tool call: no function name")
        if self._tool_names and name not in self._tool_names:
            known = ", ".join(sorted(self._tool_names))
            return ToolCall(slot.id, name, parsed, f"unknown tool {name!r}; known: {known}")
        return ToolCall(slot.id, name, parsed)

    def finish(self) -> tuple[list[Event], AssistantMessage]:
        """Flush the parser and build the turn as it enters history."""
        events: list[Event] = []
        held = self._reasoning_pairs.flush()
        if held:
            self._field_reasoning.append(held)
            events.append(ReasoningDelta(held))
        events.extend(self._content_text(self._content_pairs.flush()))
        events.extend(self._parser.finish())
        native = [self._native_call(self._native[i]) for i in sorted(self._native)]
        events.extend(native)
        parsed = self._parser.message()
        content = "".join(self._content)
        fields: dict[str, Any] = {}
        if self.details:
            fields["dialect"] = "reasoning_details"
            fields["reasoning_details"] = self.details
        elif self.reasoning_field:
            fields["dialect"] = "field"
            fields["reasoning_field"] = self.reasoning_field
            if self._also:
                # vLLM reads back only `reasoning`, llama-server only `reasoning_content`
                fields["reasoning_also"] = sorted(self._also)
        elif self._think_close in content:
            fields["dialect"] = "inline"
        else:
            fields["dialect"] = "none"
        if native:
            fields["tool_calls"] = [
                {
                    "id": slot.id,
                    "type": slot.type,
                    "function": {"name": slot.name, "arguments": slot.arguments},
                }
                for slot in (self._native[i] for i in sorted(self._native))
            ]
        if parsed.tool_calls:
            fields["tool_xml"] = True
        if not self.content_seen:
            fields["content_null"] = True
        if self.reasoning_field:
            reasoning = "".join(self._field_reasoning)
        elif self.details:
            reasoning = "".join(_detail_text(d) for d in self.details)
        else:
            reasoning = parsed.reasoning
        records = parsed.tool_calls + [
            ToolCall(id=c.id, name=c.name, arguments=c.arguments) for c in native
        ]
        message = AssistantMessage(
            content=parsed.content,
            reasoning=reasoning,
            tool_calls=records,
            raw=content,
            provider_fields=fields,
        )
        return events, message

    def usage_event(self) -> Usage | None:
        """The reply's usage (or llama-server's timings) as our event; None without either."""
        if self.usage is None and self.timings is None:
            return None
        return usage_event(self.usage, self.timings)

    def emptiness(self, message: AssistantMessage) -> str | None:
        """What the finished turn lacks when it holds nothing readable (encrypted reasoning
        alone does not count), or None: a 200 reply of `{}` or `choices: []` is a failure."""
        if message.content.strip() or message.reasoning.strip() or message.tool_calls:
            return None
        if not self.choices_seen:
            return "no choices"
        return "no content, reasoning or tool call"
