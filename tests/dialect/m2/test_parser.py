"""The M2 output parser: a table of cases, streaming equivalence, and malformed output."""

from __future__ import annotations

from typing import Any

import pytest

from minimax_agent.dialect.m2.parser import StreamParser, parse_complete
from minimax_agent.events import Event, ReasoningDelta, TextDelta, ToolCall
from minimax_agent.messages import ToolSpec


def spec(name: str, properties: dict[str, Any], required: list[str] | None = None) -> ToolSpec:
    return ToolSpec(
        name=name,
        description=name,
        parameters={"type": "object", "properties": properties, "required": required or []},
    )


TOOLS = [
    spec("read_file", {"path": {"type": "string"}, "limit": {"type": "integer"}}, ["path"]),
    spec(
        "configure",
        {
            "ratio": {"type": "number"},
            "enabled": {"type": "boolean"},
            "label": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "options": {"type": "object"},
            "items": {"type": "array", "items": {"type": "string"}},
            "mode": {"enum": ["fast", "slow"]},
            "count": {"oneOf": [{"type": "integer"}, {"type": "null"}]},
        },
    ),
    spec(
        "write_file",
        {"path": {"type": "string"}, "content": {"type": "string"}},
        ["path", "content"],
    ),
]


def block(*invokes: str) -> str:
    return "<minimax:tool_call>\n" + "".join(invokes) + "</minimax:tool_call>"


def invoke(name: str, quote: str = '"', **params: str) -> str:
    body = "".join(f'<parameter name="{k}">{v}</parameter>\n' for k, v in params.items())
    return f"<invoke name={quote}{name}{quote}>\n{body}</invoke>\n"


def calls(events: list[Event]) -> list[ToolCall]:
    return [e for e in events if isinstance(e, ToolCall)]


def joined(events: list[Event], kind: type) -> str:
    return "".join(e.text for e in events if isinstance(e, kind))


CASES: list[tuple[str, str, list[tuple[str, dict[str, Any]]], str, str]] = [
    # (id, raw output, expected calls, reasoning, content)
    ("plain answer", "thinking\n</think>\n\nThe answer.", [], "thinking", "The answer."),
    (
        "one invoke",
        "r</think>\n\n" + block(invoke("read_file", path="a.py")),
        [("read_file", {"path": "a.py"})],
        "r",
        "",
    ),
    (
        "several invokes",
        "r</think>"
        + block(invoke("read_file", path="a.py"), invoke("read_file", path="b.py", limit="3")),
        [("read_file", {"path": "a.py"}), ("read_file", {"path": "b.py", "limit": 3})],
        "r",
        "",
    ),
    (
        "text before and after",
        "r</think>\n\nLet me look.\n" + block(invoke("read_file", path="x")) + "\nDone looking.",
        [("read_file", {"path": "x"})],
        "r",
        "Let me look.\n\nDone looking.",
    ),
    (
        "single quotes",
        "r</think>" + block(invoke("read_file", quote="'", path="q.py")),
        [("read_file", {"path": "q.py"})],
        "r",
        "",
    ),
    (
        "newlines around values",
        "r</think>" + block(invoke("write_file", path="\nf.txt\n", content="\nline1\nline2\n\n")),
        [("write_file", {"path": "f.txt", "content": "line1\nline2\n"})],
        "r",
        "",
    ),
    (
        "typed values",
        "r</think>"
        + block(
            invoke(
                "configure",
                ratio="0.5",
                enabled="True",
                options='{"a": [1, 2], "b": {"c": null}}',
                items='["x", "y"]',
                mode="fast",
                count="7",
            )
        ),
        [
            (
                "configure",
                {
                    "ratio": 0.5,
                    "enabled": True,
                    "options": {"a": [1, 2], "b": {"c": None}},
                    "items": ["x", "y"],
                    "mode": "fast",
                    "count": 7,
                },
            )
        ],
        "r",
        "",
    ),
    (
        "nullable values",
        "r</think>" + block(invoke("configure", label="keep me", count="null")),
        [("configure", {"label": "keep me", "count": None})],
        "r",
        "",
    ),
    (
        "null for nullable string",
        "r</think>" + block(invoke("configure", label="null")),
        [("configure", {"label": None})],
        "r",
        "",
    ),
    (
        "python literal for array",
        "r</think>" + block(invoke("configure", items="['a', 'b']")),
        [("configure", {"items": ["a", "b"]})],
        "r",
        "",
    ),
    (
        "parameter not in schema stays a string",
        "r</think>" + block(invoke("read_file", path="a", extra="12")),
        [("read_file", {"path": "a", "extra": "12"})],
        "r",
        "",
    ),
    (
        "closing tag inside a value",
        "r</think>" + block(invoke("write_file", path="doc.md", content="end with </invoke> here")),
        [("write_file", {"path": "doc.md", "content": "end with </invoke> here"})],
        "r",
        "",
    ),
    ("no reasoning close", "still thinking", [], "still thinking", ""),
]


