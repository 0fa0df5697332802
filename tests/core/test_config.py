"""Settings layering: user file < project file < environment < flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from minimax_agent.config import load_settings, user_config_file
from minimax_agent.errors import ConfigError
from tools.modes import ApprovalMode


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


def test_every_setting_is_in_exactly_one_section() -> None:
    import dataclasses

    from minimax_agent.config import Settings
    from minimax_agent.config_sections import SECTIONS

    placed = [f.name for cls in SECTIONS for f in dataclasses.fields(cls)]
    assert sorted(placed) == sorted(Settings.model_fields)  # none missing, none twice


def test_sections_are_frozen_views_of_the_flat_settings(
    isolated_home: Path, tmp_path: Path
) -> None:
    import dataclasses

    settings = load_settings(tmp_path, max_steps=7, n_ctx=4096, pass_env=["TERM"])
    assert settings.limits.max_steps == 7
    assert settings.local.n_ctx == 4096
    assert settings.generation.top_k == 40
    assert settings.endpoint.read_timeout_s == 120.0
    assert settings.safety.pass_env == ("TERM",)
    assert settings.safety.approval is ApprovalMode.ASK
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.limits.max_steps = 1  # type: ignore[misc]
    switched = settings.model_copy(update={"model": "other", "approval": ApprovalMode.FULL_AUTO})
    assert switched.generation.model == "other"
    assert switched.safety.approval is ApprovalMode.FULL_AUTO
    assert settings.generation.model is None
