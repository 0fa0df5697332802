"""The interactive session in a real pseudo-terminal: typing, streaming, approvals, undo, keys."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

from tests.conftest import git, make_repo, write_script
from tests.repl.conftest import PROMPT, Terminal

CALC = "def add(a, b):\n    return a - b\n"


def invoke(name: str, **params: object) -> str:
    body = "".join(f'<parameter name="{k}">{v}</parameter>\n' for k, v in params.items())
    return f'<minimax:tool_call>\n<invoke name="{name}">\n{body}</invoke>\n</minimax:tool_call>'


def session_records(home: Path) -> list[dict[str, Any]]:
    files = sorted((home / ".state" / "minimax-agent" / "sessions").glob("*.jsonl"))
    assert len(files) == 1, files
    return [json.loads(line) for line in files[0].read_text().splitlines()]


def user_messages(records: list[dict[str, Any]]) -> list[str]:
    return [r["m"]["content"] for r in records if r["t"] == "msg" and r["m"]["role"] == "user"]


def running(marker: str) -> bool:
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return any(line.strip() == marker for line in out.splitlines())


def test_a_task_streams_its_answer_and_ctrl_d_exits(tmp_path: Path, start_repl: Any) -> None:
    repo = make_repo(tmp_path / "repo", {"calc.py": CALC})
    answer = "Easy.\n</think>\n\nThe function **add** lives in `calc.py`.\n\n- it subtracts\n"
    script = write_script(tmp_path / "s.json", [answer])
    term: Terminal = start_repl(repo, "--backend", f"scripted:{script}")
    term.type_line("where is add?")
    term.expect("Easy.")  # reasoning, shown dim by default
    term.expect("The function add lives in calc.py.")
    term.expect("it subtracts")
    term.expect(PROMPT)
    term.send("\x04")
    assert term.wait_exit() == 0
    assert "saved; `minimax-agent --continue` resumes it" in term.text


def test_approving_an_edit_shows_its_diff_and_undo_restores_the_file(
    tmp_path: Path, start_repl: Any, isolated_home: Path
) -> None:
    repo = make_repo(tmp_path / "repo", {"calc.py": CALC})
    edit = invoke("edit_file", path="calc.py", old_string="return a - b", new_string="return a + b")
    script = write_script(
        tmp_path / "s.json", ["Fix.\n</think>\n\n" + edit, "ok</think>\n\nFixed it."]
    )
    term: Terminal = start_repl(repo, "--backend", f"scripted:{script}", "--approval", "ask")
    term.type_line("fix add")
    term.expect("edit_file needs your approval")
    # the real diff of the file, before the answer: its line numbers and context
    term.expect("@@ -1,2 +1,2 @@")
    term.expect(" def add(a, b):")
    term.expect("-    return a - b")
    term.expect("+    return a + b")
    term.expect("always edit_file")
    assert (repo / "calc.py").read_text() == CALC  # nothing runs before the answer
    term.send("y")
    term.expect("approved")
    term.expect("edited calc.py")
    term.expect("Fixed it.")
    assert term.text.count("+    return a + b") == 1  # not shown again after the approval
    term.expect(PROMPT)
    assert (repo / "calc.py").read_text() == "def add(a, b):\n    return a + b\n"
    term.type_line("/undo")
    term.expect("restored calc.py")
    term.expect(PROMPT)
    assert (repo / "calc.py").read_text() == CALC
    term.type_line("/undo")
    term.expect("nothing to undo")
    term.send("\x04")
    assert term.wait_exit() == 0
    records = session_records(isolated_home)
    notes = [r["text"] for r in records if r["t"] == "note"]
    assert any("undid the changes" in n and "calc.py" in n for n in notes)
    assert any(r["t"] == "event" and r["kind"] == "undo" for r in records)


def test_ctrl_c_interrupts_a_long_command_and_returns_to_the_prompt(
    tmp_path: Path, start_repl: Any, isolated_home: Path
) -> None:
    repo = make_repo(tmp_path / "repo", {"calc.py": CALC})
    steps = [
        "Wait.\n</think>\n\n" + invoke("run_command", command="sleep 31"),
        "r</think>\n\nStopped, as asked.",
    ]
    script = write_script(tmp_path / "s.json", steps)
    term: Terminal = start_repl(repo, "--backend", f"scripted:{script}", "--approval", "full-auto")
    term.type_line("wait a while")
    term.expect("$ sleep 31")
    time.sleep(0.5)
    assert running("sleep 31")
    started = time.monotonic()
    term.send("\x03")
    term.expect("interrupted; back to the prompt")
    term.expect(PROMPT)
    assert time.monotonic() - started < 10
    assert not running("sleep 31")  # the command's process group was killed
    term.type_line("carry on")
    term.expect("Stopped, as asked.")
    term.expect(PROMPT)
    term.send("\x04")
    assert term.wait_exit() == 0
    records = session_records(isolated_home)
    tool_results = [
        r["m"]["content"] for r in records if r["t"] == "msg" and r["m"]["role"] == "tool"
    ]
    assert "interrupted" in tool_results[0]
    # the model hears about the interruption with the next request
    second = user_messages(records)[1]
    assert "interrupted" in second and second.endswith("carry on")


def test_esc_interrupts_too(tmp_path: Path, start_repl: Any) -> None:
    repo = make_repo(tmp_path / "repo", {"calc.py": CALC})
    steps = ["r</think>\n\n" + invoke("run_command", command="sleep 32")]
    script = write_script(tmp_path / "s.json", steps)
    term: Terminal = start_repl(repo, "--backend", f"scripted:{script}", "--approval", "full-auto")
    term.type_line("wait")
    term.expect("$ sleep 32")
    time.sleep(0.5)
    term.send("\x1b")
    term.expect("interrupted; back to the prompt")
    term.expect(PROMPT)
    assert not running("sleep 32")
    term.send("\x03")
    term.expect("Ctrl-C again or Ctrl-D to exit")
    term.send("\x03")
    assert term.wait_exit() == 0


def test_ctrl_c_clears_typed_text_before_it_exits(tmp_path: Path, start_repl: Any) -> None:
    repo = make_repo(tmp_path / "repo", {"calc.py": CALC})
    script = write_script(tmp_path / "s.json", [])
    term: Terminal = start_repl(repo, "--backend", f"scripted:{script}")
    term.send("half a thought")
    time.sleep(0.2)
    term.send("\x03")  # clears the line, does not count towards exiting
    time.sleep(0.2)
    term.send("\x03")
    term.expect("Ctrl-C again or Ctrl-D to exit")
    assert term.child.isalive()
    term.send("\x03")
    assert term.wait_exit() == 0


def test_multiline_input_and_file_mentions(
    tmp_path: Path, start_repl: Any, isolated_home: Path
) -> None:
    repo = make_repo(tmp_path / "repo", {"calc.py": CALC, "docs/notes.md": "# notes\n"})
    script = write_script(tmp_path / "s.json", ["r</think>\n\nSeen both lines."])
    term: Terminal = start_repl(repo, "--backend", f"scripted:{script}")
    term.send("look at @calc")
    term.send("\t")  # completes the mention
    time.sleep(0.3)
    term.send(" please")
    term.send("\x1b\r")  # Esc Enter (what Alt-Enter sends): a new line, not a submit
    term.send("and the second line")
    time.sleep(0.2)
    term.send("\r")
    term.expect("attached calc.py (3 lines)")
    term.expect("Seen both lines.")
    term.expect(PROMPT)
    term.send("\x04")
    assert term.wait_exit() == 0
    first = user_messages(session_records(isolated_home))[0]
    assert first.startswith("look at @calc.py please\nand the second line")
    assert '<file path="calc.py">' in first and "return a - b" in first


def test_slash_commands(tmp_path: Path, start_repl: Any) -> None:
    repo = make_repo(tmp_path / "repo", {"calc.py": CALC})
    steps = [
        "Hidden reasoning here.\n</think>\n\n"
        + invoke("write_file", path="new.py", content="x = 1"),
        "r</think>\n\nWrote it.",
    ]
    script = write_script(tmp_path / "s.json", steps)
    term: Terminal = start_repl(repo, "--backend", f"scripted:{script}")
    term.send("/hel")
    term.send("\t")
    time.sleep(0.3)
    term.send("\r")
    term.expect("interrupt the running step")  # a line of the keys table
    term.type_line("/approval auto-edit")
    term.expect("approval mode: auto-edit")
    term.expect("auto-edit " + PROMPT)
    term.type_line("/think off")
    term.expect("reasoning is collapsed")
    term.type_line("write it")
    term.expect("thought (")
    term.expect("Wrote it.")
    assert "Hidden reasoning here." not in term.text
    term.type_line("/diff")
    term.expect("+++ b/new.py")
    term.expect("+x = 1")
    term.type_line("/cost")
    term.expect("reported no token counts")
    term.expect("estimated at 4 characters a token")
    term.type_line("/output")
    term.expect("created new.py")
    term.type_line("/undo list")
    term.expect("before step 1: write_file new.py")
    term.type_line("/nonsense")
    term.expect("unknown command /nonsense")
    term.type_line("/exit")
    assert term.wait_exit() == 0


def test_resume_after_kill_9_keeps_the_completed_steps(
    tmp_path: Path, start_repl: Any, isolated_home: Path
) -> None:
    from minimax_agent.session.store import latest_session, load_session

    repo = make_repo(tmp_path / "repo", {"calc.py": CALC})
    first = write_script(
        tmp_path / "one.json",
        [
            "r</think>\n\n" + invoke("run_command", command="echo first-step-output"),
            "r</think>\n\n" + invoke("run_command", command="sleep 9"),
        ],
    )
    term: Terminal = start_repl(repo, "--backend", f"scripted:{first}", "--approval", "full-auto")
    term.type_line("do two things")
    term.expect("first-step-output")
    term.expect("$ sleep 9")
    term.child.kill(9)
    term.child.wait()
    second = write_script(tmp_path / "two.json", ["r</think>\n\nPicked up where we were."])
    again: Terminal = start_repl(repo, "--continue", "--backend", f"scripted:{second}")
    assert "resumed session" in again.text and "do two things" in again.text
    again.type_line("what happened?")
    again.expect("Picked up where we were.")
    again.expect(PROMPT)
    again.send("\x04")
    assert again.wait_exit() == 0

    messages = load_session(latest_session(repo.resolve())).messages
    roles = [m.role for m in messages]
    assert roles[:4] == ["system", "user", "assistant", "tool"]
    assert "first-step-output" in messages[3].content
    # every call has its result: the one in flight was closed as interrupted
    calls = [c.id for m in messages if m.role == "assistant" for c in m.tool_calls]
    results = [m.tool_call_id for m in messages if m.role == "tool"]
    assert calls == results
    assert messages[-2].role == "user" and messages[-2].content == "what happened?"
    assert messages[-1].content.strip() == "Picked up where we were."


def test_checkpoints_cover_shell_writes_and_leave_stash_and_index_alone(
    tmp_path: Path, start_repl: Any
) -> None:
    repo = make_repo(tmp_path / "repo", {"calc.py": CALC, "README.md": "hello\n"})
    (repo / "README.md").write_text("stashed change\n")
    git(repo, "stash", "-q")
    (repo / "README.md").write_text("staged change\n")
    git(repo, "add", "README.md")
    before = {
        "stash": git(repo, "stash", "list"),
        "index": git(repo, "ls-files", "-s"),
        "cached": git(repo, "diff", "--cached"),
        "head": git(repo, "rev-parse", "HEAD"),
        "branch": git(repo, "branch", "--show-current"),
    }
    command = "echo x > new.txt && sed -i 's/a - b/a + b/' calc.py"
    steps = [
        "r</think>\n\n" + invoke("run_command", command=command),
        "r</think>\n\nDone via shell.",
    ]
    script = write_script(tmp_path / "s.json", steps)
    term: Terminal = start_repl(repo, "--backend", f"scripted:{script}", "--approval", "full-auto")
    term.type_line("change things with the shell")
    term.expect("Done via shell.")
    term.expect(PROMPT)
    assert (repo / "new.txt").read_text() == "x\n"
    assert "a + b" in (repo / "calc.py").read_text()
    term.type_line("/undo")
    term.expect("undone to")
    term.expect(PROMPT)
    assert "restored calc.py" in term.text and "deleted new.txt" in term.text
    assert not (repo / "new.txt").exists()
    assert (repo / "calc.py").read_text() == CALC
    assert (repo / "README.md").read_text() == "staged change\n"
    after = {
        "stash": git(repo, "stash", "list"),
        "index": git(repo, "ls-files", "-s"),
        "cached": git(repo, "diff", "--cached"),
        "head": git(repo, "rev-parse", "HEAD"),
        "branch": git(repo, "branch", "--show-current"),
    }
    assert after == before
    term.send("\x04")
    assert term.wait_exit() == 0


def test_no_terminal_is_a_usage_error(tmp_path: Path, run_cli: Any) -> None:
    proc = run_cli("-C", str(tmp_path))
    assert proc.returncode == 2
    assert "needs a terminal" in proc.stderr


def test_a_backend_that_fails_to_load_ends_the_session_with_exit_2(
    tmp_path: Path, start_repl: Any
) -> None:
    repo = make_repo(tmp_path / "repo", {"calc.py": CALC})
    term: Terminal = start_repl(repo, "--backend", f"scripted:{tmp_path / 'missing.json'}")
    term.expect("minimax-agent: error: script file not found")
    assert term.wait_exit() == 2
