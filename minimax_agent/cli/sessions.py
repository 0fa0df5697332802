"""`minimax-agent sessions list|show|rm` and `minimax-agent undo` (typer; heavy imports inside).
A user error ends a command through `cli/command.py`."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from minimax_agent.cli import flags
from minimax_agent.cli.command import Command, Group, command

sessions_app = typer.Typer(
    help="Saved conversations: list, show, remove. Resume one with --continue or --resume ID.",
    no_args_is_help=True,
    cls=Group,
)


def _when(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))


@sessions_app.command("list", cls=Command)
@command
def list_sessions_command(
    directory: flags.Directory = None,
    every: Annotated[bool, typer.Option("--all", help="Sessions of every workspace.")] = False,
    as_json: Annotated[bool, flags.json_option("One JSON array on stdout.")] = False,
) -> None:
    """List sessions of this workspace, newest first: when, how the last task ended (done,
    not done, failed, interrupted), steps, backend and model, and the first request."""
    from minimax_agent.session.store import list_sessions
    from minimax_agent.session.workspace import find_workspace
    from minimax_agent.ui.terminal_safe import terminal_safe  # titles quote the user's text

    root = find_workspace(directory).root
    found = list_sessions(None if every else root)
    if as_json:
        rows = [
            {
                "id": s.id,
                "root": s.root,
                "created": s.created,
                "updated": s.updated,
                "title": s.title,
                "status": s.status.value if s.status else None,
                "steps": s.steps,
                "backend": s.backend,
                "model": s.model,
            }
            for s in found
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    if not found:
        typer.echo("no sessions" + ("" if every else f" for {root}"))
    for info in found:
        where = f"  {info.root}" if every else ""
        status = info.status.value if info.status else "-"
        steps = f"{info.steps} steps" if info.steps is not None else "- steps"
        ran = f"{info.backend or '-'} {info.model or '-'}"
        line = f"{info.id}  {_when(info.updated)}  {status:<11}  {steps:>9}  {ran}  {info.title}"
        typer.echo(terminal_safe(line + where))


@sessions_app.command("show", cls=Command)
@command
def show_session(
    session_id: Annotated[str, typer.Argument(help="Session id (a unique prefix is enough).")],
    full: Annotated[bool, typer.Option("--full", help="Do not shorten tool results.")] = False,
) -> None:
    """Print a session's conversation."""
    from minimax_agent.messages import AssistantMessage, ToolMessage
    from minimax_agent.session.store import find_session, load_session
    from minimax_agent.ui.terminal_safe import terminal_safe  # shown, the file keeps it raw

    loaded = load_session(find_session(session_id))
    info = loaded.info
    typer.echo(f"session {info.id} · {info.root} · started {_when(info.created)}")
    for message in loaded.messages[1:]:
        typer.echo(f"\n── {message.role}")
        if isinstance(message, AssistantMessage):
            if message.reasoning:
                typer.echo(f"(reasoning: {len(message.reasoning)} characters)")
            if message.content.strip():
                typer.echo(terminal_safe(message.content.strip()))
            for call in message.tool_calls:
                args = json.dumps(call.arguments, ensure_ascii=False)
                typer.echo(terminal_safe(f"→ {call.name}({args})"))
        elif isinstance(message, ToolMessage):
            text = (
                message.content
                if full or len(message.content) < 2000
                else (
                    message.content[:2000] + f"\n[… {len(message.content) - 2000} more characters]"
                )
            )
            shown = ("[error] " if message.is_error else "") + f"{message.name}: {text}"
            typer.echo(terminal_safe(shown))
        else:
            typer.echo(terminal_safe(message.content.strip()))
    for event in loaded.events:
        typer.echo(
            f"\n[{event.get('kind')}] "
            + json.dumps({k: v for k, v in event.items() if k not in ("t", "kind")}, default=str)
        )
    if loaded.usage:
        tokens_in = sum(u.get("prompt_tokens") or 0 for u in loaded.usage)
        tokens_out = sum(u.get("completion_tokens") or 0 for u in loaded.usage)
        typer.echo(f"\n{len(loaded.usage)} requests · {tokens_in:,} tokens in · {tokens_out:,} out")


