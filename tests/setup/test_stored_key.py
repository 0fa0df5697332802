"""The key file `setup` writes: private whatever the umask, read after the environment, and a
secret from the moment it is read (redacted by every output, like a key from the environment)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from minimax_agent import redact
from minimax_agent.config import load_settings
from minimax_agent.keys import credentials_file
from minimax_agent.providers import resolve_provider
from minimax_agent.setup.store import store_key
from tests.setup.conftest import KEY


def test_the_key_file_is_private_even_with_an_open_umask(home: Path) -> None:
    old = os.umask(0)
    try:
        path = store_key("OPENROUTER_API_KEY", KEY)
    finally:
        os.umask(old)
    assert path == credentials_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0


def test_a_stored_key_is_used_after_the_environment_and_redacted(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = KEY + "-stored"
    store_key("OPENROUTER_API_KEY", stored)
    provider = resolve_provider(load_settings(tmp_path, provider="openrouter"))
    assert provider.api_key == stored and stored not in repr(provider)
    assert stored not in redact.current().text(f"the key is {stored}")
    monkeypatch.setenv("OPENROUTER_API_KEY", KEY)
    assert resolve_provider(load_settings(tmp_path, provider="openrouter")).api_key == KEY


def test_a_key_with_control_characters_is_refused(home: Path) -> None:
    from minimax_agent.errors import ConfigError

    with pytest.raises(ConfigError, match="control characters"):
        store_key("OPENROUTER_API_KEY", "sk-abc\ndef")
    assert not credentials_file().exists()
