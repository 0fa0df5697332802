"""Undo never loses user data: replayed attacks and accidents, end to end.

The agent's steps run through the real CLI (`fix`, scripted backend, `--sandbox off` so a shell
command may reach outside the workspace as an unsandboxed one could) in temporary git repos;
the user's later work is done by the test between the run and `minimax-agent undo`. Where the
order of steps and user edits matters finer than a run, the `Checkpoints` API is driven
directly (take before a step, seal after it), as the conversation does.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from minimax_agent.errors import UndoConflictError, UsageError
from minimax_agent.session.checkpoints import Checkpoints
from minimax_agent.session.store import latest_session
from tests.conftest import RunCli, git, make_repo, write_script
from tests.sessions.conftest import CALC, invoke

DONE = "r</think>\n\nDone."


def fix(invoke_cli: RunCli, workspace: Path, tmp_path: Path, *steps: str) -> None:
    script = write_script(tmp_path / f"script-{len(list(tmp_path.glob('script-*')))}.json",
                          [*steps, DONE])  # fmt: skip
    proc = invoke_cli(
        "fix", "do it", "-C", str(workspace), "--backend", f"scripted:{script}", "--sandbox", "off"
    )
    assert proc.returncode == 0, proc.stderr


def step(*calls: str) -> str:
    return "r</think>\n\n" + "".join(calls)


def events(workspace: Path, kind: str) -> list[dict[str, Any]]:
    path = latest_session(workspace.resolve()).path
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [r for r in records if r.get("t") == "event" and r.get("kind") == kind]


def no_traceback(proc: Any) -> None:
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr


@pytest.fixture
def ignored_repo(tmp_path: Path, isolated_home: Path) -> Path:
    repo = make_repo(tmp_path / "app", {".gitignore": "data/\n.env\nnode_modules/\n", "app.py": ""})
    (repo / "data").mkdir()
    (repo / "data" / "db").write_text("the user's database\n")
    (repo / ".env").write_text("SECRET=precious\n")
    (repo / "node_modules" / "left-pad").mkdir(parents=True)
    (repo / "node_modules" / "left-pad" / "index.js").write_text("module.exports = 1\n")
    return repo


def ignored_files_intact(repo: Path) -> None:
    assert (repo / "data" / "db").read_text() == "the user's database\n"
    assert (repo / ".env").read_text() == "SECRET=precious\n"
    assert (repo / "node_modules" / "left-pad" / "index.js").read_text() == "module.exports = 1\n"


# -- files ignored at the checkpoint are never deleted ---------------------------------------


@pytest.mark.parametrize(
    "unignore",
    [
        invoke("write_file", path=".gitignore", content="# nothing ignored any more\n"),
        invoke("run_command", command="rm .gitignore"),
    ],
    ids=["edited", "removed"],
)
def test_undo_keeps_files_that_were_ignored_when_gitignore_changes(
    tmp_path: Path, ignored_repo: Path, invoke_cli: RunCli, unignore: str
) -> None:
    repo = ignored_repo
    fix(
        invoke_cli,
        repo,
        tmp_path,
        step(unignore),
        step(invoke("write_file", path="n.md", content="x")),
    )
    assert not (repo / ".gitignore").exists() or "nothing" in (repo / ".gitignore").read_text()
    proc = invoke_cli("undo", "--to", "2", "-C", str(repo))  # both steps
    assert proc.returncode == 0, proc.stderr
    ignored_files_intact(repo)
    assert (repo / ".gitignore").read_text() == "data/\n.env\nnode_modules/\n"
    assert not (repo / "n.md").exists()
    assert "deleted n.md" in proc.stdout and "git ignored at the checkpoint" in proc.stdout
    assert "data/db" not in proc.stdout and ".env" not in proc.stdout
    assert git(repo, "status", "--porcelain") == ""


def test_one_step_at_a_time_keeps_them_too(
    tmp_path: Path, ignored_repo: Path, invoke_cli: RunCli
) -> None:
    repo = ignored_repo
    unignore = invoke("write_file", path=".gitignore", content="")
    fix(
        invoke_cli,
        repo,
        tmp_path,
        step(unignore),
        step(invoke("write_file", path="n.md", content="x")),
    )
    first = invoke_cli("undo", "-C", str(repo))
    assert first.returncode == 0 and "deleted n.md" in first.stdout, first.stderr
    second = invoke_cli("undo", "-C", str(repo))
    assert second.returncode == 0 and "restored .gitignore" in second.stdout, second.stderr
    ignored_files_intact(repo)


def test_an_ignored_file_the_agent_then_edits_goes_back_to_its_content_before_that_edit(
    tmp_path: Path, ignored_repo: Path, invoke_cli: RunCli
) -> None:
    repo = ignored_repo
    unignore = invoke("write_file", path=".gitignore", content="")
    clobber = invoke("run_command", command="echo overwritten > .env")
    fix(invoke_cli, repo, tmp_path, step(unignore), step(clobber))
    assert (repo / ".env").read_text() == "overwritten\n"
    proc = invoke_cli("undo", "--to", "2", "-C", str(repo))
    assert proc.returncode == 0, proc.stderr
    ignored_files_intact(repo)  # step 1 had made .env visible, so step 2's edit was recorded


# -- only the workspace ----------------------------------------------------------------------


def test_undo_touches_nothing_outside_a_subdirectory_workspace(
    tmp_path: Path, isolated_home: Path, invoke_cli: RunCli
) -> None:
    repo = make_repo(
        tmp_path / "mono",
        {"svc/api.py": "v1\n", "shared.txt": "shared v1\n", "other/keep.txt": "keep\n"},
    )
    workspace = repo / "svc"
    command = " && ".join(
        [
            "echo v2 > api.py",
            "echo new > made.txt",
            "echo step > ../shared.txt",  # outside the workspace, as an unsandboxed command can
            "rm ../other/keep.txt",
            "echo out > ../outside.txt",
        ]
    )
    fix(invoke_cli, workspace, tmp_path, step(invoke("run_command", command=command)))
    (repo / "someone.txt").write_text("someone else's work, outside the workspace\n")
    proc = invoke_cli("undo", "-C", str(workspace))
    assert proc.returncode == 0, proc.stderr
    assert (workspace / "api.py").read_text() == "v1\n" and not (workspace / "made.txt").exists()
    # outside the workspace: exactly as the step and "someone" left it
    assert (repo / "shared.txt").read_text() == "step\n"
    assert not (repo / "other" / "keep.txt").exists()
    assert (repo / "outside.txt").read_text() == "out\n"
    assert (repo / "someone.txt").exists()
    assert sorted(events(workspace, "undo")[0]["files"]) == ["svc/api.py", "svc/made.txt"]


# -- the user's work after the step ----------------------------------------------------------


def agent_edits(tmp_path: Path, repo: Path, invoke_cli: RunCli) -> None:
    edit = invoke("edit_file", path="calc.py", old_string="return a - b", new_string="return a + b")
    make = invoke("write_file", path="gen.py", content="generated\n")
    drop = invoke("run_command", command="rm README.md")
    fix(invoke_cli, repo, tmp_path, step(edit, make, drop))


def test_undo_refuses_over_later_user_work_and_force_keeps_a_backup(
    tmp_path: Path, repo: Path, invoke_cli: RunCli
) -> None:
    agent_edits(tmp_path, repo, invoke_cli)
    ref = git(repo, "for-each-ref", "--format=%(refname)", "refs/minimax-agent/checkpoints/")
    assert "after" in git(repo, "ls-tree", "--name-only", ref.strip())  # the step was sealed
    # the user's own work, after the run
    (repo / "new.txt").write_text("user's new file\n")
    (repo / "calc.py").write_text("user's calc\n")
    (repo / "gen.py").write_text("user improved the generated file\n")
    (repo / "README.md").write_text("user's new readme\n")
    state = {p.name: p.read_text() for p in repo.iterdir() if p.is_file()}

    refused = invoke_cli("undo", "-C", str(repo))
    assert refused.returncode == 1
    no_traceback(refused)
    listed = re.findall(r"^  (\S+): (.*)$", refused.stderr, re.M)
    assert listed == [
        ("README.md", "created since the step"),
        ("calc.py", "changed since the step"),
        ("gen.py", "changed since the step"),
    ]  # new.txt is the user's alone: undo would not touch it, so it is no conflict
    assert "--force" in refused.stderr
    assert {p.name: p.read_text() for p in repo.iterdir() if p.is_file()} == state
    assert events(repo, "undo") == []

    forced = invoke_cli("undo", "--force", "-C", str(repo))
    assert forced.returncode == 0, forced.stderr
    assert (repo / "calc.py").read_text() == CALC
    assert (repo / "README.md").read_text() == "# demo\n"
    assert not (repo / "gen.py").exists()
    assert (repo / "new.txt").read_text() == "user's new file\n"  # never the agent's
    backup = re.search(r"undo --to (\w+) puts them back", forced.stdout)
    assert backup, forced.stdout
    assert backup.group(1) in invoke_cli("undo", "--list", "-C", str(repo)).stdout
    assert events(repo, "undo")[0]["backup"].startswith(backup.group(1))

    redo = invoke_cli("undo", "--to", backup.group(1), "-C", str(repo))
    assert redo.returncode == 0, redo.stderr
    assert {p.name: p.read_text() for p in repo.iterdir() if p.is_file()} == state
    # the step's checkpoint is back as well: undoing it again meets the same user work
    again = invoke_cli("undo", "-C", str(repo))
    assert again.returncode == 1 and "calc.py: changed since the step" in again.stderr
    assert invoke_cli("undo", "--force", "-C", str(repo)).returncode == 0
    assert git(repo, "for-each-ref", "refs/minimax-agent/backups/")
    assert invoke_cli("sessions", "rm", latest_session(repo.resolve()).id).returncode == 0
    assert git(repo, "for-each-ref", "refs/minimax-agent/") == ""  # backups go with it


def test_user_work_on_other_files_does_not_stop_the_undo(
    tmp_path: Path, repo: Path, invoke_cli: RunCli
) -> None:
    edit = invoke("edit_file", path="calc.py", old_string="return a - b", new_string="return a + b")
    fix(invoke_cli, repo, tmp_path, step(edit))
    (repo / "README.md").write_text("the user's edit\n")
    (repo / "notes.txt").write_text("the user's notes\n")
    proc = invoke_cli("undo", "-C", str(repo))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1:] == ["restored calc.py"]
    assert (repo / "calc.py").read_text() == CALC
    assert (repo / "README.md").read_text() == "the user's edit\n"
    assert (repo / "notes.txt").read_text() == "the user's notes\n"
    assert git(repo, "for-each-ref", "refs/minimax-agent/backups/") == ""  # nothing forced


# -- finer orderings, through the Checkpoints API --------------------------------------------


def opened(repo: Path) -> Checkpoints:
    checkpoints = Checkpoints.open(repo, "s")
    assert checkpoints is not None
    return checkpoints


def test_user_edits_between_steps_survive_an_undo_of_both(repo: Path) -> None:
    checkpoints = opened(repo)
    first = checkpoints.take("step 1")
    (repo / "calc.py").write_text("agent, step 1\n")
    checkpoints.seal(first)
    (repo / "README.md").write_text("user, between the steps\n")  # not touched by step 1
    second = checkpoints.take("step 2")
    (repo / "README.md").write_text("agent, step 2\n")
    checkpoints.seal(second)
    checkpoints.restore(checkpoints.find("2"))
    assert (repo / "calc.py").read_text() == CALC
    # put back as it was before the step that changed it, the user's edit included
    assert (repo / "README.md").read_text() == "user, between the steps\n"


def test_a_user_edit_between_steps_to_a_file_the_agent_changed_is_a_conflict(repo: Path) -> None:
    checkpoints = opened(repo)
    first = checkpoints.take("step 1")
    (repo / "calc.py").write_text("agent, step 1\n")
    checkpoints.seal(first)
    (repo / "calc.py").write_text("user, between the steps\n")
    second = checkpoints.take("step 2")
    (repo / "notes.txt").write_text("agent, step 2\n")
    checkpoints.seal(second)
    with pytest.raises(UndoConflictError) as caught:
        checkpoints.restore(checkpoints.find("2"))
    assert [(c.path, c.why) for c in caught.value.conflicts] == [("calc.py", "changed")]
    assert (repo / "calc.py").read_text() == "user, between the steps\n"
    assert (repo / "notes.txt").exists()
    # the newer step alone is no conflict
    assert checkpoints.restore(checkpoints.find(None)).deleted == ["notes.txt"]


def test_a_file_recreated_where_git_now_ignores_it_is_a_conflict(repo: Path) -> None:
    checkpoints = opened(repo)
    first = checkpoints.take("step 1")
    (repo / "README.md").unlink()  # the agent deletes it
    first = checkpoints.seal(first)  # sealing writes a new commit: this is the checkpoint now
    (repo / ".git" / "info" / "exclude").write_text("README.md\n")
    (repo / "README.md").write_text("the user's new one, ignored\n")
    with pytest.raises(UndoConflictError) as caught:
        checkpoints.restore(first)
    assert [(c.path, c.why) for c in caught.value.conflicts] == [("README.md", "ignored")]
    assert (repo / "README.md").read_text() == "the user's new one, ignored\n"


def test_a_step_that_only_unignored_files_through_git_info_exclude_has_nothing_to_undo(
    repo: Path,
) -> None:
    exclude = repo / ".git" / "info" / "exclude"
    exclude.write_text("cache/\n")
    (repo / "cache").mkdir()
    (repo / "cache" / "blob").write_text("hours of computation\n")
    checkpoints = opened(repo)
    first = checkpoints.take("step 1")
    exclude.write_text("")  # outside any snapshot: only the ignored file shows up as "created"
    first = checkpoints.seal(first)
    with pytest.raises(UsageError, match="nothing to undo"):
        checkpoints.find(None)
    restored = checkpoints.restore(first)
    assert restored.files == [] and restored.kept == ["cache/blob"]
    assert (repo / "cache" / "blob").read_text() == "hours of computation\n"


def test_a_forced_undo_over_an_ignored_file_keeps_it_in_the_backup(repo: Path) -> None:
    checkpoints = opened(repo)
    first = checkpoints.take("step 1")
    (repo / "README.md").unlink()
    first = checkpoints.seal(first)
    (repo / ".git" / "info" / "exclude").write_text("README.md\n")
    (repo / "README.md").write_text("the user's, ignored\n")
    restored = checkpoints.restore(first, force=True)
    assert (repo / "README.md").read_text() == "# demo\n"
    assert restored.backup is not None
    checkpoints.restore(checkpoints.find(restored.backup.short))
    assert (repo / "README.md").read_text() == "the user's, ignored\n"


def test_a_forced_undo_never_deletes_through_a_symlinked_directory(
    tmp_path: Path, repo: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.txt").write_text("not the workspace's\n")
    checkpoints = opened(repo)
    first = checkpoints.take("step 1")
    (repo / "gen").mkdir()
    (repo / "gen" / "x.txt").write_text("made by the step\n")
    first = checkpoints.seal(first)
    shutil.rmtree(repo / "gen")
    (repo / "gen").symlink_to(outside)  # someone swapped the directory for a link
    restored = checkpoints.restore(first, force=True)
    assert (outside / "x.txt").read_text() == "not the workspace's\n"
    assert "gen/x.txt" not in restored.deleted


# -- file names that are not UTF-8 ------------------------------------------------------------


def test_non_utf8_file_names_survive_checkpoint_restore_and_the_session_record(
    tmp_path: Path, repo: Path, invoke_cli: RunCli
) -> None:
    old_name = os.path.join(os.fsencode(repo), b"d\xe9j\xe0.txt")  # Latin-1 bytes
    with open(old_name, "wb") as fh:
        fh.write(b"tracked, before\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a Latin-1 name")
    command = (
        "printf 'agent\\n' > \"$(printf 'd\\351j\\340.txt')\" && "
        "printf 'new\\n' > \"$(printf 'caf\\351.txt')\" && "
        "printf 'esc\\n' > \"$(printf 'bell\\007.txt')\""
    )
    fix(invoke_cli, repo, tmp_path, step(invoke("run_command", command=command)))
    created = os.path.join(os.fsencode(repo), b"caf\xe9.txt")
    assert os.path.exists(created)
    proc = invoke_cli("undo", "-C", str(repo))
    assert proc.returncode == 0, proc.stderr
    no_traceback(proc)
    assert not os.path.exists(created)
    assert not os.path.exists(os.path.join(os.fsencode(repo), b"bell\x07.txt"))
    with open(old_name, "rb") as fh:
        assert fh.read() == b"tracked, before\n"
    assert "deleted caf\\xe9.txt" in proc.stdout and "restored d\\xe9j\\xe0.txt" in proc.stdout
    assert "\x07" not in proc.stdout  # a control character in a name never reaches a terminal
    (undo,) = events(repo, "undo")
    assert sorted(undo["files"]) == ["bell\\x07.txt", "caf\\xe9.txt", "d\\xe9j\\xe0.txt"]
    shown = invoke_cli("sessions", "show", latest_session(repo.resolve()).id)
    assert shown.returncode == 0 and "caf\\\\xe9.txt" in shown.stdout, shown.stderr
