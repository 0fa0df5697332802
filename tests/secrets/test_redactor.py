"""The Redactor: known secrets, URL credentials and secret-named fields, in text, data,
serialized JSON and streamed pieces (minimax_agent/redact.py)."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import pytest
from rich.console import Console

from minimax_agent import redact
from minimax_agent.events import (
    Finish,
    ReasoningDelta,
    StepStarted,
    TextDelta,
    ToolCall,
    ToolOutcome,
    TraceRecord,
)
from minimax_agent.messages import AssistantMessage
from minimax_agent.redact import (
    REDACTED,
    EventRedactor,
    Redactor,
    environment_secrets,
    header_secrets,
)
from minimax_agent.session.trace import TraceWriter
from minimax_agent.ui.headless import HeadlessHooks
from minimax_agent.ui.render import Renderer
from minimax_agent.ui.stream_json import StreamJsonHooks

KEY = "sk-or-v1-5f0e1d2c3b4a59687766554433221100"
AWS = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SECRETS = [KEY, AWS, "a pass phrase with spaces"]


def test_text_replaces_every_known_secret() -> None:
    r = Redactor(SECRETS)
    text = f"key={KEY}\naws {AWS}; again {KEY}{KEY} and a pass phrase with spaces."
    out = r.text(text)
    assert all(s not in out for s in SECRETS)
    assert out == (f"key={REDACTED}\naws {REDACTED}; again {REDACTED}{REDACTED} and {REDACTED}.")


def test_the_longest_secret_goes_whole_when_one_contains_another() -> None:
    r = Redactor(["abcdefgh", "abcdefgh-and-more"])
    assert r.text("x abcdefgh-and-more y abcdefgh") == f"x {REDACTED} y {REDACTED}"


def test_short_values_are_not_secrets() -> None:
    r = Redactor(["true", "1234567", "", None])
    assert r.secrets == ()
    assert r.text("true 1234567") == "true 1234567"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgres://u:s3cretpw@db/x", f"postgres://{REDACTED}@db/x"),
        ("http://user:pw@host:8080/v1", f"http://{REDACTED}@host:8080/v1"),
        ("redis://:pw-only@cache:6379", f"redis://{REDACTED}@cache:6379"),
        ("see https://tok:x-oauth-basic@github.com.", f"see https://{REDACTED}@github.com."),
        ("https://host/a:b@c", "https://host/a:b@c"),
        ("ssh://git@github.com/o/r", "ssh://git@github.com/o/r"),
        ("no url: a:b@c", "no url: a:b@c"),
    ],
)
def test_url_credentials_are_redacted(url: str, shown: str) -> None:
    assert Redactor().text(url) == shown


@pytest.mark.parametrize(
    "secret",
    ['pa"ss\\word-123', "pässwörd-ünïcode", "tab\tand\nnewline-secret"],
)
def test_serialized_json_redacts_and_stays_valid(secret: str) -> None:
    r = Redactor([secret])
    record = {"content": f"before {secret} after", "nested": [{"x": secret}]}
    for ascii_only in (True, False):
        line = r.text(json.dumps(record, ensure_ascii=ascii_only))
        assert json.loads(line) == {
            "content": f"before {REDACTED} after",
            "nested": [{"x": REDACTED}],
        }


def test_url_redaction_never_reaches_across_json_strings() -> None:
    record = {"a": "see x://y", "b": "c:d@e", "c": "postgres://u:pw@db/x"}
    for separators in ((",", ":"), (", ", ": ")):
        line = Redactor().text(json.dumps(record, separators=separators))
        assert json.loads(line) == {**record, "c": f"postgres://{REDACTED}@db/x"}


def test_value_redacts_strings_and_secret_named_fields() -> None:
    r = Redactor([KEY])
    body = {
        "model": "m",
        "headers": {"Authorization": f"Bearer {KEY}", "X-Title": "ok", "x-api-key": "zzz"},
        "key": "modelslab-key",
        "max_tokens": 5,
        "usage": {"prompt_tokens": 3},
        "messages": [{"role": "user", "content": f"my key is {KEY}"}, ("t", KEY)],
        "empty_token": "",
    }
    out = r.value(body)
    assert out["headers"] == {"Authorization": REDACTED, "X-Title": "ok", "x-api-key": REDACTED}
    assert out["key"] == REDACTED and out["max_tokens"] == 5 and out["usage"] == body["usage"]
    assert out["messages"] == [
        {"role": "user", "content": f"my key is {REDACTED}"},
        ("t", REDACTED),
    ]
    assert out["empty_token"] == ""
    # values only: a field that happens to be called `key` is data
    assert r.value({"key": "k", "v": KEY}, fields=False) == {"key": "k", "v": REDACTED}


def test_value_survives_deep_nesting_and_the_text_pass_covers_the_depths() -> None:
    r = Redactor([KEY])
    deep: object = KEY
    for _ in range(5000):
        deep = [deep]
    out = r.value(deep)  # no RecursionError: it stops descending
    assert isinstance(out, list)
    line = json.dumps({"a": [[[[KEY]]]]})
    assert KEY not in r.text(line)


def split_points(text: str, seed: int) -> list[str]:
    rnd = random.Random(seed)
    pieces, at = [], 0
    while at < len(text):
        step = rnd.randint(1, 9)
        pieces.append(text[at : at + step])
        at += step
    return pieces


@pytest.mark.parametrize("seed", range(40))
def test_a_secret_split_across_streamed_pieces_is_still_found(seed: int) -> None:
    r = Redactor(SECRETS)
    text = (
        f"The key is {KEY}, the AWS one {AWS}!\nAnd a pass phrase with spaces here; "
        "the db is postgres://admin:s3cretpw@db:5432/app ok"
    )
    stream = r.stream()
    out = "".join(stream.feed(p) for p in split_points(text, seed)) + stream.flush()
    assert out == r.text(text)
    assert all(s not in out for s in SECRETS) and "s3cretpw" not in out


def test_a_stream_holds_back_no_more_than_the_last_word() -> None:
    stream = Redactor([KEY]).stream()
    assert stream.feed("Hello wor") == "Hello "
    assert stream.feed("ld, and ") == "world, and "
    assert stream.feed(KEY[:10]) == ""
    assert stream.feed(KEY[10:] + " end") == f"{REDACTED} "
    assert stream.flush() == "end"


def test_environment_secrets_by_name_and_url_passwords() -> None:
    env = {
        "MYCLUSTER_KEY": "cluster-key-value-1",
        "AWS_SECRET_ACCESS_KEY": AWS,
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SESSION_TOKEN": "FwoGZXIvYXdzEBYaDH-session",
        "DATABASE_URL": "postgres://u:s3cretpw@db/x",
        "SHORT_TOKEN": "abc",
        "AWS_REGION": "us-east-1",  # not secret: stays readable in output
        "HOME": "/home/someone",
    }
    r = Redactor.from_environment(env)
    assert set(r.secrets) == {
        "cluster-key-value-1",
        AWS,
        "AKIAIOSFODNN7EXAMPLE",
        "FwoGZXIvYXdzEBYaDH-session",
        "u:s3cretpw",
        "s3cretpw",
    }
    assert "abc" in environment_secrets(env)  # found, but too short to act on
    assert r.text("region us-east-1 in /home/someone") == "region us-east-1 in /home/someone"
    assert r.text("password s3cretpw") == f"password {REDACTED}"


def test_header_secrets_take_the_scheme_off() -> None:
    found = header_secrets({"Authorization": f"Bearer {KEY}", "X-Title": "minimax-agent"})
    assert KEY in found and "minimax-agent" not in found


def test_current_follows_the_environment_and_learned_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DECOY_API_KEY", "decoy-key-value-42")
    assert "decoy-key-value-42" in redact.current().secrets
    assert redact.current() is redact.current()  # one Redactor while nothing changes
    learned = "custom-named-key-" + str(random.random())
    redact.add_secrets(learned)
    assert learned in redact.current().secrets
    monkeypatch.delenv("DECOY_API_KEY")
    assert "decoy-key-value-42" not in redact.current().secrets


def test_repr_never_shows_a_secret() -> None:
    assert KEY not in repr(Redactor([KEY]))


def events_with_a_split_secret() -> list[object]:
    call = ToolCall("c1", "run_command", {"command": f"curl -H 'k: {KEY}' x"})
    finish = Finish("tool_calls", AssistantMessage(content="", raw=""))
    return [
        StepStarted(1),
        *[ReasoningDelta(p) for p in split_points(f"thinking about {AWS} now", 1)],
        *[TextDelta(p) for p in split_points(f"Use {KEY} and postgres://u:pw1@db/x.", 2)],
        call,
        finish,
        ToolOutcome(call, f"out: {AWS}\n{KEY}", False),
    ]


def test_event_redactor_redacts_every_event_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DECOY_OPENROUTER_API_KEY", KEY)
    monkeypatch.setenv("DECOY_AWS_SECRET_ACCESS_KEY", AWS)
    redactor = EventRedactor()
    shown = [e for event in events_with_a_split_secret() for e in redactor(event)]  # type: ignore[arg-type]
    shown += redactor.flush()
    text = "".join(e.text for e in shown if isinstance(e, TextDelta))
    assert text == f"Use {REDACTED} and postgres://{REDACTED}@db/x."
    assert "".join(e.text for e in shown if isinstance(e, ReasoningDelta)) == (
        f"thinking about {REDACTED} now"
    )
    call = next(e for e in shown if isinstance(e, ToolCall))
    assert call.arguments == {"command": f"curl -H 'k: {REDACTED}' x"}
    outcome = next(e for e in shown if isinstance(e, ToolOutcome))
    assert outcome.content == f"out: {REDACTED}\n{REDACTED}"
    assert outcome.call.arguments == call.arguments
    # everything comes out in the order it was streamed: reasoning, text, the tool call
    kinds = [type(e).__name__ for e in shown]
    last_reasoning = max(i for i, k in enumerate(kinds) if k == "ReasoningDelta")
    first_text = kinds.index("TextDelta")
    last_text = max(i for i, k in enumerate(kinds) if k == "TextDelta")
    assert last_reasoning < first_text and last_text < kinds.index("ToolCall")


def feed(hooks: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DECOY_OPENROUTER_API_KEY", KEY)
    monkeypatch.setenv("DECOY_AWS_SECRET_ACCESS_KEY", AWS)
    for event in events_with_a_split_secret():
        hooks.on_event(event)  # type: ignore[attr-defined]


def test_headless_text_output_shows_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    hooks = HeadlessHooks(Console(file=out, width=200), show_reasoning=True)
    feed(hooks, monkeypatch)
    hooks.end_line()
    shown = out.getvalue()
    assert KEY not in shown and AWS not in shown and "pw1" not in shown
    assert REDACTED in shown and "run_command" in shown


def test_stream_json_shows_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    hooks = StreamJsonHooks(out)
    feed(hooks, monkeypatch)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert KEY not in out.getvalue() and AWS not in out.getvalue()
    text = "".join(e["text"] for e in lines if e["type"] == "text")
    assert text == f"Use {REDACTED} and postgres://{REDACTED}@db/x."


def test_the_repl_renderer_shows_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    renderer = Renderer(Console(file=out, width=200, force_terminal=False), show_thinking=True)
    feed(renderer, monkeypatch)
    renderer.notice(f"a notice quoting {KEY}")
    renderer.settle()
    shown = out.getvalue()
    assert KEY not in shown and AWS not in shown and "pw1" not in shown
    assert REDACTED in shown
    # /output shows what was kept for it: redacted as well
    assert all(KEY not in o.content for o in renderer.outputs)


def test_the_trace_redacts_a_secret_streamed_in_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DECOY_MYCLUSTER_KEY", KEY)
    text = f"the key {KEY} and the url http://u:pw-xyz@h/v1 end"
    pieces = split_points(text, 3)
    message = AssistantMessage(content=text, raw=text)
    body = {"headers": {"Authorization": "Bearer zzz-not-known"}, "messages": [{"c": text}]}
    finish = Finish("stop", message, request=body)
    writer = TraceWriter(tmp_path / "t.jsonl")
    events = [*(TextDelta(p) for p in pieces), finish]
    writer.on_trace(TraceRecord(1, finish, events, f"error quoting {KEY}"))
    writer.close()
    line = (tmp_path / "t.jsonl").read_text()
    assert KEY not in line and "pw-xyz" not in line and "zzz-not-known" not in line
    record = json.loads(line)
    assert len(record["events"]) == len(pieces)  # one record per delta, as streamed
    streamed = "".join(e["text"] for e in record["events"])
    assert streamed == f"the key {REDACTED} and the url http://{REDACTED}@h/v1 end"
    assert record["message"]["content"] == streamed and record["raw"] == streamed
    assert record["error"] == f"error quoting {REDACTED}"
