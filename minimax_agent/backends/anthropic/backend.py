"""The Anthropic Messages API backend: stream one assistant turn from `/v1/messages`.

It is the OpenAI-compatible backend with another wire: the same turn deadline, stall budget,
retries (429, 529 and 5xx with backoff, only while nothing was shown), key handling, model
lookup and context window (backends/openai/backend.py); its own request body (wire.py), stream
assembly (stream.py), paths and headers (transport.py), and an exact token count where the
endpoint offers `count_tokens`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from minimax_agent.backends.anthropic.stream import AnthropicTurn
from minimax_agent.backends.anthropic.transport import AnthropicTransport
from minimax_agent.backends.anthropic.wire import build_body, prompt_body
from minimax_agent.backends.base import Request
from minimax_agent.backends.openai.backend import OpenAIBackend, StreamedTurn
from minimax_agent.backends.openai.transport import Transport
from minimax_agent.errors import BackendError, ConfigError
from minimax_agent.messages import Message, ToolSpec
from minimax_agent.providers import Provider

if TYPE_CHECKING:
    from minimax_agent.config import Settings


class AnthropicBackend(OpenAIBackend):
    transport_class: ClassVar[type[Transport]] = AnthropicTransport

    def __init__(self, provider: Provider, **options: Any) -> None:
        super().__init__(provider, **options)
        self.name = f"anthropic:{provider.name}"

    @classmethod
    def from_spec(cls, settings: Settings, arg: str) -> OpenAIBackend:
        """`--backend anthropic[:NAME]`: the ARG is a short form of `--provider NAME`, and
        the endpoint is spoken to through the Messages API whatever its preset says."""
        update: dict[str, Any] = {"api": "anthropic"}
        if arg:
            update["provider"] = arg
        return cls.from_settings(settings.model_copy(update=update))

    def _body(self, request: Request) -> dict[str, Any]:
        return build_body(
            self.provider,
            self.model,
            request.messages,
            request.tools,
            max_tokens=request.max_tokens,
            temperature=self.temperature,
            top_p=self.top_p,
            top_k=self.top_k,
            tool_choice=request.tool_choice,
        )

    def _assembler(self, request: Request) -> StreamedTurn:
        return AnthropicTurn(request.tools)

    def count_tokens(self, messages: Sequence[Message], tools: Sequence[ToolSpec]) -> int | None:
        """The prompt's exact length from the endpoint's `count_tokens`, or None where it has
        none (then the context is estimated, as for any endpoint)."""
        transport = self.transport
        if not isinstance(transport, AnthropicTransport) or not transport.counting:
            return None
        try:
            body = prompt_body(self.model, list(messages), list(tools))
        except (ConfigError, BackendError):
            return None
        return transport.count(body)
