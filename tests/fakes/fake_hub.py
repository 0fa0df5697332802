"""A fake Hugging Face Hub: real HTTP on 127.0.0.1 (stdlib `ThreadingHTTPServer` in threads),
serving the endpoints `huggingface_hub` calls to list and download a model repo.

Two origins, as on the real Hub: the hub itself (`/api/models/...`, `/{repo}/resolve/...`) and a
CDN on another port. HEAD on `resolve` answers 302 to the CDN with `X-Repo-Commit`,
`X-Linked-Etag` and `X-Linked-Size`; because the CDN is another origin, the client stops there and
sends its GET (without the token) to the CDN, which honours `Range`. Errors carry the
`X-Error-Code` header the client maps to its exception types.

Faults: `cut_once` maps a file path to a byte count: its first CDN GET closes the connection
after that many bytes of the body (short of `Content-Length`); `gated` repos refuse downloads without the right
bearer token; `page_size` makes the tree listing paginate with a `Link` header; `listed_sizes`
makes the tree listing lie about a file's size (the download itself stays right).
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit


@dataclass(frozen=True)
class Seen:
    origin: str  # "hub" or "cdn"
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class FakeHub:
    repos: dict[str, dict[str, bytes]] = field(default_factory=dict)
    gated: dict[str, str] = field(default_factory=dict)  # repo -> the token that opens it
    cut_once: dict[str, int] = field(default_factory=dict)  # file path -> bytes sent, then cut
    page_size: int = 1000
    listed_sizes: dict[str, int] = field(default_factory=dict)  # file path -> size the tree says
    seen: list[Seen] = field(default_factory=list)
    _cut_done: set[str] = field(default_factory=set)
    _servers: list[ThreadingHTTPServer] = field(default_factory=list)

    @property
    def url(self) -> str:
        return _origin(self._servers[0])

    @property
    def cdn_url(self) -> str:
        return _origin(self._servers[1])

    def sha(self, repo: str) -> str:
        """A stable 40-hex commit id per repo and content."""
        h = hashlib.sha1(repo.encode())
        for path in sorted(self.repos[repo]):
            h.update(path.encode() + hashlib.sha256(self.repos[repo][path]).digest())
        return h.hexdigest()

    def requests(self, origin: str, method: str | None = None) -> list[Seen]:
        return [s for s in self.seen if s.origin == origin and method in (None, s.method)]

    def __enter__(self) -> FakeHub:
        for origin in ("hub", "cdn"):
            server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self, origin))
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self._servers.append(server)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()

    # -- what each endpoint answers ---------------------------------------------------------

    def _find(self, parts: list[str]) -> tuple[str, list[str]] | None:
        """Split `org/name/rest...` into a known repo and the rest."""
        repo = "/".join(parts[:2])
        return (repo, parts[2:]) if repo in self.repos else None

    def _revision_ok(self, repo: str, rev: str) -> bool:
        return rev in ("main", self.sha(repo))

    def _tree(self, repo: str) -> list[dict[str, Any]]:
        files = self.repos[repo]
        folders = sorted({p.rsplit("/", 1)[0] for p in files if "/" in p})
        entries: list[dict[str, Any]] = [
            {"type": "directory", "oid": hashlib.sha1(d.encode()).hexdigest(), "size": 0, "path": d}
            for d in folders
        ]
        for path in sorted(files):
            data = files[path]
            sha256 = hashlib.sha256(data).hexdigest()
            size = self.listed_sizes.get(path, len(data))
            entries.append(
                {
                    "type": "file",
                    "oid": hashlib.sha1(data).hexdigest(),
                    "size": size,
                    "path": path,
                    "lfs": {"oid": sha256, "size": size, "pointerSize": 134},
                }
            )
        return entries


def _origin(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}"


def _handler(hub: FakeHub, origin: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_HEAD(self) -> None:
            self._dispatch("HEAD")

        def do_GET(self) -> None:
            self._dispatch("GET")

        def _dispatch(self, method: str) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            hub.seen.append(Seen(origin, method, self.path, headers))
            if origin == "cdn":
                self._cdn(method)
            else:
                self._hub()

        def _send(
            self,
            status: int,
            body: bytes = b"",
            headers: dict[str, str] | None = None,
            cut_at: int | None = None,
        ) -> None:
            """Reply; with `cut_at`, close the connection after that many bytes of the body."""
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body[:cut_at])
            if cut_at is not None:
                self.wfile.flush()
                self.close_connection = True

        def _error(self, status: int, code: str, message: str) -> None:
            body = json.dumps({"error": message}).encode()
            headers = {"X-Error-Code": code, "X-Error-Message": message}
            self._send(status, body, {"Content-Type": "application/json", **headers})

        def _json(self, value: object, headers: dict[str, str] | None = None) -> None:
            body = json.dumps(value).encode()
            self._send(200, body, {"Content-Type": "application/json", **(headers or {})})

        def _hub(self) -> None:
            split = urlsplit(self.path)
            parts = [unquote(p) for p in split.path.strip("/").split("/")]
            if parts[:2] == ["api", "models"]:
                self._api(parts[2:], parse_qs(split.query))
                return
            found = hub._find(parts)
            if found is None:
                self._error(401, "RepoNotFound", "Repository not found")
                return
            repo, rest = found
            if len(rest) < 3 or rest[0] != "resolve":
                self._error(404, "EntryNotFound", "Entry not found")
                return
            self._resolve(repo, rest[1], "/".join(rest[2:]))

        def _api(self, parts: list[str], query: dict[str, list[str]]) -> None:
            found = hub._find(parts)
            if found is None:
                self._error(401, "RepoNotFound", "Repository not found")
                return
            repo, rest = found
            if len(rest) < 2 or not hub._revision_ok(repo, rest[1]):
                self._error(404, "RevisionNotFound", "Invalid rev id")
                return
            sha = hub.sha(repo)
            if rest[0] == "revision":
                siblings = [{"rfilename": p} for p in sorted(hub.repos[repo])]
                gated: str | bool = "manual" if repo in hub.gated else False
                self._json(
                    {"id": repo, "sha": sha, "private": False, "gated": gated, "siblings": siblings}
                )
                return
            if rest[0] != "tree":
                self._error(404, "EntryNotFound", "Entry not found")
                return
            entries = hub._tree(repo)
            if query.get("recursive", ["false"])[0].lower() != "true":
                entries = [e for e in entries if "/" not in e["path"]]
            start = int(query.get("cursor", ["0"])[0])
            end = start + hub.page_size
            headers = {}
            if end < len(entries):  # cursor pagination, as the Hub does it
                recursive = query.get("recursive", ["false"])[0]
                nxt = (
                    f"{hub.url}/api/models/{repo}/tree/{rest[1]}?recursive={recursive}&cursor={end}"
                )
                headers["Link"] = f'<{nxt}>; rel="next"'
            page = entries[start:end]
            self._json(page, headers)

        def _resolve(self, repo: str, rev: str, path: str) -> None:
            if not hub._revision_ok(repo, rev):
                self._error(404, "RevisionNotFound", "Invalid rev id")
                return
            data = hub.repos[repo].get(path)
            if data is None:
                self._error(404, "EntryNotFound", "Entry not found")
                return
            token = hub.gated.get(repo)
            if token is not None and self.headers.get("Authorization") != f"Bearer {token}":
                self._error(401, "GatedRepo", "Access to this model is restricted")
                return
            sha256 = hashlib.sha256(data).hexdigest()
            location = f"{hub.cdn_url}/blobs/{quote(repo)}/{sha256}?path={quote(path)}"
            headers = {
                "Location": location,
                "X-Repo-Commit": hub.sha(repo),
                "ETag": f'"{hashlib.sha1(data).hexdigest()}"',
                "X-Linked-Etag": f'"{sha256}"',
                "X-Linked-Size": str(len(data)),
            }
            self._send(302, b"", headers)

        def _cdn(self, method: str) -> None:
            split = urlsplit(self.path)
            parts = [unquote(p) for p in split.path.strip("/").split("/")]
            path = parse_qs(split.query).get("path", [""])[0]
            data = hub.repos.get("/".join(parts[1:3]), {}).get(path)
            if parts[0] != "blobs" or data is None:
                self._send(404, b"no such blob")
                return
            etag = f'"{hashlib.sha256(data).hexdigest()}"'
            start, status = 0, 200
            headers = {"ETag": etag, "Accept-Ranges": "bytes"}
            wanted = self.headers.get("Range", "")
            if wanted.startswith("bytes="):
                start = int(wanted.removeprefix("bytes=").split("-")[0])
                status = 206
                headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
            body = data[start:]
            cut_at = None
            if method == "GET" and path in hub.cut_once and path not in hub._cut_done:
                hub._cut_done.add(path)
                cut_at = hub.cut_once[path]
            self._send(status, body, headers, cut_at)

    return Handler
