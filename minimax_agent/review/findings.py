"""Findings: checked against the diff before they are accepted, merged when they repeat, and
fingerprinted so CI does not raise the same alert again on the next push.

A rejected finding is a `ToolError`: its message goes back to the model, which can correct the
path or lines and report again.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field

from minimax_agent.errors import ToolError
from minimax_agent.review.diff import ChangedFile, ReviewDiff
from minimax_agent.review.options import Category, Severity, rule_id

LISTED_PATHS = 40
SIMILAR_TITLES = 0.5


@dataclass
class Finding:
    id: int
    path: str
    start_line: int
    end_line: int
    severity: Severity
    category: Category
    title: str
    body: str
    suggestion: str | None
    confidence: float
    chunk: int = 1
    reports: int = 1  # how many reports were merged into this one
    fingerprint: str = ""

    @property
    def rule_id(self) -> str:
        return rule_id(self.category)

    @property
    def lines(self) -> str:
        if self.start_line == self.end_line:
            return str(self.start_line)
        return f"{self.start_line}-{self.end_line}"

    def sort_key(self) -> tuple[int, str, int, int]:
        return (-self.severity.rank, self.path, self.start_line, self.id)


@dataclass
class Rejection:
    arguments: dict[str, object]
    reason: str
    chunk: int


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9_]+", text.lower()))


def _similar(a: Finding, b: Finding) -> bool:
    if a.suggestion is not None and a.suggestion == b.suggestion:
        return True
    wa, wb = _words(a.title), _words(b.title)
    if not wa or not wb:
        return wa == wb
    return len(wa & wb) / len(wa | wb) >= SIMILAR_TITLES


def _primary(a: Finding, b: Finding) -> tuple[Finding, Finding]:
    """(kept, folded in): the worse severity wins, then the higher confidence, then the first."""
    if (b.severity.rank, b.confidence) > (a.severity.rank, a.confidence):
        return b, a
    return a, b


@dataclass
class FindingBook:
    """Every finding of one review, across chunks."""

    diff: ReviewDiff
    findings: list[Finding] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    chunk: int = 1
    _next_id: int = 1

    def _file(self, path: str) -> ChangedFile:
        changed = self.diff.find(path)
        if changed is not None:
            if not changed.reviewed:
                raise ToolError(
                    f"{changed.path} is not reviewed ({changed.skip_reason}); a finding must "
                    "point at lines of a changed text file"
                )
            return changed
        renamed = next((f for f in self.diff.files if f.old_path == path.strip()), None)
        if renamed is not None:
            raise ToolError(f"{path} was renamed to {renamed.path}; use the new path")
        names = [f.path for f in self.diff.reviewed]
        listed = ", ".join(names[:LISTED_PATHS])
        more = f" and {len(names) - LISTED_PATHS} more" if len(names) > LISTED_PATHS else ""
        raise ToolError(
            f"path {path!r} is not in the diff under review; a finding must point at a changed "
            f"file: {listed}{more}"
        )

    def _check(self, changed: ChangedFile, start: int, end: int, suggestion: str | None) -> None:
        if end < start:
            raise ToolError(f"end_line ({end}) is before start_line ({start})")
        if not changed.overlaps(start, end):
            raise ToolError(
                f"lines {start}-{end} of {changed.path} are outside the changed hunks; a finding "
                f"must overlap the lines this diff shows. {changed.path} hunks (new line "
                f"numbers): {changed.describe_ranges()}. Point the finding at the changed lines "
                "it concerns, or leave it out."
            )
        if suggestion is not None and not any(
            h.new_start <= start and end <= h.new_end for h in changed.hunks
        ):
            raise ToolError(
                f"a suggestion replaces lines {start}-{end}, which must lie inside one hunk of "
                f"{changed.path}: {changed.describe_ranges()}"
            )

    def add(self, arguments: dict[str, object]) -> str:
        """Check and record one reported finding; the returned text goes back to the model."""
        try:
            return self._add(arguments)
        except ToolError as exc:
            self.rejected.append(Rejection(dict(arguments), str(exc), self.chunk))
            raise

    def _add(self, a: dict[str, object]) -> str:
        changed = self._file(str(a["path"]))
        start = int(str(a["start_line"]))
        end = int(str(a["end_line"])) if a.get("end_line") is not None else start
        raw_suggestion = a.get("suggestion")
        suggestion = str(raw_suggestion) if raw_suggestion is not None else None
        self._check(changed, start, end, suggestion)
        title, body = str(a["title"]).strip(), str(a["body"]).strip()
        if not title or not body:
            raise ToolError("title and body must not be blank")
        new = Finding(
            id=self._next_id,
            path=changed.path,
            start_line=start,
            end_line=end,
            severity=Severity(str(a["severity"])),
            category=Category(str(a["category"])),
            title=title,
            body=body,
            suggestion=suggestion,
            confidence=float(str(a["confidence"])),
            chunk=self.chunk,
        )
        for index, old in enumerate(self.findings):
            if (
                old.path == new.path
                and old.category == new.category
                and new.start_line <= old.end_line
                and new.end_line >= old.start_line
                and _similar(old, new)
            ):
                kept, folded = _primary(old, new)
                kept.id = old.id
                kept.reports = old.reports + 1
                kept.confidence = max(old.confidence, new.confidence)
                self.findings[index] = kept
                return (
                    f"merged with finding F{old.id} ({old.title!r}), which reports the same "
                    f"issue at {old.path}:{old.lines}; kept the {kept.severity} one"
                    + ("" if folded is new else " you just reported")
                )
        self._next_id += 1
        self.findings.append(new)
        return (
            f"recorded finding F{new.id}: {new.severity} {new.category} at {new.path}:{new.lines}"
        )

    def finalize(self) -> list[Finding]:
        """The findings sorted worst first, each with its fingerprint."""
        counts: Counter[str] = Counter()
        ordered = sorted(self.findings, key=Finding.sort_key)
        for finding in ordered:
            digest = fingerprint(finding, self.diff.by_path[finding.path])
            counts[digest] += 1
            finding.fingerprint = f"{digest}:{counts[digest]}"
        return ordered


def fingerprint(finding: Finding, changed: ChangedFile) -> str:
    """A hash of what the finding is about, not where: the rule, the file and the flagged code
    with whitespace collapsed, so the same finding keeps its fingerprint when lines move."""
    code = "\n".join(
        " ".join(changed.lines.get(n, "").split())
        for n in range(finding.start_line, finding.end_line + 1)
    ).strip()
    anchor = code or " ".join(sorted(_words(finding.title)))
    key = "\0".join((finding.rule_id, finding.path, anchor))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
