"""The approval modes, in a module of their own: the CLI needs them at import time (its flag
choices), and tools/approval.py, which applies them, imports the deny-list parser."""

from __future__ import annotations

from enum import StrEnum


class ApprovalMode(StrEnum):
    READ_ONLY = "read-only"
    ASK = "ask"
    AUTO_EDIT = "auto-edit"
    FULL_AUTO = "full-auto"
