"""Project memory: the AGENTS.md files that tell the agent how this project works.

Files are collected from the git root down to the workspace directory, outermost first, so a
subproject's own notes come last and win where they disagree. In each directory AGENTS.md is
read; CLAUDE.md only where that directory has no AGENTS.md (many repositories only have the
latter). `starter_agents_md` writes the text `/init` proposes for a repository without one.

A memory file comes from the repository, so it is untrusted: it is read only when it is a
plain file with one link whose real location is inside the directory tree it applies to. A
cloned `AGENTS.md -> ~/.ssh/id_rsa` (or a hard link to it) would otherwise put a secret into
the system prompt, and so to the endpoint.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

MEMORY_NAMES = ("AGENTS.md", "CLAUDE.md")
MEMORY_CHARS = 20_000


def git_root(start: Path) -> Path | None:
    """The nearest ancestor (or `start`) holding `.git`; found without running git, since this
    runs on every start."""
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return None


def read_memory_file(path: Path, top: Path) -> str | None:
    """The text of one memory file, or None when it is missing or must not be read: not a
    regular file (a FIFO would block the start), hard-linked, or leading outside `top`."""
    try:
        real = path.resolve(strict=True)
        st = os.stat(real)
    except (OSError, RuntimeError):
        return None
    inside = real == top.resolve() or top.resolve() in real.parents
    if not inside or not stat.S_ISREG(st.st_mode) or st.st_nlink > 1:
        return None
    try:
        return real.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def memory_dirs(workspace: Path) -> list[Path]:
    """Directories whose memory files apply to `workspace`, outermost first."""
    top = git_root(workspace) or workspace
    chain = [workspace]
    while chain[-1] != top and chain[-1].parent != chain[-1]:
        chain.append(chain[-1].parent)
    return list(reversed(chain))


def project_memories(workspace: Path, limit: int = MEMORY_CHARS) -> list[tuple[str, str]]:
    """(path relative to the git root, text) for each memory file that applies, within `limit`
    characters in all; the innermost files are kept first when they do not all fit."""
    dirs = memory_dirs(workspace)
    top = dirs[0]
    found: list[tuple[str, str]] = []
    for directory in dirs:
        for name in MEMORY_NAMES:
            path = directory / name
            text = read_memory_file(path, top)
            if text is not None:
                found.append((path.relative_to(top).as_posix(), text))
                break
    kept: list[tuple[str, str]] = []
    room = limit
    for rel, text in reversed(found):
        if room <= 0:
            break
        kept.append((rel, text[:room]))
        room -= len(text)
    return list(reversed(kept))


def project_instructions(workspace: Path, limit: int = MEMORY_CHARS) -> list[str]:
    """The system prompt's sections for the memory files that apply to `workspace`, one per
    file; the agent and the reviewer both put these in their prompts."""
    return [
        f"# Project instructions ({rel})\n{text}"
        for rel, text in project_memories(workspace, limit)
    ]


_MARKERS = {
    "pyproject.toml": ("Python", "pip install -e .", "pytest"),
    "setup.py": ("Python", "pip install -e .", "pytest"),
    "setup.cfg": ("Python", "pip install -e .", "pytest"),
    "requirements.txt": ("Python", "pip install -r requirements.txt", "pytest"),
    "Pipfile": ("Python", "pipenv install", "pipenv run pytest"),
    "package.json": ("JavaScript/TypeScript", "npm install", "npm test"),
    "Cargo.toml": ("Rust", "cargo build", "cargo test"),
    "go.mod": ("Go", "go build ./...", "go test ./..."),
    "pom.xml": ("Java (Maven)", "mvn -q compile", "mvn -q test"),
    "build.gradle": ("Java/Kotlin (Gradle)", "./gradlew build", "./gradlew test"),
    "Gemfile": ("Ruby", "bundle install", "bundle exec rake test"),
    "CMakeLists.txt": ("C/C++ (CMake)", "cmake -B build && cmake --build build", "ctest"),
    "build.gradle.kts": ("Java/Kotlin (Gradle)", "./gradlew build", "./gradlew test"),
    "composer.json": ("PHP", "composer install", "composer test"),
    "mix.exs": ("Elixir", "mix deps.get", "mix test"),
    "Package.swift": ("Swift", "swift build", "swift test"),
    "deno.json": ("TypeScript (Deno)", "deno cache main.ts", "deno test"),
}
# without a marker file, the language of the source files at the top (a folder of scripts)
_EXTENSIONS = {
    ".py": "Python",
    ".js": "JavaScript",
    ".ts": "TypeScript",
    ".go": "Go",
    ".rs": "Rust",
    ".rb": "Ruby",
    ".java": "Java",
    ".c": "C",
    ".cpp": "C++",
    ".sh": "Shell",
}


def _stacks(root: Path) -> list[tuple[str, str, str, str]]:
    """(marker, language, build, test) per language found; one per language, the first
    marker in `_MARKERS` order (pyproject.toml before requirements.txt)."""
    found: dict[str, tuple[str, str, str, str]] = {}
    for name, (lang, build, test) in _MARKERS.items():
        if (root / name).is_file() and lang not in found:
            found[lang] = (name, lang, build, test)
    return list(found.values())


def _source_languages(root: Path) -> list[str]:
    return sorted({_EXTENSIONS[p.suffix] for p in root.iterdir() if p.suffix in _EXTENSIONS})


def _npm_scripts(root: Path) -> dict[str, str]:
    try:
        data = json.loads((root / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    scripts = data.get("scripts") if isinstance(data, dict) else None
    return {str(k): str(v) for k, v in scripts.items()} if isinstance(scripts, dict) else {}


def starter_agents_md(root: Path) -> str:
    """A first AGENTS.md built from what the repository shows: languages, build and test
    commands, top-level layout. Deliberately short: the user is expected to edit it."""
    stacks = _stacks(root)
    entries = sorted(
        p.name + ("/" if p.is_dir() else "")
        for p in root.iterdir()
        if not p.name.startswith(".") and p.name not in ("node_modules", "__pycache__")
    )
    lines = [f"# {root.name}", "", "Notes for coding agents working in this repository.", ""]
    lines += ["## Stack", ""]
    lines += (
        [f"- {lang} (`{name}`)" for name, lang, _, _ in stacks]
        or [f"- {lang} (source files)" for lang in _source_languages(root)]
        or ["- (not detected)"]
    )
    lines += ["", "## Commands", ""]
    scripts = _npm_scripts(root) if (root / "package.json").is_file() else {}
    for name, _, build, test in stacks:
        if name == "package.json" and scripts:
            lines += [f"- `npm run {s}`: {cmd}" for s, cmd in list(scripts.items())[:8]]
            continue
        lines += [f"- build: `{build}`", f"- test: `{test}`"]
    if (root / "Makefile").is_file():
        lines.append("- see the `Makefile` targets (`make help` if it has one)")
    if len(lines) and lines[-1] == "":
        lines.append("- (add the commands that build and test this project)")
    lines += ["", "## Layout", ""]
    lines += [f"- `{e}`" for e in entries[:30]]
    lines += [
        "",
        "## Conventions",
        "",
        "- (style rules, naming, what must pass before a change is done)",
        "",
    ]
    return "\n".join(lines)
