"""Checkpoints: what each step of the agent changed in the workspace, so it can be undone.

A checkpoint is a commit on a private ref, `refs/minimax-agent/checkpoints/<session>`. Its tree
is not a snapshot itself but holds three entries: `before`, the workspace just before the step's
tools ran (every tracked file and every untracked file git does not ignore, exactly as on disk);
`after`, the same once the step ended (added when the step is sealed); and `ignored`, the paths
git ignored that existed at `before` (whole ignored directories as `dir/`). Trees are written
with git plumbing and the session's own index file inside `.git` (seeded from the user's, so
unchanged files are not re-hashed): the user's branch, index, stash and reflog are never
touched. Being snapshots, they also cover whatever a shell command changed.

Undo (see `undo.py`) reverts only `before -> after` changes inside the workspace, so work
the user did between or after steps is never mistaken for the agent's. Each checkpoint's parent
is the previous one, so the ref's history is the list of restore points; undoing to a checkpoint
moves the ref back to its parent, so a second undo goes one step further. A forced undo (over
the user's later changes) first keeps a backup on `refs/minimax-agent/backups/<session>/<id>`,
itself a checkpoint: undoing to it puts everything back.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from minimax_agent.errors import CheckpointError, UndoConflictError, UsageError
from minimax_agent.session.checkpoint_git import index_env, prune_empty_dirs, run_git
from minimax_agent.session.undo import (
    Change,
    Checkpoint,
    Restored,
    Step,
    UndoPlan,
    describe_conflict,
    listed_conflicts,
    plan_undo,
    shown,
)

__all__ = [
    "Checkpoint",
    "Checkpoints",
    "Restored",
    "describe_conflict",
    "shown",
]

REF_PREFIX = "refs/minimax-agent/checkpoints/"
BACKUP_PREFIX = "refs/minimax-agent/backups/"
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


class Checkpoints:
    """The restore points of one session in one workspace (a repository or a directory in one)."""

    def __init__(
        self, top: Path, git_dir: Path, index: Path, session_id: str, prefix: str = ""
    ) -> None:
        self.top = top
        self.git_dir = git_dir
        self.index = index
        self.session_id = session_id
        self.ref = REF_PREFIX + session_id
        # the workspace relative to `top`, with a trailing slash ("" = the whole repository)
        self.prefix = prefix
        self.pathspec = [f":(literal){prefix}"] if prefix else []

    @classmethod
    def open(cls, workspace: Path, session_id: str) -> Checkpoints | None:
        """Checkpoints for the repository holding `workspace`; None outside a git repository."""
        try:
            out = run_git(workspace, "rev-parse", "--show-toplevel", "--absolute-git-dir")
            index = run_git(workspace, "rev-parse", "--path-format=absolute", "--git-path", "index")
            prefix = run_git(workspace, "rev-parse", "--show-prefix").strip("\n")
        except CheckpointError:
            return None
        top, git_dir = out.splitlines()[:2]
        return cls(Path(top), Path(git_dir), Path(index.strip()), session_id, prefix)

    @property
    def workspace(self) -> Path:
        return self.top / self.prefix if self.prefix else self.top

    def _run(
        self,
        *args: str,
        index: Path | None = None,
        stdin: str | None = None,
        env: dict[str, str] | None = None,
    ) -> str:
        return run_git(self.top, *args, env={**(env or {}), **index_env(index)}, stdin=stdin)

    @contextlib.contextmanager
    def _scratch_index(self) -> Iterator[Path]:
        # inside .git, so `git add -A` can never pick the file up
        fd, name = tempfile.mkstemp(prefix="minimax-agent-index-", dir=self.git_dir)
        os.close(fd)
        path = Path(name)
        try:
            yield path
        finally:
            path.unlink(missing_ok=True)

    @property
    def _own_index(self) -> Path:
        # kept between snapshots, so files unchanged since the last one are not hashed again;
        # a file once in it stays covered even if a later .gitignore would hide it
        return self.git_dir / f"minimax-agent-{self.session_id}.index"

    # -- snapshots ---------------------------------------------------------------------------

    def snapshot_tree(self) -> str:
        """The workspace as it is on disk now (tracked + untracked, not ignored), as a tree.
        Paths outside the workspace hold whatever the user's index held: never compared."""
        own = self._own_index
        if not own.is_file() and self.index.is_file():
            # seeded from the user's index, whose stat data spares hashing the tracked files
            with self._scratch_index() as scratch:
                shutil.copyfile(self.index, scratch)
                os.replace(scratch, own)
        self._run("add", "-A", "--ignore-errors", "--", *(self.pathspec or ["."]), index=own)
        return self._run("write-tree", index=own).strip()

    def _ignored_now(self) -> str:
        """A blob listing the ignored paths that exist now (NUL-separated; `dir/` for a wholly
        ignored directory, which is not walked)."""
        listing = self._run(
            "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory",
            "--", *self.pathspec, index=self._own_index,
        )  # fmt: skip
        return self._run("hash-object", "-w", "--stdin", stdin=listing).strip()

    def _commit(self, step: Step, ignored: str, label: str, parent: str | None, when: int) -> str:
        entries = [f"040000 tree {step.before}\tbefore", f"100644 blob {ignored}\tignored"]
        if step.after:
            entries.append(f"040000 tree {step.after}\tafter")
        tree = self._run("mktree", "-z", stdin="".join(e + "\0" for e in entries)).strip()
        args = ["commit-tree", tree, "-m", label, *(["-p", parent] if parent else [])]
        # the creation time stays the checkpoint's own when it is sealed later
        date = {"GIT_AUTHOR_DATE": f"@{when} +0000", "GIT_COMMITTER_DATE": f"@{when} +0000"}
        return self._run(*args, env=date).strip()

    def _new(self, label: str, parent: str | None) -> tuple[str, int]:
        before = self.snapshot_tree()
        ignored = self._ignored_now()
        created = int(time.time())
        commit = self._commit(Step(before, None, frozenset()), ignored, label, parent, created)
        return commit, created

    def take(self, label: str) -> Checkpoint:
        """A checkpoint of the workspace now, before a step's tools run."""
        parent = self._resolve(self.ref)
        commit, created = self._new(label, parent)
        self._run("update-ref", self.ref, commit, *([parent] if parent else []))
        return Checkpoint(commit, label, created)

    def _take_backup(self, undone: Checkpoint, ignored: list[str]) -> Checkpoint:
        """A checkpoint of the workspace now, before a forced undo, on a ref of its own; its
        parent is the newest checkpoint, which undoing the backup brings back. The `ignored`
        paths the undo will overwrite are added to it although git ignores them."""
        if ignored:
            paths = [f":(literal){path}" for path in ignored]
            self._run("add", "-f", "--", *paths, index=self._own_index)
        label = f"backup before the forced undo to {undone.short}"
        commit, created = self._new(label, self._resolve(self.ref))
        ref = self._backups + time.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)
        self._run("update-ref", ref, commit, "")
        return Checkpoint(commit, label, created, ref)

    def seal(self, checkpoint: Checkpoint) -> Checkpoint:
        """Record how the step of `checkpoint` left the workspace (call it once the step ended).
        A checkpoint that is no longer the newest, or already sealed, is left as it is."""
        ref = self._ref_of(checkpoint)
        if self._resolve(ref) != checkpoint.commit:
            return checkpoint
        step = self.step(checkpoint)
        if step.after is not None:
            return checkpoint
        after = self.snapshot_tree()
        ignored = self._run("rev-parse", checkpoint.commit + ":ignored").strip()
        parent = self._parent(checkpoint.commit)
        sealed = Step(step.before, after, step.ignored)
        commit = self._commit(sealed, ignored, checkpoint.label, parent, checkpoint.created)
        self._run("update-ref", ref, commit, checkpoint.commit)
        return Checkpoint(commit, checkpoint.label, checkpoint.created, checkpoint.backup_ref)

    # -- reading -----------------------------------------------------------------------------

    def _resolve(self, ref: str) -> str | None:
        try:
            return self._run("rev-parse", "-q", "--verify", ref + "^{commit}").strip()
        except CheckpointError:
            return None

    def _parent(self, commit: str) -> str | None:
        parents = self._run("log", "-1", "--format=%P", commit).split()
        return parents[0] if parents else None

    def _ref_of(self, checkpoint: Checkpoint) -> str:
        return checkpoint.backup_ref or self.ref

    @property
    def _backups(self) -> str:
        return f"{BACKUP_PREFIX}{self.session_id}/"

    def all(self) -> list[Checkpoint]:
        """Checkpoints, newest first."""
        if not self._resolve(self.ref):
            return []
        out = self._run("log", "--first-parent", "--format=%H %ct %s", self.ref)
        found = []
        for line in out.splitlines():
            commit, created, label = [*line.split(" ", 2), ""][:3]
            found.append(Checkpoint(commit, label, int(created)))
        return found

    def backups(self) -> list[Checkpoint]:
        """Backups kept by forced undos, newest first."""
        out = self._run(
            "for-each-ref", "--sort=-committerdate",
            "--format=%(objectname) %(refname) %(committerdate:unix) %(contents:subject)",
            self._backups,
        )  # fmt: skip
        found = []
        for line in out.splitlines():
            commit, ref, created, label = [*line.split(" ", 3), ""][:4]
            found.append(Checkpoint(commit, label, int(created), ref))
        return found

    def find(self, target: str | None) -> Checkpoint:
        """The checkpoint an undo goes to: by default the newest whose step changed files in
        the workspace (a declined edit, a command that only read, are skipped); else `target`:
        1 = the newest, 2 = the one before, or a commit prefix (backups included)."""
        found = self.all()
        if target is None:
            if not found:
                raise UsageError("nothing to undo: no checkpoints in this session")
            start = self.snapshot_tree()  # where the step after each one began; now for the newest
            for checkpoint in found:
                step = self.step(checkpoint)
                if step.own(self.diff(step.before, step.after or start)):
                    return checkpoint
                start = step.before
            raise UsageError("nothing to undo: no step changed files in the workspace")
        if target.isdigit() and 1 <= int(target) <= len(found):
            return found[int(target) - 1]
        matches = [c for c in found + self.backups() if c.commit.startswith(target)]
        if len(matches) != 1 or len(target) < 4:
            raise UsageError(f"no single checkpoint matches {target!r}; `undo --list` shows them")
        return matches[0]

    def step(self, checkpoint: Checkpoint) -> Step:
        entries = {}
        for entry in self._run("ls-tree", "-z", checkpoint.commit).split("\0"):
            meta, _, name = entry.partition("\t")
            if name:
                entries[name] = meta.split()[2]
        if "before" not in entries or "ignored" not in entries:
            raise CheckpointError(
                f"checkpoint {checkpoint.short} was not written by this version of minimax-agent"
            )
        ignored = self._run("cat-file", "blob", entries["ignored"]).split("\0")
        return Step(entries["before"], entries.get("after"), frozenset(p for p in ignored if p))

    def diff(self, old: str, new: str) -> list[Change]:
        """What differs between two snapshot trees inside the workspace."""
        out = self._run("diff-tree", "-r", "--no-renames", "-z", old, new, "--", *self.pathspec)
        fields = out.split("\0")
        return [Change.parse(fields[i], fields[i + 1]) for i in range(0, len(fields) - 1, 2)]

    # -- undoing -----------------------------------------------------------------------------

    def plan(self, checkpoint: Checkpoint) -> UndoPlan:
        """What undoing to `checkpoint` would write and delete, and what stands in the way."""
        found = [checkpoint] if checkpoint.backup else self.all()
        if checkpoint not in found:
            raise UsageError(f"checkpoint {checkpoint.short} is not in this session")
        chain = found[: found.index(checkpoint) + 1][::-1]  # oldest first
        steps = [self.step(c) for c in chain]
        return plan_undo(steps, self.snapshot_tree(), self.diff, self._on_disk)

    def _on_disk(self, path: str) -> bool:
        return os.path.lexists(self.top / path)

    def restore(self, checkpoint: Checkpoint, *, force: bool = False) -> Restored:
        """Undo every step from `checkpoint` on: put back what those steps changed inside the
        workspace and drop their checkpoints. Raises UndoConflictError when the user changed
        one of those files since, unless `force`, which first keeps a backup."""
        plan = self.plan(checkpoint)
        backup = None
        if plan.conflicts:
            if not force:
                raise UndoConflictError(
                    checkpoint, plan.conflicts, listed_conflicts(plan.conflicts)
                )
            ignored = [c.path for c in plan.conflicts if c.why == "ignored"]
            backup = self._take_backup(checkpoint, ignored)
        done = self._apply(plan, checkpoint)
        if backup is not None:
            done.backup = self.seal(backup)
        self._drop(checkpoint)
        return done

    def _apply(self, plan: UndoPlan, checkpoint: Checkpoint) -> Restored:
        done = Restored(checkpoint, kept=plan.kept)
        writes = {path: target for path, target in plan.targets.items() if target}
        if writes:
            info = "".join(f"{mode} {sha}\t{path}\0" for path, (mode, sha) in writes.items())
            with self._scratch_index() as scratch:
                scratch.unlink()  # an empty file is no index: git starts a new one
                self._run("update-index", "-z", "--index-info", index=scratch, stdin=info)
                self._run("checkout-index", "-f", "-a", index=scratch)
            done.restored = sorted(writes)
        for path in sorted(p for p, target in plan.targets.items() if target is None):
            target = self.top / path
            if Path(os.path.realpath(target.parent)) != target.parent:
                continue  # a directory on the way is a symlink now: it could lead anywhere
            try:
                target.unlink(missing_ok=True)
            except OSError:  # a directory now (a nested repository, say): left alone
                continue
            prune_empty_dirs(target.parent, self.workspace)
            done.deleted.append(path)
        return done

    def _drop(self, checkpoint: Checkpoint) -> None:
        if checkpoint.backup:
            self._run("update-ref", "-d", checkpoint.backup_ref)
            # the checkpoints the forced undo dropped come back, unless new steps followed
            old_head, head = self._parent(checkpoint.commit), self._resolve(self.ref)
            if old_head and (head is None or self._is_ancestor(head, old_head)):
                self._run("update-ref", self.ref, old_head)
            return
        parent = self._parent(checkpoint.commit)
        self._run("update-ref", *([self.ref, parent] if parent else ["-d", self.ref]))

    def _is_ancestor(self, commit: str, of: str) -> bool:
        try:
            self._run("merge-base", "--is-ancestor", commit, of)
        except CheckpointError:
            return False
        return True

    def diff_against_head(self) -> str:
        """`git diff` of HEAD against the workspace, untracked files included."""
        base = self._resolve("HEAD") and self._run("rev-parse", "HEAD^{tree}").strip()
        tree = self.snapshot_tree()
        args = ["diff", "--no-color", "--no-ext-diff", base or EMPTY_TREE, tree, "--"]
        return self._run(*args, *self.pathspec)

    def drop(self) -> None:
        """Forget this session's checkpoints and backups (`sessions rm`)."""
        for backup in self.backups():
            self._run("update-ref", "-d", backup.backup_ref)
        if self._resolve(self.ref):
            self._run("update-ref", "-d", self.ref)
        self._own_index.unlink(missing_ok=True)
