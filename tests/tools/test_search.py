"""list_dir, glob and grep through the bundled ripgrep, respecting .gitignore."""

from __future__ import annotations

import pytest

from tests.tools.conftest import err, ok
from tools.files import MAX_LIST_ENTRIES, glob, grep, list_dir, ripgrep
from tools.workspace import Workspace


@pytest.fixture
def tree(ws: Workspace) -> Workspace:
    """build/ and *.log are ignored by the repo's .gitignore."""
    for name, text in {
        "build/out.py": "needle = 'built'\n",
        "debug.log": "needle in a log\n",
        "src/util.py": "def helper():\n    needle = 1\n    return needle\n",
        "src/pkg/deep.py": "NEEDLE = 2\n",
        ".github/ci.yml": "needle: yes\n",
        "docs/guide.md": "no match here\n",
    }.items():
        path = ws.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return ws


def test_ripgrep_is_found() -> None:
    assert ripgrep() is not None


def test_list_dir_respects_gitignore_and_hides_git(tree: Workspace) -> None:
    lines = ok(list_dir, tree).splitlines()
    assert lines == [
        ".github/ (1 file)",
        "docs/ (1 file)",
        "src/ (3 files)",
        ".gitignore",
        "README.md",
    ]


def test_list_dir_subdirectory(tree: Workspace) -> None:
    assert ok(list_dir, tree, path="src").splitlines() == ["pkg/ (1 file)", "app.py", "util.py"]
    # the root .gitignore still applies when listing below it
    (tree.root / "src" / "build").mkdir()
    (tree.root / "src" / "build" / "x.py").write_text("")
    assert "build/" not in ok(list_dir, tree, path="src")


def test_list_dir_errors(tree: Workspace) -> None:
    assert "not a directory" in err(list_dir, tree, path="README.md")
    assert "does not exist" in err(list_dir, tree, path="nope")
    assert "outside" in err(list_dir, tree, path="..")


def test_list_dir_in_a_plain_directory_respects_gitignore(plain_ws: Workspace) -> None:
    (plain_ws.root / ".gitignore").write_text("secret/\n")
    (plain_ws.root / "secret").mkdir()
    (plain_ws.root / "secret" / "k").write_text("")
    (plain_ws.root / "a.txt").write_text("")
    assert ok(list_dir, plain_ws).splitlines() == [".gitignore", "a.txt"]


def test_list_dir_caps_entries(plain_ws: Workspace) -> None:
    for i in range(MAX_LIST_ENTRIES + 5):
        (plain_ws.root / f"f{i:05d}").write_text("")
    lines = ok(list_dir, plain_ws).splitlines()
    assert len(lines) == MAX_LIST_ENTRIES + 1
    assert "5 more entries not shown" in lines[-1]


def test_glob(tree: Workspace) -> None:
    assert ok(glob, tree, pattern="*.py").splitlines() == [
        "src/app.py",
        "src/pkg/deep.py",
        "src/util.py",
    ]
    assert ok(glob, tree, pattern="src/*.py").splitlines() == ["src/app.py", "src/util.py"]
    assert ok(glob, tree, pattern="**/*.py", path="src/pkg").splitlines() == ["src/pkg/deep.py"]
    assert ok(glob, tree, pattern="pkg/*.py", path="src").splitlines() == ["src/pkg/deep.py"]
    assert ok(glob, tree, pattern="*.log") == "no files match '*.log'"
    assert ok(glob, tree, pattern="*.yml").splitlines() == [".github/ci.yml"]


def test_grep_respects_gitignore(tree: Workspace) -> None:
    out = ok(grep, tree, pattern="needle")
    # rg searches files in parallel, so the order of files may vary
    assert sorted(out.splitlines()) == [
        ".github/ci.yml:1:needle: yes",
        "src/util.py:2:    needle = 1",
        "src/util.py:3:    return needle",
    ]
    assert "build/" not in out and "debug.log" not in out


def test_grep_options(tree: Workspace) -> None:
    assert ok(grep, tree, pattern="needle", ignore_case=True, path="src/pkg") == (
        "src/pkg/deep.py:1:NEEDLE = 2"
    )
    assert ok(grep, tree, pattern="needle", glob="*.yml") == ".github/ci.yml:1:needle: yes"
    assert ok(grep, tree, pattern="needle", path="src/util.py", context=1).splitlines() == [
        "src/util.py-1-def helper():",
        "src/util.py:2:    needle = 1",
        "src/util.py:3:    return needle",
    ]


def test_grep_context_separates_groups(ws: Workspace) -> None:
    (ws.root / "g.txt").write_text("hit\na\nb\nc\nd\nhit\n")
    assert ok(grep, ws, pattern="hit", path="g.txt", context=1).splitlines() == [
        "g.txt:1:hit",
        "g.txt-2-a",
        "--",
        "g.txt-5-d",
        "g.txt:6:hit",
    ]


def test_grep_no_match_is_not_an_error(tree: Workspace) -> None:
    assert ok(grep, tree, pattern="zzz_nothing") == "no matches for 'zzz_nothing'"


def test_grep_regex_error(tree: Workspace) -> None:
    msg = err(grep, tree, pattern="(unclosed")
    assert "regex parse error" in msg


def test_grep_pattern_that_looks_like_a_flag(ws: Workspace) -> None:
    (ws.root / "f.txt").write_text("--version\n")
    assert ok(grep, ws, pattern="--version") == "f.txt:1:--version"


def test_grep_caps_results(ws: Workspace) -> None:
    (ws.root / "many.txt").write_text("match\n" * 50)
    lines = ok(grep, ws, pattern="match", max_results=10).splitlines()
    assert len(lines) == 11
    assert "40 more matching lines not shown (50 in all)" in lines[-1]


def test_grep_outside_is_refused(tree: Workspace) -> None:
    assert "outside" in err(grep, tree, pattern="x", path="/etc")


def test_glob_filters_cannot_reach_ignored_files(tree: Workspace) -> None:
    # rg lets a --glob match override .gitignore; the tools must not
    assert ok(glob, tree, pattern="debug.log") == "no files match 'debug.log'"
    assert ok(grep, tree, pattern="needle", glob="*.log") == "no matches for 'needle'"
    assert ok(grep, tree, pattern="needle", glob="*.py").splitlines() == [
        "src/util.py:2:    needle = 1",
        "src/util.py:3:    return needle",
    ]
