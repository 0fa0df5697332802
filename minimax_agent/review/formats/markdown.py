"""A pull-request comment: verdict, summary, findings grouped by severity, suggestion blocks.

The first line is a hidden marker so a sticky-comment action (or a script) can find and replace
the previous review instead of piling up new comments.
"""

from __future__ import annotations

import re

from minimax_agent import __version__
from minimax_agent.review.findings import Finding
from minimax_agent.review.options import SEVERITY_ORDER, Verdict
from minimax_agent.review.report import ReviewReport

MARKER = "<!-- minimax-agent-review -->"
VERDICT_TITLES = {
    Verdict.APPROVE: "approved",
    Verdict.COMMENT: "comments",
    Verdict.REQUEST_CHANGES: "changes requested",
}


def _fence(text: str) -> str:
    # a suggestion that itself holds ``` needs a longer fence to stay one block
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.strip().splitlines())


def _finding(finding: Finding) -> list[str]:
    where = "line" if finding.start_line == finding.end_line else "lines"
    out = [
        f"#### {finding.title}",
        "",
        f"`{finding.path}` {where} {finding.lines} · {finding.category} · "
        f"confidence {finding.confidence:.2f}",
        "",
        finding.body,
    ]
    if finding.suggestion is not None:
        fence = _fence(finding.suggestion)
        out += ["", f"{fence}suggestion", finding.suggestion.rstrip("\n"), fence]
    return [*out, ""]


def _skipped(report: ReviewReport) -> list[str]:
    skipped = report.diff.skipped
    if not skipped:
        return []
    out = [f"<details><summary>Not reviewed ({len(skipped)})</summary>", ""]
    for changed in skipped:
        name = f"`{changed.path}`"
        if changed.old_path and changed.old_path != changed.path:
            name = f"`{changed.old_path}` → {name}"
        out.append(f"- {name}: {changed.skip_reason}")
    return [*out, "", "</details>", ""]


def render_markdown(report: ReviewReport) -> str:
    if report.failed:
        title = "failed"
    elif report.status == "empty":
        title = "nothing to review"
    else:
        title = VERDICT_TITLES[report.verdict] if report.verdict else "done"
    out = [MARKER, f"## MiniMax review: {title}", ""]
    if report.failed:
        out += [
            f"**The review did not complete:** {report.error}",
            "",
            "The findings below, if any, are partial. Do not read a missing finding as a pass.",
            "",
        ]
    elif report.summary:
        out += [_quote(report.summary), ""]
    if report.failed:
        stats = f"{len(report.findings)} finding(s) reported before the failure"
    elif report.status == "empty":
        stats = report.empty_reason()
    else:
        stats = report.headline()
    out += [f"{stats[:1].upper()}{stats[1:]} · {report.source.description}", ""]
    for warning in report.warnings:
        out += [f"> [!WARNING]\n> {warning}", ""]
    for severity in SEVERITY_ORDER:
        group = [f for f in report.findings if f.severity is severity]
        if not group:
            continue
        out += [f"### {severity.value.capitalize()} ({len(group)})", ""]
        for finding in group:
            out += _finding(finding)
    out += _skipped(report)
    out.append(f"<sub>minimax-agent {__version__} · fails on: {report.fail_on}</sub>")
    return "\n".join(out) + "\n"
