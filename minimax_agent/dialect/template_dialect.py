"""The half of a `Dialect` that every format built on a Jinja chat template shares.

A format's package gives its template facts (`template.py`: the default template, how it
writes an argument value, the layout it writes) as `_facts` and its tag texts (`tags.py`) as
`_tags`; the `Dialect` facts are read from them. Rendering goes through
`chat_template.render_prompt`, with the template's `thinking_mode` only for a format that has
one (M2's templates never see the variable, so what they render stays what they always
rendered).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from minimax_agent.dialect.chat_template import render_prompt

if TYPE_CHECKING:
    from minimax_agent.messages import Message, ToolSpec


class TemplateFacts(Protocol):
    """What a format's `template` module offers (a module satisfies this)."""

    EOS: str
    AFTER_THINK: str
    BEFORE_CALLS: str
    AROUND_REASONING: tuple[str, str]

    def write_argument(self, value: Any) -> str: ...

    def default_template(self) -> str: ...


class TagTexts(Protocol):
    """What a format's `tags` module offers (a module satisfies this)."""

    THINK_OPEN: str
    THINK_CLOSE: str
    BLOCK_OPEN: str


class TemplateDialect:
    """Mixin: the template facts, `write_argument`, `default_template` and `render` from
    `_facts` and `_tags`."""

    _facts: TemplateFacts
    _tags: TagTexts
    thinking_mode: str | None  # None: the template has no `thinking_mode` variable

    @property
    def eos(self) -> str:
        return self._facts.EOS

    @property
    def think_open(self) -> str:
        return self._tags.THINK_OPEN

    @property
    def think_close(self) -> str:
        return self._tags.THINK_CLOSE

    @property
    def block_open(self) -> str:
        return self._tags.BLOCK_OPEN

    @property
    def after_think(self) -> str:
        return self._facts.AFTER_THINK

    @property
    def before_calls(self) -> str:
        return self._facts.BEFORE_CALLS

    @property
    def around_reasoning(self) -> tuple[str, str]:
        return self._facts.AROUND_REASONING

    def write_argument(self, value: Any) -> str:
        return self._facts.write_argument(value)

    def default_template(self) -> str:
        return self._facts.default_template()

    def render(
        self,
        template: str,
        messages: list[Message],
        tools: list[ToolSpec] | None = None,
        *,
        add_generation_prompt: bool = True,
    ) -> str:
        mode = self.thinking_mode
        extra = {} if mode is None else {"thinking_mode": mode}
        return render_prompt(
            template, messages, tools, add_generation_prompt=add_generation_prompt, **extra
        )
