"""The task tool inside the agent loop: several calls of one step run at once on a backend
that serves parallel requests (a real HTTP fake here), and a Ctrl-C during a child stops the
child and tells the parent why."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from minimax_agent.agent import CONCURRENT_TOOLS, Agent, Hooks
from minimax_agent.backends.scripted import ScriptedBackend
from minimax_agent.events import AgentEvent, ChildEvent, RunStatus
from minimax_agent.messages import ToolMessage
from minimax_agent.session.runner import usage_totals
from minimax_agent.subagents import TOOL_NAME, AgentDefinition, task_tool
from tests.conftest import make_repo
from tests.fakes.openai_server import Call, Turn
from tools import default_tools
from tools.approval import ApprovalPolicy
from tools.base import Tool, tool
from tools.modes import ApprovalMode
from tools.workspace import Workspace


class Recorder(Hooks):
    def __init__(self) -> None:
        self.events: list[AgentEvent] = []

    def on_event(self, event: AgentEvent) -> None:
        self.events.append(event)


def helper(name: str, tools: tuple[str, ...]) -> AgentDefinition:
    return AgentDefinition(
        name, f"{name} helper", f"You are {name}.", tools, None, Path(f"/{name}.md"), "project"
    )


def parent(backend: Any, repo: Path, extra: list[Tool], hooks: Hooks) -> Agent:
    workspace = Workspace(repo)
    return Agent(
        backend,
        default_tools(read_only=True, extra=extra),
        workspace,
        ApprovalPolicy(ApprovalMode.READ_ONLY, interactive=False),
        hooks,
        system_prompt="You are the parent.",
    )


def test_the_task_tool_is_the_one_that_runs_concurrently() -> None:
    assert TOOL_NAME in CONCURRENT_TOOLS
    assert not ScriptedBackend([]).concurrent_requests


def test_two_task_calls_run_at_once_on_a_remote_backend(
    tmp_path: Path, fake_server: Any, backend_for: Any
) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    # each child's first call waits for the other child's: only children running at the same
    # time get past it (a sequential run breaks the barrier when its generous wait ends)
    barrier = threading.Barrier(2, timeout=60)
    threads: list[str] = []

    def meet(ws: Workspace) -> str:
        """Wait for the other subagent."""
        barrier.wait()
        threads.append(threading.current_thread().name)
        return "met the other one"

    server = fake_server("vllm-parser")
    task = {"description": "meet", "agent": "meeter"}
    server.add(
        Turn(
            reasoning="two at once",
            calls=[
                Call("task", {**task, "prompt": "first"}),
                Call("task", {**task, "prompt": "second"}),
            ],
        ),
        Turn(reasoning="meet", calls=[Call("meet", {})]),
        Turn(reasoning="meet", calls=[Call("meet", {})]),
        Turn(reasoning="done", text="We met."),
        Turn(reasoning="done", text="We met."),
        Turn(reasoning="both met", text="Both subagents met."),
    )
    backend = backend_for(server)
    assert backend.concurrent_requests
    recorder = Recorder()
    extra = [tool("read")(meet), task_tool([helper("meeter", ("meet",))])]
    agent = parent(backend, repo, extra, recorder)
    result = agent.run("Run two subagents.")
    assert result.status is RunStatus.DONE, result.error
    assert sorted(threads) == sorted(set(threads)) and len(threads) == 2
    assert all(name.startswith("task") for name in threads)
    outcomes = [o for o in result.outcomes if o.call.name == "task"]
    assert [o.call.arguments["prompt"] for o in outcomes] == ["first", "second"]
    assert all(o.content.startswith("We met.") and not o.is_error for o in outcomes)
    # the parent's last request: both answers, in call order, and none of the children's steps
    last = server.chat_requests[-1].body["messages"]
    tool_results = [m for m in last if m["role"] == "tool"]
    assert len(tool_results) == 2
    assert all("We met." in str(m["content"]) for m in tool_results)
    assert "met the other one" not in str(last)
    parents = {e.parent for e in recorder.events if isinstance(e, ChildEvent)}
    assert parents == {o.call.id for o in outcomes}
    # the children's steps are not the parent's, but what they cost counts in its totals
    assert len(result.usage) == 2 and len(result.subagent_usage) == 4
    totals = usage_totals(result)
    children = totals["subagents"]
    assert children["prompt_tokens"] == sum(u.prompt_tokens or 0 for u in result.subagent_usage)
    assert children["prompt_tokens"] > 0 and "per_step" not in children
    assert len(totals["per_step"]) == 2


def test_ctrl_c_in_a_child_stops_it_and_the_parent_hears_why(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})

    def wait_for_user(
        ws: Workspace, seconds: Annotated[int, Field(description="How long.")] = 1
    ) -> str:
        """Wait (the user presses Ctrl-C meanwhile)."""
        raise KeyboardInterrupt  # where a real Ctrl-C lands: inside the running tool

    def call(name: str, **params: str) -> str:
        body = "".join(f'<parameter name="{k}">{v}</parameter>\n' for k, v in params.items())
        return (
            f'Go.\n</think>\n\n<minimax:tool_call>\n<invoke name="{name}">\n{body}'
            "</invoke>\n</minimax:tool_call>"
        )

    backend = ScriptedBackend(
        [
            call("task", description="wait", prompt="Wait a while.", agent="waiter"),
            call("wait_for_user"),
        ]
    )
    extra = [tool("read")(wait_for_user), task_tool([helper("waiter", ("wait_for_user",))])]
    agent = parent(backend, repo, extra, Recorder())
    result = agent.run("Delegate the wait.")
    assert result.status is RunStatus.INTERRUPTED
    backend.assert_complete()
    [answer] = [m for m in agent.messages if isinstance(m, ToolMessage)]
    assert answer.name == "task" and answer.is_error
    assert "the subagent was interrupted by the user after 1 steps" in answer.content
    # the child's own interrupted call is the child's: not in the parent's history
    assert all(m.name != "wait_for_user" for m in agent.messages if isinstance(m, ToolMessage))


def test_ctrl_c_while_children_run_at_once_stops_them_all(
    tmp_path: Path, fake_server: Any, backend_for: Any
) -> None:
    import signal

    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    barrier = threading.Barrier(2, timeout=60)
    first = threading.Lock()
    held: dict[str, Agent] = {}

    def stall(ws: Workspace) -> str:
        """Wait until the user stops the run."""
        barrier.wait()
        if first.acquire(blocking=False):
            # what the REPL's Esc does: SIGINT to the main thread, which waits on the children
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
        held["parent"].cancelled.wait(60)
        return "stopped waiting"

    server = fake_server("vllm-parser")
    task = {"description": "stall", "agent": "staller"}
    server.add(
        Turn(
            reasoning="two",
            calls=[
                Call("task", {**task, "prompt": "one"}),
                Call("task", {**task, "prompt": "two"}),
            ],
        ),
        Turn(reasoning="stall", calls=[Call("stall", {})]),
        Turn(reasoning="stall", calls=[Call("stall", {})]),
    )
    extra = [tool("read")(stall), task_tool([helper("staller", ("stall",))])]
    agent = parent(backend_for(server), repo, extra, Recorder())
    held["parent"] = agent
    result = agent.run("Run two subagents.")
    assert result.status is RunStatus.INTERRUPTED
    answers = [m for m in agent.messages if isinstance(m, ToolMessage)]
    assert [m.name for m in answers] == ["task", "task"]
    assert all(m.is_error and "interrupted by the user" in m.content for m in answers)
    assert len(server.chat_requests) == 3  # no child asked for another step


def test_an_earlier_interrupt_does_not_stop_the_next_tasks_child(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    body = '<parameter name="description">d</parameter>\n<parameter name="prompt">p</parameter>\n'
    backend = ScriptedBackend(
        [
            f'Go.\n</think>\n\n<minimax:tool_call>\n<invoke name="task">\n{body}</invoke>\n'
            "</minimax:tool_call>",
            "Child.\n</think>\n\nThe child's answer.",
            "Parent.\n</think>\n\nDone.",
        ]
    )
    agent = parent(backend, repo, [task_tool()], Recorder())
    agent.cancelled.set()  # what a Ctrl-C during concurrent children of an earlier task left
    result = agent.run("Delegate.")
    assert result.status is RunStatus.DONE
    assert result.outcomes[0].content.startswith("The child's answer.")
