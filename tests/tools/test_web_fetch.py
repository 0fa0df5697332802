"""web_fetch against a real HTTP server on this machine: conversion, redirects, caps, refusals,
the address checks (SSRF), the approval verdicts in each mode, the setting's trust rule, and a
`fix` run on the scripted backend that fetches a page.

The server listens on 127.0.0.1 only; `localhost` and `127.0.0.1` are two names for it, so an
allow list naming one of them shows what happens when a redirect moves to the other."""

from __future__ import annotations

import ipaddress
import json
import shutil
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import RunCli, make_repo, write_script
from tools import default_tools
from tools.approval import ApprovalPolicy, Verdict
from tools.modes import ApprovalMode
from tools.web import MAX_BYTES, blocked_reason, host_allowed, url_host, web_fetch
from tools.workspace import Workspace

PAGE = (
    "<!doctype html><html><head><title>Widget docs</title>"
    "<style>body { color: red }</style><script>var leaked = 'SCRIPT-TEXT';</script></head>"
    "<body><h1>Widget docs</h1><p>Call <code>widget.spin()</code> to <b>spin</b> it; see "
    '<a href="/api">the API</a>.</p><ul><li>fast</li><li>safe</li></ul>'
    "<noscript>NOSCRIPT-TEXT</noscript><script>document.write('SCRIPT-TEXT')</script>"
    "</body></html>"
)
PNG = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + b"\0" * 64


