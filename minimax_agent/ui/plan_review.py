"""Plan mode in the REPL: `/plan`, and what the user does with the plan that comes back.

`/plan TASK` turns plan mode on and sends TASK (the REPL's loop runs it: `planned_task`);
`/plan` alone turns it on for the next message; `/plan off` leaves it. When a planned answer
ends, `review_plan` asks:

- accept: then the mode to carry it out in (ask, auto-edit or full-auto; the one the session
  had is the default), and the model is told to go ahead at once;
- edit: the plan is put in the prompt for the user to change; what they send is the
  instruction, and the model is told it is their version of the plan;
- reject: back to the previous mode, and the model is told the plan was rejected.

No answer (Ctrl-C, Ctrl-D) keeps plan mode: a further message refines the plan. What plan
mode means to the conversation is session/plan.py's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from minimax_agent.events import RunStatus
from minimax_agent.session.plan import (
    CONTINUE_MODES,
    EDITED_NOTE,
    REJECTED_NOTE,
    accepted_message,
)
from tools.modes import ApprovalMode

if TYPE_CHECKING:
    from minimax_agent.events import RunResult
    from minimax_agent.ui.repl_protocol import Repl

# (what to send now, text for the next prompt), as the REPL's `_run_task` returns
Next = tuple[str, str]
REVIEW_QUESTION = "plan ready: [a]ccept and carry it out · [e]dit it · [r]eject it: "
NOT_DECIDED = "still in plan mode: send more to refine the plan, or /plan off to leave it"


def _ask(question: str) -> str | None:
    """One line from the user; None when they gave no answer (Ctrl-C, Ctrl-D)."""
    from prompt_toolkit import prompt

    try:
        return prompt(question).strip().lower()
    except (EOFError, KeyboardInterrupt):
        return None


def plan_switch(repl: Repl, arg: str) -> None:
    """`/plan` (on for the next message) and `/plan off`."""
    plan = repl.conv.plan
    if arg == "off":
        if not plan.active:
            repl.say("not in plan mode")
            return
        mode = plan.leave(repl.conv)
        repl.refresh_prompt()
        repl.say(f"plan mode off: back to {mode} mode")
        return
    if arg:  # `/plan TASK` reaches the loop's planned_task first; here only by mistake
        repl.say("/plan TASK plans TASK; /plan alone plans the next message; /plan off")
        return
    _enter(repl)
    repl.say("plan mode: the next message is planned read-only, nothing changes (/plan off)")


def _enter(repl: Repl) -> None:
    repl.conv.plan.enter(repl.conv)
    repl.refresh_prompt()


def planned_task(repl: Repl, line: str) -> str | None:
    """For `/plan TASK`: plan mode on, and TASK to send; None for any other line."""
    name, _, arg = line[1:].strip().partition(" ")
    task = arg.strip()
    if name != "plan" or not task or task == "off":
        return None
    _enter(repl)
    repl.say("plan mode: read-only until you accept the plan", "cyan")
    return task


def review_plan(repl: Repl, result: RunResult, run: Callable[[str], Next], pending: str) -> Next:
    """The planned answer ended: ask what to do with it. `run` sends a message (the REPL's
    `_run_task`); `pending` is what the user typed while the model worked."""
    plan = result.final_text.strip()
    if result.status not in (RunStatus.DONE, RunStatus.GAVE_UP) or not plan:
        repl.say(NOT_DECIDED, "cyan")
        return "", pending
    while True:
        answer = _ask(REVIEW_QUESTION)
        if answer is None:
            repl.say(NOT_DECIDED, "cyan")
            return "", pending
        if answer in ("a", "accept"):
            return _accept(repl, run, pending)
        if answer in ("e", "edit"):
            return _edit(repl, plan)
        if answer in ("r", "reject"):
            return _reject(repl, pending)
        repl.say("a, e or r")


def _choose_mode(default: ApprovalMode) -> ApprovalMode | None:
    offers = "  ".join(f"[{n}] {m}" for n, m in enumerate(CONTINUE_MODES, 1))
    while True:
        answer = _ask(f"carry it out in which mode? {offers} (Enter: {default}): ")
        if answer is None:
            return None
        if not answer:
            return default
        if answer.isdigit() and 1 <= int(answer) <= len(CONTINUE_MODES):
            return CONTINUE_MODES[int(answer) - 1]
        for mode in CONTINUE_MODES:
            if answer == mode.value:
                return mode


def _accept(repl: Repl, run: Callable[[str], Next], pending: str) -> Next:
    from minimax_agent.errors import USER_ERRORS

    conv = repl.conv
    chosen = _choose_mode(conv.plan.default_continue_mode())
    if chosen is None:
        repl.say(NOT_DECIDED, "cyan")
        return "", pending
    try:
        mode = conv.plan.leave(conv, chosen)  # full-auto may need the OS sandbox
    except USER_ERRORS as exc:
        repl.say(f"cannot switch to {chosen}: {exc}", "red")
        repl.say(NOT_DECIDED, "cyan")
        return "", pending
    repl.hooks.sandboxed = conv.sandboxed
    repl.refresh_prompt()
    repl.say(f"✓ plan accepted: carrying it out in {mode} mode", "green")
    return run(accepted_message(mode))


def _edit(repl: Repl, plan: str) -> Next:
    conv = repl.conv
    mode = conv.plan.leave(conv)
    conv.add_note(EDITED_NOTE)
    repl.refresh_prompt()
    repl.say(f"edit the plan below; Enter sends it as the instruction ({mode} mode)", "cyan")
    return "", plan


def _reject(repl: Repl, pending: str) -> Next:
    conv = repl.conv
    mode = conv.plan.leave(conv)
    conv.add_note(REJECTED_NOTE)
    repl.refresh_prompt()
    repl.say(f"plan rejected; back to {mode} mode (the model will be told)", "yellow")
    return "", pending


def show_todos(repl: Repl) -> None:
    """`/todo`: the conversation's current list, or a line saying there is none."""
    from minimax_agent.ui.todo_view import checklist
    from tools.todo import summary_line

    items = repl.conv.todos.items
    if not items:
        repl.say("no task list yet (the model keeps one with todo_write on longer tasks)")
        return
    repl.say(f"task list: {summary_line(items)}", "bold")
    repl.console.print(checklist(items))
