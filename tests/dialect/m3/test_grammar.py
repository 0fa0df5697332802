"""The M3 tool-call grammars, checked token by token by llama.cpp's own grammar engine (on a
tiny random-weight model: only its tokenizer matters), and against what the parser reads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from minimax_agent.dialect import dialect_named
from minimax_agent.dialect.m3.tags import NS
from tests.conftest import grammar_checker
from tools import default_tools

M3 = dialect_named("m3")
TOOLS = default_tools().specs()
READ = f'{NS}<invoke name="read_file">{NS}<path>a.py{NS}</path>{NS}</invoke>\n'
BLOCK = f"{NS}<tool_call>\n" + READ + f"{NS}</tool_call>"
NESTED = [
    *TOOLS,
    *[
        t.model_copy(
            update={
                "name": "batch",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "jobs": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {"cmd": {"type": "string"}, "n": {"type": "integer"}},
                                "required": ["cmd"],
                            },
                        },
                        "quiet": {"type": "boolean"},
                    },
                    "required": ["jobs"],
                },
            }
        )
        for t in TOOLS[:1]
    ],
]


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    pytest.importorskip("llama_cpp", reason="llama.cpp's grammar engine checks the grammar")
    from minimax_agent.backends.local import LocalBackend
    from minimax_agent.config import Settings
    from quantize.tiny import write_tiny_model
    from tests.conftest import tiny_template

    path = write_tiny_model(
        tmp_path_factory.mktemp("m3g") / "tiny.gguf", "tiny", chat_template=tiny_template()
    )
    backend = LocalBackend.from_settings(Settings(model=str(path), threads=1, n_ctx=2048, seed=7))
    yield backend.model
    backend.close()


@pytest.fixture
def accepts(model: Any) -> Any:
    return grammar_checker(model)


def test_the_call_block(accepts: Any) -> None:
    rest = M3.call_grammar(NESTED)
    assert accepts(rest, "\n" + READ + f"{NS}</tool_call>")
    two = READ + f'{NS}<invoke name="git_status">{NS}</invoke>\n'
    assert accepts(rest, "\n" + two + f"{NS}</tool_call>")
    jobs = (
        f'{NS}<invoke name="batch">{NS}<jobs>{NS}<item>{NS}<cmd>ls -l ] [ <x>{NS}</cmd>'
        f"{NS}<n>3{NS}</n>{NS}</item>{NS}<item>{NS}<cmd>pwd{NS}</cmd>{NS}</item>{NS}</jobs>"
        f"{NS}<quiet>true{NS}</quiet>{NS}</invoke>\n"
    )
    assert accepts(rest, "\n" + jobs + f"{NS}</tool_call>")
    assert accepts(rest, "\n" + READ[: len(READ) // 2], complete=False)
    bad = [
        READ.replace("read_file", "rm_rf"),  # unknown tool
        READ.replace("<path>", "<file>").replace("</path>", "</file>"),  # unknown parameter
        f'{NS}<invoke name="read_file">{NS}</invoke>\n',  # required parameter missing
        jobs.replace("<n>3", "<n>three"),  # integer expected
        jobs.replace("<quiet>true", "<quiet>yes"),  # boolean expected
        jobs.replace(f"{NS}<cmd>pwd{NS}</cmd>", ""),  # an item's required member missing
        READ.replace("a.py", "a]<b"),  # a string never holds the prefix's start
    ]
    for invoke in bad:
        assert not accepts(rest, "\n" + invoke + f"{NS}</tool_call>"), invoke


def test_the_whole_turn_in_each_thinking_mode(accepts: Any) -> None:
    enabled = M3.turn_grammar(TOOLS)
    assert accepts(enabled, "I look. a < b ] c\n</mm:think>Looking." + BLOCK)
    assert accepts(enabled, "r</mm:think>" + BLOCK)
    assert not accepts(enabled, "r</mm:think>just an answer")  # a call must come
    assert not accepts(enabled, "no reasoning close" + BLOCK)
    assert not accepts(enabled, "r</mm:think>" + BLOCK + "more")
    disabled = M3.with_thinking("disabled").turn_grammar(TOOLS)  # type: ignore[attr-defined]
    assert accepts(disabled, "Looking." + BLOCK)
    assert not accepts(disabled, "Looking.")
    adaptive = M3.with_thinking("adaptive").turn_grammar(TOOLS)  # type: ignore[attr-defined]
    assert accepts(adaptive, "<mm:think>r</mm:think>" + BLOCK)
    assert accepts(adaptive, "</mm:think>Go." + BLOCK)
    assert not accepts(adaptive, "Go." + BLOCK)
    capped = M3.turn_grammar(TOOLS, max_chars=8)
    assert accepts(capped, "r</mm:think>" + BLOCK)
    assert not accepts(capped, "r" * 9 + "</mm:think>" + BLOCK)


def test_what_the_grammar_allows_the_parser_reads() -> None:
    text = "r</mm:think>Go." + BLOCK
    _, message = M3.parse_complete(text, TOOLS)
    assert [(c.name, c.arguments, c.error) for c in message.tool_calls] == [
        ("read_file", {"path": "a.py"}, None)
    ]
