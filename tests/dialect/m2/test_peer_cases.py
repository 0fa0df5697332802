"""The MiniMax-M2 parser cases of the peers, as one table, in our own form.

Read for their facts from vLLM (`tests/tool_parsers/test_minimax_m2_tool_parser.py`), SGLang
(`test/registered/unit/function_call/test_minimax_m2_*.py`), SGLang's model gateway
(`sgl-model-gateway/tests/tool_parser/tool_parser_minimax_m2.rs`, and its reasoning parser's
tests) and llama.cpp (`tests/test-chat.cpp` and its MiniMax-M2 parser test). Each case runs
whole, one character at a time, and in the peer's own chunks where it had some.

Where a peer's answer contradicts the format (values are raw text typed by the schema, only an
exact `tojson` form converts, nothing the model wrote is dropped), a `# peer:` comment says what
it does and the case asserts the format's answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from minimax_agent.dialect.m2.parser import StreamParser
from minimax_agent.events import Event, ReasoningDelta, TextDelta, ToolCall
from minimax_agent.messages import ToolSpec


def tool(name: str, **props: dict[str, Any]) -> ToolSpec:
    return ToolSpec(name=name, description=name, parameters={"type": "object", "properties": props})


STR = {"type": "string"}
WEATHER = tool("get_weather", city=STR, units=STR, unit={"enum": ["celsius", "fahrenheit"]})
SEARCH = tool("search", query=STR)
SPECIAL = tool("special_function", arg1={"type": "integer"})
SPECIAL_OPT = tool("special_function_with_opt", arg1={"type": "integer"}, arg2={"type": "integer"})
CALC = tool(
    "calculate",
    value={"type": "number"},
    count={"type": "integer"},
    verbose={"type": "boolean"},
    tags={"type": "array"},
    meta={"type": "object"},
)
PROCESS = tool(
    "process",
    count={"type": "integer"},
    rate={"type": "number"},
    enabled={"type": "boolean"},
    data={"type": ["string", "null"]},
    text=STR,
)


def lookup(schema: dict[str, Any]) -> ToolSpec:
    return tool("lookup", value=schema)


@dataclass(frozen=True)
class Err:
    """An expected call error containing `fragment`."""

    fragment: str


@dataclass(frozen=True)
class Case:
    peer: str
    raw: str
    calls: list[tuple[str, dict[str, Any] | Err]]
    content: str = ""
    reasoning: str = ""
    tools: tuple[ToolSpec, ...] = ()
    in_reasoning: bool = False  # True: the prompt ended inside the reasoning
    chunks: tuple[str, ...] = field(default=())


def mm(*invokes: str) -> str:
    return "<minimax:tool_call>\n" + "".join(invokes) + "</minimax:tool_call>"


def inv(name: str, **params: str) -> str:
    body = "".join(f'<parameter name="{k}">{v}</parameter>\n' for k, v in params.items())
    return f'<invoke name="{name}">\n{body}</invoke>\n'


def tight(name: str, **params: str) -> str:
    """The compact layout, no newlines anywhere (vLLM's and the gateway's cases)."""
    body = "".join(f'<parameter name="{k}">{v}</parameter>' for k, v in params.items())
    return f'<invoke name="{name}">{body}</invoke>'


def blk(*invokes: str) -> str:
    return "<minimax:tool_call>" + "".join(invokes) + "</minimax:tool_call>"


CALL1 = mm(inv("special_function", arg1="1"))
WHITESPACE_VALUES = (
    '<minimax:tool_call>\n    <invoke name="process">\n'
    '        <parameter name="trimmed">  spaces around  </parameter>\n'
    '        <parameter name="newlines">\n            Line 1\n            Line 2\n'
    "        </parameter>\n"
    '        <parameter name="tabs">\ttab\tseparated\t</parameter>\n'
    "    </invoke>\n</minimax:tool_call>"
)

CASES: dict[str, Case] = {
    # -- vLLM ------------------------------------------------------------------------------
    "vllm plain content": Case("vllm", "Hello world", [], content="Hello world"),
    "vllm content before a call": Case(
        "vllm",
        "Let me check. " + blk(tight("get_weather", city="Seattle")),
        [("get_weather", {"city": "Seattle"})],
        content="Let me check. ",
        chunks=("Let me check. ", blk(tight("get_weather", city="Seattle"))),
    ),
    "vllm one element per chunk": Case(
        "vllm",
        blk(tight("get_weather", city="Seattle")),
        [("get_weather", {"city": "Seattle"})],
        chunks=(
            "<minimax:tool_call>",
            '<invoke name="get_weather">',
            '<parameter name="city">Seattle</parameter>',
            "</invoke></minimax:tool_call>",
        ),
    ),
    "vllm no schema keeps every value a string": Case(
        "vllm",
        blk(tight("get_weather", city="Seattle", days="5")),
        [("get_weather", {"city": "Seattle", "days": "5"})],
    ),
    "vllm two invokes in one delta": Case(
        "vllm",
        blk(tight("fn_a", x="1"), tight("fn_b", y="2")),
        [("fn_a", {"x": "1"}), ("fn_b", {"y": "2"})],
        chunks=(
            "<minimax:tool_call>",
            tight("fn_a", x="1") + tight("fn_b", y="2"),
            "</minimax:tool_call>",
        ),
    ),
    "vllm nullable string keeps a string": Case(
        "vllm",
        blk(tight("lookup", value="Alice")),
        [("lookup", {"value": "Alice"})],
        tools=(lookup({"anyOf": [{"type": "string"}, {"type": "null"}]}),),
    ),
    "vllm nullable string null": Case(
        "vllm",
        blk(tight("lookup", value="null")),
        [("lookup", {"value": None})],
        tools=(lookup({"anyOf": [{"type": "string"}, {"type": "null"}]}),),
    ),
    "vllm nullable object": Case(
        "vllm",
        blk(tight("lookup", value='{"theme": "dark", "fontSize": 14}')),
        [("lookup", {"value": {"theme": "dark", "fontSize": 14}})],
        tools=(lookup({"anyOf": [{"type": "object"}, {"type": "null"}]}),),
    ),
    "vllm #32827 extra attributes": Case(
        "vllm",
        blk(
            '<invoke name="get_weather" id="call_1">'
            '<parameter name="city" type="string">Oslo</parameter></invoke>'
        ),
        [("get_weather", {"city": "Oslo"})],
        tools=(WEATHER,),
    ),
    # -- SGLang ------------------------------------------------------------------------------
    "sglang leading text kept": Case(
        "sglang",
        "Let me look that up. " + mm(inv("search", query="sglang")),
        [("search", {"query": "sglang"})],
        content="Let me look that up. ",
        tools=(SEARCH,),
    ),
    "sglang sequential blocks": Case(
        "sglang",
        mm(inv("get_weather", city="Tokyo")) + mm(inv("search", query="restaurants")),
        [("get_weather", {"city": "Tokyo"}), ("search", {"query": "restaurants"})],
        tools=(WEATHER, SEARCH),
    ),
    # peer: drops a call to an unknown function silently; the model must hear why.
    "sglang unknown function": Case(
        "sglang",
        mm(inv("nonexistent_func", x="1")),
        [("nonexistent_func", Err("unknown tool 'nonexistent_func'"))],
        tools=(WEATHER, SEARCH),
    ),
    # peer: returns the dangling block as normal text, markup and all.
    "sglang block with no close": Case(
        "sglang",
        '<minimax:tool_call>\n<invoke name="get_weather">\n<parameter name="city">Beijing</parameter>',
        [("get_weather", Err("ended inside the call to 'get_weather'"))],
        tools=(WEATHER,),
    ),
    "sglang typed integer and boolean": Case(
        "sglang",
        mm(inv("calculate", count="7", verbose="true")),
        [("calculate", {"count": 7, "verbose": True})],
        tools=(CALC,),
    ),
    # peer: also reads "1", "yes" and "on" as true; `tojson(true)` is `true` and nothing else.
    # `True` (any case) is a Python spelling, read where no string is allowed.
    "sglang boolean True": Case(
        "sglang",
        mm(inv("calculate", verbose="TRUE")),
        [("calculate", {"verbose": True})],
        tools=(CALC,),
    ),
    "sglang boolean yes": Case(
        "sglang",
        mm(inv("calculate", verbose="yes")),
        [("calculate", Err("expected true or false, got 'yes'"))],
        tools=(CALC,),
    ),
    "sglang boolean 1": Case(
        "sglang",
        mm(inv("calculate", verbose="1")),
        [("calculate", Err("expected true or false, got '1'"))],
        tools=(CALC,),
    ),
    # peer: collapses 3.0 to the integer 3; the model wrote a number, and 3.0 it stays.
    "sglang whole number stays a float": Case(
        "sglang",
        mm(inv("calculate", value="3.0")),
        [("calculate", {"value": 3.0})],
        tools=(CALC,),
    ),
    # peer: turns `null` into null for a string-only parameter; a string is written raw.
    "sglang null for a string-only parameter": Case(
        "sglang",
        mm(inv("lookup", value="null")),
        [("lookup", {"value": "null"})],
        tools=(lookup(STR),),
    ),
    # peer: falls back to the string; an integer-only parameter cannot take it.
    "sglang not a number for an integer": Case(
        "sglang",
        mm(inv("calculate", count="not_a_number")),
        [("calculate", Err("expected an integer, got 'not_a_number'"))],
        tools=(CALC,),
    ),
    "sglang object and array": Case(
        "sglang",
        mm(inv("calculate", meta='{"key": "val"}', tags="[1, 2, 3]")),
        [("calculate", {"meta": {"key": "val"}, "tags": [1, 2, 3]})],
        tools=(CALC,),
    ),
    "sglang nullable type arrays keep their values": Case(
        "sglang",
        mm(inv("t", i="42", n="2.5", s="hello", b="false", a="[1,2]", o='{"a":1}')),
        [("t", {"i": 42, "n": 2.5, "s": "hello", "b": False, "a": [1, 2], "o": {"a": 1}})],
        tools=(
            tool(
                "t",
                **{
                    k: {"type": [kind, "null"]}
                    for k, kind in (
                        ("i", "integer"),
                        ("n", "number"),
                        ("s", "string"),
                        ("b", "boolean"),
                        ("a", "array"),
                        ("o", "object"),
                    )
                },
            ),
        ),
    ),
    "sglang nullable enum": Case(
        "sglang",
        mm(inv("lookup", value="high")),
        [("lookup", {"value": "high"})],
        tools=(lookup({"enum": ["low", "high", None]}),),
    ),
    "sglang none for a nullable integer": Case(
        "sglang",
        mm(inv("lookup", value="none")),
        [("lookup", {"value": None})],
        tools=(lookup({"type": ["integer", "null"]}),),
    ),
    # peer: also reads `nil` as null; it is neither JSON nor a Python spelling.
    "sglang nil": Case(
        "sglang",
        mm(inv("lookup", value="nil")),
        [("lookup", Err("expected an integer or null, got 'nil'"))],
        tools=(lookup({"type": ["integer", "null"]}),),
    ),
    # -- SGLang's model gateway -------------------------------------------------------------------
    # peer: leaves the text after the block out of the normal text; nothing may be dropped.
    "gateway text before and after": Case(
        "gateway",
        "Let me search for that.\n"
        + mm(inv("get_weather", city="Beijing", date="2024-12-25"))
        + "\nThe weather will be...",
        [("get_weather", {"city": "Beijing", "date": "2024-12-25"})],
        content="Let me search for that.\n\nThe weather will be...",
        tools=(tool("get_weather", city=STR, date=STR),),
    ),
    # peer: guesses types with no schema (42, 1.5, true, null); the type comes from the schema.
    "gateway no schema no guessing": Case(
        "gateway",
        mm(inv("process", count="42", rate="1.5", enabled="true", data="null")),
        [("process", {"count": "42", "rate": "1.5", "enabled": "true", "data": "null"})],
    ),
    "gateway typed by the schema": Case(
        "gateway",
        mm(inv("process", count="42", rate="1.5", enabled="true", data="null", text="string")),
        [("process", {"count": 42, "rate": 1.5, "enabled": True, "data": None, "text": "string"})],
        tools=(PROCESS,),
    ),
    # peer: reads Python's None as null although a string is also allowed: only `null` is.
    "gateway Python literals": Case(
        "gateway",
        mm(inv("process", enabled="True", data="None")),
        [("process", {"enabled": True, "data": "None"})],
        tools=(PROCESS,),
    ),
    # peer: decodes XML entities; values are raw text, `&lt;` is what the model wrote.
    "gateway entities stay raw": Case(
        "gateway",
        mm(inv("process", html="&lt;div&gt;", code="if (a &amp;&amp; b) { }")),
        [("process", {"html": "&lt;div&gt;", "code": "if (a &amp;&amp; b) { }"})],
    ),
    "gateway JSON-looking strings without a schema": Case(
        "gateway",
        mm(inv("process", data='{"nested": {"key": "value"}}', list="[1, 2, 3]")),
        [("process", {"data": '{"nested": {"key": "value"}}', "list": "[1, 2, 3]"})],
    ),
    "gateway markup inside values": Case(
        "gateway",
        mm(inv("process", template="<html><body>Hello</body></html>", config='{"k": "<v>n</v>"}')),
        [
            (
                "process",
                {"template": "<html><body>Hello</body></html>", "config": '{"k": "<v>n</v>"}'},
            )
        ],
    ),
    "gateway split mid-tag": Case(
        "gateway",
        blk(tight("get_weather", city="Beijing")),
        [("get_weather", {"city": "Beijing"})],
        tools=(WEATHER,),
        chunks=(
            "<minimax:tool_c",
            "all><invoke na",
            'me="get_weather"><param',
            'eter name="city">Bei',
            "jing</parameter></inv",
            "oke></minimax:tool_call>",
        ),
    ),
    "gateway empty parameters": Case(
        "gateway", mm('<invoke name="simple_func">\n</invoke>\n'), [("simple_func", {})]
    ),
    "gateway multiline and unicode": Case(
        "gateway",
        mm(inv("process", multiline="line1\nline2\nline3", unicode="你好世界 🌍")),
        [("process", {"multiline": "line1\nline2\nline3", "unicode": "你好世界 🌍"})],
    ),
    # peer: "may trim edges"; one newline each side is layout, the rest is the value.
    "gateway whitespace": Case(
        "gateway",
        WHITESPACE_VALUES,
        [
            (
                "process",
                {
                    "trimmed": "  spaces around  ",
                    "newlines": "            Line 1\n            Line 2\n        ",
                    "tabs": "\ttab\tseparated\t",
                },
            )
        ],
    ),
    "gateway text around a block in one line": Case(
        "gateway",
        "Let me help you. "
        + mm(inv("get_weather", city="Seattle", units="celsius"))
        + " Here are the results.",
        [("get_weather", {"city": "Seattle", "units": "celsius"})],
        content="Let me help you.  Here are the results.",
        tools=(WEATHER,),
    ),
    # peer: returns a call with no name as normal text; it is a malformed call to answer.
    "gateway invoke without a name": Case(
        "gateway",
        mm('<invoke>\n<parameter name="city">Miami</parameter>\n</invoke>\n'),
        [("", Err('needs name="TOOL"'))],
    ),
    "gateway reasoning parser strips a stray think across chunks": Case(
        "gateway",
        "<think>thinking</think>Answer",
        [],
        content="Answer",
        reasoning="thinking",
        in_reasoning=True,
        chunks=("<thi", "nk>thinking</think>Answer"),
    ),
    "gateway reasoning without its end": Case(
        "gateway", "still reasoning", [], reasoning="still reasoning", in_reasoning=True
    ),
    # -- llama.cpp ---------------------------------------------------------------------------
    "llama.cpp content": Case(
        "llama.cpp", "Hello, world!\nWhat's up?", [], content="Hello, world!\nWhat's up?"
    ),
    "llama.cpp forced-open thinking": Case(
        "llama.cpp",
        "I'm\nthinking</think>Hello, world!\nWhat's up?",
        [],
        content="Hello, world!\nWhat's up?",
        reasoning="I'm\nthinking",
        in_reasoning=True,
    ),
    "llama.cpp call": Case(
        "llama.cpp", CALL1, [("special_function", {"arg1": 1})], tools=(SPECIAL,)
    ),
    "llama.cpp thinking then call": Case(
        "llama.cpp",
        "I'm\nthinking</think>" + CALL1,
        [("special_function", {"arg1": 1})],
        reasoning="I'm\nthinking",
        tools=(SPECIAL,),
        in_reasoning=True,
    ),
    "llama.cpp call then content": Case(
        "llama.cpp",
        CALL1 + "Hello, world!\nWhat's up?",
        [("special_function", {"arg1": 1})],
        content="Hello, world!\nWhat's up?",
        tools=(SPECIAL,),
    ),
    "llama.cpp thinking, content, call, newlines between": Case(
        "llama.cpp",
        "I'm\nthinking\n</think>\n\nHello, world!\nWhat's up?\n\n" + CALL1 + "\n",
        [("special_function", {"arg1": 1})],
        content="Hello, world!\nWhat's up?",
        reasoning="I'm\nthinking",
        tools=(SPECIAL,),
        in_reasoning=True,
    ),
    "llama.cpp optional parameter": Case(
        "llama.cpp",
        mm(inv("special_function_with_opt", arg1="1", arg2="2")),
        [("special_function_with_opt", {"arg1": 1, "arg2": 2})],
        tools=(SPECIAL_OPT,),
    ),
    "llama.cpp compact": Case(
        "llama.cpp",
        blk(tight("special_function", arg1="1")),
        [("special_function", {"arg1": 1})],
        tools=(SPECIAL,),
    ),
}


def run(case: Case, pieces: list[str]) -> tuple[list[Event], StreamParser]:
    parser = StreamParser(list(case.tools), in_reasoning=case.in_reasoning)
    events: list[Event] = []
    for piece in pieces:
        events += parser.feed(piece)
    return events + parser.finish(), parser


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_peer_case(case: Case) -> None:
    if case.chunks:
        assert "".join(case.chunks) == case.raw
    for pieces in ([case.raw], list(case.raw), list(case.chunks)):
        if not pieces:
            continue
        events, parser = run(case, pieces)
        got = [e for e in events if isinstance(e, ToolCall)]
        assert len(got) == len(case.calls)
        for call, (name, expected) in zip(got, case.calls, strict=True):
            assert call.name == name
            if isinstance(expected, Err):
                assert call.error is not None and expected.fragment in call.error
            else:
                assert call.error is None, call.error
                assert call.arguments == expected
        message = parser.message()
        assert (message.content, message.reasoning) == (case.content, case.reasoning)
        assert parser.raw == case.raw
        shown = "".join(e.text for e in events if isinstance(e, TextDelta | ReasoningDelta))
        assert "<minimax:tool_call>" not in shown and "</invoke>" not in shown
