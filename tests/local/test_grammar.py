"""The tool-call grammars, checked token by token by llama.cpp's own grammar engine."""

from __future__ import annotations

from typing import Any

import pytest

from minimax_agent.dialect import dialect_named
from tests.conftest import grammar_checker
from tools import default_tools

# The M2 dialect's grammars (the texts below are M2's tags).
M2 = dialect_named("m2")
call_block_grammar = M2.call_grammar
whole_turn_grammar = M2.turn_grammar
TOOLS = default_tools().specs()
READ = '<invoke name="read_file">\n<parameter name="path">a.py</parameter>\n</invoke>\n'
BLOCK = "<minimax:tool_call>\n" + READ + "</minimax:tool_call>"


@pytest.fixture
def accepts(make_backend: Any) -> Any:
    return grammar_checker(make_backend().model)


def test_whole_turn_shape(accepts: Any) -> None:
    turn = whole_turn_grammar(TOOLS)
    ok = "I will look, though a << b and x <y> and </thin are fine.\n</think>\n\nLooking.\n"
    assert accepts(turn, ok + BLOCK)
    assert accepts(turn, "r\n</think>\n\n\n" + BLOCK)  # no visible text
    assert accepts(turn, "r\n</think>\n\n\n" + BLOCK[:-20], complete=False)  # not finished yet
    assert not accepts(turn, "no reasoning close" + BLOCK)
    assert not accepts(turn, "r\n</think>\n\njust an answer")  # required: a call must come
    assert not accepts(turn, "r\n</think>\n\n\n" + BLOCK + "\nmore text")
    # Only the template's layout: it re-renders every turn as `R\n</think>\n\nC\n<minimax:…`,
    # and drops an empty think block.
    assert not accepts(turn, "r</think>\n\n\n" + BLOCK)
    assert not accepts(turn, "r\n</think>" + BLOCK)
    assert not accepts(turn, "r\n</think>\n\nLooking." + BLOCK)
    assert not accepts(turn, "\n</think>\n\n\n" + BLOCK)


def test_known_tools_and_parameters_only(accepts: Any) -> None:
    rest = call_block_grammar(TOOLS)
    assert accepts(rest, "\n" + READ + "</minimax:tool_call>")
    two = READ + '<invoke name="git_status">\n</invoke>\n'
    assert accepts(rest, "\n" + two + "</minimax:tool_call>")
    typed = (
        '<invoke name="read_file">\n<parameter name="path">a.py</parameter>\n'
        '<parameter name="offset">10</parameter>\n<parameter name="limit">20</parameter>\n'
        "</invoke>\n"
    )
    assert accepts(rest, "\n" + typed + "</minimax:tool_call>")
    bad = [
        READ.replace("read_file", "rm_rf"),  # unknown tool
        READ.replace('"path"', '"file"'),  # unknown parameter
        '<invoke name="read_file">\n</invoke>\n',  # required parameter missing
        typed.replace(">10<", ">ten<"),  # integer expected
        typed.replace(">20<", ">-20<"),  # minimum 1: no sign
    ]
    for invoke in bad:
        assert not accepts(rest, "\n" + invoke + "</minimax:tool_call>"), invoke


def test_string_values_may_hold_markup(accepts: Any) -> None:
    rest = call_block_grammar(TOOLS)
    edit = (
        '<invoke name="write_file">\n<parameter name="path">x.html</parameter>\n'
        '<parameter name="content"><p>a < b</p>\n</parameter >?</parameter>\n</invoke>\n'
    )
    assert accepts(rest, "\n" + edit + "</minimax:tool_call>")


def test_capped_free_text(accepts: Any) -> None:
    turn = whole_turn_grammar(TOOLS, max_chars=8)
    assert accepts(turn, "short\n</think>\n\n\n" + BLOCK)
    assert not accepts(turn, "far too long reasoning\n</think>\n\n\n" + BLOCK)
