"""`minimax-agent models ...`: GGUF inspection, fit planning, requantisation, tiny test models,
downloads from the Hub (`pull`, `list`).

Everything heavy (gguf, numpy, llama_cpp, rich tables) is imported inside the commands. Flags
other commands share come from `cli/flags.py`; `@command` turns a user error into the one error
line and exit code.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from minimax_agent.cli import flags
from minimax_agent.cli.command import Command, Group, command
from minimax_agent.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from quantize.plan import PlanRequest

models_app = typer.Typer(
    help="Inspect GGUF files, plan how an M2 model (M2.1, M2.5, M2.7) fits a machine, "
    "requantise, write tiny test models.",
    no_args_is_help=True,
    cls=Group,
)


@models_app.command(cls=Command)
@command
def tiny(
    out: Annotated[Path, typer.Argument(help="Where to write the GGUF file.")],
    size: Annotated[
        str, typer.Option(help="tiny (~0.3 MB, tests), quant (K-quant-able), bench (~400 MB).")
    ] = "tiny",
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same file.")] = 0,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a small random-weight minimax-m2 GGUF (never a real model: for tests)."""
    if out.exists() and not force:
        raise UsageError(f"{out} exists; pass --force to overwrite it")
    from minimax_agent.dialect import dialect_for
    from quantize.tiny import ARCH, write_tiny_model

    template = dialect_for(architecture=ARCH).default_template()
    try:
        write_tiny_model(out, size=size, seed=seed, chat_template=template)
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from None
    typer.echo(f"wrote {out} ({out.stat().st_size} bytes)")


@models_app.command(cls=Command)
@command
def inspect(
    file: Annotated[Path, typer.Argument(help="A .gguf file (any shard of a split model).")],
    as_json: flags.AsJson = False,
) -> None:
    """Architecture, size, quant and bytes per tensor group, from the header only."""
    from quantize.inspect import summarize

    summary = summarize(file)
    if as_json:
        typer.echo(json.dumps(summary.to_json(), indent=2))
        return
    from rich.console import Console

    from minimax_agent.ui.models_view import summary_table

    Console().print(summary_table(summary))


@models_app.command(cls=Command)
@command
def plan(
    file: Annotated[
        Path | None,
        typer.Argument(help="A .gguf file; or --quant; neither: the largest quant that fits."),
    ] = None,
    quant: Annotated[
        str | None, typer.Option(help="A named quant of the model, e.g. Q4_K_M, IQ2_M, Q8_0.")
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            help="The model --quant is of: M2, M2.1 (default), M2.5, M2.7 (MiniMax-… too)."
        ),
    ] = None,
    gpu: Annotated[
        str | None,
        typer.Option(help="GPU preset: l40s, rtx6000ada, rtx-pro-6000, 4090, 3090, h100."),
    ] = None,
    gpu_mem: Annotated[
        str | None, typer.Option(help="GPU memory, e.g. 48G (default: preset or nvidia-smi).")
    ] = None,
    ram: Annotated[
        str | None, typer.Option(help="System RAM, e.g. 128G (default: detected).")
    ] = None,
    ctx: Annotated[int, typer.Option(help="Context length in tokens.")] = 32768,
    kv: flags.PlanKvType = flags.KvType.Q8_0,
    gpu_bw: Annotated[
        float | None, typer.Option(help="GPU memory bandwidth in GB/s (default: per preset).")
    ] = None,
    cpu_bw: Annotated[
        float | None,
        typer.Option(
            help="System RAM bandwidth in GB/s (default: measured, ~0.3 s, when planning "
            "this machine; 80 for another)."
        ),
    ] = None,
    as_json: flags.AsJson = False,
) -> None:
    """Where an M2 model's tensors go on this machine (M2.1 unless --model), the flags to run it,
    and the decode speed. Without a file or --quant: the largest quant that fits."""
    from quantize.family import DEFAULT_MODEL

    pick_one = file is None and quant is None
    request = _plan_request(
        file,
        quant or ("Q4_K_M" if pick_one else None),
        gpu,
        gpu_mem,
        ram,
        ctx,
        kv.value,
        gpu_bw,
        cpu_bw,
        measure=True,
        model=model,
    )
    from quantize.hardware import DEFAULT_CPU_BANDWIDTH
    from quantize.plan import bandwidth_warning, plan_fit

    if pick_one:
        from quantize.plan_pick import pick_quant

        picked = pick_quant(request, model or DEFAULT_MODEL)
        result = picked.plan
    else:
        result = plan_fit(request)
    warning = bandwidth_warning(result, DEFAULT_CPU_BANDWIDTH)
    if as_json:
        from dataclasses import asdict

        data = {**asdict(result), "warnings": [warning] if warning else []}
        if pick_one:
            data["picked"] = {q: p.fits for q, p in picked.assessed}
        typer.echo(json.dumps(data, indent=2))
    else:
        from minimax_agent.ui.models_view import print_pick, print_plan

        if pick_one:
            print_pick(picked.chosen, picked.assessed)
        print_plan(result, warning)
    if not result.fits:
        raise typer.Exit(ExitCode.NOT_DONE)


