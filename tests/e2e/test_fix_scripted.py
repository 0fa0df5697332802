"""`minimax-agent fix` end to end on the scripted backend, in a real git repo with a failing test.

The full runs go through a real `minimax-agent` process; the runs that check a status and its
exit code go through the same CLI in process (`invoke_cli`, typer's CliRunner)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import RunCli, git, make_repo, write_script

CALC = "def add(a, b):\n    return a - b\n"
TEST = "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"


def invoke(name: str, **params: object) -> str:
    body = "".join(f'<parameter name="{k}">{v}</parameter>\n' for k, v in params.items())
    return f'<minimax:tool_call>\n<invoke name="{name}">\n{body}</invoke>\n</minimax:tool_call>'


def fixing_script() -> list[str]:
    pytest_cmd = f"{sys.executable} -m pytest -q -p no:cacheprovider test_calc.py"
    return [
        "The test fails; look at calc.py first.\n</think>\n\nLet me read the code.\n"
        + invoke("read_file", path="calc.py"),
        "add subtracts. Fix the operator.\n</think>\n\n"
        + invoke("edit_file", path="calc.py", old_string="return a - b", new_string="return a + b"),
        "Now run the test.\n</think>\n\n"
        + invoke("run_command", command=pytest_cmd, timeout_s=120),
        "It passes. Commit.\n</think>\n\n"
        + invoke("git_commit", message="Fix add to add", paths='["calc.py"]'),
        "All done.\n</think>\n\nFixed `add` in calc.py: it subtracted instead of adding. The test passes.",
    ]


def failing_repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", {"calc.py": CALC, "test_calc.py": TEST})


def test_fix_makes_the_failing_test_pass_and_commits(tmp_path: Path, run_cli: RunCli) -> None:
    repo = failing_repo(tmp_path)
    script = write_script(tmp_path / "script.json", fixing_script())
    trace = tmp_path / "trace.jsonl"
    proc = run_cli(
        "fix",
        "make the test pass",
        "-C",
        str(repo),
        "--backend",
        f"scripted:{script}",
        "--trace",
        str(trace),
    )
    assert proc.returncode == 0, proc.stderr
    assert (repo / "calc.py").read_text() == "def add(a, b):\n    return a + b\n"
    test_run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_calc.py"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert test_run.returncode == 0, test_run.stdout
    log = git(repo, "log", "--format=%s")
    assert log.splitlines()[0] == "Fix add to add"
    assert git(repo, "status", "--porcelain") == ""
    assert "Fixed `add` in calc.py" in proc.stdout
    records = [json.loads(line) for line in trace.read_text().splitlines()]
    assert [r["step"] for r in records] == [1, 2, 3, 4, 5]
    # Each prompt keeps the earlier turns' reasoning after the last user message.
    assert "The test fails; look at calc.py first." in records[4]["request"]
    assert records[0]["raw"] == fixing_script()[0]


def test_fix_json_output(tmp_path: Path, run_cli: RunCli) -> None:
    repo = failing_repo(tmp_path)
    script = write_script(tmp_path / "script.json", fixing_script())
    proc = run_cli(
        "fix",
        "make the test pass",
        "-C",
        str(repo),
        "--backend",
        f"scripted:{script}",
        "--output-format",
        "json",
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["status"] == "done" and report["exit_code"] == 0
    assert report["steps"] == 5
    assert report["final_answer"].startswith("Fixed `add` in calc.py")
    names = [c["name"] for c in report["tool_calls"]]
    assert names == ["read_file", "edit_file", "run_command", "git_commit"]
    assert all(not c["is_error"] for c in report["tool_calls"])
    run = report["tool_calls"][2]
    assert run["arguments"]["timeout_s"] == 120  # typed from the schema, not the string "120"
    assert "1 passed" in run["result"]
    assert report["tool_calls"][3]["arguments"]["paths"] == ["calc.py"]
    assert set(report["usage"]) >= {
        "prompt_tokens",
        "completion_tokens",
        "cached_tokens",
        "per_step",
    }
    assert report["error"] is None


def test_script_running_out_is_a_backend_error(tmp_path: Path, invoke_cli: RunCli) -> None:
    repo = failing_repo(tmp_path)
    script = write_script(tmp_path / "script.json", fixing_script()[:1])
    proc = invoke_cli(
        "fix", "x", "-C", str(repo), "--backend", f"scripted:{script}", "--output-format", "json"
    )
    assert proc.returncode == 3
    report = json.loads(proc.stdout)
    assert report["status"] == "backend_error"
    assert "no step 2" in report["error"]
    assert report["tool_calls"][0]["name"] == "read_file"  # the work done so far is reported


def test_max_steps_gives_exit_1(tmp_path: Path, invoke_cli: RunCli) -> None:
    repo = failing_repo(tmp_path)
    script = write_script(tmp_path / "script.json", fixing_script())
    proc = invoke_cli(
        "fix", "x", "-C", str(repo), "--backend", f"scripted:{script}", "--max-steps", "2"
    )
    assert proc.returncode == 1
    assert "max_steps" in proc.stderr


def test_a_model_that_gives_up_exits_1_with_its_answer(tmp_path: Path, invoke_cli: RunCli) -> None:
    repo = failing_repo(tmp_path)
    answer = "NOT DONE: the test needs a database this machine does not have."
    script = write_script(tmp_path / "script.json", ["r</think>\n\n" + answer])
    proc = invoke_cli("fix", "x", "-C", str(repo), "--backend", f"scripted:{script}")
    assert proc.returncode == 1
    assert proc.stdout.strip() == answer
    assert "the model gave up" in proc.stderr
    json_run = invoke_cli(
        "fix", "x", "-C", str(repo), "--backend", f"scripted:{script}", "--output-format", "json"
    )
    report = json.loads(json_run.stdout)
    assert (report["status"], report["exit_code"], report["final_answer"].strip()) == (
        "gave_up",
        1,
        answer,
    )


def test_the_wall_time_limit_cuts_a_long_command_and_ends_the_run(
    tmp_path: Path, invoke_cli: RunCli
) -> None:
    repo = failing_repo(tmp_path)
    (repo / ".minimax-agent.toml").write_text("max_wall_s = 2\n")
    steps = ["r</think>" + invoke("run_command", command="sleep 100", timeout_s="600"), "unused"]
    script = write_script(tmp_path / "script.json", steps)
    proc = invoke_cli(
        "fix", "x", "-C", str(repo), "--backend", f"scripted:{script}", "--output-format", "json"
    )
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert report["status"] == "wall_time" and report["steps"] == 1
    assert "by the run's wall-time limit" in report["tool_calls"][0]["result"]


def test_malformed_calls_go_back_to_the_model(tmp_path: Path, invoke_cli: RunCli) -> None:
    repo = failing_repo(tmp_path)
    steps = [
        "r</think>" + invoke("no_such_tool", x="1"),
        'r</think><minimax:tool_call>\n<invoke name="read_file">\n<parameter name="path">calc.py',
        "r</think>" + invoke("read_file", path="calc.py", limit="many"),
        "r</think>\n\nI could not do it.",
    ]
    script = write_script(tmp_path / "script.json", steps)
    proc = invoke_cli(
        "fix",
        "x",
        "-C",
        str(repo),
        "--backend",
        f"scripted:{script}",
        "--output-format",
        "json",
        "--max-steps",
        "10",
    )
    report = json.loads(proc.stdout)
    errors = [c["result"] for c in report["tool_calls"]]
    assert "unknown tool 'no_such_tool'" in errors[0]
    assert "ended inside" in errors[1]
    assert "limit" in errors[2] and "integer" in errors[2]
    # Three failed steps in a row hit the default limit of consecutive model errors.
    assert report["status"] == "model_errors" and proc.returncode == 1


# usage errors and bad flags: tests/cli/test_flags.py (in process, through CliRunner)


def test_version_and_module_entry(run_cli: RunCli) -> None:
    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("minimax-agent ")


def test_ctrl_c_stops_cleanly_and_reports_the_history(tmp_path: Path, isolated_home: Path) -> None:
    import os
    import signal
    import time

    from tests.conftest import GIT_ENV

    repo = failing_repo(tmp_path)
    marker = repo / "started"  # inside the workspace: the sandbox lets the command write there
    steps = [
        "r</think>"
        + invoke("run_command", command=f"touch {marker}; sleep 60; touch {marker}.late"),
        "r</think>\n\nnever reached",
    ]
    script = write_script(tmp_path / "script.json", steps)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "minimax_agent",
            "fix",
            "x",
            "-C",
            str(repo),
            "--backend",
            f"scripted:{script}",
            "--output-format",
            "json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **GIT_ENV},
    )
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    report = json.loads(out)
    assert report["status"] == "interrupted"
    assert report["steps"] == 1
    assert not Path(f"{marker}.late").exists()  # the command's process group was killed
