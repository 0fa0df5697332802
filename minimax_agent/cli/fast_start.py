"""The interactive start without typer: `minimax-agent [FLAGS]` parsed from the declarations in
`cli/flags.py` (`SessionFlags`), the same ones typer reads for the root command.

Why at all: typer builds a pydantic adapter for every parameter of the command it runs, which
on the project's 2-core machine about doubles the time until the REPL's prompt takes input
(benchmarks/startup.py). So a command line made only of the session's flags, in forms that
need no judgement, is read here; anything else (a subcommand, --help, -v, an unknown flag, a
value typer would reject or convert in its own way) returns None and goes to typer, which
then gives the usual answer or error. A test checks that both read the same flags alike.
"""

from __future__ import annotations

import re
import types
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

from minimax_agent.cli.flags import Flag, SessionFlags, gather, spread

_INT = re.compile(r"-?[0-9]+")


@dataclass(frozen=True)
class _Spec:
    name: str  # the parameter
    kind: type  # str, int, Path, bool, an Enum
    multiple: bool  # a repeatable flag: list[...]
    flag: Flag
    value: bool | None = None  # a bool flag's value for this spelling; None: takes a value


def _kind(annotation: Any) -> tuple[type, bool]:
    """The parameter's base type (without None and Annotated) and whether it repeats."""
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, types.UnionType):
        (annotation,) = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) is list:
        return get_args(annotation)[0], True
    return annotation, False


def _table() -> dict[str, _Spec]:
    """Every spelling of every session flag, as typer would accept it."""
    table: dict[str, _Spec] = {}
    for param in spread(SessionFlags):
        flag = next(m for m in get_args(param.annotation)[1:] if isinstance(m, Flag))
        kind, multiple = _kind(param.annotation)
        names = flag.names or ("--" + param.name.replace("_", "-"),)
        if kind is bool and not flag.names:  # typer's default pair for a bool
            names = (f"{names[0]}/--no-{names[0][2:]}",)
        for spelling in names:
            on, _, off = spelling.partition("/")
            is_bool = kind is bool
            table[on] = _Spec(param.name, kind, multiple, flag, True if is_bool else None)
            if off:
                table[off] = _Spec(param.name, kind, multiple, flag, False)
    return table


def _convert(spec: _Spec, text: str) -> Any:
    """The value typer would give, or ValueError where typer has to decide (and explain)."""
    if spec.kind is str:
        return text
    if spec.kind is Path:
        return Path(text)
    if spec.kind is int:
        if not _INT.fullmatch(text):
            raise ValueError(text)
        number = int(text)
        if spec.flag.min is not None and number < spec.flag.min:
            raise ValueError(text)
        return number
    if isinstance(spec.kind, type) and issubclass(spec.kind, Enum):
        return spec.kind(text)  # ValueError when it is not one of the choices
    raise ValueError(text)


def parse(argv: list[str]) -> SessionFlags | None:
    """The session's flags from `argv`, or None when typer should read it."""
    table = _table()
    values: dict[str, Any] = {}
    items = iter(argv)
    for item in items:
        name, eq, inline = item.partition("=") if item.startswith("--") else (item, "", "")
        spec = table.get(name)
        if spec is None:
            return None
        if spec.value is not None:  # a bool flag takes no value
            if eq:
                return None
            values[spec.name] = spec.value
            continue
        text = inline if eq else next(items, None)
        if text is None or (not eq and text.startswith("-") and not _INT.fullmatch(text)):
            return None  # typer decides whether that is a value or the next flag
        try:
            value = _convert(spec, text)
        except ValueError:
            return None
        if spec.multiple:
            values.setdefault(spec.name, []).append(value)
        else:
            values[spec.name] = value  # given twice: the last counts, as in typer
    session = gather(SessionFlags, values)
    assert isinstance(session, SessionFlags)
    return session
