"""Skills: SKILL.md folders of instructions the model loads when a task calls for them.

A skill is a directory holding a SKILL.md whose front matter gives a `name` and a
`description`, and whatever else it needs beside it (scripts, templates, references). They are
found in `.agents/skills/*/` and `.claude/skills/*/` in every directory from the git root down
to the workspace (the innermost wins on a clash of names), then in the user's directories
(`user_skill_dirs`). A project's skills win over the user's of the same name, as its
AGENTS.md does.

Progressive disclosure: the system prompt lists each skill's name and description only
(`skills_prompt`); the model reads a skill's body and the files beside it through one tool,
`load_skill`. That tool is the only way the user's skill directories are read: the sandbox
hides the agent's config directory from commands, so the tool reads skill files and nothing
else, and never a file whose real location is outside its skill's directory.

A repository is untrusted, so every file goes through `read_contained`: a `SKILL.md ->
~/.ssh/id_rsa` symlink, a hard link or a FIFO is refused with one warning, never read.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import Field

from minimax_agent.extensions.frontmatter import (
    ExtensionFileError,
    Scope,
    inside,
    one_line,
    parse_front_matter,
    read_contained,
    search_dirs,
)
from tools.base import Tool, tool
from tools.errors import ToolError
from tools.workspace import Workspace

__all__ = [
    "PROJECT_SKILL_DIRS",
    "Skill",
    "discover_skills",
    "load_skill_tool",
    "skills_prompt",
    "user_skill_dirs",
]

PROJECT_SKILL_DIRS = (".agents/skills", ".claude/skills")
SKILL_FILE = "SKILL.md"
NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
DESCRIPTION_CHARS = 1024
# the system prompt section stays small whatever a repository holds
PROMPT_SKILLS = 100
PROMPT_CHARS = 8000
# a directory with more entries than this is not scanned further (one warning)
SCAN_ENTRIES = 500
# the listing of files beside SKILL.md that load_skill gives
LIST_DEPTH = 3
LIST_FILES = 60
_SKIP_DIRS = frozenset({"__pycache__", "node_modules"})


@dataclass(frozen=True)
class Skill:
    """One skill: `path` is its SKILL.md, resolved when it was found."""

    name: str
    description: str
    path: Path
    scope: Scope

    @property
    def directory(self) -> Path:
        return self.path.parent


def user_skill_dirs() -> list[Path]:
    """The user's skill directories, first wins: the agent's own, then Claude Code's (users
    already keep skills there)."""
    from minimax_agent.trust import config_dir

    return [config_dir() / "skills", Path.home() / ".claude" / "skills"]


def discover_skills(
    workspace: Path, user_dirs: Sequence[Path] | None = None
) -> tuple[list[Skill], list[str]]:
    """The skills that apply to `workspace` (project ones first, then the user's, each sorted
    by name) and one warning per SKILL.md that was skipped, naming the file and why.

    Nothing is parsed (and pyyaml is not imported) unless some skill directory exists.
    """
    workspace = workspace.resolve()
    dirs, warnings, top = search_dirs(
        workspace, PROJECT_SKILL_DIRS, user_skill_dirs() if user_dirs is None else user_dirs
    )
    chosen: dict[str, Skill] = {}
    for base in dirs:
        try:
            entries = sorted(os.scandir(base.real), key=lambda e: e.name)
        except OSError as exc:
            warnings.append(f"cannot list skills in {base.path}: {exc.strerror or exc}")
            continue
        if len(entries) > SCAN_ENTRIES:
            warnings.append(
                f"{base.path} has {len(entries)} entries; only the first "
                f"{SCAN_ENTRIES} were looked at"
            )
            entries = entries[:SCAN_ENTRIES]
        for entry in entries:
            shown = base.path / entry.name / SKILL_FILE
            if entry.name.startswith(".") or not os.path.lexists(shown):
                continue  # a folder without SKILL.md is a helper folder, not a broken skill
            try:
                skill = _read_skill(base.real / entry.name, base.scope, top)
            except ExtensionFileError as exc:
                warnings.append(f"skipping skill {shown}: {exc}")
                continue
            chosen.setdefault(skill.name, skill)  # dirs come highest priority first
    order = {"project": 0, "user": 1}
    skills = sorted(chosen.values(), key=lambda s: (order[s.scope], s.name))
    return skills, warnings


def _read_skill(directory: Path, scope: Scope, top: Path) -> Skill:
    try:
        real_dir = directory.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise ExtensionFileError(f"its directory cannot be resolved: {exc}") from None
    if not real_dir.is_dir():
        raise ExtensionFileError("it is not inside a directory")
    # a user's skill folder may be a symlink to where they keep it; a project's may not leave
    # the project, or the files "beside" its SKILL.md could be anything on the disk
    if scope == "project" and not inside(real_dir, top):
        raise ExtensionFileError(f"its directory leads outside the project (to {real_dir})")
    meta, _ = parse_front_matter(read_contained(real_dir / SKILL_FILE, real_dir), lenient=True)
    name, description = meta.get("name"), meta.get("description")
    if not isinstance(name, str) or not name.strip():
        raise ExtensionFileError("its front matter has no 'name' (a string)")
    if not NAME_RE.fullmatch(name.strip()):
        raise ExtensionFileError(f"its name {name[:80]!r} is not 1-64 letters, digits, '-' or '_'")
    if not isinstance(description, str) or not one_line(description, DESCRIPTION_CHARS):
        raise ExtensionFileError("its front matter has no 'description' (a string)")
    return Skill(
        name=name.strip(),
        description=one_line(description, DESCRIPTION_CHARS),
        path=real_dir / SKILL_FILE,
        scope=scope,
    )


def skills_prompt(skills: Sequence[Skill]) -> str | None:
    """The system prompt's "# Skills" section, or None when there are none. At most
    `PROMPT_SKILLS` skills and about `PROMPT_CHARS` characters; the rest are counted."""
    if not skills:
        return None
    lines = [
        "# Skills",
        "Skills are instructions for particular kinds of task, kept outside this prompt. When "
        "a task matches a skill's description, call load_skill with its name before acting, "
        "and follow what it says.",
    ]
    used = sum(len(line) + 1 for line in lines)
    shown = 0
    for skill in skills[:PROMPT_SKILLS]:
        line = f"- {skill.name}: {skill.description}"
        if used + len(line) + 1 > PROMPT_CHARS:
            break
        lines.append(line)
        used += len(line) + 1
        shown += 1
    if shown < len(skills):
        lines.append(
            f"({len(skills) - shown} more skills are not listed here; load_skill gives an "
            "error naming them all when called with an unknown name.)"
        )
    return "\n".join(lines)


def _listing(directory: Path) -> tuple[list[str], bool]:
    """Files beside SKILL.md, relative, a few levels deep (hidden and cache folders left out),
    and whether the list was cut. Symlinked folders are not entered: reading through them is
    refused anyway."""
    found: list[str] = []
    for current, dirnames, filenames in os.walk(directory):
        rel = Path(current).relative_to(directory)
        if len(rel.parts) >= LIST_DEPTH:
            dirnames[:] = []
        else:
            dirnames[:] = sorted(
                d for d in dirnames if not d.startswith(".") and d not in _SKIP_DIRS
            )
        for name in sorted(filenames):
            if rel.parts or name != SKILL_FILE:
                found.append((rel / name).as_posix())
                if len(found) > LIST_FILES:
                    return found[:LIST_FILES], True
    return found, False


def _where(ws: Workspace, skill: Skill) -> str:
    if inside(skill.directory, ws.root):
        return (
            f"(a project skill in {ws.relative(skill.directory)}/; its files are in the "
            "workspace, so commands can run its scripts)"
        )
    return (
        "(a user skill; its directory is outside the workspace, so read its files with "
        "load_skill and the file argument: commands cannot see them)"
    )


def load_skill_tool(skills: Sequence[Skill]) -> Tool:
    """The `load_skill` tool over `skills` (kind "read": it only reads skill files)."""
    by_name = {s.name: s for s in skills}

    def load_skill(
        ws: Workspace,
        name: Annotated[str, Field(description="The skill's name, as the Skills list gives.")],
        file: Annotated[
            str | None,
            Field(
                description="A file beside the skill's SKILL.md, relative to the skill's "
                "directory (as load_skill listed it); leave out to load the skill itself."
            ),
        ] = None,
    ) -> str:
        """Load a skill from the system prompt's Skills list: its instructions and the list of
        files beside them. With `file`, read one of those files instead. Load a skill before
        starting a task its description matches."""
        skill = by_name.get(name.strip())
        if skill is None:
            known = ", ".join(sorted(by_name)) or "(none)"
            raise ToolError(f"no skill named {name!r}; the skills are: {known}")
        directory = skill.directory
        try:
            moved = directory.resolve(strict=True) != directory
        except (OSError, RuntimeError):
            moved = True
        if moved:  # a folder swapped for a symlink since the start would lead anywhere
            raise ToolError(f"the directory of skill {name!r} has moved or gone since the start")
        if file is not None:
            return _read_beside(skill, file)
        try:
            _, body = parse_front_matter(read_contained(skill.path, directory), lenient=True)
        except ExtensionFileError as exc:
            raise ToolError(f"cannot load skill {name!r}: {SKILL_FILE} {exc}") from None
        files, cut = _listing(directory)
        parts = [f"# Skill: {skill.name}", _where(ws, skill), "", body.strip()]
        if files:
            parts += [
                "",
                f'Files beside {SKILL_FILE} (read one with load_skill(name="{skill.name}", '
                'file="PATH")):',
                *(f"- {f}" for f in files),
            ]
            if cut:
                parts.append(f"- ... (more files; only the first {LIST_FILES} are listed)")
        return "\n".join(parts)

    return tool("read")(load_skill)


def _read_beside(skill: Skill, file: str) -> str:
    if not file.strip() or "\0" in file:
        raise ToolError("file must be a path relative to the skill's directory")
    if file.startswith("~") or Path(file).is_absolute():
        raise ToolError(
            f"file {file!r} must be relative to the skill's directory, not an absolute path"
        )
    try:
        return read_contained(skill.directory / file, skill.directory)
    except ExtensionFileError as exc:
        raise ToolError(f"cannot read {file!r} of skill {skill.name!r}: {exc}") from None
