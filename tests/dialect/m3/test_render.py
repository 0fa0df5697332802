"""M3 prompts: our render through the official template equals the official template rendered
as Hugging Face renders it, in every thinking mode; the project's own template writes the same
turns; and a turn as the model generates it re-renders byte for byte (the prefix the next
prompt reuses).

The official template is read at test time from the llama-cpp-python 0.3.36 sdist
(`MINIMAX_AGENT_LLAMA_SDIST`, beside `MINIMAX_AGENT_LLAMA_SERVER`, or in the test cache where
scripts/build_llama_server.sh keeps it); without it those tests skip.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from minimax_agent.dialect import dialect_named
from minimax_agent.errors import TemplateError
from minimax_agent.messages import (
    AssistantMessage,
    Message,
    SystemMessage,
    ToolCall,
    ToolMessage,
    ToolSpec,
    UserMessage,
)
from tests.conftest import sdist_template

MODES = ("enabled", "disabled", "adaptive")
M3 = dialect_named("m3")

READ = ToolSpec(
    name="read_file",
    description="Read a file.",
    parameters={
        "type": "object",
        "properties": {"path": {"type": "string"}, "limit": {"type": "integer"}},
        "required": ["path"],
    },
)
EDIT = ToolSpec(
    name="edit",
    description="Edit files.",
    parameters={
        "type": "object",
        "properties": {
            "edits": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"path": {"type": "string"}, "old": {"type": "string"}},
                },
            },
            "dry_run": {"type": "boolean"},
            "scale": {"type": "number"},
        },
    },
)
TOOLS = [READ, EDIT]


def official_template() -> str:
    return sdist_template("MiniMax-M3.jinja")


@pytest.fixture(scope="module")
def official() -> str:
    pytest.importorskip("jinja2", reason="jinja2 renders the official template")
    return official_template()


def hf_render(
    template: str, messages: list[dict[str, Any]], tools: list[ToolSpec], **variables: Any
) -> str:
    """The template rendered as Hugging Face transformers renders chat templates, from the
    OpenAI-shaped request a client would send."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def tojson(value: Any, ensure_ascii: bool = False, indent: int | None = None) -> str:
        return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent)

    def raise_exception(message: str) -> None:
        raise ValueError(message)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    shaped = [{"type": "function", "function": t.model_dump()} for t in tools]
    return env.from_string(template).render(messages=messages, tools=shaped, **variables)


def first_turn() -> tuple[list[Message], list[dict[str, Any]]]:
    ours: list[Message] = [
        SystemMessage(content="You are a coding agent."),
        UserMessage(content="Fix a.py"),
    ]
    wire = [
        {"role": "system", "content": "You are a coding agent."},
        {"role": "user", "content": "Fix a.py"},
    ]
    return ours, wire


