"""`fix` and `review` end to end (the real CLI through CliRunner, real HTTP) against the fake
Anthropic Messages API server, in a real git repo: every earlier assistant turn must go back
as its content blocks came, thinking signatures and redacted blocks included, in order."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.backends.conftest import KEY
from tests.conftest import RunCli, make_repo
from tests.fakes.anthropic_server import FakeAnthropicServer, Fault, Reply, Thinking, ToolUse
from tests.review.conftest import MEAN_BUG_LINE, planted_repo

FAST = {"MINIMAX_AGENT_RETRY_BACKOFF_S": "0.01"}
EDIT = {"path": "notes.txt", "old_string": "teh", "new_string": "the"}


def script() -> list[Reply]:
    return [
        Reply(
            [
                Thinking("The user wants the typo fixed.\nI should <read> notes.txt & look."),
                "Let me read the file.",
                ToolUse("read_file", {"path": "notes.txt", "limit": 5}),
            ]
        ),
        Reply(
            [
                Thinking('Line 1 says `teh`; replace it with "the" — ✓.'),
                Thinking("", redacted=True),
                ToolUse("edit_file", EDIT),
            ]
        ),
        Reply([Thinking("The edit worked."), "Fixed the typo in notes.txt."]),
    ]


@pytest.fixture
def server() -> Any:
    with FakeAnthropicServer(api_key=KEY) as fake:
        yield fake


def fix(invoke_cli: RunCli, repo: Path, url: str, *extra: str, key: str = KEY) -> Any:
    return invoke_cli(
        "fix",
        "fix the typo in notes.txt",
        "-C",
        str(repo),
        "--provider",
        "minimax-anthropic",
        "--base-url",
        url,
        *extra,
        env={"MINIMAX_API_KEY": key, **FAST},
    )


def exact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)  # key order and every byte count


def test_fix_sends_every_block_back_byte_for_byte(
    tmp_path: Path, invoke_cli: RunCli, server: FakeAnthropicServer
) -> None:
    repo = make_repo(tmp_path / "repo", {"notes.txt": "teh cat sat\n"})
    server.add(*script())
    proc = fix(invoke_cli, repo, server.url, "--output-format", "json")
    assert proc.returncode == 0, proc.stderr
    assert (repo / "notes.txt").read_text() == "the cat sat\n"
    result = json.loads(proc.stdout)
    assert result["status"] == "done"
    assert result["final_answer"].strip() == "Fixed the typo in notes.txt."
    read, edit = result["tool_calls"]
    assert read["arguments"] == {"path": "notes.txt", "limit": 5} and not read["is_error"]
    assert edit["arguments"] == EDIT and not edit["is_error"], edit["result"]
    # the prompt is all three parts; the cache figures are kept apart
    assert result["usage"]["prompt_tokens"] == 3 * (40 + 1000 + 200)
    assert result["usage"]["cached_tokens"] == 3 * 1000
    assert result["usage"]["cache_creation_tokens"] == 3 * 200

    requests = server.message_requests
    assert len(requests) == 3 and len(server.sent) == 3
    second, third = requests[1].body["messages"], requests[2].body["messages"]
    assert [m["role"] for m in third] == ["user", "assistant", "user", "assistant", "user"]
    # step 2 carries turn 1's blocks exactly; step 3 carries turns 1 and 2 exactly
    assert exact(second[1]["content"]) == exact(server.sent[0])
    assert exact(third[1]["content"]) == exact(server.sent[0])
    assert exact(third[3]["content"]) == exact(server.sent[1])
    kinds = [b["type"] for b in third[3]["content"]]
    assert kinds == ["thinking", "redacted_thinking", "tool_use"]
    assert third[3]["content"][0]["signature"] == server.sent[1][0]["signature"]
    # tool results answer the calls by id, in the next user turn
    (answer,) = third[4]["content"][:1]
    assert answer["type"] == "tool_result"
    assert answer["tool_use_id"] == server.sent[1][2]["id"]
    assert "teh cat sat" in third[2]["content"][0]["content"]


def test_the_stable_head_and_the_newest_turn_are_marked_for_the_cache(
    tmp_path: Path, invoke_cli: RunCli, server: FakeAnthropicServer
) -> None:
    repo = make_repo(tmp_path / "repo", {"notes.txt": "teh cat sat\n"})
    server.add(*script())
    assert fix(invoke_cli, repo, server.url).returncode == 0
    ephemeral = {"type": "ephemeral"}
    for request in server.message_requests:
        body = request.body
        assert body["system"][-1]["cache_control"] == ephemeral
        assert body["tools"][-1]["cache_control"] == ephemeral
        assert all("cache_control" not in t for t in body["tools"][:-1])
        assert body["messages"][-1]["content"][-1]["cache_control"] == ephemeral
        assert {"name", "description", "input_schema"} <= set(body["tools"][0])
        assert body["stream"] is True and body["max_tokens"] > 0
        assert request.headers["x-api-key"] == KEY
        assert request.headers["anthropic-version"] == "2023-06-01"
        assert "authorization" not in request.headers
        # the system prompt is the system field, never a message
        assert all(m["role"] in ("user", "assistant") for m in body["messages"])
    # the head is the same bytes at every step, so the endpoint's cache can hit
    heads = {exact([r.body["system"], r.body["tools"]]) for r in server.message_requests}
    assert len(heads) == 1


@pytest.mark.parametrize(
    "fault",
    [
        Fault(529, "Overloaded"),
        Fault(500, "internal error"),
        Fault(429, "rate limited", {"retry-after": "0"}),
        Reply(["lost"], cut_after=3, abrupt=True),  # the connection drops mid-stream
        Reply(["lost"], error_at=2),  # an error event before anything was shown
    ],
    ids=["529", "500", "429", "truncated", "error-event-early"],
)
def test_a_transient_fault_is_retried_and_the_run_finishes(
    tmp_path: Path, invoke_cli: RunCli, server: FakeAnthropicServer, fault: Fault | Reply
) -> None:
    repo = make_repo(tmp_path / "repo", {"notes.txt": "teh cat sat\n"})
    server.add(fault, *script())
    proc = fix(invoke_cli, repo, server.url)
    assert proc.returncode == 0, proc.stderr
    assert (repo / "notes.txt").read_text() == "the cat sat\n"
    assert len(server.message_requests) == 4
    assert server.message_requests[0].body == server.message_requests[1].body


def test_a_bad_key_exits_3_with_one_clear_line(
    tmp_path: Path, invoke_cli: RunCli, server: FakeAnthropicServer
) -> None:
    repo = make_repo(tmp_path / "repo", {"notes.txt": "x\n"})
    proc = fix(invoke_cli, repo, server.url, key="sk-wrong-key-0000")
    assert proc.returncode == 3
    lines = [line for line in proc.stderr.splitlines() if "check your API key" in line]
    assert len(lines) == 1 and "MINIMAX_API_KEY" in lines[0]
    assert "sk-wrong-key-0000" not in proc.stderr and "Traceback" not in proc.stderr
    assert len(server.message_requests) == 1


def test_an_error_event_after_text_was_shown_is_a_clear_failure(
    tmp_path: Path, invoke_cli: RunCli, server: FakeAnthropicServer
) -> None:
    repo = make_repo(tmp_path / "repo", {"notes.txt": "x\n"})
    # message_start, ping, text start, three text deltas: then the error event
    server.add(Reply(["A long answer that was already on the screen."], error_at=6))
    proc = fix(invoke_cli, repo, server.url)
    assert proc.returncode == 3
    assert "Overloaded" in proc.stderr and "not retried" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(server.message_requests) == 1


def test_api_anthropic_with_a_base_url_reaches_any_gateway(
    tmp_path: Path, invoke_cli: RunCli
) -> None:
    repo = make_repo(tmp_path / "repo", {"notes.txt": "teh cat sat\n"})
    with FakeAnthropicServer(api_key=KEY, prefix="", models=["gw-model"]) as gateway:
        gateway.add(*script())
        proc = invoke_cli(
            "fix",
            "fix the typo",
            "-C",
            str(repo),
            "--api",
            "anthropic",
            "--base-url",
            gateway.url,
            "--model",
            "gw-model",
            env={"ANTHROPIC_API_KEY": KEY, **FAST},
        )
    assert proc.returncode == 0, proc.stderr
    assert (repo / "notes.txt").read_text() == "the cat sat\n"
    assert all(r.path == "/v1/messages" for r in gateway.message_requests)


def test_review_works_through_the_anthropic_api(
    tmp_path: Path, invoke_cli: RunCli, server: FakeAnthropicServer
) -> None:
    repo = planted_repo(tmp_path / "repo")
    finding = {
        "path": "app/calc.py",
        "start_line": MEAN_BUG_LINE,
        "end_line": MEAN_BUG_LINE,
        "severity": "high",
        "category": "bug",
        "title": "mean() divides by n - 1",
        "body": "The mean of [2, 4] is now 6 instead of 3.",
        "confidence": 0.9,
    }
    done = {"summary": "mean() is broken.", "verdict": "request_changes"}
    server.add(
        Reply([Thinking("Read it first."), ToolUse("read_file", {"path": "app/calc.py"})]),
        Reply(
            [
                Thinking("The divisor is wrong."),
                ToolUse("report_finding", finding),
                ToolUse("finish_review", done),
            ]
        ),
    )
    out = tmp_path / "review.json"
    proc: subprocess.CompletedProcess[str] = invoke_cli(
        "review",
        "-C",
        str(repo),
        "--base",
        "main",
        "--provider",
        "minimax-anthropic",
        "--base-url",
        server.url,
        "--output",
        f"json={out}",
        env={"MINIMAX_API_KEY": KEY, "GITHUB_STEP_SUMMARY": "", **FAST},
    )
    assert "Traceback" not in proc.stderr
    data = json.loads(out.read_text())
    assert [f["title"] for f in data["findings"]] == ["mean() divides by n - 1"], proc.stderr
    second = server.message_requests[1].body["messages"]
    assert exact(second[1]["content"]) == exact(server.sent[0])
