"""The MiniMax-M2.x format (M2, M2.1, M2.5, M2.7 share it) as a `Dialect`.

- `template.py`, `template.jinja`: the project's own template and the facts of what it writes;
- `tags.py`, `parser.py`, `invoke.py`, `arguments.py`: the streaming parser of its output;
- `grammar.py`: GBNF for well-formed tool calls (`--constrain-tools`).

Reach it through `minimax_agent.dialect.dialect_for`, never by importing this package.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from minimax_agent.dialect.m2 import tags
from minimax_agent.dialect.m2 import template as facts
from minimax_agent.dialect.m2.parser import StreamParser, parse_complete
from minimax_agent.dialect.template_dialect import TemplateDialect

if TYPE_CHECKING:
    from minimax_agent.dialect import Dialect
    from minimax_agent.events import Event
    from minimax_agent.messages import AssistantMessage, ToolSpec


class M2Dialect(TemplateDialect):
    _facts, _tags = facts, tags
    name = "m2"
    generation_prompt = facts.GENERATION_PROMPT
    thinking_mode = None  # the template has none: every turn starts inside the reasoning

    def with_thinking(self, mode: str) -> M2Dialect:
        if mode == "enabled":
            return self  # what M2 always does
        raise ValueError("MiniMax-M2.x has no thinking mode (it always reasons); only M3 has")

    def stream_parser(
        self, tools: Sequence[ToolSpec] = (), *, in_reasoning: bool = True
    ) -> StreamParser:
        return StreamParser(tools, in_reasoning=in_reasoning)

    def parse_complete(
        self, text: str, tools: Sequence[ToolSpec] = (), *, in_reasoning: bool = True
    ) -> tuple[list[Event], AssistantMessage]:
        return parse_complete(text, tools, in_reasoning=in_reasoning)

    def call_grammar(self, tools: Sequence[ToolSpec], max_chars: int | None = None) -> str:
        from minimax_agent.dialect.m2.grammar import call_block_grammar

        return call_block_grammar(tools, max_chars)

    def turn_grammar(self, tools: Sequence[ToolSpec], max_chars: int | None = None) -> str:
        from minimax_agent.dialect.m2.grammar import whole_turn_grammar

        return whole_turn_grammar(tools, max_chars)

    def __repr__(self) -> str:
        return "M2Dialect()"


DIALECT: Dialect = M2Dialect()
