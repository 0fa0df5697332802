"""The MiniMax-M3 format (M3, M3.1-Flash share it) as a `Dialect`.

- `template.py`, `template.jinja`: the project's own template and the facts of what it writes;
- `tags.py`, `parser.py`, `values.py`: the streaming parser of its output, arguments typed by
  the schema;
- `grammar.py`: GBNF for well-formed tool calls (`--constrain-tools`).

Unlike M2, where the output starts depends on the template's `thinking_mode` (enabled,
disabled, adaptive): a dialect object carries one mode, passes it to the template, and reads
`in_reasoning=True` ("the output follows this dialect's generation prompt") accordingly. The
registered one thinks (enabled), as M2 always does; `with_thinking` gives the others.

Reach it through `minimax_agent.dialect.dialect_for`, never by importing this package.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from minimax_agent.dialect.m3 import tags
from minimax_agent.dialect.m3 import template as facts
from minimax_agent.dialect.m3.parser import Start, StreamParser
from minimax_agent.dialect.m3.template import THINKING_MODES, ThinkingMode
from minimax_agent.dialect.template_dialect import TemplateDialect

if TYPE_CHECKING:
    from minimax_agent.dialect import Dialect
    from minimax_agent.events import Event
    from minimax_agent.messages import AssistantMessage, ToolSpec

_STARTS: dict[ThinkingMode, Start] = {
    "enabled": "reasoning",
    "disabled": "text",
    "adaptive": "undecided",
}


class M3Dialect(TemplateDialect):
    """`render` passes the template this object's `thinking_mode`."""

    _facts, _tags = facts, tags
    name = "m3"

    def __init__(self, thinking_mode: ThinkingMode = "enabled") -> None:
        if thinking_mode not in THINKING_MODES:
            raise ValueError(f"thinking_mode must be one of {', '.join(THINKING_MODES)}")
        self.thinking_mode: ThinkingMode = thinking_mode

    def with_thinking(self, mode: str) -> M3Dialect:
        """This format with another `thinking_mode` (what `--thinking` chooses)."""
        if mode == self.thinking_mode:
            return self
        for known in THINKING_MODES:  # narrowed to the Literal by the loop, not a cast
            if mode == known:
                return M3Dialect(known)
        raise ValueError(f"thinking_mode must be one of {', '.join(THINKING_MODES)}")

    @property
    def generation_prompt(self) -> str:
        return facts.generation_prompt(self.thinking_mode)

    def _start(self, in_reasoning: bool) -> Start:
        # False: the content of a server that may or may not have opened the reasoning.
        return _STARTS[self.thinking_mode] if in_reasoning else "undecided"

    def stream_parser(
        self, tools: Sequence[ToolSpec] = (), *, in_reasoning: bool = True
    ) -> StreamParser:
        return StreamParser(tools, start=self._start(in_reasoning))

    def parse_complete(
        self, text: str, tools: Sequence[ToolSpec] = (), *, in_reasoning: bool = True
    ) -> tuple[list[Event], AssistantMessage]:
        from minimax_agent.dialect.m3.parser import parse_complete

        return parse_complete(text, tools, start=self._start(in_reasoning))

    def call_grammar(self, tools: Sequence[ToolSpec], max_chars: int | None = None) -> str:
        from minimax_agent.dialect.m3.grammar import call_block_grammar

        return call_block_grammar(tools, max_chars)

    def turn_grammar(self, tools: Sequence[ToolSpec], max_chars: int | None = None) -> str:
        from minimax_agent.dialect.m3.grammar import whole_turn_grammar

        return whole_turn_grammar(tools, max_chars, self.thinking_mode)

    def __repr__(self) -> str:
        return f"M3Dialect(thinking_mode={self.thinking_mode!r})"


DIALECT: Dialect = M3Dialect()
