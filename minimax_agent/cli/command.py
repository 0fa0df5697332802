"""What every command shares: its flags made typer options, its flag groups spread into flags,
and the one path from an error to an exit code.

`@command` wraps a command function before typer sees it:
- a `Flag` (cli/flags.py) in a parameter's `Annotated` type becomes the typer option it
  describes;
- a parameter typed with a `FlagGroup` becomes that group's flags in the signature typer reads,
  and the command receives the group built from them;
- a user error (`errors.USER_ERRORS`) raised anywhere in the command becomes one line on stderr
  (`minimax-agent: error: ...`, redacted and made safe for a terminal) and its exit code
  (`errors.exit_code_for`). No command catches these itself just to report them.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any, NoReturn, TypeVar, get_args, get_origin, get_type_hints

import typer

from minimax_agent.cli.flags import Flag, FlagGroup, gather, is_group, spread
from minimax_agent.errors import USER_ERRORS, UserError, exit_code_for

F = TypeVar("F", bound=Callable[..., Any])


def fail(exc: UserError) -> NoReturn:
    """Report `exc` as the command's one error line and exit with its code."""
    from minimax_agent.redact import current
    from minimax_agent.ui.terminal_safe import terminal_safe

    # an endpoint's error text may quote what it was sent, a path may hold escape sequences
    typer.echo(terminal_safe(current().text(f"minimax-agent: error: {exc}")), err=True)
    raise typer.Exit(exit_code_for(exc))


def for_typer(annotation: Any) -> Any:
    """`annotation` with its `Flag` metadata replaced by the typer option it describes."""
    if get_origin(annotation) is not Annotated:
        return annotation
    base, *metadata = get_args(annotation)
    options = [m.typer_option() if isinstance(m, Flag) else m for m in metadata]
    return Annotated[(base, *options)]


def command(func: F) -> F:
    """`func` as typer should see it: flags as options, groups spread, errors as exit codes."""
    hints = get_type_hints(func, include_extras=True)
    groups: dict[str, type[FlagGroup]] = {}
    params: list[inspect.Parameter] = []
    for param in inspect.signature(func).parameters.values():
        hint = hints.get(param.name, param.annotation)
        if not is_group(hint):
            params.append(param.replace(kind=param.KEYWORD_ONLY, annotation=for_typer(hint)))
            continue
        groups[param.name] = hint
        for p in spread(hint):
            params.append(
                inspect.Parameter(
                    p.name,
                    param.KEYWORD_ONLY,
                    default=p.default,
                    annotation=for_typer(p.annotation),
                )
            )

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        for name, group in groups.items():
            if name not in kwargs:  # a direct call may pass the group itself
                kwargs[name] = gather(group, kwargs)
        try:
            return func(**kwargs)
        except USER_ERRORS as exc:
            fail(exc)

    # typer reads the signature and the resolved annotations; both now list the spread flags
    wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    return wrapper  # type: ignore[return-value]
