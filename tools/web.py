"""web_fetch: one web page, as markdown, for the model to read.

The danger of a fetch tool is not the page but where the request goes. A model steered by a
repository's text (or a page it fetched earlier) can ask for `http://169.254.169.254/` (a
cloud's instance credentials), `http://localhost:8080/admin` or a router's web page, and the
request would leave from the user's machine, inside their network. So before every request
and every redirect hop the host is resolved here and each address is checked: loopback,
private, link-local, multicast, reserved, unspecified, shared (CGNAT) and the IPv6 forms that
embed one of them (IPv4-mapped, 6to4, NAT64) are refused, unless the host is in the user's
allow list (`Workspace.web_fetch_allow`, the `web_fetch_allow` setting).

The request then connects to the very address that was checked: the URL is rewritten to that
IP, with the original `Host` header and, for https, the original name as the TLS server name
(so the certificate is still verified for the name). A DNS answer that changes between the
check and the connect (DNS rebinding) therefore cannot move the request elsewhere. Proxies
from the environment are not used (`trust_env=False`): a proxy would resolve the name itself.
The CA bundle still follows `SSL_CERT_FILE`/`SSL_CERT_DIR`, as httpx does by default.

Whether a call may run at all (approval, `tools/approval.py`) is decided on the same host
that `url_host` returns, and the fetch refuses a URL whose host httpx reads differently, so
the approved host and the fetched one cannot differ through a parser quirk.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import socket
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urljoin, urlsplit

from pydantic import Field

from tools.base import tool
from tools.errors import ToolError
from tools.workspace import Workspace

if TYPE_CHECKING:
    import httpx

SCHEMES = ("http", "https")
MAX_BYTES = 5 * 1024 * 1024  # downloaded (decoded) bytes read at most; the rest is not read
DEFAULT_CHARS = 20_000
MAX_CHARS = 100_000
MAX_REDIRECTS = 5
CONNECT_TIMEOUT_S = 10.0
TOTAL_TIMEOUT_S = 60.0
SNIFF_BYTES = 8192
REDIRECTS = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "minimax-agent (web_fetch)"
ACCEPT = "text/html, application/xhtml+xml, text/markdown, text/plain;q=0.9, */*;q=0.5"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# not covered by the ipaddress module's properties on every Python 3.11 patch release
_SHARED = ipaddress.ip_network("100.64.0.0/10")
# NAT64 (DNS64 networks answer public IPv4 hosts with these): judged by the IPv4 inside
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

# -- hosts and addresses ----------------------------------------------------------------------


def url_host(url: str) -> str | None:
    """The host of an http(s) `url`, lowercased, without a trailing dot; None for another
    scheme or no host. Approval and the fetch both judge this one string."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in SCHEMES or not host:
        return None
    return host.rstrip(".") or None


def host_allowed(host: str, patterns: Iterable[str]) -> bool:
    """Whether `host` is in the allow list: an entry names a host exactly (`docs.python.org`,
    `localhost`, `127.0.0.1`), or `*.example.com` names every host below example.com (not
    example.com itself, as in a TLS certificate)."""
    host = host.lower().rstrip(".")
    for raw in patterns:
        entry = raw.strip().lower().rstrip(".")
        if entry.startswith("[") and entry.endswith("]"):
            entry = entry[1:-1]  # an IPv6 literal written as in a URL
        if entry.startswith("*."):
            if host.endswith(entry[1:]) and len(host) > len(entry) - 1:
                return True
        elif entry and host == entry:
            return True
    return False


