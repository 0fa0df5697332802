"""Flags that several commands share, each an `Annotated` type so its help reads the same
everywhere; None means "not given": the config files and `MINIMAX_AGENT_*` variables decide."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

Directory = Annotated[
    Path, typer.Option("-C", "--directory", help="Workspace root (default: current dir).")
]
Backend = Annotated[
    str | None,
    typer.Option(help="Backend: openai[:PROVIDER], local[:PATH.gguf] or scripted:FILE.json."),
]
Provider = Annotated[
    str | None,
    typer.Option(
        help="OpenAI-compatible provider: openrouter, minimax, nvidia, modelslab, vllm, "
        "sglang, llamacpp-server, openai, or one defined in config.toml."
    ),
]
BaseUrl = Annotated[
    str | None, typer.Option("--base-url", help="OpenAI-compatible base URL (…/v1).")
]
Model = Annotated[
    str | None, typer.Option(help="Model name at the endpoint, or a local PATH.gguf.")
]
ApiKeyEnv = Annotated[
    str | None,
    typer.Option(
        "--api-key-env",
        help="Environment variable holding the API key (keys are never taken as flags).",
    ),
]
ContinueLatest = Annotated[
    bool, typer.Option("--continue", "-c", help="Continue this workspace's latest session.")
]
Resume = Annotated[
    str | None, typer.Option("--resume", "-r", help="Continue the session with this id.")
]
Trace = Annotated[Path | None, typer.Option(help="Append every model exchange to this JSONL file.")]
ShowReasoning = Annotated[
    bool, typer.Option("--show-reasoning", help="Stream the model's reasoning to stderr.")
]
Sandbox = Annotated[
    str | None,
    typer.Option(
        "--sandbox",
        help="OS sandbox for commands: read-only, workspace-write (the default) or off.",
    ),
]
SandboxNetwork = Annotated[
    bool | None,
    typer.Option(
        "--sandbox-network/--no-sandbox-network",
        help="Let sandboxed commands use the network (default: off).",
    ),
]
TrustProject = Annotated[
    bool | None,
    typer.Option(
        "--trust-project",
        help="Trust this directory's .minimax-agent.toml: it may then set endpoints, keys "
        "and raise the approval or sandbox level.",
    ),
]
PassEnv = Annotated[
    list[str] | None,
    typer.Option(
        "--pass-env",
        help="Let commands see this secret-looking environment variable (repeatable).",
    ),
]
