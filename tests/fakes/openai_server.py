"""A fake OpenAI-compatible Chat Completions server: real HTTP on 127.0.0.1 (stdlib
`ThreadingHTTPServer` in a thread), SSE over chunked transfer encoding, every request recorded,
replies scripted per test.

Modes emulate how real endpoints hand M2.1's reasoning and tool calls back:

- `vllm-inline`: vLLM with `minimax_m2_append_think` and no tool parser: `<think>…</think>` and
  the `<minimax:tool_call>` XML stay in `content`;
- `vllm-parser`: vLLM with reasoning and tool parsers: `reasoning_content`, native `tool_calls`;
- `openrouter`: `reasoning` plus `reasoning_details` (a signed text item and an encrypted item),
  `: OPENROUTER PROCESSING` comments, `usage.cost`;
- `minimax-split`: the MiniMax platform with `reasoning_split`: `reasoning_details` text items;
- `modelslab`: the key as a bearer header or as `key` in the JSON body, the model as `model`
  and `model_id` (its current and older forms); the reasoning comes in a `reasoning` field.

`server.sent[i]` is the i-th served turn as one complete assistant message (what a
non-streaming reply would hold), which is exactly what a client must send back.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODES = ("vllm-inline", "vllm-parser", "openrouter", "minimax-split", "modelslab")
SIGNATURE = "EqQBCkgIBxABGAIiQGsig-" + "x" * 40
ENCRYPTED = "gAAAAABoZW5jcnlwdGVkLXJlYXNvbmluZw==" + "Q" * 60


@dataclass
class Call:
    name: str
    arguments: dict[str, Any]
    id: str | None = None
    raw_arguments: str | None = None  # the native `arguments` string as sent, valid or not


@dataclass
class Turn:
    """One assistant turn, rendered in the server's mode. Stream faults: `cut_after` chunks then
    a clean end (no finish_reason, no [DONE]) or, with `abrupt`, a dropped connection;
    `garble_at` makes that chunk invalid JSON; `error_at` puts an `error` object there (as
    OpenRouter does when the upstream fails mid-stream); `delay_s` paces the chunks.

    Deadline faults: `keepalive_forever` sends `: ping` comments every `delay_s` (or 50 ms)
    after the first `stall_after` events and never anything else; `stall_s` sends nothing for
    that long after the first `stall_after` events, then the rest. `finish_reason` replaces the
    one the turn would end with (`length`: cut off by max_tokens); `raw_content` is the whole
    content in `vllm-inline` mode (a `<think>` that never closes)."""

    reasoning: str = ""
    text: str = ""
    calls: list[Call] = field(default_factory=list)
    prompt_tokens: int = 120
    completion_tokens: int = 30
    cached_tokens: int = 64
    cost: float = 0.00042
    cut_after: int | None = None
    abrupt: bool = False
    garble_at: int | None = None
    error_at: int | None = None
    delay_s: float = 0.0
    keepalive_forever: bool = False
    stall_s: float = 0.0
    stall_after: int = 1
    finish_reason: str | None = None
    raw_content: str | None = None


@dataclass
class Fault:
    """An HTTP error reply."""

    status: int
    message: str = "scripted fault"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Raw:
    """A 200 JSON reply sent as it is, whatever was asked (`{}`, `{"choices": []}`)."""

    body: Any


@dataclass
class Scripted:
    """A stream whose deltas are given as they are (a real server's exact shapes), whatever the
    mode; `final` is merged into the finishing chunk (llama-server's `timings`), and `usage`,
    when set, comes after it in a chunk of its own when the request asks for it."""

    deltas: list[dict[str, Any]]
    finish_reason: str = "stop"
    final: dict[str, Any] = field(default_factory=dict)
    usage: dict[str, Any] | None = None


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    at: float = 0.0  # time.monotonic() when the request line and headers had arrived


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] if text else []


def tool_xml(calls: list[Call]) -> str:
    def value(v: Any) -> str:
        return v if isinstance(v, str) else json.dumps(v)

    invokes = "".join(
        f'<invoke name="{c.name}">\n'
        + "".join(f'<parameter name="{k}">{value(v)}</parameter>\n' for k, v in c.arguments.items())
        + "</invoke>\n"
        for c in calls
    )
    return f"<minimax:tool_call>\n{invokes}</minimax:tool_call>"


class FakeOpenAIServer:
    def __init__(
        self,
        mode: str = "vllm-parser",
        *,
        api_key: str | None = None,
        models: list[str] | None = None,
        chunk_size: int = 7,
        batch: bool = False,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode
        self.api_key = api_key
        self.models = models if models is not None else ["MiniMax-M2.1"]
        self.chunk_size = chunk_size
        # One write for the whole stream, so a benchmark measures the client, not this server.
        self.batch = batch
        self.script: deque[Turn | Fault | Raw | Scripted] = deque()
        self.requests: list[Recorded] = []
        self.sent: list[dict[str, Any]] = []
        self.disconnects = 0
        self.serve_models = True
        # GET routes (/models, OpenRouter's /key) refuse a request without `api_key` when set
        self.get_needs_key = False
        self.model_fields: dict[str, Any] = {}  # added to each /models entry (max_model_len...)
        self._lock = threading.Lock()
        self.stopping = threading.Event()  # ends replies that would go on forever
        self._httpd = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeOpenAIServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def add(self, *replies: Turn | Fault | Raw | Scripted) -> None:
        self.script.extend(replies)

    @property
    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    # -- rendering ------------------------------------------------------------------------------

    def _call_id(self, index: int) -> str:
        if self.mode.startswith("vllm"):
            return f"chatcmpl-tool-{secrets.token_hex(8)}"
        if self.mode == "minimax-split":
            return f"call_function_{secrets.randbelow(10**10)}_{index + 1}"
        return f"call_{secrets.token_hex(12)}"

    def render(self, turn: Turn) -> tuple[list[dict[str, Any]], dict[str, Any], str]:
        """The deltas of `turn`, the complete message, and the finish reason."""
        size = self.chunk_size
        deltas: list[dict[str, Any]] = []
        message: dict[str, Any] = {"role": "assistant"}
        if self.mode == "vllm-inline":
            content = f"<think>\n{turn.reasoning}\n</think>\n\n{turn.text}"
            if turn.calls:
                content += "\n" + tool_xml(turn.calls)
            if turn.raw_content is not None:
                content = turn.raw_content
            deltas = [{"content": p} for p in _pieces(content, size)]
            message["content"] = content
            return deltas, message, turn.finish_reason or "stop"
        native = [
            {
                "id": call.id or self._call_id(i),
                "type": "function",
                "function": {
                    "name": call.name,
                    "arguments": call.raw_arguments or json.dumps(call.arguments),
                },
            }
            for i, call in enumerate(turn.calls)
        ]
        if self.mode == "vllm-parser":
            deltas += [{"reasoning_content": p} for p in _pieces(turn.reasoning, size)]
            message["reasoning_content"] = turn.reasoning
            text = f"\n\n{turn.text}" if turn.text else ""
            deltas += [{"content": p} for p in _pieces(text, size)]
            message["content"] = text or None
        elif self.mode == "openrouter":
            fmt = "anthropic-claude-v1"
            for p in _pieces(turn.reasoning, size):
                item = {"type": "reasoning.text", "text": p, "signature": None, "format": fmt}
                deltas.append(
                    {"content": "", "reasoning": p, "reasoning_details": [{**item, "index": 0}]}
                )
            sig = {"type": "reasoning.text", "text": "", "signature": SIGNATURE, "format": fmt}
            enc = {"type": "reasoning.encrypted", "data": ENCRYPTED, "id": "rs_7f3a", "format": fmt}
            deltas.append({"content": "", "reasoning_details": [{**sig, "index": 0}]})
            deltas.append({"content": "", "reasoning_details": [{**enc, "index": 1}]})
            deltas += [{"content": p, "reasoning": None} for p in _pieces(turn.text, size)]
            message["content"] = turn.text
            message["reasoning"] = turn.reasoning
            message["reasoning_details"] = [
                {**sig, "text": turn.reasoning, "index": 0},
                {**enc, "index": 1},
            ]
        elif self.mode == "minimax-split":
            head = {"type": "reasoning.text", "id": "reasoning-text-1"}
            head["format"] = "MiniMax-response-v1"
            deltas += [
                {"reasoning_details": [{**head, "index": 0, "text": p}]}
                for p in _pieces(turn.reasoning, size)
            ]
            deltas += [{"content": p} for p in _pieces(turn.text, size)]
            message["content"] = turn.text
            message["reasoning_details"] = [{**head, "index": 0, "text": turn.reasoning}]
        else:  # modelslab
            deltas += [{"reasoning": p} for p in _pieces(turn.reasoning, size)]
            deltas += [{"content": p} for p in _pieces(turn.text, size)]
            message["content"] = turn.text
            message["reasoning"] = turn.reasoning
        for i, call in enumerate(native):
            head = {"index": i, "id": call["id"], "type": "function"}
            deltas.append(
                {"tool_calls": [{**head, "function": {"name": call["function"]["name"]}}]}
            )
            for p in _pieces(call["function"]["arguments"], size):
                deltas.append({"tool_calls": [{"index": i, "function": {"arguments": p}}]})
        if native:
            message["tool_calls"] = native
        return deltas, message, turn.finish_reason or ("tool_calls" if native else "stop")

    def usage(self, turn: Turn) -> dict[str, Any]:
        usage: dict[str, Any] = {
            "prompt_tokens": turn.prompt_tokens,
            "completion_tokens": turn.completion_tokens,
            "total_tokens": turn.prompt_tokens + turn.completion_tokens,
            "prompt_tokens_details": {"cached_tokens": turn.cached_tokens},
        }
        if self.mode == "openrouter":
            usage["cost"] = turn.cost
        return usage


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client dropping a kept-alive connection is normal; anything else is a fake's bug.
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler_for(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

        def _record(self) -> Any:
            at = time.monotonic()
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
            headers = {k.lower(): v for k, v in self.headers.items()}
            with server._lock:
                server.requests.append(Recorded(self.command, self.path, headers, body, at))
            return body

        def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
            payload = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

        def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
            self._json(status, {"error": {"message": message, "code": status}}, headers)

        def do_GET(self) -> None:
            self._record()
            bearer = self.headers.get("authorization")
            if server.get_needs_key and bearer != f"Bearer {server.api_key}":
                self._error(401, "Incorrect API key provided")
            elif self.path.rstrip("/").endswith("/key"):
                self._json(200, {"data": {"label": "fake key", "usage": 0}})
            elif self.path.rstrip("/").endswith("/models") and server.serve_models:
                data = [
                    {"id": m, "object": "model", "owned_by": "fake", **server.model_fields}
                    for m in server.models
                ]
                self._json(200, {"object": "list", "data": data})
            else:
                self._error(404, f"no route {self.path}")

        def do_POST(self) -> None:
            body = self._record()
            if not self.path.endswith("/chat/completions") or not isinstance(body, dict):
                self._error(404, f"no route {self.path}")
                return
            problem = self._refuse(body)
            if problem:
                self._error(*problem)
                return
            with server._lock:
                reply = server.script.popleft() if server.script else None
            if reply is None:
                self._error(418, "fake server: no scripted reply left")
            elif isinstance(reply, Fault):
                self._error(reply.status, reply.message, reply.headers)
            elif isinstance(reply, Raw):
                self._json(200, reply.body)
            elif isinstance(reply, Scripted):
                self._scripted(reply, body)
            elif body.get("stream"):
                self._stream(reply, body)
            else:
                _, message, finish = server.render(reply)
                server.sent.append(message)
                choice = {"index": 0, "message": message, "finish_reason": finish}
                self._json(
                    200,
                    {
                        "id": "chatcmpl-fake",
                        "object": "chat.completion",
                        "choices": [choice],
                        "usage": server.usage(reply),
                    },
                )

        def _refuse(self, body: dict[str, Any]) -> tuple[int, str] | None:
            key = server.api_key
            if server.mode == "modelslab":
                # either form authenticates: a bearer key, or `key` in the body
                bearer = self.headers.get("authorization") == f"Bearer {key}"
                if key is not None and not bearer and body.get("key") != key:
                    return 401, "Invalid API key"
                if body.get("model") != body.get("model_id"):
                    return 400, "model and model_id disagree"
                model = body.get("model_id")
            else:
                if key is not None and self.headers.get("authorization") != f"Bearer {key}":
                    return 401, "Incorrect API key provided"
                model = body.get("model")
            if server.models and model not in server.models:
                return 404, f"The model `{model}` does not exist."
            return None

        def _chunk(self, payload: bytes) -> None:
            self.wfile.write(f"{len(payload):x}\r\n".encode() + payload + b"\r\n")

        def _stream(self, turn: Turn, body: dict[str, Any]) -> None:
            deltas, message, finish = server.render(turn)
            base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0}
            base["model"] = body.get("model") or body.get("model_id")
            events: list[bytes] = []
            if server.mode == "openrouter":
                events.append(b": OPENROUTER PROCESSING\n\n")
            first = {"role": "assistant", "content": ""}
            choices: list[dict[str, Any]] = [{"index": 0, "delta": first, "finish_reason": None}]
            events.append(_data({**base, "choices": choices}))
            for delta in deltas:
                choice = {"index": 0, "delta": delta, "finish_reason": None}
                events.append(_data({**base, "choices": [choice]}))
            usage = server.usage(turn)
            last = {"index": 0, "delta": {}, "finish_reason": finish}
            if server.mode == "minimax-split":  # usage rides on the finishing chunk
                events.append(_data({**base, "choices": [last], "usage": usage}))
            else:
                events.append(_data({**base, "choices": [last]}))
                wants = (body.get("stream_options") or {}).get("include_usage")
                if wants or server.mode == "openrouter":
                    events.append(_data({**base, "choices": [], "usage": usage}))
            events.append(b"data: [DONE]\n\n")
            if turn.garble_at is not None:
                events[turn.garble_at] = b'data: {"choices": [{"delta": {"content": "x"\n\n'
            if turn.error_at is not None:
                error = {"error": {"message": "Provider returned error", "code": 502}}
                events[turn.error_at] = _data(error)
            complete = turn.cut_after is None and turn.garble_at is None and turn.error_at is None
            if turn.cut_after is not None:
                events = events[: turn.cut_after]
            if server.batch:
                events = [b"".join(events)]
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                for number, event in enumerate(events):
                    if number == turn.stall_after:
                        self._stall(turn)
                    if turn.delay_s:
                        time.sleep(turn.delay_s)
                    self._chunk(event)
                if turn.abrupt:
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
                    server.sent.append(message)

        def _scripted(self, reply: Scripted, body: dict[str, Any]) -> None:
            base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0}
            events = [
                _data({**base, "choices": [{"index": 0, "delta": d, "finish_reason": None}]})
                for d in reply.deltas
            ]
            last = {"index": 0, "delta": {}, "finish_reason": reply.finish_reason}
            events.append(_data({**base, "choices": [last], **reply.final}))
            if reply.usage is not None and (body.get("stream_options") or {}).get("include_usage"):
                events.append(_data({**base, "choices": [], "usage": reply.usage}))
            events.append(b"data: [DONE]\n\n")
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for event in events:
                self._chunk(event)
            self.wfile.write(b"0\r\n\r\n")

        def _stall(self, turn: Turn) -> None:
            if turn.keepalive_forever:
                while not server.stopping.wait(turn.delay_s or 0.05):
                    self._chunk(b": ping\n\n")
                raise BrokenPipeError  # the test is over: end this reply
            server.stopping.wait(turn.stall_s)

    return Handler


def _data(obj: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(obj).encode() + b"\n\n"
