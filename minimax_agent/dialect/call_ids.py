"""Ids for tool calls that came without one, in any format (M2 XML carries none; some endpoints
omit the id of a native call)."""

from __future__ import annotations

import secrets


def new_call_id() -> str:
    return "call_" + secrets.token_hex(8)
