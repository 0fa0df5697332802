"""`minimax-agent demo` and `--backend demo` end to end: the real CLI (in process through
CliRunner, stdin not a terminal, a decoy HOME), the shipped script on the real agent loop, the
example's real unittest run inside the real sandbox, and the real undo."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from minimax_agent.demo import BUGGY_LINE, EDITED_FILE, FIXED_LINE, TASK, copy_example
from minimax_agent.session.store import list_sessions
from tests.conftest import RunCli, git
from tools.sandbox import availability

needs_sandbox = pytest.mark.skipif(
    not availability().available, reason=f"no sandbox here: {availability().reason}"
)


@pytest.fixture
def temp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the demo's temporary copy goes (tempfile's directory, for this test only)."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def copy_named(stdout: str) -> Path:
    found = re.search(r"example repository in (\S+)", stdout)
    assert found, stdout
    return Path(found[1])


def no_traceback_of_ours(proc: subprocess.CompletedProcess[str]) -> None:
    # the example's failing unittest prints one Traceback in its output: that is the demo
    assert "minimax_agent" not in proc.stderr, proc.stderr


@needs_sandbox
def test_demo_fixes_the_test_then_undoes_the_fix_and_removes_its_copy(
    invoke_cli: RunCli, temp_root: Path, isolated_home: Path
) -> None:
    proc = invoke_cli("demo")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    copy = copy_named(out)
    assert copy.parent == temp_root
    # the tests ran in the copy, failing before the edit and passing after it
    assert "test_no_discount (test_prices.TotalTest.test_no_discount) ... FAIL" in out
    assert "FAILED (failures=2)" in out and out.index("FAILED (failures=2)") < out.index(
        "edited prices.py"
    )
    assert "test_no_discount (test_prices.TotalTest.test_no_discount) ... ok" in out
    assert out.index("edited prices.py") < out.rindex("\n  │ OK")
    # each call was asked about, and granted with a note, since stdin is not a terminal
    assert out.count("approved by the demo itself: stdin is not a terminal") == 3
    assert f"+{FIXED_LINE}" in out  # the edit's preview
    # then undone, through the checkpoint taken before the edit
    assert "undone to checkpoint" in out and "(before step 3: edit_file prices.py)" in out
    assert f"{EDITED_FILE} has its old line again: {BUGGY_LINE.strip()}" in out
    assert "5. undo: restored prices.py" in out
    assert "minimax-agent --provider openrouter" in out and "minimax-agent setup" in out
    assert "demo --keep" in out
    # nothing left behind: neither the copy nor a session pointing at it
    assert not copy.exists() and list(temp_root.glob("minimax-agent-demo-*")) == []
    assert list_sessions(None) == []
    no_traceback_of_ours(proc)


@needs_sandbox
def test_demo_keep_leaves_the_copy_as_it_was_with_its_session(
    invoke_cli: RunCli, temp_root: Path, isolated_home: Path
) -> None:
    proc = invoke_cli("demo", "--keep")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    copy = copy_named(proc.stdout)
    assert f"The example repository is kept in {copy}" in proc.stdout
    assert f"minimax-agent --backend demo -C {copy}" in proc.stdout
    # the undo put the file back byte for byte: git sees no change against the example commit
    assert BUGGY_LINE in (copy / EDITED_FILE).read_text()
    assert git(copy, "status", "--porcelain") == ""
    (session,) = list_sessions(copy)
    listed = invoke_cli("sessions", "show", session.id)
    assert listed.returncode == 0, listed.stderr
    assert "edited prices.py" in listed.stdout and "[undo]" in listed.stdout
    checkpoints = invoke_cli("undo", "--list", "-C", str(copy))
    # the undo went back to before the edit: the checkpoints from it on are spent
    assert "before step 2: run_command python3 -m unittest -v" in checkpoints.stdout
    assert "before step 3" not in checkpoints.stdout


@needs_sandbox
def test_backend_demo_replays_the_script_through_fix(invoke_cli: RunCli, tmp_path: Path) -> None:
    copy = copy_example(tmp_path / "copy")
    proc = invoke_cli("fix", TASK, "-C", str(copy), "--backend", "demo")
    assert proc.returncode == 0, proc.stderr
    assert "both tests in test_prices.py pass" in proc.stdout
    assert FIXED_LINE in (copy / EDITED_FILE).read_text()
    tests = subprocess.run(
        [sys.executable, "-m", "unittest", "-q"], cwd=copy, capture_output=True, text=True
    )
    assert tests.returncode == 0, tests.stderr
    assert invoke_cli("undo", "-C", str(copy)).returncode == 0
    assert git(copy, "status", "--porcelain") == ""


def test_the_example_fails_its_own_tests_as_shipped(tmp_path: Path) -> None:
    copy = copy_example(tmp_path / "copy")
    tests = subprocess.run(
        [sys.executable, "-m", "unittest", "-v"], cwd=copy, capture_output=True, text=True
    )
    assert tests.returncode == 1 and "FAILED (failures=2)" in tests.stderr
    assert git(copy, "log", "--format=%s") == "example\n"
    assert git(copy, "status", "--porcelain") == ""  # __pycache__ is ignored


def test_demo_without_bwrap_refuses_in_one_line_and_leaves_nothing(
    invoke_cli: RunCli, temp_root: Path, tmp_path: Path
) -> None:
    bin_dir = tmp_path / "bin"  # git, but no bwrap
    bin_dir.mkdir()
    git_path = shutil.which("git")
    assert git_path
    (bin_dir / "git").symlink_to(git_path)
    proc = invoke_cli("demo", env={"PATH": str(bin_dir)})
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "minimax-agent: error: cannot sandbox commands: bwrap was not found on PATH; "
        "install bubblewrap (apt-get install bubblewrap) or pass --sandbox off"
    ]
    assert list(temp_root.glob("minimax-agent-demo-*")) == []
    assert list_sessions(None) == []


def test_backend_demo_takes_no_file(invoke_cli: RunCli, tmp_path: Path) -> None:
    copy = copy_example(tmp_path / "copy")
    proc = invoke_cli("fix", TASK, "-C", str(copy), "--backend", "demo:x.json")
    assert proc.returncode == 2
    assert "--backend demo takes no file" in proc.stderr and "scripted:x.json" in proc.stderr


def test_the_demo_runs_none_of_the_users_hooks_or_servers(
    invoke_cli: RunCli, isolated_home: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "ran.marker"
    config = isolated_home / ".config" / "minimax-agent" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        f'[[hooks.PreToolUse]]\nhooks = [{{ command = "touch {marker}" }}]\n'
        f'[mcp_servers.slow]\ncommand = "touch"\nargs = ["{marker}"]\n'
    )
    proc = invoke_cli("demo")
    assert proc.returncode == 0, proc.stderr
    assert not marker.exists()
