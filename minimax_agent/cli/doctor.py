"""`minimax-agent doctor`: flags and rendering; the checks live in `minimax_agent.doctor`.

It takes the same endpoint and local-model flags as `fix` and the interactive session, so it
checks the model and endpoint those would use, loaded the way they would load it."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer

from minimax_agent.cli import flags
from minimax_agent.cli.command import command

MARKS = {"ok": "✓", "info": "·", "warn": "!", "fail": "✗", "skip": "-"}
STYLES = {"ok": "green", "info": "", "warn": "yellow", "fail": "red", "skip": "dim"}


@command
def doctor(
    *,  # keyword-only: a flag group (cli/flags.py) has no default to give
    directory: flags.Directory = None,
    endpoint: flags.EndpointFlags,
    local: flags.LocalFlags,
    tiny: Annotated[
        bool, typer.Option("--tiny/--no-tiny", help="Time a short run of the tiny test model.")
    ] = True,
    as_json: flags.AsJson = False,
) -> None:
    """Check llama.cpp, GPUs, memory, the configured model and endpoint, and the sandbox.

    Exit codes: 0 all needed parts work · 2 configuration error · 3 the configured model,
    llama.cpp or endpoint is broken.
    """
    from rich.console import Console
    from rich.markup import escape

    from minimax_agent.config import load_settings
    from minimax_agent.doctor import exit_code, run_checks
    from minimax_agent.session.workspace import find_workspace

    workspace = find_workspace(directory)
    root = workspace.root
    settings = load_settings(root, here=workspace.here, **endpoint.settings(), **local.settings())
    for warning in settings.warnings:
        typer.echo(f"minimax-agent: warning: {warning}", err=True)
    checks = run_checks(settings, tiny=tiny, root=root)
    code = exit_code(checks)
    if as_json:
        typer.echo(json.dumps({"checks": [asdict(c) for c in checks], "exit_code": code}))
    else:
        console = Console(highlight=False, soft_wrap=True)
        for c in checks:
            style = STYLES[c.status]
            line = f"{MARKS[c.status]} [bold]{c.name}[/]: {escape(c.detail)}"
            console.print(f"[{style}]{line}[/]" if style else line)
    raise typer.Exit(code)
