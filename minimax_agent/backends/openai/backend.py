"""The OpenAI-compatible backend: stream one assistant turn from a Chat Completions endpoint.

A turn has one deadline, retries included: `turn_timeout_s` from its start, or the run's own
deadline (`Request.deadline`, from max_wall_s) when that comes first. Stalls (reads that time
out) are retried only while the time they cost stays within STALL_BUDGET_S, so one stall costs
minutes, not `read_timeout_s` times the retries. An empty 200 reply is retried like a failure.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from minimax_agent.backends.base import Backend, Request
from minimax_agent.backends.openai.assemble import MalformedChunk, StreamFailed, TurnAssembler
from minimax_agent.backends.openai.transport import (
    MAX_RETRY_AFTER_S,
    Deadline,
    Retryable,
    Transport,
)
from minimax_agent.backends.openai.wire import build_body
from minimax_agent.dialect import Dialect, choose_dialect
from minimax_agent.errors import BackendError, ConfigError
from minimax_agent.events import Event, Finish, Usage
from minimax_agent.messages import AssistantMessage
from minimax_agent.providers import Provider, known_context_window, model_id, resolve_provider

if TYPE_CHECKING:
    from minimax_agent.config import Settings
    from minimax_agent.config_sections import EndpointSettings, GenerationSettings

log = logging.getLogger("minimax_agent")

MAX_BACKOFF_S = 30.0
# Reads of one turn that time out may cost this much in all, and the first one always runs:
# with the 120 s default read timeout, a stalled endpoint gets one retry (4 minutes, not 25).
STALL_BUDGET_S = 300.0


class StreamedTurn(Protocol):
    """One attempt at a turn as its chunks arrive: `TurnAssembler` here, the Anthropic
    backend's own (backends/anthropic/stream.py) there; the retry loop below serves both."""

    chunks: int
    finish_reason: str | None
    end_markers: str  # what a complete stream ends with, for the cut-stream line

    @property
    def finished(self) -> bool: ...
    def feed(self, chunk: dict[str, Any]) -> list[Event]: ...
    def finish(self) -> tuple[list[Event], AssistantMessage]: ...
    def emptiness(self, message: AssistantMessage) -> str | None: ...
    def usage_event(self) -> Usage | None: ...


