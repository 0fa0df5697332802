"""MCP tool results as the text the model reads."""

from __future__ import annotations

import base64

from mcp import types
from pydantic import AnyUrl

from minimax_agent.extensions.mcp.content import result_text
from minimax_agent.extensions.mcp.tool import MAX_NAME, tool_name


def result(
    *content: object, structured: dict[str, object] | None = None, error: bool = False
) -> types.CallToolResult:
    return types.CallToolResult(content=list(content), structuredContent=structured, isError=error)  # type: ignore[arg-type]


def text(value: str) -> types.TextContent:
    return types.TextContent(type="text", text=value)


def test_text_blocks_are_joined() -> None:
    assert result_text(result(text("a"), text("b"))) == ("a\nb", False)


def test_structured_content_is_added_once() -> None:
    assert result_text(result(text("5"), structured={"result": 5})) == ('5\n{"result": 5}', False)
    same = result(text('{"n": 1, "s": "x"}'), structured={"s": "x", "n": 1})
    assert result_text(same) == ('{"n": 1, "s": "x"}', False)
    assert result_text(result(structured={"k": "ü"})) == ('{"k": "ü"}', False)
    # a str result as FastMCP wraps it: the text says it all
    assert result_text(result(text("hi"), structured={"result": "hi"})) == ("hi", False)
    assert result_text(result(text("hi"), structured={"result": "ho"}))[0] == 'hi\n{"result": "ho"}'


def test_other_blocks_are_named_with_type_mime_and_size() -> None:
    png = base64.b64encode(b"\x89PNG" + b"\0" * 2044).decode()
    blocks = [
        types.ImageContent(type="image", data=png, mimeType="image/png"),
        types.AudioContent(
            type="audio", data=base64.b64encode(b"abc").decode(), mimeType="audio/wav"
        ),
        types.EmbeddedResource(
            type="resource",
            resource=types.TextResourceContents(
                uri=AnyUrl("file:///a.txt"), mimeType="text/plain", text="inside"
            ),
        ),
        types.EmbeddedResource(
            type="resource",
            resource=types.BlobResourceContents(
                uri=AnyUrl("file:///b.bin"), blob=base64.b64encode(b"12345").decode()
            ),
        ),
        types.ResourceLink(
            type="resource_link", uri=AnyUrl("file:///c"), name="c", mimeType="text/csv", size=10
        ),
    ]
    got, is_error = result_text(result(*blocks))
    assert not is_error
    assert got.splitlines() == [
        "[image: image/png, 2.0 KiB]",
        "[audio: audio/wav, 3 bytes]",
        "[resource file:///a.txt (text/plain)]",
        "inside",
        "[resource file:///b.bin: unknown type, 5 bytes]",
        "[resource link file:///c: text/csv, 10 bytes]",
    ]


def test_is_error_is_reported() -> None:
    assert result_text(result(text("no"), error=True)) == ("no", True)


def test_tool_names_are_safe_stable_and_distinct() -> None:
    assert tool_name("github", "create_issue") == "mcp__github__create_issue"
    odd = tool_name("srv", "do.thing now")
    assert odd == tool_name("srv", "do.thing now")
    assert odd != tool_name("srv", "do_thing_now") and odd.startswith("mcp__srv__do_thing_now_")
    long_a, long_b = tool_name("s", "x" * 80), tool_name("s", "x" * 81)
    assert len(long_a) <= MAX_NAME and len(long_b) <= MAX_NAME and long_a != long_b
    assert all(c.isalnum() or c in "_-" for c in tool_name("s", "ünï/cøde") if c.isascii())
    assert tool_name("s", "ünï/cøde").isascii()
