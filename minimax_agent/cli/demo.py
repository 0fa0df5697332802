"""`minimax-agent demo`: the whole loop in a minute, with no key, no model and no network.

The example repository that ships in `minimax_agent/demo/` is copied into a temporary
directory and committed there (so checkpoints and undo work), and the real agent loop runs in
it on the shipped script (`--backend demo`): it reads the module, runs the failing tests in the
OS sandbox, edits the line, runs the tests again and answers. Then the edit is undone through
the conversation's own undo (the REPL's `/undo`), and the copy is removed unless `--keep`.

The approval mode is `ask`, as in the interactive session: on a terminal each edit and command
is shown and asked; when stdin is not a terminal (a pipe, CI, a test) the demo approves its own
scripted calls and says so. Commands run in the sandbox, which is required: without bubblewrap
the demo stops with the same one-line error as `fix` (`--sandbox off` runs them bare).
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from minimax_agent.cli import flags
from minimax_agent.cli.command import command

if TYPE_CHECKING:
    from rich.console import Console

    from minimax_agent.config import Settings
    from minimax_agent.events import RunResult, ToolOutcome
    from minimax_agent.session.checkpoints import Restored
    from minimax_agent.session.conversation import Conversation

# the last line of a unittest (or pytest -q) run: what the report quotes for a test command
_TEST_VERDICT = re.compile(r"^(OK\b.*|FAILED \(.*\))$", re.MULTILINE)


@command
def demo(
    keep: Annotated[
        bool,
        typer.Option("--keep", help="Keep the example repository and its session; say where."),
    ] = False,
    sandbox: flags.Sandbox = None,
) -> None:
    """See the agent work without a key: a scripted model fixes a failing test in a temporary
    copy of an example repository (asking before it edits or runs anything, on a terminal),
    then the fix is undone.

    Exit codes: 0 done, 1 not done, 2 setup (no git, no sandbox), 3 backend failure.
    """
    import tempfile

    from minimax_agent.demo import copy_example

    root = Path(tempfile.mkdtemp(prefix="minimax-agent-demo-")).resolve()
    try:
        copy_example(root)
        code = _demo_in(root, sandbox=sandbox, keep=keep)
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
    raise typer.Exit(code)


def _demo_in(root: Path, *, sandbox: str | None, keep: bool) -> int:
    """Run the scripted session in the copy at `root`, undo its edit, report; the exit code."""
    from minimax_agent.config import load_settings
    from minimax_agent.demo import TASK
    from minimax_agent.session.conversation import Conversation
    from minimax_agent.session.runner import EXIT_FOR_STATUS, sandbox_for
    from minimax_agent.session.store import remove_session
    from minimax_agent.ui.demo import DemoHooks
    from minimax_agent.ui.terminal_safe import SafeConsole
    from tools.modes import ApprovalMode

    settings = load_settings(
        root,
        backend="demo",
        approval=ApprovalMode.ASK,
        checkpoints=True,  # undo is half the demo, whatever the user's config says
        # asked for explicitly, so a missing bwrap is the one-line refusal fix gives, not a
        # silent fall back to unsandboxed commands
        sandbox=sandbox or "workspace-write",
    )
    # the shipped script calls the built-in tools only: the user's MCP servers and hooks would
    # only slow it down or change what it shows (a copy: settings sources merge dicts, so an
    # empty one given as a flag would not replace them)
    settings = settings.model_copy(update={"mcp_servers": {}, "hooks": {}})
    # before the session exists: a refusal leaves nothing behind
    sandbox_for(settings.safety, root, interactive=True)
    console = SafeConsole()
    attended = sys.stdin.isatty()
    _intro(console, root, settings, attended)
    hooks = DemoHooks(console, attended=attended)
    conversation = Conversation.open(settings, root, hooks, interactive=True)
    hooks.workspace = conversation.agent.workspace
    try:
        result = conversation.run(TASK)
        hooks.end_line()
        restored = _undo(console, conversation, result)
    finally:
        conversation.close()
        if not keep:
            remove_session(conversation.writer.info)
    _report(console, result, restored)
    _next_steps(console, root, conversation.session_id, keep=keep)
    return int(EXIT_FOR_STATUS[result.status])


def _intro(console: Console, root: Path, settings: Settings, attended: bool) -> None:
    from minimax_agent.demo import TASK

    where = "in the OS sandbox" if settings.sandbox != "off" else "WITHOUT a sandbox"
    asks = "each edit and command asks first" if attended else "approvals are shown, then granted"
    _say(console, "minimax-agent demo: a scripted model (no key, no network) at work on a copy")
    _say(console, f"of a small example repository in {root}")
    _say(console, f"commands run {where}; {asks}")
    _say(console, f"\ntask: {TASK}\n", style="bold")


def _undo(console: Console, conversation: Conversation, result: RunResult) -> Restored | None:
    """Undo the run's edit as `/undo` does; None when no edit was made (one was declined)."""
    from minimax_agent.demo import BUGGY_LINE, EDITED_FILE

    _say(console, "\n── undo", style="bold blue")
    if not any(o.call.name == "edit_file" and not o.is_error for o in result.outcomes):
        _say(console, "nothing to undo: no edit was made (the script went on as written; a real")
        _say(console, "model reads a declined call's answer and works with it)")
        return None
    restored = conversation.undo()
    checkpoint = restored.checkpoint
    _say(
        console,
        f"undone to checkpoint {checkpoint.short} ({checkpoint.label}): {restored.describe()}",
    )
    back = (conversation.root / EDITED_FILE).read_text(encoding="utf-8")
    if BUGGY_LINE in back:
        _say(console, f"{EDITED_FILE} has its old line again: {BUGGY_LINE.strip()}")
    return restored


