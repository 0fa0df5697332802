"""A fake Anthropic Messages API server: real HTTP on 127.0.0.1 (stdlib `ThreadingHTTPServer`
in a thread), SSE over chunked transfer encoding, every request recorded, replies scripted.

It serves what MiniMax's Anthropic API (`/anthropic/v1/messages`) and ModelsLab's
(`/api/v7/llm/v1/messages`) do: `POST …/v1/messages` streamed (`message_start`, content
blocks `thinking` with `thinking_delta` and `signature_delta`, `redacted_thinking`, `text`,
`tool_use` with `input_json_delta` pieces cut every few characters, so inside tokens, a
`ping`, `message_delta` with the stop reason and usage incl. cache read/creation tokens,
`message_stop`) or whole; `POST …/v1/messages/count_tokens`; `GET …/v1/models`.

Faults: an HTTP error (`Fault`: 529 overloaded, 401, 500, with the API's error body), a stream
cut after N events (cleanly or by dropping the connection), an `error` event mid-stream.

Requests are checked as the real API checks them (a 400 otherwise): `max_tokens` given, roles
alternating from a user turn, every tool_use answered by a tool_result in the next turn, every
thinking block signed. `server.sent[i]` is the content list of the i-th served message: what a
client must send back, byte for byte.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.openai_server import Fault, Recorded, _QuietServer

SIGNATURE = "ErUBCkYIBhgCIkDmmvJ4+sig/" + "A" * 48 + "=="
REDACTED = "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP" + "Z" * 30

__all__ = ["SIGNATURE", "Fault", "Reply", "Thinking", "ToolUse"]


@dataclass
class Thinking:
    text: str
    signature: str = SIGNATURE
    redacted: bool = False  # a redacted_thinking block: `data` only, nothing readable


@dataclass
class ToolUse:
    name: str
    input: dict[str, Any]
    id: str | None = None
    raw_json: str | None = None  # the input_json_delta text as sent, valid or not


Block = Thinking | ToolUse | str  # a str is a text block


@dataclass
class Reply:
    """One streamed message. `cut_after`: that many events, then a clean end (or with
    `abrupt`, a dropped connection); `error_at`: an `error` event there instead."""

    blocks: list[Block] = field(default_factory=list)
    input_tokens: int = 40
    output_tokens: int = 30
    cache_read: int = 1000
    cache_creation: int = 200
    stop_reason: str | None = None
    cut_after: int | None = None
    abrupt: bool = False
    error_at: int | None = None
    usage_at_start: bool = True  # MiniMax sends the input figures in message_start


class FakeAnthropicServer:
    def __init__(
        self,
        *,
        api_key: str | None = None,
        auth: str = "x-api-key",  # or "bearer", or "either"
        models: list[str] | None = None,
        prefix: str = "/anthropic",
        chunk_size: int = 5,
        count_tokens: bool = True,
        batch: bool = False,
    ) -> None:
        self.api_key = api_key
        self.auth = auth
        self.models = models if models is not None else ["MiniMax-M2.1"]
        self.prefix = prefix
        self.chunk_size = chunk_size
        self.count_tokens = count_tokens
        self.batch = batch  # one write for the whole stream (benchmarks)
        self.script: deque[Reply | Fault] = deque()
        self.requests: list[Recorded] = []
        self.sent: list[list[dict[str, Any]]] = []
        self.disconnects = 0
        self._ids = 0
        self._lock = threading.Lock()
        self._httpd = _QuietServer(("127.0.0.1", 0), _handler_for(self))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{self.prefix}"

    def start(self) -> FakeAnthropicServer:
        thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakeAnthropicServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def add(self, *replies: Reply | Fault) -> None:
        self.script.extend(replies)

    @property
    def message_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/v1/messages")]

    @property
    def count_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/v1/messages/count_tokens")]

    # -- rendering ------------------------------------------------------------------------------

    def _id(self) -> str:
        with self._lock:
            self._ids += 1
            return f"call_function_{self._ids:04d}"

    def content(self, reply: Reply) -> list[dict[str, Any]]:
        """The message's content blocks as a non-streaming reply would hold them."""
        out: list[dict[str, Any]] = []
        for block in reply.blocks:
            if isinstance(block, str):
                out.append({"type": "text", "text": block})
            elif isinstance(block, Thinking) and block.redacted:
                out.append({"type": "redacted_thinking", "data": REDACTED})
            elif isinstance(block, Thinking):
                out.append(
                    {"type": "thinking", "thinking": block.text, "signature": block.signature}
                )
            else:
                block.id = block.id or self._id()
                out.append(
                    {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
                )
        return out

    def usage(self, reply: Reply) -> dict[str, Any]:
        return {
            "input_tokens": reply.input_tokens,
            "cache_creation_input_tokens": reply.cache_creation,
            "cache_read_input_tokens": reply.cache_read,
            "output_tokens": reply.output_tokens,
        }

    def events(self, reply: Reply, model: str) -> list[bytes]:
        content = self.content(reply)
        usage = self.usage(reply)
        start_usage = {**usage, "output_tokens": 1} if reply.usage_at_start else {}
        message = {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": start_usage,
        }
        out = [_event("message_start", {"type": "message_start", "message": message})]
        out.append(_event("ping", {"type": "ping"}))
        for index, (spec, block) in enumerate(zip(reply.blocks, content, strict=True)):
            out += self._block_events(index, spec, block)
        tools = any(b["type"] == "tool_use" for b in content)
        stop = reply.stop_reason or ("tool_use" if tools else "end_turn")
        delta = {"stop_reason": stop, "stop_sequence": None}
        end_usage = {"output_tokens": reply.output_tokens}
        if not reply.usage_at_start:
            end_usage = usage
        out.append(
            _event("message_delta", {"type": "message_delta", "delta": delta, "usage": end_usage})
        )
        out.append(_event("message_stop", {"type": "message_stop"}))
        return out

    def _block_events(self, index: int, spec: Block, block: dict[str, Any]) -> list[bytes]:
        size = self.chunk_size
        kind = block["type"]
        start = dict(block)
        deltas: list[dict[str, Any]] = []
        if kind == "thinking":
            start.update(thinking="", signature="")
            deltas = [
                {"type": "thinking_delta", "thinking": p} for p in _pieces(block["thinking"], size)
            ]
            deltas.append({"type": "signature_delta", "signature": block["signature"]})
        elif kind == "text":
            start["text"] = ""
            deltas = [{"type": "text_delta", "text": p} for p in _pieces(block["text"], size)]
        elif kind == "tool_use":
            start["input"] = {}
            assert isinstance(spec, ToolUse)
            text = spec.raw_json if spec.raw_json is not None else json.dumps(block["input"])
            # cut every 3 characters: inside keys, numbers and escapes
            deltas = [{"type": "input_json_delta", "partial_json": p} for p in _pieces(text, 3)]
        out = [
            _event(
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": start},
            )
        ]
        out += [
            _event(
                "content_block_delta", {"type": "content_block_delta", "index": index, "delta": d}
            )
            for d in deltas
        ]
        out.append(_event("content_block_stop", {"type": "content_block_stop", "index": index}))
        return out

    # -- what the real API refuses --------------------------------------------------------------

    def problem(self, body: Any, headers: dict[str, str]) -> tuple[int, str, str] | None:
        key = self.api_key
        if key is not None:
            by_header = headers.get("x-api-key") == key
            by_bearer = headers.get("authorization") == f"Bearer {key}"
            ok = {"x-api-key": by_header, "bearer": by_bearer}.get(
                self.auth, by_header or by_bearer
            )
            if not ok:
                return 401, "authentication_error", "invalid x-api-key"
        if not headers.get("anthropic-version"):
            return 400, "invalid_request_error", "anthropic-version header is required"
        if not isinstance(body, dict):
            return 400, "invalid_request_error", "body is not a JSON object"
        if self.models and body.get("model") not in self.models:
            return 404, "not_found_error", f"model: {body.get('model')}"
        return _conversation_problem(body.get("messages"))


def _conversation_problem(messages: Any) -> tuple[int, str, str] | None:
    bad = "invalid_request_error"
    if not isinstance(messages, list) or not messages or messages[0].get("role") != "user":
        return 400, bad, "messages: the first message must use the user role"
    pending: set[str] = set()
    for number, message in enumerate(messages):
        role, content = message.get("role"), message.get("content")
        if number and role == messages[number - 1].get("role"):
            return 400, bad, f"messages.{number}: roles must alternate"
        blocks = content if isinstance(content, list) else [{"type": "text", "text": content}]
        results = {b.get("tool_use_id") for b in blocks if b.get("type") == "tool_result"}
        if pending - results:
            return (
                400,
                bad,
                f"messages.{number}: tool_use ids without tool_result: {sorted(pending - results)}",
            )
        pending = set()
        for block in blocks:
            if block.get("type") == "text" and not block.get("text"):
                return 400, bad, f"messages.{number}: text content blocks must be non-empty"
            if (
                role == "assistant"
                and block.get("type") == "thinking"
                and not block.get("signature")
            ):
                return 400, bad, f"messages.{number}: thinking block without a signature"
            if role == "assistant" and block.get("type") == "tool_use":
                pending.add(block["id"])
    return None


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] if text else []


