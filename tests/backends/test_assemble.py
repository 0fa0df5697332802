"""Stream chunks → events and the turn as it came: SSE framing, reasoning dialects,
reasoning_details merging, native and XML tool calls."""

from __future__ import annotations

from typing import Any

import pytest

from minimax_agent.backends.openai.assemble import (
    MalformedChunk,
    StreamFailed,
    TurnAssembler,
    merge_details,
)
from minimax_agent.backends.openai.sse import iter_sse_data
from minimax_agent.backends.openai.usage import usage_event
from minimax_agent.events import Event, ReasoningDelta, TextDelta, ToolCall
from minimax_agent.messages import AssistantMessage, ToolSpec

TOOLS = [
    ToolSpec(
        name="read_file",
        description="Read a file.",
        parameters={
            "type": "object",
            "properties": {"path": {"type": "string"}, "limit": {"type": "integer"}},
            "required": ["path"],
        },
    )
]


def chunk(finish: str | None = None, **delta: Any) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def run(chunks: list[dict[str, Any]], **kw: Any) -> tuple[list[Event], AssistantMessage]:
    turn = TurnAssembler(TOOLS, **kw)
    events: list[Event] = []
    for c in chunks:
        events.extend(turn.feed(c))
    tail, message = turn.finish()
    return events + tail, message


def text(events: list[Event], kind: type) -> str:
    return "".join(e.text for e in events if isinstance(e, kind))


# -- SSE --------------------------------------------------------------------------------------


def test_sse_joins_data_lines_and_skips_comments_and_other_fields() -> None:
    lines = [
        ": OPENROUTER PROCESSING",
        "",
        "event: message",
        "id: 7",
        'data: {"a":',
        "data: 1}",
        "",
    ]
    lines += ["data:[DONE]"]  # no space after the colon, and no closing blank line
    assert list(iter_sse_data(lines)) == ['{"a":\n1}', "[DONE]"]


# -- reasoning dialects --------------------------------------------------------------------------


def test_inline_think_in_content_is_split_and_raw_kept_exactly() -> None:
    content = "<think>\nweigh <b> and </b\n</think>\n\nThe answer."
    chunks = [chunk(content=content[i : i + 3]) for i in range(0, len(content), 3)]
    events, message = run([*chunks, chunk("stop")])
    assert text(events, ReasoningDelta) == "\nweigh <b> and </b\n"
    assert text(events, TextDelta) == "\n\nThe answer."
    assert not any("<" in e.text and "think" in e.text for e in events if isinstance(e, TextDelta))
    assert message.raw == content
    assert message.provider_fields["dialect"] == "inline"
    assert message.content == "The answer."


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_reasoning_field_is_kept_byte_for_byte(field: str) -> None:
    pieces = ["\n  first line\n", "second ", "line\n\n"]
    chunks = [chunk(**{field: p}) for p in pieces] + [chunk(content="\n\nDone.", finish="stop")]
    events, message = run(chunks)
    assert text(events, ReasoningDelta) == "".join(pieces)
    assert message.reasoning == "".join(pieces)
    assert message.provider_fields == {"dialect": "field", "reasoning_field": field}
    assert message.raw == "\n\nDone."


def test_both_reasoning_fields_with_the_same_text_show_it_once() -> None:
    events, message = run([chunk(reasoning_content="abc", reasoning="abc"), chunk("stop")])
    assert text(events, ReasoningDelta) == "abc"
    assert message.provider_fields["reasoning_field"] == "reasoning_content"


def test_reasoning_details_merge_by_index_with_signature_and_encrypted_items() -> None:
    merged: list[dict[str, Any]] = []
    fmt = "anthropic-claude-v1"
    shown = merge_details(
        merged,
        [{"type": "reasoning.text", "text": "Let ", "signature": None, "format": fmt, "index": 0}],
    )
    shown += merge_details(merged, [{"type": "reasoning.text", "text": "me see.", "index": 0}])
    shown += merge_details(
        merged,
        [{"type": "reasoning.text", "text": "", "signature": "sig-1", "format": fmt, "index": 0}],
    )
    shown += merge_details(
        merged,
        [{"type": "reasoning.encrypted", "data": "AAAA", "id": "rs_1", "format": fmt, "index": 1}],
    )
    assert shown == "Let me see."
    assert merged == [
        {
            "type": "reasoning.text",
            "text": "Let me see.",
            "signature": "sig-1",
            "format": fmt,
            "index": 0,
        },
        {"type": "reasoning.encrypted", "data": "AAAA", "id": "rs_1", "format": fmt, "index": 1},
    ]


