"""GitHub Actions workflow commands: one annotation per finding, shown on the changed lines.

`::error file=F,line=L,endLine=E,title=T::MESSAGE`. The runner decodes `%25`, `%0D` and `%0A` in
the message, and also `%3A` and `%2C` in properties, where a raw `:` or `,` would end the value.
"""

from __future__ import annotations

import os
from pathlib import Path

from minimax_agent.review.findings import Finding
from minimax_agent.review.options import Severity
from minimax_agent.review.report import ReviewReport

COMMANDS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "notice",
    Severity.INFO: "notice",
}
TITLE = "minimax-agent review"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: str | int) -> str:
    props = ",".join(f"{k}={escape_property(str(v))}" for k, v in properties.items())
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def _annotation(finding: Finding) -> str:
    message = f"{finding.body}\n\n({finding.category}, confidence {finding.confidence:.2f})"
    if finding.suggestion is not None:
        message += f"\nSuggested replacement:\n{finding.suggestion.rstrip()}"
    return command(
        COMMANDS[finding.severity],
        message,
        file=finding.path,
        line=finding.start_line,
        endLine=finding.end_line,
        title=f"[{finding.severity}] {finding.title}",
    )


def render_github(report: ReviewReport) -> str:
    lines = [command("warning", w, title=TITLE) for w in report.warnings]
    lines += [_annotation(f) for f in report.findings]
    if report.failed:
        lines.append(command("error", report.headline(), title=f"{TITLE} failed"))
    else:
        lines.append(command("notice", report.headline(), title=TITLE))
    return "\n".join(lines) + "\n"


def write_step_summary(markdown: str) -> Path | None:
    """Append the markdown report to the job summary, when running in GitHub Actions."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(markdown if markdown.endswith("\n") else markdown + "\n")
    return path
