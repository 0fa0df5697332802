"""The agent loop with the real scripted backend and real tools in a temporary git repo."""

from __future__ import annotations

from pathlib import Path

import pytest

from minimax_agent.agent import Agent, Hooks, Limits, Tee
from minimax_agent.backends.scripted import ScriptedBackend
from minimax_agent.events import (
    AgentEvent,
    Finish,
    RunResult,
    RunStatus,
    StepStarted,
    ToolCall,
    ToolOutcome,
    TraceRecord,
    call_summary,
)
from minimax_agent.messages import AssistantMessage, ToolMessage, UserMessage, close_unanswered
from tests.conftest import make_repo
from tools import default_tools
from tools.approval import ApprovalPolicy
from tools.base import Tool
from tools.modes import ApprovalMode
from tools.workspace import Workspace


def invoke(name: str, **params: str) -> str:
    body = "".join(f'<parameter name="{k}">{v}</parameter>\n' for k, v in params.items())
    return f'<minimax:tool_call>\n<invoke name="{name}">\n{body}</invoke>\n</minimax:tool_call>'


class Recorder(Hooks):
    """Hooks that answer approvals from a fixed list and remember what they saw."""

    def __init__(self, answers: list[bool] | None = None) -> None:
        self.events: list[AgentEvent] = []
        self.traces: list[TraceRecord] = []
        self.asked: list[str] = []
        self.answers = list(answers or [])

    def on_event(self, event: AgentEvent) -> None:
        self.events.append(event)

    def on_trace(self, record: TraceRecord) -> None:
        self.traces.append(record)

    def approve(self, call: ToolCall, tool: Tool, reason: str) -> bool:
        self.asked.append(call.name)
        return self.answers.pop(0)


def make_agent(
    repo: Path, steps: list[str], mode: ApprovalMode, hooks: Recorder, **limits: int
) -> tuple[Agent, ScriptedBackend]:
    backend = ScriptedBackend(steps)
    agent = Agent(
        backend,
        default_tools(),
        Workspace(repo),
        ApprovalPolicy(mode, interactive=True),
        hooks,
        system_prompt="test",
        limits=Limits(**limits),
    )
    return agent, backend


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", {"a.txt": "one\n"})


def test_history_keeps_every_turn_exactly(repo: Path) -> None:
    steps = [
        "look first\n</think>\n\n" + invoke("read_file", path="a.txt"),
        "seen\n</think>\n\nIt says one.",
    ]
    hooks = Recorder()
    agent, backend = make_agent(repo, steps, ApprovalMode.ASK, hooks)
    result = agent.run("what does a.txt say?")
    backend.assert_complete()
    assert result.status == "done" and result.final_text == "It says one."
    assistant = [m for m in agent.messages if isinstance(m, AssistantMessage)]
    assert [m.raw for m in assistant] == steps
    assert assistant[0].reasoning == "look first"
    tool_msg = next(m for m in agent.messages if isinstance(m, ToolMessage))
    assert tool_msg.tool_call_id == assistant[0].tool_calls[0].id
    assert "one" in tool_msg.content
    assert hooks.asked == []  # reads never ask


def test_ask_mode_asks_and_a_refusal_goes_back_to_the_model(repo: Path) -> None:
    steps = [
        "r</think>" + invoke("write_file", path="b.txt", content="x"),
        "r</think>" + invoke("write_file", path="b.txt", content="y"),
        "r</think>\n\nok",
    ]
    hooks = Recorder(answers=[False, True])
    agent, _ = make_agent(repo, steps, ApprovalMode.ASK, hooks)
    result = agent.run("write b")
    assert hooks.asked == ["write_file", "write_file"]
    outcomes = [e for e in hooks.events if isinstance(e, ToolOutcome)]
    assert outcomes[0].is_error and "declined" in outcomes[0].content
    assert not outcomes[1].is_error
    assert (repo / "b.txt").read_text() == "y"
    assert result.status == "done"


def test_read_only_mode_denies_writes(repo: Path) -> None:
    steps = ["r</think>" + invoke("run_command", command="touch evil"), "r</think>\n\nstopped"]
    hooks = Recorder()
    agent, _ = make_agent(repo, steps, ApprovalMode.READ_ONLY, hooks)
    agent.run("x")
    outcome = next(e for e in hooks.events if isinstance(e, ToolOutcome))
    assert outcome.is_error and "not allowed" in outcome.content
    assert not (repo / "evil").exists()


def test_limits(repo: Path) -> None:
    loop = ["r</think>" + invoke("read_file", path="a.txt")] * 5
    agent, _ = make_agent(repo, loop, ApprovalMode.ASK, Recorder(), max_steps=3)
    assert agent.run("x").status == "max_steps"

    bad = ["r</think>" + invoke("read_file", path="missing.txt")] * 5
    agent, _ = make_agent(repo, bad, ApprovalMode.ASK, Recorder(), max_consecutive_errors=2)
    result = agent.run("x")
    assert result.status == "model_errors" and result.steps == 2


