"""Render a conversation to prompt text with the model's own Jinja chat template, the way
Hugging Face transformers does (sandboxed, trim_blocks, lstrip_blocks, tojson, raise_exception).

Format-neutral: every MiniMax format ships as a Jinja chat template rendered this way, so each
dialect renders through here with its own template and the variables it reads."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NoReturn

from minimax_agent.errors import TemplateError
from minimax_agent.messages import Message, ToolSpec, template_messages

if TYPE_CHECKING:
    from jinja2 import Template


def _tojson(value: Any, indent: int | None = None, ensure_ascii: bool = False) -> str:
    return json.dumps(value, indent=indent, ensure_ascii=ensure_ascii)


def _raise(message: str) -> NoReturn:
    raise TemplateError(f"chat template: {message}")


@lru_cache(maxsize=8)
def _compile(source: str) -> Template:
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise
    try:
        return env.from_string(source)
    except jinja2.TemplateError as exc:
        raise TemplateError(f"chat template does not compile: {exc}") from None


def render_prompt(
    template: str,
    messages: list[Message],
    tools: list[ToolSpec] | None = None,
    *,
    add_generation_prompt: bool = True,
    **extra: Any,
) -> str:
    import jinja2

    try:
        return _compile(template).render(
            messages=template_messages(messages),
            tools=[t.openai_shape() for t in tools] if tools else None,
            add_generation_prompt=add_generation_prompt,
            **extra,
        )
    except jinja2.TemplateError as exc:
        raise TemplateError(f"chat template failed: {exc}") from None
