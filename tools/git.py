"""Git tools: status, diff, log, show, blame and commit, confined to the workspace.

Plain `git` subprocesses, not GitPython: GitPython's `execute` always starts from a copy of
`os.environ`, so a hook it ran (with `git_hooks` on) would inherit the provider key; here git
gets exactly the scrubbed environment commands get. Paths go through the Workspace, then become
literal pathspecs from the repository top, so a file named `*.py` means only that file.

The repository is untrusted input. Git runs programs named in its config: hooks (a model that
writes `.husky/pre-commit` in a repository whose `core.hooksPath` is `.husky` would run code at
the next `git_commit`), an fsmonitor, external diff drivers, textconv filters, a pager, the
signing program. Every invocation here turns those off: `core.hooksPath` points at nothing,
`core.fsmonitor` is empty, diffs take `--no-ext-diff --no-textconv`, no pager, and commits are
not signed. Only `Workspace.git_hooks` (the user's `git_hooks` setting) lets commits run the
hooks and sign as configured. Clean/smudge filters stay: they come from the user's own config
(git-lfs), not from a cloned repository, and committing without them would commit the wrong
bytes.

When the workspace is a subdirectory of a repository, every tool sees only the workspace:
status, diff, log and show are limited to its paths and print them relative to it, `REF:PATH`
reads only paths inside it, and `git_commit()` commits only the workspace's changes, leaving
whatever the user staged elsewhere staged.
"""

from __future__ import annotations

import os
import posixpath
import signal
import subprocess
import time
from pathlib import Path
from typing import Annotated

from pydantic import Field

from tools.base import tool
from tools.errors import ToolError
from tools.workspace import Workspace

_ENV = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_PAGER": "cat",
    "GIT_EDITOR": "true",
    # English messages, whatever the user's locale (errors are matched and shown as they are)
    "LANGUAGE": "C",
    "LC_ALL": "C",
}
# `-c` beats every config file, the repository's own included. Hooks are looked up in a
# directory that cannot exist (/dev/null/pre-commit); an empty fsmonitor is none.
_NO_HOOKS = ("-c", "core.hooksPath=/dev/null")
_ALWAYS = (
    "-c",
    "core.fsmonitor=",
    "-c",
    "status.relativePaths=true",  # status paths relative to the workspace, whatever config says
    "--no-pager",
)
_SAFE_DIFF = ("--no-ext-diff", "--no-textconv")


