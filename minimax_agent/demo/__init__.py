"""What `minimax-agent demo` and `--backend demo` ship: an example repository and a script.

- `repo/`: a Python module with a bug (`total()` charges the discount instead of taking it
  off) and the unittest tests that show it (`python3 -m unittest -v`, no pytest needed);
- `script.json`: the scripted backend's steps for fixing it: read the module, run the tests,
  edit the line, run the tests again, answer.

Package data, shipped in the wheel with the code. `copy_example` makes a git repository of
the example (so the run gets checkpoints and undo); nothing here prints.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from minimax_agent.errors import WorkspaceError

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "script.json"
EXAMPLE = HERE / "repo"
# what the script fixes: the file it edits, and the line before and after
EDITED_FILE = "prices.py"
BUGGY_LINE = "    return round(subtotal * discount, 2)"
FIXED_LINE = "    return round(subtotal * (1 - discount), 2)"
TASK = "The tests fail: find out why and fix prices.py."
TEST_COMMAND = "python3 -m unittest -v"

# a throwaway repository: its own identity, and none of the user's hooks or signing, which
# could prompt (a signing key's passphrase) or run code on the first commit
_GIT_IDENTITY = ("-c", "user.name=minimax-agent demo", "-c", "user.email=demo@example.invalid")
_GIT_QUIET = ("-c", "commit.gpgsign=false", "-c", f"core.hooksPath={os.devnull}")


def copy_example(dest: Path) -> Path:
    """Copy the example repository into `dest` (created, or an empty directory) and commit it
    in a new git repository there; returns `dest`. WorkspaceError when git cannot do it."""
    dest.mkdir(parents=True, exist_ok=True)
    if any(dest.iterdir()):
        raise WorkspaceError(f"{dest} is not empty: the demo copies its example into a new one")
    shutil.copytree(EXAMPLE, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    _git(dest, "init", "-q")
    # kept in the repository, so the agent's git_commit works there too
    _git(dest, "config", "user.name", "minimax-agent demo")
    _git(dest, "config", "user.email", "demo@example.invalid")
    _git(dest, "add", "-A")
    _git(dest, *_GIT_IDENTITY, *_GIT_QUIET, "commit", "-q", "--no-verify", "-m", "example")
    return dest


def _git(repo: Path, *args: str) -> None:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=repo,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=60,
        )
    except FileNotFoundError:
        raise WorkspaceError("the demo needs git (its undo works on git checkpoints)") from None
    except (OSError, subprocess.SubprocessError) as exc:
        raise WorkspaceError(f"git could not run in {repo}: {exc}") from None
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        raise WorkspaceError(f"git could not set up the demo repository in {repo}: {why}")
