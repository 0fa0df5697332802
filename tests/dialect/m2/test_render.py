"""Rendering with a Jinja chat template, Hugging Face style, in the exact M2.1 format."""

from __future__ import annotations

import pytest

from minimax_agent.dialect.chat_template import render_prompt
from minimax_agent.dialect.m2.template import default_template
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

TOOL = ToolSpec(
    name="read_file",
    description="Read a file.",
    parameters={"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
)


def conversation() -> list[Message]:
    return [
        SystemMessage(content="Be brief."),
        UserMessage(content="first task"),
        AssistantMessage(content="Done.", reasoning="old reasoning"),
        UserMessage(content="read a.py"),
        AssistantMessage(
            content="Reading.",
            reasoning="I should read it",
            tool_calls=[
                ToolCall(id="c1", name="read_file", arguments={"path": "a.py"}),
                ToolCall(id="c2", name="read_file", arguments={"path": "b.py", "n": 3}),
            ],
        ),
        ToolMessage(tool_call_id="c1", name="read_file", content="1\tx = 1"),
        ToolMessage(tool_call_id="c2", name="read_file", content="1\ty = 2"),
    ]


def test_renders_the_m2_format_exactly() -> None:
    prompt = render_prompt(default_template(), conversation(), [TOOL])
    tool_json = (
        '{"name": "read_file", "description": "Read a file.", "parameters": {"type": "object", '
        '"properties": {"path": {"type": "string"}}, "required": ["path"]}}'
    )
    assert prompt.startswith("]~!b[]~b]system\nBe brief.\n\n# Tools\n")
    assert f"<tool>{tool_json}</tool>\n" in prompt
    body = prompt[prompt.index("[e~[\n") + len("[e~[\n") :]
    assert body == (
        "]~b]user\nfirst task[e~[\n"
        "]~b]ai\nDone.[e~[\n"
        "]~b]user\nread a.py[e~[\n"
        "]~b]ai\n<think>\nI should read it\n</think>\n\nReading.\n"
        "<minimax:tool_call>\n"
        '<invoke name="read_file">\n<parameter name="path">a.py</parameter>\n</invoke>\n'
        '<invoke name="read_file">\n<parameter name="path">b.py</parameter>\n'
        '<parameter name="n">3</parameter>\n</invoke>\n'
        "</minimax:tool_call>[e~[\n"
        "]~b]tool\n<response>1\tx = 1</response>\n<response>1\ty = 2</response>[e~[\n"
        "]~b]ai\n<think>\n"
    )


def test_reasoning_is_kept_only_after_the_last_user_message() -> None:
    prompt = render_prompt(default_template(), conversation(), [TOOL])
    assert "old reasoning" not in prompt
    assert "I should read it" in prompt
    # A new user message drops the reasoning of the turn before it, as the official template does.
    later = render_prompt(default_template(), [*conversation(), UserMessage(content="next")])
    assert "I should read it" not in later


def test_no_generation_prompt_and_default_system() -> None:
    prompt = render_prompt(
        default_template(), [UserMessage(content="hi")], add_generation_prompt=False
    )
    assert prompt == "]~!b[]~b]system\nYou are a helpful assistant.[e~[\n]~b]user\nhi[e~[\n"


def test_template_errors_are_clear() -> None:
    with pytest.raises(TemplateError, match="a system message may only come first"):
        render_prompt(default_template(), [UserMessage(content="a"), SystemMessage(content="b")])
    with pytest.raises(TemplateError, match="does not compile"):
        render_prompt("{% if %}", [UserMessage(content="a")])


def test_trim_and_lstrip_blocks_like_hugging_face() -> None:
    template = "{% for m in messages %}\n    {{ m.content }}|\n{% endfor %}"
    assert (
        render_prompt(template, [UserMessage(content="a"), UserMessage(content="b")])
        == "    a|\n    b|\n"
    )


def test_tojson_keeps_unicode() -> None:
    template = "{{ messages[0].content | tojson }}"
    assert render_prompt(template, [UserMessage(content="héllo")]) == '"héllo"'
