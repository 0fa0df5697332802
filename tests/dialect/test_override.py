"""`--dialect` overrides the format the GGUF architecture or model name picks; `--thinking` sets
M3's thinking_mode and is refused for M2 (which always reasons); both are settings a project
file may set, and flags every model-talking command takes."""

from __future__ import annotations

from pathlib import Path

import pytest

from minimax_agent.config import load_settings
from minimax_agent.dialect import REGISTRY, choose_dialect, dialect_named
from minimax_agent.errors import ConfigError


def test_the_override_wins_over_the_architecture_and_the_name() -> None:
    assert choose_dialect("minimax-m2", dialect="m3") is dialect_named("m3")
    assert choose_dialect(model_name="MiniMax-M3", dialect="m2") is dialect_named("m2")
    assert choose_dialect(model_name="house-alias", dialect="m3") is dialect_named("m3")
    # without one, the registry's choice as before
    assert choose_dialect("minimax-m3") is dialect_named("m3")
    assert choose_dialect(model_name="house-alias") is dialect_named("m2")


def test_an_unknown_dialect_is_a_config_error_naming_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=f"unknown dialect 'm9'; known: {', '.join(REGISTRY)}"):
        choose_dialect("minimax-m2", dialect="m9")


@pytest.mark.parametrize("mode", ["enabled", "disabled", "adaptive"])
def test_thinking_sets_m3s_mode_and_its_generation_prompt(mode: str) -> None:
    dialect = choose_dialect("minimax-m3", thinking=mode)
    assert dialect.name == "m3" and dialect.thinking_mode == mode
    ends = {"enabled": "<mm:think>", "disabled": "</mm:think>", "adaptive": "]~b]ai\n"}
    assert dialect.generation_prompt.endswith(ends[mode])
    assert choose_dialect(model_name="x", dialect="m3", thinking=mode).thinking_mode == mode


def test_m2_takes_thinking_enabled_only() -> None:
    """M2's template has no thinking_mode and every turn reasons: `enabled` is what it does,
    anything else would be silently ignored, so it is refused."""
    m2 = dialect_named("m2")
    assert m2.thinking_mode is None
    assert choose_dialect("minimax-m2", thinking="enabled") is m2
    for mode in ("disabled", "adaptive"):
        with pytest.raises(ConfigError, match=f"--thinking {mode}: MiniMax-M2.x has no thinking"):
            choose_dialect("minimax-m2", thinking=mode)


def test_the_layout_facts_the_echo_reads() -> None:
    m2, m3 = dialect_named("m2"), dialect_named("m3")
    assert m2.around_reasoning == ("\n", "\n") and m3.around_reasoning == ("", "")
    assert m2.write_argument(1.5) == "1.5" and m2.write_argument({"a": 1}) == '{"a": 1}'
    assert m2.write_argument("x") == "x"
    ns = "]<]minimax[>["
    assert m3.write_argument({"a": [1, True], "b": None, "c": "s"}) == (
        f"{ns}<a>{ns}<item>1{ns}</item>{ns}<item>true{ns}</item>{ns}</a>{ns}<c>s{ns}</c>"
    )


def test_settings_take_both_and_an_untrusted_project_may_set_them(tmp_path: Path) -> None:
    flags = load_settings(tmp_path, dialect="m3", thinking="adaptive").generation
    assert (flags.dialect, flags.thinking) == ("m3", "adaptive")
    (tmp_path / ".minimax-agent.toml").write_text('dialect = "m3"\nthinking = "disabled"\n')
    project = load_settings(tmp_path)
    assert project.ignored_project_keys == []
    assert (project.generation.dialect, project.generation.thinking) == ("m3", "disabled")
    with pytest.raises(ConfigError):
        load_settings(tmp_path, thinking="sometimes")


def test_fix_session_and_doctor_declare_the_flags_once() -> None:
    from minimax_agent.cli import flags

    for group in (flags.EndpointFlags, flags.SessionFlags):
        names = [p.name for p in flags.spread(group)]
        assert names.count("dialect") == 1 and names.count("thinking") == 1
    assert flags.EndpointFlags(dialect="m3", thinking=flags.ThinkingChoice.ADAPTIVE).settings()[
        "thinking"
    ] == ("adaptive")
