"""A review that did not finish is never green: exit 3, and every output says it failed."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import RunCli, git, write_script
from tests.review.conftest import (
    MEAN_FINDING,
    Review,
    calls,
    commit_all,
    finish,
    init_repo,
    load_json,
    write_files,
)


def _run_failing(
    review: Review, repo: Path, tmp_path: Path, steps: list[str], *args: str
) -> dict[str, object]:
    out = tmp_path / "out"
    out.mkdir()
    proc = review(
        repo,
        steps,
        "--base",
        "main",
        "-o",
        f"json={out / 'r.json'}",
        "-o",
        f"sarif={out / 'r.sarif'}",
        "-o",
        f"markdown={out / 'r.md'}",
        "-f",
        "github",
        *args,
    )
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "review failed" in proc.stderr
    report = load_json(out / "r.json")
    assert report["status"] == "failed" and report["exit_code"] == 3
    sarif = json.loads((out / "r.sarif").read_text())
    invocation = sarif["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"][-1]["level"] == "error"
    assert "did not complete" in (out / "r.md").read_text()
    assert proc.stdout.splitlines()[-1].startswith("::error title=minimax-agent review failed::")
    return report


def test_script_ending_without_finish_review_exits_3(
    review: Review, repo: Path, tmp_path: Path
) -> None:
    steps = [calls(MEAN_FINDING), "Done.\n</think>\n\nThe change looks wrong in mean()."]
    report = _run_failing(review, repo, tmp_path, steps)
    assert report["error"] == "the model stopped without calling finish_review"
    # what was found before the failure is still reported, marked partial
    assert len(report["findings"]) == 1  # type: ignore[arg-type]


def test_backend_error_exits_3(review: Review, repo: Path, tmp_path: Path) -> None:
    report = _run_failing(review, repo, tmp_path, [calls(MEAN_FINDING)])
    error = report["error"]
    assert isinstance(error, str) and error.startswith("backend error: ") and "no step 2" in error


def test_max_steps_without_finish_review_exits_3(
    review: Review, repo: Path, tmp_path: Path
) -> None:
    steps = [calls(MEAN_FINDING), calls(MEAN_FINDING), calls(finish())]
    report = _run_failing(review, repo, tmp_path, steps, "--max-steps", "2")
    assert report["error"] == "no finish_review within --max-steps 2"


def test_finish_on_the_last_allowed_step_counts(review: Review, repo: Path) -> None:
    steps = [calls(MEAN_FINDING), calls(finish())]
    proc = review(repo, steps, "--base", "main", "--max-steps", "2", "--fail-on", "none")
    assert proc.returncode == 0, proc.stderr


def test_empty_script_never_passes(review: Review, repo: Path) -> None:
    proc = review(
        repo, ["Nothing to say.\n</think>\n\nLGTM"], "--base", "main", "--fail-on", "none"
    )
    assert proc.returncode == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fail-on", "sometimes"], "sometimes"),
        (["--uncommitted", "--commit", "HEAD"], "cannot be combined"),
        (["--commit", "HEAD", "--base", "main"], "cannot be combined"),
        (["-f", "json", "-f", "sarif"], "only one format can go to stdout"),
        (["--output", "yaml=x.yml"], "unknown format 'yaml'"),
        (["-f", "json", "-f", "sarif", "--output", "x.json"], "say which format"),
        (["--base", "no-such-branch"], "'no-such-branch' is not in this repository"),
        (["--max-diff-tokens", "5"], "Usage:"),
    ],
)
def test_usage_errors_exit_2(review: Review, repo: Path, args: list[str], message: str) -> None:
    proc = review(repo, [calls(finish())], *args)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_not_a_repository_exits_2(review: Review, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    proc = review(plain, [calls(finish())])
    assert proc.returncode == 2 and "not inside a git work tree" in proc.stderr


def test_missing_backend_exits_2(review: Review, repo: Path) -> None:
    proc = review(repo, None, "--base", "main")
    assert proc.returncode == 2 and "no backend configured" in proc.stderr


def test_diff_unidiff_cannot_parse_exits_3(review: Review, tmp_path: Path) -> None:
    # git writes `diff --git a/plan b/notes.md b/plan b/notes.md`; unidiff splits that header at
    # the last " b/" and then finds a `+++` line for another file: a parse failure, not misuse
    repo = init_repo(tmp_path / "repo", {"README.md": "# notes\n"})
    git(repo, "checkout", "-q", "-b", "feature")
    write_files(repo, {"plan b/notes.md": "Ship it.\n"})
    commit_all(repo, "Add the plan")
    proc = review(repo, [calls(finish())], "--base", "main", "-f", "json")
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.splitlines() == [
        "minimax-agent: error: review failed: cannot parse the diff: "
        "Target without source: +++ b/plan b/notes.md"
    ]
    assert proc.stdout == ""


def test_unexpected_error_exits_3_with_one_line(
    review: Review, invoke_cli: RunCli, repo: Path, tmp_path: Path
) -> None:
    # a broken `git` (a real program on PATH, our code untouched) reports a work tree path
    # holding a NUL byte, which no code of ours expects: that is a failed review, not findings
    real_git = shutil.which("git")
    assert real_git is not None
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "git"
    fake.write_text(
        "#!/bin/sh\n"
        'case " $* " in *" rev-parse --show-toplevel "*)\n'
        "  printf '/work\\000tree\\n'; exit 0 ;;\n"
        "esac\n"
        f'exec "{real_git}" "$@"\n'
    )
    fake.chmod(0o755)
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = review(repo, [calls(finish())], "--base", "main", env=env)
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.splitlines() == [
        "minimax-agent: error: review failed: ValueError: embedded null byte "
        "(`minimax-agent -v review ...` shows the traceback)"
    ]
    script = write_script(tmp_path / "verbose.json", [calls(finish())])
    args = ("-C", str(repo), "--backend", f"scripted:{script}", "--base", "main")
    verbose = invoke_cli("-v", "review", *args, env=env)  # -v is the root option
    assert verbose.returncode == 3
    assert "Traceback (most recent call last)" in verbose.stderr
    assert verbose.stderr.splitlines()[-1] == (
        "minimax-agent: error: review failed: ValueError: embedded null byte"
    )