class _Repo:
    """The repository holding the workspace, and where the workspace sits inside it."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        try:
            status, out, err = self._execute("rev-parse", "--show-toplevel")
        except FileNotFoundError:
            raise ToolError("git is not available: no `git` program found") from None
        if status != 0:
            if "work tree" in err:
                raise ToolError(f"not a git repository with a working tree: {ws.root}")
            if "not a git repository" in err:
                raise ToolError(f"not a git repository: {ws.root}")
            raise ToolError(f"git rev-parse failed: {err.strip() or f'exit code {status}'}")
        self.top = Path(out.strip()).resolve()
        try:
            rel = ws.root.relative_to(self.top).as_posix()
        except ValueError:
            raise ToolError(f"the workspace {ws.root} is not inside {self.top}") from None
        self.prefix = "" if rel == "." else rel
        # the whole workspace as a pathspec (`:(top,literal)` alone is the whole tree)
        self.scope = f":(top,literal){self.prefix}"

    @property
    def is_top(self) -> bool:
        return not self.prefix

    def _execute(self, *args: str) -> tuple[int, str, str]:
        config = _ALWAYS if self.ws.git_hooks else _NO_HOOKS + _ALWAYS
        env = dict(os.environ)
        if self.ws.git_hooks:  # hooks get what commands get: no secrets
            from tools.environment import command_environment

            env = dict(self.ws.command_env or command_environment())
        env.update(_ENV)
        timeout = None
        if self.ws.deadline is not None:
            timeout = max(1.0, self.ws.deadline - time.monotonic())
        proc = subprocess.Popen(
            ["git", *config, *args],
            cwd=self.ws.root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # a hook's children can be killed with it
        )
        try:
            out, err = proc.communicate(timeout=timeout)
        except BaseException as exc:  # the wall-time limit, or the user interrupting
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            if isinstance(exc, subprocess.TimeoutExpired):
                raise ToolError(f"git {args[0]} was stopped by the run's wall-time limit") from None
            raise
        text = out.decode("utf-8", errors="replace")
        return proc.returncode, text, err.decode("utf-8", errors="replace")

    def status_of(self, *args: str) -> int:
        return self._execute(*args)[0]

    def run(self, *args: str) -> str:
        """Output of `git ARGS` run in the workspace (one trailing newline removed); a failure
        is a ToolError."""
        status, out, err = self._execute(*args)
        if status != 0:
            message = (err or out or "").strip() or f"exit code {status}"
            raise ToolError(f"git {args[0]} failed: {message}")
        return out[:-1] if out.endswith("\n") else out

    def pathspec(self, path: str) -> str:
        """A workspace path as a literal pathspec from the repository top."""
        real = self.ws.resolve(path)
        try:
            rel = real.relative_to(self.top).as_posix()
        except ValueError:
            raise ToolError(f"{path!r} is not inside the repository {self.top}") from None
        return f":(top,literal){'' if rel == '.' else rel}"

    def commit_of(self, ref: str) -> str:
        """The commit `ref` names (a tag is peeled); trees and blobs are refused, since a
        blob's hash would read a file outside the workspace."""
        status, out, _ = self._execute("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        if status != 0:
            raise ToolError(f"git show failed: {ref!r} is not a commit in this repository")
        return out.strip()

    def inside(self, path: str) -> str:
        """A path at a commit, given relative to the workspace, as a path from the top; the
        tree at a commit is not the work tree, so this is checked by name, not resolved."""
        norm = posixpath.normpath(path.replace("\\", "/") or ".")
        if norm.startswith("/") or norm == ".." or norm.startswith("../"):
            raise ToolError(
                f"path {path!r} is outside the workspace; paths are relative to the workspace"
            )
        if norm == ".":
            return self.prefix
        return f"{self.prefix}/{norm}" if self.prefix else norm


def _ref(value: str, what: str = "ref") -> str:
    value = value.strip()
    if not value:
        raise ToolError(f"empty {what}")
    if value.startswith("-"):
        # it would be read as an option
        raise ToolError(f"invalid {what} {value!r}: it must not start with '-'")
    return value


@tool("read")
def git_status(ws: Workspace) -> str:
    """Show the current branch and changed, staged and untracked files (`git status --short`)."""
    repo = _Repo(ws)
    out = repo.run("status", "--short", "--branch", "--", repo.scope)
    if len(out.splitlines()) <= 1:
        out += "\n(working tree clean)" if repo.is_top else "\n(no changes in the workspace)"
    return out


@tool("read")
def git_diff(
    ws: Workspace,
    target: Annotated[
        str,
        Field(
            description="`worktree` (unstaged changes), `staged` (staged changes), or a "
            "commit/range to compare, e.g. `HEAD~1` or `main..HEAD`."
        ),
    ] = "worktree",
    path: Annotated[
        str | None, Field(description="Limit the diff to this file or directory.")
    ] = None,
) -> str:
    """Show changes as a unified diff: unstaged, staged, or against a commit."""
    repo = _Repo(ws)
    args = ["diff", "--relative", *_SAFE_DIFF]
    if target == "staged":
        args.append("--cached")
    elif target != "worktree":
        args.append(_ref(target))
    if path is not None:
        args += ["--", repo.pathspec(path)]
    elif not repo.is_top:
        args += ["--", repo.scope]
    out = repo.run(*args)
    return out or f"no differences ({target})"


@tool("read")
def git_log(
    ws: Workspace,
    n: Annotated[int, Field(ge=1, le=500, description="How many commits to show.")] = 20,
    path: Annotated[
        str | None, Field(description="Only commits touching this file or directory.")
    ] = None,
) -> str:
    """Show recent commits, newest first: short hash, date, author, subject."""
    repo = _Repo(ws)
    args = ["log", f"-n{n}", "--date=short", "--format=%h %ad %an: %s"]
    if path is not None:
        args += ["--", repo.pathspec(path)]
    elif not repo.is_top:
        args += ["--", repo.scope]  # only commits that touched the workspace
    return repo.run(*args) or "no commits"


@tool("read")
def git_show(
    ws: Workspace,
    ref: Annotated[
        str,
        Field(
            description="A commit (e.g. `HEAD`, `abc123`) to see its message and diff, or "
            "`REF:PATH` (PATH relative to the workspace) to see a file as it was."
        ),
    ],
) -> str:
    """Show a commit (message, stats and diff) or a file's content at a commit."""
    repo = _Repo(ws)
    ref = _ref(ref)
    if ":" in ref:
        rev, _, path = ref.partition(":")
        # an empty REF is the index (`:PATH`), as in git
        base = repo.commit_of(rev) if rev else ""
        return repo.run("show", *_SAFE_DIFF, f"{base}:{repo.inside(path)}")
    sha = repo.commit_of(ref)
    args = ["show", "--stat", "--patch", "--format=fuller", "--relative", *_SAFE_DIFF, sha]
    if repo.is_top:
        return repo.run(*args)
    out = repo.run(*args, "--", repo.scope)
    return out or f"commit {sha[:12]} changes nothing inside the workspace"


@tool("read")
def git_blame(
    ws: Workspace,
    path: Annotated[str, Field(description="File path, relative to the workspace root.")],
    start: Annotated[int, Field(ge=1, description="First line (1-based).")],
    end: Annotated[int, Field(ge=1, description="Last line (inclusive).")],
) -> str:
    """Show who last changed each line in a range of a file, and in which commit."""
    if end < start:
        raise ToolError(f"end ({end}) is before start ({start})")
    repo = _Repo(ws)
    # blame takes a plain path, relative to where git runs: the workspace
    rel = ws.relative(ws.resolve(path))
    return repo.run("blame", "--no-textconv", "--date=short", f"-L{start},{end}", "--", rel)


@tool("write")
def git_commit(
    ws: Workspace,
    message: Annotated[str, Field(description="Commit message: a summary line, then details.")],
    paths: Annotated[
        list[str] | None,
        Field(description="Files to stage and commit; all changes in the workspace if omitted."),
    ] = None,
) -> str:
    """Stage changes (the given paths, or everything in the workspace) and commit them."""
    if not message.strip():
        raise ToolError("the commit message is empty")
    repo = _Repo(ws)
    specs = [repo.pathspec(p) for p in paths] if paths else [repo.scope]
    # -A so deletions are staged too
    repo.run("add", "-A", "--", *specs)
    if repo.status_of("diff", "--cached", "--quiet", *_SAFE_DIFF, "--", *specs) == 0:
        where = ", ".join(paths) if paths else "the workspace"
        raise ToolError(f"nothing to commit: no changes in {where}")
    # --only with the pathspecs: files the user staged elsewhere stay staged, uncommitted
    args = ["commit", "--quiet", "--only", "-m", message]
    if not ws.git_hooks:
        args.append("--no-gpg-sign")  # the signing program is config the repository can set
    repo.run(*args, "--", *specs)
    sha = repo.run("rev-parse", "--short", "HEAD").strip()
    stat = repo.run("show", "--shortstat", "--format=", *_SAFE_DIFF, "HEAD").strip()
    summary = message.strip().splitlines()[0]
    return f"committed {sha}: {summary}" + (f"\n{stat}" if stat else "")