@models_app.command("quantize", cls=Command)
@command
def quantize_cmd(
    src: Annotated[Path, typer.Argument(help="The GGUF to quantize (F16/BF16 ideally).")],
    dst: Annotated[Path, typer.Argument(help="Where to write the result.")],
    qtype: Annotated[str, typer.Option("--type", help="Target type, e.g. Q4_K_M, IQ2_M, Q8_0.")],
    recipe: Annotated[
        str, typer.Option(help="default: llama.cpp's mix; moe: attention/embeddings/output Q8_0.")
    ] = "default",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would happen; write nothing.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing output.")] = False,
    threads: Annotated[int, typer.Option(min=0, help="Threads (0: every core).")] = 0,
    imatrix: Annotated[
        Path | None,
        typer.Option(help="Importance matrix from llama-imatrix (.gguf or legacy .dat)."),
    ] = None,
) -> None:
    """Requantize a GGUF with llama.cpp's quantizer (needs llama-cpp-python)."""
    from minimax_agent.ui.models_view import print_estimate, tensor_progress
    from quantize.requant import estimate, prepare, run

    job = prepare(src, dst, qtype, recipe, force=force, threads=threads, imatrix=imatrix)
    print_estimate(job.qtype, job.recipe, estimate(job), job.requantize)
    if job.imatrix is not None:
        typer.echo(f"importance matrix: {len(job.imatrix.values)} tensors from {imatrix}")
    if dry_run:
        return
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        from minimax_agent.backends.local.library import INSTALL_LLAMA

        raise UsageError(f"quantizing needs llama-cpp-python: {INSTALL_LLAMA}") from None
    with tensor_progress() as on_tensor:
        run(job, on_tensor=on_tensor)
    typer.echo(f"wrote {dst} ({dst.stat().st_size} bytes)")


@models_app.command(cls=Command)
@command
def pull(
    quant: Annotated[
        str | None, typer.Option(help="Quant to fetch, e.g. Q4_K_M (default: largest that fits).")
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(help="M2, M2.1 (default), M2.5 or M2.7: picks the default --repo."),
    ] = None,
    repo: Annotated[
        str | None,
        typer.Option(
            help="Hub repo ORG/NAME with the model's GGUFs (default: unsloth/MiniMax-M2.1-GGUF, "
            "unsloth/MiniMax-M2.5-GGUF, ...)."
        ),
    ] = None,
    revision: Annotated[str, typer.Option(help="Branch, tag or commit of the repo.")] = "main",
    gpu: Annotated[str | None, typer.Option(help="GPU preset for picking (see `plan`).")] = None,
    gpu_mem: Annotated[str | None, typer.Option(help="GPU memory for picking, e.g. 48G.")] = None,
    ram: Annotated[str | None, typer.Option(help="System RAM for picking, e.g. 128G.")] = None,
    ctx: Annotated[int, typer.Option(help="Context length the pick must fit.")] = 32768,
    kv: flags.PlanKvType = flags.KvType.Q8_0,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Download without asking.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the quants and the pick; fetch nothing.")
    ] = False,
) -> None:
    """Download a GGUF quant of M2.1 (or --model M2.5, M2.7) from the Hugging Face Hub into the
    models directory (MINIMAX_AGENT_MODELS_DIR, default the user cache). Resumes, verifies
    sizes; HF_TOKEN opens gated repos."""
    from quantize import model_cache
    from quantize import pull as hub
    from quantize.family import m2_model
    from quantize.inspect import human_bytes

    family = m2_model(model).name if model else None
    default_repo = m2_model(family).gguf_repo if family else hub.DEFAULT_REPO
    listing = hub.list_repo(repo or default_repo, revision)
    if quant is not None:
        chosen = hub.find_quant(listing, quant)
    else:
        base = _plan_request(None, "Q4_K_M", gpu, gpu_mem, ram, ctx, kv.value, None, None)
        assessed = hub.assess(listing, base, family)
        from rich.console import Console

        from minimax_agent.ui.models_view import quants_table

        Console().print(quants_table(listing, assessed))
        found = next((q for q, p in assessed if p.fits), None)
        if found is None:
            raise UsageError(
                f"no quant in {listing.repo} fits this machine at --ctx {ctx} --kv {kv.value}; "
                "pass --quant NAME to fetch one anyway"
            )
        chosen = found
    what = f"{chosen.name} ({human_bytes(chosen.size)}, {len(chosen.files)} file(s))"
    dest = model_cache.models_dir() / listing.repo
    if dry_run:
        typer.echo(f"would download {what} into {dest}")
        return
    if quant is None and not yes:
        if not sys.stdin.isatty():
            raise UsageError(f"not downloading {what} unasked: no terminal; pass --yes")
        if not typer.confirm(f"download {what} into {dest}?", default=True):
            raise typer.Exit(ExitCode.NOT_DONE)

    def progress(index: int, count: int, f: hub.RemoteFile, here: bool) -> None:
        note = ", already here" if here else ""
        typer.echo(f"[{index}/{count}] {f.path} ({human_bytes(f.size)}{note})")

    paths = hub.download(listing, chosen, progress)
    typer.echo(f"verified {what} in {dest}")
    typer.echo(f"run it with: minimax-agent --model {model_cache.cached_name(paths[0])}")


