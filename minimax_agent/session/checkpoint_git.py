"""The git plumbing under checkpoints: one way to run git against the user's repository.

Every call gets the agent's own committer identity (a user without `user.name` must still get
checkpoints), never runs the repository's hooks, never prompts, and ignores a `GIT_DIR`,
`GIT_WORK_TREE` or `GIT_INDEX_FILE` in the caller's environment unless the caller passes an
index on purpose: checkpoints must never write to the user's index.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from minimax_agent.errors import CheckpointError

GIT_TIMEOUT_S = 120
_IDENTITY = {
    "GIT_AUTHOR_NAME": "minimax-agent",
    "GIT_AUTHOR_EMAIL": "minimax-agent@localhost",
    "GIT_COMMITTER_NAME": "minimax-agent",
    "GIT_COMMITTER_EMAIL": "minimax-agent@localhost",
}


def index_env(index: Path | None) -> dict[str, str]:
    return {"GIT_INDEX_FILE": str(index)} if index else {}


def run_git(
    cwd: Path, *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> str:
    full_env = {**os.environ, **_IDENTITY, "GIT_TERMINAL_PROMPT": "0", **(env or {})}
    full_env.pop("GIT_DIR", None)
    full_env.pop("GIT_WORK_TREE", None)
    if "GIT_INDEX_FILE" not in (env or {}):
        full_env.pop("GIT_INDEX_FILE", None)
    try:
        proc = subprocess.run(
            ["git", "-c", "core.hooksPath=/dev/null", *args],
            cwd=cwd,
            env=full_env,
            input=stdin,
            capture_output=True,
            # file names are bytes to git: keep undecodable ones intact, both ways
            encoding="utf-8",
            errors="surrogateescape",
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise CheckpointError(f"git {args[0]} failed: {exc}") from None
    if proc.returncode != 0:
        raise CheckpointError(f"git {args[0]} failed: {proc.stderr.strip() or proc.returncode}")
    return proc.stdout


def prune_empty_dirs(directory: Path, top: Path) -> None:
    """Remove `directory` and its parents below `top` while they are empty."""
    while directory != top and top in directory.parents:
        try:
            directory.rmdir()
        except OSError:
            return
        directory = directory.parent
