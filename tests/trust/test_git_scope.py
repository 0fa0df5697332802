"""A workspace that is a subdirectory of a repository: the git tools show nothing of the
parent's files or commits, and `git_commit()` commits only the workspace's changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import git, make_repo
from tests.tools.conftest import err, ok
from tools.git import git_blame, git_commit, git_diff, git_log, git_show, git_status
from tools.workspace import Workspace

SECRET = "TOP-SECRET-0xC0FFEE"


@pytest.fixture
def parent(tmp_path: Path) -> Path:
    repo = make_repo(tmp_path / "mono", {"secret.txt": f"{SECRET}\n", "pkg/mod.py": "x = 1\n"})
    (repo / "secret.txt").write_text(f"{SECRET} v2\n")
    git(repo, "commit", "-qam", "hidden-subject rotate the secret")
    (repo / "pkg/mod.py").write_text("x = 2\n")
    git(repo, "commit", "-qam", "bump x")
    return repo


@pytest.fixture
def ws(parent: Path) -> Workspace:
    return Workspace(parent / "pkg")


def test_status_and_diff_show_only_the_workspace(parent: Path, ws: Workspace) -> None:
    (parent / "secret.txt").write_text(f"{SECRET} v3\n")
    (parent / "staged.txt").write_text("the user's\n")
    git(parent, "add", "staged.txt")
    assert ok(git_status, ws) == "## main\n(no changes in the workspace)"
    (ws.root / "mod.py").write_text("x = 3\n")
    assert ok(git_status, ws).splitlines() == ["## main", " M mod.py"]  # relative to it
    for target in ("worktree", "staged", "HEAD~2", "HEAD~2..HEAD"):
        out = ok(git_diff, ws, target=target)
        assert SECRET not in out and "secret.txt" not in out and "staged.txt" not in out
    assert "a/mod.py" in ok(git_diff, ws)


def test_log_and_show_hide_the_parents_commits_and_files(parent: Path, ws: Workspace) -> None:
    log = ok(git_log, ws)
    assert "hidden-subject" not in log and "bump x" in log
    outside = git(parent, "rev-parse", "HEAD~1").strip()
    assert ok(git_show, ws, ref=outside) == (
        f"commit {outside[:12]} changes nothing inside the workspace"
    )
    shown = ok(git_show, ws, ref="HEAD~2")  # the initial commit touched both
    assert SECRET not in shown and "secret.txt" not in shown and "+x = 1" in shown
    assert ok(git_show, ws, ref="HEAD~1:mod.py") == "x = 1"  # paths are the workspace's


@pytest.mark.parametrize(
    "ref",
    [
        "HEAD:../secret.txt",
        "HEAD:/secret.txt",
        ":../secret.txt",
        "HEAD:sub/../../secret.txt",
        "HEAD^{tree}",
        "HEAD~1^{tree}:secret.txt",
    ],
)
def test_show_refuses_paths_and_objects_outside(ws: Workspace, ref: str) -> None:
    out = err(git_show, ws, ref=ref)
    assert SECRET not in out


def test_show_refuses_a_blob_or_tree_hash_of_the_parent(parent: Path, ws: Workspace) -> None:
    blob = git(parent, "rev-parse", "HEAD:secret.txt").strip()
    tree = git(parent, "rev-parse", "HEAD^{tree}").strip()
    for ref in (blob, tree, f"{tree}:secret.txt"):
        assert "is not a commit" in err(git_show, ws, ref=ref)
    # the workspace's own name for it finds nothing outside
    assert SECRET not in err(git_show, ws, ref="HEAD:secret.txt")


def test_blame_and_paths_stay_inside(ws: Workspace) -> None:
    assert "outside" in err(git_blame, ws, path="../secret.txt", start=1, end=1)
    assert "outside" in err(git_diff, ws, path="../secret.txt")
    assert "outside" in err(git_log, ws, path="../secret.txt")
    assert "x = 2" in ok(git_blame, ws, path="mod.py", start=1, end=1)


def test_commit_without_paths_leaves_the_users_staged_file_staged(
    parent: Path, ws: Workspace
) -> None:
    (parent / "staged.txt").write_text("the user's work\n")
    git(parent, "add", "staged.txt")
    (parent / "secret.txt").write_text("unstaged edit\n")
    (ws.root / "mod.py").write_text("x = 3\n")
    (ws.root / "new.py").write_text("y = 1\n")
    ok(git_commit, ws, message="agent: pkg only")
    committed = git(parent, "show", "--name-only", "--format=", "HEAD").split()
    assert committed == ["pkg/mod.py", "pkg/new.py"]
    assert git(parent, "status", "--porcelain").splitlines() == [" M secret.txt", "A  staged.txt"]
    # a deletion inside the workspace is committed too
    (ws.root / "new.py").unlink()
    ok(git_commit, ws, message="agent: drop new.py")
    assert git(parent, "show", "--name-status", "--format=", "HEAD").split() == [
        "D",
        "pkg/new.py",
    ]
    assert "A  staged.txt" in git(parent, "status", "--porcelain")
