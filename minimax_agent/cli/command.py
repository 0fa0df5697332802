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

`Command` and `Group` are the click classes every command and group is registered with (`cls=`):
typer's help as a user reads a synopsis. A switch shows no value type (typer 0.2x writes
`--continue <bool>`), an argument is `TASK` in the usage line (not `{task}`), and a word after a
switch of the root command is explained rather than reported as an unknown command.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import re
from collections.abc import Callable
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    NoReturn,
    TypeVar,
    get_args,
    get_origin,
    get_type_hints,
)

import typer
from typer.core import TyperCommand, TyperGroup, TyperOption

from minimax_agent.cli.flags import Flag, FlagGroup, gather, is_group, spread
from minimax_agent.errors import USER_ERRORS, UserError, exit_code_for

if TYPE_CHECKING:  # typer 0.2x carries its own copy of click; these are its types
    from typer._click import Command as ClickCommand
    from typer._click import Context, Parameter

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


# --- how help and usage read -----------------------------------------------------------------

# typer's usage names: `{task}` required, `[file]` optional (each perhaps followed by `...`)
_USAGE_NAME = re.compile(r"(?P<open>[{\[])(?P<name>[a-z][\w-]*)[}\]](?P<more>(?:\.\.\.)?)")


def usage_piece(piece: str) -> str:
    """A usage-line piece as click and man pages write it: `TASK`, `[FILE]`."""
    match = _USAGE_NAME.fullmatch(piece)
    if match is None:
        return piece
    name = match["name"].upper().replace("-", "_")
    return (name if match["open"] == "{" else f"[{name}]") + match["more"]


def _switches(params: list[Parameter]) -> list[TyperOption]:
    return [p for p in params if isinstance(p, TyperOption) and (p.is_flag or p.count)]


def _without_switch_types(params: list[Parameter]) -> list[Parameter]:
    # an empty metavar is what typer shows in the type column: nothing (a switch takes no value)
    for option in _switches(params):
        if option.metavar is None:
            option.metavar = ""
    return params


class Command(TyperCommand):
    """A typer command whose help shows switches without a type and arguments as NAME."""

    def get_params(self, ctx: Context) -> list[Parameter]:
        return _without_switch_types(super().get_params(ctx))

    def collect_usage_pieces(self, ctx: Context) -> list[str]:
        return [usage_piece(p) for p in super().collect_usage_pieces(ctx)]


class Group(TyperGroup):
    """A typer group like `Command`; a word after one of its switches (`--continue true`) is
    explained: a switch takes no value, and a task is run by `fix`."""

    def get_params(self, ctx: Context) -> list[Parameter]:
        return _without_switch_types(super().get_params(ctx))

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        ctx.meta.setdefault(_ARGV, list(args))
        return super().parse_args(ctx, args)

    def resolve_command(
        self, ctx: Context, args: list[str]
    ) -> tuple[str | None, ClickCommand | None, list[str]]:
        word = args[0] if args else ""
        if word and self.get_command(ctx, word) is None and not ctx.resilient_parsing:
            found = self._switch_before(ctx, word)
            if found is not None:
                switch, spelled = found
                message = f"a switch takes no value, so {word!r} was read as a command"
                if spelled in self._fix_switches(ctx):
                    name = ctx.find_root().info_name or "minimax-agent"
                    message += f'; to run a task headless: {name} fix {spelled} "TASK"'
                raise typer.BadParameter(message, ctx, switch)
        return super().resolve_command(ctx, args)

    def _fix_switches(self, ctx: Context) -> set[str]:
        fix = self.get_command(ctx, "fix")
        params = fix.get_params(ctx) if fix is not None else []
        return {n for o in _switches(params) for n in (*o.opts, *o.secondary_opts)}

    def _switch_before(self, ctx: Context, word: str) -> tuple[TyperOption, str] | None:
        """The switch of this group written just before `word` on the command line (and how
        it was spelled), if any."""
        argv: list[str] = ctx.meta.get(_ARGV, [])
        for before, after in itertools.pairwise(argv):
            if after != word:
                continue
            for switch in _switches(self.get_params(ctx)):
                if before in (*switch.opts, *switch.secondary_opts):
                    return switch, before
        return None


_ARGV = "minimax_agent.argv"  # the group's own arguments, kept for `Group.resolve_command`
