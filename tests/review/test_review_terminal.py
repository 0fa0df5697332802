"""review's stderr: -q leaves only warnings and errors; a refused finding's reason is shown
whole in the progress lines."""

from __future__ import annotations

from pathlib import Path

from minimax_agent.ui.headless import clip_at_word
from tests.review.conftest import MEAN_BUG_LINE, Review, calls, finding, finish


def test_quiet_prints_nothing_on_stderr(review: Review, repo: Path) -> None:
    steps = [calls(finding("app/calc.py", MEAN_BUG_LINE), finish())]
    proc = review(repo, steps, "--base", "main", "-q")
    assert proc.returncode == 1 and proc.stderr == ""
    assert "MiniMax review" in proc.stdout


def test_a_refused_reason_is_shown_whole(review: Review, repo: Path) -> None:
    steps = [
        calls(finding("app/calc.py", 3)),
        calls(finding("app/calc.py", MEAN_BUG_LINE), finish()),
    ]
    proc = review(repo, steps, "--base", "main", env={"COLUMNS": "400"})
    assert "Point the finding at the changed lines it concerns, or leave it out." in proc.stderr


def test_clip_at_word() -> None:
    assert clip_at_word("short", 10) == "short"
    assert clip_at_word("one two three four", 12) == "one two…"
