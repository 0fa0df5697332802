"""The system prompt: who the agent is, facts about the workspace, and the project's AGENTS.md."""

from __future__ import annotations

import datetime
import platform
import subprocess
from collections.abc import Sequence
from pathlib import Path

from minimax_agent.session.memory import project_instructions

ROLE = """You are minimax-agent, a coding agent working in the user's repository through tools.
Work step by step: look before you change anything, make focused edits with edit_file, run the
project's tests or commands to check your work, and say plainly what you did when you finish.
If you stop without finishing the task (it is blocked, impossible, or needs the user), begin
your final answer with "NOT DONE:" and say why. Paths are relative to the workspace root. Never
try to leave the workspace."""


def _git_branch(root: Path) -> str | None:
    # A plain subprocess: importing GitPython here would slow every start.
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--abbrev-ref", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def system_prompt(root: Path, subdir: Path = Path("."), extra: Sequence[str] = ()) -> str:
    """`subdir`: where in the workspace the user started (named when it is not the root);
    `extra`: sections the extensions add (the skills' list), after the project's memory."""
    branch = _git_branch(root)
    facts = [f"Workspace root: {root}"]
    if subdir != Path("."):
        facts.append(
            f"Current directory: {subdir.as_posix()} (the user started here; the request "
            "is probably about it, but paths stay relative to the workspace root)"
        )
    facts += [
        f"Git: {'branch ' + branch if branch else 'not a git repository'}",
        f"Platform: {platform.system()} {platform.release()}",
        f"Date: {datetime.date.today().isoformat()}",
    ]
    parts = [ROLE, "# Workspace\n" + "\n".join(f"- {f}" for f in facts)]
    # every AGENTS.md from the git root down to the current directory, outermost first
    parts += project_instructions(root / subdir)
    parts += extra
    return "\n\n".join(parts)
