"""HTTP for the Anthropic Messages API: the OpenAI transport's client, deadlines, retries and
failure sorting (backends/openai/transport.py), with this API's paths and headers.

`POST /v1/messages` streams the turn; `GET /v1/models` lists the models;
`POST /v1/messages/count_tokens`, where the endpoint has it, counts a prompt exactly. The
error statuses need nothing of their own: 529 (overloaded) is a 5xx and retried like one,
401 says to check the key, and "prompt is too long" is a context overflow.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from minimax_agent.backends.anthropic.wire import api_url, auth_headers
from minimax_agent.backends.openai.transport import Transport
from minimax_agent.providers import Provider
from minimax_agent.surrogates import repair

log = logging.getLogger("minimax_agent")

# statuses that say the endpoint has no count_tokens (it is not asked again)
_NO_COUNTING = frozenset({404, 405, 501})
COUNT_TIMEOUT_S = 10.0


class AnthropicTransport(Transport):
    def __init__(
        self, provider: Provider, *, connect_timeout_s: float, read_timeout_s: float
    ) -> None:
        super().__init__(
            provider, connect_timeout_s=connect_timeout_s, read_timeout_s=read_timeout_s
        )
        self._client.headers.update(auth_headers(provider))
        self.counting = True  # until the endpoint says it has no count_tokens
        self._last_count: tuple[str, int] | None = None

    @property
    def chat_url(self) -> str:
        return api_url(self.provider.base_url, "messages")

    @property
    def models_url(self) -> str:
        return api_url(self.provider.base_url, "models")

    @property
    def count_url(self) -> str:
        return api_url(self.provider.base_url, "messages/count_tokens")

    def count(self, body: dict[str, Any]) -> int | None:
        """`input_tokens` for the prompt `body` holds, or None when the endpoint cannot say
        (no count_tokens, a failure: the caller estimates). The last answer is kept, since
        the context is measured more than once for one prompt."""
        import httpx

        if not self.counting or self.closed:
            return None
        text = repair(json.dumps(body, ensure_ascii=False))
        if self._last_count and self._last_count[0] == text:
            return self._last_count[1]
        try:
            response = self._client.post(
                self.count_url, content=text.encode(), timeout=COUNT_TIMEOUT_S
            )
            data = response.json() if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError) as exc:
            log.info("count_tokens at %s failed: %s", self.count_url, exc)
            return None
        if response.status_code in _NO_COUNTING:
            self.counting = False
            return None
        tokens = data.get("input_tokens") if isinstance(data, dict) else None
        if not isinstance(tokens, int) or isinstance(tokens, bool) or tokens < 0:
            return None
        self._last_count = (text, tokens)
        return tokens
