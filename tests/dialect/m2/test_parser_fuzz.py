"""Property tests: random text mixed with tag fragments never raises and never loses text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from minimax_agent.dialect.m2.parser import (
    BLOCK_CLOSE,
    BLOCK_OPEN,
    INVOKE_CLOSE,
    THINK_CLOSE,
    THINK_OPEN,
    StreamParser,
)
from minimax_agent.events import ReasoningDelta, TextDelta, ToolCall

TAGS = [
    THINK_OPEN,
    THINK_CLOSE,
    BLOCK_OPEN,
    BLOCK_CLOSE,
    INVOKE_CLOSE,
    '<invoke name="x">',
    '<parameter name="a">',
    "</parameter>",
]
# Proper prefixes of tags: they must come out as ordinary text, never swallowed.
FRAGMENTS = sorted({tag[:i] for tag in TAGS for i in range(1, len(tag))})

plain = st.text(
    alphabet=st.characters(blacklist_characters="<>", blacklist_categories=("Cs",)), max_size=12
)
fragment_text = st.lists(st.one_of(plain, st.sampled_from(FRAGMENTS)), max_size=12).map("".join)
any_text = st.lists(st.one_of(plain, st.sampled_from(FRAGMENTS + TAGS)), max_size=16).map("".join)


def _run(text: str, cuts: list[int], in_reasoning: bool) -> tuple[list[object], StreamParser]:
    parser = StreamParser(in_reasoning=in_reasoning)
    events: list[object] = []
    last = 0
    for cut in sorted(c % (len(text) + 1) for c in cuts):
        events += parser.feed(text[last:cut])
        last = cut
    events += parser.feed(text[last:])
    events += parser.finish()
    return events, parser


@settings(max_examples=400, deadline=None)
@given(
    text=fragment_text,
    cuts=st.lists(st.integers(min_value=0), max_size=6),
    in_reasoning=st.booleans(),
)
def test_fragments_are_never_lost(text: str, cuts: list[int], in_reasoning: bool) -> None:
    events, parser = _run(text, cuts, in_reasoning)
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    visible = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert not [e for e in events if isinstance(e, ToolCall)]
    if in_reasoning:
        assert reasoning == text and visible == ""
    else:
        assert reasoning + visible == text
    assert parser.raw == text


@settings(max_examples=400, deadline=None)
@given(
    text=any_text, cuts=st.lists(st.integers(min_value=0), max_size=6), in_reasoning=st.booleans()
)
def test_any_mix_never_raises_and_streaming_matches_one_shot(
    text: str, cuts: list[int], in_reasoning: bool
) -> None:
    events, parser = _run(text, cuts, in_reasoning)
    whole, one_shot = _run(text, [], in_reasoning)

    def shape(evs: list[object]) -> tuple[str, str, list[tuple[str, object, object]]]:
        return (
            "".join(e.text for e in evs if isinstance(e, ReasoningDelta)),
            "".join(e.text for e in evs if isinstance(e, TextDelta)),
            [(e.name, e.arguments, e.error) for e in evs if isinstance(e, ToolCall)],
        )

    assert shape(events) == shape(whole)
    assert parser.raw == text == one_shot.raw
    message = parser.message()
    assert message.raw == text
