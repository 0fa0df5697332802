"""The M3 chat template: the project's own copy, and what the template writes that the backends
rely on (where a turn ends, where the output starts, the layout around reasoning and calls).

These are facts of the official MiniMax-M3 template (M3 and M3.1 share it): the generation
prompt depends on `thinking_mode`, and the template writes no layout between `</mm:think>`, the
visible text and the call block.
"""

from __future__ import annotations

from importlib import resources
from typing import Any, Literal

ThinkingMode = Literal["enabled", "disabled", "adaptive"]
THINKING_MODES: tuple[ThinkingMode, ...] = ("enabled", "disabled", "adaptive")

BOD = "]~!b["
EOS = "[e~["  # ends every turn; the model's end-of-turn token
ASSISTANT_HEAD = "]~b]ai\n"
# What the generation prompt adds after the assistant head: enabled opens the reasoning,
# disabled closes it at once (the answer follows), adaptive leaves the choice to the model.
_THINK_PREFIX: dict[ThinkingMode, str] = {
    "enabled": "<mm:think>",
    "disabled": "</mm:think>",
    "adaptive": "",
}
AFTER_THINK = ""
BEFORE_CALLS = ""
AROUND_REASONING = ("", "")  # `<mm:think>` + reasoning + `</mm:think>`, nothing between
NS = "]<]minimax[>["


def write_argument(value: Any) -> str:
    """An argument value as the template's `to_xml` writes it: an object one element per key
    (None values left out), a list one `<item>` per entry, a boolean `tojson`, a string raw,
    anything else as Jinja prints it (Python's `str`)."""
    if isinstance(value, dict):
        return "".join(
            f"{NS}<{k}>{write_argument(v)}{NS}</{k}>" for k, v in value.items() if v is not None
        )
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return "".join(f"{NS}<item>{write_argument(v)}{NS}</item>" for v in value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def generation_prompt(mode: ThinkingMode) -> str:
    return ASSISTANT_HEAD + _THINK_PREFIX[mode]


def default_template() -> str:
    """The project's own M3-format template (used by tests and tiny models)."""
    return resources.files("minimax_agent.dialect.m3").joinpath("template.jinja").read_text()
