"""HTTP for Chat Completions on httpx: one request, its SSE chunks, and what a failure means.

Failures are sorted here into the ones worth another attempt (`Retryable`: timeouts, dropped
connections, 429 and 5xx, a cut or garbled stream) and the ones that are not (`BackendError`
with one line for the user: a bad key, an unknown model, a context overflow, a passed deadline).

A turn's `Deadline` holds however the server behaves: it is checked at every piece of the body
that arrives (an SSE keep-alive comment included, so comments cannot keep a turn alive), and no
single read waits longer than the read timeout or the time the turn had left when its request
went out (httpx fixes a request's timeouts when it is sent), so a socket that goes silent near
the deadline overruns it by at most one read timeout.
"""

from __future__ import annotations

import email.utils
import json
import logging
import re
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from minimax_agent import __version__
from minimax_agent.backends.openai.sse import DONE, iter_sse_data
from minimax_agent.backends.openai.wire import headers, with_key
from minimax_agent.errors import BackendError, ConfigError, ContextOverflowError
from minimax_agent.providers import Provider
from minimax_agent.surrogates import repair

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("minimax_agent")

RETRY_STATUS = frozenset({408, 429})  # and every 5xx
MAX_RETRY_AFTER_S = 120.0
_OVERFLOW = re.compile(
    r"context.{0,20}(length|window|size|limit)|maximum context|too many tokens|prompt is too "
    r"long|reduce the length|input is too long|exceeds? the (model'?s? )?(maximum|context)|"
    r"max_model_len|maximum input length|context_length_exceeded",
    re.IGNORECASE,
)


