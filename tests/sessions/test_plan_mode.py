"""Plan mode: `fix --plan` on the scripted backend (a plan printed, nothing changed, exit 0),
and the conversation's plan mode as the REPL uses it (writes refused, the prompt's head and
the offered tools unchanged, the previous mode back afterwards)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from minimax_agent.agent import Agent, Hooks
from minimax_agent.config import load_settings
from minimax_agent.session.conversation import Conversation
from minimax_agent.session.plan import PLAN_NOTE, PlanMode
from minimax_agent.session.prompt import system_prompt
from minimax_agent.session.store import SessionWriter
from tests.conftest import RunCli, git, write_script
from tests.sessions.conftest import CALC, ModelDouble, invoke
from tests.sessions.test_todo import Prompts
from tools import default_tools
from tools.approval import ApprovalPolicy
from tools.modes import ApprovalMode
from tools.workspace import Workspace

PLAN = "PLAN:\n1. In calc.py, make add return a + b.\n2. Run the tests."
TASK = "fix add"


def tries_to_change_things() -> list[str]:
    """A model that reads, then tries to write, edit and run a command, then plans."""
    return [
        "Look first.\n</think>\n\n" + invoke("read_file", path="calc.py"),
        "Just fix it.\n</think>\n\n"
        + invoke("write_file", path="calc.py", content="def add(a, b):\n    return a + b\n"),
        "Edit then.\n</think>\n\n"
        + invoke("edit_file", path="calc.py", old_string="a - b", new_string="a + b"),
        "Look again.\n</think>\n\n" + invoke("grep", pattern="add"),
        "A command.\n</think>\n\n" + invoke("run_command", command="touch made-by-command"),
        "Plan it.\n</think>\n\n" + PLAN,
    ]


def user_messages(home: Path) -> list[str]:
    files = sorted((home / ".state" / "minimax-agent" / "sessions").glob("*.jsonl"))
    assert len(files) == 1, files
    lines = [json.loads(line) for line in files[0].read_text().splitlines()]
    return [r["m"]["content"] for r in lines if r["t"] == "msg" and r["m"]["role"] == "user"]


def test_fix_plan_prints_the_plan_and_changes_nothing(
    tmp_path: Path, repo: Path, isolated_home: Path, invoke_cli: RunCli
) -> None:
    script = write_script(tmp_path / "s.json", tries_to_change_things())
    proc = invoke_cli("fix", TASK, "--plan", "-C", str(repo), "--backend", f"scripted:{script}")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == PLAN  # stdout is the plan and nothing else
    assert (repo / "calc.py").read_text() == CALC
    assert not (repo / "made-by-command").exists()
    assert git(repo, "status", "--porcelain") == ""
    # the model was told, with the request, not with a new system prompt
    assert user_messages(isolated_home) == [f"{PLAN_NOTE}\n\n{TASK}"]


@pytest.mark.parametrize("output", ["json", "stream-json"])
def test_fix_plan_in_json_carries_the_plan_as_the_answer(
    tmp_path: Path, repo: Path, invoke_cli: RunCli, output: str
) -> None:
    script = write_script(tmp_path / "s.json", tries_to_change_things())
    args = ("-C", str(repo), "--backend", f"scripted:{script}", "--output-format", output)
    # even a mode that would allow everything is overridden: a plan changes nothing
    proc = invoke_cli("fix", TASK, "--plan", "--approval", "full-auto", *args)
    assert proc.returncode == 0, proc.stderr
    if output == "json":
        report = json.loads(proc.stdout)
        calls = report["tool_calls"]
    else:
        events = [json.loads(line) for line in proc.stdout.splitlines()]
        assert events[0]["type"] == "start" and events[0]["approval"] == "read-only"
        report = events[-1]
        calls = [e for e in events if e["type"] == "tool_result"]
    assert report["status"] == "done" and report["exit_code"] == 0
    assert report["final_answer"] == PLAN
    refused = {c["name"]: c for c in calls if c["is_error"]}
    assert set(refused) == {"write_file", "edit_file", "run_command"}
    assert all(not c["is_error"] for c in calls if c["name"] in ("read_file", "grep"))
    assert (repo / "calc.py").read_text() == CALC and not (repo / "made-by-command").exists()


def open_conversation(repo: Path, model: ModelDouble) -> tuple[Conversation, Prompts]:
    def agent(hooks: Hooks) -> Agent:
        return Agent(
            model,
            default_tools(),
            Workspace(repo),
            ApprovalPolicy(ApprovalMode.AUTO_EDIT, interactive=True),
            hooks,
            system_prompt=system_prompt(repo),
        )

    watcher = Prompts()
    conversation = Conversation(
        load_settings(repo), repo, SessionWriter.create(repo), display=watcher, agent=agent
    )
    return conversation, watcher


def first_turn(prompt: str) -> str:
    """The rendered system turn: the system prompt and every offered tool."""
    return prompt[: prompt.index("[e~[") + len("[e~[")]


def test_plan_mode_refuses_changes_and_keeps_the_prompt_head(repo: Path) -> None:
    edit = invoke("edit_file", path="calc.py", old_string="a - b", new_string="a + b")
    steps = [
        "Read.\n</think>\n\n" + invoke("read_file", path="calc.py"),
        "r\n</think>\n\nAnswered before planning.",
        "Try.\n</think>\n\n" + edit,
        "Plan.\n</think>\n\n" + PLAN,
        "Go.\n</think>\n\n" + edit,
        "Done.\n</think>\n\nFixed.",
    ]
    model = ModelDouble(steps, limit=10**6)
    conversation, watcher = open_conversation(repo, model)
    specs = conversation.agent.tools.specs()
    assert conversation.run("what does add do?").status == "done"

    conversation.plan.enter(conversation)
    assert conversation.approval_mode is ApprovalMode.READ_ONLY
    assert conversation.agent.tools.specs() == specs  # the offered tools stay (the cache)
    planned = conversation.run(TASK)
    assert planned.status == "done" and planned.final_text == PLAN
    refused = planned.outcomes[0]
    assert refused.is_error and "read-only" in refused.content
    assert (repo / "calc.py").read_text() == CALC
    assert conversation.messages[-4].content == f"{PLAN_NOTE}\n\n{TASK}"

    assert conversation.plan.leave(conversation) is ApprovalMode.AUTO_EDIT
    assert not conversation.plan.active
    assert conversation.run("go ahead").status == "done"
    conversation.close()
    assert (repo / "calc.py").read_text() == CALC.replace("a - b", "a + b")
    # every request, before, in and after plan mode, starts with the same bytes: a local
    # model's KV cache (or an endpoint's prompt cache) of the first turn stays valid
    assert len({first_turn(p) for p in watcher.prompts}) == 1


def test_plan_mode_state() -> None:
    plan = PlanMode()
    assert plan.wrap("x") == "x"  # not planning: the request as typed
    plan.active, plan.previous = True, ApprovalMode.READ_ONLY
    assert plan.wrap("x") == f"{PLAN_NOTE}\n\nx"
    assert plan.default_continue_mode() is ApprovalMode.ASK  # read-only cannot carry it out
    plan.previous = ApprovalMode.FULL_AUTO
    assert plan.default_continue_mode() is ApprovalMode.FULL_AUTO


def test_a_command_in_plan_mode_is_refused_even_in_full_auto(repo: Path) -> None:
    marker = repo / "ran"
    command = f"{sys.executable} -c \"open('ran', 'w').write('x')\""
    steps = ["Run.\n</think>\n\n" + invoke("run_command", command=command), "p\n</think>\n\nP."]
    model = ModelDouble(steps, limit=10**6)
    conversation, _ = open_conversation(repo, model)
    conversation.agent.policy.mode = ApprovalMode.FULL_AUTO
    conversation.plan.enter(conversation)
    result = conversation.run(TASK)
    conversation.close()
    assert result.outcomes[0].is_error and "read-only" in result.outcomes[0].content
    assert not marker.exists()
