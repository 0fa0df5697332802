"""Whether an endpoint takes a key: one GET on the path the preset answers only to a valid key
(`/models` on most; OpenRouter's `/models` is public, its `/key` is not)."""

from __future__ import annotations

from dataclasses import dataclass

from minimax_agent.errors import BackendError, ConfigError

TIMEOUT_S = 10.0


class KeyRefused(ConfigError):
    """The endpoint answered 401 or 403 to the key."""


@dataclass(frozen=True)
class Verdict:
    """What the endpoint said: `checked` is False when it answered but could not say whether
    the key is good (no such path: a server without `/models`)."""

    url: str
    status: int
    checked: bool


def check_key(base_url: str, path: str, key: str | None, headers: dict[str, str]) -> Verdict:
    """GET `base_url + path` with the key as a bearer token. Raises KeyRefused on 401/403 and a
    BackendError when the host cannot be reached or fails; a Verdict otherwise."""
    import httpx

    url = base_url.rstrip("/") + path
    sent = dict(headers)
    if key:
        sent["Authorization"] = f"Bearer {key}"
    try:
        response = httpx.get(url, headers=sent, timeout=TIMEOUT_S)
    except httpx.HTTPError as exc:
        raise BackendError(f"cannot reach {url}: {type(exc).__name__}: {exc}") from None
    if response.status_code in (401, 403):
        raise KeyRefused(f"{url} refused the key (HTTP {response.status_code})")
    if response.status_code == 404:
        return Verdict(url, 404, checked=False)
    if response.status_code >= 400:
        raise BackendError(f"{url} answered HTTP {response.status_code}; try again later")
    return Verdict(url, response.status_code, checked=True)
