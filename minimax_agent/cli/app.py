"""Command line (typer). Thin: parse flags, build settings, call the library, map exit codes."""

from __future__ import annotations

import json
import logging
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from minimax_agent import __version__
from minimax_agent.cli.app import common as common
from minimax_agent.cli.app import local as local
from minimax_agent.errors import ExitCode, MinimaxAgentError, UsageError, WorkspaceError
from minimax_agent.modes import ApprovalMode

app = typer.Typer(
    name="minimax-agent",
    help="A terminal coding agent for MiniMax-M2.1, local (llama.cpp) or remote.",
    invoke_without_command=True,  # no subcommand: the interactive session
    add_completion=False,
    pretty_exceptions_enable=False,
)


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    STREAM_JSON = "stream-json"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"minimax-agent {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    directory: common.Directory = Path("."),
    continue_latest: common.ContinueLatest = False,
    resume: common.Resume = None,
    backend: common.Backend = None,
    model: common.Model = None,
    provider: common.Provider = None,
    base_url: common.BaseUrl = None,
    api_key_env: common.ApiKeyEnv = None,
    approval: Annotated[
        ApprovalMode | None, typer.Option(help="Approval mode (default from config: ask).")
    ] = None,
    n_ctx: local.NCtx = None,
    gpu_layers: local.GpuLayers = None,
    cpu_moe: local.CpuMoe = None,
    flash_attn: local.FlashAttn = None,
    kv_type: local.KvTypeOpt = None,
    threads: local.Threads = None,
    chat_template: local.ChatTemplate = None,
    constrain_tools: local.ConstrainTools = None,
    sandbox: common.Sandbox = None,
    sandbox_network: common.SandboxNetwork = None,
    trust_project: common.TrustProject = None,
    pass_env: common.PassEnv = None,
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Debug logging on stderr.")
    ] = False,
) -> None:
    """A terminal coding agent for MiniMax-M2.1. Without a command: the interactive session.

    Exit codes: 0 done · 1 not done (limit hit) · 2 usage or config error ·
    3 model or backend failure · 130 interrupted.
    """
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, stream=sys.stderr)
    from minimax_agent.redact import RedactingFormatter

    for handler in logging.getLogger().handlers:  # logs are an output too: no secret in them
        if type(handler) is logging.StreamHandler and handler.stream is sys.stderr:
            handler.setFormatter(RedactingFormatter(logging.BASIC_FORMAT))
    if ctx.invoked_subcommand is None:
        from minimax_agent.cli.entry import leave_on_signals
        from minimax_agent.ui.options import ReplOptions
        from minimax_agent.ui.repl import main

        leave_on_signals()

        flags = {
            "backend": backend,
            "model": model,
            "provider": provider,
            "base_url": base_url,
            "api_key_env": api_key_env,
            "approval": approval,
            "n_ctx": n_ctx,
            "gpu_layers": gpu_layers,
            "cpu_moe": cpu_moe,
            "flash_attn": flash_attn,
            "kv_type": kv_type.value if kv_type else None,
            "threads": threads,
            "chat_template": chat_template,
            "constrain_tools": constrain_tools,
            "sandbox": sandbox,
            "sandbox_network": sandbox_network,
            "trust_project": trust_project,
            "pass_env": pass_env or None,
        }
        options = ReplOptions(directory, continue_latest, resume, flags)
        raise typer.Exit(main(options))


def fail(exc: MinimaxAgentError) -> NoReturn:
    from minimax_agent.redact import current
    from minimax_agent.ui.terminal_safe import terminal_safe

    # an endpoint's error text may quote what it was sent
    typer.echo(terminal_safe(current().text(f"minimax-agent: error: {exc}")), err=True)
    raise typer.Exit(exc.exit_code)


