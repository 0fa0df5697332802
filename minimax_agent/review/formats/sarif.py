"""SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps).

One rule per category, always all of them and in the same order, so `ruleId` and `ruleIndex`
never change between runs. `partialFingerprints` carries a hash of the flagged code (see
`findings.fingerprint`), so a finding that is still there on the next push is matched to the
existing alert instead of raising a new one. A review that failed says so in
`invocations[0].executionSuccessful`, so an empty result list is never mistaken for a pass.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from minimax_agent import __version__
from minimax_agent.review.findings import Finding
from minimax_agent.review.options import Category, Severity, rule_id
from minimax_agent.review.report import TOOL_NAME, ReviewReport

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
FINGERPRINT_KEY = "minimaxAgentFinding/v1"
SRCROOT = "%SRCROOT%"
RULES = {
    Category.BUG: ("Bug", "A defect: wrong logic, a crash, or a broken contract."),
    Category.SECURITY: ("Security", "A vulnerability or an unsafe handling of data."),
    Category.PERFORMANCE: ("Performance", "Needless work, memory or latency."),
    Category.STYLE: ("Style", "Code that is hard to read or maintain."),
    Category.TEST: ("Test", "Missing, wrong or fragile tests."),
    Category.DOCS: ("Docs", "Missing, wrong or misleading documentation."),
}
LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
CATEGORY_ORDER = list(Category)


def _rules() -> list[dict[str, Any]]:
    rules = []
    for category in CATEGORY_ORDER:
        name, description = RULES[category]
        rules.append(
            {
                "id": rule_id(category),
                "name": f"Review{name}",
                "shortDescription": {"text": f"{name} found in code review"},
                "fullDescription": {"text": description},
                "defaultConfiguration": {"level": "warning"},
                "properties": {"tags": ["code-review", category.value]},
            }
        )
    return rules


def _location(finding: Finding) -> dict[str, Any]:
    return {
        "uri": quote(finding.path, safe="/"),
        "uriBaseId": SRCROOT,
    }


def _result(finding: Finding) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": CATEGORY_ORDER.index(finding.category),
        "level": LEVELS[finding.severity],
        "message": {"text": f"{finding.title}\n\n{finding.body}"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _location(finding),
                    "region": {"startLine": finding.start_line, "endLine": finding.end_line},
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": {
            "severity": finding.severity.value,
            "category": finding.category.value,
            "confidence": finding.confidence,
            "title": finding.title,
        },
    }
    if finding.suggestion is not None:
        result["fixes"] = [
            {
                "description": {"text": "Suggested replacement"},
                "artifactChanges": [
                    {
                        "artifactLocation": _location(finding),
                        "replacements": [
                            {
                                # a region of whole lines, without the last line break
                                "deletedRegion": {
                                    "startLine": finding.start_line,
                                    "endLine": finding.end_line,
                                },
                                "insertedContent": {"text": finding.suggestion.rstrip("\n")},
                            }
                        ],
                    }
                ],
            }
        ]
    return result


def sarif_log(report: ReviewReport) -> dict[str, Any]:
    notifications = [
        {"level": "warning", "message": {"text": warning}} for warning in report.warnings
    ]
    if report.failed:
        notifications.append({"level": "error", "message": {"text": report.headline()}})
    invocation: dict[str, Any] = {
        "executionSuccessful": not report.failed,
        "exitCode": report.exit_code,
    }
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": __version__,
                "semanticVersion": __version__,
                "rules": _rules(),
            }
        },
        "originalUriBaseIds": {SRCROOT: {"description": {"text": "The repository root."}}},
        "invocations": [invocation],
        "results": [_result(f) for f in report.findings],
        "columnKind": "unicodeCodePoints",
        "properties": {
            "status": report.status,
            "verdict": report.verdict.value if report.verdict else None,
            "summary": report.summary,
            "base": report.source.base_sha,
            "head": report.source.head_sha,
        },
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render_sarif(report: ReviewReport) -> str:
    return json.dumps(sarif_log(report), indent=2) + "\n"
