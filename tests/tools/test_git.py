"""The git tools against a real repository."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import git
from tests.tools.conftest import err, ok
from tools.base import Tool
from tools.git import git_blame, git_commit, git_diff, git_log, git_show, git_status
from tools.workspace import Workspace


def _head(ws: Workspace) -> str:
    return git(ws.root, "rev-parse", "HEAD").strip()


def test_importing_the_module_does_not_import_gitpython() -> None:
    code = "import sys, tools.git, tools; tools.default_tools(); print('git' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_status(ws: Workspace) -> None:
    assert ok(git_status, ws) == "## main\n(working tree clean)"
    (ws.root / "README.md").write_text("changed\n")
    (ws.root / "new.txt").write_text("n\n")
    (ws.root / "debug.log").write_text("ignored\n")
    out = ok(git_status, ws)
    assert out.splitlines() == ["## main", " M README.md", "?? new.txt"]


def test_diff_worktree_staged_and_ref(ws: Workspace) -> None:
    assert ok(git_diff, ws) == "no differences (worktree)"
    (ws.root / "src/app.py").write_text("def main():\n    return 2\n")
    out = ok(git_diff, ws)
    assert "-    return 1" in out and "+    return 2" in out
    assert ok(git_diff, ws, target="staged") == "no differences (staged)"
    git(ws.root, "add", "src/app.py")
    assert ok(git_diff, ws) == "no differences (worktree)"
    assert "+    return 2" in ok(git_diff, ws, target="staged")
    assert "+    return 2" in ok(git_diff, ws, target="HEAD")
    assert ok(git_diff, ws, target="HEAD", path="README.md") == "no differences (HEAD)"


def test_diff_errors(ws: Workspace) -> None:
    assert "unknown revision" in err(git_diff, ws, target="no-such-branch")
    assert "must not start with '-'" in err(git_diff, ws, target="--output=/tmp/x")
    assert "outside" in err(git_diff, ws, path="../x")


def test_log(ws: Workspace) -> None:
    (ws.root / "README.md").write_text("two\n")
    git(ws.root, "commit", "-qam", "second commit")
    lines = ok(git_log, ws).splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("Test: second commit")
    assert lines[1].endswith("Test: initial")
    assert ok(git_log, ws, n=1).splitlines() == lines[:1]
    assert ok(git_log, ws, path="src/app.py").splitlines() == lines[1:]


def test_log_in_an_empty_repository(tmp_path_factory: pytest.TempPathFactory) -> None:
    root = tmp_path_factory.mktemp("empty")
    git(root, "init", "-q", "-b", "main")
    assert "does not have any commits" in err(git_log, Workspace(root))


def test_show_commit_and_file_at_ref(ws: Workspace) -> None:
    (ws.root / "src/app.py").write_text("def main():\n    return 2\n")
    git(ws.root, "commit", "-qam", "bump")
    out = ok(git_show, ws, ref="HEAD")
    assert "bump" in out and "+    return 2" in out and "src/app.py" in out
    assert ok(git_show, ws, ref="HEAD~1:src/app.py") == "def main():\n    return 1"


def test_an_empty_result_still_says_something(ws: Workspace) -> None:
    (ws.root / "empty.txt").write_text("")
    git(ws.root, "add", "empty.txt")
    git(ws.root, "commit", "-qm", "empty file")
    assert ok(git_show, ws, ref="HEAD:empty.txt") == "(no output)"


def test_show_errors(ws: Workspace) -> None:
    assert "failed" in err(git_show, ws, ref="deadbeef")
    assert "failed" in err(git_show, ws, ref="HEAD:missing.txt")
    assert "must not start with '-'" in err(git_show, ws, ref="-p")
    assert "empty ref" in err(git_show, ws, ref="  ")


def test_blame(ws: Workspace) -> None:
    (ws.root / "src/app.py").write_text("def main():\n    return 1\n    # later\n")
    git(ws.root, "commit", "-qam", "add comment")
    lines = ok(git_blame, ws, path="src/app.py", start=2, end=3).splitlines()
    assert len(lines) == 2
    newest, oldest = _head(ws)[:7], git(ws.root, "rev-parse", "HEAD~1").strip()[:7]
    # git marks lines from the root commit with ^
    assert lines[0].lstrip("^").startswith(oldest) and "return 1" in lines[0]
    assert lines[1].startswith(newest) and "# later" in lines[1]


def test_blame_errors(ws: Workspace) -> None:
    assert "before start" in err(git_blame, ws, path="src/app.py", start=2, end=1)
    assert "has only 2 lines" in err(git_blame, ws, path="src/app.py", start=50, end=60)
    assert "failed" in err(git_blame, ws, path="missing.py", start=1, end=1)
    assert "outside" in err(git_blame, ws, path="../x", start=1, end=1)


def test_commit_everything(ws: Workspace) -> None:
    (ws.root / "README.md").write_text("changed\n")
    (ws.root / "new.txt").write_text("n\n")
    (ws.root / "src/app.py").unlink()
    before = _head(ws)
    out = ok(git_commit, ws, message="Update files\n\nDetails here.")
    sha = git(ws.root, "rev-parse", "--short", "HEAD").strip()
    assert out.splitlines()[0] == f"committed {sha}: Update files"
    assert "3 files changed" in out
    assert git(ws.root, "rev-parse", "HEAD~1").strip() == before
    assert git(ws.root, "status", "--porcelain") == ""
    assert git(ws.root, "log", "-1", "--format=%B").strip() == "Update files\n\nDetails here."


def test_commit_only_given_paths(ws: Workspace) -> None:
    (ws.root / "README.md").write_text("changed\n")
    (ws.root / "src/app.py").write_text("x\n")
    (ws.root / "fresh.py").write_text("y\n")
    git(ws.root, "add", "src/app.py")  # staged earlier, but not part of this commit
    ok(git_commit, ws, message="readme and fresh", paths=["README.md", "fresh.py"])
    changed = git(ws.root, "show", "--name-only", "--format=", "HEAD").split()
    assert sorted(changed) == ["README.md", "fresh.py"]
    assert git(ws.root, "status", "--porcelain").splitlines() == ["M  src/app.py"]


def test_commit_a_literal_path_with_glob_characters(ws: Workspace) -> None:
    (ws.root / "a*.txt").write_text("star\n")
    (ws.root / "ab.txt").write_text("plain\n")
    ok(git_commit, ws, message="star only", paths=["a*.txt"])
    assert git(ws.root, "show", "--name-only", "--format=", "HEAD").split() == ["a*.txt"]


def test_commit_errors(ws: Workspace) -> None:
    assert "nothing to commit" in err(git_commit, ws, message="empty")
    (ws.root / "README.md").write_text("changed\n")
    assert "nothing to commit" in err(git_commit, ws, message="x", paths=["src/app.py"])
    assert "message is empty" in err(git_commit, ws, message="  \n")
    assert "outside" in err(git_commit, ws, message="x", paths=["../elsewhere"])
    assert "failed" in err(git_commit, ws, message="x", paths=["does-not-exist.txt"])
    assert git(ws.root, "rev-list", "--count", "HEAD").strip() == "1"


def test_commit_in_a_subdirectory_workspace_stays_inside_it(ws: Workspace) -> None:
    sub = Workspace(ws.root / "src")
    (ws.root / "src/app.py").write_text("changed\n")
    (ws.root / "README.md").write_text("changed too\n")
    ok(git_commit, sub, message="only src")
    assert git(ws.root, "show", "--name-only", "--format=", "HEAD").split() == ["src/app.py"]
    # the parent's change is neither committed nor shown to a workspace that does not hold it
    assert "README.md" not in ok(git_status, sub)
    assert git(ws.root, "status", "--porcelain").splitlines() == [" M README.md"]


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        (git_status, {}),
        (git_diff, {}),
        (git_log, {}),
        (git_show, {"ref": "HEAD"}),
        (git_blame, {"path": "a.txt", "start": 1, "end": 1}),
        (git_commit, {"message": "m"}),
    ],
)
def test_not_a_repository(plain_ws: Workspace, tool: Tool, args: dict[str, object]) -> None:
    (plain_ws.root / "a.txt").write_text("a\n")
    assert "not a git repository" in err(tool, plain_ws, **args)
