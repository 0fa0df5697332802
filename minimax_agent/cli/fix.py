"""`minimax-agent fix "TASK"`: one task headless, then exit with the run's status."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Annotated

import typer

from minimax_agent.cli import flags
from minimax_agent.cli.command import command
from minimax_agent.errors import UsageError, WorkspaceError
from tools.modes import ApprovalMode


@command
def fix(
    task: Annotated[str, typer.Argument(help="What to do, in plain words.")],
    *,  # keyword-only: a flag group (cli/flags.py) has no default to give
    directory: flags.Directory = Path("."),
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
) -> None:
    """Run one task headless, then exit.

    Exit codes: 0 done, 1 not done, 2 usage, 3 backend failure, 130 interrupted.
    """
    from minimax_agent.config import load_settings
    from minimax_agent.events import RunStatus
    from minimax_agent.redact import current
    from minimax_agent.session.conversation import Conversation
    from minimax_agent.session.runner import EXIT_FOR_STATUS, result_json
    from minimax_agent.session.trace import TraceWriter
    from minimax_agent.ui.headless import HeadlessHooks
    from minimax_agent.ui.stream_json import StreamJsonHooks
    from minimax_agent.ui.terminal_safe import SafeConsole, terminal_safe

    OutputFormat = flags.OutputFormat
    tracer = None
    conversation: Conversation | None = None
    try:
        if not task.strip():
            raise UsageError('the task is empty: say what to do, e.g. fix "make the tests pass"')
        root = directory.resolve()
        if not root.is_dir():
            raise WorkspaceError(f"workspace {directory} is not a directory")
        settings = load_settings(
            root,
            **endpoint.settings(),
            max_steps=max_steps,
            approval=approval,
            max_tokens=max_tokens,
            **local.settings(),
            tool_choice=tool_choice.value if tool_choice else None,
            seed=seed,
            **safety.settings(),
        )
        for warning in settings.warnings:  # stderr even with json output: stdout is the result
            typer.echo(f"minimax-agent: warning: {warning}", err=True)
        quiet = output_format is not OutputFormat.TEXT
        hooks = HeadlessHooks(
            None if quiet else SafeConsole(stderr=True), show_reasoning=show_reasoning
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
        )
        if stream:
            stream.start(conversation, task)
        result = conversation.run(task)
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
        typer.echo(current().text(json.dumps(result_json(result), indent=2)))
    else:
        hooks.end_line()
        if result.final_text:
            # the answer shown, not the answer kept: json output and the session have it raw
            typer.echo(terminal_safe(current().text(result.final_text.strip())))
        if result.status is RunStatus.GAVE_UP:
            typer.echo("minimax-agent: not done: the model gave up (see its answer)", err=True)
        elif result.status is not RunStatus.DONE:
            problem = f"minimax-agent: {result.status}: {result.error or 'not done'}"
            typer.echo(terminal_safe(current().text(problem)), err=True)
    raise typer.Exit(code)