def later_turns() -> tuple[list[Message], list[dict[str, Any]]]:
    ours, wire = first_turn()
    calls = [
        ToolCall(id="c1", name="read_file", arguments={"path": "a.py", "limit": 20}),
        ToolCall(
            id="c2",
            name="edit",
            arguments={
                "edits": [{"path": "a.py", "old": "<b>x</b>"}, {"path": "b.py"}],
                "dry_run": False,
                "scale": 1.5,
            },
        ),
    ]
    ours += [
        AssistantMessage(
            content="Reading first.", reasoning="I should look\nfirst.", tool_calls=calls
        ),
        ToolMessage(tool_call_id="c1", name="read_file", content="1\tx = 1"),
        ToolMessage(tool_call_id="c2", name="edit", content="ok"),
        AssistantMessage(content="Done.", reasoning=""),
        UserMessage(content="thanks"),
        AssistantMessage(content="", reasoning="nothing to do", tool_calls=calls[:1]),
        ToolMessage(tool_call_id="c1", name="read_file", content="again"),
    ]
    wire_calls = [
        {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
        for c in calls
    ]
    wire += [
        {
            "role": "assistant",
            "content": "Reading first.",
            "reasoning_content": "I should look\nfirst.",
            "tool_calls": wire_calls,
        },
        {"role": "tool", "tool_call_id": "c1", "content": "1\tx = 1"},
        {"role": "tool", "tool_call_id": "c2", "content": "ok"},
        {"role": "assistant", "content": "Done."},
        {"role": "user", "content": "thanks"},
        {
            "role": "assistant",
            "content": "",
            "reasoning_content": "nothing to do",
            "tool_calls": wire_calls[:1],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "again"},
    ]
    return ours, wire


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("conversation", [first_turn, later_turns], ids=["first", "multi-turn"])
def test_our_render_is_the_official_rendering(official: str, mode: str, conversation: Any) -> None:
    ours, wire = conversation()
    dialect = M3.with_thinking(mode)  # type: ignore[attr-defined]
    expected = hf_render(official, wire, TOOLS, add_generation_prompt=True, thinking_mode=mode)
    prompt = dialect.render(official, ours, TOOLS)
    assert prompt == expected
    assert prompt.endswith(dialect.generation_prompt)
    bare = dialect.render(official, ours, TOOLS, add_generation_prompt=False)
    assert prompt == bare + dialect.generation_prompt


@pytest.mark.parametrize("mode", MODES)
def test_our_template_writes_the_official_turns(official: str, mode: str) -> None:
    """Only the wording of the system and tool preambles is our own: from the first user turn
    on, and in the framing of the preambles, the two templates agree byte for byte."""
    ours, _ = later_turns()
    dialect = M3.with_thinking(mode)  # type: ignore[attr-defined]
    theirs = dialect.render(official, ours, TOOLS)
    mine = dialect.render(dialect.default_template(), ours, TOOLS)
    turns = "]~b]user\n"
    assert mine[mine.index(turns) :] == theirs[theirs.index(turns) :]
    for fixed in ("]~!b[]~b]system\n", "[e~[\n]~b]developer\nYou are a coding agent.\n\n# Tools\n"):
        assert mine.count(fixed) == theirs.count(fixed) == 1
    for spec in TOOLS:
        line = "<tool>" + json.dumps(spec.model_dump(), ensure_ascii=False) + "</tool>\n"
        assert line in mine and line in theirs
    assert f"Current thinking mode: {mode}." in theirs and f"Thinking mode: {mode}." in mine


def test_without_a_system_message_both_fall_back(official: str) -> None:
    ours: list[Message] = [UserMessage(content="hi")]
    theirs = M3.render(official, ours)
    mine = M3.render(M3.default_template(), ours)
    assert "]~b]developer\nYou are a helpful assistant.[e~[\n" in theirs
    assert "]~b]developer\nYou are a helpful assistant.[e~[\n" in mine
    assert mine[mine.index("]~b]user") :] == theirs[theirs.index("]~b]user") :]


@pytest.mark.parametrize("template_of", ["official", "ours"])
def test_a_generated_turn_re_renders_byte_for_byte(official: str, template_of: str) -> None:
    """What the model generated after the generation prompt is what the next prompt shows of
    that turn: the prefix reuse the local backend depends on."""
    template = official if template_of == "official" else M3.default_template()
    ours, _ = first_turn()
    prompt = M3.render(template, ours, TOOLS)
    generated = (
        "I should look\nfirst.</mm:think>Reading first.]<]minimax[>[<tool_call>\n"
        ']<]minimax[>[<invoke name="read_file">]<]minimax[>[<path>a.py]<]minimax[>[</path>'
        "]<]minimax[>[<limit>20]<]minimax[>[</limit>]<]minimax[>[</invoke>\n"
        "]<]minimax[>[</tool_call>"
    )
    _, message = M3.parse_complete(generated, TOOLS)
    assert [c.error for c in message.tool_calls] == [None]
    tool = ToolMessage(tool_call_id=message.tool_calls[0].id, name="read_file", content="x")
    again = M3.render(template, [*ours, message, tool], TOOLS)
    assert again.startswith(prompt + generated + M3.eos + "\n")


def test_our_template_refuses_what_the_official_one_refuses() -> None:
    orphan: list[Message] = [
        UserMessage(content="hi"),
        ToolMessage(tool_call_id="x", name="f", content="r"),
    ]
    with pytest.raises(TemplateError):
        M3.render(M3.default_template(), orphan)


def test_a_remote_turn_left_in_content_echoes_back_as_generated(official: str) -> None:
    """A server without an M3 parser leaves the markup in the content; the echo of the turn,
    rendered by the server's template, gives back the very text the model generated. (That
    template strips line breaks around reasoning it finds in the content: a reasoning that
    ends in one does not come back exactly, whatever the echo does.)"""
    from minimax_agent.backends.openai.assemble import TurnAssembler
    from minimax_agent.backends.openai.echo import assistant_echo

    dialect = dialect_named("m3")
    generated = (
        "<mm:think>R</mm:think>Look.]<]minimax[>[<tool_call>\n"
        ']<]minimax[>[<invoke name="read_file">]<]minimax[>[<path>a.py]<]minimax[>[</path>'
        "]<]minimax[>[</invoke>\n]<]minimax[>[</tool_call>"
    )
    turn = TurnAssembler(TOOLS, dialect=dialect)
    for i in range(0, len(generated), 3):
        turn.feed({"choices": [{"index": 0, "delta": {"content": generated[i : i + 3]}}]})
    _, message = turn.finish()
    assert [(c.name, c.arguments) for c in message.tool_calls] == [("read_file", {"path": "a.py"})]
    echo = assistant_echo(message, dialect)
    for call in echo.get("tool_calls", []):  # servers parse the argument string to render it
        call["function"]["arguments"] = json.loads(call["function"]["arguments"])
    _, wire = first_turn()
    prompt = hf_render(official, [*wire, echo], TOOLS, thinking_mode="enabled")
    assert prompt.endswith("]~b]ai\n" + generated + "[e~[\n")
