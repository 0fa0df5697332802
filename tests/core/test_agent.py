"""The agent loop with the real scripted backend and real tools in a temporary git repo."""

from __future__ import annotations

from pathlib import Path

import pytest

from minimax_agent.agent import Agent, AgentEvent, Limits, ToolOutcome
from minimax_agent.backends.scripted import ScriptedBackend
from minimax_agent.events import ToolCall
from minimax_agent.messages import AssistantMessage, ToolMessage
from minimax_agent.modes import ApprovalMode
from tests.conftest import make_repo
from tools import default_tools
from tools.approval import ApprovalPolicy
from tools.base import Tool
from tools.workspace import Workspace


def invoke(name: str, **params: str) -> str:
    body = "".join(f'<parameter name="{k}">{v}</parameter>\n' for k, v in params.items())
    return f'<minimax:tool_call>\n<invoke name="{name}">\n{body}</invoke>\n</minimax:tool_call>'


class Recorder:
    """Hooks that answer approvals from a fixed list and remember what they saw."""

    def __init__(self, answers: list[bool] | None = None) -> None:
        self.events: list[AgentEvent] = []
        self.asked: list[str] = []
        self.answers = list(answers or [])

    def on_event(self, event: AgentEvent) -> None:
        self.events.append(event)

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
