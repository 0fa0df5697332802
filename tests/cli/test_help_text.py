"""How `--help` and usage errors read: switches without a value type, arguments as NAME in the
usage line, one `--model` in fix, and a word after a root switch explained (typer through
CliRunner; the fast interactive start hands such a line to typer, so both answer alike)."""

from __future__ import annotations

import re

import pytest

from minimax_agent.cli import fast_start
from minimax_agent.cli.command import usage_piece
from tests.conftest import RunCli

WIDE = {"COLUMNS": "200"}


def option_row(help_text: str, name: str) -> str:
    """The help table's row of option `name` (the line where it starts)."""
    (row,) = [line for line in help_text.splitlines() if re.search(rf"│ {name}\b", line)]
    return row


@pytest.mark.parametrize(
    ("args", "switches"),
    [
        ([], ["--continue", "--trust-project", "--verbose", "--help"]),
        (["fix"], ["--continue", "--show-reasoning", "--help"]),
        (["review"], ["--uncommitted", "--quiet", "--help"]),
        (["models", "tiny"], ["--force"]),
    ],
)
def test_a_switch_shows_no_value_type(invoke_cli: RunCli, args: list[str], switches: str) -> None:
    shown = invoke_cli(*args, "--help", env=WIDE)
    assert shown.returncode == 0, shown.stderr
    assert "<bool>" not in shown.stdout
    for switch in switches:
        row = option_row(shown.stdout, switch)
        assert "<" not in row, row
    # an option that takes a value still says which
    assert "<str>" in shown.stdout or "<path>" in shown.stdout


def test_usage_names_arguments_as_click_does(invoke_cli: RunCli) -> None:
    fix = invoke_cli("fix", "--help", env=WIDE).stdout
    assert "fix [OPTIONS] [TASK]" in fix and "{task}" not in fix
    plan = invoke_cli("models", "plan", "--help", env=WIDE).stdout
    assert "plan [OPTIONS] [FILE]" in plan
    assert usage_piece("{task}") == "TASK"
    assert usage_piece("[file]...") == "[FILE]..."
    assert usage_piece("[OPTIONS]") == "[OPTIONS]"
    assert usage_piece("COMMAND [ARGS]...") == "COMMAND [ARGS]..."


def test_fix_lists_model_once(invoke_cli: RunCli) -> None:
    fix = invoke_cli("fix", "--help", env=WIDE).stdout
    assert len(re.findall(r"│ --model\b", fix)) == 1


@pytest.mark.parametrize("spelling", ["--continue", "-c"])
def test_a_value_after_continue_is_explained(invoke_cli: RunCli, spelling: str) -> None:
    argv = [spelling, "true"]
    assert fast_start.parse(argv) is None  # the fast start leaves it to typer
    shown = invoke_cli(*argv, env=WIDE)
    assert shown.returncode == 2
    assert "No such command" not in shown.stderr
    text = " ".join(shown.stderr.replace("│", " ").split())
    assert "a switch takes no value, so 'true' was read as a command" in text
    assert f'fix {spelling} "TASK"' in text


def test_a_root_only_switch_gets_no_fix_hint(invoke_cli: RunCli) -> None:
    shown = invoke_cli("--verbose", "yes", env=WIDE)
    text = " ".join(shown.stderr.replace("│", " ").split())
    assert shown.returncode == 2
    assert "a switch takes no value, so 'yes' was read as a command" in text
    assert "fix" not in text


def test_a_mistyped_command_is_still_no_such_command(invoke_cli: RunCli) -> None:
    shown = invoke_cli("fixx", env=WIDE)
    assert shown.returncode == 2 and "No such command 'fixx'" in shown.stderr
