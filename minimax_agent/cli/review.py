"""`minimax-agent review`: flags only. Imported when the CLI starts, so everything heavy (git,
unidiff, pydantic models, the agent) is imported inside the command. A user error ends it
through `cli/command.py`, like every command; anything else is `_crash` (exit 3, never 1)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from minimax_agent.cli import flags
from minimax_agent.cli.command import command
from minimax_agent.errors import USER_ERRORS, ExitCode
from minimax_agent.review.formats import ReviewFormat
from minimax_agent.review.options import DEFAULT_BUDGET_TOKENS, FailOn

if TYPE_CHECKING:
    from minimax_agent.review.report import ReviewReport

STDOUT = "-"
log = logging.getLogger("minimax_agent")


def _crash(exc: Exception) -> NoReturn:
    """A bug or a broken environment, not findings: exit 3, so CI never reads it as exit 1."""
    log.debug("review failed with an unexpected error", exc_info=exc)
    detail = " ".join(str(exc).split())
    what = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    # -v is the root option: with it the traceback is already on stderr, just above this line
    hint = (
        ""
        if log.isEnabledFor(logging.DEBUG)
        else " (`minimax-agent -v review ...` shows the traceback)"
    )
    typer.echo(f"minimax-agent: error: review failed: {what}{hint}", err=True)
    raise typer.Exit(ExitCode.BACKEND)


def plan_outputs(
    formats: list[ReviewFormat] | None, outputs: list[str] | None
) -> dict[ReviewFormat, str]:
    """Where each format goes: a file, or `-` for stdout. At most one format may use stdout."""
    from minimax_agent.errors import UsageError

    chosen = list(dict.fromkeys(formats or []))
    targets: dict[ReviewFormat, str] = {}
    for spec in outputs or []:
        name, sep, path = spec.partition("=")
        if not sep:
            if len(chosen) != 1:
                raise UsageError(
                    f"--output {spec}: say which format goes there, e.g. --output sarif={spec}"
                )
            targets[chosen[0]] = spec
            continue
        try:
            fmt = ReviewFormat(name.strip().lower())
        except ValueError:
            known = ", ".join(f.value for f in ReviewFormat)
            raise UsageError(f"--output {spec}: unknown format {name!r} (one of {known})") from None
        if not path:
            raise UsageError(f"--output {spec}: missing file name after '='")
        targets[fmt] = path
        if fmt not in chosen:
            chosen.append(fmt)
    if not chosen:
        chosen = [ReviewFormat.MARKDOWN]
    plan = {fmt: targets.get(fmt, STDOUT) for fmt in chosen}
    to_stdout = [f.value for f, target in plan.items() if target == STDOUT]
    if len(to_stdout) > 1:
        raise UsageError(
            f"only one format can go to stdout, not {', '.join(to_stdout)}; send the others to "
            "files with --output FORMAT=FILE"
        )
    return plan


def _write_outputs(report: ReviewReport, plan: dict[ReviewFormat, str]) -> None:
    import sys
    import time

    from minimax_agent.errors import UsageError
    from minimax_agent.review.formats import render
    from minimax_agent.review.formats.github import write_step_summary

    started = time.perf_counter()
    rendered = {fmt: render(fmt, report) for fmt in plan}
    report.timings["format"] = round(time.perf_counter() - started, 4)
    for fmt, target in plan.items():
        if target == STDOUT:
            if sys.stdout.isatty():
                _show_on_terminal(fmt, rendered[fmt])
            else:
                typer.echo(rendered[fmt], nl=False)
            continue
        try:
            Path(target).write_text(rendered[fmt], encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write the {fmt} output to {target}: {exc}") from None
    if ReviewFormat.GITHUB in plan:
        markdown = rendered.get(ReviewFormat.MARKDOWN) or render(ReviewFormat.MARKDOWN, report)
        try:
            write_step_summary(markdown)
        except OSError as exc:
            typer.echo(f"minimax-agent: warning: no job summary: {exc}", err=True)


def _show_on_terminal(fmt: ReviewFormat, text: str) -> None:
    """A format for a person: markdown drawn by rich, without the hidden marker that CI's
    comment upserts look for; the others as written. Findings quote the model: on a terminal
    its escape sequences are shown, not run."""
    from minimax_agent.ui.terminal_safe import SafeConsole, terminal_safe

    if fmt is not ReviewFormat.MARKDOWN:
        typer.echo(terminal_safe(text), nl=False)
        return
    from rich.markdown import Markdown

    from minimax_agent.review.formats.markdown import MARKER

    lines = [line for line in text.splitlines() if line.strip() != MARKER]
    SafeConsole().print(Markdown("\n".join(lines)))


@command
def review(
    *,  # keyword-only: a flag group (cli/flags.py) has no default to give
    directory: Annotated[
        Path, flags.directory_option("Repository to review (default: here).")
    ] = Path("."),
    base: Annotated[
        str | None,
        typer.Option(
            help="Compare from the merge base with this ref. Default: origin/HEAD, else main, "
            "else master."
        ),
    ] = None,
    head: Annotated[str | None, typer.Option(help="The reviewed tip. Default: HEAD.")] = None,
    uncommitted: Annotated[
        bool, typer.Option("--uncommitted", help="Review staged, unstaged and untracked changes.")
    ] = False,
    commit: Annotated[
        str | None, typer.Option(help="Review one commit against its first parent.")
    ] = None,
    output_formats: Annotated[
        list[ReviewFormat] | None,
        typer.Option(
            "--format", "-f", help="Output format; repeat for several. Default: markdown."
        ),
    ] = None,
    outputs: Annotated[
        list[str] | None,
        typer.Option(
            "--output",
            "-o",
            help="FORMAT=FILE (e.g. sarif=review.sarif); repeatable. Default: stdout.",
        ),
    ] = None,
    fail_on: Annotated[
        FailOn, typer.Option(help="Exit 1 when a finding is at or above this severity.")
    ] = FailOn.HIGH,
    endpoint: flags.EndpointFlags,
    trust_project: flags.TrustProject = None,
    max_steps: Annotated[
        int | None, flags.max_steps_option("Steps allowed per part of the diff.")
    ] = None,
    max_diff_tokens: Annotated[
        int,
        typer.Option(min=1000, help="Token budget of diff per agent run; bigger diffs are split."),
    ] = DEFAULT_BUDGET_TOKENS,
    allow_shell: Annotated[
        bool,
        typer.Option(
            "--allow-shell", help="Let the model run shell commands (read-only otherwise)."
        ),
    ] = False,
    trace: flags.Trace = None,
    show_reasoning: flags.ShowReasoning = False,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="Nothing on stderr but warnings and errors: no progress, no closing line "
            "(the exit code says how it went).",
        ),
    ] = False,
) -> None:
    """Review the changes on a branch (or a commit, or uncommitted work) and report findings.

    Exit codes: 0 passed · 1 findings at or above --fail-on · 2 usage · 3 failed · 130 stopped.
    """
    from minimax_agent.config import load_settings
    from minimax_agent.review.gitrange import repo_root
    from minimax_agent.review.report import Clock
    from minimax_agent.review.session import prepare, run_review
    from minimax_agent.session.trace import TraceWriter
    from minimax_agent.ui.headless import HeadlessHooks
    from minimax_agent.ui.terminal_safe import SafeConsole, terminal_safe

    # plain echo, not rich: CI logs are not terminals, and rich would wrap these at 80 columns
    def note(text: str) -> None:
        if not quiet:
            typer.echo(terminal_safe(f"minimax-agent review: {text}"), err=True)

    tracer = None
    try:
        plan = plan_outputs(output_formats, outputs)
        root = repo_root(directory.resolve())
        settings = load_settings(
            root,
            here=directory.resolve(),
            **endpoint.settings(),
            max_steps=max_steps,
            trust_project=trust_project,
        )
        for warning in settings.warnings:
            typer.echo(f"minimax-agent: warning: {warning}", err=True)
        for notice in settings.notices:  # a provider chosen for the user: said once
            typer.echo(f"minimax-agent: {notice}", err=True)
        clock = Clock()
        prepared = prepare(
            root,
            clock,
            base=base,
            head=head,
            uncommitted=uncommitted,
            commit=commit,
            budget_tokens=max_diff_tokens,
        )
        for warning in prepared.source.warnings:
            typer.echo(terminal_safe(f"minimax-agent: warning: {warning}"), err=True)
        skipped = prepared.diff.skipped
        if skipped:
            note("not reviewed: " + ", ".join(f"{f.path} ({f.skip_reason})" for f in skipped))
        tracer = TraceWriter(trace) if trace else None
        console = None if quiet else SafeConsole(stderr=True)
        display = None if console is None else HeadlessHooks(console, show_reasoning=show_reasoning)
        report = run_review(
            prepared,
            settings,
            clock,
            fail_on=fail_on,
            allow_shell=allow_shell,
            display=display,
            trace=tracer,
            note=note,
        )
        report.timings = clock.summary()
        if display is not None:
            display.end_line()
        _write_outputs(report, plan)
    except (*USER_ERRORS, typer.Exit, typer.Abort):
        raise
    except Exception as exc:  # a bug or a broken environment: exit 3, never 1 (findings)
        _crash(exc)
    finally:
        if tracer:
            tracer.close()
    note(f"{report.headline()} (exit {report.exit_code})")
    raise typer.Exit(report.exit_code)
