"""Round-trip identity (ARCHITECTURE.md, "Fidelity"): for every shape a server answers in, the
request our backend sends next, rendered with the OFFICIAL MiniMax-M2 template (read from the
llama-cpp-python 0.3.36 sdist, rendered with jinja2 as Hugging Face and vLLM do), prints each
earlier assistant turn of the tool loop exactly as the model generated it.

Each server's shape is built from one generated text G (what follows the `]~b]ai\\n<think>\\n`
prompt): how the server splits G into `reasoning_content`/`reasoning`/`reasoning_details`,
`content` and native `tool_calls` follows its parsers (llama.cpp tools/server and
tests/test-chat.cpp in the sdist; vLLM's minimax_m2 reasoning and tool parsers, also with
`minimax_m2_append_think`; SGLang's). The chunks are served over real HTTP by the fake server;
the real assembler reads them; the real backend builds the next request.

A server reads our JSON before rendering: tool-call `arguments` strings become objects (vLLM,
SGLang and llama-server all do), a null content becomes "" (llama-server; vLLM makes it []),
`reasoning` is read as `reasoning_content` (vLLM), and an upstream behind OpenRouter or the
MiniMax platform that renders with this template reads the `reasoning_details` text as
`reasoning_content`. `server_view` does exactly that, and nothing else.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from minimax_agent.backends import Request
from minimax_agent.backends.openai import OpenAIBackend
from minimax_agent.events import Finish, ToolCall
from minimax_agent.messages import Message, SystemMessage, ToolMessage, ToolSpec, UserMessage
from tests.backends.conftest import BackendFactory, ServerFactory
from tests.conftest import sdist_template
from tests.fakes.openai_server import Scripted

TOOLS = [
    ToolSpec(
        name="read_file",
        description="Read a file.",
        parameters={
            "type": "object",
            "properties": {
                "path": {"type": "string"},
                "limit": {"type": "integer"},
                "tail": {"type": "boolean"},
            },
            "required": ["path"],
        },
    ),
    ToolSpec(
        name="edit",
        description="Replace text.",
        parameters={
            "type": "object",
            "properties": {
                "path": {"type": "string"},
                "old": {"type": "string"},
                "new": {"type": "string"},
                "lines": {"type": ["array", "null"]},
                "count": {"type": ["integer", "string"]},
            },
        },
    ),
]


def block(*invokes: str) -> str:
    return "<minimax:tool_call>\n" + "".join(invokes) + "</minimax:tool_call>"


def invoke(name: str, **params: str) -> str:
    body = "".join(f'<parameter name="{k}">{v}</parameter>\n' for k, v in params.items())
    return f'<invoke name="{name}">\n{body}</invoke>\n'


# Three steps of one user turn: the template renders reasoning only after the last user message.
# (reasoning, text, block): G = R + "\n</think>\n\n" + T + "\n" + B
STEPS = [
    (
        "The user wants the typo fixed.\nFirst, <look> at notes.txt & its size…",
        "Let me read the file.",
        block(invoke("read_file", path="notes.txt", limit="20", tail="false")),
    ),
    (
        'Line 3 says `teh`. Two edits; one value holds markup:\n  x = "</parameter>"',
        "Fixing both.",
        block(
            invoke("edit", path="notes.txt", old="teh", new="the", count="007"),
            invoke(
                "edit",
                path="a.py",
                old='X = "</parameter>"',
                new="X = 1\n\ndef f():\n    return {'a': [1, 2]}",
                lines="[3, 4]",
                count="2",
            ),
        ),
    ),
]
FINAL = ("Both edits are in.", "Fixed `teh` in notes.txt and X in a.py.")


def generated(reasoning: str, text: str, calls: str) -> str:
    return f"{reasoning}\n</think>\n\n{text}\n{calls}"


def parsed_args(calls: str) -> list[tuple[str, dict[str, Any]]]:
    """The calls in `calls` as a tool parser types them (what a server sends natively)."""
    from minimax_agent.dialect import dialect_for

    _, message = dialect_for().parse_complete(calls, TOOLS, in_reasoning=False)
    return [(c.name, c.arguments) for c in message.tool_calls]


def native(calls: str) -> list[dict[str, Any]]:
    deltas: list[dict[str, Any]] = []
    for i, (name, arguments) in enumerate(parsed_args(calls)):
        head = {"index": i, "id": f"call_{i}_{len(calls)}", "type": "function"}
        deltas.append({"tool_calls": [{**head, "function": {"name": name, "arguments": ""}}]})
        text = json.dumps(arguments, ensure_ascii=False)
        for piece in pieces(text):
            deltas.append({"tool_calls": [{"index": i, "function": {"arguments": piece}}]})
    return deltas


def pieces(text: str, size: int = 5) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def field(name: str, text: str) -> list[dict[str, Any]]:
    return [{name: p} for p in pieces(text)]


def details(text: str, **item: Any) -> list[dict[str, Any]]:
    return [
        {"reasoning_details": [{"type": "reasoning.text", "index": 0, "text": p, **item}]}
        for p in pieces(text)
    ]


def shape(server: str, reasoning: str, text: str, calls: str) -> tuple[list[dict[str, Any]], str]:
    """The deltas `server` streams for one generated turn, and its finish_reason."""
    g = generated(reasoning, text, calls)
    r, tail = g.split("</think>", 1)  # r keeps the model's "\n" before </think>
    before = tail[: len(tail) - len(calls)]  # "\n\n" + text + "\n"
    content_calls = [{"content": p} for p in pieces(tail)]
    tool_finish = "tool_calls" if calls else "stop"
    match server:
        case "vllm-append-think":  # minimax_m2_append_think, no tool parser: all in content
            return [{"content": p} for p in pieces("<think>" + g)], "stop"
        case "vllm-append-think+tools":
            deltas = [{"content": p} for p in pieces("<think>" + r + "</think>" + before)]
            return deltas + native(calls), tool_finish
        case "vllm-no-reasoning-parser":  # the raw generation after a <think>\n prompt
            return [{"content": p} for p in pieces(g)], "stop"
        case "vllm-reasoning":  # `reasoning` field (vLLM >= 0.10), no tool parser
            return field("reasoning", r) + content_calls, "stop"
        case "vllm-reasoning+tools":
            content = [{"content": p} for p in pieces(before)]
            return field("reasoning", r) + content + native(calls), tool_finish
        case "sglang-reasoning_content":  # --reasoning-parser minimax, no tool parser
            return field("reasoning_content", r) + content_calls, "stop"
        case "sglang-reasoning_content+tools":  # + --tool-call-parser minimax-m2
            content = [{"content": p} for p in pieces(before)]
            return field("reasoning_content", r) + content + native(calls), tool_finish
        case "llama-server":  # reasoning-format auto: content starts after "</think>\n\n"
            content = [{"content": p} for p in pieces(before.removeprefix("\n\n"))]
            return field("reasoning_content", r) + content + native(calls), tool_finish
        case "llama-server-tool_choice-none":  # the XML stays in content
            content = [{"content": p} for p in pieces(tail.removeprefix("\n\n"))]
            return field("reasoning_content", r) + content, "stop"
        case "minimax-reasoning_split":  # the platform: reasoning_details text items
            reasoning_deltas = details(r, id="reasoning-text-1", format="MiniMax-response-v1")
            content = [{"content": p} for p in pieces(before.removeprefix("\n\n"))]
            return reasoning_deltas + content + native(calls), tool_finish
        case "openrouter-reasoning_details":  # `reasoning` repeated in reasoning_details
            both = [
                {"reasoning": d["reasoning_details"][0]["text"], **d}
                for d in details(r, format="unknown")
            ]
            content = [{"content": p} for p in pieces(before.removeprefix("\n\n"))]
            return both + content + native(calls), tool_finish
    raise AssertionError(server)


SERVERS = {
    "vllm-append-think": "vllm",
    "vllm-append-think+tools": "vllm",
    "vllm-no-reasoning-parser": "vllm",
    "vllm-reasoning": "vllm",
    "vllm-reasoning+tools": "vllm",
    "sglang-reasoning_content": "sglang",
    "sglang-reasoning_content+tools": "sglang",
    "llama-server": "llamacpp-server",
    "llama-server-tool_choice-none": "llamacpp-server",
    "minimax-reasoning_split": "minimax",
    "openrouter-reasoning_details": "openrouter",
}


def official_template() -> str:
    return sdist_template("MiniMax-M2.jinja")


@pytest.fixture(scope="module")
def template() -> str:
    pytest.importorskip("jinja2", reason="jinja2 renders the official template")
    return official_template()


def render(template: str, body: dict[str, Any], preset: str) -> str:
    """The template rendered as Hugging Face transformers renders chat templates."""
    from jinja2.exceptions import TemplateError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def tojson(value: Any, ensure_ascii: bool = False, indent: int | None = None) -> str:
        return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent)

    def raise_exception(message: str) -> None:
        raise TemplateError(message)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    return env.from_string(template).render(
        messages=server_view(body["messages"], preset),
        tools=body.get("tools"),
        add_generation_prompt=True,
    )


# The one reasoning field each server reads back from an assistant message.
READS = {
    "vllm": "reasoning",  # chat_utils._parse_chat_message_content: `reasoning` only
    "llamacpp-server": "reasoning_content",  # common_chat_msgs_parse_oaicompat
    "sglang": "reasoning_content",
    "minimax": "reasoning_details",
    "openrouter": "reasoning_details",
}


def server_view(messages: list[dict[str, Any]], preset: str) -> list[dict[str, Any]]:
    """The messages as the server behind `preset` hands them to the template (see the module
    docstring): only the reasoning field it reads survives, as `reasoning_content`."""
    reads = READS[preset]
    out = []
    for message in messages:
        m = {k: v for k, v in message.items() if k not in ("reasoning", "reasoning_details")}
        m.pop("reasoning_content", None)
        if m.get("content") is None:
            m["content"] = ""
        if m.get("tool_calls"):
            m["tool_calls"] = [
                {
                    **c,
                    "function": {
                        **c["function"],
                        "arguments": json.loads(c["function"]["arguments"]),
                    },
                }
                for c in m["tool_calls"]
            ]
        value = message.get(reads)
        if reads == "reasoning_details" and isinstance(value, list):
            value = "".join(d.get("text") or "" for d in value if d.get("type") == "reasoning.text")
        if isinstance(value, str):
            m["reasoning_content"] = value
        out.append(m)
    return out


def assistant_turns(prompt: str) -> list[str]:
    turns = prompt.split("]~b]ai\n")[1:]
    return [t.split("[e~[\n", 1)[0] for t in turns if "[e~[\n" in t]


def run_loop(
    server_name: str, fake_server: ServerFactory, backend_for: BackendFactory
) -> dict[str, Any]:
    """Serve the steps in `server_name`'s shape through the real backend; the last request."""
    server = fake_server("vllm-parser")
    for reasoning, text, calls in STEPS:
        deltas, finish = shape(server_name, reasoning, text, calls)
        server.add(Scripted(deltas, finish))
    deltas, _ = shape(server_name, FINAL[0], FINAL[1], "")
    server.add(Scripted(deltas, "stop"))
    backend: OpenAIBackend = backend_for(server, SERVERS[server_name])
    messages: list[Message] = [SystemMessage(content="Be brief."), UserMessage(content="fix it")]
    for step in range(len(STEPS) + 1):
        events = list(backend.stream(Request(messages=list(messages), tools=TOOLS)))
        finish = events[-1]
        assert isinstance(finish, Finish)
        calls = [e for e in events if isinstance(e, ToolCall)]
        assert [e.error for e in calls] == [None] * len(calls)
        if step < len(STEPS):
            assert [(c.name, c.arguments) for c in calls] == parsed_args(STEPS[step][2])
        messages.append(finish.message)
        messages += [ToolMessage(tool_call_id=c.id, name=c.name, content="ok") for c in calls]
    body: dict[str, Any] = server.chat_requests[-1].body  # the request for the final step
    return body


