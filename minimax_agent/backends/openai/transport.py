"""HTTP for Chat Completions on httpx: one request, its SSE chunks, and what a failure means.

Failures are sorted here into the ones worth another attempt (`Retryable`: timeouts, dropped
connections, 429 and 5xx, a cut or garbled stream) and the ones that are not (`BackendError`
with one line for the user: a bad key, an unknown model, a context overflow).
"""

from __future__ import annotations

import email.utils
import json
import logging
import re
import time
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from minimax_agent import __version__
from minimax_agent.backends.openai.sse import DONE, iter_sse_data
from minimax_agent.backends.openai.wire import headers, with_key
from minimax_agent.errors import BackendError, ContextOverflowError
from minimax_agent.providers import Provider

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
    """A failure another attempt may not meet; `retry_after` is the server's wish, in seconds."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


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

        self.provider = provider
        self._models: list[dict[str, Any]] | None = None
        self._client = httpx.Client(
            timeout=httpx.Timeout(read_timeout_s, connect=connect_timeout_s),
            headers=headers(provider, f"minimax-agent/{__version__}"),
        )

    def close(self) -> None:
        self._client.close()

    @property
    def chat_url(self) -> str:
        return f"{self.provider.base_url}/chat/completions"

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

        url = f"{self.provider.base_url}/models"
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
        self, body: dict[str, Any], model: str
    ) -> Generator[dict[str, Any] | None, None, None]:
        """POST the request; yield each chunk, then None for `[DONE]`. A non-streaming JSON
        reply is yielded as one chunk followed by None. Closing the iterator closes the stream."""
        import httpx

        payload = json.dumps(with_key(self.provider, body), ensure_ascii=False).encode()
        accept = "text/event-stream" if body.get("stream") else "application/json"
        try:
            with self._client.stream(
                "POST", self.chat_url, content=payload, headers={"Accept": accept}
            ) as response:
                if response.status_code >= 400:
                    response.read()
                    raise self._status_error(response, model)
                kind = response.headers.get("content-type", "")
                if "event-stream" not in kind:
                    response.read()
                    yield self._whole(response)
                    yield None
                    return
                for data in iter_sse_data(response.iter_lines()):
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
            base = self.provider.base_url
            raise Retryable(f"timed out talking to {base} ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            why = str(exc) or type(exc).__name__
            raise Retryable(f"connection to {self.provider.base_url} failed: {why}") from None

    def _whole(self, response: httpx.Response) -> dict[str, Any]:
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
