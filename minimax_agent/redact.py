"""Secrets never leave the agent: one `Redactor` that every output runs its text through.

What is redacted, wherever it appears:

- the resolved provider key and the secret header values of the provider's config (learned
  with `add_secrets` when a run's backend is built);
- the value of every environment variable whose name looks secret (`tools.environment`'s
  name patterns: `*KEY`, `*TOKEN*`, `*SECRET*`, `*PASSWORD*`, `AWS_SECRET_ACCESS_KEY`, ...) and
  the password of every URL with credentials in the environment (`DATABASE_URL`), each at least
  `MIN_SECRET_CHARS` long; also in their JSON-escaped forms, so serialized text redacts too;
- credentials in any URL: `scheme://user:password@host` becomes `scheme://[redacted]@host`.

The outputs: session files, `--trace`, `fix --output-format json|stream-json`, the headless
text output and the REPL. What goes back to the model is not redacted: it needs the real bytes
to edit a file that holds a secret (a redacted read followed by a write would replace the user's
secret with `[redacted]`), and its own text must come back to it exactly as generated.

Why a process-wide `current()` rather than an object passed to each sink: the sinks (trace,
hooks, session writer) are created in five places (fix, review, the REPL, `/trace`, the
conversation), most of them before the provider key is resolved in `build_agent`. So
`build_agent` adds the key with `add_secrets` and every sink asks `current()` when it writes.
Within a run the environment and the learned keys do not change, so `current()` hands back the
same Redactor for the whole run; it is rebuilt only when they change (a test's patched env).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from tools.environment import MIN_SECRET_CHARS, URL_CREDENTIALS, secret_name

if TYPE_CHECKING:
    from minimax_agent.events import AgentEvent, ToolCall

REDACTED = "[redacted]"
_URL_REDACTED = "://" + REDACTED + "@"
# Field names whose values are secret whatever they hold (request headers and bodies).
# Whole words only: `max_tokens` or `prompt_tokens` are data, `access_token` is not.
SECRET_FIELDS = re.compile(
    r"(^|[-_])(authorization|api[-_]?key|key|token|secret|password|cookie)$", re.I
)
# `value` stops descending here; deeper data is still redacted by the text pass every JSON
# sink runs over the line it writes.
MAX_DEPTH = 64
# a streamed word longer than this is let through in pieces
MAX_HOLD = 512


class Redactor:
    """Replaces known secret values and URL credentials in text and JSON-shaped data."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        found = {s for s in secrets if s and len(s) >= MIN_SECRET_CHARS and s not in REDACTED}
        # the forms a secret takes inside serialized JSON, so a written line redacts as well
        forms = {f for s in found for f in _json_forms(s)}
        self.secrets: tuple[str, ...] = tuple(sorted(found, key=len, reverse=True))
        # longest first: where one secret contains another, the whole of it goes
        self._forms = tuple(sorted(found | forms, key=len, reverse=True))

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str] | None = None, extra: Iterable[str | None] = ()
    ) -> Redactor:
        return cls([*environment_secrets(os.environ if environ is None else environ), *extra])

    def __repr__(self) -> str:  # never the values themselves
        return f"Redactor({len(self.secrets)} secrets)"

    def text(self, text: str) -> str:
        # `in` and `replace` scan in C, about four times as fast as one regex alternation of
        # the same strings (benchmarks/redact_overhead.py); most text holds no secret at all
        for form in self._forms:
            if form in text:
                text = text.replace(form, REDACTED)
        if "://" in text:
            text = URL_CREDENTIALS.sub(_URL_REDACTED, text)
        return text

    def value(self, value: Any, *, fields: bool = True, _depth: int = 0) -> Any:
        """`value` with its strings redacted; with `fields`, the whole value of a dict entry
        whose key names a secret (`Authorization`, `api_key`, `token`)."""
        if isinstance(value, str):
            return self.text(value)
        if _depth > MAX_DEPTH:
            return value
        if isinstance(value, dict):
            return {
                (self.text(k) if isinstance(k, str) else k): REDACTED
                if fields and isinstance(k, str) and v and SECRET_FIELDS.search(k)
                else self.value(v, fields=fields, _depth=_depth + 1)
                for k, v in value.items()
            }
        if isinstance(value, list | tuple):
            items = [self.value(v, fields=fields, _depth=_depth + 1) for v in value]
            return items if isinstance(value, list) else tuple(items)
        return value

    def stream(self) -> StreamRedactor:
        return StreamRedactor(self)

    def holdback(self, text: str) -> int:
        """How many characters at the end of `text` could still become part of a secret or a
        URL's credentials once more text arrives: the last word, and any tail that starts a
        known secret (a secret may hold spaces)."""
        hold = 0
        if text and not text[-1].isspace():  # it ends inside a word
            space = max(text.rfind(c) for c in " \t\n\r\f\v")
            hold = min(len(text) - space - 1, MAX_HOLD)
        for secret in self.secrets:
            start = max(0, len(text) - len(secret) + 1)
            at = text.find(secret[0], start)
            while at != -1:
                if secret.startswith(text[at:]):
                    hold = max(hold, len(text) - at)
                    break
                at = text.find(secret[0], at + 1)
        return hold