def _event(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


def _handler_for(server: FakeAnthropicServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _record(self) -> tuple[Any, dict[str, str]]:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
            headers = {k.lower(): v for k, v in self.headers.items()}
            with server._lock:
                server.requests.append(Recorded(self.command, self.path, headers, body))
            return body, headers

        def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
            payload = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

        def _error(
            self, status: int, kind: str, message: str, headers: dict[str, str] | None = None
        ) -> None:
            self._json(
                status, {"type": "error", "error": {"type": kind, "message": message}}, headers
            )

        def do_GET(self) -> None:
            self._record()
            if self.path.rstrip("/") == f"{server.prefix}/v1/models":
                data = [{"id": m, "type": "model", "display_name": m} for m in server.models]
                self._json(
                    200, {"data": data, "has_more": False, "first_id": None, "last_id": None}
                )
            else:
                self._error(404, "not_found_error", f"no route {self.path}")

        def do_POST(self) -> None:
            body, headers = self._record()
            if self.path == f"{server.prefix}/v1/messages/count_tokens" and server.count_tokens:
                self._count(body, headers)
                return
            if self.path != f"{server.prefix}/v1/messages":
                self._error(404, "not_found_error", f"no route {self.path}")
                return
            problem = server.problem(body, headers)
            if problem:
                self._error(*problem)
                return
            if not isinstance(body.get("max_tokens"), int):
                self._error(400, "invalid_request_error", "max_tokens: Field required")
                return
            with server._lock:
                reply = server.script.popleft() if server.script else None
            if reply is None:
                self._error(418, "invalid_request_error", "fake server: no scripted reply left")
            elif isinstance(reply, Fault):
                kind = {
                    401: "authentication_error",
                    529: "overloaded_error",
                    429: "rate_limit_error",
                }
                self._error(
                    reply.status, kind.get(reply.status, "api_error"), reply.message, reply.headers
                )
            elif body.get("stream"):
                self._stream(reply, body)
            else:
                content = server.content(reply)
                server.sent.append(content)
                stop = "tool_use" if any(b["type"] == "tool_use" for b in content) else "end_turn"
                self._json(
                    200,
                    {
                        "id": "msg_fake",
                        "type": "message",
                        "role": "assistant",
                        "model": body["model"],
                        "content": content,
                        "stop_reason": reply.stop_reason or stop,
                        "usage": server.usage(reply),
                    },
                )

        def _count(self, body: Any, headers: dict[str, str]) -> None:
            problem = server.problem(body, headers)
            if problem:
                self._error(*problem)
                return
            # a stand-in for a tokenizer: stable, and not the client's 4 characters a token
            text = json.dumps([body.get("system"), body.get("messages"), body.get("tools")])
            self._json(200, {"input_tokens": len(text) // 3})

        def _chunk(self, payload: bytes) -> None:
            self.wfile.write(f"{len(payload):x}\r\n".encode() + payload + b"\r\n")

        def _stream(self, reply: Reply, body: dict[str, Any]) -> None:
            events = server.events(reply, body["model"])
            if reply.error_at is not None:
                error = {
                    "type": "error",
                    "error": {"type": "overloaded_error", "message": "Overloaded"},
                }
                events = [*events[: reply.error_at], _event("error", error)]
            complete = reply.cut_after is None and reply.error_at is None
            if reply.cut_after is not None:
                events = events[: reply.cut_after]
            if server.batch:
                events = [b"".join(events)]
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                for event in events:
                    self._chunk(event)
                if reply.abrupt:
                    self.close_connection = True
                    return
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                with server._lock:
                    server.disconnects += 1
                self.close_connection = True
                return
            if complete:
                with server._lock:
                    server.sent.append(server.content(reply))

    return Handler
