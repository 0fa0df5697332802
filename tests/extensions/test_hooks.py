"""HookRunner with real shell scripts in temporary directories: exit codes, JSON answers, the
event on stdin, timeouts, the environment, matchers, and Claude Code's settings file."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from minimax_agent.agent import ToolGate
from minimax_agent.events import HookRun
from minimax_agent.extensions.hook_config import (
    HOOK_EVENTS,
    HookCommand,
    HookEvent,
    HookMatcher,
    load_claude_hooks,
)
from minimax_agent.extensions.hooks import OUTPUT_BYTES, HookRunner, run_hook, tool_matches


def script(directory: Path, name: str, body: str) -> str:
    """An executable sh script; returns the command that runs it."""
    path = directory / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


class Setup:
    def __init__(self, tmp_path: Path) -> None:
        self.dir = tmp_path / "hooks"
        self.dir.mkdir()
        self.cwd = tmp_path / "work"
        self.cwd.mkdir()
        self.runs: list[HookRun] = []
        self.config: dict[HookEvent, list[HookMatcher]] = {}
        self.count = 0

    def add(self, event: HookEvent, body: str, matcher: str = "", timeout: float = 30) -> str:
        self.count += 1
        command = script(self.dir, f"{event}_{self.count}.sh", body)
        entry = HookMatcher(matcher=matcher, hooks=[HookCommand(command=command, timeout=timeout)])
        self.config.setdefault(event, []).append(entry)
        return command

    def runner(self, env: dict[str, str] | None = None) -> HookRunner:
        return HookRunner(
            self.config,
            cwd=self.cwd,
            session_id=lambda: "sess-1",
            env={"PATH": os.environ["PATH"]} if env is None else env,
            emit=self.runs.append,
            transcript_path=lambda: self.cwd / "t.jsonl",
        )


@pytest.fixture
def hooks(tmp_path: Path) -> Setup:
    return Setup(tmp_path)


def test_exit_2_denies_with_stderr_as_the_reason(hooks: Setup) -> None:
    command = hooks.add("PreToolUse", "echo 'no edits on Fridays' >&2\nexit 2\n", "write_file")
    gate = hooks.runner().pre_tool("write_file", {"path": "a"}, "c1")
    assert gate == ToolGate("deny", "no edits on Fridays")
    [run] = hooks.runs
    assert (run.event, run.command, run.exit_code, run.decision) == (
        "PreToolUse",
        command,
        2,
        "deny",
    )
    assert run.message == "no edits on Fridays"


def test_a_matcher_that_does_not_select_the_tool_runs_nothing(hooks: Setup) -> None:
    hooks.add("PreToolUse", "exit 2\n", "run_command")
    assert hooks.runner().pre_tool("read_file", {"path": "a"}, "c1") is None
    assert hooks.runs == []


def answer(payload: dict[str, Any]) -> str:
    return f"cat <<'EOF'\n{json.dumps(payload)}\nEOF\n"


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (
            {
                "hookSpecificOutput": {
                    "permissionDecision": "allow",
                    "permissionDecisionReason": "ok",
                }
            },
            ToolGate("allow", "ok"),
        ),
        (
            {
                "hookSpecificOutput": {
                    "permissionDecision": "deny",
                    "permissionDecisionReason": "no",
                }
            },
            ToolGate("deny", "no"),
        ),
        (
            {"hookSpecificOutput": {"permissionDecision": "ask", "permissionDecisionReason": "?"}},
            ToolGate("ask", "?"),
        ),
        ({"decision": "approve", "reason": "old ok"}, ToolGate("allow", "old ok")),
        ({"decision": "block", "reason": "old no"}, ToolGate("deny", "old no")),
        ({"suppressOutput": True}, None),
    ],
)
def test_json_answers_decide(
    hooks: Setup, payload: dict[str, Any], expected: ToolGate | None
) -> None:
    hooks.add("PreToolUse", answer(payload))
    assert hooks.runner().pre_tool("run_command", {"command": "ls"}, "c1") == expected
    assert hooks.runs[0].decision == (expected.verdict if expected else None)


def test_deny_wins_over_ask_over_allow_and_reasons_join(hooks: Setup) -> None:
    def decide(verdict: str, reason: str) -> str:
        out = {"permissionDecision": verdict, "permissionDecisionReason": reason}
        return answer({"hookSpecificOutput": out})

    hooks.add("PreToolUse", decide("allow", "fine"))
    hooks.add("PreToolUse", decide("ask", "check one"))
    hooks.add("PreToolUse", decide("ask", "check two"))
    assert hooks.runner().pre_tool("grep", {}, "c") == ToolGate("ask", "check one\n\ncheck two")
    hooks.add("PreToolUse", decide("deny", "never"))
    assert hooks.runner().pre_tool("grep", {}, "c") == ToolGate("deny", "never")


def test_other_exit_codes_are_reported_and_change_nothing(hooks: Setup) -> None:
    hooks.add("PreToolUse", "echo broken >&2\nexit 1\n")
    hooks.add("PreToolUse", "echo 'not json'\n")
    assert hooks.runner().pre_tool("grep", {}, "c") is None
    assert [(r.exit_code, r.decision, r.message) for r in hooks.runs] == [
        (1, None, "broken"),
        (0, None, ""),
    ]


def test_the_event_arrives_on_stdin_with_the_documented_fields(hooks: Setup) -> None:
    log = hooks.dir / "stdin.jsonl"
    for event in HOOK_EVENTS:
        hooks.add(event, f"cat >> {log}\necho >> {log}\n")
    runner = hooks.runner()
    runner.pre_tool("edit_file", {"path": "a.py", "replace_all": True}, "call-7")
    runner.post_tool("edit_file", {"path": "a.py"}, "call-7", "edited", False)
    runner.user_prompt("fix the bug")
    runner.stop(True)
    runner.session_start("resume")
    runner.pre_compact("manual", "keep the API notes")
    seen = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    common = {"session_id": "sess-1", "cwd": str(hooks.cwd)}
    common["transcript_path"] = str(hooks.cwd / "t.jsonl")
    assert all(entry.items() >= common.items() for entry in seen)
    pre, post, prompt, stop, start, compact = seen
    assert pre["hook_event_name"] == "PreToolUse"
    assert (pre["tool_name"], pre["tool_use_id"]) == ("edit_file", "call-7")
    assert pre["tool_input"] == {"path": "a.py", "replace_all": True}  # typed, not strings
    assert post["tool_response"] == {"content": "edited", "is_error": False}
    assert prompt["prompt"] == "fix the bug"
    assert stop["stop_hook_active"] is True
    assert start["source"] == "resume"
    assert (compact["trigger"], compact["custom_instructions"]) == ("manual", "keep the API notes")


def test_post_tool_texts_reach_the_model(hooks: Setup) -> None:
    hooks.add("PostToolUse", "echo 'lint: 2 warnings' >&2\nexit 2\n", "Edit|Write")
    context = {"hookSpecificOutput": {"additionalContext": "formatted with black"}}
    hooks.add("PostToolUse", answer(context), "write_file")
    hooks.add("PostToolUse", answer({"decision": "block", "reason": "tests fail"}), "run_command")
    runner = hooks.runner()
    text = runner.post_tool("write_file", {"path": "a"}, "c", "wrote a", False)
    assert text == "lint: 2 warnings\n\nformatted with black"
    assert runner.post_tool("run_command", {}, "c", "ok", False) == "tests fail"
    assert runner.post_tool("grep", {}, "c", "ok", False) is None


def test_user_prompt_block_and_context(hooks: Setup) -> None:
    hooks.add("UserPromptSubmit", "echo 'Today is Monday.'\n")
    context = {"hookSpecificOutput": {"additionalContext": "Branch: main"}}
    hooks.add("UserPromptSubmit", answer(context))
    verdict = hooks.runner().user_prompt("hello")
    assert not verdict.blocked
    assert verdict.context == "Today is Monday.\n\nBranch: main"

    hooks.add("UserPromptSubmit", 'grep -q password && { echo "no secrets" >&2; exit 2; }\nexit 0')
    runner = hooks.runner()
    assert runner.user_prompt("hello").blocked is False
    blocked = runner.user_prompt("my password is x")
    assert blocked.blocked and blocked.reason == "no secrets" and blocked.context is None


def test_user_prompt_json_block(hooks: Setup) -> None:
    hooks.add("UserPromptSubmit", answer({"decision": "block", "reason": "policy"}))
    verdict = hooks.runner().user_prompt("x")
    assert (verdict.blocked, verdict.reason) == (True, "policy")


def test_session_start_context_by_source(hooks: Setup) -> None:
    hooks.add("SessionStart", "echo 'open issues: 3'\n", "startup")
    hooks.add("SessionStart", "echo 'resumed'\n", "resume|compact")
    runner = hooks.runner()
    assert runner.session_start("startup") == "open issues: 3"
    assert runner.session_start("compact") == "resumed"
    assert runner.session_start("clear") is None


def test_stop_exit_2_and_json_block_are_instructions(hooks: Setup) -> None:
    hooks.add("Stop", "echo 'tests fail: fix them' >&2\nexit 2\n")
    assert hooks.runner().stop(False) == "tests fail: fix them"
    assert hooks.runs[-1].decision == "continue"
    hooks.config.clear()
    hooks.add("Stop", answer({"decision": "block", "reason": "update the changelog"}))
    assert hooks.runner().stop(False) == "update the changelog"
    hooks.config.clear()
    hooks.add("Stop", "exit 0\n")
    assert hooks.runner().stop(False) is None


def _live_in_group(pgid: int) -> list[int]:
    """Processes of a group that still run (zombies aside)."""
    alive = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry.name}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if fields[2] == str(pgid) and fields[0] != "Z":
            alive.append(int(entry.name))
    return alive


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_a_hook_past_its_timeout_is_killed_with_its_group(hooks: Setup) -> None:
    pid_file = hooks.dir / "pid"
    hooks.add("PreToolUse", f"echo $$ > {pid_file}\nsleep 60 &\nsleep 60\n", timeout=1)
    assert hooks.runner().pre_tool("grep", {}, "c") is None
    [run] = hooks.runs
    assert run.exit_code is None and "timed out after 1s" in run.message
    assert _live_in_group(int(pid_file.read_text())) == []


def test_the_hook_gets_only_the_environment_it_is_given(
    hooks: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_TEST_SECRET_TOKEN", "s3cret-value")
    out = hooks.dir / "env.txt"
    hooks.add("Stop", f"env > {out}\npwd >> {out}\n")
    hooks.runner(env={"PATH": os.environ["PATH"], "KEPT": "yes"}).stop(False)
    seen = out.read_text()
    assert "KEPT=yes" in seen
    assert "s3cret-value" not in seen and "HOOK_TEST_SECRET_TOKEN" not in seen
    assert f"MINIMAX_AGENT_PROJECT_DIR={hooks.cwd}" in seen
    assert f"CLAUDE_PROJECT_DIR={hooks.cwd}" in seen
    assert seen.splitlines()[-1] == str(hooks.cwd)  # it runs in the workspace


def test_output_is_capped(tmp_path: Path) -> None:
    ran = run_hook(
        "head -c 300000 /dev/zero | tr '\\0' x",
        b"",
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"]},
        timeout_s=30,
    )
    assert ran.code == 0
    assert ran.stdout.startswith("x" * OUTPUT_BYTES)
    assert f"[{300000 - OUTPUT_BYTES} more bytes left out]" in ran.stdout


def test_a_command_that_cannot_start_is_reported(tmp_path: Path) -> None:
    ran = run_hook("true", b"", cwd=tmp_path / "missing", env={}, timeout_s=5)
    assert ran.code is None and "could not start" in ran.problem


@pytest.mark.parametrize(
    ("matcher", "name", "expected"),
    [
        ("", "grep", True),
        ("*", "mcp__github__search", True),
        ("Edit|Write", "edit_file", True),
        ("Edit|Write", "write_file", True),
        ("Edit|Write", "run_command", False),
        ("MultiEdit", "edit_file", True),
        ("Bash", "run_command", True),
        ("Read", "read_file", True),
        ("Glob", "glob", True),
        ("Grep", "grep", True),
        ("LS", "list_dir", True),
        ("run_command", "run_command", True),
        ("run", "run_command", False),  # matched in full
        ("mcp__.*", "mcp__github__search", True),
        ("mcp__github__.*", "mcp__slack__post", False),
        ("[unclosed", "[unclosed", True),  # a bad expression is a literal name
        ("[unclosed", "grep", False),
    ],
)
def test_matchers(matcher: str, name: str, expected: bool) -> None:
    assert tool_matches(matcher, name) is expected


def test_truthiness_says_whether_any_hook_is_configured(hooks: Setup) -> None:
    assert not hooks.runner()
    hooks.add("Stop", "true\n")
    assert hooks.runner()


def test_identical_commands_run_once_per_event(hooks: Setup) -> None:
    command = hooks.add("Stop", "true\n")
    hooks.config["Stop"].append(HookMatcher(hooks=[HookCommand(command=command)]))
    hooks.runner().stop(False)
    assert len(hooks.runs) == 1


def test_load_claude_hooks(tmp_path: Path) -> None:
    settings = tmp_path / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(
        json.dumps(
            {
                "permissions": {"allow": ["Bash(npm test)"]},
                "hooks": {
                    "PreToolUse": [
                        {
                            "matcher": "Bash",
                            "hooks": [
                                {"type": "command", "command": "./check.sh", "timeout": 10},
                                {"type": "prompt", "prompt": "is this safe?"},
                            ],
                        }
                    ],
                    "Stop": [{"hooks": [{"type": "command", "command": "make test"}]}],
                    "Notification": [{"hooks": [{"type": "command", "command": "notify"}]}],
                    "PostToolUse": "nope",
                },
            }
        )
    )
    config, warnings = load_claude_hooks(settings)
    assert config == {
        "PreToolUse": [
            HookMatcher(matcher="Bash", hooks=[HookCommand(command="./check.sh", timeout=10)])
        ],
        "Stop": [HookMatcher(hooks=[HookCommand(command="make test")])],
    }
    assert len(warnings) == 3
    assert any("PreToolUse[0].hooks[1]" in w for w in warnings)
    assert any("Notification" in w and "does not run" in w for w in warnings)
    assert any("PostToolUse" in w and "not a list" in w for w in warnings)
    assert all(str(settings) in w for w in warnings)


def test_load_claude_hooks_problems(tmp_path: Path) -> None:
    assert load_claude_hooks(tmp_path / "absent.json") == ({}, [])
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    config, warnings = load_claude_hooks(bad)
    assert config == {} and "not valid JSON" in warnings[0]
    none = tmp_path / "none.json"
    none.write_text('{"model": "x"}')
    assert load_claude_hooks(none) == ({}, [])
