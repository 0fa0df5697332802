"""The REPL's trust question, asked before anything loads: whether this directory's
.minimax-agent.toml may set what an untrusted project may not, and its .mcp.json and
.claude/settings.json start programs (minimax_agent/trust.py has the rules). Plain stdout and
input(): prompt_toolkit's session has not started yet."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any


def ask_trust(root: Path, here: Path | None, flags: dict[str, Any]) -> None:
    """Ask once per directory whether its .minimax-agent.toml may set what an untrusted
    project may not, and its .mcp.json and .claude/settings.json start programs (before
    the settings load: the answer decides them)."""
    from minimax_agent.trust import may_need_trust, remember

    if not may_need_trust(root, here):
        return  # the common case: decided without loading pydantic
    from minimax_agent.config import trust_question

    keys = trust_question(root, flags, here)
    if not keys:
        return
    sys.stdout.write(
        f"This project sets {', '.join(keys)}: settings that can send your API key "
        "elsewhere, let more run without asking, or start programs. Untrusted, they are "
        "ignored.\n"
    )
    try:
        answer = input("Trust this project's config? [y/N] ")
    except (EOFError, KeyboardInterrupt):
        sys.stdout.write("\n")
        return  # no answer: asked again next time
    trusted = answer.strip().lower() in ("y", "yes")
    path = remember(root, trusted=trusted)
    verdict = "trusted" if trusted else "not trusted (/trust changes that)"
    sys.stdout.write(f"{verdict}; recorded in {path}\n")
