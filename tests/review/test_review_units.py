"""The pure parts of the review: diff ranges, chunking, checks, fingerprints, escaping."""

from __future__ import annotations

import pytest

from minimax_agent.cli.review import STDOUT, plan_outputs
from minimax_agent.errors import ToolError, UsageError
from minimax_agent.review.chunks import split
from minimax_agent.review.diff import parse_diff
from minimax_agent.review.findings import FindingBook
from minimax_agent.review.formats import ReviewFormat
from minimax_agent.review.formats.github import command, escape_data, escape_property
from minimax_agent.review.formats.markdown import _fence
from minimax_agent.review.options import FailOn, Severity

DIFF = """\
diff --git a/app.py b/app.py
index 1111111..2222222 100644
--- a/app.py
+++ b/app.py
@@ -1,4 +1,5 @@
 import os
+import sys
 X = 0
 def main():
     pass
@@ -20,3 +21,3 @@ def other():
     a = 1
-    b = 2
+    b = 3
     c = 4
diff --git a/old.txt b/new.txt
similarity index 100%
rename from old.txt
rename to new.txt
diff --git a/gone.py b/gone.py
deleted file mode 100644
index 3333333..0000000
--- a/gone.py
+++ /dev/null
@@ -1,2 +0,0 @@
-x = 1
-y = 2
diff --git a/img.png b/img.png
new file mode 100644
index 0000000..4444444
Binary files /dev/null and b/img.png differ
"""


def _args(path: str, start: int, end: int, **over: object) -> dict[str, object]:
    args: dict[str, object] = {
        "path": path,
        "start_line": start,
        "end_line": end,
        "severity": "high",
        "category": "bug",
        "title": "b is wrong",
        "body": "It should stay 2.",
        "suggestion": None,
        "confidence": 0.8,
    }
    args.update(over)
    return args


def test_parse_diff_files_hunks_and_ranges() -> None:
    diff = parse_diff(DIFF)
    assert [(f.path, f.status, f.skip_reason) for f in diff.files] == [
        ("app.py", "modified", None),
        ("new.txt", "renamed", "renamed without changes"),
        ("gone.py", "deleted", "deleted"),
        ("img.png", "added", "binary file"),
    ]
    app = diff.by_path["app.py"]
    assert [(h.new_start, h.new_end, h.changed) for h in app.hunks] == [
        (1, 5, ((2, 2),)),
        (21, 23, ((22, 22),)),
    ]
    assert app.describe_ranges() == "1-5 (changed: 2); 21-23 (changed: 22)"
    assert app.lines[22] == "    b = 3"
    assert app.overlaps(5, 9) and not app.overlaps(6, 20)
    assert diff.find("./app.py") is app and diff.find("b/app.py") is app
    assert diff.by_path["new.txt"].old_path == "old.txt"


def test_checks_against_the_diff() -> None:
    book = FindingBook(parse_diff(DIFF))
    with pytest.raises(ToolError, match=r"outside the changed hunks.*1-5 \(changed: 2\)"):
        book.add(_args("app.py", 10, 12))
    with pytest.raises(ToolError, match="not reviewed \\(deleted\\)"):
        book.add(_args("gone.py", 1, 1))
    with pytest.raises(ToolError, match="before start_line"):
        book.add(_args("app.py", 22, 21))
    with pytest.raises(ToolError, match="inside one hunk"):
        book.add(_args("app.py", 5, 21, suggestion="x"))
    with pytest.raises(ToolError, match=r"renamed to new\.txt"):
        book.add(_args("old.txt", 1, 1))
    assert "recorded finding F1" in book.add(_args("app.py", 22, 22, suggestion="    b = 2"))
    assert len(book.rejected) == 5
    merged = book.add(_args("app.py", 21, 23, title="B is wrong here", severity="medium"))
    assert merged.startswith("merged with finding F1")
    (only,) = book.finalize()
    assert only.reports == 2 and only.severity is Severity.HIGH and only.start_line == 22