class Retryable(Exception):
    """A failure another attempt may not meet; `retry_after` is the server's wish, in seconds;
    `timed_out` marks a stall (nothing arrived within the read timeout)."""

    def __init__(
        self, message: str, retry_after: float | None = None, *, timed_out: bool = False
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.timed_out = timed_out


@dataclass(frozen=True)
class Deadline:
    """When a turn must be over (a `time.monotonic()` value) and the line to say if it is not."""

    at: float
    message: str

    def left(self) -> float:
        return self.at - time.monotonic()

    def check(self) -> None:
        if self.left() <= 0:
            raise BackendError(self.message)


# A read timeout that fires this close to the deadline was the deadline (timers round).
_DEADLINE_SLACK_S = 0.05
_EOL = re.compile(r"\r\n|\r|\n")


def timed_lines(pieces: Iterable[str], check: Callable[[], None]) -> Iterator[str]:
    """The lines of a text stream (ended by CRLF, LF or CR, as SSE says), calling `check` at
    every piece that arrives, whether or not it completes a line."""
    line: list[str] = []
    after_cr = False  # a CRLF split between two pieces is one line end, not two
    for piece in pieces:
        check()
        if not piece:
            continue
        if after_cr and piece.startswith("\n"):
            piece = piece[1:]
        after_cr = piece.endswith("\r")
        start = 0
        for end in _EOL.finditer(piece):
            line.append(piece[start : end.start()])
            yield "".join(line)
            line = []
            start = end.end()
        if start < len(piece):
            line.append(piece[start:])
    if line:
        yield "".join(line)


def retry_after_seconds(value: str | None) -> float | None:
    """`Retry-After` as seconds: a number of seconds, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def server_message(response: httpx.Response) -> str:
    """The error text a server sent, on one line and short."""
    text = response.text
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        error = data.get("error", data)
        if isinstance(error, dict):
            found = error.get("message") or error.get("detail") or error.get("msg")
            if found:
                text = str(found)
                metadata = error.get("metadata")  # OpenRouter: the upstream's own words
                if isinstance(metadata, dict) and metadata.get("raw"):
                    text += f" ({metadata['raw']})"
        elif isinstance(error, str):
            text = error
    text = " ".join(text.split())
    return text[:400] + ("…" if len(text) > 400 else "") or response.reason_phrase


class Transport:
    def __init__(
        self,
        provider: Provider,
        *,
        connect_timeout_s: float,
        read_timeout_s: float,
    ) -> None:
        import httpx

        try:  # what the standard library accepts, httpx may not (and the other way round)
            if not httpx.URL(provider.base_url).host:
                raise httpx.InvalidURL("no host")
        except httpx.InvalidURL as exc:
            raise ConfigError(f"base URL {provider.base_url!r} is not a valid URL: {exc}") from None
        self.provider = provider
        self.connect_timeout_s = connect_timeout_s
        self.read_timeout_s = read_timeout_s
        self._models: list[dict[str, Any]] | None = None
        self._client = httpx.Client(
            timeout=httpx.Timeout(read_timeout_s, connect=connect_timeout_s),
            headers=headers(provider, f"minimax-agent/{__version__}"),
        )

    def close(self) -> None:
        self._client.close()

    @property
    def closed(self) -> bool:
        return bool(self._client.is_closed)

    @property
    def chat_url(self) -> str:
        return f"{self.provider.base_url}/chat/completions"

    @property
    def models_url(self) -> str:
        return f"{self.provider.base_url}/models"

    def list_models(self) -> list[str] | None:
        """Model ids from `GET /models`, or None when the endpoint does not answer with them."""
        ids = [str(m["id"]) for m in self.model_entries() or []]
        return ids or None

    def model_entries(self) -> list[dict[str, Any]] | None:
        """The entries of `GET /models` that have an id (asked once), or None when the
        endpoint does not answer with them."""
        if self._models is None:
            self._models = self._get_models()
        return self._models or None

    def _get_models(self) -> list[dict[str, Any]]:
        import httpx

        url = self.models_url
        try:
            response = self._client.get(url, timeout=10.0)
            data = response.json() if response.status_code == 200 else None
        except httpx.TransportError as exc:  # nothing answered: say so, not "no models"
            raise BackendError(f"cannot reach {url}: {type(exc).__name__}: {exc}") from None
        except (httpx.HTTPError, ValueError):
            return []
        items = data.get("data") if isinstance(data, dict) else data
        if not isinstance(items, list):
            return []
        return [m for m in items if isinstance(m, dict) and m.get("id")]

    def chunks(
        self, body: dict[str, Any], model: str, deadline: Deadline | None = None
    ) -> Generator[dict[str, Any] | None, None, None]:
        """POST the request; yield each chunk, then None for `[DONE]`. A non-streaming JSON
        reply is yielded as one chunk followed by None. Closing the iterator closes the stream.
        Past `deadline` it raises BackendError, whatever the server sends or does not send."""
        import httpx

        # A lone surrogate (a model's half of an emoji) would make encoding raise.
        text = repair(json.dumps(with_key(self.provider, body), ensure_ascii=False))
        accept = "text/event-stream" if body.get("stream") else "application/json"
        check = deadline.check if deadline else _no_check
        try:
            with self._client.stream(
                "POST",
                self.chat_url,
                content=text.encode(),
                headers={"Accept": accept},
                timeout=self._timeout(deadline),
            ) as response:
                if response.status_code >= 400:
                    raise self._status_error(_read(response, check), model)
                kind = response.headers.get("content-type", "")
                if "event-stream" not in kind:
                    yield self._whole(_read(response, check))
                    yield None
                    return
                for data in iter_sse_data(timed_lines(response.iter_text(), check)):
                    if data.strip() == DONE:
                        yield None
                        return
                    try:
                        chunk = json.loads(data)
                    except ValueError:
                        raise Retryable(f"malformed chunk in the stream: {data[:80]!r}") from None
                    if not isinstance(chunk, dict):
                        raise Retryable(f"malformed chunk in the stream: {data[:80]!r}")
                    yield chunk
        except httpx.TimeoutException as exc:
            if deadline and deadline.left() <= _DEADLINE_SLACK_S:
                raise BackendError(deadline.message) from None
            base = self.provider.base_url
            raise Retryable(
                f"timed out talking to {base} ({type(exc).__name__})", timed_out=True
            ) from None
        except httpx.TransportError as exc:
            why = str(exc) or type(exc).__name__
            if _unresolvable(exc):
                # a name that does not resolve will not resolve in 15 s either
                raise BackendError(
                    f"cannot resolve the host of {self.provider.base_url}: {why}"
                ) from None
            raise Retryable(f"connection to {self.provider.base_url} failed: {why}") from None

    def _timeout(self, deadline: Deadline | None) -> httpx.Timeout:
        """The client's timeouts, none of them reaching past the deadline."""
        import httpx

        if deadline is None:
            return httpx.Timeout(self.read_timeout_s, connect=self.connect_timeout_s)
        deadline.check()
        left = deadline.left()
        return httpx.Timeout(
            min(self.read_timeout_s, left), connect=min(self.connect_timeout_s, left)
        )

    @staticmethod
    def _whole(response: httpx.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            raise Retryable(f"the reply is neither SSE nor JSON: {response.text[:80]!r}") from None
        if not isinstance(data, dict):
            raise Retryable("the reply is not a JSON object")
        return data

    def _status_error(self, response: httpx.Response, model: str) -> Exception:
        status = response.status_code
        message = server_message(response)
        if self.provider.api_key:  # some servers quote the key they refused
            message = message.replace(self.provider.api_key, "[redacted]")
        name = self.provider.name
        if status in (401, 403):
            where = f" (from ${self.provider.api_key_env})" if self.provider.api_key_env else ""
            return BackendError(f"check your API key for {name}{where}: HTTP {status}: {message}")
        if status == 404:
            models = self.list_models()
            if models is not None and model not in models:
                shown = ", ".join(models[:40]) + (" …" if len(models) > 40 else "")
                return BackendError(
                    f"model {model!r} is not served by {name} at {self.provider.base_url}; "
                    f"available: {shown}"
                )
            return BackendError(f"HTTP 404 from {self.chat_url} (check --base-url): {message}")
        if status in (400, 413, 422) and (status == 413 or _OVERFLOW.search(message)):
            return ContextOverflowError(
                f"the conversation no longer fits the model's context ({name}): {message}"
            )
        if status in RETRY_STATUS or status >= 500:
            wait = retry_after_seconds(response.headers.get("retry-after"))
            return Retryable(f"HTTP {status} from {name}: {message}", retry_after=wait)
        return BackendError(f"{name} refused the request: HTTP {status}: {message}")


def _unresolvable(exc: BaseException) -> bool:
    """Whether a connection failed because the host name does not resolve (a DNS answer, not a
    network hiccup): a `socket.gaierror` somewhere in the exception's chain."""
    import socket

    seen: BaseException | None = exc
    for _ in range(8):  # httpx wraps httpcore, which wraps the OSError
        if seen is None:
            return False
        if isinstance(seen, socket.gaierror):
            return seen.errno != socket.EAI_AGAIN  # "temporary failure" may pass
        seen = seen.__cause__ or seen.__context__
    return False


def _no_check() -> None:
    pass


def _read(response: httpx.Response, check: Callable[[], None]) -> httpx.Response:
    """The whole body of a streamed response, piece by piece under `check`, as a response
    that holds it (so `.text` and `.json()` work)."""
    import httpx

    body: list[bytes] = []
    for piece in response.iter_raw():  # raw: the copy decodes it by its own headers
        check()
        body.append(piece)
    return httpx.Response(
        response.status_code,
        headers=response.headers,
        content=b"".join(body),
        request=response.request,
    )
