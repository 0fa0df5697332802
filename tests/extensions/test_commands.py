"""Custom commands: discovery from real directory trees and argument expansion."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from minimax_agent.extensions.commands import (
    CustomCommand,
    discover_commands,
    expand_command,
    user_command_dirs,
)
from tests.conftest import make_repo

SECRET = "decoy-token-0123456789"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", {"README.md": "hi\n"})


@pytest.fixture
def secret(isolated_home: Path) -> Path:
    return write(isolated_home / ".config" / "gh" / "hosts.md", SECRET)


def command(body: str) -> CustomCommand:
    return CustomCommand("c", "d", None, body, Path("/c.md"), "project")


def test_innermost_wins_then_ours_before_claudes_then_user(repo: Path, tmp_path: Path) -> None:
    sub = repo / "web"
    write(repo / ".claude/commands/test.md", "root test")
    write(repo / ".claude/commands/fmt.md", "root fmt")
    write(sub / ".claude/commands/test.md", "web test (claude)")
    write(sub / ".minimax-agent/commands/test.md", "web test (ours)")
    user = tmp_path / "user-commands"
    write(user / "fmt.md", "user fmt")
    write(user / "mine.md", "user mine")

    commands, warnings = discover_commands(sub, [user])

    assert warnings == []
    assert list(commands) == ["fmt", "mine", "test"]
    assert commands["test"].body == "web test (ours)"
    assert commands["test"].path == (sub / ".minimax-agent/commands/test.md").resolve()
    assert commands["fmt"].body == "root fmt" and commands["fmt"].scope == "project"
    assert commands["mine"].scope == "user"


def test_default_user_dirs(isolated_home: Path, repo: Path) -> None:
    ours, claude = user_command_dirs()
    assert ours == isolated_home / ".config" / "minimax-agent" / "commands"
    assert claude == isolated_home / ".claude" / "commands"
    write(claude / "hello.md", "Say hello")
    commands, _ = discover_commands(repo)
    assert list(commands) == ["hello"]


def test_subdirectories_namespace_the_name(repo: Path) -> None:
    base = repo / ".claude/commands"
    write(base / "frontend/test.md", "frontend tests")
    write(base / "a/b/c/deep.md", "three levels")
    write(base / "a/b/c/d/too-deep.md", "four levels")
    write(base / ".hidden/x.md", "hidden")
    write(base / "notes.txt", "not markdown")
    commands, warnings = discover_commands(repo, [])
    assert warnings == []
    assert list(commands) == ["a:b:c:deep", "frontend:test"]


def test_reserved_names_are_skipped_with_a_warning(repo: Path) -> None:
    write(repo / ".claude/commands/help.md", "my own help")
    write(repo / ".claude/commands/Undo.md", "no undo")
    write(repo / ".claude/commands/ok.md", "fine")
    commands, warnings = discover_commands(repo, [], reserved=["help", "/undo"])
    assert list(commands) == ["ok"]
    assert len(warnings) == 2
    assert all("built-in" in w for w in warnings)
    assert any("help.md" in w for w in warnings) and any("Undo.md" in w for w in warnings)


def test_malformed_files_give_one_warning_each(repo: Path) -> None:
    base = repo / ".claude/commands"
    write(base / "good.md", "fine")
    write(base / "bad name.md", "spaces")
    write(base / "empty.md", "---\ndescription: nothing\n---\n\n")
    write(base / "yaml.md", "---\ndescription: [x\n  y: {\n---\nbody\n")
    write(base / "open.md", "---\ndescription: never closed\nbody\n")
    commands, warnings = discover_commands(repo, [])
    assert list(commands) == ["good"]
    assert len(warnings) == 4
    for name in ("bad name.md", "empty.md", "yaml.md", "open.md"):
        assert len([w for w in warnings if name in w]) == 1, (name, warnings)


def test_description_and_argument_hint(repo: Path) -> None:
    base = repo / ".claude/commands"
    write(base / "a.md", "---\ndescription: Fix an issue\nargument-hint: [issue]\n---\nFix $1")
    write(base / "b.md", "\n\n## Review the diff  \n\nThen say what is wrong.\n")
    write(base / "c.md", "---\nargument-hint: [pr] [priority]\n---\nPR $1 at $2")
    write(base / "d.md", "---\ndescription: Deploy: staging first\n---\nDeploy")
    commands, warnings = discover_commands(repo, [])
    assert warnings == []
    assert (commands["a"].description, commands["a"].argument_hint) == ("Fix an issue", "[issue]")
    assert commands["a"].body == "Fix $1"
    assert (commands["b"].description, commands["b"].argument_hint) == ("Review the diff", None)
    assert commands["c"].argument_hint == "[pr] [priority]"
    assert commands["c"].description == "PR $1 at $2"
    assert commands["d"].description == "Deploy: staging first"


def test_symlink_to_a_secret_is_refused(repo: Path, secret: Path) -> None:
    (repo / ".claude/commands").mkdir(parents=True)
    (repo / ".claude/commands/leak.md").symlink_to(secret)
    commands, warnings = discover_commands(repo, [])
    assert commands == {}
    assert len(warnings) == 1 and "leak.md" in warnings[0] and "outside" in warnings[0]
    assert SECRET not in warnings[0]


def test_linked_folders_out_and_loops_are_not_followed(repo: Path, secret: Path) -> None:
    base = repo / ".claude/commands"
    write(base / "real/x.md", "x")
    (base / "out").symlink_to(secret.parent)
    (base / "real/loop").symlink_to(base / "real")
    commands, warnings = discover_commands(repo, [])
    assert list(commands) == ["real:x"]
    assert len(warnings) == 1 and "out" in warnings[0] and "outside" in warnings[0]


def test_commands_dir_linked_out_of_the_project_is_refused(repo: Path, secret: Path) -> None:
    (repo / ".claude").mkdir()
    (repo / ".claude/commands").symlink_to(secret.parent)
    commands, warnings = discover_commands(repo, [])
    assert commands == {}
    assert len(warnings) == 1 and "outside the project" in warnings[0]


def test_hard_link_and_fifo_are_refused(repo: Path, secret: Path) -> None:
    base = repo / ".claude/commands"
    base.mkdir(parents=True)
    os.link(secret, base / "linked.md")
    os.mkfifo(base / "pipe.md")
    result: list[tuple[dict[str, CustomCommand], list[str]]] = []
    worker = threading.Thread(target=lambda: result.append(discover_commands(repo, [])))
    worker.daemon = True
    worker.start()
    worker.join(timeout=60)  # a hang guard: a FIFO opened for reading blocks
    assert not worker.is_alive()
    commands, warnings = result[0]
    assert commands == {}
    assert len(warnings) == 2
    assert any("linked.md" in w and "hard links" in w for w in warnings)
    assert any("pipe.md" in w and "FIFO" in w for w in warnings)


# -- expansion ----------------------------------------------------------------------------------


def test_arguments_placeholder_takes_the_whole_string() -> None:
    assert expand_command(command("Fix: $ARGUMENTS."), "  the login bug ") == (
        "Fix: the login bug."
    )


def test_positional_placeholders_split_like_a_shell() -> None:
    body = "Review PR $1 with priority $2 for $3."
    assert expand_command(command(body), '42 high "Ada Lovelace"') == (
        "Review PR 42 with priority high for Ada Lovelace."
    )


def test_missing_positionals_become_empty() -> None:
    assert expand_command(command("[$1][$2][$9]"), "one") == "[one][][]"
    assert expand_command(command("Do $ARGUMENTS now"), "") == "Do  now"


def test_a_quoting_mistake_falls_back_to_whitespace() -> None:
    assert expand_command(command("$1|$2"), 'it"s fine') == 'it"s|fine'


def test_substituted_text_is_not_expanded_again() -> None:
    assert expand_command(command("A=$1 B=$2"), "'$2' x") == "A=$2 B=x"


def test_arguments_are_appended_when_the_body_has_no_placeholder() -> None:
    assert expand_command(command("Run the tests."), "only unit") == (
        "Run the tests.\n\nArguments: only unit"
    )
    assert expand_command(command("Run the tests."), "  ") == "Run the tests."


def test_bang_lines_stay_text(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    body = f"Status:\n!touch {marker}\nSummarise $ARGUMENTS"
    assert expand_command(command(body), "it") == f"Status:\n!touch {marker}\nSummarise it"
    assert not marker.exists()
