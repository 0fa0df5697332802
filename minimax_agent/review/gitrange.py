"""Which changes are reviewed, and their raw `git diff` text.

Plain `git` subprocesses rather than GitPython: four or five short commands do not justify its
import cost, and the flags below pin down everything a user's git config could change about the
diff's shape (prefixes, colour, external diff drivers, quoting of non-ASCII paths).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from minimax_agent.errors import ReviewSetupError

DIFF_ARGS = (
    "-c",
    "core.quotepath=false",
    "diff",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--no-relative",
    "--find-renames",
    "--src-prefix=a/",
    "--dst-prefix=b/",
    "--unified=3",
)
DEFAULT_BASES = ("origin/HEAD", "main", "master", "origin/main", "origin/master")
FETCH_HINT = (
    "fetch the missing history first: in GitHub Actions give actions/checkout `fetch-depth: 0`; "
    "elsewhere run `git fetch --unshallow` or `git fetch origin BRANCH`"
)


@dataclass
class DiffSource:
    """The changes to review: the raw diff and where it came from."""

    root: Path
    mode: str  # range · uncommitted · commit
    text: str
    base_ref: str | None = None
    base_sha: str | None = None
    head_ref: str | None = None
    head_sha: str | None = None  # None when the working tree is reviewed
    warnings: list[str] = field(default_factory=list)

    @property
    def description(self) -> str:
        def side(ref: str | None, sha: str | None) -> str:
            short = sha[:12] if sha else None
            if ref and short and ref != sha:
                return f"{ref} ({short})"
            return short or ref or "?"

        if self.mode == "uncommitted":
            return f"uncommitted changes against {side(self.head_ref, self.head_sha)}"
        if self.mode == "commit":
            return f"commit {side(self.head_ref, self.head_sha)}"
        return f"{side(self.base_ref, self.base_sha)} → {side(self.head_ref, self.head_sha)}"


def _git(root: Path, *args: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "LC_ALL": "C"}
    try:
        proc = subprocess.run(
            # no hooks, no fsmonitor program: the checkout under review is untrusted
            [
                "git",
                "-c",
                "core.hooksPath=/dev/null",
                "-c",
                "core.fsmonitor=",
                "-C",
                str(root),
                *args,
            ],
            capture_output=True,
            env=env,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except OSError as exc:
        raise ReviewSetupError(f"cannot run git: {exc}") from None
    # diffs hold whatever bytes the files hold; a review can live with replacement characters
    out = subprocess.CompletedProcess(
        proc.args,
        proc.returncode,
        proc.stdout.decode("utf-8", errors="replace"),
        proc.stderr.decode("utf-8", errors="replace"),
    )
    if proc.returncode not in ok:
        message = out.stderr.strip() or out.stdout.strip() or f"exit code {proc.returncode}"
        raise ReviewSetupError(f"git {args[0] if args[0] != '-c' else args[2]} failed: {message}")
    return out


def repo_root(directory: Path) -> Path:
    if not directory.is_dir():
        raise ReviewSetupError(f"{directory} is not a directory")
    try:
        out = _git(directory, "rev-parse", "--show-toplevel")
    except ReviewSetupError:
        raise ReviewSetupError(f"{directory} is not inside a git work tree") from None
    return Path(out.stdout.strip()).resolve()


def is_shallow(root: Path) -> bool:
    return _git(root, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"


def commit_sha(root: Path, ref: str) -> str | None:
    if ref.startswith("-"):
        raise ReviewSetupError(f"invalid ref {ref!r}: it must not start with '-'")
    out = _git(
        root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}", ok=(0, 1)
    )
    return out.stdout.strip() or None if out.returncode == 0 else None


def _require(root: Path, ref: str, what: str) -> str:
    sha = commit_sha(root, ref)
    if sha is not None:
        return sha
    where = " (this clone is shallow)" if is_shallow(root) else ""
    raise ReviewSetupError(f"{what} {ref!r} is not in this repository{where}; {FETCH_HINT}")


def default_base(root: Path) -> str:
    for ref in DEFAULT_BASES:
        if commit_sha(root, ref):
            return ref
    raise ReviewSetupError(
        "no base to compare with: there is no origin/HEAD, main or master here; pass --base REF "
        f"(in a shallow clone, {FETCH_HINT})"
    )


def empty_tree(root: Path) -> str:
    # asked of git rather than hard-coded: SHA-256 repositories have a different one
    return _git(root, "hash-object", "-t", "tree", "/dev/null").stdout.strip()


def _shallow_boundary(root: Path) -> set[str]:
    path = Path(_git(root, "rev-parse", "--git-path", "shallow").stdout.strip())
    if not path.is_absolute():
        path = root / path
    try:
        return set(path.read_text().split())
    except OSError:
        return set()


def _range(root: Path, base: str, head: str) -> DiffSource:
    base_sha = _require(root, base, "base")
    head_sha = _require(root, head, "head")
    source = DiffSource(root, "range", "", base, base_sha, head, head_sha)
    out = _git(root, "merge-base", base_sha, head_sha, ok=(0, 1))
    start = out.stdout.strip() if out.returncode == 0 else ""
    if not start:
        # both tips are here but not the history joining them: compare the two trees, which is
        # right as long as the base did not move since the branch point
        why = "the clone is shallow" if is_shallow(root) else "the histories are unrelated"
        source.warnings.append(
            f"no merge base of {base} and {head} ({why}); comparing the two commits directly, so "
            f"changes made on {base} after the branch point may show up too. To fix it, "
            + FETCH_HINT
        )
        start = base_sha
    source.base_sha = start
    source.text = _git(root, *DIFF_ARGS, start, head_sha).stdout
    return source


def _commit(root: Path, ref: str) -> DiffSource:
    sha = _require(root, ref, "commit")
    parents = _git(root, "rev-list", "--parents", "-n", "1", sha).stdout.split()[1:]
    if not parents and sha in _shallow_boundary(root):
        raise ReviewSetupError(
            f"the parent of commit {ref} is not in this shallow clone; fetch at least one more "
            "commit (actions/checkout `fetch-depth: 2`, or `git fetch --deepen=1`)"
        )
    parent = parents[0] if parents else empty_tree(root)
    text = _git(root, *DIFF_ARGS, parent, sha).stdout
    return DiffSource(root, "commit", text, parent, parent, ref, sha)


def _untracked_diff(root: Path) -> str:
    out = _git(root, "ls-files", "--others", "--exclude-standard", "-z")
    parts: list[str] = []
    for path in filter(None, out.stdout.split("\0")):
        # --no-index exits 1 when the files differ, which they always do here
        diff = _git(root, *DIFF_ARGS, "--no-index", "--", "/dev/null", path, ok=(0, 1))
        parts.append(diff.stdout)
    return "".join(parts)


def _uncommitted(root: Path) -> DiffSource:
    head = commit_sha(root, "HEAD")
    against = head or empty_tree(root)
    text = _git(root, *DIFF_ARGS, against).stdout + _untracked_diff(root)
    return DiffSource(root, "uncommitted", text, "HEAD", head, "HEAD", head)


def collect(
    root: Path,
    *,
    base: str | None = None,
    head: str | None = None,
    uncommitted: bool = False,
    commit: str | None = None,
) -> DiffSource:
    """The diff to review. `--uncommitted` and `--commit` exclude `--base`/`--head`."""
    if uncommitted and commit:
        raise ReviewSetupError("--uncommitted and --commit cannot be combined")
    if (uncommitted or commit) and (base or head):
        which = "--uncommitted" if uncommitted else "--commit"
        raise ReviewSetupError(f"{which} cannot be combined with --base or --head")
    if uncommitted:
        return _uncommitted(root)
    if commit:
        return _commit(root, commit)
    return _range(root, base or default_base(root), head or "HEAD")
