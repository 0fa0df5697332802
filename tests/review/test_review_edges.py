"""What is reviewed: shallow clones, renames, binary files, empty diffs, uncommitted work, one
commit, and a diff too large for one agent run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.conftest import git
from tests.review.conftest import (
    MEAN_BUG_LINE,
    MEAN_FINDING,
    README,
    Review,
    calls,
    commit_all,
    finding,
    finish,
    init_repo,
    planted_repo,
    planted_script,
    write_files,
)


def clone(source: Path, target: Path, *args: str) -> Path:
    subprocess.run(
        ["git", "clone", "-q", *args, f"file://{source}", str(target)],
        check=True,
        capture_output=True,
    )
    return target


def test_shallow_clone_without_a_merge_base_compares_the_tips(
    review: Review, repo: Path, tmp_path: Path
) -> None:
    git(repo, "checkout", "-q", "main")  # the remote's HEAD, so origin/HEAD is origin/main
    shallow = clone(repo, tmp_path / "shallow", "--depth", "1", "--no-single-branch")
    git(shallow, "checkout", "-q", "feature")
    assert git(shallow, "rev-parse", "--is-shallow-repository").strip() == "true"
    proc = review(shallow, planted_script(), "-f", "json")  # default base: origin/HEAD
    assert proc.returncode == 1, proc.stderr
    assert "the clone is shallow" in proc.stderr and "fetch-depth: 0" in proc.stderr
    report = json.loads(proc.stdout)
    assert report["source"]["base"]["ref"] == "origin/HEAD"
    assert [f["path"] for f in report["files"]] == ["README.md", "app/calc.py"]
    assert report["findings"][0]["start_line"] == MEAN_BUG_LINE
    assert any("shallow" in w for w in report["warnings"])


def test_shallow_clone_missing_the_base_says_how_to_fetch_it(
    review: Review, repo: Path, tmp_path: Path
) -> None:
    shallow = clone(repo, tmp_path / "shallow", "--depth", "1", "--branch", "feature")
    proc = review(shallow, planted_script(), "--base", "origin/main")
    assert proc.returncode == 2
    assert "'origin/main' is not in this repository (this clone is shallow)" in proc.stderr
    assert "fetch-depth: 0" in proc.stderr
    one_commit = review(shallow, planted_script(), "--commit", "HEAD")
    assert one_commit.returncode == 2
    assert "not in this shallow clone" in one_commit.stderr
    assert "fetch-depth: 2" in one_commit.stderr


def test_shallow_clone_deep_enough_for_one_commit(
    review: Review, repo: Path, tmp_path: Path
) -> None:
    shallow = clone(repo, tmp_path / "shallow", "--depth", "2", "--branch", "feature")
    proc = review(shallow, planted_script(), "--commit", "HEAD", "-f", "json")
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["source"]["mode"] == "commit"


def _renames(repo: Path) -> None:
    (repo / "app/calc.py").rename(repo / "app/maths.py")


def test_renames_are_reviewed_under_the_new_path(review: Review, tmp_path: Path) -> None:
    repo = planted_repo(tmp_path / "repo", extra=_renames)
    steps = [
        calls(finding("app/calc.py", MEAN_BUG_LINE)),  # the old name
        calls(finding("app/maths.py", MEAN_BUG_LINE), finish()),
    ]
    proc = review(repo, steps, "--base", "main", "-f", "json")
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    files = {f["path"]: f for f in report["files"]}
    assert files["app/maths.py"]["status"] == "renamed"
    assert files["app/maths.py"]["old_path"] == "app/calc.py"
    (rejected,) = report["rejected_findings"]
    assert "app/calc.py was renamed to app/maths.py" in rejected["reason"]
    assert report["findings"][0]["path"] == "app/maths.py"


def test_pure_rename_and_binary_files_are_skipped_and_listed(
    review: Review, tmp_path: Path
) -> None:
    def extra(repo: Path) -> None:
        (repo / "docs").mkdir()
        (repo / "README.md").write_text(README)  # as on main: a rename with no change
        git(repo, "mv", "README.md", "docs/README.md")
        write_files(repo, {"logo.png": b"\x89PNG\r\n\x1a\n\0\0\0binary"})

    repo = planted_repo(tmp_path / "repo", extra=extra)
    out = tmp_path / "review.md"
    steps = [calls(finding("logo.png", 1)), calls(MEAN_FINDING, finish())]
    proc = review(repo, steps, "--base", "main", "-f", "json", "-o", f"markdown={out}")
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    skipped = {f["path"]: f["skip_reason"] for f in report["files"] if not f["reviewed"]}
    assert skipped == {"docs/README.md": "renamed without changes", "logo.png": "binary file"}
    assert "not reviewed" in report["rejected_findings"][0]["reason"]
    assert "logo.png (binary file)" in proc.stderr
    markdown = out.read_text()
    assert "- `logo.png`: binary file" in markdown
    assert "- `README.md` → `docs/README.md`: renamed without changes" in markdown


def test_empty_diff_exits_0_with_nothing_to_review(review: Review, repo: Path) -> None:
    proc = review(repo, None, "--base", "HEAD", "-f", "json")  # no backend needed
    assert proc.returncode == 0, proc.stderr
    assert "nothing to review" in proc.stderr
    report = json.loads(proc.stdout)
    assert report["status"] == "empty" and report["findings"] == [] and report["steps"] == 0
    markdown = review(repo, None, "--base", "HEAD")
    assert "## MiniMax review: nothing to review" in markdown.stdout


def test_only_binary_changes_is_nothing_to_review(review: Review, tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo", {"a.txt": "a\n"})
    git(repo, "checkout", "-q", "-b", "feature")
    write_files(repo, {"blob.bin": b"\0\1\2\3"})
    commit_all(repo, "binary")
    proc = review(repo, None, "-f", "json")  # default base: main
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["status"] == "empty" and report["source"]["base"]["ref"] == "main"
    assert "no changed text files" in proc.stderr


def test_uncommitted_changes_include_untracked_files(review: Review, repo: Path) -> None:
    (repo / "README.md").write_text("# calc\n\nChanged in the work tree.\n")
    (repo / "new_module.py").write_text("import os\n\nprint(os.environ['HOME'])\n")
    steps = [calls(finding("new_module.py", 3, category="security", severity="medium"), finish())]
    proc = review(repo, steps, "--uncommitted", "-f", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["source"]["mode"] == "uncommitted"
    assert {f["path"]: f["status"] for f in report["files"]} == {
        "README.md": "modified",
        "new_module.py": "added",
    }
    assert report["findings"][0]["rule_id"] == "minimax-review/security"


def test_one_commit(review: Review, repo: Path) -> None:
    (repo / "app/extra.py").write_text("X = 1\n")
    commit_all(repo, "extra")
    steps = [calls(finding("app/extra.py", 1, severity="low"), finish("comment", "ok"))]
    proc = review(repo, steps, "--commit", "HEAD", "-f", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert [f["path"] for f in report["files"]] == ["app/extra.py"]
    previous = review(repo, planted_script(), "--commit", "HEAD~1", "-f", "json")
    assert [f["path"] for f in json.loads(previous.stdout)["files"]] == ["README.md", "app/calc.py"]


def test_large_diff_is_split_and_the_results_merged(review: Review, tmp_path: Path) -> None:
    files = {f"pkg/mod_{i}.py": "".join(f"V{n} = {n}\n" for n in range(60)) for i in range(4)}
    repo = init_repo(tmp_path / "repo", files)
    git(repo, "checkout", "-q", "-b", "feature")
    write_files(repo, {name: text.replace(" = ", " == ") for name, text in files.items()})
    commit_all(repo, "typo everywhere")
    steps = []
    for i in range(4):  # one part per file with this budget
        steps.append(
            calls(
                finding(f"pkg/mod_{i}.py", 1, title="Comparison instead of assignment"),
                finish("request_changes", f"mod_{i} is broken."),
            )
        )
    proc = review(repo, steps, "--max-diff-tokens", "1000", "-f", "json")
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert report["chunks"] == 4
    assert [f["path"] for f in report["findings"]] == [f"pkg/mod_{i}.py" for i in range(4)]
    assert report["summary"].startswith("Part 1: mod_0 is broken.\n\nPart 2:")
    assert "part 2 of 4" in proc.stderr
