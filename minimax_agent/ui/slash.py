"""Slash commands of the interactive session.

`COMMANDS` and `ARGUMENTS` are plain data, read by the completer before anything heavy is
loaded; the handlers import what they need when they run. A handler gets the session as a
`Repl` protocol (ui/repl_protocol.py: what ui/repl.py's class offers), so this module never
imports the REPL, and
changes the conversation only through its public methods.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from minimax_agent.ui.repl_protocol import Repl

if TYPE_CHECKING:
    from minimax_agent.session.undo import Restored

COMMANDS = {
    "help": "Show commands and keys.",
    "clear": "Start the conversation afresh (files are not touched).",
    "compact": "Summarise older steps to free context. /compact [focus]",
    "undo": "Restore files to before the last step. /undo [list|N|checkpoint]",
    "diff": "Show the workspace's changes against HEAD, new files included.",
    "model": "Show the backend and model, or switch model. /model [name]",
    "approval": "Show or set the approval mode. /approval [read-only|ask|auto-edit|full-auto]",
    "think": "Show or hide the model's reasoning. /think on|off",
    "sessions": "List this repository's sessions.",
    "resume": "Continue another session. /resume ID",
    "cost": "Tokens in and out, cache hits, cost, and context use.",
    "trace": "Record model exchanges to a JSONL file. /trace [on [FILE]|off]",
    "output": "Show a tool's full output. /output [N] (1 = the last)",
    "init": "Write a starter AGENTS.md for this repository.",
    "trust": "Trust this project's .minimax-agent.toml in full (from the next start).",
    "mcp": "MCP servers: state and tools. /mcp [server]",
    "skills": "The skills the model can load (SKILL.md files).",
    "jobs": "Background commands: id, pid, state, runtime, command.",
    "plan": "Plan first, read-only; then accept, edit or reject the plan. /plan [task|off]",
    "todo": "Show the model's task list (todo_write).",
    "exit": "Leave (Ctrl-D works too).",
}
# names a custom command (.minimax-agent/commands/NAME.md) cannot take: a built-in wins
BUILTIN = frozenset({*COMMANDS, "quit"})
ARGUMENTS = {
    "approval": ("read-only", "ask", "auto-edit", "full-auto"),
    "think": ("on", "off"),
    "undo": ("list",),
    "trace": ("on", "off"),
    "plan": ("off",),
}
KEYS = [
    ("Enter", "send"),
    ("Alt-Enter / Esc Enter", "new line (pasting keeps newlines too)"),
    ("Esc / Ctrl-C", "interrupt the running step"),
    ("Ctrl-C twice / Ctrl-D", "exit"),
    ("@path", "attach a file (Tab completes)"),
]


def dispatch(repl: Repl, line: str) -> bool:
    """Run one slash command; False when the session should end."""
    from minimax_agent.errors import USER_ERRORS

    name, _, arg = line[1:].strip().partition(" ")
    if name in ("exit", "quit"):
        return False
    handler = HANDLERS.get(name)
    if handler is None:
        repl.say(f"unknown command /{name}; /help lists them", "red")
        return True
    try:
        handler(repl, arg.strip())
    except USER_ERRORS as exc:
        repl.say(f"/{name}: {exc}", "red")
    return True


def _help(repl: Repl, arg: str) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(show_header=False, box=None, padding=(0, 2))
    # Text, not markup: rich would read `[focus]` or `[list|N|checkpoint]` as tags and drop them.
    for name, text in COMMANDS.items():
        table.add_row(Text(f"/{name}"), Text(text))
    for key, text in KEYS:
        table.add_row(Text(key), Text(text), style="dim")
    repl.console.print(table)
    from minimax_agent.ui.slash_extensions import help_rows

    custom = help_rows(repl)
    if custom:
        repl.say("Custom commands", "bold")
        table = Table(show_header=False, box=None, padding=(0, 2))
        for usage, about in custom:
            table.add_row(Text(usage), Text(about))
        repl.console.print(table)


def _clear(repl: Repl, arg: str) -> None:
    repl.conv.clear()
    repl.renderer.outputs.clear()
    repl.say("conversation cleared; files are unchanged (/undo still works)", "green")


def _compact(repl: Repl, arg: str) -> None:
    with repl.console.status("compacting…"):
        done = repl.conv.compact(arg or None)
    if done is None:
        repl.say("nothing to compact yet: the conversation is all head and recent steps")


def _undo(repl: Repl, arg: str) -> None:
    from minimax_agent.session.checkpoints import shown

    if arg == "list":
        found = repl.conv.list_checkpoints()
        if not found:
            repl.say("no checkpoints yet in this session")
        for number, cp in enumerate(found, 1):
            when = time.strftime("%H:%M:%S", time.localtime(cp.created))
            line = f"  {number:>2}  {cp.short}  {when}  {cp.label}"
            repl.console.print(line, markup=False, highlight=False)  # labels quote the model
        for cp in repl.conv.backups():
            repl.console.print(f"  backup {cp.short}  {cp.label}", markup=False, highlight=False)
        return
    restored = _undo_asking(repl, arg or None)
    if restored is None:
        return
    repl.say(f"undone to {restored.checkpoint.short} ({restored.checkpoint.label})", "green")
    for path in restored.restored:
        repl.say(f"  restored {shown(path)}", "green")
    for path in restored.deleted:
        repl.say(f"  deleted {shown(path)}", "green")
    if restored.kept:
        repl.say(f"  kept {len(restored.kept)} file(s) git ignored at the checkpoint")
    if not restored.files:
        repl.say("  no files differed")
    if restored.backup:
        short = restored.backup.short
        repl.say(f"  your changes are kept in backup {short}: /undo {short} puts them back")


def _undo_asking(repl: Repl, target: str | None) -> Restored | None:
    """Undo; if that would discard the user's own later changes, list them and ask first."""
    from prompt_toolkit import prompt

    from minimax_agent.errors import UndoConflictError
    from minimax_agent.session.checkpoints import describe_conflict, shown

    try:
        return repl.conv.undo(target)
    except UndoConflictError as exc:
        repl.say(f"{exc.headline}:", "yellow bold")
        for conflict in exc.conflicts:
            repl.say(f"  {shown(conflict.path)}: {describe_conflict(conflict)}", "yellow")
    try:
        answer = prompt("undo anyway, keeping a backup of them? [y/N] ")
    except (EOFError, KeyboardInterrupt):
        answer = ""
    if answer.strip().lower() not in ("y", "yes"):
        repl.say("not undone")
        return None
    return repl.conv.undo(target, force=True)


