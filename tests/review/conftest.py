"""Fixtures for `minimax-agent review`: git repos with a planted bug on a branch, scripts of
model steps, and a runner for the real CLI (in process: a review needs no process of its own)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from tests.conftest import GIT_ENV, RunCli, git, write_script

# fixed dates make commit hashes, and so every output, the same on every run
DATES = {"GIT_AUTHOR_DATE": "2025-01-02T03:04:05Z", "GIT_COMMITTER_DATE": "2025-01-02T03:04:05Z"}

FILLER = "".join(
    f"\n\ndef helper_{i}(x):\n    return x * {i} + {i}\n" for i in range(1, 9)
)  # lines outside every hunk, so that "outside the diff" means something

CALC_MAIN = (
    '"""Small arithmetic helpers."""\n' + FILLER + "\n\ndef mean(values):\n"
    "    if not values:\n"
    "        return 0.0\n"
    "    return sum(values) / len(values)\n"
)
# line numbers in the feature version of app/calc.py
MEAN_BUG_LINE = 39
RATIO_LINE = 43
CALC_FEATURE = (
    CALC_MAIN.replace("sum(values) / len(values)", "sum(values) / (len(values) - 1)")
    + "\n\ndef ratio(a, b):\n"
    "    return a / b\n"
)
README = "# calc\n\nHelpers.\n"


def commit_all(repo: Path, message: str) -> None:
    env = {**os.environ, **GIT_ENV, **DATES}
    for args in (["add", "-A"], ["commit", "-q", "-m", message]):
        subprocess.run(["git", "-C", str(repo), *args], check=True, env=env, capture_output=True)


def init_repo(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """A repository on `main` with `files` committed at a fixed date."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Test")
    git(root, "config", "user.email", "test@example.invalid")
    write_files(root, files)
    commit_all(root, "initial")
    return root


def write_files(root: Path, files: Mapping[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


def planted_repo(root: Path, extra: Callable[[Path], None] | None = None) -> Path:
    """`main` with clean helpers; `feature` checked out, with a bug planted in `mean`."""
    repo = init_repo(root, {"app/calc.py": CALC_MAIN, "README.md": README})
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "app/calc.py").write_text(CALC_FEATURE)
    (repo / "README.md").write_text(README + "\nNow with ratio().\n")
    if extra is not None:
        extra(repo)
    commit_all(repo, "Add ratio, tweak mean")
    return repo


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return planted_repo(tmp_path / "repo")


def invoke(name: str, **params: object) -> str:
    body = "".join(f'<parameter name="{k}">{v}</parameter>\n' for k, v in params.items())
    return f'<invoke name="{name}">\n{body}</invoke>\n'


def calls(*invokes: str, thought: str = "Reviewing.") -> str:
    """One model step: reasoning, then one tool-call block holding the invokes."""
    return f"{thought}\n</think>\n\n<minimax:tool_call>\n{''.join(invokes)}</minimax:tool_call>"


def finding(path: str, start: int, end: int | None = None, **over: object) -> str:
    params: dict[str, object] = {
        "path": path,
        "start_line": start,
        "end_line": end if end is not None else start,
        "severity": "high",
        "category": "bug",
        "title": "mean() divides by n - 1",
        "body": "The mean of [2, 4] is now 6 instead of 3, and one value divides by zero.",
        "confidence": 0.9,
    }
    params.update(over)
    return invoke("report_finding", **params)


def finish(verdict: str = "request_changes", summary: str = "mean() is broken.") -> str:
    return invoke("finish_review", summary=summary, verdict=verdict)


MEAN_FINDING = finding(
    "app/calc.py", MEAN_BUG_LINE, suggestion="    return sum(values) / len(values)"
)
RATIO_FINDING = finding(
    "app/calc.py",
    RATIO_LINE,
    severity="medium",
    title="ratio() does not handle b == 0",
    body="`ratio(1, 0)` raises ZeroDivisionError; callers get no clear error.",
    confidence=0.7,
)
README_FINDING = finding(
    "README.md",
    5,
    severity="low",
    category="docs",
    title="Document what ratio returns for b == 0",
    body="Say whether it raises, returns inf, or returns None.",
    confidence=0.5,
)


def planted_script() -> list[str]:
    """A review that reads the file, reports three findings, and finishes."""
    return [
        "Let me look at the whole file first.\n</think>\n\n<minimax:tool_call>\n"
        + invoke("read_file", path="app/calc.py")
        + "</minimax:tool_call>",
        calls(MEAN_FINDING, RATIO_FINDING, README_FINDING, finish()),
    ]


Review = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def review(invoke_cli: RunCli, tmp_path: Path) -> Review:
    """Run `minimax-agent review -C REPO --backend scripted:...` with the given steps, through
    CliRunner: the same flags, outputs and exit codes as a subprocess, at a fraction of the
    cost (`-C` names the repository, so the test's own cwd never matters)."""
    counter = iter(range(1000))

    def run(
        repo: Path, steps: list[str] | None, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        extra: list[str] = []
        if steps is not None:
            script = write_script(tmp_path / f"script-{next(counter)}.json", steps)
            extra = ["--backend", f"scripted:{script}"]
        base_env = {"GITHUB_STEP_SUMMARY": ""}
        return invoke_cli("review", "-C", str(repo), *extra, *args, env={**base_env, **(env or {})})

    return run


def load_json(path: Path) -> dict[str, object]:
    data = json.loads(path.read_text())
    assert isinstance(data, dict)
    return data