def blocked_reason(address: IPAddress) -> str | None:
    """Why a fetch must not reach `address` unasked (`loopback`, `private`, ...), or None for
    an ordinary public address. An IPv6 address that carries an IPv4 one is judged by it."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour
        if address.teredo is not None:
            inner = address.teredo[1]
        if address in _NAT64:
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is not None:
            why = blocked_reason(inner)
            return None if why is None else f"{why} (inside {address})"
    elif address in _SHARED:
        return "shared (carrier-grade NAT)"
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
    )
    for name, hit in checks:
        if hit:
            return name
    return None if address.is_global else "not a public address"


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to, in the resolver's order (an IP literal: itself).

    Through getaddrinfo, so the odd spellings of an address (`2130706433`, `0x7f.1`, `127.1`)
    come back as the address they mean and are judged as such."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise ToolError(f"cannot resolve {host}: {exc}") from None
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address not in found:
            found.append(address)
    if not found:
        raise ToolError(f"cannot resolve {host}: no addresses")
    return found


def checked_addresses(host: str, port: int, allow: Iterable[str]) -> list[IPAddress]:
    """The addresses a request to `host` may connect to: all of them for an allow-listed
    host, else only when every address is public (one private answer among public ones is
    refused too: which one a client picks is not ours to predict)."""
    addresses = resolve(host, port)
    if host_allowed(host, allow):
        return addresses
    for address in addresses:
        why = blocked_reason(address)
        if why is not None:
            raise ToolError(
                f"refusing to fetch from {host}: it resolves to {address}, a {why} address; "
                "only public addresses are fetched unless the user lists the host in "
                "web_fetch_allow"
            )
    return addresses


# -- one request ------------------------------------------------------------------------------


def _target(url: str) -> tuple[httpx.URL, str]:
    """The parsed `url` and its host; refuses other schemes and URLs read two ways."""
    import httpx

    host = url_host(url)
    if host is None:
        scheme = urlsplit(url).scheme or "no scheme"
        raise ToolError(
            f"cannot fetch {url!r}: only http and https URLs are fetched ({scheme} is not)"
        )
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, ValueError) as exc:
        raise ToolError(f"invalid URL {url!r}: {exc}") from None
    if parsed.host.lower().rstrip(".") != host:
        raise ToolError(f"refusing the ambiguous URL {url!r}: its host reads two ways")
    return parsed, host


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise ToolError("web_fetch ran out of time (the fetch or the run reached its limit)")
    return left


def _open(
    client: httpx.Client, url: httpx.URL, host: str, addresses: list[IPAddress], deadline: float
) -> httpx.Response:
    """A streamed response from the first of `addresses` that accepts a connection."""
    import httpx

    ascii_host = url.raw_host.decode("ascii")
    headers = {"Host": url.netloc.decode("ascii"), "User-Agent": USER_AGENT, "Accept": ACCEPT}
    extensions = {"sni_hostname": ascii_host} if url.scheme == "https" else {}
    failure: Exception | None = None
    for address in addresses:
        left = _remaining(deadline)
        timeout = httpx.Timeout(left, connect=min(CONNECT_TIMEOUT_S, left))
        request = client.build_request(
            "GET",
            url.copy_with(host=str(address)),
            headers=headers,
            extensions=extensions,
            timeout=timeout,
        )
        try:
            return client.send(request, stream=True)
        except httpx.ConnectError as exc:
            failure = exc  # the next address may answer (localhost: ::1, then 127.0.0.1)
        except httpx.TimeoutException:
            raise ToolError(f"timed out fetching {url} from {host}") from None
        except httpx.HTTPError as exc:
            raise ToolError(f"fetching {url} failed: {type(exc).__name__}: {exc}") from None
    raise ToolError(f"cannot connect to {host}: {failure}")


def _read(response: httpx.Response, deadline: float) -> tuple[bytes, bool]:
    """The body, at most MAX_BYTES of it, and whether more was left unread."""
    import httpx

    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_BYTES:
                return b"".join(chunks)[:MAX_BYTES], True
            _remaining(deadline)
    except httpx.TimeoutException:
        raise ToolError(f"timed out reading {response.url.path or '/'}") from None
    except httpx.HTTPError as exc:
        raise ToolError(f"reading the page failed: {type(exc).__name__}: {exc}") from None
    return b"".join(chunks), False


# -- what came back ---------------------------------------------------------------------------

_TEXT_TYPES = frozenset(
    {
        "application/json",
        "application/xml",
        "application/javascript",
        "application/ecmascript",
        "application/x-javascript",
        "application/yaml",
        "application/x-yaml",
        "application/toml",
        "application/x-sh",
        "application/sql",
        "application/graphql",
    }
)
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# removed before conversion: code, styling and embedded media carry no text for the model
_DROPPED_TAGS = ("script", "style", "noscript", "template", "svg", "canvas", "iframe", "object")


def content_kind(mime: str) -> str | None:
    """The kind of a media type: html, text, unknown (none given: sniffed) or None (binary)."""
    if not mime:
        return "unknown"
    if mime in _HTML_TYPES:
        return "html"
    if mime.startswith("text/") or mime in _TEXT_TYPES or mime.endswith(("+json", "+xml")):
        return "text"
    return None


def _sniff(data: bytes) -> str | None:
    head = data[:SNIFF_BYTES]
    if b"\0" in head:
        return None
    lowered = head[:1024].lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html")) or b"<body" in lowered:
        return "html"
    return "text"


def html_to_markdown(data: bytes, charset: str | None = None) -> str:
    """An HTML page as markdown: its title first, then the body without scripts, styles or
    embedded media; inline `data:` images become their alt text (base64 is no reading)."""
    from bs4 import BeautifulSoup
    from markdownify import MarkdownConverter

    soup = BeautifulSoup(data, "html.parser", from_encoding=charset)
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for tag in soup(_DROPPED_TAGS):
        tag.decompose()
    if soup.head is not None:
        soup.head.decompose()
    for img in soup("img"):
        if str(img.get("src", "")).startswith("data:"):
            img.replace_with(str(img.get("alt", "")))
    for link in soup("a"):
        if str(link.get("href", "")).strip().lower().startswith("javascript:"):
            del link["href"]
    converter = MarkdownConverter(heading_style="ATX", bullets="-")
    text = converter.convert_soup(soup.body or soup)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return f"# {title}\n\n{text}" if title and not text.startswith(f"# {title}") else text


def _decode(data: bytes, charset: str | None) -> str:
    try:
        return data.decode(charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return data.decode("utf-8", errors="replace")


def _cap(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    rest = len(text) - max_chars
    return (
        f"{text[:max_chars]}\n\n[... page truncated: {rest} more characters not shown; "
        f"a larger max_chars (up to {MAX_CHARS}) shows more ...]"
    )


def _page(url: str, response: httpx.Response, max_chars: int, deadline: float) -> str:
    mime, _, _params = response.headers.get("content-type", "").partition(";")
    mime = mime.strip().lower()
    charset = response.charset_encoding
    kind = content_kind(mime)
    status = f"{response.status_code} {response.reason_phrase}".strip()
    if kind is None:
        raise ToolError(
            f"{url} is {mime} (status {status}), not a text page; web_fetch reads HTML, "
            "markdown, plain text, JSON and XML only"
        )
    data, cut = _read(response, deadline)
    if kind == "unknown":
        kind = _sniff(data)
        if kind is None:
            raise ToolError(f"{url} sent binary data with no content type (status {status})")
    text = html_to_markdown(data, charset) if kind == "html" else _decode(data, charset)
    lines = [f"URL: {url}", f"Status: {status}"]
    if mime:
        lines.append(f"Content-Type: {mime}")
    if cut:
        lines.append(f"Note: only the first {MAX_BYTES // (1024 * 1024)} MB were downloaded")
    result = "\n".join(lines) + "\n\n" + (_cap(text, max_chars) or "(empty page)")
    if response.status_code >= 400:
        raise ToolError(result)
    return result


def fetch(ws: Workspace, url: str, max_chars: int = DEFAULT_CHARS) -> str:
    """`url` as text: redirects followed here (each hop checked), the page converted."""
    import httpx

    deadline = time.monotonic() + TOTAL_TIMEOUT_S
    if ws.deadline is not None:
        deadline = min(deadline, ws.deadline)
    current = url.strip()
    tls = httpx.create_ssl_context(trust_env=True)  # SSL_CERT_FILE: a company's own CA
    with httpx.Client(verify=tls, trust_env=False, follow_redirects=False) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            parsed, host = _target(current)
            port = parsed.port or (443 if parsed.scheme == "https" else 80)
            addresses = checked_addresses(host, port, ws.web_fetch_allow)
            response = _open(client, parsed, host, addresses, deadline)
            try:
                location = response.headers.get("location")
                if response.status_code in REDIRECTS and location:
                    current = urljoin(current, location.strip())
                    continue
                return _page(current, response, max_chars, deadline)
            finally:
                response.close()
    raise ToolError(f"too many redirects (more than {MAX_REDIRECTS}), the last to {current}")


@tool("network")
def web_fetch(
    ws: Workspace,
    url: Annotated[str, Field(description="The http or https URL to fetch.")],
    max_chars: Annotated[
        int,
        Field(
            ge=1000,
            le=MAX_CHARS,
            description="Most characters of the page to return (the rest is cut).",
        ),
    ] = DEFAULT_CHARS,
) -> str:
    """Fetch a web page and return it as markdown (HTML converted; plain text, markdown and
    JSON as they are), after the final URL and the HTTP status. Use it to read documentation,
    an issue or an error message's explanation. Only http(s); local and private network
    addresses are refused unless the user allowed the host."""
    return fetch(ws, url, max_chars)


# room for the longest page asked for and its header lines: the registry's generic cap would
# otherwise cut the middle out of a page the model asked to see whole
web_fetch = dataclasses.replace(web_fetch, result_chars=MAX_CHARS + 2_000)
