"""The MiniMax-M3 parser cases of the peers, as one table, in our own form.

Read for their facts (the model's output and the calls and text expected) from vLLM
(`tests/tool_parsers/test_minimax_m3_tool_parser.py`) and SGLang
(`test/registered/unit/function_call/test_minimax_m3_detector.py` and
`test_minimax_m3_detector_finish.py`). llama.cpp's cases are in `test_parser.py`.

Both peers parse the content a server sends after the reasoning is split off, so every case
starts in the visible text. Each runs whole, one character at a time, split in two at every
position, and in the peer's own chunks where it had some: the events must not depend on how the
text arrived.

Where a peer's answer contradicts the format (a string is written raw, a `None` is left out by
the template so `null` in a string-typed leaf is the string, nothing the model wrote is dropped,
a malformed or unfinished call is an error the model hears, never markup shown as prose), a
`# peer:` comment says what it does and the case asserts the format's answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from minimax_agent.dialect.m3.parser import StreamParser
from minimax_agent.dialect.m3.tags import NS
from minimax_agent.events import Event, ReasoningDelta, TextDelta, ToolCall
from minimax_agent.messages import ToolSpec


def tool(name: str, schema: dict[str, Any] | None = None, **props: Any) -> ToolSpec:
    if schema is None:
        schema = {"type": "object", "properties": props}
    return ToolSpec(name=name, description=name, parameters=schema)


STR = {"type": "string"}
INT = {"type": "integer"}

# -- vLLM's tool -----------------------------------------------------------------------------
CREATE_ORDER = tool(
    "create_order",
    user_id=INT,
    urgent={"type": "boolean"},
    note=STR,
    shipping={"type": "object", "properties": {"city": STR, "zip": INT}},
    items={
        "type": "array",
        "items": {"type": "object", "properties": {"sku": STR, "qty": INT}},
    },
    metadata={"type": "object", "additionalProperties": STR},
    duplicate_demo={"type": "object"},
)
VLLM = (CREATE_ORDER,)

# -- SGLang's tools --------------------------------------------------------------------------
SGLANG = (
    tool("get_current_date", {}),  # a tool declared with no schema at all
    tool("get_weather", city=STR),
    tool("search", query=STR, count=INT, ratio={"type": "number"}, verbose={"type": "boolean"}),
    tool(
        "create_event",
        title=STR,
        location={"type": "object", "properties": {"city": STR, "zip": INT}},
        tags={"type": "array", "items": STR},
    ),
    tool("add_note", note=STR),
    tool(
        "configure",
        mode={"type": "string", "enum": ["none", "low", "high"]},
        optional={"type": ["string", "null"]},
    ),
)
ACME = tool(
    "acme",
    {
        "type": "object",
        "oneOf": [
            {
                "type": "object",
                "properties": {"count": INT, "verbose": {"type": "boolean"}},
                "required": ["count", "verbose"],
            },
            {
                "type": "object",
                "properties": {"kind": {"const": "other"}},
                "required": ["kind"],
            },
        ],
    },
)
FINISH_WEATHER = (tool("get_weather", city=STR),)


def el(name: str, inner: str) -> str:
    return f"{NS}<{name}>{inner}{NS}</{name}>"


def inv(name: str, *elements: str) -> str:
    return f'{NS}<invoke name="{name}">' + "".join(elements) + f"{NS}</invoke>"


def blk(*invokes: str, sep: str = "") -> str:
    """A block as both peers write it: no layout between tags unless `sep` says so."""
    return f"{NS}<tool_call>" + sep + sep.join(invokes) + sep + f"{NS}</tool_call>"


def note_call(value: str) -> str:
    return blk(inv("add_note", el("note", value)))


@dataclass(frozen=True)
class Err:
    """An expected call error containing `fragment`."""

    fragment: str


@dataclass(frozen=True)
class Case:
    peer: str
    output: str
    tools: tuple[ToolSpec, ...]
    calls: list[tuple[str, dict[str, Any] | Err]]
    text: str = ""
    chunks: tuple[str, ...] = ()  # the peer's own pieces, where it fed some


ORDER_CALL = (
    f"{NS}<tool_call>\n"
    + inv(
        "create_order",
        el("user_id", "42"),
        el("urgent", "true"),
        el("note", "Please leave at front desk."),
        el("shipping", el("city", "Singapore") + el("zip", "018956")),
        el(
            "items",
            el("item", el("sku", "book-001") + el("qty", "2"))
            + el("item", el("sku", "pen-007") + el("qty", "5")),
        ),
        el("metadata", el("source", "mobile") + el("campaign", "may-launch")),
        el("duplicate_demo", el("tag", "a") + el("tag", "b")),
    )
    + f"\n{NS}</tool_call>"
)
ORDER_ARGS = {
    "user_id": 42,
    "urgent": True,
    "note": "Please leave at front desk.",
    # The template never writes a leading zero, but an integer-only leaf reads as one: 18956.
    "shipping": {"city": "Singapore", "zip": 18956},
    "items": [{"sku": "book-001", "qty": 2}, {"sku": "pen-007", "qty": 5}],
    "metadata": {"source": "mobile", "campaign": "may-launch"},  # additionalProperties: text
    "duplicate_demo": {"tag": ["a", "b"]},  # repeated sibling tags are a list
}


def order(user_id: int) -> str:
    return inv("create_order", el("user_id", str(user_id)))


RECOVERY = (
    f"plain {NS}<tool_call>\n{order(1)}" + f'\n{NS}<invoke name="create_order">{NS}<user_id>2'
)
STRAY_CLOSE = f"{NS}<tool_call>\n{NS}</user_id> after error"
WEATHER_BEIJING = blk(inv("get_weather", el("city", "Beijing")))
WEATHER_TOKYO = blk(inv("get_weather", el("city", "Tokyo")))
SPECIAL_NOTE = 'a "quoted" word with \\ backslash and\nnewline'
FINISH_HEAD = f'hi {NS}<tool_call>{NS}<invoke name="get_weather">'


def configure(param: str, value: str) -> str:
    return blk(inv("configure", el(param, value)))


CASES: dict[str, Case] = {
    # -- vLLM ------------------------------------------------------------------------------
    "vllm nested call after text": Case(
        "vllm",
        "I will create it.\n" + ORDER_CALL,
        VLLM,
        [("create_order", ORDER_ARGS)],
        text="I will create it.\n",
        chunks=(
            "I will create it.\n",
            ORDER_CALL[:5],
            ORDER_CALL[5:17],
            ORDER_CALL[17:120],
            ORDER_CALL[120:],
        ),
    ),
    "vllm plain response": Case(
        "vllm", "plain response", VLLM, [], text="plain response", chunks=("plain ", "response")
    ),
    "vllm next request text": Case("vllm", "next request text", VLLM, [], text="next request text"),
    "vllm two invokes, newlines between": Case(
        "vllm",
        blk(order(1), order(2), sep="\n"),
        VLLM,
        [("create_order", {"user_id": 1}), ("create_order", {"user_id": 2})],
    ),
    "vllm a block open cut off is text": Case(
        "vllm",
        f"plain {NS}<tool_ca",
        VLLM,
        [],
        text=f"plain {NS}<tool_ca",
        chunks=(f"plain {NS}<tool_ca"[:8], f"plain {NS}<tool_ca"[8:]),
    ),
    # peer: keeps the first call and shows the unfinished second invoke as content, markup and
    # all; the model began a call, so it is a call, and the error tells it to write it again.
    "vllm an invoke cut off after a good one": Case(
        "vllm",
        RECOVERY,
        VLLM,
        [("create_order", {"user_id": 1}), ("create_order", Err("ended inside the call"))],
        text="plain ",
        chunks=(RECOVERY[:8], RECOVERY[8:-7], RECOVERY[-7:]),
    ),
    # peer: drops the block open and shows the rest; a block open before no invoke is prose,
    # and nothing the model wrote is dropped from it.
    "vllm a block open before a stray close is text": Case(
        "vllm",
        STRAY_CLOSE,
        VLLM,
        [],
        text=STRAY_CLOSE,
        chunks=(STRAY_CLOSE[: -len(" after error")], " after error"),
    ),
    # -- SGLang ------------------------------------------------------------------------------
    "sglang plain response": Case(
        "sglang",
        "This is a plain response with no tool call.",
        SGLANG,
        [],
        text="This is a plain response with no tool call.",
    ),
    "sglang streamed text": Case("sglang", "Hello there.", SGLANG, [], text="Hello there."),
    "sglang one call": Case(
        "sglang",
        WEATHER_BEIJING,
        SGLANG,
        [("get_weather", {"city": "Beijing"})],
        chunks=tuple(NS + piece for piece in WEATHER_BEIJING.split(NS)[1:]),
    ),
    "sglang a call without arguments, a tool without a schema": Case(
        "sglang",
        blk(inv("get_current_date")),
        SGLANG,
        [("get_current_date", {})],
    ),
    "sglang two blocks": Case(
        "sglang",
        WEATHER_BEIJING + WEATHER_TOKYO,
        SGLANG,
        [("get_weather", {"city": "Beijing"}), ("get_weather", {"city": "Tokyo"})],
    ),
    "sglang two invokes in one block": Case(
        "sglang",
        blk(inv("get_weather", el("city", "Beijing")), inv("get_weather", el("city", "Tokyo"))),
        SGLANG,
        [("get_weather", {"city": "Beijing"}), ("get_weather", {"city": "Tokyo"})],
    ),
    "sglang text before the call": Case(
        "sglang",
        "Let me check the weather." + blk(inv("get_weather", el("city", "Paris"))),
        SGLANG,
        [("get_weather", {"city": "Paris"})],
        text="Let me check the weather.",
    ),
    "sglang typed scalars": Case(
        "sglang",
        blk(
            inv(
                "search",
                el("query", "pizza"),
                el("count", "7"),
                el("ratio", "0.5"),
                el("verbose", "true"),
            )
        ),
        SGLANG,
        [("search", {"query": "pizza", "count": 7, "ratio": 0.5, "verbose": True})],
    ),
    "sglang nested object and list": Case(
        "sglang",
        blk(
            inv(
                "create_event",
                el("title", "Standup"),
                el("location", el("city", "NYC") + el("zip", "10001")),
                el("tags", el("item", "red") + el("item", "blue")),
            )
        ),
        SGLANG,
        [
            (
                "create_event",
                {
                    "title": "Standup",
                    "location": {"city": "NYC", "zip": 10001},
                    "tags": ["red", "blue"],
                },
            )
        ],
    ),
    "sglang quotes, backslash, newline raw": Case(
        "sglang", note_call(SPECIAL_NOTE), SGLANG, [("add_note", {"note": SPECIAL_NOTE})]
    ),
    # Trailing blanks of every kind belong to the value, not to the markup.
    **{
        f"sglang trailing {label} kept": Case(
            "sglang", note_call(value), SGLANG, [("add_note", {"note": value})]
        )
        for label, value in (
            ("space", "remember this "),
            ("newline", "remember this\n"),
            ("tab", "remember this\t"),
            ("no-break space", "remember this\u00a0"),
            ("ideographic space", "\u3000中\u3000"),
        )
    },
    # A string parameter takes the words null, none and nil as words.
    **{
        f"sglang {value!r} for a string enum stays a string": Case(
            "sglang", configure("mode", value), SGLANG, [("configure", {"mode": value})]
        )
        for value in ("none", "nil", "null")
    },
    # peer: reads `null` as null for a ["string", "null"] parameter. The template leaves a
    # `None` out and writes a string raw, so this leaf can only be the string "null".
    "sglang null for a nullable string is the string": Case(
        "sglang", configure("optional", "null"), SGLANG, [("configure", {"optional": "null"})]
    ),
    "sglang none for a nullable string is the string": Case(
        "sglang", configure("optional", "none"), SGLANG, [("configure", {"optional": "none"})]
    ),
    # peer: returns no call and the whole block as normal text, markup and all; the model began
    # a call, so it hears that the call was cut off.
    "sglang block with no closing tags": Case(
        "sglang",
        f'{NS}<tool_call>{NS}<invoke name="get_weather">{NS}<city>Beijing',
        SGLANG,
        [("get_weather", Err("ended inside the call to 'get_weather'"))],
    ),
    # peer: returns no call and the block as normal text; a mismatched close is a malformed call
    # the model hears about, never markup shown as prose.
    "sglang mismatched closing tag": Case(
        "sglang",
        blk(inv("get_weather", f"{NS}<city>Beijing{NS}</wrong>")),
        SGLANG,
        [("get_weather", Err("</wrong> closes nothing open in <city>"))],
    ),
    "sglang top-level oneOf types the members": Case(
        "sglang",
        blk(inv("acme", el("count", "7"), el("verbose", "true"))),
        (ACME,),
        [("acme", {"count": 7, "verbose": True})],
    ),
    # -- SGLang's finish() tests: their arguments are M2's unprefixed <parameter> tags ------------
    # peer: flushes the held block as normal text at the end of the stream; it is an unfinished
    # call, an error for the model. `<parameter ...>P` has no namespace prefix, so it is text.
    "sglang finish: a call cut off at the end": Case(
        "sglang",
        FINISH_HEAD + '<parameter name="city">P',
        FINISH_WEATHER,
        [("get_weather", Err("ended inside the call to 'get_weather'"))],
        text="hi ",
    ),
    "sglang finish: clean text": Case(
        "sglang", "just some text", FINISH_WEATHER, [], text="just some text"
    ),
    # peer: only checks that nothing is left over as text. Unprefixed tags are not M3 elements,
    # so the invoke holds text outside any argument: a malformed call, and no text.
    "sglang finish: a complete block with M2 parameter tags": Case(
        "sglang",
        FINISH_HEAD[3:] + f'<parameter name="city">Paris</parameter>{NS}</invoke>{NS}</tool_call>',
        FINISH_WEATHER,
        [("get_weather", Err("text outside any argument"))],
    ),
}


def run(case: Case, pieces: list[str]) -> tuple[list[Event], StreamParser]:
    parser = StreamParser(case.tools, start="text")
    events = [e for piece in pieces for e in parser.feed(piece)]
    return events + parser.finish(), parser


def check(case: Case, pieces: list[str]) -> None:
    events, parser = run(case, pieces)
    got = [e for e in events if isinstance(e, ToolCall)]
    assert [c.name for c in got] == [name for name, _ in case.calls]
    for call, (_, expected) in zip(got, case.calls, strict=True):
        if isinstance(expected, Err):
            assert call.error is not None and expected.fragment in call.error, call.error
        else:
            assert call.error is None, call.error
            assert call.arguments == expected
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == case.text
    assert not any(isinstance(e, ReasoningDelta) for e in events)
    assert parser.raw == case.output  # nothing lost
    message = parser.message()
    assert (message.content, message.reasoning) == (case.text, "")


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_whole_and_in_the_peers_chunks(case: Case) -> None:
    check(case, [case.output])
    if case.chunks:
        assert "".join(case.chunks) == case.output
        check(case, list(case.chunks))


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_one_character_at_a_time(case: Case) -> None:
    check(case, list(case.output))


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_split_at_every_position(case: Case) -> None:
    for cut in range(1, len(case.output)):
        check(case, [case.output[:cut], case.output[cut:]])
