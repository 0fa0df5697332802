"""The M3 format in-process: the real llama.cpp runs a tiny random `minimax-m3` GGUF, the local
backend picks the m3 dialect from its architecture, renders the official template's prompt byte
for byte, generates a call it parses, and reuses its KV cache from step to step."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from minimax_agent.backends.local import LocalBackend
from minimax_agent.dialect import dialect_named
from minimax_agent.messages import AssistantMessage, Message, ToolMessage, UserMessage
from quantize.tiny_m3 import write_tiny_m3_model
from tests.dialect.m3.test_render import TOOLS, first_turn, hf_render, official_template
from tests.local.conftest import conversation, local_settings, run_step

CONSTRAINED = {"constrain_tools": True, "tool_choice": "required", "constrain_max_chars": 16}


@pytest.fixture(scope="module")
def m3_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    template = dialect_named("m3").default_template()
    return write_tiny_m3_model(
        tmp_path_factory.mktemp("m3") / "tiny-m3.gguf", "tiny", chat_template=template
    )


@pytest.fixture(scope="module")
def official() -> str:
    pytest.importorskip("jinja2", reason="jinja2 renders the official template")
    return official_template()


@pytest.fixture
def make_m3(llama: Any, m3_gguf: Path) -> Iterator[Any]:
    made: list[LocalBackend] = []

    def make(model: Path = m3_gguf, **overrides: Any) -> LocalBackend:
        backend = LocalBackend.from_settings(local_settings(model, **overrides))
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()


def answer_calls(messages: list[Message], message: AssistantMessage) -> None:
    messages.append(message)
    for call in message.tool_calls:
        messages.append(
            ToolMessage(tool_call_id=call.id, name=call.name, content=f"{call.name}: nothing here")
        )


def test_the_architecture_picks_the_m3_dialect(make_m3: Any) -> None:
    backend = make_m3()
    assert backend.model.meta("general.architecture") == "minimax-m3"
    assert backend.dialect.name == "m3"
    assert backend.template == dialect_named("m3").default_template()


def test_the_first_prompt_is_the_official_rendering(
    make_m3: Any, official: str, tmp_path: Path
) -> None:
    model = write_tiny_m3_model(tmp_path / "official.gguf", chat_template=official)
    backend = make_m3(model, **CONSTRAINED)
    assert backend.template == official
    ours, wire = first_turn()
    expected = hf_render(official, wire, TOOLS, add_generation_prompt=True, thinking_mode="enabled")
    _, finish, usage = run_step(backend, ours, tools=TOOLS)
    assert finish.request == expected
    assert usage.prompt_tokens == len(backend.model.tokenize(expected))
    # The special tokens are single tokens, as in the real vocabulary.
    for special in ("]~!b[", "]~b]", "[e~[", "<mm:think>"):
        assert len(backend.model.tokenize(special)) == 1


def test_a_step_generates_a_call_that_parses(make_m3: Any) -> None:
    from tools import default_tools

    tools = default_tools(read_only=True).specs()
    backend = make_m3(**CONSTRAINED)
    _, finish, usage = run_step(backend, conversation(), tools=tools)
    assert finish.reason == "tool_calls"
    message = finish.message
    assert message.tool_calls
    names = {t.name for t in tools}
    assert all(call.name in names for call in message.tool_calls)
    # The raw output is the M3 syntax: the namespace token and the reasoning close as text.
    assert "]<]minimax[>[<tool_call>" in (message.raw or "")
    assert "</mm:think>" in (message.raw or "")
    assert usage.completion_tokens > 0


def test_each_step_evaluates_only_what_it_adds(make_m3: Any) -> None:
    from tools import default_tools

    tools = default_tools(read_only=True).specs()
    backend = make_m3(**CONSTRAINED)
    messages = conversation()
    previous = None
    for step in range(3):
        _, finish, usage = run_step(backend, messages, tools=tools)
        assert finish.reason == "tool_calls"
        assert usage.extra["spliced_turns"] == step
        if previous is not None:
            added = usage.prompt_tokens - previous.prompt_tokens - previous.completion_tokens
            assert added > 0
            assert usage.extra["tokens_evaluated"] == added
            assert usage.cached_tokens == previous.prompt_tokens + previous.completion_tokens
        previous = usage
        answer_calls(messages, finish.message)
    # M3 keeps the reasoning of every past turn: a new user message changes nothing before it,
    # so the whole conversation held stays cached (M2's template drops it and re-evaluates).
    messages.append(UserMessage(content="Now something else."))
    _, _, usage = run_step(backend, messages, tools=tools)
    assert previous is not None
    assert usage.cached_tokens == previous.prompt_tokens + previous.completion_tokens
    assert usage.extra["tokens_evaluated"] == usage.prompt_tokens - usage.cached_tokens