def test_reasoning_details_without_index_continue_the_latest_item_of_that_type() -> None:
    merged: list[dict[str, Any]] = []
    merge_details(merged, [{"type": "reasoning.text", "text": "a", "id": "r1"}])
    merge_details(merged, [{"type": "reasoning.text", "text": "b"}])
    merge_details(merged, [{"type": "reasoning.summary", "summary": "s"}])
    assert merged == [
        {"type": "reasoning.text", "text": "ab", "id": "r1"},
        {"type": "reasoning.summary", "summary": "s"},
    ]


def test_reasoning_details_dialect_shows_reasoning_once_and_keeps_the_array() -> None:
    item = {"type": "reasoning.text", "id": "reasoning-text-1", "format": "MiniMax-response-v1"}
    chunks = [
        chunk(reasoning="Think", reasoning_details=[{**item, "index": 0, "text": "Think"}]),
        chunk(reasoning="ing.", reasoning_details=[{**item, "index": 0, "text": "ing."}]),
        chunk(content="Hi", finish="stop"),
    ]
    events, message = run(chunks)
    assert text(events, ReasoningDelta) == "Thinking."
    assert message.reasoning == "Thinking."
    assert message.provider_fields["dialect"] == "reasoning_details"
    assert message.provider_fields["reasoning_details"] == [
        {**item, "index": 0, "text": "Thinking."}
    ]


def test_content_may_open_inside_the_reasoning_when_the_provider_says_so() -> None:
    events, message = run(
        [chunk(content="hmm</think>\n\nok"), chunk("stop")], starts_in_reasoning=True
    )
    assert text(events, ReasoningDelta) == "hmm"
    assert message.content == "ok"


# -- tool calls ---------------------------------------------------------------------------------


def native(index: int, **fields: Any) -> dict[str, Any]:
    return chunk(tool_calls=[{"index": index, **fields}])


def test_native_tool_call_arguments_accumulate_across_chunks() -> None:
    chunks = [
        native(0, id="call_a", type="function", function={"name": "read_file", "arguments": ""}),
        native(0, function={"arguments": '{"path": "a.'}),
        native(0, function={"arguments": 'py", "limit": 5}'}),
        native(1, id="call_b", type="function", function={"name": "read_file", "arguments": "{}"}),
        chunk("tool_calls"),
    ]
    events, message = run(chunks)
    calls = [e for e in events if isinstance(e, ToolCall)]
    assert calls[0] == ToolCall("call_a", "read_file", {"path": "a.py", "limit": 5})
    assert calls[1].id == "call_b" and calls[1].error is None  # missing `path` is for validation
    assert message.provider_fields["tool_calls"][0] == {
        "id": "call_a",
        "type": "function",
        "function": {"name": "read_file", "arguments": '{"path": "a.py", "limit": 5}'},
    }
    assert [c.id for c in message.tool_calls] == ["call_a", "call_b"]


def test_invalid_json_arguments_become_a_tool_error_not_a_crash() -> None:
    chunks = [
        native(0, id="c1", function={"name": "read_file", "arguments": '{"path": "a.py"'}),
        chunk("tool_calls"),
    ]
    events, message = run(chunks)
    (call,) = [e for e in events if isinstance(e, ToolCall)]
    assert call.error and "not valid JSON" in call.error
    # The exact (broken) string still goes back, so history shows what the model wrote.
    assert message.provider_fields["tool_calls"][0]["function"]["arguments"] == '{"path": "a.py"'


@pytest.mark.parametrize(
    "arguments,fragment",
    [
        ('{"path": NaN}', "NaN is not a JSON number"),
        ('{"path": "a", "limit": -Infinity}', "-Infinity is not a JSON number"),
        ('{"limit": 1e999}', "too large for a JSON number"),
        ('{"limit": ' + "9" * 5000 + "}", "digit limit"),  # a bare ValueError from int()
    ],
)
def test_native_arguments_that_python_takes_but_json_does_not_are_a_tool_error(
    arguments: str, fragment: str
) -> None:
    call_chunk = native(0, id="c1", function={"name": "read_file", "arguments": arguments})
    events, message = run([call_chunk, chunk("tool_calls")])
    (call,) = [e for e in events if isinstance(e, ToolCall)]
    assert call.error and "not valid JSON" in call.error and fragment in call.error
    assert message.provider_fields["tool_calls"][0]["function"]["arguments"] == arguments


