"""The outcome of one review, which every output format renders, and its exit code."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from minimax_agent.errors import ExitCode
from minimax_agent.review.diff import ReviewDiff
from minimax_agent.review.findings import Finding, Rejection
from minimax_agent.review.gitrange import DiffSource
from minimax_agent.review.options import SEVERITY_ORDER, FailOn, Verdict

TOOL_NAME = "minimax-agent"


class Clock:
    """Seconds spent per phase, so our own overhead can be told apart from the model's time."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.started = time.perf_counter()

    def add(self, phase: str, seconds: float) -> None:
        self.seconds[phase] = self.seconds.get(phase, 0.0) + seconds

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - started)

    def summary(self) -> dict[str, float]:
        """Every phase, the total, and `overhead`: what is left once the model, the
        repository tools and git itself are taken out."""
        out = dict(self.seconds)
        out["total"] = time.perf_counter() - self.started
        outside = sum(out.get(k, 0.0) for k in ("model", "tools", "git"))
        out["overhead"] = max(0.0, out["total"] - outside)
        return {k: round(v, 4) for k, v in out.items()}


@dataclass
class ReviewReport:
    # ok: the model finished every part · empty: nothing to review · failed: no trustworthy
    # review (backend error, no finish_review, limit hit, interrupted)
    status: str
    source: DiffSource
    diff: ReviewDiff
    fail_on: FailOn = FailOn.HIGH
    findings: list[Finding] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    summary: str = ""
    verdict: Verdict | None = None
    chunks: int = 0
    steps: int = 0
    error: str | None = None
    failure_code: int = ExitCode.BACKEND
    warnings: list[str] = field(default_factory=list)
    usage: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    @property
    def exit_code(self) -> int:
        if self.failed:
            return self.failure_code
        if any(self.fail_on.trips(f.severity) for f in self.findings):
            return ExitCode.NOT_DONE
        return ExitCode.OK

    def counts(self) -> dict[str, int]:
        counts = {s.value: 0 for s in SEVERITY_ORDER}
        for finding in self.findings:
            counts[finding.severity.value] += 1
        return counts

    def headline(self) -> str:
        """One line for a log or an annotation."""
        if self.failed:
            return f"review failed: {self.error}"
        if self.status == "empty":
            return f"nothing to review: {self.empty_reason()} in {self.source.description}"
        n = len(self.findings)
        found = [f"{c} {s}" for s, c in self.counts().items() if c]
        detail = f" ({', '.join(found)})" if found else ""
        files = len(self.diff.reviewed)
        noun = "finding" if n == 1 else "findings"
        return f"{n} {noun}{detail} in {files} reviewed file{'s' if files != 1 else ''}"

    def empty_reason(self) -> str:
        return "no changed text files" if self.diff.files else "no changes"