@models_app.command("list", cls=Command)
@command
def list_models(
    as_json: Annotated[bool, flags.json_option("A JSON array on stdout.")] = False,
) -> None:
    """Models in the models directory (see `pull`): the names `--model` accepts, and sizes."""
    from quantize.model_cache import cached_models, models_dir

    root, models = models_dir(), cached_models()
    if as_json:
        rows = [
            {
                "name": m.name,
                "repo": m.repo,
                "path": str(m.path),
                "size": m.size,
                "complete": m.complete,
            }
            for m in models
        ]
        typer.echo(json.dumps(rows, indent=2))
    elif not models:
        typer.echo(f"no models in {root}; fetch one with: minimax-agent models pull")
    else:
        from rich.console import Console

        from minimax_agent.ui.models_view import cached_table

        Console().print(cached_table(models, root))


def _plan_request(
    file: Path | None,
    quant: str | None,
    gpu: str | None,
    gpu_mem: str | None,
    ram: str | None,
    ctx: int,
    kv: str,
    gpu_bw: float | None,
    cpu_bw: float | None,
    measure: bool = False,
    model: str | None = None,
) -> PlanRequest:
    # `pull` does not measure: bandwidth changes the predicted speed, never what fits.
    from quantize import hardware as hwmod
    from quantize.family import DEFAULT_MODEL
    from quantize.footprint import file_footprint, model_footprint
    from quantize.plan import Hardware, PlanRequest

    if file is not None and quant is not None:
        raise UsageError("give either a model file or --quant NAME (e.g. --quant Q4_K_M)")
    if file is not None and model is not None:
        raise UsageError("--model names the model of --quant; a file says what it holds")
    footprint = (
        file_footprint(str(file))
        if file is not None
        else model_footprint(str(quant), model or DEFAULT_MODEL)
    )

    preset = hwmod.gpu_preset(gpu) if gpu else None
    if preset is None and gpu_mem is None:
        preset = hwmod.detect_gpu()
    name = preset.name if preset else ("GPU" if gpu_mem else "no GPU")
    memory = hwmod.parse_size(gpu_mem) if gpu_mem else (preset.memory if preset else 0)
    if gpu_bw:
        gpu_bandwidth, gpu_source = gpu_bw * hwmod.GB_S, "given"
    elif preset and hwmod.preset_key(preset.name):
        gpu_bandwidth, gpu_source = preset.bandwidth, "preset"
    else:  # an unknown card, or only --gpu-mem: no published figure to go by
        gpu_bandwidth, gpu_source = hwmod.DEFAULT_GPU_BANDWIDTH, "default"
    cpu_bandwidth, cpu_source = hwmod.DEFAULT_CPU_BANDWIDTH, "default"
    if cpu_bw:
        cpu_bandwidth, cpu_source = cpu_bw * hwmod.GB_S, "given"
    elif (
        measure
        and _describes_this_machine(gpu, gpu_mem, ram)
        and (measured := hwmod.measure_cpu_bandwidth()) is not None
    ):  # another machine's speed is not this one's: it keeps the typical figure
        cpu_bandwidth, cpu_source = measured, "measured"
    hardware = Hardware(
        gpu_name=name,
        gpu_memory=memory,
        gpu_bandwidth=gpu_bandwidth,
        ram=hwmod.parse_size(ram) if ram else hwmod.detect_ram(),
        cpu_bandwidth=cpu_bandwidth,
        gpu_bandwidth_source=gpu_source,
        cpu_bandwidth_source=cpu_source,
    )
    return PlanRequest(model=footprint, hardware=hardware, ctx=ctx, kv_type=kv)


def _describes_this_machine(gpu: str | None, gpu_mem: str | None, ram: str | None) -> bool:
    """Whether the flags describe this machine (none given, or each matching what is here):
    only then is a bandwidth measured here the plan's."""
    from quantize import hardware as hwmod

    def near(given: int, here: int, share: float) -> bool:
        return here > 0 and abs(given - here) <= share * here

    detected = hwmod.detect_gpu() if gpu or gpu_mem else None
    if gpu:
        wanted = hwmod.preset_key(hwmod.gpu_preset(gpu).name)
        if detected is None or hwmod.preset_key(detected.name) != wanted:
            return False
    if gpu_mem and (detected is None or not near(hwmod.parse_size(gpu_mem), detected.memory, 0.05)):
        return False
    # `free` and a board's marketing round differently: within a tenth is the same machine
    return not ram or near(hwmod.parse_size(ram), hwmod.detect_ram(), 0.1)
