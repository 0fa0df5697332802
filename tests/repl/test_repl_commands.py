"""More of the interactive session in a pty: paste, history, long output, and the session
commands (/compact, /sessions, /resume, /trace, /init, /model, /clear)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from tests.conftest import make_repo, write_script
from tests.repl.conftest import PROMPT, Terminal
from tests.repl.test_repl import CALC, invoke, session_records, user_messages


def test_paste_history_and_long_output(
    tmp_path: Path, start_repl: Any, isolated_home: Path
) -> None:
    repo = make_repo(tmp_path / "repo", {"calc.py": CALC})
    many = f"{sys.executable} -c \"for i in range(60): print(f'line {{i}}')\""
    steps = ["r</think>\n\n" + invoke("run_command", command=many), "r</think>\n\nPrinted."]
    script = write_script(tmp_path / "s.json", steps)
    term: Terminal = start_repl(repo, "--backend", f"scripted:{script}", "--approval", "full-auto")
    # a bracketed paste keeps its newlines instead of sending the first line
    term.send("\x1b[200~first pasted line\nsecond pasted line\x1b[201~")
    time.sleep(0.3)
    term.send("\r")
    term.expect("line 9")
    term.expect("lines hidden (/output shows the full text)")
    term.expect("line 59")
    term.expect("Printed.")
    assert "line 30" not in term.text  # the middle is folded away on screen
    term.type_line("/output")
    term.expect("line 30")
    term.expect(PROMPT)
    term.send("\x04")
    assert term.wait_exit() == 0
    first = user_messages(session_records(isolated_home))[0]
    assert first == "first pasted line\nsecond pasted line"
    history = (isolated_home / ".state" / "minimax-agent" / "history").read_text()
    assert "+first pasted line\n+second pasted line" in history and "+/output" in history

    # history is per user: a new session in another repo recalls it with the Up arrow
    other = make_repo(tmp_path / "other", {"a.txt": "a\n"})
    again: Terminal = start_repl(other, "--backend", f"scripted:{script}")
    time.sleep(0.5)  # the history file loads in the background
    again.send("\x1b[A")
    again.expect("/output")
    again.send("\x15\x04")  # clear the line, then exit
    assert again.wait_exit() == 0


def test_session_commands(tmp_path: Path, start_repl: Any, isolated_home: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"calc.py": CALC, "pyproject.toml": "[project]\n"})
    steps = [
        "r</think>\n\n" + invoke("read_file", path="calc.py"),
        "r</think>\n\n" + invoke("read_file", path="pyproject.toml"),
        "r</think>\n\nRead both.",
        # the scripted model cannot tell a compaction request: this step answers /compact
        "Summarise.\n</think>\n\nSUMMARY: read calc.py and pyproject.toml.",
        "r</think>\n\nAfter the clear.",
    ]
    script = write_script(tmp_path / "s.json", steps)
    term: Terminal = start_repl(repo, "--backend", f"scripted:{script}")
    term.type_line("/help")  # optional arguments are shown, not eaten as markup
    term.expect("[focus]")  # the table may wrap it onto its own line
    term.expect("[list|N|checkpoint]")
    term.type_line("/trace on")
    term.expect("trace is on, writing")
    term.type_line("read the files")
    term.expect("Read both.")
    term.type_line("/compact the files read")
    term.expect("context compacted (manual)")
    term.type_line("/cost")
    term.expect("compacted 1×")
    term.type_line("/model")
    term.expect("backend scripted")
    term.type_line("/init")
    term.expect("wrote")
    assert "pyproject.toml" in (repo / "AGENTS.md").read_text()
    term.type_line("/sessions")
    term.expect("* ")
    term.expect("read the files")
    term.type_line("/clear")
    term.expect("conversation cleared")
    term.type_line("again")
    term.expect("After the clear.")
    term.type_line("/trace off")
    term.expect("trace is off")
    term.send("\x04")
    assert term.wait_exit() == 0

    records = session_records(isolated_home)
    resets = [r for r in records if r["t"] == "reset"]
    assert [r["why"] for r in resets] == ["compact:manual", "clear"]
    assert "SUMMARY: read calc.py" in resets[0]["m"][2]["content"]
    # after /clear the system prompt is rebuilt, and picks up the new AGENTS.md
    assert "# Project instructions (AGENTS.md)" in resets[1]["m"][0]["content"]
    traces = list((isolated_home / ".state" / "minimax-agent" / "traces").glob("*.jsonl"))
    steps_traced = [json.loads(line)["step"] for line in traces[0].read_text().splitlines()]
    assert steps_traced == [1, 2, 3, 1]

    session_id = records[0]["id"]
    script2 = write_script(tmp_path / "s2.json", ["r</think>\n\nBack again."])
    other: Terminal = start_repl(repo, "--backend", f"scripted:{script2}")
    other.type_line(f"/resume {session_id}")
    other.expect(f"resumed session {session_id}")
    other.expect("After the clear.")
    other.type_line("one more")
    other.expect("Back again.")
    other.send("\x04")
    assert other.wait_exit() == 0
    assert user_messages(session_records(isolated_home))[-1] == "one more"


def test_approval_answers_no_always_tool_and_always_prefix(tmp_path: Path, start_repl: Any) -> None:
    repo = make_repo(tmp_path / "repo", {"calc.py": CALC})

    def edit(old: str, new: str) -> str:
        return "r</think>\n\n" + invoke("edit_file", path="calc.py", old_string=old, new_string=new)

    steps = [
        "r</think>\n\n" + invoke("run_command", command="echo declined-run"),
        "r</think>\n\n" + invoke("run_command", command="git status --short"),
        "r</think>\n\n" + invoke("run_command", command="git status --porcelain"),
        edit("a - b", "a + b"),
        edit("a + b", "b + a"),
        "r</think>\n\nAll done.",
    ]
    script = write_script(tmp_path / "s.json", steps)
    term: Terminal = start_repl(repo, "--backend", f"scripted:{script}", "--approval", "ask")
    term.type_line("go")
    term.expect("$ echo declined-run")
    term.expect("(Esc: no)")
    term.send("n")
    term.expect("declined")
    term.expect("the user declined this tool call")
    term.expect("always `git status …`")
    term.send("p")
    term.expect("`git status …` runs without asking now")
    term.expect("$ git status --porcelain")
    term.expect("always edit_file")
    term.send("a")
    term.expect("edit_file runs without asking now")
    term.expect("All done.")
    term.expect(PROMPT)
    # two questions were answered by "always": the later calls ran without asking
    assert term.text.count("needs your approval") == 3
    assert (repo / "calc.py").read_text() == "def add(a, b):\n    return b + a\n"
    term.send("\x04")
    assert term.wait_exit() == 0
