"""`sessions list`: each session's status (done, not done, failed, interrupted), steps, backend
and model; `--provider` runs store the backend and model they resolved. Real CLI in process,
scripted backend and the fake OpenAI server, real git repos, a decoy home."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from minimax_agent.session.store import SessionWriter, list_sessions, sessions_dir
from tests.backends.conftest import KEY
from tests.conftest import RunCli, make_repo, write_script
from tests.fakes.openai_server import FakeOpenAIServer, Turn
from tests.sessions.conftest import invoke

DONE = "r\n</think>\n\nAll done."
READ = "look\n</think>\n\n" + invoke("read_file", path="README.md")


@pytest.fixture
def openrouter() -> Iterator[FakeOpenAIServer]:
    """A fake OpenRouter serving the preset's own model id (so no --model is needed)."""
    server = FakeOpenAIServer("openrouter", api_key=KEY, models=["minimax/minimax-m2.1"])
    server.start()
    yield server
    server.stop()


def listed(invoke_cli: RunCli, repo: Path, *extra: str) -> list[dict[str, Any]]:
    proc = invoke_cli("sessions", "list", "-C", str(repo), "--json", *extra)
    assert proc.returncode == 0, proc.stderr
    rows: list[dict[str, Any]] = json.loads(proc.stdout)
    return rows


def scripted_fix(invoke_cli: RunCli, repo: Path, script: Path, *extra: str) -> int:
    proc = invoke_cli("fix", "go", "-C", str(repo), "--backend", f"scripted:{script}", *extra)
    return proc.returncode


def test_list_shows_status_steps_backend_and_model(
    tmp_path: Path, isolated_home: Path, invoke_cli: RunCli
) -> None:
    repo = make_repo(tmp_path / "repo", {"README.md": "# demo\n"})
    assert scripted_fix(invoke_cli, repo, write_script(tmp_path / "a.json", [READ, DONE])) == 0
    limited = write_script(tmp_path / "b.json", [READ, DONE])
    assert scripted_fix(invoke_cli, repo, limited, "--max-steps", "1") == 1
    newest, oldest = listed(invoke_cli, repo)
    # today's fields are all still there
    assert {"id", "root", "created", "updated", "title"} <= set(newest)
    assert (oldest["status"], oldest["steps"], oldest["backend"]) == ("done", 2, "scripted")
    assert (newest["status"], newest["steps"]) == ("not done", 1)
    proc = invoke_cli("sessions", "list", "-C", str(repo))
    lines = proc.stdout.splitlines()
    assert "not done" in lines[0] and " 1 steps" in lines[0] and "scripted" in lines[0]
    assert "done" in lines[1] and " 2 steps" in lines[1] and lines[1].endswith("go")


def test_a_continued_session_counts_every_task_s_steps(
    tmp_path: Path, isolated_home: Path, invoke_cli: RunCli
) -> None:
    repo = make_repo(tmp_path / "repo", {"README.md": "# demo\n"})
    assert scripted_fix(invoke_cli, repo, write_script(tmp_path / "a.json", [READ, DONE])) == 0
    assert scripted_fix(invoke_cli, repo, write_script(tmp_path / "b.json", [DONE]), "-c") == 0
    (row,) = listed(invoke_cli, repo)
    assert (row["status"], row["steps"]) == ("done", 3)


def test_a_provider_run_stores_the_resolved_backend_and_model(
    tmp_path: Path, isolated_home: Path, invoke_cli: RunCli, openrouter: FakeOpenAIServer
) -> None:
    repo = make_repo(tmp_path / "repo", {"notes.txt": "x\n"})
    server = openrouter  # no --model: the preset's own model id is the one resolved
    server.add(Turn(reasoning="nothing to do", text="Done."))
    proc = invoke_cli(
        "fix", "look", "-C", str(repo), "--provider", "openrouter", "--base-url", server.url,
        env={"OPENROUTER_API_KEY": KEY},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (row,) = listed(invoke_cli, repo)
    sent_model = server.chat_requests[0].body["model"]
    assert sent_model == "minimax/minimax-m2.1"
    assert (row["backend"], row["model"], row["status"]) == (
        "openai:openrouter",
        sent_model,
        "done",
    )
    meta = json.loads(next(sessions_dir().glob("*.jsonl")).read_text().splitlines()[0])
    assert (meta["backend"], meta["model"]) == ("openai:openrouter", sent_model)


def test_a_run_the_endpoint_refused_is_listed_as_failed(
    tmp_path: Path, isolated_home: Path, invoke_cli: RunCli, openrouter: FakeOpenAIServer
) -> None:
    repo = make_repo(tmp_path / "repo", {"notes.txt": "x\n"})
    server = openrouter
    proc = invoke_cli(
        "fix", "look", "-C", str(repo), "--provider", "openrouter", "--base-url", server.url,
        env={"OPENROUTER_API_KEY": "sk-wrong"},
    )  # fmt: skip
    assert proc.returncode == 3
    (row,) = listed(invoke_cli, repo)
    assert row["status"] == "failed" and row["steps"] is not None


def test_a_task_that_never_ended_is_interrupted_and_old_sessions_have_no_status(
    tmp_path: Path, isolated_home: Path
) -> None:
    from minimax_agent.messages import SystemMessage, UserMessage

    cut = SessionWriter.create(tmp_path, backend="scripted", model=None)
    cut.sync([SystemMessage(content="s"), UserMessage(content="a task killed mid-way")])
    cut.close()
    old = SessionWriter.create(tmp_path / "old")
    old.sync([SystemMessage(content="s"), UserMessage(content="from format 1")])
    old.close()
    path = old.info.path
    lines = path.read_text().splitlines()
    lines[0] = lines[0].replace('"v": 2', '"v": 1')
    path.write_text("\n".join(lines) + "\n")
    (killed,) = list_sessions(tmp_path)
    assert killed.status is not None and killed.status.value == "interrupted"
    assert killed.backend == "scripted" and killed.steps is None
    (legacy,) = list_sessions(tmp_path / "old")
    assert legacy.status is None and legacy.title == "from format 1"


def test_a_big_session_is_summarised_from_its_tail(
    tmp_path: Path, isolated_home: Path, invoke_cli: RunCli
) -> None:
    repo = make_repo(tmp_path / "repo", {"README.md": "# demo\n"})
    script = write_script(tmp_path / "a.json", [READ, DONE])
    long_task = "go\n" + "x" * 100_000  # the head's 64 KiB end inside the first request
    proc = invoke_cli("fix", long_task, "-C", str(repo), "--backend", f"scripted:{script}")
    assert proc.returncode == 0, proc.stderr
    assert next(sessions_dir().glob("*.jsonl")).stat().st_size > 100_000
    (row,) = listed(invoke_cli, repo)
    assert (row["status"], row["steps"], row["backend"]) == ("done", 2, "scripted")