@sessions_app.command("rm", cls=Command)
@command
def remove_sessions(
    session_ids: Annotated[list[str], typer.Argument(help="Session ids (unique prefixes).")],
) -> None:
    """Delete sessions and their checkpoints."""
    from minimax_agent.session.checkpoints import Checkpoints
    from minimax_agent.session.store import find_session, remove_session

    infos = [find_session(s) for s in session_ids]
    for info in infos:
        root = Path(info.root)
        checkpoints = Checkpoints.open(root, info.id) if root.is_dir() else None
        if checkpoints is not None:
            checkpoints.drop()
        remove_session(info)
        typer.echo(f"removed {info.id}")


@command
def undo(
    directory: flags.Directory = None,
    session: Annotated[
        str | None,
        typer.Option("--session", "-s", help="Session id (default: this workspace's latest)."),
    ] = None,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="Checkpoint: 1 = the newest, 2 = the one before, or its id (or a backup's).",
        ),
    ] = None,
    list_only: Annotated[bool, typer.Option("--list", help="List the checkpoints only.")] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Undo even over files changed since the step; keeps a backup first."
        ),
    ] = False,
) -> None:
    """Undo the last step of a session that changed files (or every step from a checkpoint on).

    Only what the agent's steps changed inside the workspace goes back; files git ignored at the
    checkpoint are never deleted. If you changed one of those files after the step, nothing is
    undone unless --force, which first keeps a backup checkpoint (undo --to ID brings it back).
    The conversation records the undo, so a resumed session tells the model.
    Exit codes: 0 undone, 1 refused (files changed since), 2 nothing to undo or bad arguments.
    """
    from minimax_agent.errors import UndoConflictError, UsageError
    from minimax_agent.session.checkpoints import Checkpoints, describe_conflict, shown
    from minimax_agent.session.store import (
        SessionWriter,
        find_session,
        latest_session,
        load_session,
    )
    from minimax_agent.session.undo_record import restore_checkpoint, undo_event, undo_note
    from minimax_agent.session.workspace import find_workspace
    from minimax_agent.ui.terminal_safe import terminal_safe  # labels quote the model

    root = find_workspace(directory).root
    try:
        info = find_session(session) if session else latest_session(root)
        checkpoints = Checkpoints.open(Path(info.root), info.id)
        if checkpoints is None:
            raise UsageError(f"{info.root} is not in a git repository: no checkpoints")
        if list_only:
            for number, cp in enumerate(checkpoints.all(), 1):
                typer.echo(
                    terminal_safe(f"{number:>3}  {cp.short}  {_when(cp.created)}  {cp.label}")
                )
            for cp in checkpoints.backups():
                typer.echo(terminal_safe(f"backup {cp.short}  {_when(cp.created)}  {cp.label}"))
            return
        restored = restore_checkpoint(checkpoints, to, force=force)
    except UndoConflictError as exc:
        typer.echo(f"minimax-agent: {exc.headline}:", err=True)
        for conflict in exc.conflicts:
            typer.echo(f"  {shown(conflict.path)}: {describe_conflict(conflict)}", err=True)
        typer.echo("undo --force undoes anyway, after keeping a backup checkpoint", err=True)
        raise typer.Exit(exc.exit_code) from None
    writer = SessionWriter.resume(load_session(info))
    writer.note(undo_note(restored))
    writer.event("undo", **undo_event(restored))
    writer.close()
    checkpoint = restored.checkpoint
    typer.echo(terminal_safe(f"undone to {checkpoint.short} ({checkpoint.label})"))
    for path in restored.restored:
        typer.echo(f"restored {shown(path)}")
    for path in restored.deleted:
        typer.echo(f"deleted {shown(path)}")
    if restored.kept:
        typer.echo(f"kept {len(restored.kept)} file(s) git ignored at the checkpoint")
    if restored.backup:
        typer.echo(
            f"backup {restored.backup.short} keeps the files as they were before this undo: "
            f"minimax-agent undo --to {restored.backup.short} puts them back"
        )
