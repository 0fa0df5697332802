"""Model formats ("dialects"): how a conversation becomes a prompt, how the generated text is
parsed, how tool calls are constrained, and the template facts the backends rely on.

The format is chosen here and only here (`dialect_for`): by the GGUF's `general.architecture`
for a local model, by the model's name for an endpoint. Nothing outside this package imports a
dialect's own modules; callers use what `Dialect` declares. Adding a format means adding its
package (`m3/`) and one line in `REGISTRY`.

Format-neutral helpers live beside the registry: `chat_template` (Jinja rendering the way
Hugging Face does it, `TemplateError`), `json_args` (JSON tool-call arguments, also used for
native `tool_calls`) and `call_ids`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from minimax_agent.events import Event, ToolCall
    from minimax_agent.messages import AssistantMessage, Message, ToolSpec


@runtime_checkable
class TurnParser(Protocol):
    """Parses one assistant turn as it streams: events as soon as they are certain."""

    calls: list[ToolCall]

    @property
    def raw(self) -> str: ...

    @property
    def reasoning(self) -> str: ...

    @property
    def text(self) -> str: ...

    def feed(self, chunk: str) -> list[Event]: ...

    def reasoning_elsewhere(self) -> list[Event]:
        """The endpoint sends the reasoning in a field of its own: the content is visible."""
        ...

    def finish(self) -> list[Event]: ...

    def message(self, **provider_fields: object) -> AssistantMessage: ...


@runtime_checkable
class Dialect(Protocol):
    """One model format, as the backends, doctor and the tiny-model writer use it."""

    @property
    def name(self) -> str:
        """The registry key ("m2")."""
        ...

    # -- template facts: what the format's chat template writes ---------------------------------
    @property
    def eos(self) -> str:
        """The end-of-turn text (and token) that closes every turn."""
        ...

    @property
    def generation_prompt(self) -> str:
        """What the template appends for the model to answer; the output starts after it."""
        ...

    @property
    def think_open(self) -> str: ...

    @property
    def think_close(self) -> str:
        """Ends the reasoning; a tool-call tag after it is a real call."""
        ...

    @property
    def block_open(self) -> str:
        """Opens a block of tool calls (where the lazy tool grammar switches on)."""
        ...

    @property
    def after_think(self) -> str:
        """The layout the template writes between the reasoning's close and the text."""
        ...

    @property
    def before_calls(self) -> str:
        """The layout the template writes between the text and the call block."""
        ...

    @property
    def around_reasoning(self) -> tuple[str, str]:
        """The layout the template writes after `think_open` and before `think_close` (M2:
        a newline each; a server's reasoning field often keeps the second)."""
        ...

    @property
    def thinking_mode(self) -> str | None:
        """The template's `thinking_mode` this object renders with; None: the format has none
        (M2 always reasons)."""
        ...

    def with_thinking(self, mode: str) -> Dialect:
        """This format rendering with `thinking_mode` `mode` (`--thinking`); ValueError saying
        why for a mode the format does not have."""
        ...

    def write_argument(self, value: Any) -> str:
        """The text the template writes for one tool-call argument value (what the echo
        compares with what the model wrote)."""
        ...

    # -- behaviour ------------------------------------------------------------------------------
    def default_template(self) -> str:
        """The project's own chat template for this format (tests, tiny models, GGUFs without
        one)."""
        ...

    def render(
        self,
        template: str,
        messages: list[Message],
        tools: list[ToolSpec] | None = None,
        *,
        add_generation_prompt: bool = True,
    ) -> str:
        """The prompt text `template` renders for the conversation (TemplateError if it
        refuses)."""
        ...

    def stream_parser(
        self, tools: Sequence[ToolSpec] = (), *, in_reasoning: bool = True
    ) -> TurnParser:
        """A parser for one turn; `in_reasoning`: the prompt ended inside the reasoning."""
        ...

    def parse_complete(
        self, text: str, tools: Sequence[ToolSpec] = (), *, in_reasoning: bool = True
    ) -> tuple[list[Event], AssistantMessage]:
        """A whole turn parsed at once."""
        ...

    def call_grammar(self, tools: Sequence[ToolSpec], max_chars: int | None = None) -> str:
        """GBNF for the rest of a call block, from just after `block_open`."""
        ...

    def turn_grammar(self, tools: Sequence[ToolSpec], max_chars: int | None = None) -> str:
        """GBNF for a whole turn that must end in a tool call."""
        ...


@dataclass(frozen=True)
class Entry:
    target: str  # "module:attribute" of the Dialect object, imported on first use
    architectures: tuple[str, ...]  # GGUF `general.architecture` values in this format
    model_names: str  # a regex searched (case-insensitive) in an endpoint's model name


REGISTRY: dict[str, Entry] = {
    "m2": Entry("minimax_agent.dialect.m2:DIALECT", ("minimax-m2",), r"minimax[-_ ]?m2"),
    "m3": Entry("minimax_agent.dialect.m3:DIALECT", ("minimax-m3",), r"minimax[-_ ]?m3"),
}
# An architecture or model name no entry claims gets this one: every MiniMax model before M3
# speaks M2, and an endpoint's model is often an alias.
DEFAULT = "m2"
# Every architecture some dialect reads: what the local backend accepts.
ARCHITECTURES = tuple(arch for entry in REGISTRY.values() for arch in entry.architectures)


@cache
def dialect_named(name: str) -> Dialect:
    """The registered dialect `name` (KeyError for a name not in `REGISTRY`)."""
    module, _, attribute = REGISTRY[name].target.partition(":")
    dialect: Dialect = getattr(import_module(module), attribute)
    return dialect


def dialect_name(architecture: str | None = None, model_name: str | None = None) -> str:
    """The registry key for a GGUF architecture or, failing that, a model name."""
    if architecture:
        for name, entry in REGISTRY.items():
            if architecture in entry.architectures:
                return name
    if model_name:
        for name, entry in REGISTRY.items():
            if re.search(entry.model_names, model_name, re.IGNORECASE):
                return name
    return DEFAULT


def dialect_for(architecture: str | None = None, model_name: str | None = None) -> Dialect:
    """The dialect of a GGUF's `general.architecture` (`minimax-m2`) or of a model name
    (`MiniMax-M2.1`, `minimax/minimax-m2.5`); `DEFAULT` when neither says."""
    return dialect_named(dialect_name(architecture, model_name))


def choose_dialect(
    architecture: str | None = None,
    model_name: str | None = None,
    *,
    dialect: str | None = None,
    thinking: str | None = None,
) -> Dialect:
    """The dialect a backend speaks: `dialect` (`--dialect`) when given, else the one the
    architecture or model name picks (`dialect_for`); rendering with `thinking`
    (`--thinking`) when given. A ConfigError for a name no entry has, or a thinking mode the
    format does not have: M2 always reasons, so `--thinking disabled` with M2 is refused
    rather than ignored (the user would pay for reasoning they asked not to get)."""
    from minimax_agent.errors import ConfigError

    if dialect is not None and dialect not in REGISTRY:
        raise ConfigError(f"unknown dialect {dialect!r}; known: {', '.join(REGISTRY)}")
    chosen = dialect_named(dialect or dialect_name(architecture, model_name))
    if thinking is None:
        return chosen
    try:
        return chosen.with_thinking(thinking)
    except ValueError as exc:
        raise ConfigError(f"--thinking {thinking}: {exc}") from None


__all__ = [
    "ARCHITECTURES",
    "DEFAULT",
    "REGISTRY",
    "Dialect",
    "Entry",
    "TurnParser",
    "choose_dialect",
    "dialect_for",
    "dialect_name",
    "dialect_named",
]