class StreamRedactor:
    """Redacts text that arrives in pieces (streamed deltas): a secret split between two pieces
    is still found. The cost is a lag of one word: the tail that could still grow into a secret
    waits for the next piece, or for `flush` at the end of the stream."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self._held = ""

    def feed(self, piece: str) -> str:
        # redact first, so a complete secret is never cut in two by the hold
        text = self.redactor.text(self._held + piece)
        cut = len(text) - self.redactor.holdback(text)
        self._held = text[cut:]
        return text[:cut]

    def flush(self) -> str:
        text, self._held = self._held, ""
        return self.redactor.text(text) if text else ""


class EventRedactor:
    """Agent events as a sink may show them: deltas of each kind through one stream redactor,
    tool calls and results with their secrets redacted. A sink passes every event through it
    and shows what comes back: nothing yet for a delta whose tail is held back, that tail
    first before the next event of another kind. The end of a turn (`Finish`) releases it."""

    def __init__(self) -> None:
        self._redactor: Redactor | None = None
        self._streams: dict[type, StreamRedactor] = {}

    def __call__(self, event: AgentEvent) -> list[AgentEvent]:
        from minimax_agent.events import (
            ReasoningDelta,
            StepStarted,
            TextDelta,
            ToolCall,
            ToolOutcome,
        )

        if isinstance(event, TextDelta | ReasoningDelta):
            kind = type(event)
            # the other kind's tail first: the order of what was streamed is kept
            shown = self.flush(but=kind)
            stream = self._streams.get(kind)
            if stream is None:
                stream = self._streams[kind] = self.redactor.stream()
            piece = stream.feed(event.text)
            return [*shown, kind(piece)] if piece else shown
        shown = self.flush()
        if isinstance(event, StepStarted):
            self._redactor = None  # what the process knows may have grown between steps
        redactor = self.redactor
        if isinstance(event, ToolCall):
            event = _redacted_call(event, redactor)
        elif isinstance(event, ToolOutcome):
            event = dataclasses.replace(
                event,
                call=_redacted_call(event.call, redactor),
                content=redactor.text(event.content),
            )
        return [*shown, event]

    def flush(self, *, but: type | None = None) -> list[AgentEvent]:
        """The deltas still held back, in full (at the end of a stream), of every kind but
        `but`."""
        shown: list[AgentEvent] = []
        for kind in [k for k in self._streams if k is not but]:
            rest = self._streams.pop(kind).flush()
            if rest:
                shown.append(kind(rest))
        return shown

    @property
    def redactor(self) -> Redactor:
        """The Redactor of the current step."""
        if self._redactor is None:
            self._redactor = current()
        return self._redactor


def _redacted_call(call: ToolCall, redactor: Redactor) -> ToolCall:
    return dataclasses.replace(
        call,
        arguments=redactor.value(call.arguments, fields=False),
        error=redactor.text(call.error) if call.error else call.error,
    )


class RedactingFormatter(logging.Formatter):
    """Log lines redacted like every other output (a retry warning names the base URL)."""

    def format(self, record: logging.LogRecord) -> str:
        return current().text(super().format(record))


def _json_forms(secret: str) -> set[str]:
    return {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}


def environment_secrets(environ: Mapping[str, str]) -> list[str]:
    """The values worth redacting in `environ`: those of secret-looking names (and their
    stripped forms), and the userinfo and password of URLs with credentials."""
    from urllib.parse import unquote

    found: list[str] = []
    for name, value in environ.items():
        if secret_name(name):
            found += [value, value.strip()]
        if "://" in value:
            for match in URL_CREDENTIALS.finditer(value):
                userinfo = match.group()[3:-1]
                password = userinfo.partition(":")[2]
                found += [userinfo, password, unquote(password)]
    return found


def header_secrets(fields: Mapping[str, Any]) -> list[str]:
    """Values of secret-looking fields (headers, body fields) in a provider config, with a
    `Bearer ` prefix taken off as well."""
    found: list[str] = []
    for key, value in fields.items():
        if isinstance(value, str) and SECRET_FIELDS.search(key):
            found += [value, value.partition(" ")[2]]
    return found


_learned: dict[str, None] = {}
_cached: tuple[object, Redactor] | None = None


def add_secrets(*values: str | None) -> None:
    """Secrets known only at run time (the resolved provider key): redacted from now on in
    this process, by every sink."""
    for value in values:
        if value and len(value) >= MIN_SECRET_CHARS:
            _learned[value] = None


def current() -> Redactor:
    """The Redactor for what this process knows now (environment and learned secrets)."""
    global _cached
    state = (frozenset(os.environ.items()), len(_learned))
    if _cached is None or _cached[0] != state:
        _cached = (state, Redactor.from_environment(os.environ, _learned))
    return _cached[1]