@app.command()
def fix(
    task: Annotated[str, typer.Argument(help="What to do, in plain words.")],
    directory: common.Directory = Path("."),
    backend: common.Backend = None,
    provider: common.Provider = None,
    base_url: common.BaseUrl = None,
    model: common.Model = None,
    api_key_env: common.ApiKeyEnv = None,
    max_steps: Annotated[
        int | None, typer.Option(min=1, help="Stop after this many steps.")
    ] = None,
    approval: Annotated[
        ApprovalMode,
        typer.Option(help="What runs without asking; fix never asks, so 'ask' denies."),
    ] = ApprovalMode.FULL_AUTO,
    output_format: Annotated[
        OutputFormat,
        typer.Option(
            "--output-format",
            help="text; json (one object at the end); stream-json (one event a line).",
        ),
    ] = OutputFormat.TEXT,
    continue_latest: common.ContinueLatest = False,
    resume: common.Resume = None,
    trace: common.Trace = None,
    show_reasoning: common.ShowReasoning = False,
    max_tokens: local.MaxTokens = None,
    n_ctx: local.NCtx = None,
    gpu_layers: local.GpuLayers = None,
    cpu_moe: local.CpuMoe = None,
    flash_attn: local.FlashAttn = None,
    kv_type: local.KvTypeOpt = None,
    threads: local.Threads = None,
    chat_template: local.ChatTemplate = None,
    constrain_tools: local.ConstrainTools = None,
    tool_choice: local.ToolChoiceOpt = None,
    seed: local.Seed = None,
    sandbox: common.Sandbox = None,
    sandbox_network: common.SandboxNetwork = None,
    trust_project: common.TrustProject = None,
    pass_env: common.PassEnv = None,
) -> None:
    """Run one task headless, then exit.

    Exit codes: 0 done, 1 not done, 2 usage, 3 backend failure, 130 interrupted.
    """
    from minimax_agent.config import load_settings
    from minimax_agent.session.conversation import Conversation
    from minimax_agent.redact import current
    from minimax_agent.session.runner import EXIT_FOR_STATUS, result_json
    from minimax_agent.session.trace import TraceWriter
    from minimax_agent.ui.headless import HeadlessHooks
    from minimax_agent.ui.stream_json import StreamJsonHooks
    from minimax_agent.ui.terminal_safe import SafeConsole, terminal_safe

    tracer = None
    try:
        if not task.strip():
            raise UsageError('the task is empty: say what to do, e.g. fix "make the tests pass"')
        root = directory.resolve()
        if not root.is_dir():
            raise WorkspaceError(f"workspace {directory} is not a directory")
        settings = load_settings(
            root,
            backend=backend,
            max_steps=max_steps,
            approval=approval,
            provider=provider,
            base_url=base_url,
            model=model,
            api_key_env=api_key_env,
            max_tokens=max_tokens,
            n_ctx=n_ctx,
            gpu_layers=gpu_layers,
            cpu_moe=cpu_moe,
            flash_attn=flash_attn,
            kv_type=kv_type.value if kv_type else None,
            threads=threads,
            chat_template=chat_template,
            constrain_tools=constrain_tools,
            tool_choice=tool_choice.value if tool_choice else None,
            seed=seed,
            sandbox=sandbox,
            sandbox_network=sandbox_network,
            trust_project=trust_project,
            pass_env=pass_env or None,
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
            tracer=tracer,
            resume=resume,
            continue_latest=continue_latest,
        )
        if stream:
            conversation.on_notice = stream.notice
            stream.start(conversation, task)
        elif not quiet:
            conversation.on_notice = lambda n: typer.echo(
                terminal_safe(current().text(f"minimax-agent: {n.text}")), err=True
            )
        result = conversation.run(task)
        conversation.close()
    except MinimaxAgentError as exc:
        fail(exc)
    finally:
        if tracer:
            tracer.close()
    code = EXIT_FOR_STATUS[result.status]
    if stream:
        stream.done(conversation, result)
    elif output_format is OutputFormat.JSON:
        typer.echo(current().text(json.dumps(result_json(result), indent=2)))
    else:
        hooks._end_line()
        if result.final_text:
            # the answer shown, not the answer kept: json output and the session have it raw
            typer.echo(terminal_safe(current().text(result.final_text.strip())))
        if result.status == "gave_up":
            typer.echo("minimax-agent: not done: the model gave up (see its answer)", err=True)
        elif result.status != "done":
            problem = f"minimax-agent: {result.status}: {result.error or 'not done'}"
            typer.echo(terminal_safe(current().text(problem)), err=True)
    raise typer.Exit(code)


from minimax_agent.cli.review import review  # noqa: E402  (flags only; heavy imports inside)

app.command()(review)

from minimax_agent.cli.models import models_app  # noqa: E402  (heavy imports inside commands)

app.add_typer(models_app, name="models")

from minimax_agent.cli.sessions import sessions_app, undo  # noqa: E402  (heavy imports inside)

app.add_typer(sessions_app, name="sessions")
app.command()(undo)

from minimax_agent.cli.doctor import doctor  # noqa: E402  (flags only; heavy imports inside)

app.command()(doctor)


def run() -> None:
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("minimax-agent: interrupted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
