"""The parser never loses a byte: values that hold the format's own tags, prose that names
them, the ends of streams, typed values that are not JSON, and layout around values."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minimax_agent.dialect.m2.parser import StreamParser, parse_complete
from minimax_agent.events import Event, ReasoningDelta, TextDelta, ToolCall
from minimax_agent.messages import ToolSpec


def spec(name: str, properties: dict[str, Any], required: list[str] | None = None) -> ToolSpec:
    return ToolSpec(
        name=name,
        description=name,
        parameters={"type": "object", "properties": properties, "required": required or []},
    )


WRITE = spec("write_file", {"path": {"type": "string"}, "content": {"type": "string"}})
TYPED = spec(
    "typed",
    {
        "n": {"type": "number"},
        "i": {"type": "integer"},
        "b": {"type": "boolean"},
        "xs": {"type": "array"},
        "s_or_n": {"type": ["string", "number"]},
        "s_or_i": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        "s_or_null": {"type": ["string", "null"]},
        "s_or_b": {"type": ["string", "boolean"]},
        "s_or_xs": {"type": ["string", "array"]},
    },
)
TOOLS = [WRITE, TYPED]


def call_text(name: str, *params: tuple[str, str], head: str = "") -> str:
    body = "".join(f'<parameter name="{k}">{v}</parameter>\n' for k, v in params)
    return f'<invoke name="{name}"{head}>\n{body}</invoke>\n'


def block(*invokes: str) -> str:
    return "<minimax:tool_call>\n" + "".join(invokes) + "</minimax:tool_call>"


def calls(events: list[Event]) -> list[ToolCall]:
    return [e for e in events if isinstance(e, ToolCall)]


def joined(events: list[Event], kind: type) -> str:
    return "".join(e.text for e in events if isinstance(e, kind))


def streamed(raw: str, step: int, tools: list[ToolSpec] = TOOLS, **kw: Any) -> list[Event]:
    parser = StreamParser(tools, **kw)
    events: list[Event] = []
    for i in range(0, len(raw), step):
        events += parser.feed(raw[i : i + step])
    return events + parser.finish()


def only_call(raw: str, tools: list[ToolSpec] = TOOLS) -> ToolCall:
    """The one call in `raw`, the same whole, in 1-char and in 5-char chunks."""
    events, _ = parse_complete(raw, tools)
    (call,) = calls(events)
    for step in (1, 5):
        (again,) = calls(streamed(raw, step, tools))
        assert (again.name, again.arguments, again.error) == (call.name, call.arguments, call.error)
    return call


# -- values holding the format's tags -------------------------------------------------------------

NESTED_BLOCK = block(
    call_text("read_file", ("path", "a.py"), ("limit", "3")),
    call_text("read_file", ("path", "b.py")),
)

VALUES = {
    "a closing parameter tag in a string": 'X = "</parameter>"\nY = 2',
    "a closing invoke tag after a value's own close": "a</parameter>\n</invoke>!",
    "a whole tool call block": NESTED_BLOCK,
    "a whole block then more text": NESTED_BLOCK + "\nand that is the format.",
    "a bare invoke": call_text("read_file", ("path", "a.py")).rstrip(),
    "a bare invoke then prose": call_text("read_file", ("path", "a.py")) + "is one call.",
    "every tag in prose": "<think></think><minimax:tool_call> </minimax:tool_call> </invoke> x",
    "an unclosed invoke head in prose": 'write <invoke name="x"> to start a call',
}


@pytest.mark.parametrize("value", VALUES.values(), ids=VALUES.keys())
def test_a_value_holding_tags_survives_whole(value: str) -> None:
    raw = "r</think>\n" + block(call_text("write_file", ("path", "t.md"), ("content", value)))
    raw += "\nDone."
    events, message = parse_complete(raw, TOOLS)
    call = only_call(raw)
    assert call.error is None
    assert call.arguments == {"path": "t.md", "content": value}
    assert message.content == "Done."  # nothing of the value leaked into the visible text
    assert joined(events, TextDelta) == "\n\nDone."


def test_two_values_holding_blocks_in_one_invoke_and_a_second_invoke() -> None:
    raw = block(
        call_text("write_file", ("path", NESTED_BLOCK), ("content", NESTED_BLOCK)),
        call_text("write_file", ("path", "p"), ("content", "</parameter>")),
    )
    events, _ = parse_complete("r</think>" + raw, TOOLS)
    assert [c.arguments for c in calls(events)] == [
        {"path": NESTED_BLOCK, "content": NESTED_BLOCK},
        {"path": "p", "content": "</parameter>"},
    ]
    assert joined(events, TextDelta) == ""


# Values made of plain text, tags quoted in prose, and whole nested blocks (any depth).
_plain = st.text(st.characters(blacklist_characters="<", blacklist_categories=("Cs",)))
_lone = st.sampled_from(
    [
        "</parameter>",
        "</invoke>",
        "<minimax:tool_call>",
        "</minimax:tool_call>",
        '<parameter name="k">',
        "<think>",
        "</think>",
        "</parameter>\n</invoke>",
    ]
).map(lambda tag: f'"{tag}"')


def _nested(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    param = st.tuples(st.sampled_from(["a", "b", "c"]), inner)
    invoke = st.lists(param, min_size=1, max_size=2, unique_by=lambda p: p[0]).map(
        lambda ps: call_text("f", *ps)
    )
    return st.lists(invoke, min_size=1, max_size=2).map(lambda vs: block(*vs))


_value = st.recursive(
    st.lists(st.one_of(_plain, _lone), max_size=4).map("".join),
    lambda inner: st.lists(st.one_of(_plain, _lone, _nested(inner)), max_size=3).map("".join),
    max_leaves=8,
).map(lambda v: f"[{v}]")  # brackets: a newline at either end would be layout


@settings(max_examples=300, deadline=None)
@given(
    first=_value,
    second=_value,
    tail=st.sampled_from(["", "\n", "\nDone.", "\n<minimax:tool_call>"]),
    cuts=st.lists(st.integers(min_value=0), max_size=8),
)
def test_values_survive_at_any_nesting_and_any_chunking(
    first: str, second: str, tail: str, cuts: list[int]
) -> None:
    raw = "r</think>" + block(
        call_text("write_file", ("path", first), ("content", second)),
        call_text("write_file", ("path", second)),
    )
    raw += tail
    parser = StreamParser(TOOLS)
    events: list[Event] = []
    last = 0
    for cut in sorted(c % (len(raw) + 1) for c in cuts):
        events += parser.feed(raw[last:cut])
        last = cut
    events += parser.feed(raw[last:]) + parser.finish()
    assert [c.arguments for c in calls(events)] == [
        {"path": first, "content": second},
        {"path": second},
    ]
    assert joined(events, TextDelta) == tail
    assert parser.raw == raw


# -- attributes, layout, duplicates ---------------------------------------------------------------


@pytest.mark.parametrize(
    "head,param_head",
    [
        ('<invoke name="write_file" id="1">', '<parameter name="path" type="string">'),
        ("<invoke id='7' name='write_file'>", "<parameter type=string name=path>"),
        ('<invoke  name = "write_file"\n>', '<parameter\nname="path"  >'),
    ],
)
def test_extra_attributes_keep_the_names(head: str, param_head: str) -> None:
    raw = "r</think>" + block(head + "\n" + param_head + "a.txt</parameter>\n</invoke>\n")
    call = only_call(raw)
    assert (call.name, call.arguments, call.error) == ("write_file", {"path": "a.txt"}, None)


@pytest.mark.parametrize(
    "value,expected",
    [
        ("\r\na.txt\r\n", "a.txt"),
        ("\na.txt\n", "a.txt"),
        ("\n\na.txt\n\n", "\na.txt\n"),  # only one line break each side is layout
        ("a\r\nb", "a\r\nb"),
    ],
)
def test_one_line_break_each_side_is_layout_crlf_too(value: str, expected: str) -> None:
    call = only_call("r</think>" + block(call_text("write_file", ("path", value))))
    assert call.arguments == {"path": expected}


def test_a_duplicate_parameter_is_a_call_error_not_last_wins() -> None:
    raw = "r</think>" + block(call_text("write_file", ("path", "a"), ("path", "b")))
    call = only_call(raw)
    assert call.error is not None and "'path' is given twice" in call.error


# -- typed values -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key,value,expected",
    [
        # where a string is allowed, only the exact tojson form converts
        ("s_or_null", "None", "None"),
        ("s_or_null", "null", None),
        ("s_or_i", "007", "007"),
        ("s_or_i", "7", 7),
        ("s_or_i", " 7", " 7"),
        ("s_or_b", "True", "True"),
        ("s_or_b", "true", True),
        ("s_or_n", "nan", "nan"),
        ("s_or_n", "inf", "inf"),
        ("s_or_n", "1e999", "1e999"),
        ("s_or_n", "2.5", 2.5),
        ("s_or_i", "9" * 5000, "9" * 5000),  # past Python's int digit limit: text, no crash
        ("s_or_xs", '["a", 1]', ["a", 1]),
        ("s_or_xs", '["a",1]', '["a",1]'),  # tojson writes ", ": this is text
        ("s_or_xs", "[" * 100_000, "[" * 100_000),  # too deep for json: text
        # where no string is allowed, Python's spellings are read
        ("b", "True", True),
        ("i", "007", 7),
        ("xs", "('a', 'b')", ["a", "b"]),
    ],
)
def test_typed_values(key: str, value: str, expected: Any) -> None:
    call = only_call("r</think>" + block(call_text("typed", (key, value))))
    assert call.error is None
    assert call.arguments == {key: expected}
    json.dumps(call.arguments, allow_nan=False)  # always valid JSON


@pytest.mark.parametrize(
    "key,value,fragment",
    [
        ("n", "nan", "expected a number, got 'nan'"),
        ("n", "inf", "expected a number, got 'inf'"),
        ("n", "1e999", "'1e999' is too large for a JSON number"),
        ("n", "9" * 5000, "too large for a JSON number"),
        ("i", "9" * 5000, "past the"),
        ("i", "1.5", "expected an integer, got '1.5'"),
        ("b", "yes", "expected true or false, got 'yes'"),
        ("xs", "[" * 100_000, "nested more than 100 levels"),
        ("xs", "[" * 150 + "]" * 150, "nested more than 100 levels"),
        ("xs", "{1, 2}", "a Python set has no JSON form"),
        ("xs", "[1e999]", "too large for a JSON number"),
        ("xs", '{"a": 1}', "expected a JSON array, got a JSON object"),
    ],
)
def test_values_that_are_not_json_are_call_errors(key: str, value: str, fragment: str) -> None:
    call = only_call("r</think>" + block(call_text("typed", (key, value))))
    assert call.error is not None and fragment in call.error
    json.dumps(call.arguments, allow_nan=False)


# -- prose, block ends, stream ends -----------------------------------------------------------


def test_the_block_tag_named_in_prose_is_text() -> None:
    prose = "Use the <minimax:tool_call> wrapper, then </minimax:tool_call> to end it."
    raw = "r</think>\n\n" + prose + "\n" + block(call_text("write_file", ("path", "x")))
    raw += "\nDone."
    events, message = parse_complete(raw, TOOLS)
    assert [c.arguments for c in calls(events)] == [{"path": "x"}]
    assert message.content == prose + "\n\nDone."
    for step in (1, 3):
        again = streamed(raw, step)
        assert joined(again, TextDelta) == joined(events, TextDelta)


def test_an_empty_block_is_consumed() -> None:
    events, message = parse_complete("r</think>A<minimax:tool_call>\n</minimax:tool_call>B")
    assert message.content == "AB" and not calls(events)


@pytest.mark.parametrize(
    "after,content",
    [
        ("\nSome text", "Some text"),
        ("\nSome text\n</minimax:tool_call>\nMore", "Some text\n\nMore"),
        ("\n</minimax:tool_call>", ""),
        ("\n", ""),
    ],
)
def test_text_after_a_complete_invoke_in_an_unclosed_block(after: str, content: str) -> None:
    raw = "r</think>" + "<minimax:tool_call>\n" + call_text("write_file", ("path", "a")).rstrip()
    raw += after
    events, message = parse_complete(raw, TOOLS)
    (call,) = calls(events)
    assert (call.name, call.arguments, call.error) == ("write_file", {"path": "a"}, None)
    assert message.content == content
    for step in (1, 4):
        assert joined(streamed(raw, step), TextDelta) == joined(events, TextDelta)


@pytest.mark.parametrize(
    "cut", ['<invoke name="write_fi', '<invoke name="write_file">\n<parameter name="pa']
)
def test_a_call_cut_by_the_end_of_the_stream_is_an_error_and_shows_no_markup(cut: str) -> None:
    raw = "r</think>Writing.\n<minimax:tool_call>\n" + cut
    for step in (1, len(raw)):
        events = streamed(raw, step)
        (call,) = calls(events)
        assert call.error is not None and "ended inside" in call.error
        assert joined(events, TextDelta) == "Writing.\n"


# -- reasoning --------------------------------------------------------------------------------


def test_a_stray_think_after_the_prompts_own_is_not_reasoning() -> None:
    raw = "<think>\nweigh it\n</think>\n\nAnswer."
    for step in (1, 2, len(raw)):
        events = streamed(raw, step)
        assert joined(events, ReasoningDelta) == "\nweigh it\n"
        assert joined(events, TextDelta) == "\n\nAnswer."
    _, message = parse_complete("\n<think>x</think>y")
    assert (message.reasoning, message.content) == ("x", "y")
    _, message = parse_complete("a<think>b</think>c")  # not leading: the reasoning's own text
    assert message.reasoning == "a<think>b"


@pytest.mark.parametrize(
    "raw,reasoning,content",
    [
        ("R\n</think>\n\nText", "R", "Text"),  # a server without a reasoning parser
        ("<think>\nR\n</think>\n\nText", "R", "Text"),
        ("Just text.", "", "Just text."),
        ("Hi <think>x</think> y", "", "Hi <think>x</think> y"),  # a <think> before it: text
        ("</think>Text", "", "Text"),
    ],
)
def test_a_think_close_without_an_open_makes_what_came_before_reasoning(
    raw: str, reasoning: str, content: str
) -> None:
    for step in (1, 3, len(raw)):
        parser = StreamParser(TOOLS, in_reasoning=False)
        for i in range(0, len(raw), step):
            parser.feed(raw[i : i + step])
        parser.finish()
        message = parser.message()
        assert (message.reasoning, message.content) == (reasoning, content)


def test_undecided_content_is_shown_once_the_reasoning_comes_in_a_field() -> None:
    parser = StreamParser(TOOLS, in_reasoning=False)
    assert parser.feed("The answer") == []  # could still turn out to be reasoning
    assert parser.reasoning_elsewhere() == [TextDelta("The answer")]
    assert joined(parser.feed(" </think> is a tag."), TextDelta) == " </think> is a tag."


def test_a_tool_call_decides_that_the_text_before_it_was_visible() -> None:
    raw = "Reading.\n" + block(call_text("write_file", ("path", "a"))) + "\nR</think>"
    events, message = parse_complete(raw, TOOLS, in_reasoning=False)
    assert message.content == "Reading.\n\nR</think>" and message.reasoning == ""
    assert len(calls(events)) == 1


# -- size -------------------------------------------------------------------------------------


def test_a_large_value_full_of_angle_brackets_streams_whole() -> None:
    unit = "if (a->b >= c && x >> 2 > y) { v.push(w->z); } // vector<int> a<b </div>\n"
    value = unit * 3000 + "// end"  # ~220 KB
    raw = "r</think>" + block(call_text("write_file", ("path", "big.c"), ("content", value)))
    events = streamed(raw, 7)
    assert [c.arguments for c in calls(events)] == [{"path": "big.c", "content": value}]
