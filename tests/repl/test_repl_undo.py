"""`/undo` in the real REPL (pty) when the user changed a file after the step: it lists the
conflict and asks; "no" (the default) leaves everything, "yes" undoes after keeping a backup
that `/undo ID` brings back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import git, make_repo, write_script
from tests.repl.conftest import PROMPT, Terminal

CALC = "def add(a, b):\n    return a - b\n"
EDIT = (
    '<minimax:tool_call>\n<invoke name="edit_file">\n<parameter name="path">calc.py</parameter>\n'
    '<parameter name="old_string">return a - b</parameter>\n'
    '<parameter name="new_string">return a + b</parameter>\n</invoke>\n</minimax:tool_call>'
)


def test_undo_over_the_users_later_edit_asks_first(tmp_path: Path, start_repl: Any) -> None:
    repo = make_repo(tmp_path / "repo", {"calc.py": CALC, "README.md": "hello\n"})
    script = write_script(tmp_path / "s.json", ["r</think>\n\n" + EDIT, "r</think>\n\nFixed."])
    term: Terminal = start_repl(
        repo, "--backend", f"scripted:{script}", "--approval", "full-auto", "--sandbox", "off"
    )
    term.type_line("fix add")
    term.expect("Fixed.")
    term.expect(PROMPT)
    users = "def add(a, b):\n    return a + b  # checked by the user\n"
    (repo / "calc.py").write_text(users)

    term.type_line("/undo")
    term.expect("calc.py: changed since the step")
    term.expect("[y/N]")
    term.type_line("")  # Enter: the default, no
    term.expect("not undone")
    term.expect(PROMPT)
    assert (repo / "calc.py").read_text() == users

    term.type_line("/undo")
    term.expect("[y/N]")
    term.type_line("y")
    term.expect("undone to")
    backup = term.expect("puts them back")
    term.expect(PROMPT)
    assert (repo / "calc.py").read_text() == CALC
    short = backup.split("backup ")[1].split(":")[0].strip()
    assert short in git(repo, "for-each-ref", "refs/minimax-agent/backups/")

    term.type_line(f"/undo {short}")
    term.expect("undone to")
    term.expect(PROMPT)
    assert (repo / "calc.py").read_text() == users
    term.send("\x04")
    assert term.wait_exit() == 0
