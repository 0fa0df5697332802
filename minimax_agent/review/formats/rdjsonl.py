"""reviewdog's rdjsonl: one Diagnostic per line, for `reviewdog -f=rdjsonl`.

Positions are 1-based; columns count UTF-8 bytes. A suggestion replaces whole lines: its range
runs from the start of `start_line` to the start of the line after `end_line` (the end is
exclusive), and its text ends with a line break.
"""

from __future__ import annotations

import json
from typing import Any

from minimax_agent.review.diff import ChangedFile
from minimax_agent.review.findings import Finding
from minimax_agent.review.options import Severity
from minimax_agent.review.report import TOOL_NAME, ReviewReport

SEVERITIES = {
    Severity.CRITICAL: "ERROR",
    Severity.HIGH: "ERROR",
    Severity.MEDIUM: "WARNING",
    Severity.LOW: "INFO",
    Severity.INFO: "INFO",
}


def _end(finding: Finding, changed: ChangedFile | None) -> dict[str, int]:
    text = changed.lines.get(finding.end_line) if changed else None
    if text is None:
        return {"line": finding.end_line + 1, "column": 1}
    return {"line": finding.end_line, "column": len(text.encode("utf-8")) + 1}


def diagnostic(finding: Finding, changed: ChangedFile | None) -> dict[str, Any]:
    start = {"line": finding.start_line, "column": 1}
    out: dict[str, Any] = {
        "message": f"[{finding.severity}] {finding.title}\n\n{finding.body}",
        "location": {
            "path": finding.path,
            "range": {"start": start, "end": _end(finding, changed)},
        },
        "severity": SEVERITIES[finding.severity],
        "source": {"name": TOOL_NAME},
        "code": {"value": finding.rule_id},
    }
    if finding.suggestion is not None:
        text = (
            finding.suggestion if finding.suggestion.endswith("\n") else finding.suggestion + "\n"
        )
        out["suggestions"] = [
            {
                "range": {"start": start, "end": {"line": finding.end_line + 1, "column": 1}},
                "text": text,
            }
        ]
    return out


def render_rdjsonl(report: ReviewReport) -> str:
    lines = [
        json.dumps(diagnostic(f, report.diff.by_path.get(f.path)), ensure_ascii=False)
        for f in report.findings
    ]
    return "".join(line + "\n" for line in lines)