def test_scripted_backend_checks_completion(repo: Path) -> None:
    agent, backend = make_agent(repo, ["r</think>\n\ndone", "unused"], ApprovalMode.ASK, Recorder())
    agent.run("x")
    with pytest.raises(AssertionError, match="1 step"):
        backend.assert_complete()


class StopAfter(Recorder):
    """Ends the run before step `last + 1`, as a review does once finish_review was called."""

    def __init__(self, last: int) -> None:
        super().__init__()
        self.last = last
        self.calls: list[str] = []

    def stop(self, result: RunResult) -> RunStatus | None:
        return RunStatus.DONE if result.steps >= self.last else None

    def before_step(self, result: RunResult) -> None:
        self.calls.append(f"step {result.steps}")

    def before_tools(self, calls: list[ToolCall]) -> None:
        self.calls.append("tools " + ",".join(c.name for c in calls))


def test_a_stop_decision_ends_the_run_before_the_next_step(repo: Path) -> None:
    loop = ["r</think>" + invoke("read_file", path="a.txt")] * 3
    hooks = StopAfter(last=1)
    agent, _ = make_agent(repo, loop, ApprovalMode.ASK, hooks)
    result = agent.run("x")
    assert result.status is RunStatus.DONE and result.steps == 1
    # the stopped step never started: no StepStarted, no request to the backend
    assert [e.step for e in hooks.events if isinstance(e, StepStarted)] == [1]
    assert hooks.calls == ["step 1", "tools read_file"]
    assert len(hooks.traces) == 1


def test_every_exchange_reaches_the_hooks_as_a_trace_record(repo: Path) -> None:
    steps = ["r</think>" + invoke("read_file", path="a.txt"), "r</think>\n\nok"]
    hooks = Recorder()
    agent, _ = make_agent(repo, steps, ApprovalMode.ASK, hooks)
    agent.run("x")
    assert [t.step for t in hooks.traces] == [1, 2]
    assert all(t.error is None and isinstance(t.finish, Finish) for t in hooks.traces)
    # the events of the exchange, as the display saw them
    shown = [e for e in hooks.events if not isinstance(e, StepStarted | ToolOutcome)]
    assert [e for t in hooks.traces for e in t.events] == shown


def test_tee_passes_everything_on_and_lets_the_first_decide(repo: Path) -> None:
    first, second = Recorder(answers=[True]), Recorder(answers=[False])
    steps = ["r</think>" + invoke("write_file", path="b.txt", content="x"), "r</think>\n\nok"]
    agent, _ = make_agent(repo, steps, ApprovalMode.ASK, Tee(first, second, None))
    assert agent.run("x").status is RunStatus.DONE
    assert first.asked == ["write_file"] and second.asked == []
    assert first.events == second.events and first.traces == second.traces
    assert (repo / "b.txt").read_text() == "x"


def test_json_and_exit_shapes_keep_the_plain_status_strings() -> None:
    import json

    assert json.dumps({"status": RunStatus.GAVE_UP}) == '{"status": "gave_up"}'
    assert f"{RunStatus.BACKEND_ERROR}" == "backend_error"
    assert [s.value for s in RunStatus] == [
        "done",
        "gave_up",
        "truncated",
        "max_steps",
        "wall_time",
        "model_errors",
        "interrupted",
        "backend_error",
        "blocked",
    ]


def test_unanswered_calls_are_closed_once() -> None:
    turn = AssistantMessage(
        tool_calls=[ToolCall("c1", "read_file", {"path": "a"}), ToolCall("c2", "grep", {})]
    )
    answered = ToolMessage(tool_call_id="c1", name="read_file", content="a")
    messages = [UserMessage(content="x"), turn, answered]
    assert close_unanswered(messages, "interrupted") == 1
    assert messages[-1] == ToolMessage(
        tool_call_id="c2", name="grep", content="interrupted", is_error=True
    )
    assert close_unanswered(messages, "interrupted") == 0


def test_history_stores_no_call_error() -> None:
    turn = AssistantMessage(tool_calls=[ToolCall("c1", "x", {"a": 1}, error="bad")])
    assert turn.model_dump()["tool_calls"] == [{"id": "c1", "name": "x", "arguments": {"a": 1}}]


@pytest.mark.parametrize(
    ("call", "main", "rest"),
    [
        (ToolCall("c", "run_command", {"command": "ls -la", "timeout": 5}), "ls -la", "timeout=5"),
        (ToolCall("c", "grep", {"pattern": "x", "path": "src"}), "src", "pattern=x"),
        (ToolCall("c", "edit_file", {"path": "a", "old_string": "1", "new_string": "2"}), "a", ""),
        (
            ToolCall("c", "git_commit", {"message": "m\n" + "y" * 50}),
            None,
            "message=m\\n" + "y" * 37 + "…",
        ),
    ],
)
def test_one_summary_of_a_call(call: ToolCall, main: str | None, rest: str) -> None:
    assert call_summary(call) == (main, rest)
