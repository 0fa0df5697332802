"""One review: collect the diff, split it, run one agent per chunk, and build the report.

The agent is composed, not changed: the review brings its own tools, a read-only approval policy,
and hooks that stop the loop before the step after `finish_review` (so the model is not asked
for a closing turn it has nothing to put in), and that keep the step and usage counts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from minimax_agent.agent import Agent, Hooks, Tee
from minimax_agent.backends.base import Backend
from minimax_agent.errors import ExitCode
from minimax_agent.events import (
    AgentEvent,
    Event,
    RunResult,
    RunStatus,
    StepStarted,
    ToolCall,
    ToolOutcome,
    Usage,
)
from minimax_agent.review import chunks as chunking
from minimax_agent.review.diff import ReviewDiff, parse_diff
from minimax_agent.review.findings import FindingBook
from minimax_agent.review.gitrange import DiffSource, collect
from minimax_agent.review.options import DEFAULT_BUDGET_TOKENS, VERDICT_ORDER, FailOn, Verdict
from minimax_agent.review.prompt import TASK, review_prompt
from minimax_agent.review.report import Clock, ReviewReport
from minimax_agent.review.tools import ReviewState, review_tools

if TYPE_CHECKING:
    from minimax_agent.backends.base import Request
    from minimax_agent.config import Settings
    from tools.base import Tool

REVIEW_TOOLS = ("report_finding", "finish_review")
Note = Callable[[str], None]


@dataclass
class Prepared:
    """What is reviewed, before any model is involved."""

    source: DiffSource
    diff: ReviewDiff
    chunks: list[chunking.Chunk]
    budget_tokens: int


def prepare(
    root: Path,
    clock: Clock,
    *,
    base: str | None = None,
    head: str | None = None,
    uncommitted: bool = False,
    commit: str | None = None,
    budget_tokens: int = DEFAULT_BUDGET_TOKENS,
) -> Prepared:
    with clock.phase("git"):
        source = collect(root, base=base, head=head, uncommitted=uncommitted, commit=commit)
    with clock.phase("parse"):
        diff = parse_diff(source.text)
    with clock.phase("chunk"):
        parts = chunking.split(diff, budget_tokens)
    return Prepared(source, diff, parts, budget_tokens)


class _TimedBackend(Backend):
    """Counts the time spent inside the backend's stream as model time."""

    def __init__(self, inner: Backend, clock: Clock) -> None:
        self.inner = inner
        self.name = inner.name
        self.clock = clock

    def stream(self, request: Request) -> Iterator[Event]:
        events = iter(self.inner.stream(request))
        while True:
            started = time.perf_counter()
            try:
                event = next(events)
            except StopIteration:
                return
            finally:
                self.clock.add("model", time.perf_counter() - started)
            yield event


class ReviewHooks(Hooks):
    """Wraps the display hooks: counts steps and usage, times the repository tools, and ends a
    chunk's run once the model has called finish_review."""

    def __init__(self, display: Hooks | None, state: ReviewState, clock: Clock) -> None:
        self.display = display
        self.state = state
        self.clock = clock
        self.steps = 0
        self.usage: list[Usage] = []

    def stop(self, result: RunResult) -> RunStatus | None:
        # finish_review was the chunk's last word: its run is done
        return RunStatus.DONE if self.state.ended is not None else None

    def on_event(self, event: AgentEvent) -> None:
        if isinstance(event, StepStarted):
            self.state.start_step()
            self.steps += 1
        elif isinstance(event, Usage):
            self.usage.append(event)
        elif isinstance(event, ToolOutcome) and event.call.name not in REVIEW_TOOLS:
            self.clock.add("tools", event.seconds)
        if self.display is not None:
            self.display.on_event(event)

    def approve(self, call: ToolCall, tool: Tool, reason: str) -> bool:
        return self.display.approve(call, tool, reason) if self.display else False


