"""Type-ahead: what the user types while the agent works is kept, not lost.

The parsing runs on the bytes a terminal in cbreak mode delivers (one read per key when typing,
one read for a whole paste); the REPL behaviour runs in a real pseudo-terminal.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from minimax_agent.ui.keys import TypeAhead
from tests.conftest import make_repo, write_script
from tests.repl.conftest import PROMPT, Terminal
from tests.repl.test_repl import CALC, invoke, session_records, user_messages


def typed(*reads: bytes) -> TypeAhead:
    buffer = TypeAhead()
    for data in reads:
        buffer.feed(data)
    return buffer


def test_keys_make_text_and_enter_queues_it() -> None:
    buffer = typed(b"h", b"i", b"x", b"\x7f", b"!", b"\r", b"n", b"e", b"x", b"t")
    assert buffer.queued == ["hi!"] and buffer.partial == "next"
    assert buffer.message() == "hi!" and buffer.everything() == "hi!\nnext"


def test_a_paste_keeps_its_newlines_and_enter_alone_does_nothing() -> None:
    buffer = typed(b"\r", b"line one\r\nline two", b"\r")
    assert buffer.queued == ["line one\nline two"] and buffer.partial == ""


def test_escape_sequences_control_keys_and_split_utf8() -> None:
    buffer = typed(b"\x1b[A", b"\x1b", b"a\x01b", "é".encode()[:1], "é".encode()[1:], b"\x15z")
    assert buffer.partial == "z" and buffer.queued == []
    assert typed(b"a\x01b", "é".encode()[:1], "é".encode()[1:]).partial == "abé"


def test_a_line_typed_during_a_run_is_sent_when_it_ends(
    tmp_path: Path, start_repl: Any, isolated_home: Path
) -> None:
    repo = make_repo(tmp_path / "repo", {"calc.py": CALC})
    steps = [
        "w</think>\n\n" + invoke("run_command", command="sleep 2"),
        "d</think>\n\nFirst done.",
        "r</think>\n\nSecond answer.",
    ]
    script = write_script(tmp_path / "s.json", steps)
    term: Terminal = start_repl(repo, "--backend", f"scripted:{script}", "--approval", "full-auto")
    term.type_line("first request")
    term.expect("$ sleep 2")
    term.type_line("second request")
    term.expect("First done.")
    term.expect(f"{PROMPT}second request")
    term.expect("Second answer.")
    term.expect(PROMPT)
    term.send("\x04")
    assert term.wait_exit() == 0
    assert user_messages(session_records(isolated_home)) == ["first request", "second request"]


def test_after_an_interrupt_typed_text_waits_in_the_prompt(
    tmp_path: Path, start_repl: Any, isolated_home: Path
) -> None:
    repo = make_repo(tmp_path / "repo", {"calc.py": CALC})
    steps = ["w</think>\n\n" + invoke("run_command", command="sleep 34")]
    script = write_script(tmp_path / "s.json", steps)
    term: Terminal = start_repl(repo, "--backend", f"scripted:{script}", "--approval", "full-auto")
    term.type_line("wait")
    term.expect("$ sleep 34")
    term.type_line("not sent")
    term.send("kept")
    time.sleep(0.3)
    term.send("\x1b")
    term.expect("interrupted; back to the prompt")
    term.expect("not sent")
    term.expect("kept")
    term.send("\x03")  # clears the text; nothing was sent
    time.sleep(0.3)
    term.send("\x04")
    assert term.wait_exit() == 0
    assert user_messages(session_records(isolated_home)) == ["wait"]