class OpenAIBackend(Backend):
    # the HTTP side; the Anthropic backend gives its own (other paths, headers)
    transport_class: ClassVar[type[Transport]] = Transport

    @property
    def concurrent_requests(self) -> bool:
        # one pooled httpx client serves requests from several threads (subagents at once)
        return True

    def __init__(
        self,
        provider: Provider,
        *,
        model: str | None = None,
        temperature: float = 1.0,
        top_p: float = 0.95,
        top_k: int = 40,
        max_retries: int = 4,
        retry_backoff_s: float = 1.0,
        connect_timeout_s: float = 10.0,
        read_timeout_s: float = 120.0,
        turn_timeout_s: float = 1800.0,
        stall_budget_s: float = STALL_BUDGET_S,
        dialect: str | None = None,
        thinking: str | None = None,
    ) -> None:
        self.provider = provider
        # `--dialect` / `--thinking`; without them the model's name picks the format
        self._dialect_choice = (dialect, thinking)
        self.name = f"openai:{provider.name}"
        # `--model M2.5` names the family member; the preset knows its id for it
        self._model = model_id(provider.name, model or provider.config.model)
        self.temperature, self.top_p, self.top_k = temperature, top_p, top_k
        self.max_retries = max_retries
        self.retry_backoff_s = retry_backoff_s
        self.read_timeout_s = read_timeout_s
        self.turn_timeout_s = turn_timeout_s
        self.stall_budget_s = stall_budget_s
        self.transport = self.transport_class(
            provider, connect_timeout_s=connect_timeout_s, read_timeout_s=read_timeout_s
        )
        # A choice the format refuses (`--dialect m9`, M2 with `--thinking disabled`) fails
        # now; with no model named, only the server's answer will tell the format.
        if dialect is not None or (thinking is not None and self._model is not None):
            _ = self.dialect

    @classmethod
    def from_spec(cls, settings: Settings, arg: str) -> OpenAIBackend:
        """`--backend openai[:NAME]`: the ARG is a short form of `--provider NAME`."""
        return cls.from_settings(settings.model_copy(update={"provider": arg}) if arg else settings)

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIBackend:
        return cls.from_sections(settings.generation, settings.endpoint)

    @classmethod
    def from_sections(
        cls, generation: GenerationSettings, endpoint: EndpointSettings
    ) -> OpenAIBackend:
        """The model and its sampling, and where requests go, how long they wait, how they
        retry: all this backend reads of the settings."""
        return cls(
            resolve_provider(endpoint),
            model=generation.model,
            temperature=generation.temperature,
            top_p=generation.top_p,
            top_k=generation.top_k,
            max_retries=endpoint.max_retries,
            retry_backoff_s=endpoint.retry_backoff_s,
            connect_timeout_s=endpoint.connect_timeout_s,
            read_timeout_s=endpoint.read_timeout_s,
            turn_timeout_s=endpoint.turn_timeout_s,
            dialect=generation.dialect,
            thinking=generation.thinking,
        )

    def secrets(self) -> tuple[str, ...]:
        """The resolved key and the secret-looking values of the preset's headers and body
        fields (an `Authorization` header, a `key` field)."""
        from minimax_agent import redact

        config = self.provider.config
        found = [
            *redact.header_secrets(config.headers),
            *redact.header_secrets(config.extra_body),
        ]
        key = [self.provider.api_key] if self.provider.api_key else []
        return tuple(key + found)

    def close(self) -> None:
        """Close the HTTP client and its pooled connections."""
        self.transport.close()

    @property
    def context_window(self) -> int | None:
        """Tokens the model takes: the preset's figure for its own model or a family model it
        knows the id of (`providers.MODEL_IDS`), else what `/models`
        advertises for this one (vLLM and SGLang `max_model_len`, OpenRouter
        `context_length`), else None (unknown: only an overflow error triggers compaction)."""
        known = known_context_window(self.provider, self._model)
        if known:
            return known
        try:
            model = self.model
            entries = self.transport.model_entries() or []
        except (ConfigError, BackendError):
            return None  # the first request says so, where it belongs
        for entry in entries:
            if entry["id"] == model:
                for key in ("max_model_len", "context_length"):
                    value = entry.get(key)
                    if isinstance(value, int) and value > 0:
                        return value
        return None

    @property
    def dialect(self) -> Dialect:
        """The model's format: `--dialect` when given, else the one its name says; rendering
        with `--thinking` (the parser then knows where the content starts)."""
        dialect, thinking = self._dialect_choice
        name = self._model if dialect is not None else self.model
        return choose_dialect(model_name=name, dialect=dialect, thinking=thinking)

    @property
    def model_name(self) -> str | None:
        return self._model

    @property
    def model(self) -> str:
        """The model name; a local server that was given none is asked what it serves."""
        if self._model is None:
            served = self.transport.list_models()
            if not served:
                raise ConfigError(
                    f"no model named for {self.provider.name} and {self.provider.base_url}/models "
                    "lists none: pass --model NAME"
                )
            self._model = served[0]
        return self._model

    def stream(self, request: Request) -> Iterator[Event]:
        if self.transport.closed:
            raise BackendError(f"the connection to {self.provider.name} was closed")
        body = self._body(request)
        try:
            yield from self._turn(request, body)
        except BackendError as exc:
            exc.request = body  # for --trace: the one step whose request matters most
            raise

    def _body(self, request: Request) -> dict[str, Any]:
        """The request body for this API (the Anthropic backend builds its own)."""
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
            dialect=self.dialect,
        )

    def _turn(self, request: Request, body: dict[str, Any]) -> Iterator[Event]:
        model = self.model
        deadline = self._deadline(request)
        attempt = 0
        stalled_s = 0.0  # spent in attempts that ended in a read timeout
        while True:
            turn = self._assembler(request)
            yielded = 0
            began = time.monotonic()
            try:
                done = False
                chunks = self.transport.chunks(body, model, deadline)
                try:
                    for chunk in chunks:
                        if chunk is None:
                            done = True
                            break
                        for event in turn.feed(chunk):
                            yielded += 1
                            yield event
                finally:
                    chunks.close()  # on Ctrl-C too: the connection is closed, not left open
                if not (done or turn.finished):
                    raise Retryable(
                        f"the stream from {self.provider.name} ended before the turn finished "
                        f"(after {turn.chunks} chunks, {turn.end_markers})"
                    )
                events, message = turn.finish()
                empty = turn.emptiness(message)
                if empty:
                    raise Retryable(f"{self.provider.name} sent an empty reply ({empty})")
            except (Retryable, MalformedChunk, StreamFailed) as exc:
                if isinstance(exc, Retryable) and exc.timed_out:
                    stalled_s += time.monotonic() - began
                self._wait_or_give_up(exc, attempt, yielded, deadline, stalled_s)
                attempt += 1
                continue
            break
        yield from events
        usage = turn.usage_event()
        if usage is not None:
            yield usage
        reason = "tool_calls" if message.tool_calls else (turn.finish_reason or "stop")
        yield Finish(reason=reason, message=message, request=body)

    def _assembler(self, request: Request) -> StreamedTurn:
        """A fresh assembler for one attempt at the turn."""
        return TurnAssembler(
            request.tools,
            starts_in_reasoning=self.provider.config.starts_in_reasoning,
            dialect=self.dialect,  # the format is the model's
        )

    def _deadline(self, request: Request) -> Deadline:
        """The turn's deadline: turn_timeout_s from now, or the run's, whichever comes first."""
        name = self.provider.name
        own = time.monotonic() + self.turn_timeout_s
        if request.deadline is not None and request.deadline <= own:
            return Deadline(
                request.deadline,
                f"the run's time limit (max_wall_s) ran out while waiting for {name}; "
                "the turn was stopped",
            )
        return Deadline(
            own,
            f"no complete answer from {name} within turn_timeout_s "
            f"({self.turn_timeout_s:g}s); the turn was stopped (keep-alive comments do not "
            "extend it)",
        )

    def _wait_or_give_up(
        self, exc: Exception, attempt: int, yielded: int, deadline: Deadline, stalled_s: float
    ) -> None:
        """Sleep before the next attempt, or raise the one line the user sees."""
        what = (
            str(exc)
            if isinstance(exc, Retryable)
            else f"bad stream from {self.provider.name}: {exc}"
        )
        if yielded:
            # Events already went to the caller; a new attempt would send them again, and a
            # sampled answer would not even be the same one.
            raise BackendError(
                f"{what}; the turn had already started streaming, so it was not retried"
            )
        wait = exc.retry_after if isinstance(exc, Retryable) else None
        if wait is not None and wait > MAX_RETRY_AFTER_S:
            raise BackendError(f"{what}; the server asks to wait {wait:.0f}s, so giving up")
        tries = f"{attempt + 1} attempt{'s' if attempt else ''}"
        if attempt >= self.max_retries:
            raise BackendError(f"{what} (gave up after {tries})")
        if stalled_s and stalled_s + self.read_timeout_s > self.stall_budget_s:
            raise BackendError(
                f"{what} (gave up after {tries}: {stalled_s:.0f}s of this turn went to reads "
                f"that timed out; read_timeout_s is {self.read_timeout_s:g}s)"
            )
        if wait is None:
            wait = min(MAX_BACKOFF_S, self.retry_backoff_s * 2**attempt)
        if deadline.left() <= wait:
            raise BackendError(f"{what}; no time left to retry: {deadline.message}")
        log.warning(
            "%s; retrying in %.1fs (%d/%d)",
            *(what, wait, attempt + 1, self.max_retries),
            # the words the display shows (ui/log_notices.py); the log keeps the line above
            extra={"notice": f"retrying in {wait:g} s: {what}", "notice_kind": "retry"},
        )
        time.sleep(wait)
