"""How `minimax-agent models ...` shows what quantize/ returns: rich tables for a GGUF summary,
the cached models, a repo's quants, a requantisation estimate and a fit plan, and the progress
of a requantisation.

quantize/ is a library that returns data; everything drawn is here. rich is imported inside each
function, so importing the CLI stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from quantize.inspect import human_bytes, human_count

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from quantize.inspect import ModelSummary, TokenInfo, TokenList
    from quantize.model_cache import CachedModel
    from quantize.plan import FitPlan
    from quantize.pull import Quant, RepoListing
    from quantize.requant import GroupEstimate, TensorHook


def summary_table(s: ModelSummary) -> Table:
    """`models inspect`: the header facts, then bytes and types per tensor group."""
    from rich.table import Table
    from rich.text import Text

    def tok(t: TokenInfo | None) -> str:
        return "-" if t is None else f"{t.id} {t.text!r}"

    def listed(tl: TokenList) -> str:
        more = f" (+{tl.count - len(tl.tokens)} more)" if tl.count > len(tl.tokens) else ""
        return f"{tl.count}: " + " ".join(repr(t.text) for t in tl.tokens) + more

    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    rows = [
        ("file", s.paths[0] + (f" (+{len(s.paths) - 1} shards)" if len(s.paths) > 1 else "")),
        ("architecture", s.architecture),
        ("name", s.name or "-"),
        ("quant", s.file_type),
        ("parameters", human_count(s.n_params)),
        ("file size", human_bytes(s.file_bytes)),
        ("context length", str(s.context_length or "-")),
        (
            "layers / experts",
            f"{s.n_layer or '-'} / {s.n_expert or '-'} ({s.n_expert_used or '-'} used)",
        ),
        ("chat template", "yes" if s.has_chat_template else "no"),
        ("bos", tok(s.bos)),
        ("eos", tok(s.eos)),
        *((k, tok(t)) for k, t in (("eot", s.eot), ("pad", s.pad), ("unk", s.unk)) if t),
        ("control tokens", listed(s.control_tokens)),
        ("user-defined tokens", listed(s.user_defined_tokens)),
    ]
    for k, v in rows:
        # Text, not markup: token texts such as `[e~[` or `[/INST]` look like rich tags.
        head.add_row(k, Text(v))

    table = Table(title="tensor groups")
    for col in ("group", "parameters", "bytes", "types"):
        table.add_column(col, justify="left" if col in ("group", "types") else "right")
    for g, st in s.groups.items():
        types = ", ".join(
            f"{t} {human_bytes(b)}" for t, b in sorted(st.types.items(), key=lambda x: -x[1])
        )
        table.add_row(g, human_count(st.n_params), human_bytes(st.n_bytes), types or "-")

    outer = Table.grid()
    outer.add_row(head)
    outer.add_row(table)
    return outer


def cached_table(models: list[CachedModel], root: Path) -> Table:
    """`models list`: the names `--model` accepts, with sizes and where each file is."""
    from rich.table import Table

    table = Table(title=str(root))
    table.add_column("name")
    table.add_column("size", justify="right")
    table.add_column("repo", overflow="fold")  # long paths wrap rather than lose their ends
    table.add_column("file", overflow="fold")
    for m in models:
        size = human_bytes(m.size)
        if not m.complete:
            size += f" ({len(m.files)} of {m.shards_expected} shards)"
        table.add_row(m.name, size, m.repo, str(m.path.relative_to(root)))
    return table


def quants_table(listing: RepoListing, assessed: list[tuple[Quant, FitPlan]]) -> Table:
    """`models pull` without --quant: each quant in the repo and whether it fits."""
    from rich.table import Table

    table = Table(title=f"{listing.repo} @ {listing.revision[:12]}")
    for col in ("quant", "size", "files", "fits"):
        table.add_column(col, justify="right" if col in ("size", "files") else "left")
    for quant, plan in assessed:
        fits = "yes" if plan.fits else f"no ({human_bytes(plan.shortfall)} short)"
        table.add_row(quant.name, human_bytes(quant.size), str(len(quant.files)), fits)
    return table


def print_estimate(qtype: str, recipe: str, groups: list[GroupEstimate], requant: bool) -> None:
    """`models quantize`: what each tensor group becomes, before any work."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{qtype}, recipe {recipe} (sizes are estimates)")
    for col in ("group", "now", "becomes", "about"):
        table.add_column(col, justify="right" if col in ("now", "about") else "left")
    total: int | None = 0
    for g in groups:
        size = g.estimated_bytes
        total = None if total is None or size is None else total + size
        about = human_bytes(size) if size is not None else "?"
        table.add_row(g.group, human_bytes(g.source_bytes), g.target, about)
    table.add_row("[bold]total[/]", "", "", human_bytes(total) if total is not None else "?")
    console = Console()
    console.print(table)
    if requant:
        console.print("note: the input is already quantized; requantizing compounds the loss")


