"""Completion at the prompt: slash commands (and their arguments) and `@path` file mentions.

The file list comes from `git ls-files` (tracked plus untracked, not ignored), read once on the
first `@` and cached; outside a repository a bounded directory walk stands in.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from minimax_agent.ui.slash import ARGUMENTS, COMMANDS

MAX_FILES = 20_000
MAX_SHOWN = 50
_MENTION = re.compile(r"(?:^|\s)@(\S*)$")


def workspace_files(root: Path) -> list[str]:
    try:
        proc = subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard", "-z"],
            cwd=root,
            capture_output=True,
            timeout=10,
            check=False,
        )
        if proc.returncode == 0:
            names = proc.stdout.decode("utf-8", errors="replace").split("\0")
            return sorted(n for n in names if n)[:MAX_FILES]
    except (OSError, subprocess.SubprocessError):
        pass
    found: list[str] = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "node_modules"]
        rel = Path(directory).relative_to(root)
        found.extend((rel / f).as_posix() for f in files)
        if len(found) >= MAX_FILES:
            break
    return sorted(found)


class ReplCompleter(Completer):
    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: list[str] | None = None
        # custom commands (name -> description), filled in by the REPL once the conversation
        # has loaded them: finding them reads files this import-light module must not
        self.custom: dict[str, str] = {}

    def files(self) -> list[str]:
        if self._files is None:
            self._files = workspace_files(self.root)
        return self._files

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterable[Completion]:
        text = document.text_before_cursor
        if text.startswith("/"):
            name, space, arg = text[1:].partition(" ")
            if not space:
                for command, help_text in COMMANDS.items():
                    if command.startswith(name):
                        yield Completion(
                            "/" + command, -len(text), display_meta=help_text.split(".")[0]
                        )
                for command, help_text in self.custom.items():
                    if command.startswith(name):
                        yield Completion("/" + command, -len(text), display_meta=help_text)
                return
            for choice in ARGUMENTS.get(name, ()):
                if choice.startswith(arg) and " " not in arg:
                    yield Completion(choice, -len(arg))
            return
        match = _MENTION.search(text)
        if match is None:
            return
        typed = match.group(1)
        shown = 0
        for path in self.files():
            if path.startswith(typed) or (typed and f"/{typed}" in f"/{path}"):
                yield Completion("@" + path, -len(typed) - 1)
                shown += 1
                if shown >= MAX_SHOWN:
                    return


def expand_mentions(text: str, root: Path, limit: int = 100_000) -> tuple[str, list[str]]:
    """The message with each `@path` that names a text file in the workspace attached after
    it, and a line per mention saying what was attached (or why not)."""
    attached: list[str] = []
    report: list[str] = []
    seen: set[str] = set()
    for match in re.finditer(r"(?:^|(?<=\s))@(\S+)", text):
        name = match.group(1).rstrip(".,;:!?)")
        if name in seen:
            continue
        seen.add(name)
        path = (root / name).resolve()
        if not path.is_file() or (path != root and root not in path.parents):
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            report.append(f"not attached: {name} is binary")
            continue
        if len(data) > limit:
            report.append(
                f"not attached: {name} is over {limit // 1000} kB (the model can read it)"
            )
            continue
        body = data.decode("utf-8", errors="replace")
        attached.append(f'<file path="{name}">\n{body}\n</file>')
        report.append(f"attached {name} ({body.count(chr(10)) + 1} lines)")
    if not attached:
        return text, report
    return text + "\n\nFiles the user attached:\n" + "\n".join(attached), report
