"""Findings are checked against the diff: refused with the reason, corrected by the model,
merged when repeated. The model may only read, unless --allow-shell."""

from __future__ import annotations

import json
from pathlib import Path

from tests.review.conftest import (
    MEAN_BUG_LINE,
    MEAN_FINDING,
    Review,
    calls,
    finding,
    finish,
    invoke,
    load_json,
)


def test_finding_outside_the_diff_is_refused_then_corrected(
    review: Review, repo: Path, tmp_path: Path
) -> None:
    trace = tmp_path / "trace.jsonl"
    out = tmp_path / "review.json"
    steps = [
        # line 3 is one of the untouched helpers, far from any hunk
        calls(finding("app/calc.py", 3), thought="The bug is at the top."),
        calls(finding("app/calc.py", MEAN_BUG_LINE), thought="Wrong line; use the hunk."),
        calls(finish()),
    ]
    proc = review(
        repo, steps, "--base", "main", "-o", f"json={out}", "--trace", str(trace), "-f", "json"
    )
    assert proc.returncode == 1, proc.stderr
    report = load_json(out)
    (rejected,) = report["rejected_findings"]  # type: ignore[misc]
    reason = rejected["reason"]
    assert "outside the changed hunks" in reason
    assert "36-43 (changed: 39-43)" in reason  # the valid ranges, in new line numbers
    assert rejected["arguments"]["start_line"] == 3
    findings = report["findings"]
    assert isinstance(findings, list) and len(findings) == 1
    assert findings[0]["start_line"] == MEAN_BUG_LINE
    # the refusal went back to the model as a tool error in the next prompt
    records = [json.loads(line) for line in trace.read_text().splitlines()]
    assert "outside the changed hunks" in records[1]["request"]
    assert "recorded finding F1" in records[2]["request"]


def test_path_not_in_the_diff_lists_the_changed_files(review: Review, repo: Path) -> None:
    steps = [
        calls(finding("app/other.py", 1)),
        calls(finding("b/app/calc.py", MEAN_BUG_LINE), finish()),  # a/ b/ prefixes are forgiven
    ]
    proc = review(repo, steps, "--base", "main", "-f", "json")
    report = json.loads(proc.stdout)
    (rejected,) = report["rejected_findings"]
    assert "not in the diff" in rejected["reason"]
    assert "README.md, app/calc.py" in rejected["reason"]
    assert report["findings"][0]["path"] == "app/calc.py"


def test_duplicate_findings_are_merged(review: Review, repo: Path) -> None:
    again = finding(
        "app/calc.py",
        MEAN_BUG_LINE,
        severity="critical",
        title="mean() divides by (n - 1)",
        confidence=0.95,
    )
    other_category = finding(
        "app/calc.py", MEAN_BUG_LINE, category="test", title="No test for mean"
    )
    steps = [calls(MEAN_FINDING, again, other_category, finish())]
    proc = review(repo, steps, "--base", "main", "-f", "json")
    report = json.loads(proc.stdout)
    findings = report["findings"]
    assert len(findings) == 2
    merged = findings[0]
    assert merged["reports"] == 2
    assert merged["severity"] == "critical" and merged["confidence"] == 0.95
    assert merged["id"] == 1
    assert findings[1]["category"] == "test"


def test_bad_arguments_go_back_to_the_model(review: Review, repo: Path) -> None:
    steps = [
        calls(finding("app/calc.py", MEAN_BUG_LINE, severity="catastrophic", confidence=2)),
        calls(finding("app/calc.py", MEAN_BUG_LINE, severity="High", category="Bug"), finish()),
    ]
    proc = review(repo, steps, "--base", "main", "-f", "json")
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert report["findings"][0]["severity"] == "high"  # case is forgiven


def test_the_model_cannot_write_or_run_commands(review: Review, repo: Path, tmp_path: Path) -> None:
    trace = tmp_path / "trace.jsonl"
    steps = [
        calls(
            invoke("write_file", path="app/calc.py", content="x = 1\n"),
            invoke("run_command", command="echo shell-ran > marker.txt"),
        ),
        calls(finish("approve", "Fine.")),
    ]
    proc = review(repo, steps, "--base", "main", "--trace", str(trace), "-f", "json")
    assert proc.returncode == 0, proc.stderr
    assert "x = 1" not in (repo / "app/calc.py").read_text()
    assert not (repo / "marker.txt").exists()
    prompt = json.loads(trace.read_text().splitlines()[1])["request"]
    assert "unknown tool 'write_file'" in prompt and "unknown tool 'run_command'" in prompt


def test_allow_shell_lets_commands_run(review: Review, repo: Path, tmp_path: Path) -> None:
    trace = tmp_path / "trace.jsonl"
    steps = [
        calls(invoke("run_command", command="echo from-the-shell")),
        calls(finish("approve", "Fine.")),
    ]
    proc = review(repo, steps, "--base", "main", "--allow-shell", "--trace", str(trace))
    assert proc.returncode == 0, proc.stderr
    prompt = json.loads(trace.read_text().splitlines()[1])["request"]
    assert "from-the-shell\nexit code: 0" in prompt


def test_allow_shell_commands_run_read_only_sandboxed_without_secrets(
    review: Review, repo: Path, tmp_path: Path
) -> None:
    # review reads: its commands may not change the checkout, and never see the key
    trace = tmp_path / "trace.jsonl"
    steps = [
        calls(invoke("run_command", command="echo x > planted.txt; echo key=$REVIEW_API_KEY")),
        calls(finish("approve", "Fine.")),
    ]
    env = {"REVIEW_API_KEY": "review-secret-value-123"}
    proc = review(repo, steps, "--base", "main", "--allow-shell", "--trace", str(trace), env=env)
    assert proc.returncode == 0, proc.stderr
    assert not (repo / "planted.txt").exists()
    prompt = json.loads(trace.read_text().splitlines()[1])["request"]
    assert "Read-only file system" in prompt
    assert "key=\nexit code: 0" in prompt
    assert "review-secret-value-123" not in trace.read_text()


def test_the_prompt_holds_the_diff_with_new_line_numbers(
    review: Review, repo: Path, tmp_path: Path
) -> None:
    trace = tmp_path / "trace.jsonl"
    proc = review(repo, [calls(finish("approve", "ok"))], "--base", "main", "--trace", str(trace))
    assert proc.returncode == 0, proc.stderr
    prompt = json.loads(trace.read_text().splitlines()[0])["request"]
    assert '<file path="app/calc.py" status="modified" added="5" removed="1">' in prompt
    assert f"{MEAN_BUG_LINE:>6} +    return sum(values) / (len(values) - 1)" in prompt
    assert "       -    return sum(values) / len(values)" in prompt
    assert "report_finding" in prompt and "finish_review" in prompt


def test_finish_in_the_same_step_as_a_refused_finding_is_refused_too(
    review: Review, repo: Path
) -> None:
    steps = [
        calls(finding("app/calc.py", 3), finish()),
        calls(finding("app/calc.py", MEAN_BUG_LINE), finish()),
    ]
    proc = review(repo, steps, "--base", "main", "-f", "json")
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert report["status"] == "ok" and report["steps"] == 2
    assert [f["start_line"] for f in report["findings"]] == [MEAN_BUG_LINE]
