"""Small enums the CLI needs at import time, kept apart from config.py, whose pydantic-settings
import costs most of a second-long start."""

from __future__ import annotations

from enum import StrEnum


class ApprovalMode(StrEnum):
    READ_ONLY = "read-only"
    ASK = "ask"
    AUTO_EDIT = "auto-edit"
    FULL_AUTO = "full-auto"