@pytest.mark.parametrize("server_name", sorted(SERVERS))
def test_each_earlier_turn_renders_exactly_as_generated(
    server_name: str, template: str, fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    body = run_loop(server_name, fake_server, backend_for)
    # the template raises on a tool message after an assistant turn without tool_calls
    prompt = render(template, body, SERVERS[server_name])
    expected = ["<think>\n" + generated(*step) for step in STEPS]
    assert assistant_turns(prompt) == expected
    assert prompt.endswith(
        "]~b]tool\n<response>ok</response>\n<response>ok</response>[e~[\n]~b]ai\n<think>\n"
    )


@pytest.mark.parametrize("server_name", sorted(SERVERS))
def test_no_tool_xml_stays_in_content_beside_tool_calls(
    server_name: str, template: str, fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    body = run_loop(server_name, fake_server, backend_for)
    echoed = [m for m in body["messages"] if m["role"] == "assistant"]
    assert len(echoed) == len(STEPS)
    for message, (_, _, calls) in zip(echoed, STEPS, strict=True):
        assert "<minimax:tool_call>" not in (message["content"] or "")
        assert [c["function"]["name"] for c in message["tool_calls"]] == [
            name for name, _ in parsed_args(calls)
        ]


def echo_of(
    server_name: str,
    g: str,
    fake_server: ServerFactory,
    backend_for: BackendFactory,
) -> dict[str, Any]:
    """Serve one generated turn `g` in `server_name`'s shape (XML left in content), answer its
    calls, and return the next request."""
    r, tail = g.split("</think>", 1)
    if server_name == "vllm-append-think":
        deltas = [{"content": p} for p in pieces("<think>" + g)]
    else:  # llama-server with tool_choice "none"
        deltas = field("reasoning_content", r) + [
            {"content": p} for p in pieces(tail.removeprefix("\n\n"))
        ]
    server = fake_server("vllm-parser")
    server.add(Scripted(deltas), Scripted([{"content": "ok"}]))
    backend = backend_for(server, SERVERS[server_name])
    messages: list[Message] = [UserMessage(content="go")]
    events = list(backend.stream(Request(messages=list(messages), tools=TOOLS)))
    finish = events[-1]
    assert isinstance(finish, Finish)
    calls = [e for e in events if isinstance(e, ToolCall)]
    messages.append(finish.message)
    messages += [ToolMessage(tool_call_id=c.id, name=c.name, content="ok") for c in calls]
    list(backend.stream(Request(messages=list(messages), tools=TOOLS)))
    body: dict[str, Any] = server.chat_requests[-1].body
    return body


XML_SERVERS = ["vllm-append-think", "llama-server-tool_choice-none"]


@pytest.mark.parametrize("server_name", XML_SERVERS)
def test_values_not_in_tojson_form_go_back_as_the_text_written(
    server_name: str, template: str, fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    # `True` and ` 20` are typed (true, 20) for the tool, but tojson would print them otherwise
    calls = block(invoke("read_file", path="a.py", limit=" 20", tail="True"))
    g = generated("Reading.", "One file.", calls)
    body = echo_of(server_name, g, fake_server, backend_for)
    (echoed,) = [m for m in body["messages"] if m["role"] == "assistant"]
    arguments = json.loads(echoed["tool_calls"][0]["function"]["arguments"])
    assert arguments == {"path": "a.py", "limit": " 20", "tail": "True"}
    assert assistant_turns(render(template, body, SERVERS[server_name])) == ["<think>\n" + g]


@pytest.mark.parametrize("server_name", XML_SERVERS)
def test_a_tag_named_in_prose_before_the_block_stays_in_the_content(
    server_name: str, template: str, fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    text = "Calls go in a <minimax:tool_call> block; here is mine."
    g = generated("Explain, then call.", text, block(invoke("read_file", path="a.py")))
    body = echo_of(server_name, g, fake_server, backend_for)
    assert assistant_turns(render(template, body, SERVERS[server_name])) == ["<think>\n" + g]


@pytest.mark.parametrize("server_name", XML_SERVERS)
def test_text_after_the_block_still_sends_tool_calls_the_template_accepts(
    server_name: str, template: str, fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    # Not representable in the template's order (content, then calls): the parts go back, the
    # calls as tool_calls and no XML in the content, so the next request is at least accepted.
    g = generated("Hm.", "First.", block(invoke("read_file", path="a.py"))) + "\nAfter."
    body = echo_of(server_name, g, fake_server, backend_for)
    (echoed,) = [m for m in body["messages"] if m["role"] == "assistant"]
    assert "<minimax:tool_call>" not in echoed["content"]
    assert [c["function"]["name"] for c in echoed["tool_calls"]] == ["read_file"]
    (turn,) = assistant_turns(render(template, body, SERVERS[server_name]))
    assert turn.startswith("<think>\nHm.\n</think>\n\n")
    assert turn.endswith(block(invoke("read_file", path="a.py")))


def test_extra_newlines_the_model_wrote_are_kept(
    template: str, fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    # Only the one layout newline the template writes again is taken out of each field.
    g = "Think.\n\n</think>\n\n\nText.\n\n" + block(invoke("read_file", path="a.py"))
    body = echo_of("llama-server-tool_choice-none", g, fake_server, backend_for)
    (echoed,) = [m for m in body["messages"] if m["role"] == "assistant"]
    assert echoed["reasoning_content"] == "Think.\n"
    assert echoed["content"] == "\nText.\n"
    assert assistant_turns(render(template, body, "llamacpp-server")) == ["<think>\n" + g]


def test_signed_reasoning_details_go_back_untouched(
    fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    # A signature covers the text as sent, so even the `\n` before </think> stays.
    item = {"type": "reasoning.text", "index": 0, "format": "anthropic-claude-v1"}
    signed = [
        {"reasoning_details": [{**item, "text": "Plan it.\n"}]},
        {"reasoning_details": [{**item, "text": "", "signature": "EqQBCkgIBxAB"}]},
        {"content": "Done."},
    ]
    server = fake_server("vllm-parser")
    server.add(Scripted(signed), Scripted([{"content": "ok"}]))
    backend = backend_for(server, "openrouter")
    messages: list[Message] = [UserMessage(content="go")]
    finish = list(backend.stream(Request(messages=list(messages))))[-1]
    assert isinstance(finish, Finish)
    messages += [finish.message, UserMessage(content="and?")]
    list(backend.stream(Request(messages=list(messages))))
    echoed = server.chat_requests[-1].body["messages"][1]
    assert echoed["reasoning_details"] == [
        {**item, "text": "Plan it.\n", "signature": "EqQBCkgIBxAB"}
    ]


def test_a_resumed_session_sends_the_same_echo(
    fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    from minimax_agent.backends.openai.wire import wire_messages
    from minimax_agent.messages import AssistantMessage

    g = generated(*STEPS[1])
    r, tail = g.split("</think>", 1)
    server = fake_server("vllm-parser")
    server.add(Scripted([*field("reasoning_content", r), {"content": tail}]))
    backend = backend_for(server, "llamacpp-server")
    finish = list(backend.stream(Request(messages=[UserMessage(content="go")], tools=TOOLS)))[-1]
    assert isinstance(finish, Finish)
    stored = AssistantMessage.model_validate_json(finish.message.model_dump_json())
    assert wire_messages([stored]) == wire_messages([finish.message])


def test_reasoning_sent_under_both_names_goes_back_under_both(
    template: str, fake_server: ServerFactory, backend_for: BackendFactory
) -> None:
    # vLLM in transition streams both names; vLLM now reads back only `reasoning` (chat_utils
    # `_parse_chat_message_content`), llama-server only `reasoning_content`.
    g = generated(*STEPS[0])
    r, tail = g.split("</think>", 1)
    both = [{"reasoning_content": p, "reasoning": p} for p in pieces(r)]
    content = [{"content": p} for p in pieces(tail[: len(tail) - len(STEPS[0][2])])]
    server = fake_server("vllm-parser")
    server.add(Scripted(both + content + native(STEPS[0][2]), "tool_calls"), Scripted(REPLY_OK))
    backend = backend_for(server, "vllm")
    messages: list[Message] = [UserMessage(content="go")]
    events = list(backend.stream(Request(messages=list(messages), tools=TOOLS)))
    finish = events[-1]
    assert isinstance(finish, Finish)
    calls = [e for e in events if isinstance(e, ToolCall)]
    messages.append(finish.message)
    messages += [ToolMessage(tool_call_id=c.id, name=c.name, content="ok") for c in calls]
    list(backend.stream(Request(messages=list(messages), tools=TOOLS)))
    (echoed,) = [m for m in server.chat_requests[-1].body["messages"] if m["role"] == "assistant"]
    assert echoed["reasoning"] == echoed["reasoning_content"] == STEPS[0][0]
    body = server.chat_requests[-1].body
    for preset in ("vllm", "llamacpp-server"):
        assert assistant_turns(render(template, body, preset)) == ["<think>\n" + g]


REPLY_OK = [{"content": "ok"}]
