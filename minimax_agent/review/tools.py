"""The review's tools: the read-only repository tools, and the two the model reports through.

`report_finding` and `finish_review` are "read" tools for the approval policy: they change
nothing in the workspace, they only record what the model says into the review's state.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from minimax_agent.errors import ToolError
from minimax_agent.review.findings import FindingBook
from minimax_agent.review.options import Verdict
from tools.base import ToolRegistry, tool
from tools.workspace import Workspace

READ_TOOLS = ("read_file", "grep", "glob", "git_log", "git_show", "git_blame")


def _lower(value: Any) -> Any:
    # models write "High" or "Security" often enough that refusing it wastes a step
    return value.strip().lower().replace(" ", "_") if isinstance(value, str) else value


SeverityArg = Annotated[
    Literal["critical", "high", "medium", "low", "info"],
    BeforeValidator(_lower),
    Field(
        description="critical: exploitable or data-losing; high: a real bug that must be fixed; "
        "medium: likely problem; low: minor; info: a note, not a problem."
    ),
]
CategoryArg = Annotated[
    Literal["bug", "security", "performance", "style", "test", "docs"],
    BeforeValidator(_lower),
    Field(description="What kind of problem it is."),
]
VerdictArg = Annotated[
    Literal["approve", "comment", "request_changes"],
    BeforeValidator(_lower),
    Field(
        description="approve: nothing that needs fixing; comment: minor points only; "
        "request_changes: something must be fixed before merging."
    ),
]


@dataclass
class ChunkEnd:
    summary: str
    verdict: Verdict


@dataclass
class ReviewState:
    """What the model has reported so far; `ended` is set by finish_review for the current chunk."""

    book: FindingBook
    ended: ChunkEnd | None = None
    endings: list[ChunkEnd] = field(default_factory=list)
    validate_s: float = 0.0
    rejected_before_step: int = 0

    def start_chunk(self, index: int) -> None:
        self.book.chunk = index
        self.ended = None

    def start_step(self) -> None:
        self.rejected_before_step = len(self.book.rejected)


def review_tools(state: ReviewState, *, allow_shell: bool = False) -> ToolRegistry:
    """The tools offered to the reviewing model; the shell only with `allow_shell`."""
    from tools.files import glob, grep, read_file
    from tools.git import git_blame, git_log, git_show

    @tool("read", name="report_finding")
    def report_finding(
        ws: Workspace,
        path: Annotated[str, Field(description="File path as shown in the diff.")],
        start_line: Annotated[
            int, Field(ge=1, description="First line, numbered as in the new version.")
        ],
        end_line: Annotated[
            int, Field(ge=1, description="Last line (inclusive), numbered as in the new version.")
        ],
        severity: SeverityArg,
        category: CategoryArg,
        title: Annotated[
            str, Field(min_length=1, max_length=200, description="One line: what is wrong.")
        ],
        body: Annotated[
            str, Field(min_length=1, description="Why it is a problem and how to fix it.")
        ],
        confidence: Annotated[
            float, Field(ge=0, le=1, description="How sure you are, from 0 to 1.")
        ],
        suggestion: Annotated[
            str | None,
            Field(
                description="Optional exact replacement text for lines start_line..end_line "
                "(whole lines, indentation included)."
            ),
        ] = None,
    ) -> str:
        """Report one problem in the changed code. path and lines refer to the new version of
        a file in the diff and must overlap a hunk the diff shows; a finding anywhere else is
        refused with the valid line ranges. One call per distinct problem."""
        started = time.perf_counter()
        try:
            return state.book.add(
                {
                    "path": path,
                    "start_line": start_line,
                    "end_line": end_line,
                    "severity": severity,
                    "category": category,
                    "title": title,
                    "body": body,
                    "suggestion": suggestion,
                    "confidence": confidence,
                }
            )
        finally:
            state.validate_s += time.perf_counter() - started

    @tool("read", name="finish_review")
    def finish_review(
        ws: Workspace,
        summary: Annotated[
            str, Field(min_length=1, description="A few sentences on the change and its risks.")
        ],
        verdict: VerdictArg,
    ) -> str:
        """End the review. Call it once, after every finding has been reported; nothing runs
        after it."""
        if state.ended is not None:
            raise ToolError("the review is already finished")
        if not summary.strip():
            raise ToolError("summary must not be blank")
        refused = len(state.book.rejected) - state.rejected_before_step
        if refused:
            # batched with finish_review, the refusals would never be seen: the run ends here
            raise ToolError(
                f"{refused} finding(s) reported in this step were refused (see their errors); "
                "report them again corrected, or call finish_review again to finish without them"
            )
        state.ended = ChunkEnd(summary.strip(), Verdict(verdict))
        state.endings.append(state.ended)
        return "review finished"

    items = [read_file, grep, glob, git_log, git_show, git_blame, report_finding, finish_review]
    if allow_shell:
        from tools.job_tools import command_output, kill_command
        from tools.shell import run_command

        # a command may be started in the background: then it must be readable and stoppable
        items += [run_command, command_output, kill_command]
    return ToolRegistry(items)
