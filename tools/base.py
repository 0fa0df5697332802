"""The Tool concept: a typed Python function whose JSON schema pydantic derives from its signature.

A tool function takes the `Workspace` first, then its own arguments::

    @tool("read")
    def read_file(ws: Workspace, path: Annotated[str, Field(description="...")]) -> str:
        '''Read a text file.'''

Arguments are validated before the function runs. Whatever it raises as `ToolError` (or any
other exception) becomes an error result for the model, never a crash.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal, get_type_hints

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from tools.errors import ToolError
from tools.spec import ToolSpec
from tools.workspace import Workspace

log = logging.getLogger("minimax_agent")

ToolKind = Literal["read", "write", "shell"]
DEFAULT_RESULT_CHARS = 30_000


def cap_text(text: str, limit: int, *, what: str = "output") -> str:
    """Keep the head and tail of an over-long text, saying how much was cut from the middle."""
    if len(text) <= limit:
        return text
    head = limit * 2 // 3
    tail = limit - head
    cut = len(text) - head - tail
    cut_lines = text.count("\n", head, len(text) - tail)
    return (
        f"{text[:head]}\n[... {what} truncated: {cut} characters ({cut_lines} lines) cut from "
        f"the middle ...]\n{text[len(text) - tail :]}"
    )


@dataclass(frozen=True)
class ToolResult:
    content: str
    is_error: bool = False


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    kind: ToolKind
    func: Callable[..., str]
    model: type[BaseModel]
    result_chars: int = DEFAULT_RESULT_CHARS

    def spec(self) -> ToolSpec:
        return self._spec

    @cached_property  # building a pydantic JSON schema is slow and the agent asks every step
    def _spec(self) -> ToolSpec:
        schema = self.model.model_json_schema()
        schema.pop("title", None)
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
        return ToolSpec(name=self.name, description=self.description, parameters=schema)

    def validate(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """Validated keyword arguments, or a ToolError that tells the model what was wrong."""
        try:
            parsed = self.model.model_validate(arguments)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'arguments'}: {err['msg']}"
                for err in exc.errors()
            )
            raise ToolError(f"invalid arguments for {self.name}: {problems}") from None
        return {name: getattr(parsed, name) for name in type(parsed).model_fields}

    def run(self, ws: Workspace, arguments: dict[str, Any]) -> ToolResult:
        try:
            output = self.func(ws, **self.validate(arguments))
        except ToolError as exc:
            return ToolResult(f"Error: {exc}", is_error=True)
        except Exception as exc:  # a tool bug must reach the model, not kill the session
            log.exception("tool %s failed", self.name)
            return ToolResult(f"Error: {self.name} failed: {type(exc).__name__}: {exc}", True)
        if not output:  # an empty tool message reads to the model like a lost result
            output = "(no output)"
        return ToolResult(cap_text(output, self.result_chars, what=f"{self.name} result"))


def tool(kind: ToolKind, *, name: str | None = None) -> Callable[[Callable[..., str]], Tool]:
    """Turn a function into a Tool; the first parameter receives the Workspace."""

    def wrap(func: Callable[..., str]) -> Tool:
        hints = get_type_hints(func, include_extras=True)
        params = list(inspect.signature(func).parameters.values())[1:]
        fields: dict[str, Any] = {}
        for param in params:
            default = ... if param.default is inspect.Parameter.empty else param.default
            fields[param.name] = (hints[param.name], default)
        model = create_model(
            f"{func.__name__}_args", __config__=ConfigDict(extra="forbid"), **fields
        )
        doc = inspect.cleandoc(func.__doc__ or "")
        return Tool(name=name or func.__name__, description=doc, kind=kind, func=func, model=model)

    return wrap


class ToolRegistry:
    """The tools offered in one run, by name."""

    def __init__(self, tools: Iterable[Tool]) -> None:
        self._tools = {t.name: t for t in tools}

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __iter__(self) -> Any:
        return iter(self._tools.values())

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def specs(self) -> list[ToolSpec]:
        return [t.spec() for t in self._tools.values()]

    def names(self) -> list[str]:
        return list(self._tools)