@pytest.mark.parametrize("arguments", ["null", "[1, 2]", '"a.py"', "7"])
def test_native_arguments_that_are_json_but_not_an_object_say_so(arguments: str) -> None:
    # `null` once read as "nested too deep": the answer must name the real problem
    call_chunk = native(0, id="c1", function={"name": "read_file", "arguments": arguments})
    events, _ = run([call_chunk, chunk("tool_calls")])
    (call,) = [e for e in events if isinstance(e, ToolCall)]
    assert call.error == "tool arguments must be a JSON object"


def test_content_without_think_open_splits_off_reasoning_at_the_think_close() -> None:
    # A server without a reasoning parser, behind a prompt ending in `<think>\n`.
    events, message = run([chunk(content="R\n</think>\n\nText"), chunk("stop")])
    assert text(events, ReasoningDelta) == "R\n"
    assert (message.reasoning, message.content) == ("R", "Text")


def test_content_streams_at_once_when_the_reasoning_has_a_field() -> None:
    turn = TurnAssembler(TOOLS)
    turn.feed(chunk(reasoning_content="weigh it"))
    assert text(turn.feed(chunk(content="The ")), TextDelta) == "The "
    assert text(turn.feed(chunk(content="</think> tag.")), TextDelta) == "</think> tag."


def test_unknown_tool_name_becomes_a_tool_error() -> None:
    events, _ = run([native(0, id="c1", function={"name": "rm_rf", "arguments": "{}"}), chunk("x")])
    (call,) = [e for e in events if isinstance(e, ToolCall)]
    assert call.error and "unknown tool 'rm_rf'" in call.error


def test_tool_calls_without_index_or_id_get_ids_and_stay_apart() -> None:
    chunks = [
        chunk(tool_calls=[{"id": "x1", "function": {"name": "read_file", "arguments": '{"pa'}}]),
        chunk(tool_calls=[{"function": {"arguments": 'th": "a"}'}}]),
        chunk(tool_calls=[{"function": {"name": "read_file", "arguments": {"path": "b"}}}]),
        chunk("tool_calls"),
    ]
    events, _ = run(chunks)
    calls = [e for e in events if isinstance(e, ToolCall)]
    assert [c.arguments for c in calls] == [{"path": "a"}, {"path": "b"}]
    assert calls[0].id == "x1"


def test_tool_xml_left_in_content_is_parsed_with_typed_arguments() -> None:
    content = (
        '<think>\nread it\n</think>\n\nReading.\n<minimax:tool_call>\n<invoke name="read_file">\n'
        '<parameter name="path">a.py</parameter>\n<parameter name="limit">5</parameter>\n'
        "</invoke>\n</minimax:tool_call>"
    )
    chunks = [chunk(content=content[i : i + 4]) for i in range(0, len(content), 4)]
    events, message = run([*chunks, chunk("stop")])
    (call,) = [e for e in events if isinstance(e, ToolCall)]
    assert call.arguments == {"path": "a.py", "limit": 5}
    assert "<" not in text(events, TextDelta)  # no partial tag leaks into the visible text
    assert message.provider_fields.get("tool_xml") is True
    assert "tool_calls" not in message.provider_fields
    assert message.raw == content


# -- faults and usage ---------------------------------------------------------------------------

BAD_CALL = {"choices": [{"delta": {"tool_calls": [{"index": 0, "function": "x"}]}}]}


def test_error_object_inside_the_stream_is_reported() -> None:
    with pytest.raises(StreamFailed, match="upstream overloaded"):
        TurnAssembler(TOOLS).feed({"error": {"message": "upstream overloaded", "code": 502}})


@pytest.mark.parametrize(
    "bad", [{"choices": "x"}, {"choices": [1]}, {"choices": [{"delta": []}]}, BAD_CALL]
)
def test_malformed_chunks_are_detected(bad: dict[str, Any]) -> None:
    with pytest.raises(MalformedChunk):
        TurnAssembler(TOOLS).feed(bad)


def test_usage_reads_cached_tokens_and_cost() -> None:
    usage = usage_event(
        {
            "prompt_tokens": 1000,
            "completion_tokens": 50,
            "prompt_tokens_details": {"cached_tokens": 800},
            "completion_tokens_details": {"reasoning_tokens": 30},
            "cost": 0.0021,
        }
    )
    assert (usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens) == (1000, 50, 800)
    assert usage.cost == pytest.approx(0.0021)
    assert usage.extra == {"reasoning_tokens": 30}
    assert usage_event({"prompt_tokens": 3}).cost is None