def _diff(repl: Repl, arg: str) -> None:
    from minimax_agent.ui.render import diff_text

    diff = repl.conv.diff_against_head()
    if diff is None:
        repl.say("not a git repository: no diff to show")
        return
    if not diff.strip():
        repl.say("no changes against HEAD")
        return
    repl.console.print(diff_text(diff, limit=2000))


def _model(repl: Repl, arg: str) -> None:
    conv = repl.conv
    if arg:
        conv.switch_model(arg)
    window = conv.context_window
    repl.say(
        f"backend {conv.backend_name} · model {conv.settings.model or '(backend default)'}"
        f" · context window {f'{window:,} tokens' if window else 'unknown'}"
    )


def _approval(repl: Repl, arg: str) -> None:
    from minimax_agent.errors import UsageError
    from tools.modes import ApprovalMode

    if arg:
        try:
            mode = ApprovalMode(arg)
        except ValueError:
            known = ", ".join(ARGUMENTS["approval"])
            raise UsageError(f"unknown mode {arg!r}; one of {known}") from None
        if repl.conv.plan.active:  # an explicit mode ends plan mode
            repl.conv.plan.leave(repl.conv, mode)
        else:
            repl.conv.set_approval_mode(mode)  # full-auto may add the OS sandbox
        repl.hooks.sandboxed = repl.conv.sandboxed
        repl.refresh_prompt()
    repl.say(f"approval mode: {repl.conv.approval_mode}")


def _think(repl: Repl, arg: str) -> None:
    if arg in ("on", "off"):
        repl.renderer.show_thinking = arg == "on"
    state = "shown" if repl.renderer.show_thinking else "collapsed"
    repl.say(f"reasoning is {state} (/think on|off)")


def _sessions(repl: Repl, arg: str) -> None:
    from minimax_agent.session.store import list_sessions

    found = list_sessions(repl.root)
    if not found:
        repl.say("no saved sessions for this repository yet")
    for info in found[:20]:
        mark = "*" if info.id == repl.conv.session_id else " "
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(info.updated))
        line = f" {mark} {info.id}  {when}  {info.title}"
        repl.console.print(line, markup=False, highlight=False)


def _resume(repl: Repl, arg: str) -> None:
    from minimax_agent.session.store import find_session

    if not arg:
        _sessions(repl, "")
        repl.say("/resume ID continues one of them")
        return
    repl.conv.switch(find_session(arg))
    repl.renderer.outputs.clear()
    repl.show_history()


