"""The `task` tool end to end through `fix` on the scripted backend: the child's turns come
from the same script, in order, right after the parent's turn that called it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import RunCli, make_repo, write_script

SECRET_LINE = "CHILD-ONLY-MARKER-41"


def invoke(name: str, **params: object) -> str:
    body = "".join(f'<parameter name="{k}">{v}</parameter>\n' for k, v in params.items())
    return f'<minimax:tool_call>\n<invoke name="{name}">\n{body}</invoke>\n</minimax:tool_call>'


def repo_with_notes(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", {"notes.txt": f"{SECRET_LINE}\n", "README.md": "# r\n"})


def delegating_script(**task: object) -> list[str]:
    args = {"description": "read the notes", "prompt": "Read notes.txt and report it."} | task
    return [
        "Delegate the reading.\n</think>\n\n" + invoke("task", **args),
        # the child's two turns
        "Read it.\n</think>\n\n" + invoke("read_file", path="notes.txt"),
        "Done.\n</think>\n\nThe notes hold one marker line.",
        # the parent again
        "The child answered.\n</think>\n\nThe subagent says the notes hold one marker line.",
    ]


def records(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_child_answer_reaches_the_parent_and_its_steps_do_not(
    tmp_path: Path, invoke_cli: RunCli
) -> None:
    repo = repo_with_notes(tmp_path)
    script = write_script(tmp_path / "script.json", delegating_script())
    trace = tmp_path / "trace.jsonl"
    proc = invoke_cli(
        "fix",
        "summarise the notes",
        "-C",
        str(repo),
        "--backend",
        f"scripted:{script}",
        "--trace",
        str(trace),
        "--output-format",
        "json",
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["status"] == "done"
    assert out["steps"] == 2  # the child's steps are its own
    [call] = out["tool_calls"]
    assert call["name"] == "task" and not call["is_error"]
    assert call["result"].startswith("The notes hold one marker line.")
    assert "[subagent general: 2 steps" in call["result"]
    steps = [r for r in records(trace) if "step" in r]
    assert [r["step"] for r in steps] == [1, 2]
    final_request = str(steps[-1]["request"])
    assert "The notes hold one marker line." in final_request
    # the child read the file; its tool call and the file's text never reached the parent
    assert SECRET_LINE not in final_request
    assert "Read it." not in final_request


def test_stream_json_marks_the_childs_events_with_the_parent_call(
    tmp_path: Path, invoke_cli: RunCli
) -> None:
    repo = repo_with_notes(tmp_path)
    script = write_script(tmp_path / "script.json", delegating_script())
    proc = invoke_cli(
        "fix",
        "summarise the notes",
        "-C",
        str(repo),
        "--backend",
        f"scripted:{script}",
        "--output-format",
        "stream-json",
    )
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    [task_call] = [e for e in lines if e["type"] == "tool_call" and e["name"] == "task"]
    assert "parent" not in task_call
    children = [e for e in lines if e.get("parent") == task_call["id"]]
    child_calls = [e for e in children if e["type"] == "tool_call"]
    assert [c["name"] for c in child_calls] == ["read_file"]
    assert [e["step"] for e in children if e["type"] == "step"] == [1, 2]
    [child_result] = [e for e in children if e["type"] == "tool_result"]
    assert SECRET_LINE in child_result["content"]
    # the parent's own lines keep the parent's step numbers
    assert [e["step"] for e in lines if e["type"] == "step" and "parent" not in e] == [1, 2]
    [result] = [e for e in lines if e["type"] == "tool_result" and "parent" not in e]
    assert result["id"] == task_call["id"] and not result["is_error"]


def test_a_child_past_its_step_limit_is_a_tool_error(tmp_path: Path, invoke_cli: RunCli) -> None:
    repo = repo_with_notes(tmp_path)
    steps = [
        "Delegate.\n</think>\n\n" + invoke("task", description="look", prompt="Read notes.txt."),
        "Read.\n</think>\n\n" + invoke("read_file", path="notes.txt"),
        "Again.\n</think>\n\n" + invoke("read_file", path="README.md"),
        "It failed.\n</think>\n\nNOT DONE: the subagent ran out of steps.",
    ]
    script = write_script(tmp_path / "script.json", steps)
    # the child's limit is never more than the parent's: two steps here
    proc = invoke_cli(
        "fix",
        "look",
        "-C",
        str(repo),
        "--backend",
        f"scripted:{script}",
        "--max-steps",
        "2",
        "--output-format",
        "json",
    )
    out = json.loads(proc.stdout)
    [call] = out["tool_calls"]
    assert call["is_error"]
    assert "the subagent did not finish (max_steps)" in call["result"]
    assert "2 steps" in call["result"]
    assert out["status"] == "gave_up"


def test_a_definition_with_write_tools_cannot_write_in_a_read_only_session(
    tmp_path: Path, invoke_cli: RunCli
) -> None:
    repo = repo_with_notes(tmp_path)
    agents = repo / ".minimax-agent" / "agents"
    agents.mkdir(parents=True)
    (agents / "writer.md").write_text(
        "---\nname: writer\ndescription: Writes files\ntools: Read, Write, task\n---\n"
        "You write files.\n"
    )
    steps = [
        "Delegate.\n</think>\n\n"
        + invoke("task", description="write", prompt="Write out.txt.", agent="writer"),
        "Write.\n</think>\n\n" + invoke("write_file", path="out.txt", content="x"),
        "I could not.\n</think>\n\nNOT DONE: no write tool.",
        "Fine.\n</think>\n\nThe subagent could not write.",
    ]
    script = write_script(tmp_path / "script.json", steps)
    proc = invoke_cli(
        "fix",
        "write",
        "-C",
        str(repo),
        "--backend",
        f"scripted:{script}",
        "--approval",
        "read-only",
        "--output-format",
        "stream-json",
    )
    assert proc.returncode == 0, proc.stderr
    assert not (repo / "out.txt").exists()
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    notices = [e["text"] for e in lines if e["type"] == "notice" and "parent" in e]
    assert any("'write_file'" in n and "left out" in n for n in notices), notices
    assert any("cannot start subagents" in n for n in notices), notices
    [child_result] = [e for e in lines if e["type"] == "tool_result" and "parent" in e]
    assert child_result["is_error"] and "unknown tool 'write_file'" in child_result["content"]
    assert "known: read_file" in child_result["content"]


def test_text_output_shows_the_childs_calls_under_the_task_call(
    tmp_path: Path, invoke_cli: RunCli
) -> None:
    repo = repo_with_notes(tmp_path)
    script = write_script(tmp_path / "script.json", delegating_script())
    proc = invoke_cli(
        "fix", "summarise the notes", "-C", str(repo), "--backend", f"scripted:{script}"
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    task = next(i for i, line in enumerate(lines) if "→ task" in line)
    child = next(i for i, line in enumerate(lines) if "↳ read_file" in line)
    assert task < child and "notes.txt" in lines[child]
    assert SECRET_LINE not in proc.stderr  # the child's tool output stays folded away
