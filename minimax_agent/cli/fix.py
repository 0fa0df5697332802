"""`minimax-agent fix "TASK"`: one task headless, then exit with the run's status."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from minimax_agent.cli import flags
from minimax_agent.cli.command import command
from minimax_agent.errors import UsageError
from tools.modes import ApprovalMode

if TYPE_CHECKING:
    from minimax_agent.extensions.commands import CustomCommand


@command
def fix(
    task: Annotated[
        str,
        # required unless --command is given (then it is the command's arguments): checked
        # below, since typer cannot say "required unless"
        typer.Argument(
            help="What to do, in plain words; with --command, the command's arguments.",
            show_default=False,
        ),
    ] = "",
    *,  # keyword-only: a flag group (cli/flags.py) has no default to give
    directory: flags.Directory = None,
    endpoint: flags.EndpointFlags,
    max_steps: Annotated[int | None, flags.max_steps_option("Stop after this many steps.")] = None,
    approval: flags.HeadlessApproval = ApprovalMode.FULL_AUTO,
    output_format: flags.OutputFormatOpt = flags.OutputFormat.TEXT,
    continue_latest: flags.ContinueLatest = False,
    resume: flags.Resume = None,
    trace: flags.Trace = None,
    show_reasoning: flags.ShowReasoning = False,
    max_tokens: flags.MaxTokens = None,
    local: flags.LocalFlags,
    tool_choice: flags.ToolChoiceOpt = None,
    seed: flags.Seed = None,
    safety: flags.SafetyFlags,
    custom_command: flags.CustomCommandOpt = None,
    plan: flags.PlanOpt = False,
) -> None:
    """Run one task headless, then exit.

    Exit codes: 0 done, 1 not done, 2 usage, 3 backend failure, 130 interrupted.
    """
    from minimax_agent.config import load_settings
    from minimax_agent.extensions.commands import expand_command
    from minimax_agent.redact import current
    from minimax_agent.session.conversation import Conversation
    from minimax_agent.session.runner import EXIT_FOR_STATUS, result_json
    from minimax_agent.session.trace import TraceWriter
    from minimax_agent.session.workspace import NO_CHECKPOINTS, find_workspace
    from minimax_agent.ui.fix_report import RunFacts, echo, report_text
    from minimax_agent.ui.headless import HeadlessHooks
    from minimax_agent.ui.log_notices import notices_from_log
    from minimax_agent.ui.stream_json import StreamJsonHooks
    from minimax_agent.ui.terminal_safe import SafeConsole, is_terminal

    OutputFormat = flags.OutputFormat
    tracer = None
    conversation: Conversation | None = None
    try:
        if not task.strip() and custom_command is None:
            raise UsageError('the task is empty: say what to do, e.g. fix "make the tests pass"')
        workspace = find_workspace(directory)
        root = workspace.root
        # found before the backend loads: a mistyped name costs nothing
        found = find_command(root, custom_command) if custom_command is not None else None
        prompt = expand_command(found, task.strip()) if found is not None else task
        settings = load_settings(
            root,
            here=workspace.here,
            **endpoint.settings(),
            max_steps=max_steps,
            # a plan changes nothing: read-only from the start (no sandbox needed either)
            approval=ApprovalMode.READ_ONLY if plan else approval,
            max_tokens=max_tokens,
            **local.settings(),
            tool_choice=tool_choice.value if tool_choice else None,
            seed=seed,
            **safety.settings(),
        )
        for warning in settings.warnings:  # stderr even with json output: stdout is the result
            echo(f"minimax-agent: warning: {warning}", err=True)
        for notice in settings.notices:  # a provider chosen for the user: said once
            echo(f"minimax-agent: {notice}", err=True)
        if settings.checkpoints and not workspace.in_git:
            echo(f"minimax-agent: {NO_CHECKPOINTS}", err=True)
        if found is not None:
            where = found.path.relative_to(root) if found.path.is_relative_to(root) else found.path
            said = f"/{found.name} → {len(prompt):,} characters from {where}"
            echo(f"minimax-agent: {said}", err=True)
        quiet = output_format is not OutputFormat.TEXT
        stderr = SafeConsole(stderr=True, highlight=False)
        hooks = HeadlessHooks(
            None if quiet else stderr,
            show_reasoning=show_reasoning,
            hold_text=not quiet and is_terminal(sys.stdout),  # the answer goes there once
        )
        stream = StreamJsonHooks() if output_format is OutputFormat.STREAM_JSON else None
        tracer = TraceWriter(trace) if trace else None
        conversation = Conversation.open(
            settings,
            root,
            stream or hooks,
            interactive=False,
            trace=tracer,
            resume=resume,
            continue_latest=continue_latest,
            subdir=workspace.subdir,
        )
        for warning in conversation.extensions.warnings:
            echo(f"minimax-agent: warning: {warning}", err=True)
        if plan:
            conversation.plan.enter(conversation)  # the request carries the plan note
        if stream:
            stream.start(conversation, prompt)
        started = time.monotonic()
        # logged warnings (a retry) as lines of the run's own, on stderr in every format
        with notices_from_log((HeadlessHooks(stderr) if quiet else hooks).on_event):
            result = conversation.run(prompt)
        facts = RunFacts(
            seconds=time.monotonic() - started,
            session_id=conversation.session_id,
            directory=directory,
            checkpoints=conversation.checkpoints is not None,
        )
    except BaseException:
        # the session is saved and the model freed on every path (an error, Ctrl-C, a signal);
        # the error that ended the run is the one reported, not one from closing after it
        if conversation is not None:
            with contextlib.suppress(Exception):
                conversation.close()
        raise
    else:
        conversation.close()
    finally:  # a user error is reported by cli/command.py, after the trace is closed
        if tracer:
            tracer.close()
    code = EXIT_FOR_STATUS[result.status]
    if stream:
        stream.done(conversation, result)
    elif output_format is OutputFormat.JSON:
        record = {**result_json(result), "todos": conversation.todos.json()}
        typer.echo(current().text(json.dumps(record, indent=2)))
    else:
        report_text(hooks, result, facts)
    raise typer.Exit(code)


def find_command(root: Path, name: str) -> CustomCommand:
    """The custom command `name` as a session in `root` finds it; a usage error listing the
    known ones when there is none by that name."""
    from minimax_agent.extensions.commands import discover_commands

    commands, _ = discover_commands(root)  # its warnings are said once, by the conversation
    found = commands.get(name.removeprefix("/"))
    if found is not None:
        return found
    known = ", ".join(sorted(commands)) or "none (put NAME.md in .minimax-agent/commands/)"
    raise UsageError(f"no custom command {name!r}; known: {known}")