class Handler(BaseHTTPRequestHandler):
    server: Server

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        pass

    def send(self, status: int, body: bytes, ctype: str | None, **headers: str) -> None:
        self.send_response(status)
        if ctype is not None:
            self.send_header("Content-Type", ctype)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.server.seen.append((self.path, self.headers.get("Host", "")))
        port = self.server.server_address[1]
        routes: dict[str, tuple[int, bytes, str | None, dict[str, str]]] = {
            "/page": (200, PAGE.encode(), "text/html; charset=utf-8", {}),
            "/plain": (200, b"line one\n<b>not html</b>\n", "text/plain", {}),
            "/data.json": (200, b'{"ok": true, "n": 3}', "application/json", {}),
            "/notes.md": (200, b"# Notes\n\n- *kept* as written\n", "text/markdown", {}),
            "/logo.png": (200, PNG, "image/png", {}),
            "/blob": (200, PNG, None, {}),
            "/host": (200, self.headers.get("Host", "").encode(), "text/plain", {}),
            "/missing": (404, b"<html><body><p>No such page</p></body></html>", "text/html", {}),
            "/long": (200, ("word " * 5000).encode(), "text/plain", {}),
            "/hop": (302, b"", None, {"Location": "/page"}),
            "/hop2": (301, b"", None, {"Location": f"http://localhost:{port}/hop"}),
            "/to-ip": (302, b"", None, {"Location": f"http://127.0.0.1:{port}/page"}),
            "/to-file": (302, b"", None, {"Location": "file:///etc/passwd"}),
            "/loop": (302, b"", None, {"Location": "/loop"}),
        }
        if self.path == "/big":
            self.send_big()
            return
        status, body, ctype, headers = routes.get(self.path, (404, b"nope", "text/plain", {}))
        self.send(status, body, ctype, **headers)

    def send_big(self) -> None:
        """Twice the download cap of text: the client stops reading, so writes may fail."""
        size = 2 * MAX_BYTES
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        chunk = b"x" * 65536
        try:
            for _ in range(size // len(chunk)):
                self.wfile.write(chunk)
        except OSError:
            pass  # the client hung up once it had read its cap


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.seen: list[tuple[str, str]] = []

    @property
    def port(self) -> int:
        return self.server_address[1]

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that refused our certificate, or hung up on /big: expected here


def serving(srv: Server) -> Iterator[Server]:
    thread = threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    yield from serving(Server())


@pytest.fixture
def tls_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """The same server over TLS, with a self-signed certificate for the name `localhost` only,
    made trusted through SSL_CERT_FILE (as a company CA would be)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    srv = Server()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    srv.socket = context.wrap_socket(srv.socket, server_side=True)
    yield from serving(srv)


@pytest.fixture
def web_ws(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path)
    ws.web_fetch_allow = ("localhost",)
    return ws


def fetch(ws: Workspace, url: str, **more: object) -> tuple[str, bool]:
    result = web_fetch.run(ws, {"url": url, **more})
    return result.content, result.is_error


# -- pages ------------------------------------------------------------------------------------


def test_html_becomes_markdown_without_scripts(server: Server, web_ws: Workspace) -> None:
    url = f"http://localhost:{server.port}/page"
    text, is_error = fetch(web_ws, url)
    assert not is_error, text
    assert text.startswith(f"URL: {url}\nStatus: 200 OK\nContent-Type: text/html\n\n")
    assert "# Widget docs" in text
    assert "Call `widget.spin()` to **spin** it; see [the API](/api)." in text
    assert "- fast\n- safe" in text
    assert "SCRIPT-TEXT" not in text and "NOSCRIPT-TEXT" not in text and "color" not in text


@pytest.mark.parametrize(
    ("path", "expected", "ctype"),
    [
        ("/plain", "line one\n<b>not html</b>\n", "text/plain"),
        ("/data.json", '{"ok": true, "n": 3}', "application/json"),
        ("/notes.md", "# Notes\n\n- *kept* as written\n", "text/markdown"),
    ],
)
def test_text_types_come_back_as_written(
    server: Server, web_ws: Workspace, path: str, expected: str, ctype: str
) -> None:
    text, is_error = fetch(web_ws, f"http://localhost:{server.port}{path}")
    assert not is_error, text
    header, _, body = text.partition("\n\n")
    assert f"Content-Type: {ctype}" in header
    assert body == expected


def test_the_request_keeps_the_name_but_connects_to_the_checked_address(
    server: Server, web_ws: Workspace
) -> None:
    text, _ = fetch(web_ws, f"http://localhost:{server.port}/host")
    # the connection went to the resolved 127.0.0.1, the Host header still names localhost
    assert text.endswith(f"\n\nlocalhost:{server.port}")


def test_https_verifies_the_certificate_for_the_name_not_the_address(
    tls_server: Server, web_ws: Workspace
) -> None:
    # connected to 127.0.0.1, yet the TLS server name (and the check of the certificate) is
    # the URL's host
    url = f"https://localhost:{tls_server.port}/page"
    text, is_error = fetch(web_ws, url)
    assert not is_error, text
    assert text.startswith(f"URL: {url}\nStatus: 200 OK") and "# Widget docs" in text
    # by its address the same server fails the check: the certificate names localhost only
    web_ws.web_fetch_allow = ("127.0.0.1",)
    text, is_error = fetch(web_ws, f"https://127.0.0.1:{tls_server.port}/page")
    assert is_error and "cannot connect to 127.0.0.1" in text and "CERTIFICATE" in text.upper()


def test_an_error_status_is_a_tool_error_with_the_page(server: Server, web_ws: Workspace) -> None:
    text, is_error = fetch(web_ws, f"http://localhost:{server.port}/missing")
    assert is_error
    assert "Status: 404 Not Found" in text and "No such page" in text


# -- redirects --------------------------------------------------------------------------------


def test_redirects_are_followed_and_the_final_url_leads(server: Server, web_ws: Workspace) -> None:
    text, is_error = fetch(web_ws, f"http://localhost:{server.port}/hop2")
    assert not is_error, text
    assert text.startswith(f"URL: http://localhost:{server.port}/page\nStatus: 200 OK")
    assert "# Widget docs" in text
    assert [p for p, _ in server.seen] == ["/hop2", "/hop", "/page"]


def test_a_redirect_to_a_private_address_not_allowed_is_refused(
    server: Server, web_ws: Workspace
) -> None:
    # localhost is allow-listed; 127.0.0.1 is not, and it is loopback
    text, is_error = fetch(web_ws, f"http://localhost:{server.port}/to-ip")
    assert is_error
    assert "refusing to fetch from 127.0.0.1" in text and "loopback" in text
    assert "web_fetch_allow" in text
    assert [p for p, _ in server.seen] == ["/to-ip"]  # the second hop was never requested


def test_a_redirect_to_file_and_a_redirect_loop_are_refused(
    server: Server, web_ws: Workspace
) -> None:
    text, is_error = fetch(web_ws, f"http://localhost:{server.port}/to-file")
    assert is_error and "only http and https URLs are fetched (file is not)" in text
    text, is_error = fetch(web_ws, f"http://localhost:{server.port}/loop")
    assert is_error and "too many redirects" in text
    assert len(server.seen) == 1 + 6  # /to-file, then /loop once and five hops


# -- caps and refusals ------------------------------------------------------------------------


def test_downloads_stop_at_the_byte_cap(server: Server, web_ws: Workspace) -> None:
    text, is_error = fetch(web_ws, f"http://localhost:{server.port}/big", max_chars=2000)
    assert not is_error, text
    assert "Note: only the first 5 MB were downloaded" in text
    assert f"[... page truncated: {MAX_BYTES - 2000} more characters not shown" in text


def test_output_is_capped_at_max_chars(server: Server, web_ws: Workspace) -> None:
    text, _ = fetch(web_ws, f"http://localhost:{server.port}/long", max_chars=1000)
    body = text.partition("\n\n")[2]
    assert body.startswith("word " * 200)
    assert "page truncated: 24000 more characters not shown" in body
    text, is_error = fetch(web_ws, f"http://localhost:{server.port}/long", max_chars=10)
    assert is_error and "max_chars" in text  # below the schema's minimum


@pytest.mark.parametrize(
    ("path", "said"),
    [
        ("/logo.png", "/logo.png is image/png (status 200 OK), not a text page"),
        ("/blob", "/blob sent binary data with no content type"),
    ],
)
def test_binary_content_is_refused_by_type(
    server: Server, web_ws: Workspace, path: str, said: str
) -> None:
    text, is_error = fetch(web_ws, f"http://localhost:{server.port}{path}")
    assert is_error and said in text


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://x/", "example.com/page"]
)
def test_schemes_other_than_http_are_refused(web_ws: Workspace, url: str) -> None:
    text, is_error = fetch(web_ws, url)
    assert is_error and "only http and https URLs are fetched" in text


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254, a link-local address"),
        ("http://[::ffff:169.254.169.254]/", "link-local (inside ::ffff:a9fe:a9fe)"),
        ("http://2130706433/", "127.0.0.1, a loopback address"),  # 127.0.0.1 as one number
        ("http://0x7f.1/", "127.0.0.1, a loopback address"),
        ("http://10.0.0.1/", "10.0.0.1, a private address"),
        ("http://[fe80::1]/", "link-local"),
        ("http://0.0.0.0:8000/", "unspecified"),
    ],
)
def test_private_addresses_are_refused_before_any_request(
    tmp_path: Path, url: str, why: str
) -> None:
    # no allow list; an unroutable address would otherwise hang on connect, and a refusal
    # after connecting would name a connection error, not the address's kind
    text, is_error = fetch(Workspace(tmp_path), url)
    assert is_error
    assert "refusing to fetch from" in text and why in text


def test_localhost_needs_the_allow_list(server: Server, tmp_path: Path) -> None:
    text, is_error = fetch(Workspace(tmp_path), f"http://localhost:{server.port}/page")
    assert is_error and "loopback" in text
    assert server.seen == []


def test_a_spent_run_deadline_stops_the_fetch(server: Server, web_ws: Workspace) -> None:
    web_ws.deadline = time.monotonic() - 1
    text, is_error = fetch(web_ws, f"http://localhost:{server.port}/page")
    assert is_error and "ran out of time" in text
    assert server.seen == []


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "private"),
        ("100.64.0.1", "shared (carrier-grade NAT)"),
        ("::ffff:10.0.0.1", "private (inside ::ffff:a00:1)"),
        ("2002:a9fe:a9fe::1", "link-local (inside 2002:a9fe:a9fe::1)"),  # 6to4
        ("64:ff9b::7f00:1", "loopback (inside 64:ff9b::7f00:1)"),  # NAT64
        ("8.8.8.8", None),
        ("2001:4860:4860::8888", None),
        ("64:ff9b::808:808", None),  # NAT64 of a public address
    ],
)
def test_blocked_addresses(address: str, reason: str | None) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) == reason


def test_allow_list_matching() -> None:
    allow = ["docs.python.org", "*.example.com", "[::1]", "LocalHost."]
    assert host_allowed("docs.python.org", allow)
    assert host_allowed("a.example.com", allow) and host_allowed("a.b.example.com", allow)
    assert not host_allowed("example.com", allow)  # a wildcard names subdomains only
    assert not host_allowed("badexample.com", allow)
    assert host_allowed("::1", allow) and host_allowed("localhost", allow)
    assert not host_allowed("python.org", allow)
    assert url_host("HTTPS://Docs.Python.ORG./3/") == "docs.python.org"
    assert url_host("http://good.com:80@evil.com/") == "evil.com"  # userinfo is not the host
    assert url_host("file:///etc/passwd") is None


# -- approval ---------------------------------------------------------------------------------

ALLOW = ("localhost", "*.example.com")


@pytest.mark.parametrize("mode", list(ApprovalMode))
@pytest.mark.parametrize("interactive", [True, False])
def test_allow_listed_hosts_run_in_every_mode(mode: ApprovalMode, interactive: bool) -> None:
    policy = ApprovalPolicy(mode, interactive=interactive, network_allow=ALLOW)
    for url in ("http://localhost:8000/x", "https://docs.example.com/guide"):
        verdict, reason = policy.decide(web_fetch, {"url": url})
        assert verdict is Verdict.ALLOW and "web_fetch_allow" in reason


@pytest.mark.parametrize("mode", list(ApprovalMode))
def test_other_hosts_ask_in_every_mode(mode: ApprovalMode) -> None:
    policy = ApprovalPolicy(mode, interactive=True, network_allow=ALLOW)
    verdict, reason = policy.decide(web_fetch, {"url": "https://example.com/"})
    assert verdict is Verdict.ASK
    assert reason.startswith("web_fetch reaches example.com, which is not in web_fetch_allow")


@pytest.mark.parametrize("mode", list(ApprovalMode))
def test_headless_other_hosts_are_denied_naming_the_setting(mode: ApprovalMode) -> None:
    policy = ApprovalPolicy(mode, interactive=False, sandboxed=True, network_allow=ALLOW)
    for url in ("https://pypi.org/project/x/", "file:///etc/passwd"):
        verdict, reason = policy.decide(web_fetch, {"url": url})
        assert verdict is Verdict.DENY
        assert "web_fetch_allow" in reason and "no one is here to approve it" in reason


def test_always_allowing_web_fetch_is_remembered() -> None:
    policy = ApprovalPolicy(ApprovalMode.READ_ONLY, interactive=True)
    assert policy.decide(web_fetch, {"url": "https://pypi.org/"})[0] is Verdict.ASK
    policy.allow_tool("web_fetch")
    assert policy.decide(web_fetch, {"url": "https://pypi.org/"}) == (
        Verdict.ALLOW,
        "allowed earlier in this session",
    )


def test_read_only_sessions_offer_web_fetch() -> None:
    assert "web_fetch" in default_tools(read_only=True).names()


def test_the_http_and_html_libraries_load_only_when_a_page_is_fetched() -> None:
    code = (
        "import sys, tools, tools.approval, tools.web\n"
        "tools.default_tools()\n"
        "print(sorted(m for m in ('httpx', 'bs4', 'markdownify') if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


# -- the setting ------------------------------------------------------------------------------


def user_config(home: Path, text: str) -> None:
    path = home / ".config" / "minimax-agent" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_only_the_user_or_a_trusted_project_sets_the_allow_list(
    tmp_path: Path, isolated_home: Path
) -> None:
    from minimax_agent.config import load_settings

    project = tmp_path / "proj"
    project.mkdir()
    (project / ".minimax-agent.toml").write_text('web_fetch_allow = ["169.254.169.254"]\n')
    user_config(isolated_home, 'web_fetch_allow = ["docs.internal"]\n')
    untrusted = load_settings(project)
    assert untrusted.safety.web_fetch_allow == ("docs.internal",)
    assert "web_fetch_allow" in untrusted.ignored_project_keys
    assert "web_fetch_allow" in untrusted.warnings[0]
    trusted = load_settings(project, trust_project=True)
    assert trusted.safety.web_fetch_allow == ("169.254.169.254",)


# -- end to end -------------------------------------------------------------------------------


def invoke(name: str, **params: object) -> str:
    body = "".join(f'<parameter name="{k}">{v}</parameter>\n' for k, v in params.items())
    return f'<minimax:tool_call>\n<invoke name="{name}">\n{body}</invoke>\n</minimax:tool_call>'


def fetching_script(url: str) -> list[str]:
    return [
        "Read the docs first.\n</think>\n\n" + invoke("web_fetch", url=url),
        "Got them.\n</think>\n\nThe docs say to call widget.spin().",
    ]


def run_fix(tmp_path: Path, invoke_cli: RunCli, url: str) -> dict[str, object]:
    repo = make_repo(tmp_path / "repo", {"README.md": "# demo\n"})
    script = write_script(tmp_path / "script.json", fetching_script(url))
    proc = invoke_cli(
        "fix", "read", "-C", str(repo), "--backend", f"scripted:{script}", "--output-format", "json"
    )
    report: dict[str, object] = json.loads(proc.stdout)
    return report


def test_fix_fetches_an_allow_listed_page(
    tmp_path: Path, isolated_home: Path, invoke_cli: RunCli, server: Server
) -> None:
    user_config(isolated_home, 'web_fetch_allow = ["127.0.0.1"]\n')
    url = f"http://127.0.0.1:{server.port}/page"
    report = run_fix(tmp_path, invoke_cli, url)
    assert report["status"] == "done", report
    [call] = report["tool_calls"]  # type: ignore[misc]
    assert call["name"] == "web_fetch" and not call["is_error"]
    assert call["result"].startswith(f"URL: {url}\nStatus: 200 OK")
    assert "Call `widget.spin()` to **spin** it" in call["result"]
    assert server.seen == [("/page", f"127.0.0.1:{server.port}")]


def test_fix_denies_a_host_not_allow_listed(
    tmp_path: Path, isolated_home: Path, invoke_cli: RunCli, server: Server
) -> None:
    report = run_fix(tmp_path, invoke_cli, f"http://127.0.0.1:{server.port}/page")
    [call] = report["tool_calls"]  # type: ignore[misc]
    assert call["is_error"]
    assert "not allowed" in call["result"] and "web_fetch_allow" in call["result"]
    assert server.seen == []
