"""The model's task list: `todo_write` end to end through `fix` (stream-json, json, the session
file, `--continue`) and through a conversation that compacts (the list offered again)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from minimax_agent.agent import Agent, Hooks
from minimax_agent.config import load_settings
from minimax_agent.events import AgentEvent, TraceRecord
from minimax_agent.messages import Message, SystemMessage, UserMessage
from minimax_agent.session.compaction import estimate_tokens
from minimax_agent.session.conversation import Conversation
from minimax_agent.session.prompt import system_prompt
from minimax_agent.session.store import SessionWriter, find_session, load_session
from minimax_agent.session.todo import REMINDER_HEADER, TODO_EVENT, TodoList
from minimax_agent.ui.headless import HeadlessHooks
from tests.conftest import RunCli, write_script
from tests.sessions.conftest import ModelDouble, invoke
from tools import default_tools
from tools.approval import ApprovalPolicy
from tools.modes import ApprovalMode
from tools.todo import todo_write
from tools.workspace import Workspace

FIRST = [
    {"content": "Read calc.py", "status": "in_progress"},
    {"content": "Fix add", "status": "pending"},
]
SECOND = [
    {"content": "Read calc.py", "status": "completed"},
    {"content": "Fix add", "status": "in_progress"},
]
TWO_AT_ONCE = [
    {"content": "Read calc.py", "status": "in_progress"},
    {"content": "Fix add", "status": "in_progress"},
]


def write_todos(items: list[dict[str, str]], thought: str = "Plan.") -> str:
    return f"{thought}\n</think>\n\n" + invoke("todo_write", items=json.dumps(items))


def records(home: Path) -> list[dict[str, Any]]:
    files = sorted((home / ".state" / "minimax-agent" / "sessions").glob("*.jsonl"))
    assert len(files) == 1, files
    return [json.loads(line) for line in files[0].read_text().splitlines()]


def test_the_tool_checks_its_list(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    done = todo_write.run(ws, {"items": SECOND})
    assert not done.is_error
    assert done.content.splitlines() == [
        "Task list updated (2 tasks: 1 completed, 1 in progress, 0 pending; now: Fix add):",
        "[x] Read calc.py",
        "[>] Fix add",
    ]
    two = todo_write.run(ws, {"items": TWO_AT_ONCE})
    assert two.is_error and "items 1, 2 are all in_progress" in two.content
    assert "at most one item in_progress" in two.content
    blank = todo_write.run(ws, {"items": [{"content": "   ", "status": "pending"}]})
    assert blank.is_error and "item 1 has no text" in blank.content
    wrong = todo_write.run(ws, {"items": [{"content": "x", "status": "done"}]})
    assert wrong.is_error and "status" in wrong.content
    assert todo_write.run(ws, {"items": []}).content == "Task list cleared."
    # it changes no file: offered in read-only sessions and in plan mode
    assert todo_write.kind == "read"
    assert "todo_write" in default_tools(read_only=True).names()


def test_fix_streams_the_list_keeps_it_and_continue_restores_it(
    tmp_path: Path, repo: Path, isolated_home: Path, invoke_cli: RunCli
) -> None:
    steps = [
        write_todos(FIRST),
        write_todos(TWO_AT_ONCE, "Both at once."),
        write_todos(SECOND, "One at a time."),
        "Done.\n</think>\n\nRead it; fixing add is next.",
    ]
    script = write_script(tmp_path / "s.json", steps)
    args = ("-C", str(repo), "--backend", f"scripted:{script}")
    proc = invoke_cli("fix", "fix add", *args, "--output-format", "stream-json")
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    todos = [e for e in events if e["type"] == "todo"]
    # one event per list that was accepted; the refused one (two in progress) is none
    assert [t["items"] for t in todos] == [FIRST, SECOND]
    assert [t["step"] for t in todos] == [1, 3]
    refused = [e for e in events if e["type"] == "tool_result" and e["is_error"]]
    assert len(refused) == 1 and "at most one item in_progress" in refused[0]["content"]
    done = events[-1]
    assert done["type"] == "done" and done["todos"] == SECOND

    # the session file holds the list as events, in order
    kept = [r["items"] for r in records(isolated_home) if r.get("kind") == TODO_EVENT]
    assert kept == [FIRST, SECOND]

    # a later run in the same session has the list without writing it again
    again = write_script(tmp_path / "again.json", ["Next.\n</think>\n\nStill on add."])
    more = ("-C", str(repo), "--backend", f"scripted:{again}", "--continue")
    proc = invoke_cli("fix", "go on", *more, "--output-format", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["todos"] == SECOND and report["final_answer"] == "Still on add."


class Prompts(HeadlessHooks):
    """Shows nothing; keeps the rendered prompt of every answered request."""

    def __init__(self) -> None:
        super().__init__(None)
        self.prompts: list[str] = []

    def on_event(self, event: AgentEvent) -> None:
        pass

    def on_trace(self, record: TraceRecord) -> None:
        if record.finish:
            self.prompts.append(record.finish.request)


def open_conversation(
    repo: Path, model: ModelDouble, **settings: Any
) -> tuple[Conversation, Prompts]:
    def agent(hooks: Hooks) -> Agent:
        return Agent(
            model,
            default_tools(),
            Workspace(repo),
            ApprovalPolicy(ApprovalMode.FULL_AUTO, interactive=False),
            hooks,
            system_prompt=system_prompt(repo),
        )

    watcher = Prompts()
    writer = SessionWriter.create(repo)
    conversation = Conversation(
        load_settings(repo, **settings), repo, writer, display=watcher, agent=agent
    )
    return conversation, watcher


def baseline(repo: Path) -> int:
    """The estimated tokens of the system prompt, the tools and a short request."""
    head: list[Message] = [SystemMessage(content=system_prompt(repo)), UserMessage(content="x")]
    return estimate_tokens(head, default_tools().specs())


def loud_step(n: int) -> str:
    command = f"{sys.executable} -c \"print('{n}' * 2400)\""
    return f"Step {n}.\n</think>\n\n" + invoke("run_command", command=command)


@pytest.mark.parametrize("how", ["auto", "manual"])
def test_the_list_is_offered_again_after_a_compaction(repo: Path, how: str) -> None:
    steps = [write_todos(SECOND), loud_step(1), loud_step(2), loud_step(3)]
    steps.append("Done.\n</think>\n\nAll printed.")
    model = ModelDouble(steps, limit=10**6)
    # auto: a window the loud steps fill past the threshold; manual: room for everything
    window = baseline(repo) + 1400 if how == "auto" else None
    conversation, watcher = open_conversation(repo, model, context_window=window)
    result = conversation.run("print a lot")
    if how == "manual":
        assert conversation.compact() is not None
    conversation.close()
    assert result.status == "done", result.error
    assert conversation.compactions >= 1
    expected = f"{REMINDER_HEADER}\n[x] Read calc.py\n[>] Fix add"
    summary = conversation.agent.messages[2].content
    assert summary.endswith(expected), summary
    if how == "auto":
        # the model saw it in the very run that compacted, not only at the next request
        assert expected in watcher.prompts[-1]
        assert all(expected not in p for p in watcher.prompts[:2])
    # the session replays to the same list, although the call itself was summarised away
    loaded = load_session(find_session(conversation.session_id))
    assert not any("todo_write" in str(m.model_dump()) for m in loaded.messages[3:])
    restored = TodoList()
    restored.restore(loaded.events)
    assert restored.json() == SECOND


def test_clear_empties_the_list(repo: Path) -> None:
    model = ModelDouble([write_todos(FIRST), "ok\n</think>\n\nListed."], limit=10**6)
    conversation, _ = open_conversation(repo, model)
    conversation.run("list the work")
    assert conversation.todos.json() == FIRST
    conversation.clear()
    conversation.close()
    assert conversation.todos.items == []
    restored = TodoList()
    restored.restore(load_session(find_session(conversation.session_id)).events)
    assert restored.items == []  # a --continue after /clear does not bring it back
