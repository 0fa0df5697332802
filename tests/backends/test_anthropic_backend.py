"""The Anthropic backend against the fake Messages API server (real HTTP): events and the turn
as it enters history, usage with the cache figures, count_tokens, errors; and how the
settings choose it (presets, `--api`, a bare `--base-url`, doctor)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from minimax_agent.backends import backend_spec
from minimax_agent.backends.anthropic.backend import AnthropicBackend
from minimax_agent.backends.anthropic.wire import api_url, wire_messages
from minimax_agent.backends.base import Request
from minimax_agent.config import Settings
from minimax_agent.errors import BackendError, ContextOverflowError
from minimax_agent.events import Finish, ReasoningDelta, TextDelta, ToolCall, Usage
from minimax_agent.messages import AssistantMessage, SystemMessage, ToolMessage, UserMessage
from minimax_agent.providers import PRESETS, Provider, endpoint_api, guess_provider
from minimax_agent.trust import RESTRICTED
from tests.backends.conftest import KEY
from tests.fakes.anthropic_server import SIGNATURE, FakeAnthropicServer, Fault, Reply, Thinking
from tests.fakes.anthropic_server import ToolUse as Use
from tools.spec import ToolSpec

READ = ToolSpec(
    name="read_file",
    description="Read a file.",
    parameters={
        "type": "object",
        "properties": {"path": {"type": "string"}, "limit": {"type": "integer"}},
        "required": ["path"],
    },
)
ASK = [SystemMessage(content="You are terse."), UserMessage(content="read a")]


@pytest.fixture
def server() -> Iterator[FakeAnthropicServer]:
    with FakeAnthropicServer(api_key=KEY) as fake:
        yield fake


def backend(server: FakeAnthropicServer, preset: str = "minimax-anthropic") -> AnthropicBackend:
    provider = Provider(preset, server.url, PRESETS[preset], KEY, "MINIMAX_API_KEY")
    return AnthropicBackend(provider, model="MiniMax-M2.1", retry_backoff_s=0.01)


def run(server: FakeAnthropicServer, *replies: Reply | Fault) -> list[Any]:
    server.add(*replies)
    made = backend(server)
    try:
        return list(made.stream(Request(list(ASK), [READ])))
    finally:
        made.close()


def test_events_come_in_order_and_the_blocks_are_kept_as_they_came(
    server: FakeAnthropicServer,
) -> None:
    # the input's JSON is cut every 3 characters and `limit` comes as the string "5"
    events = run(
        server,
        Reply([Thinking("Look first."), "Reading.", Use("read_file", {"path": "a", "limit": "5"})]),
    )
    kinds = [type(e) for e in events]
    assert kinds[0] is ReasoningDelta and TextDelta in kinds
    assert kinds[-3:] == [ToolCall, Usage, Finish]
    call, usage, finish = events[-3:]
    assert call.arguments == {"path": "a", "limit": 5} and call.error is None  # typed
    assert finish.reason == "tool_calls"
    message = finish.message
    assert (message.reasoning, message.content) == ("Look first.", "Reading.")
    assert message.provider_fields["anthropic_content"] == server.sent[0]
    # history keeps the input as sent, the string included
    assert message.provider_fields["anthropic_content"][2]["input"]["limit"] == "5"
    assert usage == Usage(
        prompt_tokens=1240,
        completion_tokens=30,
        cached_tokens=1000,
        extra={"cache_creation_tokens": 200, "uncached_input_tokens": 40},
    )


def test_usage_sent_only_at_the_end_and_a_max_tokens_stop(server: FakeAnthropicServer) -> None:
    events = run(server, Reply(["cut"], usage_at_start=False, stop_reason="max_tokens"))
    usage, finish = events[-2:]
    assert usage.prompt_tokens == 1240 and usage.completion_tokens == 30
    assert finish.reason == "length"


def test_bad_tool_json_goes_back_to_the_model_as_an_error(server: FakeAnthropicServer) -> None:
    events = run(server, Reply([Use("read_file", {}, raw_json='{"path": "a", ')]))
    (call,) = [e for e in events if isinstance(e, ToolCall)]
    assert call.error and "not valid JSON" in call.error
    assert events[-1].message.provider_fields["anthropic_content"][0]["input"] == {}


def test_an_overflow_is_a_context_overflow(server: FakeAnthropicServer) -> None:
    with pytest.raises(ContextOverflowError):
        run(server, Fault(400, "prompt is too long: 250000 tokens > 204800 maximum"))


def test_overloaded_every_time_gives_up_with_one_line(server: FakeAnthropicServer) -> None:
    with pytest.raises(BackendError, match=r"HTTP 529 .*Overloaded.*gave up after 5 attempts"):
        run(server, *[Fault(529, "Overloaded")] * 5)


def test_a_cut_stream_says_what_was_missing(server: FakeAnthropicServer) -> None:
    with pytest.raises(BackendError, match="no message_stop"):
        run(server, *[Reply(["x"], cut_after=2)] * 5)


def test_count_tokens_is_used_where_offered_and_asked_once_per_prompt(
    server: FakeAnthropicServer,
) -> None:
    made = backend(server)
    first = made.count_tokens(ASK, [READ])
    assert isinstance(first, int) and first > 0
    assert made.count_tokens(ASK, [READ]) == first
    assert len(server.count_requests) == 1
    body = server.count_requests[0].body
    assert set(body) == {"model", "system", "messages", "tools"}
    assert server.count_requests[0].headers["x-api-key"] == KEY
    made.close()


def test_without_count_tokens_the_backend_estimates() -> None:
    with FakeAnthropicServer(api_key=KEY, count_tokens=False) as fake:
        made = backend(fake)
        assert made.count_tokens(ASK, [READ]) is None
        assert made.count_tokens(ASK, []) is None
        assert len(fake.count_requests) == 1  # a 404 once: not asked again
        made.close()


def test_the_key_is_a_secret_and_bearer_auth_for_modelslab() -> None:
    with FakeAnthropicServer(api_key=KEY, auth="bearer", prefix="/api/v7/llm") as fake:
        fake.add(Reply(["ok"]))
        made = backend(fake, "modelslab-anthropic")
        assert KEY in made.secrets() and made.name == "anthropic:modelslab-anthropic"
        events = list(made.stream(Request(list(ASK), [])))
        made.close()
    assert events[-1].message.content == "ok"
    (request,) = fake.message_requests
    assert request.path == "/api/v7/llm/v1/messages"
    assert request.headers["authorization"] == f"Bearer {KEY}"


def test_turns_from_another_backend_are_rebuilt_as_blocks() -> None:
    other = AssistantMessage(
        content="Reading.",
        reasoning="Look.",
        tool_calls=[ToolCall("c1", "read_file", {"path": "a"})],
    )
    tool = ToolMessage(tool_call_id="c1", name="read_file", content="", is_error=True)
    turns = wire_messages([*ASK, other, tool, UserMessage(content="go on")])
    assert [t["role"] for t in turns] == ["user", "assistant", "user"]
    assert turns[1]["content"] == [
        {"type": "thinking", "thinking": "Look.", "signature": ""},
        {"type": "text", "text": "Reading."},
        {"type": "tool_use", "id": "c1", "name": "read_file", "input": {"path": "a"}},
    ]
    # the result and the user's note are one user turn; an empty result has no content
    assert turns[2]["content"] == [
        {"type": "tool_result", "tool_use_id": "c1", "is_error": True},
        {"type": "text", "text": "go on"},
    ]


def test_an_echoed_turn_is_never_changed_by_the_request() -> None:
    blocks = [{"type": "thinking", "thinking": "t", "signature": SIGNATURE}]
    message = AssistantMessage(provider_fields={"anthropic_content": blocks})
    sent = wire_messages([UserMessage(content="q"), message])
    sent[1]["content"][0]["extra"] = 1
    assert blocks == [{"type": "thinking", "thinking": "t", "signature": SIGNATURE}]


def test_urls_presets_and_how_the_settings_choose_the_api() -> None:
    assert api_url("https://api.minimax.io/anthropic", "messages") == (
        "https://api.minimax.io/anthropic/v1/messages"
    )
    assert api_url("http://gw:4000/v1/", "models") == "http://gw:4000/v1/models"
    assert PRESETS["minimax-anthropic"].base_url == "https://api.minimax.io/anthropic"
    assert PRESETS["modelslab-anthropic"].api_key_env == "MODELSLAB_API_KEY"
    assert guess_provider("https://api.minimax.io/anthropic") == "minimax-anthropic"
    assert guess_provider("https://api.minimax.io/v1") == "minimax"
    assert guess_provider("https://modelslab.com/api/v7/llm", "anthropic") == "modelslab-anthropic"
    assert guess_provider("http://10.0.0.5:4000", "anthropic") == "anthropic"
    cases = {
        "minimax-anthropic": {"provider": "minimax-anthropic"},
        "anthropic": {"base_url": "https://api.minimax.io/anthropic"},
        "openai": {"provider": "minimax"},
    }
    for api, given in cases.items():
        settings = Settings(**given)
        assert endpoint_api(settings) == ("openai" if api == "openai" else "anthropic")
    assert backend_spec(Settings(provider="minimax-anthropic")) == "anthropic"
    assert backend_spec(Settings(base_url="http://gw:4000", api="anthropic")) == "anthropic"
    assert backend_spec(Settings(provider="vllm")) == "openai"
    assert "api" in RESTRICTED  # an untrusted project may not switch it


def test_backend_anthropic_names_a_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    from minimax_agent.backends import load_backend

    monkeypatch.setenv("MODELSLAB_API_KEY", KEY)
    made = load_backend(Settings(backend="anthropic:modelslab"))
    try:
        assert isinstance(made, AnthropicBackend) and made.provider.config.api == "anthropic"
        assert made.transport.chat_url == "https://modelslab.com/api/v7/llm/v1/messages"
    finally:
        made.close()


def test_doctor_checks_the_messages_api_models_path(
    server: FakeAnthropicServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from minimax_agent.doctor import check_endpoint, wants_endpoint

    monkeypatch.setenv("MINIMAX_API_KEY", KEY)
    settings = Settings(provider="minimax-anthropic", base_url=server.url)
    check = check_endpoint(settings, wants_endpoint(settings))
    assert check.status == "ok" and check.data["url"] == f"{server.url}/v1/models"
    assert check.data["status"] == 200


def test_the_context_is_measured_with_count_tokens(server: FakeAnthropicServer) -> None:
    from minimax_agent.session.compaction import ContextKeeper

    made = backend(server)
    keeper = ContextKeeper(made, made.context_window)
    measure = keeper.measure(ASK, [READ])
    assert not measure.estimated and measure.window == 196608
    assert measure.tokens == made.count_tokens(ASK, [READ])
    made.close()
