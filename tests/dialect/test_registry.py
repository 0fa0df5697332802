"""The dialect registry: which format a GGUF architecture or a model name gets, that every
registered dialect does what the protocol declares, and that nothing outside the dialect
package reaches into a dialect's own modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from minimax_agent.dialect import (
    ARCHITECTURES,
    DEFAULT,
    REGISTRY,
    Dialect,
    TurnParser,
    dialect_for,
    dialect_name,
    dialect_named,
)
from minimax_agent.events import ReasoningDelta, TextDelta, ToolCall
from minimax_agent.messages import AssistantMessage, SystemMessage, ToolSpec, UserMessage

ROOT = Path(__file__).resolve().parents[2]
TOOL = ToolSpec(
    name="read_file",
    description="Read a file.",
    parameters={
        "type": "object",
        "properties": {"path": {"type": "string"}, "limit": {"type": "integer"}},
        "required": ["path"],
    },
)


@pytest.mark.parametrize(
    ("architecture", "model_name", "expected"),
    [
        ("minimax-m2", None, "m2"),
        ("minimax-m2", "something-else", "m2"),  # the file's architecture decides
        (None, "MiniMax-M2.1", "m2"),
        (None, "minimax/minimax-m2.5", "m2"),
        (None, "MiniMaxAI/MiniMax-M2.7-GGUF", "m2"),
        (None, "minimax-m2.1:free", "m2"),
        (None, "MINIMAX_M2", "m2"),
        # Nothing claims these: the default, as before there was a registry.
        (None, "tiny-m2", DEFAULT),
        (None, None, DEFAULT),
        ("llama", None, DEFAULT),
        ("", "", DEFAULT),
    ],
)
def test_architecture_or_model_name_picks_the_dialect(
    architecture: str | None, model_name: str | None, expected: str
) -> None:
    assert dialect_name(architecture, model_name) == expected
    assert dialect_for(architecture, model_name) is dialect_named(expected)


def test_every_architecture_some_dialect_reads_is_accepted_locally() -> None:
    from minimax_agent.backends.local.plan import MINIMAX_ARCHS

    assert "minimax-m2" in ARCHITECTURES
    assert tuple(MINIMAX_ARCHS) == ARCHITECTURES
    for arch in ARCHITECTURES:
        assert dialect_name(architecture=arch) in REGISTRY


def test_an_unregistered_name_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        dialect_named("m9")


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_registered_dialect_does_what_the_protocol_declares(name: str) -> None:
    dialect = dialect_named(name)
    assert isinstance(dialect, Dialect)
    assert dialect.name == name
    assert dialect_named(name) is dialect  # imported once

    template = dialect.default_template()
    conversation = [SystemMessage(content="Be brief."), UserMessage(content="hi")]
    prompt = dialect.render(template, conversation, [TOOL])
    assert prompt.endswith(dialect.generation_prompt)
    assert dialect.eos in prompt and "hi" in prompt and "read_file" in prompt
    bare = dialect.render(template, conversation, [TOOL], add_generation_prompt=False)
    assert prompt == bare + dialect.generation_prompt
    assert bare.endswith(dialect.eos + "\n")

    # A turn as the template writes it parses back to its parts, streamed or whole.
    turn = AssistantMessage(
        content="Reading it.",
        reasoning="look first",
        tool_calls=[ToolCall(id="c1", name="read_file", arguments={"path": "a.py", "limit": 3})],
    )
    rendered = dialect.render(template, [*conversation, turn], [TOOL], add_generation_prompt=False)
    generated = rendered[len(bare) + len(dialect.generation_prompt) : -len(dialect.eos + "\n")]
    assert dialect.think_close in generated and dialect.block_open in generated
    events, message = dialect.parse_complete(generated, [TOOL])
    assert message.reasoning == "look first" and message.content == "Reading it."
    assert [(c.name, c.arguments) for c in message.tool_calls] == [
        ("read_file", {"path": "a.py", "limit": 3})
    ]
    assert any(isinstance(e, ReasoningDelta) for e in events)
    assert any(isinstance(e, TextDelta) for e in events)

    parser = dialect.stream_parser([TOOL])
    assert isinstance(parser, TurnParser)
    streamed = [e for i in range(0, len(generated), 5) for e in parser.feed(generated[i : i + 5])]
    streamed += parser.finish()
    calls = [e for e in streamed if isinstance(e, ToolCall)]
    assert [c.arguments for c in calls] == [{"path": "a.py", "limit": 3}]
    assert parser.raw == generated

    # The layout facts are what the template writes around the reasoning and the calls.
    think_end = generated.index(dialect.think_close) + len(dialect.think_close)
    assert generated[think_end:].startswith(dialect.after_think + "Reading it.")
    assert generated.index(dialect.before_calls + dialect.block_open) == think_end + len(
        dialect.after_think + "Reading it."
    )

    for grammar in (dialect.call_grammar([TOOL]), dialect.turn_grammar([TOOL], max_chars=8)):
        assert grammar.startswith("root ::= ") and "read_file" in grammar


def _imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, module-level or inside a function, relative ones resolved."""
    package = list(path.relative_to(ROOT).parts[:-1])  # of a module and of an `__init__.py`
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value.startswith("minimax_agent.dialect.")
        ):
            # `import_module("minimax_agent.dialect.m2")` and the like name it as a string.
            found.add(node.value.partition(":")[0])
    return found


def test_nothing_outside_the_dialect_package_imports_a_dialect_of_its_own() -> None:
    dialect_dir = ROOT / "minimax_agent" / "dialect"
    own_tests = ROOT / "tests" / "dialect"  # the tests of each dialect's internals
    private = {f"minimax_agent.dialect.{name}" for name in REGISTRY}
    files = [
        p
        for top in ("minimax_agent", "tools", "quantize", "tests", "benchmarks", "scripts")
        for p in sorted((ROOT / top).rglob("*.py"))
        if not p.is_relative_to(dialect_dir) and not p.is_relative_to(own_tests)
    ]
    assert len(files) > 50
    offenders = sorted(
        f"{path.relative_to(ROOT)} imports {module}"
        for path in files
        for module in _imported_modules(path)
        if any(module == p or module.startswith(p + ".") for p in private)
    )
    assert offenders == []


def test_the_registry_names_each_dialect_by_its_package() -> None:
    for name, entry in REGISTRY.items():
        module, _, attribute = entry.target.partition(":")
        assert module == f"minimax_agent.dialect.{name}" and attribute
        assert (ROOT / "minimax_agent" / "dialect" / name / "__init__.py").is_file()
