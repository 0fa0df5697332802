"""The Tool concept: a typed Python function whose JSON schema pydantic derives from its signature.

A tool function takes the `Workspace` first, then its own arguments::

    @tool("read")
    def read_file(ws: Workspace, path: Annotated[str, Field(description="...")]) -> str:
        '''Read a text file.'''

Arguments are validated before the function runs. Whatever it raises as `ToolError` (or any
other exception) becomes an error result for the model, never a crash.

A tool can also be defined by a JSON schema instead of a signature (an MCP server's tools):
`Tool(..., parameters=SCHEMA)` with no `model`. Its arguments are checked with `jsonschema`
and its function is called as `func(ws, arguments)`, the validated dict whole, since the
schema's property names need not be Python identifiers. A `ToolSource` supplies such tools
live: `ToolRegistry` asks it on every lookup, so tools that arrive or go away (a server that
became ready or died) are seen at the next step.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal, Protocol, get_type_hints

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from tools.errors import ToolError
from tools.spec import ToolSpec
from tools.textcap import cap_text
from tools.workspace import Workspace

log = logging.getLogger("minimax_agent")

# "external": effects outside the workspace (an MCP server's tool); approved like a command.
# "network": reads from the network and changes nothing here (web_fetch; its `url` argument
# is what approval judges); asks in every mode unless the host is allow-listed
ToolKind = Literal["read", "write", "shell", "external", "network"]
DEFAULT_RESULT_CHARS = 30_000


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
    # a signature tool's argument model; None for a tool defined by `parameters`
    model: type[BaseModel] | None = None
    result_chars: int = DEFAULT_RESULT_CHARS
    # the JSON schema of a tool defined without a Python signature, offered as given
    parameters: dict[str, Any] | None = None

    def spec(self) -> ToolSpec:
        return self._spec

    @cached_property  # building a pydantic JSON schema is slow and the agent asks every step
    def _spec(self) -> ToolSpec:
        if self.model is None:
            given = self.parameters or {"type": "object", "properties": {}}
            return ToolSpec(name=self.name, description=self.description, parameters=given)
        schema = self.model.model_json_schema()
        schema.pop("title", None)
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
        return ToolSpec(name=self.name, description=self.description, parameters=schema)

    def validate(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """Validated keyword arguments, or a ToolError that tells the model what was wrong."""
        if self.model is None:
            return self._validate_schema(arguments)
        try:
            parsed = self.model.model_validate(arguments)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'arguments'}: {err['msg']}"
                for err in exc.errors()
            )
            raise ToolError(f"invalid arguments for {self.name}: {problems}") from None
        return {name: getattr(parsed, name) for name in type(parsed).model_fields}

    @cached_property
    def _schema_validator(self) -> Any:
        """A jsonschema validator for `parameters`, or None when the schema itself is broken:
        then the tool's owner (the MCP server) is left to judge the arguments."""
        import jsonschema  # type: ignore[import-untyped]  # lazy: only schema tools need it

        schema = self.parameters or {}
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
        try:
            cls.check_schema(schema)
        except jsonschema.SchemaError:
            log.warning("tool %s has an invalid input schema; arguments are not checked", self.name)
            return None
        return cls(schema)

    def _validate_schema(self, arguments: dict[str, Any]) -> dict[str, Any]:
        validator = self._schema_validator
        if validator is None:
            return dict(arguments)
        try:
            errors = sorted(validator.iter_errors(arguments), key=lambda e: list(e.path))
        except Exception as exc:  # an unresolvable $ref and the like: the schema's fault
            log.warning("cannot check arguments of %s: %s", self.name, exc)
            return dict(arguments)
        if errors:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err.path) or 'arguments'}: {err.message}"
                for err in errors[:5]
            )
            raise ToolError(f"invalid arguments for {self.name}: {problems}")
        return dict(arguments)

    def run(self, ws: Workspace, arguments: dict[str, Any]) -> ToolResult:
        try:
            valid = self.validate(arguments)
            output = self.func(ws, valid) if self.model is None else self.func(ws, **valid)
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


class ToolSource(Protocol):
    """Tools that come and go while the agent runs (an MCP manager): asked on every lookup."""

    def tools(self) -> Sequence[Tool]: ...


class ToolRegistry:
    """The tools offered in one run, by name: the fixed ones, then those of each source.

    A fixed tool's name wins over a source's, so a server cannot replace a built-in tool.
    With `read_only`, a source's tools of any kind but "read" are left out (the fixed tools
    were chosen by the caller already).
    """

    def __init__(
        self, tools: Iterable[Tool], sources: Iterable[ToolSource] = (), read_only: bool = False
    ) -> None:
        self._tools = {t.name: t for t in tools}
        self._sources = tuple(sources)
        self._read_only = read_only

    def _live(self) -> dict[str, Tool]:
        if not self._sources:
            return self._tools
        merged = dict(self._tools)
        for source in self._sources:
            for t in source.tools():
                if t.name in merged or (self._read_only and t.kind != "read"):
                    continue
                merged[t.name] = t
        return merged

    def __contains__(self, name: object) -> bool:
        return name in self._live()

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._live().values())

    def get(self, name: str) -> Tool | None:
        return self._live().get(name)

    def specs(self) -> list[ToolSpec]:
        return [t.spec() for t in self._live().values()]

    def names(self) -> list[str]:
        return list(self._live())
