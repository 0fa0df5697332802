"""Three small wire fixes, over real HTTP against the fake server: `min_p: 0` for the presets
that take it, llama-server's `timings` read into Usage, and `--trace` recording the request of
a step that failed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from minimax_agent.agent import Agent, Hooks, Tee
from minimax_agent.backends import Request
from minimax_agent.events import Usage
from minimax_agent.messages import UserMessage
from minimax_agent.session.trace import TraceWriter
from tests.backends.conftest import KEY, BackendFactory, ServerFactory
from tests.conftest import make_repo
from tests.fakes.openai_server import Fault, Scripted, Turn
from tools import default_tools
from tools.approval import ApprovalPolicy
from tools.modes import ApprovalMode
from tools.workspace import Workspace

# What llama-server (tools/server/server-common.cpp, server_slot_stats::to_json) puts on the
# last chunk of a stream: 30 prompt tokens evaluated, 90 taken from its cache.
TIMINGS = {
    "cache_n": 90,
    "prompt_n": 30,
    "prompt_ms": 12.5,
    "prompt_per_token_ms": 0.41,
    "prompt_per_second": 2400.0,
    "predicted_n": 7,
    "predicted_ms": 70.0,
    "predicted_per_token_ms": 10.0,
    "predicted_per_second": 100.0,
}
REPLY = [{"reasoning_content": "Short.\n"}, {"content": "Done."}]


@pytest.mark.parametrize(
    ("preset", "sent"),
    [
        ("llamacpp-server", True),
        ("vllm", True),
        ("sglang", True),
        ("openrouter", False),
        ("minimax", False),
        ("nvidia", False),
        ("openai", False),
    ],
)
def test_min_p_zero_goes_to_the_presets_that_take_it(
    preset: str, sent: bool, fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    server = fake_server("vllm-parser")
    server.add(Scripted(REPLY))
    backend = backend_for(server, preset)
    list(backend.stream(Request(messages=[UserMessage(content="hi")])))
    body = server.chat_requests[0].body
    if sent:
        assert body["min_p"] == 0
    else:
        assert "min_p" not in body


def usage_of(server: Any, backend: Any) -> Usage:
    events = list(backend.stream(Request(messages=[UserMessage(content="hi")])))
    (usage,) = [e for e in events if isinstance(e, Usage)]
    return usage


def test_llama_server_timings_fill_usage_when_it_sends_none(
    fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    server = fake_server("vllm-parser")
    server.add(Scripted(REPLY, final={"timings": TIMINGS}))  # no `usage` chunk at all
    usage = usage_of(server, backend_for(server, "llamacpp-server"))
    # usage.prompt_tokens in llama-server is n_prompt_tokens: evaluated plus cached
    assert (usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens) == (120, 7, 90)
    assert usage.extra["tokens_evaluated"] == 30
    assert (usage.extra["prefill_tps"], usage.extra["decode_tps"]) == (2400.0, 100.0)


def test_llama_server_usage_wins_and_timings_add_the_tokens_evaluated(
    fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    server = fake_server("vllm-parser")
    usage = {
        "completion_tokens": 7,
        "prompt_tokens": 120,
        "total_tokens": 127,
        "prompt_tokens_details": {"cached_tokens": 90},
    }
    # as llama-server sends them with include_usage: timings ride on the usage chunk's line
    server.add(Scripted(REPLY, final={"timings": TIMINGS}, usage=usage))
    got = usage_of(server, backend_for(server, "llamacpp-server"))
    assert (got.prompt_tokens, got.completion_tokens, got.cached_tokens) == (120, 7, 90)
    assert got.extra["tokens_evaluated"] == 30


class Quiet(Hooks):
    """Shows nothing, approves nothing (the defaults)."""


def traced_run(
    tmp_path: Path, fake_server: ServerFactory, backend_for: BackendFactory, *replies: Any
) -> list[dict[str, Any]]:
    server = fake_server("vllm-parser")
    server.add(*replies)
    backend = backend_for(server, "vllm", max_retries=0)
    trace = tmp_path / "trace.jsonl"
    writer = TraceWriter(trace)
    agent = Agent(
        backend,
        default_tools(),
        Workspace(make_repo(tmp_path / "repo", {"a.txt": "one\n"})),
        ApprovalPolicy(ApprovalMode.READ_ONLY, interactive=False),
        Tee(Quiet(), writer),
        system_prompt="test",
    )
    result = agent.run("what does a.txt say?")
    writer.close()
    assert result.status == "backend_error"
    return [json.loads(line) for line in trace.read_text().splitlines()]


def test_trace_keeps_the_request_of_a_step_the_server_refused(
    tmp_path: Path, fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    (record,) = traced_run(tmp_path, fake_server, backend_for, Fault(400, "bad request"))
    assert "bad request" in record["error"]
    assert record["message"] is None
    request = record["request"]
    assert request["messages"][-1] == {"role": "user", "content": "what does a.txt say?"}
    assert request["model"] == "MiniMax-M2.1" and request["tools"]
    assert KEY not in json.dumps(record)


def test_trace_keeps_the_request_of_a_step_that_broke_mid_stream(
    tmp_path: Path, fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    broken = Turn(reasoning="thinking about it", text="partial answer", error_at=4)
    (record,) = traced_run(tmp_path, fake_server, backend_for, broken)
    assert "already started streaming" in record["error"]
    assert record["events"]  # what came before the failure
    assert record["request"]["messages"][-1]["content"] == "what does a.txt say?"


@pytest.mark.parametrize("preset", ["vllm", "llamacpp-server", "openrouter"])
def test_another_backends_turn_carries_its_reasoning_in_both_field_names(
    preset: str, fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    """A turn the local backend wrote (a resumed session) has no server field to go back in:
    vLLM and OpenRouter read `reasoning`, llama-server and the official template
    `reasoning_content`, so it is sent in both (with the raw text the model wrote)."""
    from minimax_agent.messages import AssistantMessage, ToolMessage
    from minimax_agent.messages import ToolCall as CallRecord

    server = fake_server("vllm-parser")
    server.add(Scripted(REPLY))
    earlier = AssistantMessage(
        content="Looking.",
        reasoning="Read the file first.",
        tool_calls=[CallRecord(id="c1", name="read_file", arguments={"path": "a.txt"})],
        raw="Read the file first.\n</think>\n\nLooking.\n<minimax:tool_call>…",
    )
    history = [
        UserMessage(content="fix it"),
        earlier,
        ToolMessage(tool_call_id="c1", name="read_file", content="x"),
    ]
    list(backend_for(server, preset).stream(Request(messages=history)))
    (sent,) = [m for m in server.chat_requests[0].body["messages"] if m["role"] == "assistant"]
    assert sent["reasoning"] == sent["reasoning_content"] == "Read the file first."
    assert sent["content"] == "Looking."
    assert json.loads(sent["tool_calls"][0]["function"]["arguments"]) == {"path": "a.txt"}
