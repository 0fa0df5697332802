"""The review's vocabulary as enums. Stdlib only: the CLI imports this to build `--help`.
The output formats are named beside their writers, in review/formats/."""

from __future__ import annotations

from enum import StrEnum

# tokens of diff per agent run; M2.1's window leaves room for the prompt, reads and answers
DEFAULT_BUDGET_TOKENS = 40_000


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse: info 0 … critical 4."""
        return len(SEVERITY_ORDER) - 1 - SEVERITY_ORDER.index(self)


SEVERITY_ORDER = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO)


class Category(StrEnum):
    BUG = "bug"
    SECURITY = "security"
    PERFORMANCE = "performance"
    STYLE = "style"
    TEST = "test"
    DOCS = "docs"


class Verdict(StrEnum):
    APPROVE = "approve"
    COMMENT = "comment"
    REQUEST_CHANGES = "request_changes"


VERDICT_ORDER = (Verdict.APPROVE, Verdict.COMMENT, Verdict.REQUEST_CHANGES)


class FailOn(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    NONE = "none"

    def trips(self, severity: Severity) -> bool:
        """Whether a finding of `severity` makes the run exit 1."""
        if self is FailOn.NONE:
            return False
        return severity.rank >= Severity(self.value).rank


def rule_id(category: Category) -> str:
    """The stable SARIF / reviewdog rule id of a category."""
    return f"minimax-review/{category.value}"
