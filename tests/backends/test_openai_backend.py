"""The backend over real HTTP against the fake server: each endpoint's dialect sent back exactly,
usage, and every fault (retries that never duplicate events, one clear error otherwise)."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import pytest

from minimax_agent.backends import Request
from minimax_agent.backends.openai import OpenAIBackend
from minimax_agent.errors import BackendError, ConfigError, ContextOverflowError
from minimax_agent.events import Event, Finish, ReasoningDelta, TextDelta, ToolCall, Usage
from minimax_agent.messages import Message, ToolMessage, ToolSpec, UserMessage
from minimax_agent.providers import PRESETS, Provider
from tests.backends.conftest import BackendFactory, ServerFactory
from tests.fakes.openai_server import MODES, Call, Fault, Turn

TOOLS = [
    ToolSpec(
        name="read_file",
        description="Read a file.",
        parameters={
            "type": "object",
            "properties": {"path": {"type": "string"}, "limit": {"type": "integer"}},
            "required": ["path"],
        },
    )
]
READ = Turn(
    reasoning="The user wants a fix.\nFirst, <look> at a.py & its tests…",
    text="Let me read the file.",
    calls=[Call("read_file", {"path": "a.py", "limit": 5})],
)
DONE = Turn(reasoning="It is fine.", text="Nothing to change.")


def ask(backend: OpenAIBackend, messages: list[Message]) -> list[Event]:
    return list(backend.stream(Request(messages=list(messages), tools=TOOLS, max_tokens=256)))


def finish(events: list[Event]) -> Finish:
    assert isinstance(events[-1], Finish)
    return events[-1]


def joined(events: list[Event], kind: type) -> str:
    return "".join(e.text for e in events if isinstance(e, kind))


@pytest.mark.parametrize("mode", MODES)
def test_each_dialect_goes_back_exactly_as_it_came(
    mode: str, fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    server = fake_server(mode)
    server.add(READ, DONE)
    backend = backend_for(server)
    messages: list[Message] = [UserMessage(content="fix a.py")]
    events = ask(backend, messages)
    (call,) = [e for e in events if isinstance(e, ToolCall)]
    assert (call.name, call.arguments, call.error) == (
        "read_file",
        {"path": "a.py", "limit": 5},
        None,
    )
    assert joined(events, ReasoningDelta).strip("\n") == READ.reasoning
    assert joined(events, TextDelta).strip("\n") == READ.text
    usage = [e for e in events if isinstance(e, Usage)]
    assert usage and usage[0].prompt_tokens == 120 and usage[0].cached_tokens == 64
    assert usage[0].cost == (pytest.approx(0.00042) if mode == "openrouter" else None)
    message = finish(events).message
    assert message.reasoning.strip("\n") == READ.reasoning
    messages += [message, ToolMessage(tool_call_id=call.id, name=call.name, content="1: x = 1")]
    ask(backend, messages)

    sent = server.sent[0]
    echoed = server.chat_requests[1].body["messages"][1]
    tool_result = server.chat_requests[1].body["messages"][2]
    assert tool_result == {"role": "tool", "tool_call_id": call.id, "content": "1: x = 1"}
    if mode == "vllm-inline":
        # The raw content less the tool XML (and the newline the template writes before the
        # block), the calls as `tool_calls`: the template needs them before a tool message.
        xml = sent["content"].index("\n<minimax:tool_call>")
        assert echoed["content"] == sent["content"][:xml]
        (echo_call,) = echoed["tool_calls"]
        assert echo_call["id"] == call.id and echo_call["function"]["name"] == "read_file"
        assert json.loads(echo_call["function"]["arguments"]) == {"path": "a.py", "limit": 5}
        return
    assert echoed["tool_calls"] == sent["tool_calls"]
    assert call.id == sent["tool_calls"][0]["id"]
    # less the `\n\n` after </think> that the template writes again (tests/backends/
    # test_roundtrip.py checks each dialect against the official template)
    assert (echoed["content"] or "") == (sent["content"] or "").removeprefix("\n\n")
    if mode == "vllm-parser":
        assert echoed["reasoning_content"] == sent["reasoning_content"]
    elif mode == "modelslab":
        assert echoed["reasoning"] == sent["reasoning"]
    else:
        # Complete: text merged by index, signature and encrypted item with id/format/index.
        assert echoed["reasoning_details"] == sent["reasoning_details"]
        assert "reasoning" not in echoed


def test_a_json_reply_without_streaming_is_read_whole(
    fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    server = fake_server("openrouter")
    server.add(READ)
    backend = backend_for(server, quirks={"stream": False})
    events = ask(backend, [UserMessage(content="go")])
    assert server.chat_requests[0].body["stream"] is False
    assert "stream_options" not in server.chat_requests[0].body
    message = finish(events).message
    assert message.provider_fields["reasoning_details"] == server.sent[0]["reasoning_details"]
    assert [e.cost for e in events if isinstance(e, Usage)] == [pytest.approx(0.00042)]


def test_the_model_is_asked_of_the_server_when_none_is_named(
    fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    server = fake_server("vllm-parser", models=["served/minimax-m2.1"])
    server.add(DONE)
    backend = backend_for(server, model=None)
    ask(backend, [UserMessage(content="hi")])
    assert server.chat_requests[0].body["model"] == "served/minimax-m2.1"


# -- faults -------------------------------------------------------------------------------------


def test_429_with_retry_after_is_retried_and_honoured(
    fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    server = fake_server()
    server.add(Fault(429, "slow down", {"Retry-After": "1"}), DONE)
    started = time.monotonic()
    events = ask(backend_for(server), [UserMessage(content="hi")])
    assert time.monotonic() - started >= 0.9
    assert joined(events, TextDelta).strip() == DONE.text
    assert len(server.chat_requests) == 2


def test_5xx_is_retried_with_backoff_then_gives_up_with_one_line(
    fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    server = fake_server()
    server.add(Fault(500, "boom"), Fault(503, "busy"), DONE)
    assert (
        joined(ask(backend_for(server), [UserMessage(content="a")]), TextDelta).strip() == DONE.text
    )
    server.add(*[Fault(502, "bad gateway")] * 3)
    with pytest.raises(BackendError) as info:
        ask(backend_for(server, max_retries=2), [UserMessage(content="b")])
    assert "HTTP 502" in str(info.value) and "gave up after 3 attempts" in str(info.value)
    assert "\n" not in str(info.value)
    assert len(server.chat_requests) == 3 + 3


def test_a_retry_after_too_long_to_wait_gives_up_at_once(
    fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    server = fake_server()
    server.add(Fault(429, "quota", {"Retry-After": "3600"}))
    with pytest.raises(BackendError, match="wait 3600s"):
        ask(backend_for(server), [UserMessage(content="a")])
    assert len(server.chat_requests) == 1


@pytest.mark.parametrize("status", [401, 403])
def test_bad_key_says_check_your_api_key_and_is_not_retried(
    status: int, fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    server = fake_server("openrouter")
    server.add(Fault(status, "No auth credentials found"))
    with pytest.raises(BackendError, match="check your API key for openrouter") as info:
        ask(backend_for(server), [UserMessage(content="a")])
    assert info.value.exit_code == 3
    assert len(server.chat_requests) == 1


def test_unknown_model_lists_the_available_ones(
    fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    server = fake_server(models=["MiniMax-M2.1", "MiniMax-M2"])
    with pytest.raises(
        BackendError, match=r"'M3' is not served.*available: MiniMax-M2.1, MiniMax-M2"
    ):
        ask(backend_for(server, model="M3"), [UserMessage(content="a")])
    server.serve_models = False
    with pytest.raises(BackendError, match="HTTP 404"):
        ask(backend_for(server, model="M3"), [UserMessage(content="a")])


def test_context_overflow_is_its_own_error(
    fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    server = fake_server()
    message = (
        "This model's maximum context length is 196608 tokens. However, you requested 200000 "
        "tokens. Please reduce the length of the messages."
    )
    server.add(Fault(400, message), Fault(400, "temperature must be <= 2"))
    with pytest.raises(ContextOverflowError, match="maximum context length"):
        ask(backend_for(server), [UserMessage(content="a")])
    with pytest.raises(BackendError, match="refused the request: HTTP 400") as info:
        ask(backend_for(server), [UserMessage(content="a")])
    assert not isinstance(info.value, ContextOverflowError)
    assert len(server.chat_requests) == 2


@pytest.mark.parametrize(
    "broken",
    [
        Turn(text="lost", cut_after=1),  # ends cleanly after the role chunk: no finish, no [DONE]
        Turn(text="lost", cut_after=1, abrupt=True),  # the connection drops mid-body
        Turn(text="lost", garble_at=1),  # a chunk that is not JSON
    ],
    ids=["clean-cut", "dropped", "garbled"],
)
def test_a_broken_stream_before_any_event_is_retried_without_duplicates(
    broken: Turn, fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    server = fake_server("vllm-parser")
    server.add(broken, DONE)
    events = ask(backend_for(server), [UserMessage(content="a")])
    assert joined(events, TextDelta) == "\n\n" + DONE.text
    assert sum(isinstance(e, Finish) for e in events) == 1
    assert len(server.chat_requests) == 2


def test_a_stream_cut_after_events_were_yielded_is_a_clear_error_not_a_replay(
    fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    server = fake_server("vllm-parser")
    server.add(Turn(reasoning="a long thought " * 4, text="x", cut_after=6), DONE)
    seen: list[Event] = []
    with pytest.raises(BackendError, match=r"ended before the turn finished.*not retried"):
        for event in backend_for(server).stream(Request(messages=[UserMessage(content="a")])):
            seen.append(event)
    assert seen and all(isinstance(e, ReasoningDelta) for e in seen)
    assert len(server.chat_requests) == 1


def test_an_error_inside_the_stream_is_retried(
    fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    server = fake_server("openrouter")
    server.add(Turn(text="x", error_at=2), Turn(text="y", cut_after=1), DONE)
    events = ask(backend_for(server), [UserMessage(content="a")])
    assert joined(events, TextDelta) == DONE.text  # after an error chunk, then a comment only
    assert len(server.chat_requests) == 3
    server.add(Turn(text="x", error_at=2))
    with pytest.raises(BackendError, match="Provider returned error"):
        ask(backend_for(server, max_retries=0), [UserMessage(content="a")])


def test_a_read_timeout_is_retried(fake_server: ServerFactory, backend_for: BackendFactory) -> None:
    server = fake_server("vllm-parser")
    server.add(Turn(text="slow", delay_s=1.0), DONE)
    events = ask(backend_for(server, read_timeout_s=0.3), [UserMessage(content="a")])
    assert joined(events, TextDelta).strip() == DONE.text


def test_nothing_listening_is_retried_then_reported(backend_for: BackendFactory) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    provider = Provider("vllm", f"http://127.0.0.1:{port}/v1", PRESETS["vllm"], None, None)
    backend = OpenAIBackend(provider, model="m", max_retries=2, retry_backoff_s=0.01)
    with pytest.raises(BackendError, match=r"connection to .* failed.*gave up after 3 attempts"):
        ask(backend, [UserMessage(content="a")])


def test_closing_the_stream_closes_the_connection(
    fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    server = fake_server("vllm-parser")
    server.add(Turn(reasoning="r" * 400, text="t", delay_s=0.02))
    stream = backend_for(server).stream(Request(messages=[UserMessage(content="a")]))
    assert isinstance(next(stream), ReasoningDelta)
    stream.close()  # what Ctrl-C does to the generator on its way out
    deadline = time.monotonic() + 5
    while server.disconnects == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.disconnects == 1
    assert server.sent == []


def test_no_model_and_no_list_is_a_config_error(
    fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    server = fake_server(models=[])
    server.serve_models = False
    with pytest.raises(ConfigError, match="pass --model"):
        ask(backend_for(server, model=None), [UserMessage(content="a")])


def test_the_request_holds_the_sampling_defaults_and_no_secret(
    fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    server = fake_server("modelslab")
    server.add(DONE)
    events = ask(backend_for(server), [UserMessage(content="a")])
    body: dict[str, Any] = server.chat_requests[0].body
    assert (body["temperature"], body["top_p"], body["key"]) == (1.0, 0.95, server.api_key)
    assert server.chat_requests[0].headers["authorization"] == f"Bearer {server.api_key}"
    traced = finish(events).request
    assert "key" not in traced
    assert traced["model_id"] == traced["model"] == "MiniMax-M2.1"


def test_the_context_window_comes_from_the_preset_or_from_models(
    fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    server = fake_server("openrouter")
    assert backend_for(server, model=None).context_window == 196608  # M2.1 on its preset
    assert backend_for(server, model="MiniMax-M2.1").context_window is None  # not its model
    server.model_fields = {"context_length": 65536}
    assert backend_for(server, model="MiniMax-M2.1").context_window == 65536

    vllm = fake_server("vllm-parser")
    vllm.model_fields = {"max_model_len": 32768}
    backend = backend_for(vllm, model=None)
    assert (backend.model, backend.context_window) == ("MiniMax-M2.1", 32768)
    assert sum(r.path.endswith("/models") for r in vllm.requests) == 1  # asked once
    vllm.serve_models = False
    assert backend_for(vllm, model="other").context_window is None
