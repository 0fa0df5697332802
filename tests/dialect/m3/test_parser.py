"""The M3 parser, as one table of cases in our own form.

The facts come from the peers' M3 tests: llama.cpp (`tests/test-chat.cpp`, its MiniMax-M3
block, and `common/parsers/minimax-m3.cpp`), and what vLLM's and SGLang's M3 tool-parser tests
cover (single call, several invokes, nested objects, lists as `<item>`s, strings raw with
markup inside, numbers and booleans typed from the schema, markup in prose, a block cut off at
the end of the stream). Every case runs whole, one character at a time, and split at every
position into two chunks: the events must not depend on how the text arrived.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from minimax_agent.dialect import dialect_for, dialect_name, dialect_named
from minimax_agent.dialect.m3.parser import Start, StreamParser
from minimax_agent.dialect.m3.tags import NS
from minimax_agent.events import Event, ReasoningDelta, TextDelta, ToolCall
from minimax_agent.messages import ToolSpec


def tool(tool_name: str, required: tuple[str, ...] = (), **props: dict[str, Any]) -> ToolSpec:
    schema = {"type": "object", "properties": props, "required": list(required)}
    return ToolSpec(name=tool_name, description=tool_name, parameters=schema)


STR = {"type": "string"}
GET_TIME = tool("get_time", ("city",), city=STR)
GET_WEATHER = tool("get_weather", ("city",), city=STR, unit={"enum": ["c", "f"]})
SPECIAL = tool("special_function", ("arg1",), arg1={"type": "integer"})
EMPTY = tool("empty_args")
MAGIC = tool("magic_int", ("ref",), ref={"type": "integer"}, name=STR)
AMOUNT = tool("amount", orig={"type": "number"})
TOGGLE = tool("toggle", enabled={"type": "boolean"})
COMPLEX = tool(
    "imaginary_number",
    number={
        "type": "object",
        "properties": {"real": {"type": "number"}, "imaginary": {"type": "number"}},
    },
)
NESTED = tool(
    "nested_args",
    tags={"type": "array", "items": STR},
    entries={
        "type": "array",
        "items": {"type": "object", "properties": {"id": {"type": "integer"}, "label": STR}},
    },
    matrix={"type": "array", "items": {"type": "array", "items": {"type": "integer"}}},
)
WRITE = tool("write_file", ("path", "content"), path=STR, content=STR)
MAYBE = tool("maybe", value={"type": ["integer", "string"]}, limit={"type": ["integer", "null"]})
FILES = tool("read_files", paths={"type": "array", "items": STR})
TOOLS = [GET_TIME, GET_WEATHER, SPECIAL, EMPTY, MAGIC, AMOUNT, TOGGLE, COMPLEX, NESTED, WRITE]
TOOLS += [MAYBE, FILES]


def el(name: str, inner: str) -> str:
    return f"{NS}<{name}>{inner}{NS}</{name}>"


def invoke(name: str, *args: str) -> str:
    return f'{NS}<invoke name="{name}">' + "".join(args) + f"{NS}</invoke>\n"


def block(*invokes: str) -> str:
    return f"{NS}<tool_call>\n" + "".join(invokes) + f"{NS}</tool_call>"


@dataclass
class Case:
    id: str
    output: str  # the model's output after the generation prompt
    reasoning: str = ""
    text: str = ""
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # a piece of each call's error, in order
    start: Start = "undecided"  # llama.cpp's cases: the prompt ends at "]~b]ai\n"


CASES = [
    Case(
        "content after a bare close",
        "</mm:think>Hello, world!\nWhat's up?",
        text="Hello, world!\nWhat's up?",
    ),
    Case(
        "thinking then content",
        "<mm:think>I'm\nthinking</mm:think>Hello, world!\nWhat's up?",
        reasoning="I'm\nthinking",
        text="Hello, world!\nWhat's up?",
    ),
    Case(
        "thinking then one call",
        "<mm:think>Let me check the time</mm:think>"
        + block(invoke("get_time", el("city", "Tokyo"))),
        reasoning="Let me check the time",
        calls=[("get_time", {"city": "Tokyo"})],
    ),
    Case(
        "a call without reasoning, an integer",
        "</mm:think>" + block(invoke("special_function", el("arg1", "1"))),
        calls=[("special_function", {"arg1": 1})],
    ),
    Case(
        "a call without arguments",
        "<mm:think>Let's call a tool:</mm:think>" + block(invoke("empty_args")),
        reasoning="Let's call a tool:",
        calls=[("empty_args", {})],
    ),
    Case(
        "several invokes in one block",
        "<mm:think>Calling both</mm:think>"
        + block(
            invoke("get_time", el("city", "Paris")), invoke("get_weather", el("city", "Paris"))
        ),
        reasoning="Calling both",
        calls=[("get_time", {"city": "Paris"}), ("get_weather", {"city": "Paris"})],
    ),
    Case(
        "text before the block",
        "<mm:think>Thinking about it</mm:think>Let me call the function."
        + block(invoke("special_function", el("arg1", "1"))),
        reasoning="Thinking about it",
        text="Let me call the function.",
        calls=[("special_function", {"arg1": 1})],
    ),
    Case(
        "negative, decimal, boolean, mixed",
        "</mm:think>"
        + block(
            invoke("magic_int", el("ref", "-14")),
            invoke("amount", el("orig", "3.14")),
            invoke("toggle", el("enabled", "true")),
            invoke("magic_int", el("ref", "42"), el("name", "foo bar")),
        ),
        calls=[
            ("magic_int", {"ref": -14}),
            ("amount", {"orig": 3.14}),
            ("toggle", {"enabled": True}),
            ("magic_int", {"ref": 42, "name": "foo bar"}),
        ],
    ),
    Case(
        "a nested object, one element per key",
        "</mm:think>"
        + block(
            invoke("imaginary_number", el("number", el("real", "1.5") + el("imaginary", "-2.5")))
        ),
        calls=[("imaginary_number", {"number": {"real": 1.5, "imaginary": -2.5}})],
    ),
    Case(
        "lists as items: of strings, of objects, of lists",
        "</mm:think>"
        + block(
            invoke(
                "nested_args",
                el("tags", el("item", "alpha") + el("item", "beta")),
                el(
                    "entries",
                    el("item", el("id", "1") + el("label", "x")) + el("item", el("id", "2")),
                ),
                el("matrix", el("item", el("item", "1") + el("item", "2")) + el("item", "")),
            )
        ),
        calls=[
            (
                "nested_args",
                {
                    "tags": ["alpha", "beta"],
                    "entries": [{"id": 1, "label": "x"}, {"id": 2}],
                    "matrix": [[1, 2], []],
                },
            )
        ],
    ),
    Case(
        "repeated sibling tags are a list",
        "</mm:think>" + block(invoke("read_files", el("paths", "a.py"), el("paths", "b.py"))),
        calls=[("read_files", {"paths": ["a.py", "b.py"]})],
    ),
    Case(
        "strings are raw: markup, blanks, a whole M2 call, think tags",
        "</mm:think>"
        + block(
            invoke(
                "write_file",
                el("path", " a b.html\n"),
                el(
                    "content",
                    '<html><tool_call><invoke name="x"></invoke></html>\n'
                    "<minimax:tool_call>\n<mm:think>x</mm:think>\n  ",
                ),
            )
        ),
        calls=[
            (
                "write_file",
                {
                    "path": " a b.html\n",
                    "content": '<html><tool_call><invoke name="x"></invoke></html>\n'
                    "<minimax:tool_call>\n<mm:think>x</mm:think>\n  ",
                },
            )
        ],
    ),
    Case(
        "a union with a string is a string; a number where only numbers go",
        "</mm:think>" + block(invoke("maybe", el("value", "007"), el("limit", " 5 "))),
        calls=[("maybe", {"value": "007", "limit": 5})],
    ),
    Case(
        "tags without the prefix are prose",
        '</mm:think>Use <tool_call> and <invoke name="f"> then ]<]minimax and ]<]minimax[>[x.',
        text='Use <tool_call> and <invoke name="f"> then ]<]minimax and ]<]minimax[>[x.',
    ),
    Case(
        "a block open before no invoke is prose",
        "</mm:think>Write " + NS + "<tool_call> first, then stop.",
        text="Write " + NS + "<tool_call> first, then stop.",
    ),
    Case(
        "a call written in the reasoning is reasoning",
        "<mm:think>maybe " + block(invoke("get_time", el("city", "x"))) + "</mm:think>ok",
        reasoning="maybe " + block(invoke("get_time", el("city", "x"))),
        text="ok",
    ),
    Case(
        "text after the block is text",
        "</mm:think>" + block(invoke("get_time", el("city", "Oslo"))) + "\nDone.",
        text="\nDone.",
        calls=[("get_time", {"city": "Oslo"})],
    ),
    Case(
        "output that starts inside the reasoning (thinking enabled)",
        "plan <mm:think> is a word here\n</mm:think>Answer.",
        reasoning="plan <mm:think> is a word here\n",
        text="Answer.",
        start="reasoning",
    ),
    Case(
        "output after a disabled-thinking prompt is text",
        "No reasoning </mm:think> at all.",
        text="No reasoning </mm:think> at all.",
        start="text",
    ),
    Case(
        "undecided output that never says is text",
        "Just an answer.",
        text="Just an answer.",
    ),
    # Malformed output: a tool error for the model, never a crash, nothing dropped.
    Case(
        "unclosed block at the end of the stream",
        "</mm:think>" + f'{NS}<tool_call>\n{NS}<invoke name="get_time">' + el("city", "Rome"),
        calls=[("get_time", {"city": "Rome"})],
        errors=["ended inside the call to 'get_time'"],
    ),
    Case(
        "a value cut off at the end of the stream",
        "</mm:think>" + f'{NS}<tool_call>\n{NS}<invoke name="write_file">{NS}<content>abc',
        calls=[("write_file", {})],
        errors=["ended inside"],
    ),
    Case(
        "an invoke that never closes before the next",
        "</mm:think>"
        + block(
            f'{NS}<invoke name="get_time">' + el("city", "A"), invoke("get_time", el("city", "B"))
        ),
        calls=[("get_time", {"city": "A"}), ("get_time", {"city": "B"})],
        errors=["ended inside", ""],
    ),
    Case(
        "unknown tool, bad integer, mismatched close, text outside arguments",
        "</mm:think>"
        + block(
            invoke("rm_rf", el("path", "/")),
            invoke("special_function", el("arg1", "one")),
            invoke("get_time", f"{NS}<city>X{NS}</town>{NS}</city>"),
            invoke("get_time", "stray", el("city", "Y")),
        ),
        calls=[
            ("rm_rf", {"path": "/"}),
            ("special_function", {"arg1": "one"}),
            ("get_time", {"city": "X"}),
            ("get_time", {"city": "Y"}),
        ],
        errors=[
            "unknown tool 'rm_rf'",
            "expected an integer",
            "</town> closes nothing",
            "outside any",
        ],
    ),
    Case(
        "an element holding elements where a number goes",
        "</mm:think>" + block(invoke("special_function", el("arg1", el("item", "1")))),
        calls=[("special_function", {"arg1": ["1"]})],
        errors=["allows no list or object"],
    ),
]


def run(case: Case, chunks: list[str]) -> tuple[list[Event], StreamParser]:
    parser = StreamParser(TOOLS, start=case.start)
    events = [e for chunk in chunks for e in parser.feed(chunk)]
    return events + parser.finish(), parser


def summary(events: list[Event]) -> tuple[str, str, list[tuple[str, dict[str, Any], str | None]]]:
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    calls = [(e.name, e.arguments, e.error) for e in events if isinstance(e, ToolCall)]
    return reasoning, text, calls


def check(case: Case, chunks: list[str]) -> None:
    events, parser = run(case, chunks)
    reasoning, text, calls = summary(events)
    assert reasoning == case.reasoning
    assert text == case.text
    assert [(n, a) for n, a, _ in calls] == case.calls
    errors = case.errors or [""] * len(case.calls)
    for (_, _, error), expected in zip(calls, errors, strict=True):
        if expected:
            assert error is not None and expected in error, error
        else:
            assert error is None
    assert parser.raw == case.output  # nothing lost
    message = parser.message()
    assert (message.reasoning, message.content) == (case.reasoning, case.text)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_whole(case: Case) -> None:
    check(case, [case.output])


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_one_character_at_a_time(case: Case) -> None:
    check(case, list(case.output))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_split_at_every_position(case: Case) -> None:
    for cut in range(1, len(case.output)):
        check(case, [case.output[:cut], case.output[cut:]])


def test_no_partial_tag_reaches_the_text() -> None:
    output = "</mm:think>Reading." + block(invoke("get_time", el("city", "x")))
    parser = StreamParser(TOOLS, start="undecided")
    for i, ch in enumerate(output):
        for event in parser.feed(ch):
            if isinstance(event, TextDelta):
                shown = "".join(parser._text)
                assert NS[:2] not in shown and "<mm" not in shown, (i, shown)
    assert parser.text == "Reading."


def test_the_hold_stays_bounded_on_a_stray_prefix() -> None:
    parser = StreamParser(TOOLS, start="text")
    parser.feed("a " + NS + "<" + "x" * 2000)
    assert len(parser._lexer.hold) == 0
    assert parser.finish() == [] and parser.text == "a " + NS + "<" + "x" * 2000


def test_without_tools_every_value_stays_text_and_any_name_goes() -> None:
    output = "</mm:think>" + block(invoke("anything", el("n", "7"), el("xs", el("item", "1"))))
    parser = StreamParser((), start="undecided")
    events = parser.feed(output) + parser.finish()
    calls = [e for e in events if isinstance(e, ToolCall)]
    assert [(c.name, c.arguments, c.error) for c in calls] == [
        ("anything", {"n": "7", "xs": ["1"]}, None)
    ]


def test_a_long_value_in_many_chunks() -> None:
    body = "line <b>bold</b> ] [ < >\n" * 4000
    output = "</mm:think>" + block(invoke("write_file", el("path", "a"), el("content", body)))
    parser = StreamParser(TOOLS, start="undecided")
    events = [e for i in range(0, len(output), 7) for e in parser.feed(output[i : i + 7])]
    events += parser.finish()
    (call,) = [e for e in events if isinstance(e, ToolCall)]
    assert call.arguments == {"path": "a", "content": body} and call.error is None


@pytest.mark.parametrize(
    ("architecture", "model_name"),
    [
        ("minimax-m3", None),
        ("minimax-m3", "MiniMax-M2.1"),  # the file's architecture decides
        (None, "MiniMax-M3"),
        (None, "minimax/minimax-m3.1-flash"),
        (None, "MiniMaxAI/MiniMax-M3-GGUF"),
    ],
)
def test_m3_is_picked_by_architecture_or_name(
    architecture: str | None, model_name: str | None
) -> None:
    assert dialect_name(architecture, model_name) == "m3"
    assert dialect_for(architecture, model_name) is dialect_named("m3")


def test_the_dialect_reads_its_thinking_mode() -> None:
    m3 = dialect_named("m3")
    output = "</mm:think>Hi." + block(invoke("get_time", el("city", "x")))
    assert m3.parse_complete("r" + output, TOOLS)[1].reasoning == "r"  # enabled: in the reasoning
    disabled = m3.with_thinking("disabled")  # type: ignore[attr-defined]
    assert disabled.generation_prompt.endswith("</mm:think>")
    assert disabled.parse_complete("Hi. </mm:think>", TOOLS)[1].content == "Hi. </mm:think>"
    adaptive = m3.with_thinking("adaptive")  # type: ignore[attr-defined]
    assert adaptive.generation_prompt == "]~b]ai\n"
    _, message = adaptive.parse_complete(output, TOOLS)
    assert (message.reasoning, message.content) == ("", "Hi.")
    assert [c.arguments for c in message.tool_calls] == [{"city": "x"}]
    with pytest.raises(ValueError):
        m3.with_thinking("sometimes")  # type: ignore[attr-defined]