def test_fingerprint_follows_the_code_not_the_line_number() -> None:
    moved = DIFF.replace("@@ -20,3 +21,3 @@", "@@ -40,3 +41,3 @@")
    prints = []
    for text, line in ((DIFF, 22), (moved, 42)):
        book = FindingBook(parse_diff(text))
        book.add(_args("app.py", line, line))
        prints.append(book.finalize()[0].fingerprint)
    assert prints[0] == prints[1]
    other = FindingBook(parse_diff(DIFF))
    other.add(_args("app.py", 22, 22, category="style"))
    assert other.finalize()[0].fingerprint != prints[0]


def test_split_keeps_files_whole_until_one_is_too_big() -> None:
    hunk = "".join(f"+line {n}\n" for n in range(200))
    big = "".join(
        f"diff --git a/f{i}.py b/f{i}.py\nnew file mode 100644\n--- /dev/null\n+++ b/f{i}.py\n"
        f"@@ -0,0 +1,200 @@\n{hunk}"
        for i in range(3)
    )
    diff = parse_diff(big)
    assert [c.paths for c in split(diff, 100_000)] == [["f0.py", "f1.py", "f2.py"]]
    per_file = split(diff, 2_000)
    assert [c.paths for c in per_file] == [["f0.py"], ["f1.py"], ["f2.py"]]
    assert [(c.index, c.total) for c in per_file] == [(1, 3), (2, 3), (3, 3)]
    # one file over the budget is split between its hunks
    two_hunks = parse_diff(DIFF)
    parts = split(two_hunks, 30)
    pieces = [p for c in parts for p in c.pieces]
    assert [(p.file.path, p.part, p.parts, len(p.hunks)) for p in pieces] == [
        ("app.py", 1, 2, 1),
        ("app.py", 2, 2, 1),
    ]
    assert "(part 2 of 2 of this file's diff)" in pieces[1].text


def test_fail_on_thresholds() -> None:
    assert FailOn.HIGH.trips(Severity.CRITICAL) and FailOn.HIGH.trips(Severity.HIGH)
    assert not FailOn.HIGH.trips(Severity.MEDIUM)
    assert FailOn.LOW.trips(Severity.LOW) and not FailOn.LOW.trips(Severity.INFO)
    assert not any(FailOn.NONE.trips(s) for s in Severity)


def test_github_escaping() -> None:
    assert escape_data("100%\r\ndone") == "100%25%0D%0Adone"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    line = command("error", "msg: a, b", file="dir,x/a:b.py", line=3, title="T: 50%")
    assert line == "::error file=dir%2Cx/a%3Ab.py,line=3,title=T%3A 50%25::msg: a, b"


def test_suggestion_fence_outgrows_backticks() -> None:
    assert _fence("x = 1") == "```"
    assert _fence("```py\nx\n```") == "````"


def test_plan_outputs() -> None:
    assert plan_outputs(None, None) == {ReviewFormat.MARKDOWN: STDOUT}
    plan = plan_outputs([ReviewFormat.GITHUB], ["sarif=r.sarif", "markdown=r.md"])
    assert plan == {
        ReviewFormat.GITHUB: STDOUT,
        ReviewFormat.SARIF: "r.sarif",
        ReviewFormat.MARKDOWN: "r.md",
    }
    assert plan_outputs([ReviewFormat.JSON], ["r.json"]) == {ReviewFormat.JSON: "r.json"}
    with pytest.raises(UsageError, match="only one format"):
        plan_outputs([ReviewFormat.JSON, ReviewFormat.SARIF], None)
    with pytest.raises(UsageError, match="missing file name"):
        plan_outputs(None, ["sarif="])


def test_every_review_format_has_a_registered_writer() -> None:
    from minimax_agent.review.formats import WRITERS, writer

    assert set(WRITERS) == set(ReviewFormat)
    for fmt in ReviewFormat:
        assert callable(writer(fmt))
        assert writer(fmt.value) is writer(fmt)


def test_an_unknown_review_format_is_an_error_not_a_fallback() -> None:
    from minimax_agent.review.formats import render, writer

    with pytest.raises(UsageError, match="unknown review format 'rdjson'"):
        writer("rdjson")
    with pytest.raises(UsageError, match="one of markdown, json, sarif, github, rdjsonl"):
        render("xml", None)  # type: ignore[arg-type]  # fails on the name, before the report
