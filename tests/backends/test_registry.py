"""The backend registry: every kind names a class that implements the whole `Backend` protocol,
an unknown kind is an error (never a fallback), and what a backend cannot do has a plain answer."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from minimax_agent.backends import BACKENDS, backend_class, load_backend
from minimax_agent.backends.base import Backend
from minimax_agent.config import Settings
from minimax_agent.errors import ConfigError
from minimax_agent.messages import UserMessage

PACKAGE = Path(__file__).resolve().parents[2] / "minimax_agent" / "backends"


@pytest.mark.parametrize("kind", sorted(BACKENDS))
def test_every_registered_kind_is_a_backend_built_from_its_spec(kind: str) -> None:
    cls = backend_class(kind)
    assert isinstance(cls, type) and Backend in cls.__mro__  # the defaults are inherited
    assert callable(getattr(cls, "from_spec", None))
    for ability in ("stream", "context_window", "count_tokens", "save_state", "load_state"):
        assert hasattr(cls, ability)
    assert callable(cls.close) and callable(cls.secrets)


def test_an_unknown_kind_is_a_config_error() -> None:
    assert backend_class("nope") is None
    with pytest.raises(ConfigError, match=r"unknown backend 'nope:x'; expected scripted:FILE"):
        load_backend(Settings(backend="nope:x"))
    with pytest.raises(ConfigError, match="no backend configured"):
        load_backend(Settings())
    with pytest.raises(ConfigError, match="scripted needs a file"):
        load_backend(Settings(backend="scripted"))


def test_a_backend_without_an_ability_answers_plainly(tmp_path: Path) -> None:
    script = tmp_path / "s.json"
    script.write_text(json.dumps(["done"]))
    backend = load_backend(Settings(backend=f"scripted:{script}"))
    assert backend.context_window is None
    assert backend.count_tokens([UserMessage(content="hi")], []) is None
    assert backend.save_state(tmp_path / "kv") is False and not (tmp_path / "kv").exists()
    assert backend.load_state(tmp_path / "kv") == 0
    assert backend.secrets() == ()
    backend.close()


def test_no_backend_module_imports_the_registry() -> None:
    """The children import `backends.base`; only the registry names them (lazily, by path)."""
    for path in PACKAGE.rglob("*.py"):
        if path == PACKAGE / "__init__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "minimax_agent.backends":
                names = {alias.name for alias in node.names}
                # local_model: which GGUF the settings choose is decided with the registry
                assert names <= {"local_model"}, f"{path.name} imports {names} from the registry"