def _failure(result: RunResult, chunk: chunking.Chunk, max_steps: int) -> tuple[str, int]:
    where = f" (part {chunk.index} of {chunk.total})" if chunk.total > 1 else ""
    if result.status is RunStatus.INTERRUPTED:
        return "interrupted", ExitCode.INTERRUPTED
    if result.status is RunStatus.BACKEND_ERROR:
        return f"backend error{where}: {result.error}", ExitCode.BACKEND
    if result.status is RunStatus.DONE:
        return f"the model stopped without calling finish_review{where}", ExitCode.BACKEND
    if result.status is RunStatus.MAX_STEPS:
        return f"no finish_review within --max-steps {max_steps}{where}", ExitCode.BACKEND
    return (
        f"{result.status}{where}: {result.error or 'the review did not finish'}",
        ExitCode.BACKEND,
    )


def _verdict(verdicts: list[Verdict]) -> Verdict | None:
    return max(verdicts, key=VERDICT_ORDER.index) if verdicts else None


def run_review(
    prepared: Prepared,
    settings: Settings,
    clock: Clock,
    *,
    fail_on: FailOn = FailOn.HIGH,
    allow_shell: bool = False,
    display: Hooks | None = None,
    trace: Hooks | None = None,
    note: Note | None = None,
    backend: Backend | None = None,
) -> ReviewReport:
    """Review every chunk; the first chunk that fails ends the review as failed."""
    from minimax_agent.backends import load_backend
    from minimax_agent.session.runner import (
        command_env_for,
        limits_for,
        sandbox_for,
        usage_totals,
    )
    from tools.approval import ApprovalPolicy
    from tools.modes import ApprovalMode
    from tools.workspace import Workspace

    source, diff = prepared.source, prepared.diff
    report = ReviewReport("ok", source, diff, fail_on, chunks=len(prepared.chunks))
    report.warnings.extend(source.warnings)
    if not prepared.chunks:
        report.status = "empty"
        report.summary = f"Nothing to review: {report.empty_reason()}."
        return report
    for chunk in prepared.chunks:
        if chunk.tokens > prepared.budget_tokens:
            report.warnings.append(
                f"part {chunk.index} is about {chunk.tokens} tokens, over the budget of "
                f"{prepared.budget_tokens}: a single hunk of {chunk.paths[0]} is that large"
            )
    state = ReviewState(FindingBook(diff))
    review_hooks = ReviewHooks(display, state, clock)
    hooks = Tee(review_hooks, trace)
    # the registry holds no write tools, so full-auto only lets the shell run
    mode = ApprovalMode.FULL_AUTO if allow_shell else ApprovalMode.READ_ONLY
    workspace = Workspace(source.root)
    if allow_shell:
        # a review reads: its commands run in a read-only sandbox unless the user chose a level,
        # and like every command they get an environment without the run's secrets
        shell = replace(settings.safety, approval=mode, sandbox=settings.sandbox or "read-only")
        workspace.sandbox = sandbox_for(shell, source.root, interactive=False)
    chosen = backend or load_backend(settings)
    try:
        workspace.command_env = command_env_for(settings.safety, chosen)
        timed = _TimedBackend(chosen, clock)
        registry = review_tools(state, allow_shell=allow_shell)
        policy = ApprovalPolicy(mode, interactive=False, sandboxed=workspace.sandbox is not None)
        limits = limits_for(settings.limits)
        for chunk in prepared.chunks:
            if note and chunk.total > 1:
                note(f"part {chunk.index} of {chunk.total}: {len(chunk.paths)} files")
            state.start_chunk(chunk.index)
            with clock.phase("prompt"):
                system = review_prompt(source, diff, chunk)
            agent = Agent(
                timed,
                registry,
                workspace,
                policy,
                hooks,
                system_prompt=system,
                limits=limits,
            )
            result = agent.run(TASK)
            if state.ended is None:
                report.status = "failed"
                report.error, report.failure_code = _failure(result, chunk, limits.max_steps)
                break
    finally:
        if backend is None:  # loaded here, so freed here; a backend passed in is the caller's
            chosen.close()
    clock.add("validate", state.validate_s)
    report.findings = state.book.finalize()
    report.rejected = state.book.rejected
    report.steps = review_hooks.steps
    report.usage = usage_totals(RunResult(RunStatus.DONE, usage=review_hooks.usage))
    if not report.failed:
        report.verdict = _verdict([e.verdict for e in state.endings])
        if len(state.endings) == 1:
            report.summary = state.endings[0].summary
        else:
            report.summary = "\n\n".join(
                f"Part {i}: {e.summary}" for i, e in enumerate(state.endings, 1)
            )
    return report