def print_pick(chosen: str, assessed: list[tuple[str, FitPlan]]) -> None:
    """`models plan` without a file or --quant: which named quants fit, and the one planned."""
    from rich.console import Console

    fits = [q for q, p in assessed if p.fits]
    console = Console()
    if fits:
        console.print(f"fits: {', '.join(fits)}", highlight=False)
        console.print(f"planning the largest that fits: [bold]{chosen}[/]", highlight=False)
    else:
        console.print(f"no quant fits; planning the smallest: [bold]{chosen}[/]", highlight=False)
    console.print("(give a file or --quant NAME to plan another)", highlight=False)


def print_plan(p: FitPlan, warning: str | None = None) -> None:
    """`models plan`: the placement, whether it fits (or what helps), speed and the flags;
    `warning` (a doubtful bandwidth) beside the speed it affects."""
    import shlex

    from rich.console import Console
    from rich.table import Table

    from quantize.plan import bandwidth_note

    req, hw = p.request, p.request.hardware
    console = Console()
    console.print(
        f"[bold]{req.model.name}[/] ({human_bytes(req.model.total)}) on {hw.gpu_name} "
        f"({human_bytes(hw.gpu_memory)}) + {human_bytes(hw.ram)} RAM, "
        f"context {req.ctx} at {req.kv_type}"
    )
    table = Table(title="placement")
    table.add_column("component")
    table.add_column("GPU", justify="right")
    table.add_column("CPU RAM", justify="right")
    for name in dict.fromkeys([*p.gpu, *p.cpu]):
        gpu_bytes, cpu_bytes = p.gpu.get(name), p.cpu.get(name)
        table.add_row(
            name.replace("_", " "),
            human_bytes(gpu_bytes) if gpu_bytes is not None else "",
            human_bytes(cpu_bytes) if cpu_bytes is not None else "",
        )
    table.add_row(
        "[bold]total[/]",
        f"{human_bytes(p.gpu_used)} of {human_bytes(hw.gpu_memory)}" if p.gpu else "",
        f"{human_bytes(p.ram_used)} of {human_bytes(hw.ram)}",
    )
    console.print(table)
    if hw.gpu_memory <= 0:
        console.print("no GPU given or detected: a CPU-only plan (pass --gpu or --gpu-mem)")
    if p.gpu:
        console.print(
            f"experts: {p.gpu_expert_layers} layers on the GPU, {p.cpu_moe} layers in CPU RAM"
        )
    console.print(f"RAM left for the OS: {human_bytes(p.ram_left)}")
    if not p.fits:
        missing = []
        if p.gpu_shortfall:
            missing.append(f"GPU short by {human_bytes(p.gpu_shortfall)}")
        if p.ram_shortfall:
            missing.append(f"RAM short by {human_bytes(p.ram_shortfall)}")
        console.print(f"[bold red]does not fit[/]: {', '.join(missing)}")
        if p.advice:
            console.print(f"helps most: {p.advice[0].description}")
            for a in p.advice[1:]:
                extra = "" if a.fits else f", still {human_bytes(a.shortfall)} short"
                console.print(f"  or: {a.description}{extra}")
        return
    if p.tokens_per_s is not None and p.tokens_per_s_full is not None:
        console.print(
            f"predicted decode: {p.tokens_per_s:.1f} tok/s (empty context), "
            f"{p.tokens_per_s_full:.1f} tok/s (context full)"
        )
        console.print(f"  from bandwidth: {bandwidth_note(p)}", highlight=False)
        if warning:
            console.print(f"[yellow]warning: {warning}[/]", highlight=False)
    console.print("minimax-agent " + shlex.join(p.agent_flags), soft_wrap=True, highlight=False)
    console.print("llama-server " + shlex.join(p.server_flags), soft_wrap=True, highlight=False)


@contextmanager
def tensor_progress(console: Console | None = None) -> Iterator[TensorHook]:
    """A `requant.run(on_tensor=...)` hook reporting on stderr: a progress bar on a terminal;
    elsewhere (CI logs) a line per 10% of the tensors."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    console = console or Console(stderr=True)
    if not console.is_terminal:
        shown = 0

        def log_tenths(index: int, total: int, name: str) -> None:
            nonlocal shown
            tenth = (index - 1) * 10 // total
            if tenth > shown:
                shown = tenth
                console.print(f"quantizing: {tenth * 10}% ({index - 1}/{total} tensors)")

        yield log_tenths
        return

    progress = Progress(
        TextColumn("quantizing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[tensor]}"),
        console=console,
    )
    task = progress.add_task("quantize", total=None, tensor="")

    def draw(index: int, total: int, name: str) -> None:
        # the log line comes as a tensor starts, so the ones before it are the ones done
        progress.update(task, total=total, completed=index - 1, tensor=name)

    with progress:
        yield draw
        total = progress.tasks[0].total
        progress.update(task, completed=total or 0, tensor="")
