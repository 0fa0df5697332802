"""The M2 family by short name on each cloud preset (`--model M2.5`): the id sent and the
context window, and what stays as it was (full ids, local servers, the default M2.1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from minimax_agent.backends import Request
from minimax_agent.backends.openai import OpenAIBackend
from minimax_agent.config import load_settings, user_config_file
from minimax_agent.errors import ConfigError
from minimax_agent.messages import UserMessage
from minimax_agent.providers import FAMILY_CONTEXT, MODEL_IDS, PRESETS, Provider
from tests.backends.conftest import BackendFactory, ServerFactory
from tests.fakes.openai_server import Turn

# preset, --model, the id sent, the context window reported
TABLE = [
    ("openrouter", "M2", "minimax/minimax-m2", 196608),
    ("openrouter", "M2.1", "minimax/minimax-m2.1", 196608),
    ("openrouter", "M2.5", "minimax/minimax-m2.5", 204800),
    ("openrouter", "m2.7", "minimax/minimax-m2.7", 204800),
    ("minimax", "M2", "MiniMax-M2", 196608),
    ("minimax", "M2.1", "MiniMax-M2.1", 196608),
    ("minimax", "M2.5", "MiniMax-M2.5", 204800),
    ("minimax", "M2.5-highspeed", "MiniMax-M2.5-highspeed", 204800),
    ("minimax", "M2.7", "MiniMax-M2.7", 204800),
    ("minimax", "M2.7-HIGHSPEED", "MiniMax-M2.7-highspeed", 204800),
    ("nvidia", "M2", "minimaxai/minimax-m2", 196608),
    ("nvidia", "M2.1", "minimaxai/minimax-m2.1", 196608),
    ("nvidia", "M2.5", "minimaxai/minimax-m2.5", 204800),
    ("nvidia", "M2.7", "minimaxai/minimax-m2.7", 204800),
    ("modelslab", "M2.1", "MiniMax-M2.1", 196608),
    # a full id goes as given, and a preset's table still knows its window
    ("openrouter", "minimax/minimax-m2.5", "minimax/minimax-m2.5", 204800),
    ("minimax", "MiniMax-M2.7-highspeed", "MiniMax-M2.7-highspeed", 204800),
    ("nvidia", "minimaxai/minimax-m2.7", "minimaxai/minimax-m2.7", 204800),
    # no --model: each preset's own default, M2.1, unchanged
    ("openrouter", None, "minimax/minimax-m2.1", 196608),
    ("minimax", None, "MiniMax-M2.1", 196608),
    ("nvidia", None, "minimaxai/minimax-m2.1", 196608),
    ("modelslab", None, "MiniMax-M2.1", 196608),
]


def offline(preset: str, model: str | None) -> OpenAIBackend:
    # Nothing is sent: the id and a known window come from the tables alone.
    provider = Provider(preset, "http://127.0.0.1:9/v1", PRESETS[preset], "k", None)
    return OpenAIBackend(provider, model=model)


@pytest.mark.parametrize(("preset", "name", "wire", "window"), TABLE)
def test_a_model_name_maps_to_the_presets_id_and_window(
    preset: str, name: str | None, wire: str, window: int
) -> None:
    backend = offline(preset, name)
    assert (backend.model, backend.context_window) == (wire, window)
    backend.close()


def test_every_table_entry_is_a_family_member_and_every_preset_exists() -> None:
    assert set(MODEL_IDS) <= set(PRESETS)
    for ids in MODEL_IDS.values():
        assert set(ids) <= set(FAMILY_CONTEXT)
        assert ids["M2.1"] in {PRESETS[p].model for p in MODEL_IDS}  # the default is listed


@pytest.mark.parametrize(
    ("preset", "name"),
    [("nvidia", "M2.5-highspeed"), ("openrouter", "m2.7-highspeed"), ("modelslab", "M2.5")],
)
def test_a_family_name_a_preset_has_no_id_for_is_a_clear_error(preset: str, name: str) -> None:
    with pytest.raises(ConfigError, match=rf"{preset} has no known id for M2\.\d-?\w*; known"):
        offline(preset, name)


def test_other_names_and_local_servers_go_as_given() -> None:
    # Exactly what was sent before: a full name the preset does not list, and short names to
    # servers whose model names are their own.
    assert offline("openrouter", "MiniMax-M2.1").model == "MiniMax-M2.1"
    assert offline("openrouter", "MiniMax-M2.1").context_window is None  # asked of /models
    for preset in ("vllm", "sglang", "llamacpp-server", "openai"):
        assert offline(preset, "M2.5").model == "M2.5"


def test_a_config_table_may_name_the_model_by_its_short_name(
    isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-test")
    user_config_file().parent.mkdir(parents=True, exist_ok=True)
    user_config_file().write_text('[providers.openrouter]\nmodel = "M2.5"\n')
    settings = load_settings(tmp_path, provider="openrouter")
    backend = OpenAIBackend.from_settings(settings)
    assert (backend.model, backend.context_window) == ("minimax/minimax-m2.5", 204800)
    backend.close()


def test_the_mapped_id_is_what_the_server_gets(
    fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    server = fake_server("openrouter", models=["minimax/minimax-m2.5"])
    server.add(Turn(reasoning="Fine.", text="Done."))
    backend = backend_for(server, model="M2.5")
    request = Request(messages=[UserMessage(content="a")], tools=[], max_tokens=64)
    list(backend.stream(request))
    assert server.chat_requests[0].body["model"] == "minimax/minimax-m2.5"
