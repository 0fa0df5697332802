"""The diff, parsed with unidiff: which files changed, their hunks, and the line ranges a finding
may point at.

A finding is accepted when its lines overlap a hunk of the new version of the file (context
lines included, as on a pull request, where a comment can sit on any line the diff shows).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from minimax_agent.errors import DiffParseError

if TYPE_CHECKING:
    from unidiff.patch import Hunk as UnidiffHunk
    from unidiff.patch import PatchedFile

LINE_NUMBER_WIDTH = 6


@dataclass(frozen=True)
class Hunk:
    header: str
    new_start: int
    new_end: int  # inclusive; equal to new_start for a hunk that only removes lines
    changed: tuple[tuple[int, int], ...]  # ranges of added lines, inclusive
    text: str  # as the model sees it: each line prefixed with its new line number


@dataclass
class ChangedFile:
    path: str
    old_path: str | None
    status: str  # added · modified · deleted · renamed
    added: int = 0
    removed: int = 0
    binary: bool = False
    skip_reason: str | None = None
    hunks: list[Hunk] = field(default_factory=list)
    # text of every new-version line the diff shows, for fingerprints and suggestion ranges
    lines: dict[int, str] = field(default_factory=dict)

    @property
    def reviewed(self) -> bool:
        return self.skip_reason is None

    def overlaps(self, start: int, end: int) -> bool:
        return any(start <= h.new_end and end >= h.new_start for h in self.hunks)

    def describe_ranges(self) -> str:
        """The hunks' line ranges, and the changed lines inside each, for an error message."""
        parts = []
        for hunk in self.hunks:
            changed = ", ".join(_span(a, b) for a, b in hunk.changed)
            inner = f" (changed: {changed})" if changed else " (lines removed here)"
            parts.append(f"{_span(hunk.new_start, hunk.new_end)}{inner}")
        return "; ".join(parts)

    def header(self) -> str:
        attrs = f'path="{self.path}"'
        if self.old_path and self.old_path != self.path:
            attrs += f' old_path="{self.old_path}"'
        return (
            f'<file {attrs} status="{self.status}" added="{self.added}" removed="{self.removed}">'
        )


def _span(start: int, end: int) -> str:
    return str(start) if start == end else f"{start}-{end}"


@dataclass
class ReviewDiff:
    files: list[ChangedFile]

    def __post_init__(self) -> None:
        self.by_path = {f.path: f for f in self.files}

    @property
    def reviewed(self) -> list[ChangedFile]:
        return [f for f in self.files if f.reviewed]

    @property
    def skipped(self) -> list[ChangedFile]:
        return [f for f in self.files if not f.reviewed]

    def find(self, path: str) -> ChangedFile | None:
        """The changed file a model-given path means, forgiving `./`, `a/` and `b/` prefixes."""
        path = path.strip().replace("\\", "/")
        candidates = [path, path.removeprefix("./")]
        if path[:2] in ("a/", "b/"):
            candidates.append(path[2:])
        for candidate in candidates:
            if candidate in self.by_path:
                return self.by_path[candidate]
        return None


def _strip_prefix(name: str) -> str:
    name = name.strip()
    if len(name) > 1 and name[0] == name[-1] == '"':
        name = name[1:-1]
    return name[2:] if name[:2] in ("a/", "b/") else name


def _status(patched: PatchedFile) -> str:
    if patched.is_added_file:
        return "added"
    if patched.is_removed_file:
        return "deleted"
    if patched.is_rename:
        return "renamed"
    return "modified"


def _skip_reason(patched: PatchedFile, status: str) -> str | None:
    if patched.is_binary_file:
        return "binary file"
    if patched.is_submodule:
        return "submodule"
    if patched.is_symlink:
        return "symbolic link"
    if status == "deleted":
        return "deleted"
    if not len(patched):
        if status == "renamed":
            return "renamed without changes"
        return "no text changes (mode change only)"
    return None


def _ranges(numbers: Iterable[int]) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for n in numbers:
        if out and n == out[-1][1] + 1:
            out[-1] = (out[-1][0], n)
        else:
            out.append((n, n))
    return tuple(out)


def _hunk(hunk: UnidiffHunk, lines: dict[int, str]) -> Hunk:
    start = max(1, hunk.target_start)
    end = max(start, hunk.target_start + hunk.target_length - 1)
    header = (
        f"@@ -{hunk.source_start},{hunk.source_length} +{hunk.target_start},{hunk.target_length} "
        f"@@ {hunk.section_header}"
    ).rstrip()
    rendered = [header]
    added: list[int] = []
    for line in hunk:
        value = line.value.rstrip("\n").rstrip("\r")
        number = line.target_line_no
        if number is not None:
            lines[number] = value
            if line.is_added:
                added.append(number)
        column = str(number).rjust(LINE_NUMBER_WIDTH) if number else " " * LINE_NUMBER_WIDTH
        rendered.append(f"{column} {line.line_type}{value}")
    return Hunk(header, start, end, _ranges(added), "\n".join(rendered))


def parse_diff(text: str) -> ReviewDiff:
    """Parse `git diff` output; a diff we cannot read is reported, never half-reviewed."""
    from unidiff.errors import UnidiffParseError
    from unidiff.patch import PatchSet

    try:
        patch = PatchSet(text)
    except UnidiffParseError as exc:
        # unidiff quotes the offending diff line, newline and all: keep the message on one line
        detail = " ".join(str(exc).split())
        raise DiffParseError(f"review failed: cannot parse the diff: {detail}") from None
    files: list[ChangedFile] = []
    for patched in patch:
        status = _status(patched)
        path = _strip_prefix(patched.source_file if status == "deleted" else patched.target_file)
        old = _strip_prefix(patched.source_file) if status == "renamed" else None
        changed = ChangedFile(
            path=path,
            old_path=old,
            status=status,
            added=patched.added,
            removed=patched.removed,
            binary=patched.is_binary_file,
            skip_reason=_skip_reason(patched, status),
        )
        if changed.reviewed:
            changed.hunks = [_hunk(h, changed.lines) for h in patched]
        files.append(changed)
    return ReviewDiff(files)
