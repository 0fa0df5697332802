"""An M3 endpoint whose server has no M3 tool parser leaves the markup in `content`: the backend
reads it with the M3 dialect (chosen by the model's name, or by `--dialect`), and the echoed
request re-renders the turn as the model generated it (ARCHITECTURE.md, "Fidelity"), checked
with the project's M3 template and, where the sdist is here, the official one."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest

from minimax_agent.backends import Request
from minimax_agent.backends.openai import OpenAIBackend
from minimax_agent.dialect import dialect_named
from minimax_agent.errors import ConfigError
from minimax_agent.events import Event, Finish, ToolCall
from minimax_agent.messages import Message, SystemMessage, ToolMessage, UserMessage
from tests.backends.conftest import BackendFactory, ServerFactory, provider_for
from tests.dialect.m3.test_render import TOOLS, hf_render, official_template
from tests.fakes.openai_server import Scripted, Turn

NS = "]<]minimax[>["
CALLS = (
    f"{NS}<tool_call>\n"
    f'{NS}<invoke name="read_file">{NS}<path>a.py{NS}</path>{NS}<limit>20{NS}</limit>{NS}</invoke>\n'
    f'{NS}<invoke name="edit">{NS}<edits>{NS}<item>{NS}<path>b.py{NS}</path>{NS}<old>x = 1'
    f"{NS}</old>{NS}</item>{NS}</edits>{NS}<dry_run>true{NS}</dry_run>{NS}<scale>1.50"
    f"{NS}</scale>{NS}</invoke>\n"
    f"{NS}</tool_call>"
)
# What the model generated after the `<mm:think>` prompt (thinking enabled), as one content.
GENERATED = "<mm:think>Read a.py, then fix b.py.</mm:think>Let me look." + CALLS
DONE = Turn(text="Done.")


def ask(backend: OpenAIBackend, messages: list[Message]) -> list[Event]:
    return list(backend.stream(Request(messages=list(messages), tools=TOOLS, max_tokens=256)))


def conversation() -> list[Message]:
    return [SystemMessage(content="You are a coding agent."), UserMessage(content="Fix a.py")]


def run_two_steps(
    backend: OpenAIBackend, server: Any
) -> tuple[list[ToolCall], dict[str, Any], list[Message]]:
    messages = conversation()
    events = ask(backend, messages)
    calls = [e for e in events if isinstance(e, ToolCall)]
    final = events[-1]
    assert isinstance(final, Finish)
    messages.append(final.message)
    messages += [ToolMessage(tool_call_id=c.id, name=c.name, content="ok") for c in calls]
    ask(backend, messages)
    echoed = server.chat_requests[1].body["messages"][2]
    return calls, echoed, messages


def rendered(template: str, echoed: dict[str, Any]) -> str:
    """The server's side: the request parsed and rendered with the template."""
    echo = json.loads(json.dumps(echoed))
    for call in echo.get("tool_calls") or []:
        call["function"]["arguments"] = json.loads(call["function"]["arguments"])
    wire = [
        {"role": "system", "content": "You are a coding agent."},
        {"role": "user", "content": "Fix a.py"},
        echo,
    ]
    return hf_render(template, wire, TOOLS, thinking_mode="enabled")


def templates() -> list[str]:
    found = [dialect_named("m3").default_template()]
    # without the sdist, the project's template (which writes the same turns) alone
    with contextlib.suppress(pytest.skip.Exception):
        found.append(official_template())
    return found


def test_an_m3_model_leaving_markup_in_content_gives_typed_calls_and_an_exact_echo(
    fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    pytest.importorskip("jinja2")
    server = fake_server("vllm-inline", models=["MiniMax-M3"])
    server.add(Turn(raw_content=GENERATED), DONE)
    backend = backend_for(server, model="MiniMax-M3")
    calls, echoed, _ = run_two_steps(backend, server)
    assert [(c.name, c.arguments, c.error) for c in calls] == [
        ("read_file", {"path": "a.py", "limit": 20}, None),
        (
            "edit",
            {"edits": [{"path": "b.py", "old": "x = 1"}], "dry_run": True, "scale": 1.5},
            None,
        ),
    ]
    assert NS not in (echoed["content"] or "")  # the calls go back as tool_calls
    # `1.50` typed is 1.5, which the template would print as `1.5`: it goes back as written
    edit = json.loads(echoed["tool_calls"][1]["function"]["arguments"])
    assert edit["scale"] == "1.50" and edit["dry_run"] is True
    for template in templates():
        assert rendered(template, echoed).endswith("]~b]ai\n" + GENERATED + "[e~[\n")


def test_reasoning_in_its_own_field_keeps_its_last_newline_for_m3(
    fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    """M2's template writes `\\n` before `</think>`, so M2's echo drops the one a server keeps;
    M3's writes none, so a reasoning ending in a newline is the model's own and goes back."""
    pytest.importorskip("jinja2")
    server = fake_server("vllm-parser", models=["MiniMax-M3"])
    reasoning = "Read a.py first.\n"
    deltas = [{"reasoning_content": reasoning}, {"content": "Let me look." + CALLS}]
    server.add(Scripted(deltas=deltas), DONE)
    backend = backend_for(server, model="MiniMax-M3")
    calls, echoed, _ = run_two_steps(backend, server)
    assert [c.name for c in calls] == ["read_file", "edit"]
    assert echoed["reasoning_content"] == reasoning
    generated = f"<mm:think>{reasoning}</mm:think>Let me look." + CALLS
    for template in templates():
        assert rendered(template, echoed).endswith("]~b]ai\n" + generated + "[e~[\n")


def test_dialect_override_reads_m3_markup_from_a_model_with_another_name(
    fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    server = fake_server("vllm-inline", models=["house-model"])
    server.add(Turn(raw_content=GENERATED), Turn(raw_content=GENERATED))
    guessed = backend_for(server, model="house-model")  # the name says nothing: M2 is read
    assert [e for e in ask(guessed, conversation()) if isinstance(e, ToolCall)] == []
    told = backend_for(server, model="house-model", dialect="m3")
    assert told.dialect.name == "m3"
    assert [e.name for e in ask(told, conversation()) if isinstance(e, ToolCall)] == [
        "read_file",
        "edit",
    ]


def test_thinking_reaches_the_m3_dialect_and_is_refused_for_m2(
    fake_server: ServerFactory,
) -> None:
    server = fake_server("vllm-inline")
    provider = provider_for(server)
    m3 = OpenAIBackend(provider, model="MiniMax-M3", thinking="adaptive")
    assert m3.dialect.thinking_mode == "adaptive"
    m3.close()
    with pytest.raises(ConfigError, match=r"M2\.x has no thinking mode"):
        OpenAIBackend(provider, model="MiniMax-M2.5", thinking="disabled")
    with pytest.raises(ConfigError, match="unknown dialect 'm9'; known: m2, m3"):
        OpenAIBackend(provider, model="MiniMax-M3", dialect="m9")
