"""`minimax-agent fix --command NAME [ARGS]`: a custom command run headless on the scripted
backend. What reaches the model is checked in the saved session's user message."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import RunCli, make_repo, write_script
from tests.repl.test_repl import session_records, user_messages

HELLO = (
    "---\n"
    "description: Greet someone\n"
    "argument-hint: NAME\n"
    "---\n"
    "Say hello to $ARGUMENTS in one line.\n"
)
REVIEW = "---\ndescription: Review a file\n---\nReview $1 for $2 problems.\n"
ANSWER = "Greeting.\n</think>\n\nHello, world."


def commands_repo(tmp_path: Path) -> Path:
    return make_repo(
        tmp_path / "repo",
        {
            ".minimax-agent/commands/hello.md": HELLO,
            ".claude/commands/review.md": REVIEW,
            "calc.py": "x = 1\n",
        },
    )


def scripted(tmp_path: Path) -> str:
    return f"scripted:{write_script(tmp_path / 's.json', [ANSWER])}"


def test_the_expanded_prompt_is_what_the_model_gets(
    tmp_path: Path, invoke_cli: RunCli, isolated_home: Path
) -> None:
    repo = commands_repo(tmp_path)
    proc = invoke_cli(
        "fix", "--command", "hello", "world", "-C", str(repo), "--backend", scripted(tmp_path)
    )
    assert proc.returncode == 0, proc.stderr
    assert "Hello, world." in proc.stdout
    # the user is told where the prompt came from, on stderr
    assert "/hello → " in proc.stderr and ".minimax-agent/commands/hello.md" in proc.stderr
    [message] = user_messages(session_records(isolated_home))
    assert message.strip() == "Say hello to world in one line."


def test_positional_arguments_and_a_claude_command(
    tmp_path: Path, invoke_cli: RunCli, isolated_home: Path
) -> None:
    repo = commands_repo(tmp_path)
    proc = invoke_cli(
        "fix",
        "--command",
        "review",
        "calc.py security",
        "-C",
        str(repo),
        "--backend",
        scripted(tmp_path),
        "--output-format",
        "json",
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"] == "done"  # stdout stays one JSON object
    [message] = user_messages(session_records(isolated_home))
    assert message.strip() == "Review calc.py for security problems."


def test_a_user_level_command(tmp_path: Path, invoke_cli: RunCli, isolated_home: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    commands = isolated_home / ".claude" / "commands"
    commands.mkdir(parents=True)
    (commands / "standup.md").write_text("Summarise yesterday's commits.\n")
    proc = invoke_cli(
        "fix", "--command", "standup", "-C", str(repo), "--backend", scripted(tmp_path)
    )
    assert proc.returncode == 0, proc.stderr
    [message] = user_messages(session_records(isolated_home))
    assert message.strip() == "Summarise yesterday's commits."


def test_an_empty_task_is_fine_with_a_command(
    tmp_path: Path, invoke_cli: RunCli, isolated_home: Path
) -> None:
    repo = commands_repo(tmp_path)
    proc = invoke_cli("fix", "--command", "hello", "-C", str(repo), "--backend", scripted(tmp_path))
    assert proc.returncode == 0, proc.stderr
    [message] = user_messages(session_records(isolated_home))
    assert "$ARGUMENTS" not in message and message.startswith("Say hello to")


def test_an_unknown_command_is_a_usage_error_listing_the_known(
    tmp_path: Path, invoke_cli: RunCli, isolated_home: Path
) -> None:
    repo = commands_repo(tmp_path)
    proc = invoke_cli("fix", "--command", "helo", "x", "-C", str(repo), "--backend", "demo")
    assert proc.returncode == 2
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith("minimax-agent: error: no custom command 'helo'")
    assert "hello" in line and "review" in line
    # nothing ran: no session was saved
    assert not list((isolated_home / ".state").rglob("*.jsonl"))


def test_no_commands_at_all_says_where_they_go(tmp_path: Path, invoke_cli: RunCli) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    proc = invoke_cli("fix", "--command", "hello", "-C", str(repo), "--backend", "demo")
    assert proc.returncode == 2
    assert ".minimax-agent/commands/" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_without_a_command_the_task_is_still_required(tmp_path: Path, invoke_cli: RunCli) -> None:
    repo = commands_repo(tmp_path)
    for argv in (["fix"], ["fix", "  "]):
        proc = invoke_cli(*argv, "-C", str(repo), "--backend", "demo")
        assert proc.returncode == 2
        assert "the task is empty" in proc.stderr
    shown = invoke_cli("fix", "--help", env={"COLUMNS": "200"}).stdout
    assert "fix [OPTIONS] [TASK]" in shown and "--command" in shown
