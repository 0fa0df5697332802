"""Checkpoints in a real git repository: what a snapshot covers, what a restore puts back, and
that the user's branch, index, stash and reflog are never touched."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from minimax_agent.session.checkpoints import REF_PREFIX, Checkpoints
from tests.conftest import git, make_repo
from tests.sessions.conftest import CALC


def user_state(repo: Path) -> dict[str, str]:
    return {
        "head": git(repo, "rev-parse", "HEAD"),
        "branch": git(repo, "branch", "--show-current"),
        "index": git(repo, "ls-files", "-s"),
        "stash": git(repo, "stash", "list"),
        "reflog": git(repo, "reflog", "-n", "5"),
        "status": git(repo, "status", "--porcelain"),
    }


def open_checkpoints(repo: Path, session: str = "s1") -> Checkpoints:
    checkpoints = Checkpoints.open(repo, session)
    assert checkpoints is not None
    return checkpoints


def test_restore_undoes_edits_creations_and_deletions(repo: Path) -> None:
    (repo / "notes.txt").write_text("untracked before\n")  # untracked, not ignored: covered
    (repo / ".gitignore").write_text("build/\n")
    (repo / "build").mkdir()
    (repo / "build" / "out.bin").write_text("ignored\n")
    checkpoints = open_checkpoints(repo)
    before = user_state(repo)
    first = checkpoints.take("before step 1: run_command")
    assert user_state(repo) == before
    assert git(repo, "for-each-ref", "--format=%(refname)").strip().endswith(REF_PREFIX + "s1")

    (repo / "calc.py").write_text("changed\n")
    (repo / "README.md").unlink()
    (repo / "pkg" / "deep").mkdir(parents=True)
    (repo / "pkg" / "deep" / "new.py").write_text("new\n")
    (repo / "notes.txt").write_text("untracked after\n")
    (repo / "build" / "out.bin").write_text("ignored, changed\n")
    # the step was never sealed (as after a killed run): everything since counts as its change
    targets = checkpoints.plan(first).targets
    assert sorted(targets) == ["README.md", "calc.py", "notes.txt", "pkg/deep/new.py"]
    assert targets["pkg/deep/new.py"] is None  # created by the step: to be deleted

    restored = checkpoints.restore(first)
    assert sorted(restored.restored) == ["README.md", "calc.py", "notes.txt"]
    assert restored.deleted == ["pkg/deep/new.py"]
    assert (repo / "calc.py").read_text() == CALC
    assert (repo / "README.md").read_text() == "# demo\n"
    assert (repo / "notes.txt").read_text() == "untracked before\n"
    assert not (repo / "pkg").exists()  # emptied directories go too
    assert (repo / "build" / "out.bin").read_text() == "ignored, changed\n"  # never touched
    assert user_state(repo) == before
    assert checkpoints.all() == []  # undone checkpoints are dropped


def test_undo_steps_back_one_checkpoint_at_a_time(repo: Path) -> None:
    checkpoints = open_checkpoints(repo)
    checkpoints.take("before step 1")
    (repo / "calc.py").write_text("v2\n")
    checkpoints.take("before step 2")
    (repo / "calc.py").write_text("v3\n")
    assert [c.label for c in checkpoints.all()] == ["before step 2", "before step 1"]
    checkpoints.restore(checkpoints.all()[0])
    assert (repo / "calc.py").read_text() == "v2\n"
    assert [c.label for c in checkpoints.all()] == ["before step 1"]
    checkpoints.restore(checkpoints.all()[0])
    assert (repo / "calc.py").read_text() == CALC


def test_staged_and_stashed_work_of_the_user_is_left_alone(repo: Path) -> None:
    (repo / "README.md").write_text("stashed\n")
    git(repo, "stash", "-q")
    (repo / "README.md").write_text("staged\n")
    git(repo, "add", "README.md")
    before = user_state(repo)
    checkpoints = open_checkpoints(repo)
    first = checkpoints.take("before")
    (repo / "calc.py").write_text("agent edit\n")
    checkpoints.restore(first)
    assert user_state(repo) == before
    assert git(repo, "diff", "--cached", "--name-only").split() == ["README.md"]
    assert (repo / "README.md").read_text() == "staged\n"


def test_a_repository_without_commits_or_identity(
    tmp_path: Path, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(var, raising=False)
    repo = tmp_path / "fresh"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "a.txt").write_text("one\n")
    checkpoints = open_checkpoints(repo)
    first = checkpoints.take("before")
    (repo / "a.txt").write_text("two\n")
    (repo / "b.txt").write_text("new\n")
    assert "+two" in checkpoints.diff_against_head()
    checkpoints.restore(first)
    assert (repo / "a.txt").read_text() == "one\n" and not (repo / "b.txt").exists()
    assert not (repo / ".git" / "index").exists()  # the user's index was never created


def test_a_subdirectory_workspace_is_the_only_thing_undone(repo: Path) -> None:
    # (this test used to assert the opposite: undo reverted calc.py, outside the workspace)
    sub = repo / "src"
    sub.mkdir()
    (sub / "mod.py").write_text("v1\n")
    checkpoints = open_checkpoints(sub)
    assert checkpoints.prefix == "src/"
    first = checkpoints.take("before")
    (repo / "calc.py").write_text("changed from a subdirectory's shell command\n")
    (repo / "outside.txt").write_text("created outside the workspace\n")
    (sub / "mod.py").write_text("v2\n")
    restored = checkpoints.restore(first)
    assert restored.files == ["src/mod.py"]
    assert (sub / "mod.py").read_text() == "v1\n"
    assert (repo / "calc.py").read_text() == "changed from a subdirectory's shell command\n"
    assert (repo / "outside.txt").exists()


def test_outside_git_there_are_no_checkpoints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert Checkpoints.open(plain, "s") is None


def test_sessions_do_not_share_checkpoints(tmp_path: Path, isolated_home: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.txt": "a\n"})
    one, two = open_checkpoints(repo, "one"), open_checkpoints(repo, "two")
    one.take("one's")
    assert two.all() == []
    own_index = repo / ".git" / "minimax-agent-one.index"
    assert own_index.is_file()  # kept for the next snapshot, inside .git
    one.drop()
    assert one.all() == [] and not own_index.exists()


def test_undo_skips_steps_that_changed_nothing(repo: Path) -> None:
    from minimax_agent.session.undo_record import restore_checkpoint

    checkpoints = open_checkpoints(repo)
    checkpoints.take("before step 1: edit_file calc.py")
    (repo / "calc.py").write_text("edited\n")
    checkpoints.take("before step 2: run_command ls")  # the command changed nothing
    restored = restore_checkpoint(checkpoints, None)
    assert restored.checkpoint.label == "before step 1: edit_file calc.py"
    assert restored.restored == ["calc.py"] and (repo / "calc.py").read_text() == CALC
    assert checkpoints.all() == []
