"""Provider presets and config tables, and the request body each provider gets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from minimax_agent.backends import load_backend
from minimax_agent.backends.openai import OpenAIBackend
from minimax_agent.backends.openai.wire import build_body, headers, wire_messages, with_key
from minimax_agent.config import load_settings, user_config_file
from minimax_agent.errors import ConfigError
from minimax_agent.messages import (
    AssistantMessage,
    SystemMessage,
    ToolCall,
    ToolMessage,
    ToolSpec,
    UserMessage,
)
from minimax_agent.providers import PRESETS, guess_provider, resolve_provider

TOOL = ToolSpec(name="read_file", description="Read.", parameters={"type": "object"})
NO_KEYS = (
    "OPENROUTER_API_KEY",
    "MINIMAX_API_KEY",
    "NVIDIA_API_KEY",
    "MODELSLAB_API_KEY",
    "OPENAI_API_KEY",
    "VLLM_API_KEY",
    "MY_KEY",
)


@pytest.fixture
def clean_env(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in NO_KEYS:
        monkeypatch.delenv(var, raising=False)
    return isolated_home


def settings(tmp_path: Path, toml: str = "", **flags: object):  # type: ignore[no-untyped-def]
    if toml:
        (tmp_path / ".minimax-agent.toml").write_text(toml)
    return load_settings(tmp_path, **flags)


def test_every_preset_of_the_issue_exists_with_its_local_default() -> None:
    assert set(PRESETS) == {
        "openrouter",
        "minimax",
        "nvidia",
        "modelslab",
        "vllm",
        "sglang",
        "llamacpp-server",
        "openai",
        # the Messages API (issue 17)
        "minimax-anthropic",
        "modelslab-anthropic",
        "anthropic",
    }
    assert PRESETS["vllm"].base_url == "http://localhost:8000/v1"
    assert PRESETS["sglang"].base_url == "http://localhost:30000/v1"
    assert PRESETS["llamacpp-server"].base_url == "http://localhost:8080/v1"
    assert PRESETS["nvidia"].base_url == "https://integrate.api.nvidia.com/v1"


def test_remote_preset_needs_its_key_from_the_environment(
    clean_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigError, match="OPENROUTER_API_KEY"):
        resolve_provider(settings(tmp_path, provider="openrouter"))
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-123")
    provider = resolve_provider(settings(tmp_path, provider="openrouter"))
    assert provider.api_key == "sk-or-123"
    assert provider.base_url == "https://openrouter.ai/api/v1"
    assert "sk-or-123" not in repr(provider)


def test_api_key_env_names_another_variable(
    clean_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigError, match="MY_KEY"):
        resolve_provider(settings(tmp_path, provider="nvidia", api_key_env="MY_KEY"))
    monkeypatch.setenv("MY_KEY", "nvapi-1")
    assert resolve_provider(
        settings(tmp_path, provider="nvidia", api_key_env="MY_KEY")
    ).api_key == ("nvapi-1")


def test_a_bare_base_url_gets_its_hosts_preset_or_the_generic_one(clean_env: Path) -> None:
    assert guess_provider("https://openrouter.ai/api/v1") == "openrouter"
    assert guess_provider("https://api.minimaxi.com/v1") == "minimax"
    assert guess_provider("http://10.0.0.5:8000/v1") == "openai"
    assert guess_provider("https://evil-openrouter.ai.example.com/v1") == "openai"


def test_local_preset_without_key_is_fine_and_base_url_overrides(
    clean_env: Path, tmp_path: Path
) -> None:
    provider = resolve_provider(settings(tmp_path, provider="vllm", base_url="http://gpu:9000/v1/"))
    assert (provider.base_url, provider.api_key) == ("http://gpu:9000/v1", None)


def test_config_table_overrides_a_preset_and_defines_a_new_provider(
    clean_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toml = """
[providers.openrouter]
headers = { "HTTP-Referer" = "https://example.com/app" }
extra_body = { provider = { sort = "throughput" } }

