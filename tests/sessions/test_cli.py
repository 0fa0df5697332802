"""The session commands end to end (the real CLI, in process through CliRunner; scripted
backend; real git repo): `fix --continue/--resume`, `fix --output-format stream-json`,
`sessions list|show|rm`, `undo`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from minimax_agent.session.memory import project_memories, starter_agents_md
from minimax_agent.session.prompt import system_prompt
from tests.conftest import RunCli, git, make_repo, write_script
from tests.sessions.conftest import CALC, invoke

EDIT = invoke("edit_file", path="calc.py", old_string="return a - b", new_string="return a + b")


def fix(invoke_cli: RunCli, repo: Path, script: Path, task: str, *extra: str) -> Any:
    return invoke_cli("fix", task, "-C", str(repo), "--backend", f"scripted:{script}", *extra)


def stream(proc: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_stream_json_events(tmp_path: Path, repo: Path, invoke_cli: RunCli) -> None:
    script = write_script(
        tmp_path / "s.json",
        ["Edit it.\n</think>\n\nFixing." + EDIT, "ok\n</think>\n\nFixed `add`."],
    )
    proc = fix(invoke_cli, repo, script, "fix add", "--output-format", "stream-json")
    assert proc.returncode == 0, proc.stderr
    events = stream(proc)
    kinds = [e["type"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "done"
    assert {"step", "reasoning", "text", "tool_call", "tool_result"} <= set(kinds)
    start = events[0]
    assert start["task"] == "fix add" and start["backend"] == "scripted" and start["session_id"]
    call = next(e for e in events if e["type"] == "tool_call")
    assert call["name"] == "edit_file" and call["arguments"]["path"] == "calc.py"
    result = next(e for e in events if e["type"] == "tool_result")
    assert result["id"] == call["id"] and not result["is_error"]
    assert "+    return a + b" in result["content"]
    text = "".join(e["text"] for e in events if e["type"] == "text" and e["step"] == 2)
    assert text.strip() == "Fixed `add`."
    reasoning = "".join(e["text"] for e in events if e["type"] == "reasoning" and e["step"] == 1)
    assert reasoning.strip() == "Edit it."
    done = events[-1]
    assert done["status"] == "done" and done["exit_code"] == 0 and done["steps"] == 2
    assert done["session_id"] == start["session_id"]
    assert done["final_answer"].strip() == "Fixed `add`."


def test_fix_continue_and_resume_carry_the_conversation(
    tmp_path: Path, repo: Path, invoke_cli: RunCli
) -> None:
    first = write_script(tmp_path / "1.json", ["r</think>\n\nThe answer is 42."])
    proc = fix(invoke_cli, repo, first, "what is the answer?", "--output-format", "stream-json")
    session_id = stream(proc)[0]["session_id"]
    second = write_script(tmp_path / "2.json", ["r</think>\n\nStill 42."])
    trace = tmp_path / "trace.jsonl"
    proc = fix(invoke_cli, repo, second, "and now?", "--continue", "--trace", str(trace))
    assert proc.returncode == 0, proc.stderr
    prompt = json.loads(trace.read_text().splitlines()[0])["request"]
    assert "what is the answer?" in prompt and "The answer is 42." in prompt
    assert prompt.index("what is the answer?") < prompt.index("and now?")

    third = write_script(tmp_path / "3.json", ["r</think>\n\nYes."])
    proc = fix(
        invoke_cli, repo, third, "sure?", "--resume", session_id[:-1], "--output-format", "json"
    )
    assert proc.returncode == 0, proc.stderr
    listing = invoke_cli("sessions", "list", "-C", str(repo))
    assert listing.stdout.count("\n") == 1 and session_id in listing.stdout  # one session, resumed
    shown = invoke_cli("sessions", "show", session_id)
    for line in ("what is the answer?", "The answer is 42.", "and now?", "Still 42.", "sure?"):
        assert line in shown.stdout


def test_continue_without_a_session_is_a_usage_error(
    tmp_path: Path, repo: Path, invoke_cli: RunCli
) -> None:
    script = write_script(tmp_path / "s.json", ["r</think>\n\nx"])
    proc = fix(invoke_cli, repo, script, "x", "--continue")
    assert proc.returncode == 2 and "no earlier session" in proc.stderr
    proc = fix(invoke_cli, repo, script, "x", "--resume", "nope")
    assert proc.returncode == 2 and "no session 'nope'" in proc.stderr


def test_headless_undo_restores_and_tells_the_model(
    tmp_path: Path, repo: Path, invoke_cli: RunCli
) -> None:
    script = write_script(tmp_path / "s.json", ["r</think>\n\n" + EDIT, "r</think>\n\nFixed."])
    assert fix(invoke_cli, repo, script, "fix add").returncode == 0
    assert "a + b" in (repo / "calc.py").read_text()
    listed = invoke_cli("undo", "--list", "-C", str(repo))
    assert "before step 1: edit_file calc.py" in listed.stdout
    proc = invoke_cli("undo", "-C", str(repo))
    assert proc.returncode == 0, proc.stderr
    assert "restored calc.py" in proc.stdout
    assert (repo / "calc.py").read_text() == CALC
    assert git(repo, "status", "--porcelain") == ""
    again = invoke_cli("undo", "-C", str(repo))
    assert again.returncode == 2 and "nothing to undo" in again.stderr
    # the next turn of that session carries the note
    later = write_script(tmp_path / "later.json", ["r</think>\n\nNoted."])
    trace = tmp_path / "t.jsonl"
    assert (
        fix(invoke_cli, repo, later, "what now?", "--continue", "--trace", str(trace)).returncode
        == 0
    )
    prompt = json.loads(trace.read_text().splitlines()[0])["request"]
    assert "the user undid the changes" in prompt and "restored calc.py" in prompt


def test_sessions_rm_removes_the_file_and_its_checkpoints(
    tmp_path: Path, repo: Path, invoke_cli: RunCli
) -> None:
    script = write_script(tmp_path / "s.json", ["r</think>\n\n" + EDIT, "r</think>\n\nok"])
    proc = fix(invoke_cli, repo, script, "fix add", "--output-format", "stream-json")
    session_id = stream(proc)[0]["session_id"]
    assert git(repo, "for-each-ref", "refs/minimax-agent/").strip()
    listing = json.loads(invoke_cli("sessions", "list", "--all", "--json").stdout)
    assert [s["id"] for s in listing] == [session_id]
    assert invoke_cli("sessions", "rm", session_id).returncode == 0
    assert git(repo, "for-each-ref", "refs/minimax-agent/").strip() == ""
    assert "no sessions" in invoke_cli("sessions", "list", "-C", str(repo)).stdout
    assert invoke_cli("sessions", "show", session_id).returncode == 2


def test_project_memory_from_the_git_root_down(tmp_path: Path, isolated_home: Path) -> None:
    repo = make_repo(
        tmp_path / "mono",
        {
            "AGENTS.md": "root rules",
            "CLAUDE.md": "ignored: AGENTS.md wins in the same directory",
            "svc/CLAUDE.md": "service rules (only a CLAUDE.md here)",
            "svc/api/AGENTS.md": "api rules",
            "other/AGENTS.md": "not on the way down",
        },
    )
    workspace = repo / "svc" / "api"
    assert project_memories(workspace) == [
        ("AGENTS.md", "root rules"),
        ("svc/CLAUDE.md", "service rules (only a CLAUDE.md here)"),
        ("svc/api/AGENTS.md", "api rules"),
    ]
    prompt = system_prompt(workspace)
    assert prompt.index("root rules") < prompt.index("service rules") < prompt.index("api rules")
    assert "not on the way down" not in prompt and "ignored:" not in prompt
    # over the limit the innermost files are kept
    assert [name for name, _ in project_memories(workspace, limit=9)] == ["svc/api/AGENTS.md"]


def test_starter_agents_md(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname='x'\n")
    (root / "package.json").write_text('{"scripts": {"test": "vitest", "lint": "eslint ."}}')
    (root / "src").mkdir()
    text = starter_agents_md(root)
    assert text.startswith("# proj")
    assert "- Python (`pyproject.toml`)" in text and "- test: `pytest`" in text
    assert "`npm run test`: vitest" in text and "`src/`" in text
