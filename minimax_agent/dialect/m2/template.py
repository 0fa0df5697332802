"""The M2 chat template: the project's own copy, and what the template writes that the backends
rely on (where a turn ends, where the output starts, the layout around reasoning and calls).

These are facts of the official M2.x template too (M2, M2.1, M2.5 and M2.7 share it); the
project's own `template.jinja` writes the same turns for the tests and the tiny model.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

BOS = "]~!b["
EOS = "[e~["  # ends every turn; the model's end-of-turn token
# The generation prompt: the model's output starts inside its reasoning.
GENERATION_PROMPT = "]~b]ai\n<think>\n"
# What the template writes after `</think>` before the visible text, and before the call block.
AFTER_THINK = "\n\n"
BEFORE_CALLS = "\n"
# What it writes after `<think>` and before `</think>` (around the stripped reasoning).
AROUND_REASONING = ("\n", "\n")


def write_argument(value: Any) -> str:
    """A parameter value as the template writes it: a string raw, anything else `tojson`
    (Python's json.dumps with default separators, as `tojson(ensure_ascii=False)` prints)."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def default_template() -> str:
    """The project's own M2.x-format template (used by tests and the tiny model)."""
    return resources.files("minimax_agent.dialect.m2").joinpath("template.jinja").read_text()