[providers.mycluster]
base_url = "https://llm.internal/v1"
api_key_env = "MY_KEY"
api_key_required = true
model = "minimax-m2.1-fp8"
top_k = true
"""
    monkeypatch.setenv("OPENROUTER_API_KEY", "k1")
    monkeypatch.setenv("MY_KEY", "k2")
    # the user's config.toml: a project file may not set where a key goes (tests/trust/)
    user_config_file().parent.mkdir(parents=True, exist_ok=True)
    user_config_file().write_text(toml)
    toml = ""
    router = resolve_provider(settings(tmp_path, toml, provider="openrouter"))
    assert router.config.headers == {
        "X-Title": "minimax-agent",
        "HTTP-Referer": "https://example.com/app",
    }
    assert router.config.extra_body["reasoning"] == {"enabled": True}
    assert router.config.extra_body["provider"] == {"sort": "throughput"}
    mine = resolve_provider(settings(tmp_path, toml, provider="mycluster"))
    assert (mine.base_url, mine.api_key, mine.config.model) == (
        "https://llm.internal/v1",
        "k2",
        "minimax-m2.1-fp8",
    )
    with pytest.raises(ConfigError, match=r"unknown provider 'nope'.*mycluster"):
        resolve_provider(settings(tmp_path, toml, provider="nope"))


def test_a_bad_provider_table_is_a_config_error(clean_env: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="providers"):
        settings(tmp_path, "[providers.x]\nbase_ulr = 'http://a'\n")


def test_load_backend_picks_openai_when_a_provider_or_url_is_set(
    clean_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = load_backend(settings(tmp_path, base_url="http://127.0.0.1:1/v1", model="m"))
    assert isinstance(backend, OpenAIBackend) and backend.name == "openai:openai"
    monkeypatch.setenv("MINIMAX_API_KEY", "k")
    backend = load_backend(settings(tmp_path, backend="openai:minimax"))
    assert isinstance(backend, OpenAIBackend) and backend.model == "MiniMax-M2.1"


# -- request bodies -------------------------------------------------------------------------


def body_for(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **flags: object) -> dict:  # type: ignore[type-arg]
    monkeypatch.setenv(PRESETS[name].api_key_env or "OPENAI_API_KEY", "sk-1")
    provider = resolve_provider(settings(tmp_path, provider=name, **flags))
    body = build_body(
        provider,
        "M",
        [UserMessage(content="hi")],
        [TOOL],
        max_tokens=512,
        temperature=1.0,
        top_p=0.95,
        top_k=40,
    )
    return with_key(provider, body) | {"_headers": headers(provider, "ua")}


def test_openrouter_body_has_reasoning_usage_and_top_k(
    clean_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = body_for("openrouter", tmp_path, monkeypatch)
    assert body["reasoning"] == {"enabled": True} and body["usage"] == {"include": True}
    assert (body["temperature"], body["top_p"], body["top_k"], body["max_tokens"]) == (
        1.0,
        0.95,
        40,
        512,
    )
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["tools"][0]["function"]["name"] == "read_file"
    assert body["_headers"]["Authorization"] == "Bearer sk-1"
    assert body["_headers"]["X-Title"] == "minimax-agent"


def test_minimax_body_asks_for_reasoning_split_and_has_no_top_k(
    clean_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = body_for("minimax", tmp_path, monkeypatch)
    assert body["reasoning_split"] is True
    assert "top_k" not in body and body["max_completion_tokens"] == 512


def test_modelslab_gets_its_current_and_its_older_form_at_once(
    clean_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = body_for("modelslab", tmp_path, monkeypatch)
    assert body["model"] == body["model_id"] == "M" and body["key"] == "sk-1"
    assert body["_headers"]["Authorization"] == "Bearer sk-1"


def test_generic_openai_gets_no_top_k(
    clean_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = body_for("openai", tmp_path, monkeypatch, base_url="https://api.example.com/v1")
    assert "top_k" not in body and body["model"] == "M"


def test_turns_from_other_backends_go_out_in_the_common_fields() -> None:
    messages = [
        SystemMessage(content="sys"),
        UserMessage(content="u"),
        AssistantMessage(
            content="",
            reasoning="think",
            raw="think\n</think>\n\n<minimax:tool_call>…",
            tool_calls=[ToolCall(id="c1", name="read_file", arguments={"limit": 5})],
        ),
        ToolMessage(tool_call_id="c1", name="read_file", content="ok"),
    ]
    wire = wire_messages(messages)
    assert wire[2] == {
        "role": "assistant",
        "content": None,
        "reasoning_content": "think",
        "reasoning": "think",  # vLLM and OpenRouter read this name
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "read_file", "arguments": json.dumps({"limit": 5})},
            }
        ],
    }
    assert wire[3] == {"role": "tool", "tool_call_id": "c1", "content": "ok"}


def test_inline_think_with_native_tool_calls_goes_back_with_both() -> None:
    from minimax_agent.backends.openai.assemble import TurnAssembler

    turn = TurnAssembler([TOOL])
    content = "<think>\nplan\n</think>\n\nReading."
    call = {"index": 0, "id": "call_1", "type": "function"}
    for delta in (
        {"content": content[:9]},
        {"content": content[9:]},
        {"tool_calls": [{**call, "function": {"name": "read_file", "arguments": '{"a": 1}'}}]},
    ):
        turn.feed({"choices": [{"index": 0, "delta": delta}]})
    turn.feed({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
    _, message = turn.finish()
    assert message.provider_fields["dialect"] == "inline"
    assert wire_messages([message]) == [
        {
            "role": "assistant",
            "content": content,
            "tool_calls": [
                {
                    **{k: v for k, v in call.items() if k != "index"},
                    "function": {"name": "read_file", "arguments": '{"a": 1}'},
                }
            ],
        }
    ]