def _cost(repl: Repl, arg: str) -> None:
    usage = repl.conv.usage

    def total(name: str) -> float:
        return sum(getattr(u, name) or 0 for u in usage)

    if any(u.prompt_tokens is not None for u in usage):
        line = (
            f"tokens in {int(total('prompt_tokens')):,} · out {int(total('completion_tokens')):,}"
            f" · cache hits {int(total('cached_tokens')):,}"
        )
        written = [u.extra.get("cache_creation_tokens") or 0 for u in usage]
        if any(written):  # the Anthropic API reports what it wrote to its prompt cache
            line += f" · cache writes {sum(written):,}"
        if any(u.cost is not None for u in usage):
            line += f" · cost ${total('cost'):.4f}"
        repl.say(line + f" · {len(usage)} requests")
    else:
        repl.say("the backend reported no token counts")
    repl.say(f"context: {repl.conv.measure().describe()}; compacted {repl.conv.compactions}×")


def _trace(repl: Repl, arg: str) -> None:
    from minimax_agent.session.store import state_dir
    from minimax_agent.session.trace import TraceWriter

    command, _, path = arg.partition(" ")
    if command == "on":
        target = (
            Path(path).expanduser()
            if path
            else state_dir() / "traces" / f"{repl.conv.session_id}.jsonl"
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        writer = TraceWriter(target)  # first: a bad path leaves the current trace running
        if repl.trace_file is not None:
            repl.trace_file.close()
        repl.trace_file = writer
        repl.trace_path = target
        repl.conv.set_tracer(writer)
    elif command == "off" and repl.trace_file is not None:
        repl.conv.set_tracer(None)
        repl.trace_file.close()
        repl.trace_file = None
    state = f"on, writing {repl.trace_path}" if repl.trace_file else "off"
    repl.say(f"trace is {state}")


def _output(repl: Repl, arg: str) -> None:
    outputs = repl.renderer.outputs
    index = int(arg) if arg.isdigit() else 1
    if not 1 <= index <= len(outputs):
        repl.say(f"no tool output #{index} (there are {len(outputs)})")
        return
    outcome = outputs[-index]
    repl.say(f"{outcome.call.name} output, full text:", "bold")
    repl.console.print(outcome.content, markup=False, highlight=False)


def _init(repl: Repl, arg: str) -> None:
    from minimax_agent.session.memory import git_root, starter_agents_md

    top = git_root(repl.root) or repl.root
    target = top / "AGENTS.md"
    if target.exists() and arg != "force":
        repl.say(f"{target} already exists (/init force rewrites it)")
        return
    target.write_text(starter_agents_md(top), encoding="utf-8")
    repl.say(f"wrote {target}: edit it, it goes into the system prompt (after /clear)", "green")


def _mcp(repl: Repl, arg: str) -> None:
    from minimax_agent.ui.slash_extensions import show_mcp

    show_mcp(repl, arg)


def _skills(repl: Repl, arg: str) -> None:
    from minimax_agent.ui.slash_extensions import show_skills

    show_skills(repl, arg)


def _jobs(repl: Repl, arg: str) -> None:
    from rich.table import Table
    from rich.text import Text

    from minimax_agent.ui.terminal_safe import terminal_safe
    from tools.jobs import duration

    jobs = repl.conv.agent.workspace.jobs.jobs()
    if not jobs:
        repl.say("no background commands in this session (run_command with background=true)")
        return
    table = Table(box=None, padding=(0, 2))
    for heading in ("id", "pid", "state", "runtime", "command"):
        table.add_column(heading)
    for job in jobs:
        cells = (str(job.id), str(job.pid), job.state, duration(job.runtime_s), job.command)
        table.add_row(*(Text(terminal_safe(c)) for c in cells))  # the command is the model's
    repl.console.print(table)


def _plan(repl: Repl, arg: str) -> None:
    from minimax_agent.ui.plan_review import plan_switch

    plan_switch(repl, arg)  # `/plan TASK` is run by the REPL's loop (plan_review.planned_task)


def _todo(repl: Repl, arg: str) -> None:
    from minimax_agent.ui.plan_review import show_todos

    show_todos(repl)


def _trust(repl: Repl, arg: str) -> None:
    from minimax_agent.trust import remember

    # settings are read once per start: the backend and the policy were built from them
    path = remember(repl.root, trusted=True)
    repl.say(f"trusted {repl.root} (in {path}); its config applies in full from the next start")


HANDLERS: dict[str, Callable[[Repl, str], None]] = {
    "help": _help,
    "clear": _clear,
    "compact": _compact,
    "undo": _undo,
    "diff": _diff,
    "model": _model,
    "approval": _approval,
    "think": _think,
    "sessions": _sessions,
    "resume": _resume,
    "cost": _cost,
    "trace": _trace,
    "output": _output,
    "init": _init,
    "trust": _trust,
    "mcp": _mcp,
    "skills": _skills,
    "jobs": _jobs,
    "plan": _plan,
    "todo": _todo,
}
