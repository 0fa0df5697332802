"""Flags, usage errors and exit codes, in process through typer's CliRunner (no subprocess:
these need no terminal, signal or fresh interpreter), and the fast interactive start read
against typer's own reading of the same declarations."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from minimax_agent.cli import fast_start, flags
from minimax_agent.cli.app import app
from minimax_agent.cli.command import command
from minimax_agent.errors import ExitCode
from tests.conftest import make_repo

CALC = "def add(a, b):\n    return a - b\n"


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_exit_codes_are_an_int_enum() -> None:
    assert [int(c) for c in ExitCode] == [0, 1, 2, 3, 130]
    assert f"{ExitCode.USAGE}" == "2" and ExitCode.BACKEND == 3


def test_fix_usage_errors_exit_2(tmp_path: Path, isolated_home: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"calc.py": CALC})
    missing = invoke("fix", "x", "-C", str(repo), "--backend", "scripted:/nonexistent.json")
    assert missing.exit_code == 2 and "script file not found" in missing.stderr
    assert missing.stderr.startswith("minimax-agent: error: ")
    bad_dir = invoke("fix", "x", "-C", str(tmp_path / "nope"), "--backend", "scripted:x")
    assert bad_dir.exit_code == 2 and "not a directory" in bad_dir.stderr
    empty = invoke("fix", "  ", "-C", str(repo), "--backend", "scripted:x")
    assert empty.exit_code == 2 and "the task is empty" in empty.stderr
    bad_flag = invoke("fix", "x", "--approval", "sometimes")
    assert bad_flag.exit_code == 2
    (repo / ".minimax-agent.toml").write_text("max_steps = 'many'\n")
    bad_config = invoke("fix", "x", "-C", str(repo), "--backend", "scripted:x")
    assert bad_config.exit_code == 2 and "max_steps" in bad_config.stderr
    no_backend = invoke("fix", "x", "-C", str(tmp_path))
    assert no_backend.exit_code == 2 and "backend" in no_backend.stderr
    (repo / ".minimax-agent.toml").unlink()
    trace_dir = invoke("fix", "x", "-C", str(repo), "--backend", "scripted:x", "--trace", str(repo))
    assert trace_dir.exit_code == 2 and "cannot write the trace" in trace_dir.stderr
    for result in (missing, bad_dir, empty, bad_config, no_backend, trace_dir):
        assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["fix", "x", "--n-ctx", "12"],  # below the minimum of 256
        ["fix", "x", "--kv-type", "q2"],
        ["fix", "x", "--output-format", "xml"],
        ["fix"],  # no task
        ["review", "--max-steps", "0"],
        ["doctor", "--threads", "0"],
        ["--no-such-flag"],
        ["sessions", "list", "--all", "extra"],
    ],
)
def test_bad_flags_exit_2(args: list[str], isolated_home: Path) -> None:
    assert invoke(*args).exit_code == ExitCode.USAGE


def test_a_command_error_is_one_line_with_its_exit_code(isolated_home: Path) -> None:
    shown = invoke("sessions", "show", "nope")
    assert shown.exit_code == 2
    assert (
        shown.stderr
        == "minimax-agent: error: no session 'nope'; see `minimax-agent sessions list`\n"
    )


def test_every_local_flag_reaches_every_command_that_loads_a_model() -> None:
    """One declaration (flags.LocalFlags), the same option and help text everywhere."""
    local = [p.name for p in flags.spread(flags.LocalFlags)]
    expected = {"--n-ctx", "--gpu-layers", "--cpu-moe", "--kv-type", "--threads"}
    for args in (["--help"], ["fix", "--help"], ["doctor", "--help"]):
        text = CliRunner().invoke(app, args, env={"COLUMNS": "300"}).stdout
        assert expected <= {w for w in text.split() if w.startswith("--")}, args
        assert "Context size in tokens (default: the model's maximum that fits in memory)." in text
    assert len(local) == 8


def test_doctor_takes_the_same_endpoint_flags_as_fix() -> None:
    def options(args: list[str]) -> dict[str, str]:
        text = CliRunner().invoke(app, args, env={"COLUMNS": "300"}).stdout
        return {
            line.split()[1]: " ".join(line.split()[2:])
            for line in text.splitlines()
            if line.split()[1:2] and line.split()[1].startswith("--")
        }

    fix, doctor = options(["fix", "--help"]), options(["doctor", "--help"])
    for flag in ("--backend", "--provider", "--base-url", "--model", "--api-key-env", "--n-ctx"):
        assert doctor[flag] == fix[flag], flag


def test_a_group_is_spread_into_flags_and_gathered_back() -> None:
    seen: dict[str, Any] = {}

    @command
    def probe(*, local: flags.LocalFlags, safety: flags.SafetyFlags) -> None:
        seen.update(local=local, safety=safety)

    names = list(inspect.signature(probe).parameters)
    assert names[:2] == ["n_ctx", "gpu_layers"] and "pass_env" in names
    tiny = typer.Typer()
    tiny.command()(probe)
    tiny.command("other")(probe)  # two commands: typer keeps the command name
    result = CliRunner().invoke(tiny, ["probe", "--n-ctx", "512", "--pass-env", "A"])
    assert result.exit_code == 0, result.output
    assert seen["local"].n_ctx == 512 and seen["safety"].pass_env == ["A"]
    assert seen["local"].settings()["kv_type"] is None


TYPER_CASES = [
    [],
    ["--backend", "scripted:s.json"],
    ["-C", "work", "-c", "--model", "m.gguf", "--approval", "full-auto"],
    ["--directory=work", "--resume", "abc", "--provider", "openrouter", "--api-key-env", "K"],
    ["--base-url", "http://h/v1", "--n-ctx", "4096", "--gpu-layers", "-1", "--cpu-moe", "all"],
    ["--flash-attn", "--no-constrain-tools", "--kv-type", "q8_0", "--threads", "4"],
    ["--chat-template", "t.jinja", "--sandbox", "read-only", "--no-sandbox-network"],
    ["--trust-project", "--pass-env", "A", "--pass-env", "B", "--model", "x", "--model", "y"],
]
FALLBACK_CASES = [
    ["--help"],
    ["-v"],
    ["fix", "x"],
    ["--n-ctx", "12"],  # typer explains the minimum
    ["--approval", "sometimes"],
    ["-Cwork"],
    ["--backend"],
    ["--backend", "--model"],
    ["--flash-attn=yes"],
]


def typer_reading(argv: list[str]) -> flags.SessionFlags:
    """What typer makes of `argv` for the root command: its parameters, gathered as the
    command wrapper gathers them."""
    from typer.main import get_command

    ctx = get_command(app).make_context("minimax-agent", list(argv), resilient_parsing=False)
    values = {k: v for k, v in ctx.params.items() if k not in ("version", "verbose")}
    session = flags.gather(flags.SessionFlags, values)
    assert isinstance(session, flags.SessionFlags)
    return session


@pytest.mark.parametrize("argv", TYPER_CASES)
def test_the_fast_start_reads_the_flags_as_typer_does(argv: list[str]) -> None:
    fast = fast_start.parse(argv)
    assert fast is not None
    slow = typer_reading(argv)
    assert fast.settings() == slow.settings()
    assert (fast.directory, fast.continue_latest, fast.resume) == (
        slow.directory,
        slow.continue_latest,
        slow.resume,
    )


@pytest.mark.parametrize("argv", FALLBACK_CASES)
def test_the_fast_start_leaves_the_rest_to_typer(argv: list[str]) -> None:
    assert fast_start.parse(argv) is None
