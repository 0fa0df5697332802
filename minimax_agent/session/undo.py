"""Undo: which files go back, whose work that would overwrite, and what an undo reports.

Pure logic over the snapshot trees that `checkpoints.py` stores. For the steps being undone
(oldest first), each with the tree before its tools ran and the tree after:

- the agent's changes are `before -> after` of each step, inside the workspace; a path is put
  back as it was before the first step that changed it, not as the first checkpoint had it, so
  the user's edits between steps to files the agent touched only later survive;
- a path that shows up only because a step stopped git ignoring it (it was on disk, ignored, at
  that step's checkpoint) is not the agent's creation: it is kept, never deleted;
- the user's own work is any change between one step's end and the next step's start (or now)
  to a path the agent had already changed: undo would discard it, so it is a conflict.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

GITLINK = "160000"  # a nested repository: never written or deleted by an undo
_WHY = {"A": "created", "D": "deleted", "M": "changed", "T": "changed"}

Blob = tuple[str, str]  # (mode, object id)


@dataclass(frozen=True)
class Change:
    """One entry of `git diff-tree -r --raw`: `old`/`new` are None where the path is absent."""

    path: str
    status: str
    old: Blob | None
    new: Blob | None

    @classmethod
    def parse(cls, meta: str, path: str) -> Change:
        old_mode, new_mode, old_id, new_id, status = meta.lstrip(":").split()
        return cls(
            path,
            status[0],
            None if old_mode == "000000" else (old_mode, old_id),
            None if new_mode == "000000" else (new_mode, new_id),
        )

    @property
    def nested_repo(self) -> bool:
        return any(side is not None and side[0] == GITLINK for side in (self.old, self.new))


@dataclass(frozen=True)
class Step:
    """One checkpoint's trees: `after` is None until the step is sealed."""

    before: str
    after: str | None
    ignored: frozenset[str]  # ignored paths on disk at `before`; `dir/` for a whole directory

    def own(self, changes: list[Change]) -> list[Change]:
        """The changes this step made itself: not nested repositories, not files that only
        appeared because git stopped ignoring them."""
        return [
            c for c in changes if not c.nested_repo and not (c.old is None and self.hid(c.path))
        ]

    def hid(self, path: str) -> bool:
        """Whether git ignored `path`, or a directory holding it, at this step's checkpoint."""
        if path in self.ignored:
            return True
        parts = path.split("/")
        return any("/".join(parts[:n]) + "/" in self.ignored for n in range(1, len(parts)))


@dataclass(frozen=True, order=True)
class Conflict:
    path: str
    why: str  # created · deleted · changed · ignored


@dataclass
class UndoPlan:
    # each path to put back: the blob to write, or None to delete it
    targets: dict[str, Blob | None] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    # "created" by a step, but on disk and ignored at its checkpoint: left alone
    kept: list[str] = field(default_factory=list)


def describe_conflict(conflict: Conflict) -> str:
    if conflict.why == "ignored":
        return "on disk again, where git ignores it"
    return f"{conflict.why} since the step"


def listed_conflicts(conflicts: list[Conflict]) -> str:
    """The conflicts in one line, as UndoConflictError's message lists them."""
    return ", ".join(f"{shown(c.path)} ({describe_conflict(c)})" for c in conflicts)


def shown(path: str) -> str:
    """`path` as printable text: bytes that are not UTF-8, and control characters, escaped
    (`caf\\xe9.txt`), so it can go into JSON, a note for the model, or a terminal."""
    text = os.fsencode(path).decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


@dataclass(frozen=True)
class Checkpoint:
    commit: str
    label: str
    created: int
    backup_ref: str = ""  # set for a backup kept by a forced undo: never chosen by a plain undo

    @property
    def short(self) -> str:
        return self.commit[:8]

    @property
    def backup(self) -> bool:
        return bool(self.backup_ref)


@dataclass
class Restored:
    checkpoint: Checkpoint
    restored: list[str] = field(default_factory=list)  # changed or deleted by the steps: back
    deleted: list[str] = field(default_factory=list)  # created by the steps: removed
    kept: list[str] = field(default_factory=list)  # ignored at the checkpoint: never deleted
    backup: Checkpoint | None = None  # what a forced undo kept of the user's later work

    @property
    def files(self) -> list[str]:
        return sorted(self.restored + self.deleted)

    def describe(self) -> str:
        parts = []
        if self.restored:
            parts.append("restored " + ", ".join(map(shown, self.restored)))
        if self.deleted:
            parts.append("deleted " + ", ".join(map(shown, self.deleted)))
        if self.kept:
            parts.append(f"kept {len(self.kept)} file(s) git ignored at the checkpoint")
        return "; ".join(parts) or "no files differed"


def plan_undo(
    steps: list[Step],
    now: str,
    diff: Callable[[str, str], list[Change]],
    exists: Callable[[str], bool],
) -> UndoPlan:
    """Plan undoing `steps` (oldest first) from the workspace tree `now`. `diff` compares two
    trees inside the workspace; `exists` says whether a path is on disk."""
    starts = [s.before for s in steps[1:]] + [now]
    # where a step ended: its `after`; one never sealed (a run killed mid-step) is taken to
    # have ended where the next began, so everything until then counts as its change
    ends = [step.after or start for step, start in zip(steps, starts, strict=True)]
    plan = UndoPlan()
    first: dict[str, int] = {}  # the step that first changed each path
    final: dict[str, Blob | None] = {}  # each path as the agent's last change left it
    kept: set[str] = set()
    for number, (step, end) in enumerate(zip(steps, ends, strict=True)):
        changes = diff(step.before, end)
        mine = step.own(changes)
        seen = set(mine)
        kept.update(c.path for c in changes if c not in seen and not c.nested_repo)
        for change in mine:
            if change.path not in first:
                first[change.path] = number
                plan.targets[change.path] = change.old
            final[change.path] = change.new
    conflicted: dict[str, str] = {}
    for number, (end, start) in enumerate(zip(ends, starts, strict=True)):
        if end == start:
            continue
        for change in diff(end, start):
            if first.get(change.path, len(steps)) <= number:
                conflicted.setdefault(change.path, _WHY.get(change.status, "changed"))
    for path, state in final.items():
        # the agent's last change removed it and git sees nothing there now, yet it is on disk:
        # something recreated it where git ignores it
        if state is None and path not in conflicted and exists(path):
            conflicted[path] = "ignored"
    for path in [p for p, target in plan.targets.items() if target == final[p]]:
        # the agent's steps put it back themselves: nothing to undo there
        del plan.targets[path]
        conflicted.pop(path, None)
    plan.conflicts = sorted(Conflict(path, why) for path, why in conflicted.items())
    plan.kept = sorted(kept - plan.targets.keys())
    return plan
