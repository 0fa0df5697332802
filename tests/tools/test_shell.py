"""run_command: exit codes, closed stdin, timeouts that kill the whole group, capped output.

Timeouts here are hang guards only; no test asserts how long something took.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.tools.conftest import ok
from tools.process import COMMAND_OUTPUT_CHARS
from tools.shell import run_command
from tools.workspace import Workspace

pytestmark = pytest.mark.timeout(60)


def _running(pid: int) -> bool:
    """Whether `pid` still runs; a zombie (dead, not yet reaped by init) does not count."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def test_output_and_exit_code(ws: Workspace) -> None:
    assert ok(run_command, ws, command="echo hello") == "hello\nexit code: 0"
    assert ok(run_command, ws, command="echo oops >&2; exit 3") == "oops\nexit code: 3"
    assert ok(run_command, ws, command="true") == "(no output)\nexit code: 0"


def test_runs_in_the_workspace_root(ws: Workspace) -> None:
    assert ok(run_command, ws, command="pwd").splitlines()[0] == str(ws.root)


def test_stdin_is_closed(ws: Workspace) -> None:
    assert ok(run_command, ws, command="read x; echo got=$x", timeout_s=30).splitlines() == [
        "got=",
        "exit code: 0",
    ]
    assert "timed out" not in ok(run_command, ws, command="cat", timeout_s=30)


def test_timeout_kills_background_grandchildren(ws: Workspace) -> None:
    command = "(sleep 3; touch marker) & echo $! > bg.pid; sleep 100"
    out = ok(run_command, ws, command=command, timeout_s=1)
    assert "timed out after 1s" in out
    assert "exit code: -15 (killed by SIGTERM)" in out
    grandchild = int((ws.root / "bg.pid").read_text())
    assert not _running(grandchild)
    # had the subshell survived, it would have created the marker by now
    time.sleep(4)
    assert not (ws.root / "marker").exists()


def test_background_job_does_not_hang_the_call(ws: Workspace) -> None:
    # the background sleep keeps the output pipe open after bash exits
    out = ok(run_command, ws, command="sleep 100 & echo $! > bg.pid; echo started", timeout_s=30)
    assert out == "started\nexit code: 0"
    assert not _running(int((ws.root / "bg.pid").read_text()))


def test_term_resistant_process_is_killed(ws: Workspace) -> None:
    command = "trap '' TERM; echo $$ > me.pid; sleep 100 & wait"
    out = ok(run_command, ws, command=command, timeout_s=1)
    assert "timed out" in out
    assert "SIGKILL" in out
    assert not _running(int((ws.root / "me.pid").read_text()))


def test_huge_output_keeps_head_and_tail(ws: Workspace) -> None:
    command = "echo FIRST; seq 1 2000000; echo LAST"
    out = ok(run_command, ws, command=command, timeout_s=120)
    assert out.startswith("FIRST\n1\n2\n")
    assert out.endswith("2000000\nLAST\nexit code: 0")
    assert "command output truncated" in out
    assert len(out) < COMMAND_OUTPUT_CHARS + 500


def test_medium_output_is_capped_by_cap_text(ws: Workspace) -> None:
    out = ok(run_command, ws, command="seq 1 8000", timeout_s=60)
    assert out.startswith("1\n2\n")
    assert out.endswith("8000\nexit code: 0")
    assert "truncated" in out
    assert len(out) < COMMAND_OUTPUT_CHARS + 500


def test_invalid_utf8_output_does_not_fail(ws: Workspace) -> None:
    out = ok(run_command, ws, command=r"printf 'a\xffb\n'")
    assert out.startswith("a\ufffdb")


def test_bad_timeout_is_rejected(ws: Workspace) -> None:
    result = run_command.run(ws, {"command": "true", "timeout_s": 0})
    assert result.is_error and "timeout_s" in result.content


def test_environment_has_no_pager(ws: Workspace) -> None:
    assert ok(run_command, ws, command="echo $PAGER").startswith("cat\n")


def test_the_run_wall_time_limit_stops_a_command_before_its_own_timeout(ws: Workspace) -> None:
    ws.deadline = time.monotonic() + 1
    out = ok(run_command, ws, command="sleep 100", timeout_s=600)
    assert "by the run's wall-time limit; the command and its children were killed" in out
    ws.deadline = time.monotonic() + 3600  # far off: the command's own timeout applies
    assert "timed out after 1s" in ok(run_command, ws, command="sleep 100", timeout_s=1)


def test_a_workspace_without_a_command_env_still_hides_secrets(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the run normally sets ws.command_env; a caller that forgets must not leak our keys
    assert ws.command_env is None
    monkeypatch.setenv("DECOY_SERVICE_TOKEN", "decoy-token-value-1234")
    monkeypatch.setenv("DECOY_PLAIN", "plain-value")
    out = ok(run_command, ws, command="env")
    assert "decoy-token-value-1234" not in out
    assert "DECOY_PLAIN=plain-value" in out
