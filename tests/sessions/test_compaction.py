"""Context management with the real Agent, real tools and the real M2 template: auto-compaction
at the threshold, compaction and one retry on overflow, and compaction requests that fit."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from minimax_agent.agent import Agent, Hooks
from minimax_agent.backends import Request
from minimax_agent.config import load_settings
from minimax_agent.errors import BackendError
from minimax_agent.events import AgentEvent, Event, Notice, TraceRecord
from minimax_agent.messages import Message, SystemMessage, UserMessage
from minimax_agent.session.compaction import SUMMARY_HEADER, ContextKeeper, estimate_tokens
from minimax_agent.session.conversation import Conversation
from minimax_agent.session.prompt import system_prompt
from minimax_agent.session.store import SessionWriter, find_session, load_session
from minimax_agent.ui.headless import HeadlessHooks
from tests.conftest import RunCli
from tests.fakes.openai_server import Call, FakeOpenAIServer, Fault, Turn
from tests.sessions.conftest import ModelDouble, invoke
from tools import default_tools
from tools.approval import ApprovalPolicy
from tools.modes import ApprovalMode
from tools.workspace import Workspace

TASK = "print a lot, several times, then say done"


def loud_step(n: int, chars: int = 2400) -> str:
    command = f"{sys.executable} -c \"print('{n}' * {chars})\""
    return f"Step {n}.\n</think>\n\n" + invoke("run_command", command=command)


class Watcher(HeadlessHooks):
    """Shows nothing; keeps the notices and the rendered prompt of every answered request (a
    failed one has none)."""

    def __init__(self) -> None:
        super().__init__(None)
        self.notices: list[Notice] = []
        self.prompts: list[str] = []

    def on_event(self, event: AgentEvent) -> None:
        if isinstance(event, Notice):
            self.notices.append(event)

    def on_trace(self, record: TraceRecord) -> None:
        if record.finish:
            self.prompts.append(record.finish.request)


def open_conversation(repo: Path, backend: Any, **settings: Any) -> tuple[Conversation, Watcher]:
    def agent(hooks: Hooks) -> Agent:
        return Agent(
            backend,
            default_tools(),
            Workspace(repo),
            ApprovalPolicy(ApprovalMode.FULL_AUTO, interactive=False),
            hooks,
            system_prompt=system_prompt(repo),
        )

    watcher = Watcher()
    conversation = Conversation(
        load_settings(repo, **settings),
        repo,
        SessionWriter.create(repo),
        display=watcher,
        agent=agent,
    )
    return conversation, watcher


def baseline(repo: Path) -> int:
    head: list[Message] = [SystemMessage(content=system_prompt(repo)), UserMessage(content=TASK)]
    return estimate_tokens(head, default_tools().specs())


def head_of(prompt: str) -> str:
    """The rendered prompt up to the end of the first user turn."""
    marker = TASK + "[e~["
    assert marker in prompt
    return prompt[: prompt.index(marker) + len(marker)]


def test_a_long_session_compacts_at_the_threshold_and_goes_on(repo: Path) -> None:
    window = baseline(repo) + 1400
    steps = [loud_step(n) for n in range(1, 7)] + ["Done.\n</think>\n\nAll printed."]
    model = ModelDouble(steps, limit=window)
    conversation, watcher = open_conversation(repo, model, context_window=window)
    prompts, notices = watcher.prompts, watcher.notices
    result = conversation.run(TASK)
    conversation.close()

    assert result.status == "done", result.error
    assert result.final_text.strip() == "All printed."
    assert model.overflows == 0  # neither the steps nor the compactions outgrew the window
    assert conversation.compactions >= 1 and model.compaction_requests
    assert any(n.kind == "compacted" for n in notices)
    for request in model.compaction_requests:  # each fits with room for its answer
        size = estimate_tokens(request.messages, request.tools) + (request.max_tokens or 0)
        assert size <= window
    # the head of every prompt is byte for byte the same: the prefix cache stays valid
    assert len({head_of(p) for p in prompts}) == 1
    messages = conversation.agent.messages
    assert messages[1].content == TASK
    assert messages[2].content.startswith(SUMMARY_HEADER) and "SUMMARY:" in messages[2].content
    # the session file replays to the compacted conversation
    loaded = load_session(find_session(conversation.session_id))
    assert loaded.messages == messages
    assert any(e["kind"] == "compact" for e in loaded.events)


def test_an_overflow_compacts_and_retries_once(repo: Path) -> None:
    limit = baseline(repo) + 1500
    steps = [loud_step(1), loud_step(2), loud_step(3), "ok\n</think>\n\nFinished."]
    model = ModelDouble(steps, limit=limit)
    conversation, watcher = open_conversation(repo, model)  # no window known: no auto-compaction
    prompts = watcher.prompts
    result = conversation.run(TASK)
    assert result.status == "done", result.error
    assert model.overflows >= 1
    assert len(model.compaction_requests) == model.overflows
    retry = model.requests[model.requests.index(model.compaction_requests[0]) + 1]
    assert retry.messages[:2] == model.requests[0].messages[:2]
    assert len({head_of(p) for p in prompts}) == 1


class AlwaysFull(ModelDouble):
    """Answers the first step, then reports an overflow for every agent request."""

    def stream(self, request: Request) -> Iterator[Event]:
        if len(self.requests) >= 1 and request.tool_choice != "none":
            self.requests.append(request)
            self.overflows += 1
            from minimax_agent.errors import ContextOverflowError

            raise ContextOverflowError("still too long")
        yield from super().stream(request)


def test_a_second_overflow_is_a_backend_error_not_a_loop(repo: Path) -> None:
    model = AlwaysFull([loud_step(1), "unused"], limit=10**6)
    conversation, _ = open_conversation(repo, model)
    result = conversation.run(TASK)
    assert result.status == "backend_error"
    assert "still too long" in (result.error or "")
    assert model.overflows == 2 and len(model.compaction_requests) == 1


class SilentModel(ModelDouble):
    def stream(self, request: Request) -> Iterator[Event]:
        if request.tool_choice == "none":
            raise BackendError("the endpoint is down")
        yield from super().stream(request)


def test_manual_compaction_with_a_focus_and_a_plain_fallback(repo: Path) -> None:
    model = ModelDouble([loud_step(1), loud_step(2), "ok\n</think>\n\nDone."], limit=10**6)
    conversation, _ = open_conversation(repo, model)
    conversation.run(TASK)
    done = conversation.compact("the printed digits")
    assert done is not None and done.by_model
    request = model.compaction_requests[-1]
    assert "Focus on: the printed digits." in request.messages[-1].content
    assert "(Summary focused on: the printed digits)" in conversation.agent.messages[2].content

    silent = SilentModel([loud_step(1), "ok\n</think>\n\nDone."], limit=10**6)
    conversation, _ = open_conversation(repo, silent)
    conversation.run(TASK)
    done = conversation.compact()
    assert done is not None and not done.by_model
    assert "run_command" in done.summary and "could not summarise" in done.summary


def test_the_summary_input_is_trimmed_to_fit(repo: Path) -> None:
    model = ModelDouble([], limit=10**6)
    keeper = ContextKeeper(model, window=3000)
    messages: list[Message] = [SystemMessage(content="s"), UserMessage(content="task")]
    for n in range(40):
        messages += [UserMessage(content=f"request {n} " + "z" * 900)]
    done = keeper.compact(messages, [], force=True)
    assert done is not None
    request = model.compaction_requests[0]
    assert estimate_tokens(request.messages) + (request.max_tokens or 0) <= 3000
    # it starts like the conversation (for the prompt cache) and asks for text only
    assert request.messages[:2] == messages[:2] and request.tool_choice == "none"
    transcript = request.messages[-1].content
    newest_summarised = f"request {done.removed - 1} "
    assert "earlier messages omitted" in transcript and newest_summarised in transcript
    assert 0 < done.removed < 40  # the most recent requests stay verbatim
    assert "request 0 " not in transcript  # the oldest go first


def test_overflow_from_a_real_endpoint_via_fix(
    tmp_path: Path, repo: Path, invoke_cli: RunCli
) -> None:
    server = FakeOpenAIServer("vllm-parser", api_key="sk-test-0123456789").start()
    try:
        command = f"{sys.executable} -c \"print('x' * 3000)\""
        server.add(
            Turn(reasoning="Print.", calls=[Call("run_command", {"command": command})]),
            Fault(
                400, "This model's maximum context length is 4096 tokens (context_length_exceeded)"
            ),
            Turn(text="SUMMARY: printed 3000 x."),
            Turn(reasoning="Done.", text="Printed it."),
        )
        proc = invoke_cli(
            "fix",
            TASK,
            "-C",
            str(repo),
            "--provider",
            "vllm",
            "--base-url",
            server.url,
            "--output-format",
            "stream-json",
            env={"VLLM_API_KEY": "sk-test-0123456789", "MINIMAX_AGENT_RETRY_BACKOFF_S": "0.01"},
        )
        requests = [r.body for r in server.chat_requests]
    finally:
        server.stop()
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "done"
    assert events[-1]["status"] == "done" and events[-1]["final_answer"] == "Printed it."
    assert any(e["type"] == "notice" and e["kind"] == "compacted" for e in events)
    overflowed, summarise, retry = requests[1], requests[2], requests[3]
    assert summarise["messages"][0]["content"].startswith("You summarise a coding agent")
    assert retry["messages"][:2] == overflowed["messages"][:2]  # the head is unchanged
    assert SUMMARY_HEADER in retry["messages"][2]["content"]
    assert len(json.dumps(retry["messages"])) < len(json.dumps(overflowed["messages"]))


@pytest.mark.parametrize("threshold", [0.5])
def test_measure_prefers_reported_usage(repo: Path, threshold: float) -> None:
    from minimax_agent.events import Usage

    keeper = ContextKeeper(ModelDouble([], limit=1), window=1000, threshold=threshold)
    messages: list[Message] = [SystemMessage(content="s" * 400), UserMessage(content="u" * 400)]
    estimated = keeper.measure(messages, [])
    assert estimated.estimated and "estimated" in estimated.describe()
    keeper.observe(2, Usage(prompt_tokens=480, completion_tokens=20))
    measured = keeper.measure([*messages, UserMessage(content="n" * 40)], [])
    assert not measured.estimated and measured.tokens == 500 + 10 + 8
    assert keeper.over_threshold([*messages], [])
    keeper.forget()
    assert keeper.measure(messages, []).estimated
