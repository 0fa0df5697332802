"""A tool as offered to the model. Backends and dialects take these (minimax_agent.messages
re-exports it as part of the conversation's vocabulary), so it lives apart from tools/base.py."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ToolSpec(BaseModel):
    """A tool as offered to the model: name, description and JSON schema of its arguments."""

    name: str
    description: str
    parameters: dict[str, Any]

    def openai_shape(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }
