"""The agent's hook points driven by real hook scripts (HookRunner) on the scripted backend,
with real tools in a temporary git repo: PreToolUse gates, PostToolUse text, Stop hooks."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from minimax_agent.agent import Agent, Hooks, Limits, Tee, ToolGate
from minimax_agent.backends.scripted import ScriptedBackend
from minimax_agent.events import AgentEvent, HookRun, RunResult, RunStatus, ToolCall, ToolOutcome
from minimax_agent.extensions.hook_config import HookCommand, HookEvent, HookMatcher
from minimax_agent.extensions.hooks import HookRunner
from minimax_agent.messages import ToolMessage, UserMessage
from tests.conftest import make_repo
from tools import default_tools
from tools.approval import ApprovalPolicy
from tools.base import Tool
from tools.modes import ApprovalMode
from tools.workspace import Workspace


def invoke(name: str, **params: str) -> str:
    body = "".join(f'<parameter name="{k}">{v}</parameter>\n' for k, v in params.items())
    return f'<minimax:tool_call>\n<invoke name="{name}">\n{body}</invoke>\n</minimax:tool_call>'


class RunnerHooks(Hooks):
    """What the conversation does with a HookRunner: its three agent hook points, approvals
    answered from a list (an empty list is a headless run: nobody says yes)."""

    def __init__(self, runner_config: dict[HookEvent, list[HookMatcher]], cwd: Path) -> None:
        self.events: list[AgentEvent] = []
        self.asked: list[str] = []
        self.answers: list[bool] = []
        self.runner = HookRunner(
            runner_config,
            cwd=cwd,
            session_id=lambda: "s1",
            env={"PATH": os.environ["PATH"]},
            emit=self.on_event,
        )

    def on_event(self, event: AgentEvent) -> None:
        self.events.append(event)

    def approve(self, call: ToolCall, tool: Tool, reason: str) -> bool:
        self.asked.append(reason)
        return self.answers.pop(0) if self.answers else False

    def before_tool(self, call: ToolCall, tool: Tool) -> ToolGate | None:
        return self.runner.pre_tool(call.name, call.arguments, call.id)

    def after_tool(self, outcome: ToolOutcome) -> str | None:
        call = outcome.call
        return self.runner.post_tool(
            call.name, call.arguments, call.id, outcome.content, outcome.is_error
        )

    def after_answer(self, result: RunResult, continued: int) -> str | None:
        return self.runner.stop(continued > 0)

    def outcomes(self) -> list[ToolOutcome]:
        return [e for e in self.events if isinstance(e, ToolOutcome)]


class Project:
    def __init__(self, tmp_path: Path) -> None:
        self.repo = make_repo(tmp_path / "repo", {"a.txt": "one\n"})
        self.hook_dir = tmp_path / "hooks"
        self.hook_dir.mkdir()
        self.config: dict[HookEvent, list[HookMatcher]] = {}

    def hook(self, event: HookEvent, body: str, matcher: str = "") -> None:
        path = self.hook_dir / f"{event}_{len(list(self.hook_dir.iterdir()))}.sh"
        path.write_text("#!/bin/sh\n" + body)
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
        matcher_entry = HookMatcher(matcher=matcher, hooks=[HookCommand(command=str(path))])
        self.config.setdefault(event, []).append(matcher_entry)

    def run(
        self, steps: list[str], mode: ApprovalMode, answers: list[bool] | None = None, **limits: int
    ) -> tuple[Agent, RunnerHooks, RunResult, ScriptedBackend]:
        hooks = RunnerHooks(self.config, self.repo)
        hooks.answers = list(answers or [])
        backend = ScriptedBackend(steps)
        agent = Agent(
            backend,
            default_tools(),
            Workspace(self.repo),
            ApprovalPolicy(mode, interactive=True),
            Tee(hooks),
            system_prompt="test",
            limits=Limits(**limits),
        )
        return agent, hooks, agent.run("task"), backend


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def decision(verdict: str, reason: str) -> str:
    out = {
        "hookSpecificOutput": {"permissionDecision": verdict, "permissionDecisionReason": reason}
    }
    return f"cat <<'EOF'\n{json.dumps(out)}\nEOF\n"


WRITE = "r</think>" + invoke("write_file", path="b.txt", content="x")
DONE = "r</think>\n\nok"


def test_pre_tool_exit_2_blocks_and_its_stderr_is_the_tool_error(project: Project) -> None:
    project.hook("PreToolUse", "echo 'use make, not raw touch' >&2\nexit 2\n", "Bash")
    steps = ["r</think>" + invoke("run_command", command="touch made"), DONE]
    agent, hooks, result, backend = project.run(steps, ApprovalMode.FULL_AUTO)
    backend.assert_complete()
    assert result.status is RunStatus.DONE
    [outcome] = hooks.outcomes()
    assert outcome.is_error
    assert outcome.content == "Error: blocked by a hook: use make, not raw touch"
    assert not (project.repo / "made").exists()
    tool_message = next(m for m in agent.messages if isinstance(m, ToolMessage))
    assert tool_message.content == outcome.content  # what the model reads next
    [run] = [e for e in hooks.events if isinstance(e, HookRun)]
    assert (run.event, run.exit_code, run.decision) == ("PreToolUse", 2, "deny")


def test_a_hook_allow_skips_the_question(project: Project) -> None:
    project.hook("PreToolUse", decision("allow", "writes to b.txt are fine"), "Write")
    _, hooks, result, _ = project.run([WRITE, DONE], ApprovalMode.ASK)
    assert hooks.asked == []
    assert (project.repo / "b.txt").read_text() == "x"
    assert result.status is RunStatus.DONE


def test_a_hook_allow_does_not_override_read_only(project: Project) -> None:
    project.hook("PreToolUse", decision("allow", "sure"))
    _, hooks, _, _ = project.run([WRITE, DONE], ApprovalMode.READ_ONLY)
    [outcome] = hooks.outcomes()
    assert outcome.is_error and "read-only" in outcome.content
    assert not (project.repo / "b.txt").exists()


def test_a_hook_allow_does_not_skip_the_deny_list_question(project: Project) -> None:
    project.hook("PreToolUse", decision("allow", "sure"), "Bash")
    steps = ["r</think>" + invoke("run_command", command="sudo touch /made-by-test"), DONE]
    _, hooks, _, _ = project.run(steps, ApprovalMode.FULL_AUTO, answers=[False])
    assert len(hooks.asked) == 1 and "dangerous command" in hooks.asked[0]
    assert "declined" in hooks.outcomes()[0].content


def test_a_hook_ask_asks_even_in_full_auto(project: Project) -> None:
    project.hook("PreToolUse", decision("ask", "b.txt is generated"))
    _, hooks, _, _ = project.run([WRITE, WRITE, DONE], ApprovalMode.FULL_AUTO, answers=[False])
    # the first answer is no; the second question finds nobody (headless): denied too
    assert hooks.asked == ["a hook asks: b.txt is generated"] * 2
    assert all("declined" in o.content for o in hooks.outcomes())
    assert not (project.repo / "b.txt").exists()


def test_a_hook_deny_blocks_what_the_mode_allows(project: Project) -> None:
    project.hook("PreToolUse", decision("deny", "frozen file"), "write_file")
    _, hooks, _, _ = project.run([WRITE, DONE], ApprovalMode.FULL_AUTO)
    assert hooks.outcomes()[0].content == "Error: blocked by a hook: frozen file"
    assert not (project.repo / "b.txt").exists()


def test_post_tool_text_reaches_the_model(project: Project) -> None:
    project.hook("PostToolUse", "echo 'remember to run the linter' >&2\nexit 2\n", "Read")
    steps = ["r</think>" + invoke("read_file", path="a.txt"), DONE]
    agent, hooks, _, _ = project.run(steps, ApprovalMode.ASK)
    [outcome] = hooks.outcomes()
    assert outcome.content.endswith("\n\nremember to run the linter")
    assert "one" in outcome.content and not outcome.is_error
    tool_message = next(m for m in agent.messages if isinstance(m, ToolMessage))
    assert tool_message.content == outcome.content


def test_post_tool_hooks_do_not_run_for_calls_that_did_not_run(project: Project) -> None:
    marker = project.hook_dir / "ran"
    project.hook("PostToolUse", f"touch {marker}\n")
    _, hooks, _, _ = project.run([WRITE, DONE], ApprovalMode.READ_ONLY)
    assert hooks.outcomes()[0].is_error and not marker.exists()


STOP_ONCE = """input=$(cat)
echo "$input" >> {log}
echo >> {log}
case "$input" in
  *'"stop_hook_active": false'*) echo 'tests fail: run them again' >&2; exit 2;;
