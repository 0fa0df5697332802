"""Checkpoints: snapshots of the workspace taken before each step that may change it.

A checkpoint is a commit on a private ref, `refs/minimax-agent/checkpoints/<session>`, whose tree
holds every tracked file and every untracked file git does not ignore, exactly as they were on
disk. It is written with git plumbing and the session's own index file inside `.git` (first
copied from the user's, so unchanged files are not re-hashed): the user's branch, index, stash
and reflog are never touched. Because
it is a snapshot and not a record of what the tools did, it also covers whatever a shell
command changed.

Each checkpoint's parent is the previous checkpoint of the session, so the ref's history is the
list of restore points. Undoing to a checkpoint restores its files, deletes files created since,
and moves the ref back to that checkpoint's parent, so a second undo goes one step further.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from minimax_agent.errors import MinimaxAgentError

REF_PREFIX = "refs/minimax-agent/checkpoints/"
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
GIT_TIMEOUT_S = 120
# our commits carry their own identity: a user without user.name must still get checkpoints
_IDENTITY = {
    "GIT_AUTHOR_NAME": "minimax-agent",
    "GIT_AUTHOR_EMAIL": "minimax-agent@localhost",
    "GIT_COMMITTER_NAME": "minimax-agent",
    "GIT_COMMITTER_EMAIL": "minimax-agent@localhost",
}


class CheckpointError(MinimaxAgentError):
    """A checkpoint could not be taken or restored."""


@dataclass(frozen=True)
class Checkpoint:
    commit: str
    tree: str
    label: str
    created: int

    @property
    def short(self) -> str:
        return self.commit[:8]


@dataclass
class Restored:
    checkpoint: Checkpoint
    restored: list[str] = field(default_factory=list)  # changed or deleted since: written back
    deleted: list[str] = field(default_factory=list)  # created since: removed

    @property
    def files(self) -> list[str]:
        return sorted(self.restored + self.deleted)

    def describe(self) -> str:
        parts = []
        if self.restored:
            parts.append("restored " + ", ".join(self.restored))
        if self.deleted:
            parts.append("deleted " + ", ".join(self.deleted))
        return "; ".join(parts) or "no files differed"


class Checkpoints:
    """The restore points of one session in one repository."""

    def __init__(self, top: Path, git_dir: Path, index: Path, session_id: str) -> None:
        self.top = top
        self.git_dir = git_dir
        self.index = index
        self.ref = REF_PREFIX + session_id

    @classmethod
    def open(cls, workspace: Path, session_id: str) -> Checkpoints | None:
        """Checkpoints for the repository holding `workspace`; None outside a git repository."""
        try:
            out = _git(workspace, "rev-parse", "--show-toplevel", "--absolute-git-dir")
            index = _git(workspace, "rev-parse", "--path-format=absolute", "--git-path", "index")
        except CheckpointError:
            return None
        top, git_dir = out.splitlines()[:2]
        return cls(Path(top), Path(git_dir), Path(index.strip()), session_id)

    def _run(self, *args: str, index: Path | None = None, stdin: str | None = None) -> str:
        env = {"GIT_INDEX_FILE": str(index)} if index else {}
        return _git(self.top, *args, env=env, stdin=stdin)

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
        # kept between snapshots, so files unchanged since the last one are not hashed again
        return self.git_dir / f"minimax-agent-{self.ref.rsplit('/', 1)[-1]}.index"

    def snapshot_tree(self) -> str:
        """The tree of the workspace as it is on disk now (tracked + untracked, not ignored)."""
        own = self._own_index
        if not own.is_file() and self.index.is_file():
            # seeded from the user's index, whose stat data spares hashing the tracked files
            with self._scratch_index() as scratch:
                shutil.copyfile(self.index, scratch)
                os.replace(scratch, own)
        self._run("add", "-A", "--ignore-errors", index=own)
        return self._run("write-tree", index=own).strip()

    def take(self, label: str) -> Checkpoint:
        tree = self.snapshot_tree()
        parent = self._head()
        args = ["commit-tree", tree, "-m", label]
        if parent:
            args += ["-p", parent]
        commit = self._run(*args).strip()
        self._run("update-ref", self.ref, commit)
        return Checkpoint(commit, tree, label, int(time.time()))

    def _head(self) -> str | None:
        try:
            return self._run("rev-parse", "-q", "--verify", self.ref + "^{commit}").strip()
        except CheckpointError:
            return None

    def all(self) -> list[Checkpoint]:
        """Checkpoints, newest first."""
        if not self._head():
            return []
        out = self._run("log", "--format=%H %T %ct %s", self.ref)
        found = []
        for line in out.splitlines():
            commit, tree, created, label = [*line.split(" ", 3), ""][:4]
            found.append(Checkpoint(commit, tree, label, int(created)))
        return found

    def changes_since(self, checkpoint: Checkpoint) -> list[tuple[str, str]]:
        """(status, path) for each file that differs now from `checkpoint`: A created since,
        D deleted since, M modified (or its type changed)."""
        now = self.snapshot_tree()
        out = self._run(
            "diff-tree", "-r", "--no-renames", "--name-status", "-z", checkpoint.tree, now
        )
        fields = out.split("\0")
        return [(fields[i][0], fields[i + 1]) for i in range(0, len(fields) - 1, 2)]

    def restore(self, checkpoint: Checkpoint) -> Restored:
        """Put every file back as it was at `checkpoint`, then drop it and later checkpoints."""
        done = Restored(checkpoint)
        changes = self.changes_since(checkpoint)
        back = [path for status, path in changes if status != "A"]
        if back:
            with self._scratch_index() as scratch:
                self._run("read-tree", checkpoint.tree, index=scratch)
                self._run(
                    "checkout-index", "-f", "-z", "--stdin", index=scratch, stdin="\0".join(back)
                )
            done.restored = back
        for status, path in changes:
            if status == "A":
                target = self.top / path
                try:
                    target.unlink(missing_ok=True)
                except OSError:  # a directory now (a nested repository, say): left alone
                    continue
                _prune_empty_dirs(target.parent, self.top)
                done.deleted.append(path)
        parent = self._run("log", "-1", "--format=%P", checkpoint.commit).split()
        if parent:
            self._run("update-ref", self.ref, parent[0])
        else:
            self._run("update-ref", "-d", self.ref)
        return done

    def diff_against_head(self) -> str:
        """`git diff` of HEAD against the workspace, untracked files included."""
        try:
            base = self._run("rev-parse", "-q", "--verify", "HEAD^{tree}").strip()
        except CheckpointError:
            base = EMPTY_TREE
        return self._run("diff", "--no-color", "--no-ext-diff", base, self.snapshot_tree())

    def drop(self) -> None:
        """Forget this session's checkpoints (`sessions rm`)."""
        if self._head():
            self._run("update-ref", "-d", self.ref)
        self._own_index.unlink(missing_ok=True)


def _prune_empty_dirs(directory: Path, top: Path) -> None:
    while directory != top and top in directory.parents:
        try:
            directory.rmdir()
        except OSError:
            return
        directory = directory.parent


def _git(cwd: Path, *args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> str:
    full_env = {**os.environ, **_IDENTITY, "GIT_TERMINAL_PROMPT": "0", **(env or {})}
    full_env.pop("GIT_DIR", None)
    full_env.pop("GIT_WORK_TREE", None)
    try:
        proc = subprocess.run(
            ["git", "-c", "core.hooksPath=/dev/null", *args],
            cwd=cwd,
            env=full_env,
            input=stdin,
            capture_output=True,
            # file names are bytes to git: keep undecodable ones intact on the way back in
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
