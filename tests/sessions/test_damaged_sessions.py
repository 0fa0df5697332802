"""A damaged session file costs that session's bad fields, never the other sessions: `sessions
list`, `sessions show` and `fix --continue` keep working, with a warning, for every kind of
damage. Real sessions are made by real `fix` runs (scripted backend) in a decoy HOME; then
copies of their files are damaged the way a crash, a disk or a hand edit would."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RunCli, write_script

Records = list[dict[str, Any]]


def sessions_dir(home: Path) -> Path:
    return home / ".state" / "minimax-agent" / "sessions"


def run_fix(invoke_cli: RunCli, repo: Path, tmp_path: Path, *extra: str) -> Any:
    script = write_script(tmp_path / "s.json", ["r</think>\n\nThe answer is 42."])
    proc = invoke_cli(
        "fix",
        "what is the answer?",
        "-C",
        str(repo),
        "--backend",
        f"scripted:{script}",
        "--output-format",
        "json",
        *extra,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


@pytest.fixture
def good(repo: Path, tmp_path: Path, invoke_cli: RunCli, isolated_home: Path) -> Path:
    """A real session file, written by a real run."""
    assert run_fix(invoke_cli, repo, tmp_path).returncode == 0
    (path,) = sessions_dir(isolated_home).glob("*.jsonl")
    return path


def records(path: Path) -> Records:
    return [json.loads(line) for line in path.read_text().splitlines()]


def damaged_copy(good: Path, name: str, lines: list[str]) -> Path:
    path = good.with_name(f"{name}.jsonl")
    path.write_text("".join(line + "\n" for line in lines))
    # newer than the good one: `--continue` picks it (and must cope with it)
    stat = good.stat()
    os.utime(path, (stat.st_atime + 60, stat.st_mtime + 60))
    return path


def with_meta(good: Path, **changes: Any) -> list[str]:
    rows = records(good)
    meta = {**rows[0], **changes}
    for key, value in changes.items():
        if value is None:
            del meta[key]
    return [json.dumps(meta)] + [json.dumps(r) for r in rows[1:]]


def with_lines(good: Path, name: str, *lines: str) -> list[str]:
    return [*with_meta(good, id=name), *lines]


DAMAGE: dict[str, Any] = {
    "created-text": lambda good: with_meta(good, created="yesterday", id="created-text"),
    "created-object": lambda good: with_meta(good, created={"t": 1}, id="created-object"),
    "created-huge": lambda good: with_meta(good, created=1e300, id="created-huge"),
    "created-bool": lambda good: with_meta(good, created=True, id="created-bool"),
    "no-id": lambda good: with_meta(good, id=None),
    "id-list": lambda good: with_meta(good, id=["x"]),
    "root-number": lambda good: with_meta(good, root=7, id="root-number"),
    "bad-usage": lambda good: with_lines(
        good,
        "bad-usage",
        json.dumps({"t": "usage", "u": "ab"}),
        json.dumps({"t": "usage", "u": {"prompt_tokens": "many"}}),
        json.dumps({"t": "usage", "u": {"cost": [1]}}),
        json.dumps({"t": "usage", "u": 5}),
        json.dumps({"t": "usage", "u": {"prompt_tokens": 10, "extra": "x"}}),
        json.dumps({"t": "usage", "u": {"prompt_tokens": 10, "completion_tokens": 2}}),
    ),
    "torn-last-line": lambda good: with_lines(
        good, "torn-last-line", '{"t": "msg", "m": {"role": "user", "con'
    ),
    "non-dict-lines": lambda good: with_lines(
        good, "non-dict-lines", "[1, 2]", '"text"', "42", "null"
    ),
    "deep-line": lambda good: with_lines(good, "deep-line", "[" * 100_000),
    "bad-messages": lambda good: with_lines(
        good,
        "bad-messages",
        json.dumps({"t": "msg", "m": {"role": "wizard"}}),
        json.dumps({"t": "msg"}),
        json.dumps({"t": "reset", "m": "not a list"}),
        json.dumps({"t": "reset", "m": 3}),
    ),
    "no-meta": lambda good: ["not json at all", *(json.dumps(r) for r in records(good)[1:])],
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_sessions_list_show_and_continue_survive_a_damaged_file(
    damage: str, good: Path, repo: Path, tmp_path: Path, invoke_cli: RunCli
) -> None:
    bad = damaged_copy(good, damage, DAMAGE[damage](good))

    listed = invoke_cli("sessions", "list", "--all", "--json")
    assert listed.returncode == 0, listed.stderr
    assert "Traceback" not in listed.stderr
    rows = json.loads(listed.stdout)
    ids = {row["id"] for row in rows}
    assert good.stem in ids  # the good session is unharmed
    text = invoke_cli("sessions", "list", "-C", str(repo))
    assert text.returncode == 0 and "Traceback" not in text.stderr, text.stderr
    assert good.stem in text.stdout

    if damage == "no-meta":
        assert len(rows) == 1 and "has no meta record" in listed.stderr
        return
    (row,) = [r for r in rows if r["id"] not in (good.stem,)]
    assert isinstance(row["created"], float) and 0 <= row["created"] < 1e11
    assert isinstance(row["root"], str)
    if damage in ("no-id", "id-list"):
        assert row["id"] == bad.stem and "no valid id" in listed.stderr
    if damage.startswith("created"):
        assert "creation time is not a time" in listed.stderr

    shown = invoke_cli("sessions", "show", row["id"])
    assert shown.returncode == 0, shown.stderr
    assert "Traceback" not in shown.stderr
    assert "The answer is 42." in shown.stdout

    # --continue resumes the newest session of this workspace: the damaged one, when its
    # root survived; the good one otherwise
    again = run_fix(invoke_cli, repo, tmp_path, "--continue")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["status"] == "done"
    continued = good if damage == "root-number" else bad
    asked = [
        line
        for line in continued.read_text().splitlines()
        if '"role": "user"' in line and "what is the answer?" in line
    ]
    assert len(asked) == 2  # the old question and the new one, in the resumed file


def test_bad_usage_records_are_skipped_with_a_warning_and_the_good_ones_kept(
    good: Path, repo: Path, tmp_path: Path, invoke_cli: RunCli
) -> None:
    lines = DAMAGE["bad-usage"](good)
    damaged_copy(good, "bad-usage", lines)
    shown = invoke_cli("sessions", "show", "bad-usage")
    assert shown.returncode == 0 and "Traceback" not in shown.stderr, shown.stderr
    assert shown.stderr.count("skipping a bad usage record") == 5
    # the one good usage record is still counted
    assert "1 requests · 10 tokens in · 2 out" in shown.stdout