esac
exit 0
"""


def test_a_stop_hook_sends_the_agent_back_once(project: Project) -> None:
    log = project.hook_dir / "stop.jsonl"
    project.hook("Stop", STOP_ONCE.format(log=log))
    steps = ["r</think>\n\nfirst answer", "r</think>\n\nsecond answer"]
    agent, hooks, result, backend = project.run(steps, ApprovalMode.ASK)
    backend.assert_complete()
    assert result.status is RunStatus.DONE and result.final_text == "second answer"
    assert result.steps == 2
    users = [m.content for m in agent.messages if isinstance(m, UserMessage)]
    assert users == ["task", "tests fail: run them again"]
    seen = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert [s["stop_hook_active"] for s in seen] == [False, True]
    runs = [e for e in hooks.events if isinstance(e, HookRun)]
    assert [r.decision for r in runs] == ["continue", None]


def test_a_stop_hook_that_never_lets_go_is_bounded_by_the_step_limit(project: Project) -> None:
    project.hook("Stop", "echo 'keep going' >&2\nexit 2\n")
    _, _, result, _ = project.run([DONE] * 3, ApprovalMode.ASK, max_steps=3)
    assert result.status is RunStatus.MAX_STEPS and result.steps == 3


def test_a_truncated_answer_asks_no_stop_hook(project: Project) -> None:
    marker = project.hook_dir / "ran"
    project.hook("Stop", f"touch {marker}\nexit 2\n")
    _, _, result, _ = project.run(["still thinking"] * 2, ApprovalMode.ASK)
    assert result.status is RunStatus.TRUNCATED and not marker.exists()
