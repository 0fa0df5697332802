"""Tools from outside the built-in set: the "external" kind's approval, tools defined by a JSON
schema (as MCP servers give them), and tool sources that a registry asks live."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tools import default_tools
from tools.approval import ApprovalPolicy, Verdict
from tools.base import Tool, ToolKind, ToolRegistry
from tools.errors import ToolError
from tools.modes import ApprovalMode
from tools.workspace import Workspace

ADD_SCHEMA = {
    "type": "object",
    "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
    "required": ["a", "b"],
}


def _add(ws: Workspace, arguments: dict[str, Any]) -> str:
    return str(arguments["a"] + arguments["b"])


def schema_tool(name: str = "mcp__calc__add", kind: ToolKind = "external") -> Tool:
    return Tool(name=name, description="Add.", kind=kind, func=_add, parameters=ADD_SCHEMA)


@pytest.mark.parametrize(
    ("mode", "interactive", "verdict"),
    [
        (ApprovalMode.READ_ONLY, True, Verdict.DENY),
        (ApprovalMode.ASK, True, Verdict.ASK),
        (ApprovalMode.AUTO_EDIT, True, Verdict.ASK),
        (ApprovalMode.FULL_AUTO, True, Verdict.ALLOW),
        (ApprovalMode.ASK, False, Verdict.DENY),
        (ApprovalMode.FULL_AUTO, False, Verdict.ALLOW),
    ],
)
def test_external_tool_is_decided_like_a_command(
    mode: ApprovalMode, interactive: bool, verdict: Verdict
) -> None:
    got, reason = ApprovalPolicy(mode, interactive).decide(schema_tool(), {"a": 1, "b": 2})
    assert got is verdict
    assert reason


def test_read_only_reason_names_the_outside_effect() -> None:
    _, reason = ApprovalPolicy(ApprovalMode.READ_ONLY, True).decide(schema_tool(), {})
    assert "outside the workspace" in reason


def test_an_always_answer_allows_an_external_tool_but_not_in_read_only() -> None:
    policy = ApprovalPolicy(ApprovalMode.ASK, interactive=True)
    policy.allow_tool("mcp__calc__add")
    assert policy.decide(schema_tool(), {})[0] is Verdict.ALLOW
    assert policy.decide(schema_tool("mcp__calc__other"), {})[0] is Verdict.ASK
    read_only = ApprovalPolicy(ApprovalMode.READ_ONLY, interactive=True)
    read_only.allow_tool("mcp__calc__add")
    assert read_only.decide(schema_tool(), {})[0] is Verdict.DENY


def test_an_external_tool_with_a_command_argument_is_not_deny_listed() -> None:
    """The deny-list reads shell command lines; an external tool's `command` is just data."""
    policy = ApprovalPolicy(ApprovalMode.FULL_AUTO, interactive=False)
    assert policy.decide(schema_tool(), {"command": "sudo rm -rf /"})[0] is Verdict.ALLOW


def test_schema_tool_spec_is_the_schema_as_given() -> None:
    spec = schema_tool().spec()
    assert spec.parameters == ADD_SCHEMA
    assert spec.name == "mcp__calc__add"


def test_schema_tool_runs_with_validated_arguments(tmp_path: Path) -> None:
    result = schema_tool().run(Workspace(tmp_path), {"a": 2, "b": 3})
    assert (result.content, result.is_error) == ("5", False)


def test_schema_validation_errors_are_readable_tool_errors(tmp_path: Path) -> None:
    tool = schema_tool()
    with pytest.raises(ToolError) as info:
        tool.validate({"a": "two"})
    message = str(info.value)
    assert message.startswith("invalid arguments for mcp__calc__add:")
    assert "a: 'two' is not of type 'integer'" in message
    assert "'b' is a required property" in message
    result = tool.run(Workspace(tmp_path), {"a": "two"})
    assert result.is_error and result.content.startswith("Error: invalid arguments")


def test_a_broken_schema_leaves_checking_to_the_tool(tmp_path: Path) -> None:
    broken = Tool(
        name="x", description="", kind="external", func=lambda ws, a: "ran", parameters={"type": 7}
    )
    assert broken.run(Workspace(tmp_path), {"anything": 1}).content == "ran"


class Source:
    def __init__(self, *tools: Tool) -> None:
        self.items = list(tools)

    def tools(self) -> Sequence[Tool]:
        return self.items


def test_registry_asks_sources_live_and_built_in_names_win() -> None:
    source = Source()
    registry = default_tools(sources=[source])
    assert "mcp__calc__add" not in registry
    source.items = [schema_tool(), schema_tool("read_file", kind="read")]
    assert "mcp__calc__add" in registry
    assert registry.names().count("read_file") == 1
    got = registry.get("read_file")
    assert got is not None and got.model is not None  # the built-in, not the impostor
    assert "mcp__calc__add" in [s.name for s in registry.specs()]
    assert any(t.name == "mcp__calc__add" for t in registry)
    source.items = []
    assert registry.get("mcp__calc__add") is None


def test_read_only_registry_keeps_only_read_tools_of_sources() -> None:
    source = Source(schema_tool(), schema_tool("mcp__calc__peek", kind="read"))
    registry = ToolRegistry([], [source], read_only=True)
    assert registry.names() == ["mcp__calc__peek"]
    assert default_tools(read_only=True, sources=[source]).get("mcp__calc__add") is None
