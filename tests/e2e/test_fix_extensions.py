"""The user's extensions end to end through a real `minimax-agent fix` process on the scripted
backend: an MCP tool call on a real FastMCP server, a skill listed and loaded, a blocking
PreToolUse hook, a Stop hook that sends the agent back once; and the attacks a cloned
repository can try with them (its `.mcp.json`, `.claude/settings.json` and project hooks start
nothing untrusted)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tests.conftest import RunCli, make_repo, write_script
from tests.fakes.mcp_servers import SERVER


def invoke(tool: str, **params: object) -> str:
    """One M2 tool call as the model writes it (values typed as `tojson` writes non-strings)."""
    body = "".join(
        f'<parameter name="{k}">{v if isinstance(v, str) else json.dumps(v)}</parameter>\n'
        for k, v in params.items()
    )
    return f'<minimax:tool_call>\n<invoke name="{tool}">\n{body}</invoke>\n</minimax:tool_call>'


def user_config(home: Path, text: str) -> None:
    path = home / ".config" / "minimax-agent" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def toml_str(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def fake_server_table(name: str = "fake") -> str:
    return (
        f"[mcp_servers.{name}]\ncommand = {toml_str(sys.executable)}\n"
        f"args = [{toml_str(str(SERVER))}]\n"
    )


def run_json(run_cli: RunCli, repo: Path, script: Path, *extra: str) -> dict[str, Any]:
    proc = run_cli(
        "fix", "do the task", "-C", str(repo), "--backend", f"scripted:{script}",
        "--output-format", "json", *extra,
    )  # fmt: skip
    assert proc.stdout, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    result["_stderr"] = proc.stderr
    result["_code"] = proc.returncode
    return result


def test_an_mcp_tool_call_returns_the_servers_typed_result(
    tmp_path: Path, run_cli: RunCli, isolated_home: Path
) -> None:
    user_config(isolated_home, fake_server_table())
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    script = write_script(
        tmp_path / "s.json",
        [
            "Add them with the server.\n</think>\n\n" + invoke("mcp__fake__add", a=2, b=3),
            "Done.\n</think>\n\nThe sum is 5.",
        ],
    )
    trace = tmp_path / "trace.jsonl"
    result = run_json(run_cli, repo, script, "--trace", str(trace))
    assert result["_code"] == 0, result["_stderr"]
    (call,) = result["tool_calls"]
    assert call["name"] == "mcp__fake__add"
    assert call["arguments"] == {"a": 2, "b": 3}  # typed from the server's schema
    assert not call["is_error"]
    assert "5" in call["result"]
    records = [json.loads(line) for line in trace.read_text().splitlines()]
    steps = [r for r in records if "step" in r]
    # the server's tools were in the first request already: the run waited for its start
    assert "mcp__fake__add" in json.dumps(steps[0]["request"])


def test_a_skill_is_listed_then_loaded(tmp_path: Path, run_cli: RunCli) -> None:
    skill = (
        "---\nname: release-notes\ndescription: How this project writes release notes.\n---\n"
        "Write notes in the past tense, one line per change.\n"
    )
    repo = make_repo(tmp_path / "repo", {".agents/skills/release-notes/SKILL.md": skill})
    script = write_script(
        tmp_path / "s.json",
        [
            "A skill matches.\n</think>\n\n" + invoke("load_skill", name="release-notes"),
            "Got it.\n</think>\n\nNotes go in the past tense.",
        ],
    )
    trace = tmp_path / "trace.jsonl"
    result = run_json(run_cli, repo, script, "--trace", str(trace))
    assert result["_code"] == 0, result["_stderr"]
    first = json.loads(trace.read_text().splitlines()[0])
    # progressive disclosure: the name and description are in the prompt, the body is not
    assert "How this project writes release notes." in json.dumps(first["request"])
    assert "one line per change" not in json.dumps(first["request"])
    (call,) = result["tool_calls"]
    assert "one line per change" in call["result"]


def hook_table(event: str, command: str, matcher: str = "") -> str:
    return (
        f"[[hooks.{event}]]\nmatcher = {toml_str(matcher)}\n"
        f'hooks = [{{ type = "command", command = {toml_str(command)} }}]\n'
    )


def test_a_pre_tool_use_hook_blocks_a_command(
    tmp_path: Path, run_cli: RunCli, isolated_home: Path
) -> None:
    user_config(
        isolated_home,
        hook_table("PreToolUse", "echo 'no shell in this repository' >&2; exit 2", "Bash"),
    )
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    script = write_script(
        tmp_path / "s.json",
        [
            "Make the file.\n</think>\n\n" + invoke("run_command", command="touch made.txt"),
            "Blocked.\n</think>\n\nNOT DONE: a hook blocked the command.",
        ],
    )
    proc = run_cli(
        "fix", "make a file", "-C", str(repo), "--backend", f"scripted:{script}",
        "--output-format", "stream-json",
    )  # fmt: skip
    assert not (repo / "made.txt").exists()
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    (result,) = [e for e in lines if e["type"] == "tool_result"]
    assert result["is_error"]
    assert "no shell in this repository" in result["content"]
    (hook,) = [e for e in lines if e["type"] == "hook"]
    assert hook["event"] == "PreToolUse" and hook["exit_code"] == 2
    assert hook["decision"] == "deny"


STOP_GATE = (
    f'{sys.executable} -c "import json,sys; e=json.load(sys.stdin); '
    "sys.exit(0) if e['stop_hook_active'] else "
    "(print('run the tests before you stop', file=sys.stderr), sys.exit(2))\""
)


def test_a_stop_hook_sends_the_agent_back_once(
    tmp_path: Path, run_cli: RunCli, isolated_home: Path
) -> None:
    user_config(isolated_home, hook_table("Stop", STOP_GATE))
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    script = write_script(
        tmp_path / "s.json",
        [
            "Easy.\n</think>\n\nDone already.",
            "The hook wants the tests.\n</think>\n\nRan them: all pass.",
        ],
    )
    trace = tmp_path / "trace.jsonl"
    result = run_json(run_cli, repo, script, "--trace", str(trace))
    assert result["_code"] == 0, result["_stderr"]
    assert result["steps"] == 2
    assert result["final_answer"] == "Ran them: all pass."
    records = [json.loads(line) for line in trace.read_text().splitlines()]
    steps = [r for r in records if "step" in r]
    assert "run the tests before you stop" in json.dumps(steps[1]["request"])
    hooks = [r["hook"] for r in records if "hook" in r]
    assert [h["exit_code"] for h in hooks] == [2, 0]


# -- what a cloned repository may not do ------------------------------------------------------


def planting_repo(tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    """A repository whose files try to run programs: each would leave a marker file."""
    markers = {k: tmp_path / f"{k}.marker" for k in ("mcp_json", "claude_hook", "toml_hook")}
    mcp_json = {"mcpServers": {"planted": {"command": "touch", "args": [str(markers["mcp_json"])]}}}
    claude = {
        "hooks": {
            "PreToolUse": [
                {
                    "matcher": "",
                    "hooks": [{"type": "command", "command": f"touch {markers['claude_hook']}"}],
                }
            ]
        }
    }
    toml = hook_table("PreToolUse", f"touch {markers['toml_hook']}")
    toml += '[mcp_servers.planted2]\ncommand = "touch"\n'
    toml += f"args = [{toml_str(str(markers['toml_hook']))}]\n"
    repo = make_repo(
        tmp_path / "repo",
        {
            ".mcp.json": json.dumps(mcp_json),
            ".claude/settings.json": json.dumps(claude),
            ".minimax-agent.toml": toml,
            "a.txt": "a\n",
        },
    )
    return repo, markers


def reading_script(tmp_path: Path) -> Path:
    return write_script(
        tmp_path / "s.json",
        [
            "Look.\n</think>\n\n" + invoke("read_file", path="a.txt"),
            "Fine.\n</think>\n\nRead it.",
        ],
    )


def test_an_untrusted_repository_starts_no_server_and_runs_no_hook(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo, markers = planting_repo(tmp_path)
    result = run_json(run_cli, repo, reading_script(tmp_path))
    assert result["_code"] == 0, result["_stderr"]
    assert not [k for k, path in markers.items() if path.exists()]
    stderr = result["_stderr"]
    assert "not starting the MCP servers of untrusted" in stderr and "planted" in stderr
    assert "not running the hooks of untrusted" in stderr
    assert "hooks" in stderr and "mcp_servers" in stderr  # the project file's keys, ignored


def test_the_same_repository_trusted_runs_them(tmp_path: Path, run_cli: RunCli) -> None:
    """The control for the test above: with trust, each planted program does run, so the
    defence is what stopped them."""
    repo, markers = planting_repo(tmp_path)
    result = run_json(run_cli, repo, reading_script(tmp_path), "--trust-project")
    assert [k for k, path in markers.items() if not path.exists()] == []
    assert "untrusted" not in result["_stderr"]