@pytest.mark.parametrize(
    "raw,expected,reasoning,content", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_parse_table(
    raw: str, expected: list[tuple[str, dict[str, Any]]], reasoning: str, content: str
) -> None:
    events, message = parse_complete(raw, TOOLS)
    got = calls(events)
    assert [(c.name, c.arguments) for c in got] == expected
    assert all(c.error is None for c in got)
    assert message.reasoning == reasoning
    assert message.content == content
    assert message.raw == raw
    assert [(c.name, c.arguments) for c in message.tool_calls] == expected


@pytest.mark.parametrize("raw", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_streaming_split_at_every_position_matches_one_shot(raw: str) -> None:
    whole_events, whole = parse_complete(raw, TOOLS)
    for cut in range(len(raw) + 1):
        parser = StreamParser(TOOLS)
        events = parser.feed(raw[:cut]) + parser.feed(raw[cut:]) + parser.finish()
        message = parser.message()
        assert joined(events, ReasoningDelta) == joined(whole_events, ReasoningDelta)
        assert joined(events, TextDelta) == joined(whole_events, TextDelta)
        assert [(c.name, c.arguments, c.error) for c in calls(events)] == [
            (c.name, c.arguments, c.error) for c in calls(whole_events)
        ]
        assert (message.content, message.reasoning, message.raw) == (
            whole.content,
            whole.reasoning,
            whole.raw,
        )


def test_character_by_character_never_leaks_partial_tags() -> None:
    raw = "plan</think>\n\nI will read.\n" + block(invoke("read_file", path="a.py"))
    parser = StreamParser(TOOLS)
    events: list[Event] = []
    for ch in raw:
        events += parser.feed(ch)
    events += parser.finish()
    for event in events:
        if isinstance(event, TextDelta | ReasoningDelta):
            assert "<" not in event.text
    assert joined(events, TextDelta) == "\n\nI will read.\n"


def test_tool_call_is_emitted_as_soon_as_its_end_is_certain() -> None:
    # A value may hold `</invoke>` and even a whole block, so the end is certain only once
    # what follows shows it: text after the block close, the next invoke, or the end.
    parser = StreamParser(TOOLS)
    first = parser.feed(
        'r</think><minimax:tool_call>\n<invoke name="read_file">\n<parameter name="path">a'
    )
    assert calls(first) == []
    assert calls(parser.feed("</parameter>\n</invoke>")) == []
    assert calls(parser.feed("\n</minimax:tool_call>")) == []
    third = parser.feed("\nDone.")
    assert [c.arguments for c in calls(third)] == [{"path": "a"}]
    assert joined(third, TextDelta) == "\nDone."

    parser = StreamParser(TOOLS)
    parser.feed('r</think><minimax:tool_call>\n<invoke name="read_file">\n')
    parser.feed('<parameter name="path">a</parameter>\n</invoke>\n')
    second = parser.feed('<invoke name="read_file">')  # the next invoke decides at once
    assert [c.arguments for c in calls(second)] == [{"path": "a"}]


def test_unclosed_block_becomes_a_tool_error() -> None:
    raw = 'r</think><minimax:tool_call>\n<invoke name="read_file">\n<parameter name="path">a.py'
    events, message = parse_complete(raw, TOOLS)
    (call,) = calls(events)
    assert call.name == "read_file"
    assert call.error is not None and "ended inside" in call.error
    assert message.raw == raw


def test_complete_invokes_without_block_close_are_accepted() -> None:
    events, _ = parse_complete(
        'r</think><minimax:tool_call>\n<invoke name="read_file"><parameter name="path">a</parameter></invoke>\n',
        TOOLS,
    )
    (call,) = calls(events)
    assert call.error is None and call.arguments == {"path": "a"}


@pytest.mark.parametrize(
    "invoke_text,fragment",
    [
        (invoke("delete_everything", path="/"), "unknown tool 'delete_everything'"),
        (invoke("configure", options="{not json"), "expected a JSON object, got invalid JSON"),
        (invoke("read_file", limit="3"), "missing required parameter(s): path"),
        ('<invoke>\n<parameter name="path">a</parameter>\n</invoke>', 'needs name="TOOL"'),
    ],
)
def test_malformed_calls_become_tool_errors(invoke_text: str, fragment: str) -> None:
    events, message = parse_complete("r</think>" + block(invoke_text), TOOLS)
    (call,) = calls(events)
    assert call.error is not None and fragment in call.error
    assert len(message.tool_calls) == 1  # kept in history so the error result can answer it


def test_remote_content_with_inline_think() -> None:
    raw = "<think>\nreason here\n</think>\n\nanswer"
    _, message = parse_complete(raw, TOOLS, in_reasoning=False)
    assert message.reasoning == "reason here"
    assert message.content == "answer"
    _, message = parse_complete("just an answer", TOOLS, in_reasoning=False)
    assert message.reasoning == "" and message.content == "just an answer"


def test_unknown_tools_are_allowed_when_no_tools_are_declared() -> None:
    events, _ = parse_complete("r</think>" + block(invoke("anything", x="1")))
    (call,) = calls(events)
    assert call.error is None and call.arguments == {"x": "1"}
