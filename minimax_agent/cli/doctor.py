"""`minimax-agent doctor`: flags and rendering; the checks live in `minimax_agent.doctor`."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

MARKS = {"ok": "✓", "info": "·", "warn": "!", "fail": "✗", "skip": "-"}
STYLES = {"ok": "green", "info": "", "warn": "yellow", "fail": "red", "skip": "dim"}


def doctor(
    directory: Annotated[
        Path, typer.Option("-C", "--directory", help="Workspace whose config is checked.")
    ] = Path("."),
    model: Annotated[
        str | None, typer.Option(help="Check this model (a local PATH.gguf or a name).")
    ] = None,
    backend: Annotated[str | None, typer.Option(help="Backend, as for fix.")] = None,
    provider: Annotated[str | None, typer.Option(help="Provider, as for fix.")] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="Base URL, as for fix.")
    ] = None,
    tiny: Annotated[
        bool, typer.Option("--tiny/--no-tiny", help="Time a short run of the tiny test model.")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Check llama.cpp, GPUs, memory, the configured model and endpoint, and the sandbox.

    Exit codes: 0 all needed parts work · 2 configuration error · 3 the configured model,
    llama.cpp or endpoint is broken.
    """
    from rich.console import Console
    from rich.markup import escape

    from minimax_agent.config import load_settings
    from minimax_agent.doctor import exit_code, run_checks
    from minimax_agent.errors import MinimaxAgentError

    try:
        root = directory.resolve()
        settings = load_settings(
            root, model=model, backend=backend, provider=provider, base_url=base_url
        )
        for warning in settings.warnings:
            typer.echo(f"minimax-agent: warning: {warning}", err=True)
        checks = run_checks(settings, tiny=tiny, root=root)
    except MinimaxAgentError as exc:
        typer.echo(f"minimax-agent: error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
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
