"""An assistant turn this backend produced, shaped so that a server re-rendering it with the
official template prints the model's own bytes again (ARCHITECTURE.md, "Fidelity"). The tags
and layout come from the model's dialect; M2 is described here.

The official M2 template renders an assistant turn after the last user message as

    ]~b]ai\\n <think>\\n REASONING \\n</think>\\n\\n CONTENT
    \\n<minimax:tool_call>\\n CALLS </minimax:tool_call> [e~[\\n

(the think block only when the reasoning is non-empty, the call block only with `tool_calls`;
with no `reasoning_content` it splits an inline `<think>…</think>` off the content and strips the
newlines around both parts). The model generated `REASONING\\n</think>\\n\\nCONTENT\\n<minimax:
tool_call>…` after the `<think>\\n` prompt, so the layout newlines a server leaves in its fields
(llama-server keeps the `\\n` before `</think>` in `reasoning_content` and the `\\n` before the
block in `content`; vLLM keeps the `\\n\\n` after `</think>` in `content`) must be taken out, or
the template prints them twice. Tool calls left as XML in the content go back as `tool_calls`:
the template raises on a tool message after an assistant turn without them, and would print the
calls twice beside the XML.

The M3 template writes no such layout (`<mm:think>REASONING</mm:think>CONTENT` and the block
right after), and its arguments as nested elements: every layout string and how a value is
written comes from the dialect (`after_think`, `before_calls`, `around_reasoning`,
`write_argument`), so one echo serves both.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from minimax_agent.messages import AssistantMessage, ToolCall, assistant_shape

if TYPE_CHECKING:
    from minimax_agent.dialect import Dialect


def _split_block(
    dialect: Dialect, content: str, count: int, after: int
) -> tuple[str, list[dict[str, Any]]] | None:
    """`content` before its trailing tool-call block (searched from `after`, the end of any
    inline reasoning), and the raw value the model wrote for each parameter of the block's
    calls; None when the calls are not one block at the end (two blocks, text after the block):
    no split re-renders those exactly."""
    start = content.find(dialect.block_open, after)
    while start >= 0:
        # No tools: every value stays the raw string the model wrote (layout newlines aside).
        # A tag named in prose before the block leaves text in this parse, so it is skipped.
        _, parsed = dialect.parse_complete(content[start:], in_reasoning=False)
        if len(parsed.tool_calls) == count and not parsed.content.strip():
            raw = [dict(c.arguments) for c in parsed.tool_calls]
            return content[:start], raw
        start = content.find(dialect.block_open, start + 1)
    return None


def _xml_call(record: ToolCall, raw: dict[str, Any], dialect: Dialect) -> dict[str, Any]:
    """A call the model wrote as XML, with each value typed so the template writes it back as
    written: the typed value where the template writes it as the model did (M2: its `tojson`
    form is the text), else the value as parsed without a schema (M2: the text as a string,
    which the template writes raw; M3: the element tree with text leaves)."""
    arguments: dict[str, Any] = {}
    for key, text in raw.items():
        value = record.arguments.get(key, text)
        exact = not isinstance(value, str) and _exact(dialect, value, text)
        arguments[key] = value if exact else text
    return {
        "id": record.id,
        "type": "function",
        "function": {"name": record.name, "arguments": json.dumps(arguments, ensure_ascii=False)},
    }


def _exact(dialect: Dialect, value: Any, raw: Any) -> bool:
    try:
        return dialect.write_argument(value) == dialect.write_argument(raw)
    except (ValueError, TypeError, RecursionError):
        return False


def _drop_suffix(text: str, suffix: str) -> str:
    return text[: -len(suffix)] if suffix and text.endswith(suffix) else text


def _drop_prefix(text: str, prefix: str) -> str:
    return text[len(prefix) :] if text.startswith(prefix) else text


def _details(items: list[Any], trail: str) -> list[Any]:
    """`reasoning_details` as they came, but for the layout before `</think>` (`trail`, M2's
    `\\n`) at the end of the last text item when nothing is signed or encrypted (a signature
    covers the text as sent)."""
    sealed = any(
        isinstance(i, dict)
        and (i.get("signature") or i.get("data") or i.get("type") == "reasoning.encrypted")
        for i in items
    )
    texts = [
        n
        for n, i in enumerate(items)
        if isinstance(i, dict)
        and i.get("type") == "reasoning.text"
        and isinstance(i.get("text"), str)
    ]
    if sealed or not texts or not trail or not items[texts[-1]]["text"].endswith(trail):
        return items
    out = list(items)
    last = dict(out[texts[-1]])
    last["text"] = last["text"][: -len(trail)]
    out[texts[-1]] = last
    return out


def assistant_echo(message: AssistantMessage, dialect: Dialect) -> dict[str, Any]:
    """The wire form of a turn this backend assembled (provider_fields["dialect"] set: where the
    reasoning came, not to be confused with `dialect`, the model's format)."""
    fields = message.provider_fields
    placement = fields.get("dialect")
    content = message.raw or ""
    native: list[dict[str, Any]] = list(fields.get("tool_calls") or [])
    xml_count = len(message.tool_calls) - len(native) if fields.get("tool_xml") else 0
    calls: list[dict[str, Any]] = []
    if xml_count > 0:
        close = dialect.think_close
        think = content.rfind(close) if placement == "inline" else -1
        split = _split_block(dialect, content, xml_count, think + len(close) if think >= 0 else 0)
        if split is None:
            return _unsplit(message, native, dialect)
        content, raw = split
        calls = [
            _xml_call(r, raw[i], dialect) for i, r in enumerate(message.tool_calls[:xml_count])
        ]
    calls += native
    item: dict[str, Any] = {"role": "assistant"}
    if placement in ("field", "reasoning_details"):
        # the template writes `\n</think>\n\n` before the content; inline reasoning it strips
        content = _drop_prefix(content, dialect.after_think)
    if calls:
        content = _drop_suffix(content, dialect.before_calls)
    # An empty string beside tool calls is rejected by some upstreams (Anthropic through
    # OpenRouter); servers that render the template read null as "" (llama-server, vLLM).
    item["content"] = None if calls and not content else content
    _reasoning(item, message, dialect)
    if calls:
        item["tool_calls"] = calls
    return item


def _reasoning(item: dict[str, Any], message: AssistantMessage, dialect: Dialect) -> None:
    """The reasoning in the field it came in, less the layout the template writes before the
    think close (M2: the `\\n` before `</think>`; M3: none)."""
    fields = message.provider_fields
    trail = dialect.around_reasoning[1]
    if fields.get("reasoning_field"):
        for name in [fields["reasoning_field"], *fields.get("reasoning_also", [])]:
            item[name] = _drop_suffix(message.reasoning, trail)
    if fields.get("reasoning_details"):
        # The whole array, encrypted items and signatures included: it supersedes `reasoning`.
        item["reasoning_details"] = _details(fields["reasoning_details"], trail)


def _unsplit(
    message: AssistantMessage, native: list[dict[str, Any]], dialect: Dialect
) -> dict[str, Any]:
    """A turn whose tool-call XML is not one block at the end of the content (text after it,
    two blocks): the template's order (content, then calls) cannot re-render it, so its parts
    go back, the calls as `tool_calls` (the next request must still be accepted)."""
    item = assistant_shape(message, json_arguments=True)
    item.pop("reasoning_content", None)
    if message.provider_fields.get("dialect") == "inline":
        # inline it stays: servers differ in the reasoning field they read, the template not
        d = dialect
        lead, trail = d.around_reasoning
        reasoning = f"{d.think_open}{lead}{message.reasoning}{trail}{d.think_close}{d.after_think}"
        item["content"] = reasoning + message.content
    _reasoning(item, message, dialect)
    xml = item.get("tool_calls", [])[: len(message.tool_calls) - len(native)]
    item["tool_calls"] = xml + native  # native ones with the argument strings as they came
    return item


def assistant_parts(message: AssistantMessage) -> dict[str, Any]:
    """A turn no echo re-renders exactly, or one from another backend: its parts, in the fields
    servers read. The reasoning goes in both names, since which one is read differs by server
    and it is not known before the first reply: llama-server and SGLang read `reasoning_content`
    (what the official M2 template uses), vLLM and OpenRouter read `reasoning`; a field a server
    does not know is ignored."""
    item = assistant_shape(message, json_arguments=True)
    if message.reasoning:
        item["reasoning"] = message.reasoning
    if message.tool_calls and not message.content:
        item["content"] = None  # some upstreams reject an empty string beside tool calls
    return item
