"""The MiniMax-M2.x wire format: prompt rendering and incremental output parsing."""

from minimax_agent.dialect.arguments import type_arguments
from minimax_agent.dialect.parser import StreamParser
from minimax_agent.dialect.render import TemplateError, default_template, render_prompt

EOS = "[e~["

__all__ = [
    "EOS",
    "StreamParser",
    "TemplateError",
    "default_template",
    "render_prompt",
    "type_arguments",
]
