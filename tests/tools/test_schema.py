"""Every tool's JSON schema: parameters, required list, descriptions; and the registry."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from tools import default_tools
from tools.base import Tool
from tools.workspace import Workspace

REQUIRED = {
    "read_file": ["path"],
    "write_file": ["path", "content"],
    "edit_file": ["path", "old_string", "new_string"],
    "list_dir": [],
    "glob": ["pattern"],
    "grep": ["pattern"],
    "run_command": ["command"],
    "command_output": ["id"],
    "kill_command": ["id"],
    "git_status": [],
    "git_diff": [],
    "git_log": [],
    "git_show": ["ref"],
    "git_blame": ["path", "start", "end"],
    "git_commit": ["message"],
    "web_fetch": ["url"],
    "todo_write": ["items"],
}
KINDS = {
    "write": {"write_file", "edit_file", "git_commit", "kill_command"},
    "shell": {"run_command"},
    "network": {"web_fetch"},
}


def test_registry_holds_every_tool() -> None:
    assert sorted(default_tools().names()) == sorted(REQUIRED)


def test_read_only_registry() -> None:
    names = default_tools(read_only=True).names()
    assert sorted(names) == sorted(set(REQUIRED) - KINDS["write"] - KINDS["shell"])


@pytest.mark.parametrize("tool", list(default_tools()), ids=lambda t: t.name)
def test_schema(tool: Tool) -> None:
    spec = tool.spec()
    schema = spec.parameters
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert sorted(schema.get("required", [])) == sorted(REQUIRED[tool.name])
    for name, prop in schema["properties"].items():
        assert prop.get("description"), f"{tool.name}.{name} has no description"
        assert "title" not in prop
    assert spec.description and spec.name == tool.name
    expected_kind = next((k for k, names in KINDS.items() if tool.name in names), "read")
    assert tool.kind == expected_kind


def test_schema_accepts_what_validation_accepts() -> None:
    tools = {t.name: t for t in default_tools()}
    grep = tools["grep"].spec().parameters
    jsonschema.validate({"pattern": "x", "glob": None, "context": 2}, grep)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"pattern": "x", "context": -1}, grep)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"pattern": "x", "bogus": 1}, grep)
    commit = tools["git_commit"].spec().parameters
    jsonschema.validate({"message": "m", "paths": ["a", "b"]}, commit)


def test_bad_arguments_become_tool_errors(tmp_path: Path) -> None:
    read = default_tools().get("read_file")
    assert read is not None
    result = read.run(Workspace(tmp_path), {"path": "x", "limit": "many"})
    assert result.is_error and "limit" in result.content
    result = read.run(Workspace(tmp_path), {"file": "x"})
    assert result.is_error and "path" in result.content


def _integral_floats(value: object, path: str = "") -> list[str]:
    if isinstance(value, float) and value.is_integer():
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _integral_floats(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _integral_floats(v, f"{path}[{i}]")]
    return []


def test_no_schema_holds_a_whole_number_written_as_a_float() -> None:
    """A server (llama-server) re-serialises the tools it is sent: `300.0` comes back as `300`,
    so the prompt it renders would differ from the in-process one by those bytes. Bounds and
    defaults that are whole numbers are written as ints."""
    found = {
        t.name: paths for t in default_tools() if (paths := _integral_floats(t.spec().parameters))
    }
    assert found == {}
