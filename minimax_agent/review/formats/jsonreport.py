"""The `json` format: one object, versioned, documented in docs/ci-review.md.

`schema_version` changes only when a field is removed or changes meaning; new fields may be added
within a version, so readers should ignore what they do not know.
"""

from __future__ import annotations

import json
from typing import Any

from minimax_agent import __version__
from minimax_agent.review.findings import Finding
from minimax_agent.review.report import TOOL_NAME, ReviewReport

SCHEMA = "minimax-agent-review"
SCHEMA_VERSION = 1


def finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "id": finding.id,
        "rule_id": finding.rule_id,
        "fingerprint": finding.fingerprint,
        "path": finding.path,
        "start_line": finding.start_line,
        "end_line": finding.end_line,
        "severity": finding.severity.value,
        "category": finding.category.value,
        "title": finding.title,
        "body": finding.body,
        "suggestion": finding.suggestion,
        "confidence": finding.confidence,
        "reports": finding.reports,
    }


def report_json(report: ReviewReport) -> dict[str, Any]:
    source = report.source
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": __version__},
        "status": report.status,
        "exit_code": report.exit_code,
        "fail_on": report.fail_on.value,
        "verdict": report.verdict.value if report.verdict else None,
        "summary": report.summary,
        "error": report.error,
        "source": {
            "mode": source.mode,
            "description": source.description,
            "base": {"ref": source.base_ref, "sha": source.base_sha},
            "head": {"ref": source.head_ref, "sha": source.head_sha},
        },
        "counts": report.counts(),
        "findings": [finding_json(f) for f in report.findings],
        "files": [
            {
                "path": f.path,
                "old_path": f.old_path,
                "status": f.status,
                "added": f.added,
                "removed": f.removed,
                "binary": f.binary,
                "reviewed": f.reviewed,
                "skip_reason": f.skip_reason,
            }
            for f in report.diff.files
        ],
        "rejected_findings": [
            {"chunk": r.chunk, "reason": r.reason, "arguments": r.arguments}
            for r in report.rejected
        ],
        "chunks": report.chunks,
        "steps": report.steps,
        "warnings": report.warnings,
        "usage": report.usage,
        "timings": report.timings,
    }


def render_json(report: ReviewReport) -> str:
    return json.dumps(report_json(report), indent=2, default=str) + "\n"
