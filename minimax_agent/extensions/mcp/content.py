"""An MCP tool result as the text the model reads.

The model reads text only, so each content block becomes text: text blocks as they are, an
embedded text resource inline under its URI, and everything else (images, audio, binary
resources, links) named with its type, MIME type and size, so the model knows something came
back that it cannot see. Structured content is added as JSON, unless a text block already
carries exactly that JSON (servers are told to send both, and many do), or it is only a text
block's string wrapped as `{"result": TEXT}` (what FastMCP sends for a tool returning `str`:
doubling every string result would tell the model nothing new).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcp import types


def _base64_size(data: str) -> int:
    """Bytes in base64 `data`, without decoding it (a large image needs no copy to be named)."""
    data = data.strip()
    return max(0, len(data) * 3 // 4 - data[-2:].count("="))


def _human(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"


def _same_json(text: str, value: Any) -> bool:
    try:
        return bool(json.loads(text) == value)
    except ValueError:
        return False


def block_text(block: Any) -> str:
    """One content block as text."""
    from mcp import types

    if isinstance(block, types.TextContent):
        return block.text
    if isinstance(block, types.ImageContent | types.AudioContent):
        kind = "image" if isinstance(block, types.ImageContent) else "audio"
        return f"[{kind}: {block.mimeType}, {_human(_base64_size(block.data))}]"
    if isinstance(block, types.EmbeddedResource):
        res = block.resource
        mime = res.mimeType or "unknown type"
        if isinstance(res, types.TextResourceContents):
            return f"[resource {res.uri} ({mime})]\n{res.text}"
        return f"[resource {res.uri}: {mime}, {_human(_base64_size(res.blob))}]"
    if isinstance(block, types.ResourceLink):
        size = f", {_human(block.size)}" if block.size is not None else ""
        return f"[resource link {block.uri}: {block.mimeType or 'unknown type'}{size}]"
    kind = getattr(block, "type", type(block).__name__)
    return f"[{kind} content]"


def result_text(result: types.CallToolResult) -> tuple[str, bool]:
    """The text of a tool result, and whether the server reported it as an error."""
    from mcp import types

    texts = [block_text(b) for b in result.content]
    structured = result.structuredContent
    if structured is not None:
        plain = [b.text for b in result.content if isinstance(b, types.TextContent)]
        wrapped = structured.get("result") if list(structured) == ["result"] else None
        if wrapped not in plain and not any(_same_json(t, structured) for t in plain):
            texts.append(json.dumps(structured, ensure_ascii=False))
    return "\n".join(texts), bool(result.isError)
