"""`minimax-agent doctor`: what this machine and this configuration can run, checked for real.

Each check gives a status: `ok`, `info` (a fact, nothing to fix), `warn` (works, but not as one
would hope), `fail` (something the configuration needs is broken), or `skip` (not configured).
A failed check carries the exit code the same problem gives any other command.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from minimax_agent.errors import USER_ERRORS, ExitCode, MinimaxAgentError, UserError, exit_code_for

if TYPE_CHECKING:
    from minimax_agent.backends.local.native import Device
    from minimax_agent.config import Settings

log = logging.getLogger("minimax_agent")
TINY_TOKENS = 32


@dataclass
class Check:
    name: str
    status: str  # ok · info · warn · fail · skip
    detail: str
    data: dict[str, Any] = field(default_factory=dict)
    exit_code: int = ExitCode.OK


def _failed(name: str, exc: UserError, data: dict[str, Any] | None = None) -> Check:
    return Check(name, "fail", str(exc), data or {}, exit_code_for(exc))


def wants_endpoint(settings: Settings) -> bool:
    backend = (settings.backend or "").split(":", 1)[0]
    endpoint = backend in ("openai", "anthropic")
    return endpoint or (not backend and bool(settings.provider or settings.base_url))


def check_llama(needed: bool) -> tuple[Check, list[Device]]:
    from minimax_agent.backends.local import native

    try:
        facts = native.build_facts()
    except MinimaxAgentError as exc:
        if needed:
            return _failed("llama.cpp", exc), []
        return Check("llama.cpp", "warn", f"{exc}; the local backend is unavailable"), []
    found = native.devices()
    kinds = sorted({d.name.rstrip("0123456789") or d.kind for d in found})
    fa = "auto (the tiny model run shows what this build picks)"
    detail = (
        f"llama-cpp-python {facts['llama_cpp_python']} (llama.cpp {facts['llama_cpp']}); "
        f"backends: {', '.join(kinds) or 'CPU'}; GPU offload: "
        f"{'yes' if facts['gpu_offload'] else 'no'}; flash attention: {fa}; "
        f"system info: {facts['system_info']}"
    )
    return Check("llama.cpp", "ok", detail, facts), found


def check_gpus(found: list[Device]) -> Check:
    from minimax_agent.backends.local.plan import human

    smi = shutil.which("nvidia-smi")
    if smi:
        query = "--query-gpu=name,memory.total,memory.free"
        try:
            out = subprocess.run(
                [smi, query, "--format=csv,noheader,nounits"],
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            ).stdout
        except (OSError, subprocess.SubprocessError) as exc:
            return Check("GPUs", "warn", f"nvidia-smi failed: {exc}")
        gpus: list[dict[str, Any]] = []
        lines: list[str] = []
        for row in out.strip().splitlines():
            name, total, free = (p.strip() for p in row.split(","))
            gpus.append({"name": name, "total_mib": int(total), "free_mib": int(free)})
            lines.append(f"{name}: {human(int(free) << 20)} free of {human(int(total) << 20)}")
        text = "; ".join(lines)
        return Check("GPUs", "info", text or "nvidia-smi lists no GPU", {"gpus": gpus})
    others = [d for d in found if d.kind != "CPU"]
    if others:
        text = "; ".join(
            f"{d.description}: {human(d.free_bytes)} free of {human(d.total_bytes)}" for d in others
        )
        return Check("GPUs", "info", text, {"gpus": [d.__dict__ for d in others]})
    return Check("GPUs", "info", "none found (no nvidia-smi, no GPU device in llama.cpp)")


def check_ram() -> Check:
    from minimax_agent.backends.local.plan import human, ram_available

    total = None
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    total = int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    free = ram_available()
    if free is None:
        return Check("RAM", "warn", "cannot tell how much memory is available")
    text = f"{human(free)} available" + (f" of {human(total)}" if total else "")
    return Check("RAM", "info", text, {"available": free, "total": total})


def check_model(settings: Settings, found: list[Device], llama_ok: bool) -> Check:
    from minimax_agent.backends import local_model
    from minimax_agent.backends.local.plan import (
        RESERVE,
        choose_n_ctx,
        cpu_moe_layers,
        human,
        inspect_model,
        ram_available,
    )

    try:
        model = local_model(settings)
    except USER_ERRORS as exc:
        return _failed("model", exc, {"name": settings.model})
    if model is None:
        return Check("model", "skip", "no local model configured (--model PATH.gguf or NAME)")
    path = Path(model).expanduser()
    try:
        summary = inspect_model(path)
    except USER_ERRORS as exc:
        return _failed("model", exc, {"path": str(path)})
    gpus = [d for d in found if d.kind != "CPU"]
    vram = sum(d.free_bytes for d in gpus)
    ram = ram_available() or 0
    size = summary.file_bytes
    layers = summary.n_layer or 0
    experts = summary.expert_bytes_per_layer
    facts = (
        f"{summary.architecture}, {summary.file_type}, {human(size)}, "
        f"context {summary.context_length or '?'}, "
        f"chat template {'yes' if summary.has_chat_template else 'NO (built-in M2 template)'}"
    )
    status = "ok"
    if gpus and size + RESERVE <= vram:
        fit = "fits in free VRAM"
    elif gpus and size + 2 * RESERVE <= vram + ram:
        need = next(
            (n for n in range(layers + 1) if size - sum(experts[:n]) + RESERVE <= vram), layers
        )
        fit = f"fits in VRAM + RAM with --cpu-moe {need} (experts of {need} layers in RAM)"
    elif size + RESERVE <= ram:
        fit = "fits in available RAM"
    else:
        status = "warn"
        fit = f"does not fit: needs {human(size)}, {human(vram + ram)} free in all"
    detail = f"{path.name}: {facts}; {fit}"
    if llama_ok:
        moe = cpu_moe_layers(settings.cpu_moe, layers)
        _, note = choose_n_ctx(settings.local, summary, on_gpu=bool(gpus), gpus=gpus, cpu_moe=moe)
        detail += f"; {note}"
    return Check("model", status, detail, summary.to_json())


def check_endpoint(settings: Settings, needed: bool) -> Check:
    if not (settings.provider or settings.base_url):
        return Check("endpoint", "skip", "no endpoint configured (--provider / --base-url)")
    import httpx

    from minimax_agent.providers import resolve_provider

    try:
        provider = resolve_provider(settings)
    except MinimaxAgentError as exc:
        return _failed("endpoint", exc) if needed else Check("endpoint", "warn", str(exc))
    url = f"{provider.base_url}/models"
    if "anthropic" in (provider.config.api, (settings.backend or "").partition(":")[0]):
        from minimax_agent.backends.anthropic.wire import api_url

        url = api_url(provider.base_url, "models")  # the Messages API's own paths
    key = f"key from ${provider.api_key_env}" if provider.api_key else "no API key set"
    # Only reachability is tested: no key is sent, so a 401 still proves the server answers.
    try:
        response = httpx.get(url, timeout=5.0)
    except httpx.HTTPError as exc:
        text = f"{provider.name}: GET {url} failed: {type(exc).__name__}: {exc}"
        if needed:
            return Check("endpoint", "fail", text, exit_code=ExitCode.BACKEND)
        return Check("endpoint", "warn", text)
    return Check(
        "endpoint",
        "ok",
        f"{provider.name}: GET {url} answered HTTP {response.status_code}; {key}",
        {"url": url, "status": response.status_code},
    )


def check_tiny_run(threads: int | None) -> Check:
    """Write the tiny random model, load it, and time a short greedy generation."""
    from minimax_agent.backends.local.native import LoadParams, NativeModel
    from minimax_agent.backends.local.plan import default_threads
    from minimax_agent.backends.local.sampling import Sampler, SamplingParams
    from minimax_agent.dialect import dialect_for
    from minimax_agent.messages import UserMessage
    from quantize.tiny import ARCH, write_tiny_model

    dialect = dialect_for(architecture=ARCH)
    template = dialect.default_template()
    prompt = dialect.render(template, [UserMessage(content="hello")])
    with tempfile.TemporaryDirectory(prefix="minimax-doctor-") as tmp:
        path = write_tiny_model(Path(tmp) / "tiny.gguf", "tiny", chat_template=template)
        n = threads or default_threads()
        params = LoadParams(path, 512, 0, n, n, -1, -1, 1)
        started = time.perf_counter()
        model = NativeModel(params)
        loaded = time.perf_counter() - started
        sampler = Sampler(model, SamplingParams(temperature=0))
        try:
            model.evaluate(model.tokenize(prompt))
            started = time.perf_counter()
            for _ in range(TINY_TOKENS):
                model.append(sampler.sample())
            tps = TINY_TOKENS / (time.perf_counter() - started)
        finally:
            sampler.close()
            model.close()
    fa = {True: "enabled", False: "disabled", None: "not reported"}[model.flash_attn]
    return Check(
        "tiny model",
        "ok",
        f"loaded in {loaded * 1000:.0f} ms, {TINY_TOKENS} tokens at {tps:.0f} tokens/s; "
        f"flash attention {fa}",
        {"load_s": loaded, "decode_tps": tps, "flash_attn": model.flash_attn},
    )


def check_sandbox(settings: Settings, root: Path) -> Check:
    """What the OS sandbox around commands can enforce here (tools/sandbox.py)."""
    from tools.sandbox import LEVELS, Sandbox, agent_dirs, availability

    found = availability()
    level = settings.sandbox or "workspace-write"
    data: dict[str, Any] = {
        "mechanism": found.mechanism,
        "available": found.available,
        "level": level,
        "network": settings.sandbox_network,
    }
    if not found.available:
        data["reason"] = found.reason
        text = f"{found.refusal()} (fix and full-auto refuse to run without it)"
        if settings.sandbox not in (None, "off"):
            return Check("sandbox", "fail", text, data, ExitCode.USAGE)
        return Check("sandbox", "info" if level == "off" else "warn", text, data)
    probe = Sandbox(
        "read-only" if level == "read-only" else "workspace-write",
        root,
        network=settings.sandbox_network,
        git_writable=settings.sandbox_git_writable,
        hide=tuple(agent_dirs()),
    )
    hidden = [str(p) for p in probe.hidden_paths()]
    data.update(levels=list(LEVELS), hidden=hidden, bwrap=found.detail)
    what = probe.describe() if level != "off" else "off by configuration: commands run unconfined"
    detail = (
        f"{found.detail}; levels {', '.join(LEVELS)}; network isolation: yes; "
        f"process tree: pid namespace; now {what}"
    )
    return Check("sandbox", "ok" if level != "off" else "warn", detail, data)


def check_keys(settings: Settings) -> Check:
    """Which known key variables are set (names only, never values), which provider each
    would select, and which keys `setup` stored."""
    from minimax_agent.keys import (
        CHOICE_FIELDS,
        CLOUD_KEYS,
        credentials_file,
        keys_in_env,
        stored_keys,
    )

    found = keys_in_env()
    stored = [k.env for k in CLOUD_KEYS if k.env in stored_keys()]
    parts = [", ".join(f"{k.env} set (selects {k.provider})" for k in found)] if found else []
    if not found:
        names = ", ".join(k.env for k in CLOUD_KEYS)
        parts.append(f"none of {names} is set")
    selects = found[0].provider if settings.notices and len(found) == 1 else None
    if selects:
        parts.append(f"in use: {selects}, as nothing else is configured")
    elif len(found) > 1 and not any(getattr(settings, f) for f in CHOICE_FIELDS):
        parts.append("more than one: choose with --provider")
    if stored:
        parts.append(f"stored by setup in {credentials_file()}: {', '.join(stored)}")
    elif not found:
        parts.append("`minimax-agent setup` stores one")
    data = {"set": [k.env for k in found], "stored": stored, "selects": selects}
    return Check("api keys", "info", "; ".join(parts), data)


def run_checks(settings: Settings, *, tiny: bool = True, root: Path | None = None) -> list[Check]:
    from minimax_agent.backends import chooses_local

    local = chooses_local(settings)
    llama, found = check_llama(local)
    checks = [llama, check_gpus(found), check_ram(), check_model(settings, found, bool(found))]
    checks.append(check_keys(settings))
    checks.append(check_endpoint(settings, wants_endpoint(settings)))
    checks.append(check_sandbox(settings, root or Path.cwd()))
    if not found:
        checks.append(Check("tiny model", "skip", "llama.cpp is not available"))
    elif tiny:
        try:
            checks.append(check_tiny_run(settings.threads))
        except (*USER_ERRORS, OSError) as exc:
            code = exit_code_for(exc) if isinstance(exc, USER_ERRORS) else ExitCode.BACKEND
            checks.append(Check("tiny model", "fail", str(exc), exit_code=code))
    return checks


def exit_code(checks: list[Check]) -> int:
    return next((c.exit_code or ExitCode.BACKEND for c in checks if c.status == "fail"), 0)
