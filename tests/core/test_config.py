"""Settings layering: user file < project file < environment < flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from minimax_agent.config import load_settings, user_config_file
from minimax_agent.errors import ConfigError
from minimax_agent.modes import ApprovalMode


def test_layers_in_priority_order(
    isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = user_config_file()
    assert str(user).startswith(str(isolated_home))
    user.parent.mkdir(parents=True)
    user.write_text('max_steps = 5\nmax_tokens = 100\napproval = "read-only"\ntop_k = 7\n')
    project = tmp_path / "proj"
    project.mkdir()
    (project / ".minimax-agent.toml").write_text("max_steps = 9\nmax_tokens = 200\n")
    monkeypatch.setenv("MINIMAX_AGENT_MAX_TOKENS", "300")

    settings = load_settings(project, max_steps=None)
    assert settings.top_k == 7  # user file only
    assert settings.approval is ApprovalMode.READ_ONLY
    assert settings.max_steps == 9  # project beats user
    assert settings.max_tokens == 300  # environment beats project
    assert load_settings(project, max_tokens=400).max_tokens == 400  # flags beat everything


def test_defaults_follow_minimax_sampling(isolated_home: Path, tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert (settings.temperature, settings.top_p, settings.top_k) == (1.0, 0.95, 40)
    assert settings.approval is ApprovalMode.ASK


def test_bad_files_and_values_are_clear(isolated_home: Path, tmp_path: Path) -> None:
    (tmp_path / ".minimax-agent.toml").write_text("max_steps = [\n")
    with pytest.raises(ConfigError, match=r"cannot read .*\.minimax-agent\.toml"):
        load_settings(tmp_path)
    (tmp_path / ".minimax-agent.toml").write_text("max_stpes = 3\n")
    with pytest.raises(ConfigError, match="max_stpes"):
        load_settings(tmp_path)
    (tmp_path / ".minimax-agent.toml").write_text("")
    with pytest.raises(ConfigError, match="max_steps"):
        load_settings(tmp_path, max_steps=0)