def _report(console: Console, result: RunResult, restored: Restored | None) -> None:
    from minimax_agent.events import RunStatus
    from minimax_agent.ui.headless import call_line

    _say(console, "\n── what happened", style="bold blue")
    number = 0
    for number, outcome in enumerate(result.outcomes, 1):
        _say(console, f"{number}. {call_line(outcome.call)}: {_verdict(outcome)}")
    if restored is not None:
        _say(console, f"{number + 1}. undo: {restored.describe()}")
    if result.status is not RunStatus.DONE:
        _say(console, f"the run ended {result.status}: {result.error or 'not done'}", style="red")


def _verdict(outcome: ToolOutcome) -> str:
    """A tool result in a few words: a test run's summary line, else the first line."""
    if outcome.is_error:
        first = (outcome.content.strip().splitlines() or ["?"])[0]
        return "error: " + first.removeprefix("Error: ")[:100]
    if outcome.call.name == "read_file":
        return f"{len(outcome.content.splitlines())} lines read"
    found = _TEST_VERDICT.findall(outcome.content)
    if found:
        return str(found[-1])
    return (outcome.content.strip().splitlines() or ["(no output)"])[0][:100]


def _next_steps(console: Console, root: Path, session_id: str, *, keep: bool) -> None:
    _say(console, "\n── next", style="bold blue")
    _say(console, "With a real model, on your own code:")
    _say(console, "  OPENROUTER_API_KEY=... minimax-agent --provider openrouter")
    _say(console, "  or: minimax-agent setup   (pick a provider, check and store the key)")
    if keep:
        _say(console, f"\nThe example repository is kept in {root}, with session {session_id}:")
        _say(
            console, f"  minimax-agent --backend demo -C {root}   replays the script interactively"
        )
        _say(console, f"  minimax-agent sessions list -C {root}    shows this run")
    else:
        _say(console, "\nThe temporary copy is removed (`minimax-agent demo --keep` keeps it).")


def _say(console: Console, text: str, *, style: str | None = None, end: str = "\n") -> None:
    console.print(text, style=style, end=end, markup=False, highlight=False, soft_wrap=True)
