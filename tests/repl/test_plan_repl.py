"""Plan mode and the task list in the real REPL, on a pty with the scripted backend: `/plan`,
the accept / edit / reject question, the mode chosen to carry the plan out, `/todo`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from minimax_agent.session.plan import EDITED_NOTE, PLAN_NOTE, REJECTED_NOTE, accepted_message
from tests.conftest import make_repo, write_script
from tests.repl.conftest import PROMPT, Terminal
from tests.repl.test_repl import CALC, invoke, session_records, user_messages
from tools.modes import ApprovalMode

EDIT = invoke("edit_file", path="calc.py", old_string="return a - b", new_string="return a + b")
TODOS = [
    {"content": "Read calc.py", "status": "completed"},
    {"content": "Fix the operator in add", "status": "in_progress"},
    {"content": "Run the tests", "status": "pending"},
]


def test_plan_accept_carries_it_out_in_the_chosen_mode(
    tmp_path: Path, start_repl: Any, isolated_home: Path
) -> None:
    repo = make_repo(tmp_path / "repo", {"calc.py": CALC})
    steps = [
        "Look.\n</think>\n\n" + invoke("read_file", path="calc.py"),
        "Write it down.\n</think>\n\n" + invoke("todo_write", items=json.dumps(TODOS)),
        "Try early.\n</think>\n\n" + EDIT,  # refused: plan mode is read-only
        "Plan.\n</think>\n\nPLAN: change `a - b` to `a + b` in calc.py.",
        "Carry out.\n</think>\n\n" + EDIT,  # auto-edit: runs without a question
        "Done.\n</think>\n\nFixed add.",
    ]
    script = write_script(tmp_path / "s.json", steps)
    term: Terminal = start_repl(repo, "--backend", f"scripted:{script}", "--approval", "ask")
    term.type_line("/plan fix add")
    term.expect("plan mode: read-only until you accept the plan")
    # the task list is drawn as a checklist when it changes
    term.expect("3 tasks: 1 completed, 1 in progress, 1 pending; now: Fix the operator in add")
    term.expect("◼ Fix the operator in add")
    term.expect("the session is read-only")  # the early edit, refused
    term.expect("PLAN: change")
    term.expect("plan ready: [a]ccept")
    assert (repo / "calc.py").read_text() == CALC
    term.type_line("a")
    term.expect("carry it out in which mode? [1] ask  [2] auto-edit  [3] full-auto (Enter: ask)")
    term.type_line("2")
    term.expect("plan accepted: carrying it out in auto-edit mode")
    term.expect("Fixed add.")
    term.expect(f"auto-edit {PROMPT}")  # the prompt shows the mode chosen
    term.type_line("/todo")
    term.expect("task list: 3 tasks")
    term.expect("✔ Read calc.py")
    term.expect("◻ Run the tests")
    term.type_line("/approval")
    term.expect("approval mode: auto-edit")
    term.send("\x04")
    assert term.wait_exit() == 0
    assert (repo / "calc.py").read_text() == CALC.replace("a - b", "a + b")
    asked = user_messages(session_records(isolated_home))
    assert asked == [f"{PLAN_NOTE}\n\nfix add", accepted_message(ApprovalMode.AUTO_EDIT)]


def test_plan_reject_and_edit(tmp_path: Path, start_repl: Any, isolated_home: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"calc.py": CALC})
    steps = [
        "Plan.\n</think>\n\nPLAN A: rewrite everything.",
        "Fine.\n</think>\n\nUnderstood, no rewrite.",
        "Plan.\n</think>\n\nPLAN B: fix the operator.",
        "Go.\n</think>\n\nDone as you edited it.",
    ]
    script = write_script(tmp_path / "s.json", steps)
    term: Terminal = start_repl(repo, "--backend", f"scripted:{script}", "--approval", "auto-edit")
    term.type_line("/plan")  # on for the next message
    term.expect("plan mode: the next message is planned")
    term.expect(f"plan {PROMPT}")
    term.type_line("rewrite calc")
    term.expect("PLAN A")
    term.expect("plan ready")
    term.type_line("r")
    term.expect("plan rejected; back to auto-edit mode")
    term.expect(f"auto-edit {PROMPT}")
    term.type_line("just explain it")
    term.expect("Understood, no rewrite.")
    term.type_line("/plan fix it")
    term.expect("PLAN B")
    term.expect("plan ready")
    term.type_line("e")
    term.expect("Enter sends it as the instruction")
    term.expect("PLAN B: fix the operator.")  # put in the prompt to change
    term.send(" Keep the tests.")
    term.send("\r")
    term.expect("Done as you edited it.")
    term.expect(PROMPT)
    term.send("\x04")
    assert term.wait_exit() == 0
    asked = user_messages(session_records(isolated_home))
    assert asked == [
        f"{PLAN_NOTE}\n\nrewrite calc",
        f"{REJECTED_NOTE}\n\njust explain it",
        f"{PLAN_NOTE}\n\nfix it",
        f"{EDITED_NOTE}\n\nPLAN B: fix the operator. Keep the tests.",
    ]
