"""Flags of the local llama.cpp backend, shared by the commands that run a model.

Each is an `Annotated` type so a command only names it in its signature; every flag left unset
(None) falls through to the config files and `MINIMAX_AGENT_*` variables.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

PANEL = "Local model (llama.cpp)"


class KvType(StrEnum):
    F16 = "f16"
    Q8_0 = "q8_0"
    Q4_0 = "q4_0"


class ToolChoice(StrEnum):
    AUTO = "auto"
    REQUIRED = "required"


NCtx = Annotated[
    int | None,
    typer.Option(
        "--n-ctx",
        min=256,
        help="Context size in tokens (default: the model's maximum that fits in memory).",
        rich_help_panel=PANEL,
    ),
]
GpuLayers = Annotated[
    int | None,
    typer.Option(
        "--gpu-layers",
        min=-1,
        help="Layers on the GPU; -1 all (default: all when llama.cpp has a GPU backend).",
        rich_help_panel=PANEL,
    ),
]
CpuMoe = Annotated[
    str | None,
    typer.Option(
        "--cpu-moe",
        metavar="N|all",
        help="Keep the MoE expert tensors of the first N layers (or all) in system RAM.",
        rich_help_panel=PANEL,
    ),
]
FlashAttn = Annotated[
    bool | None,
    typer.Option(
        "--flash-attn/--no-flash-attn",
        help="Flash attention (default: llama.cpp decides).",
        show_default=False,
        rich_help_panel=PANEL,
    ),
]
KvTypeOpt = Annotated[
    KvType | None,
    typer.Option("--kv-type", help="KV cache type (default f16).", rich_help_panel=PANEL),
]
Threads = Annotated[
    int | None,
    typer.Option(min=1, help="CPU threads (default: all available).", rich_help_panel=PANEL),
]
ChatTemplate = Annotated[
    Path | None,
    typer.Option(
        "--chat-template",
        help="Jinja chat template file instead of the GGUF's own.",
        rich_help_panel=PANEL,
    ),
]
ConstrainTools = Annotated[
    bool | None,
    typer.Option(
        "--constrain-tools/--no-constrain-tools",
        help="A grammar keeps tool calls well-formed: known tools and parameters only.",
        show_default=False,
        rich_help_panel=PANEL,
    ),
]
ToolChoiceOpt = Annotated[
    ToolChoice | None,
    typer.Option(
        "--tool-choice",
        help="required: every turn must call a tool (local: needs --constrain-tools).",
        rich_help_panel=PANEL,
    ),
]
MaxTokens = Annotated[
    int | None,
    typer.Option("--max-tokens", min=1, help="Most tokens generated per step."),
]
Seed = Annotated[int | None, typer.Option(help="Sampling seed.", rich_help_panel=PANEL)]
