"""`minimax-agent models pull` and `models list`: fetch MiniMax-M2.1 GGUF quants from a Hub repo
into the models directory, and find them there again by name for `--model`.

The models directory is `MINIMAX_AGENT_MODELS_DIR` when set, otherwise
`platformdirs.user_cache_dir("minimax-agent")/models` (`~/.cache/minimax-agent/models` on Linux).
A pulled repo lands in `<models>/<org>/<name>/`, its files at their paths in the repo.

huggingface_hub does the transfers and is imported only inside the functions that talk to the Hub,
so `--version` and `--help` never load it. It reads `HF_ENDPOINT` (a mirror), `HF_TOKEN` (gated
or private repos; sent to the Hub, never logged here) and `HF_HOME` itself. A connection that
breaks mid-file is resumed with a `Range` request. Finished shards are kept, so `pull` run again
after Ctrl-C fetches only what is missing; the shard in flight restarts with huggingface_hub 1.0
and later, which deletes partial files (before 1.0 it resumes that too).
"""

from __future__ import annotations

import importlib
import logging
import os
import re
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from minimax_agent.errors import BackendError, UsageError
from quantize.footprint import QUANT_BPW, ModelFootprint, m21_footprint

if TYPE_CHECKING:
    from rich.table import Table

    from quantize.plan import Plan, PlanRequest

log = logging.getLogger("minimax_agent")

# Unsloth publishes GGUFs of each MiniMax release under this name; it cannot be checked from
# here (no network in development), which is why `--repo` exists. Shown in `models pull --help`.
DEFAULT_REPO = "unsloth/MiniMax-M2.1-GGUF"
MODELS_DIR_ENV = "MINIMAX_AGENT_MODELS_DIR"
ATTEMPTS = 3  # per file, when the connection breaks off mid-way

_SHARD = re.compile(r"-(?P<no>\d{5})-of-(?P<count>\d{5})$")
# A quant name at the end of a file stem: Q4_K_M, IQ2_XXS, TQ1_0, BF16, Unsloth's UD-Q4_K_XL...
_QUANT = r"(?:UD-)?(?:[IT]?Q\d(?:_[A-Z0-9]+)*|BF16|F16|F32|MXFP4(?:_MOE)?)"
_QUANT_AT_END = re.compile(rf"(?:^|[-_.])(?P<quant>{_QUANT})$", re.IGNORECASE)
_QUANT_ONLY = re.compile(rf"^{_QUANT}$", re.IGNORECASE)
_REPO_ID = re.compile(r"^[\w.-]+/[\w.-]+$")
_STACKS = (("httpx2", "HTTPError"), ("httpx", "HTTPError"), ("requests", "RequestException"))


class RepoNotFoundError(UsageError):
    """The repo does not exist on the Hub, or it is private and no token opens it."""


class RepoAccessError(UsageError):
    """The repo is gated and the token (if any) has not been granted access."""


class QuantNotFoundError(UsageError):
    """The repo holds no GGUF of the requested quant."""


class DownloadError(BackendError):
    """The Hub could not be reached, or a download failed or came out the wrong size."""


class _BrokenOff(DownloadError):
    """A connection that broke mid-way: another try resumes from where it stopped."""


@dataclass(frozen=True)
class RemoteFile:
    path: str  # inside the repo
    size: int  # as the Hub lists it


@dataclass(frozen=True)
class Quant:
    name: str  # upper case, e.g. Q4_K_M or UD-Q4_K_XL
    files: tuple[RemoteFile, ...]  # shards in order
    shards_expected: int  # from `-of-NNNNN`, or the file count for unsplit files

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def complete(self) -> bool:
        return len(self.files) == self.shards_expected


@dataclass(frozen=True)
class RepoListing:
    repo: str
    revision: str  # the commit the listing was taken at; downloads pin it
    quants: dict[str, Quant]  # smallest first


def quant_name(path: str) -> str | None:
    """The quant a GGUF path in a repo holds: from its file name, else from its folder."""
    parts = path.split("/")
    if not parts[-1].lower().endswith(".gguf") or parts[-1].lower().startswith("mmproj"):
        return None
    stem = _SHARD.sub("", parts[-1][: -len(".gguf")])
    match = _QUANT_AT_END.search(stem)
    if match:
        return match["quant"].upper()
    if len(parts) > 1 and _QUANT_ONLY.match(parts[-2]):
        return parts[-2].upper()
    return None


def group_quants(files: Iterable[RemoteFile]) -> dict[str, Quant]:
    """The repo's GGUF files by quant, smallest quant first. Where two sets of files carry the
    same quant name (a folder copy and a loose copy), the first in path order wins."""
    sets: dict[str, dict[str, list[RemoteFile]]] = {}
    for f in sorted(files, key=lambda f: f.path):
        name = quant_name(f.path)
        if name is not None:
            base = _SHARD.sub("", f.path.removesuffix(".gguf"))
            sets.setdefault(name, {}).setdefault(base, []).append(f)
    quants = []
    for name, by_base in sets.items():
        shards = next(iter(by_base.values()))
        quants.append(Quant(name, tuple(shards), _shard_count(shards[0].path, len(shards))))
    return {q.name: q for q in sorted(quants, key=lambda q: (q.size, q.name))}


def _shard_count(path: str, found: int) -> int:
    """How many shards a split file's name says its set has (`-00001-of-00003`)."""
    match = _SHARD.search(path.removesuffix(".gguf"))
    return int(match["count"]) if match else found


def find_quant(listing: RepoListing, name: str) -> Quant:
    quant = listing.quants.get(name.upper())
    if quant is None:
        there = ", ".join(listing.quants) or "none"
        raise QuantNotFoundError(f"{listing.repo} has no {name} GGUF; quants there: {there}")
    if not quant.complete:
        raise DownloadError(
            f"{listing.repo} lists {len(quant.files)} of the {quant.shards_expected} shards of "
            f"{quant.name}; the upload looks unfinished"
        )
    return quant


def footprint_for(quant: Quant) -> ModelFootprint:
    """M2.1 at this quant. A named quant starts from the estimate `models plan --quant` uses; the
    listed bytes take over where they are larger (a heavier mix) or where there is no estimate
    (Unsloth's UD-… mixes). Norms and router stay f32 in every quant: only the weights scale."""
    known = quant.name in QUANT_BPW
    base = m21_footprint(quant.name if known else "Q4_K_M")
    if known and quant.size <= base.total:
        return base
    fixed = base.router + base.norms
    f = max(quant.size - fixed, 0) / (base.total - fixed)
    return replace(
        base,
        name=f"MiniMax-M2.1-{quant.name}",
        embeddings=int(base.embeddings * f),
        output=int(base.output * f),
        attention=int(base.attention * f),
        expert_bytes_per_layer=tuple(int(b * f) for b in base.expert_bytes_per_layer),
        quant=quant.name if known else None,
    )


def assess(listing: RepoListing, request: PlanRequest) -> list[tuple[Quant, Plan]]:
    """Every complete quant in the repo with its placement on the request's machine, largest
    first."""
    from quantize.plan import place

    plans = [
        (q, place(replace(request, model=footprint_for(q))))
        for q in listing.quants.values()
        if q.complete
    ]
    return sorted(plans, key=lambda qp: qp[1].request.model.total, reverse=True)


def _endpoint() -> str | None:
    # Read at call time: huggingface_hub reads HF_ENDPOINT once, when it is first imported.
    return os.environ.get("HF_ENDPOINT") or None


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


@contextmanager
def _hub_errors(repo: str, doing: str, revision: str = "main") -> Iterator[None]:
    """Turn huggingface_hub's and its HTTP stack's exceptions into ours, one line each."""
    hf = importlib.import_module("huggingface_hub.errors")
    if not hasattr(hf, "GatedRepoError"):  # before 0.25 they lived in huggingface_hub.utils
        hf = importlib.import_module("huggingface_hub.utils")

    where = _endpoint() or "the Hub"
    # The HTTP stack differs by huggingface_hub version; only one already imported can raise.
    transport = tuple(getattr(sys.modules[m], a) for m, a in _STACKS if m in sys.modules)
    try:
        yield
    except hf.GatedRepoError:
        how = (
            "the token in HF_TOKEN has not been granted access; accept the terms on its Hub page"
            if os.environ.get("HF_TOKEN")
            else "accept the terms on its Hub page, then set HF_TOKEN to a token with access"
        )
        raise RepoAccessError(f"{repo} is gated: {how}") from None
    except hf.RepositoryNotFoundError:
        raise RepoNotFoundError(
            f"repository {repo} not found on {where} (a private repo needs HF_TOKEN); "
            "name another with --repo ORG/NAME"
        ) from None
    except hf.RevisionNotFoundError:
        raise RepoNotFoundError(f"{repo} has no revision {revision!r}") from None
    except hf.LocalEntryNotFoundError:
        raise DownloadError(f"{doing}: could not reach {where}") from None
    except hf.HfHubHTTPError as exc:
        raise DownloadError(f"{doing}: {_first_line(exc)}") from None
    except transport as exc:
        raise _BrokenOff(f"{doing}: {_first_line(exc)}") from None
    except OSError as exc:  # the disk, or huggingface_hub's own consistency checks
        raise DownloadError(f"{doing}: {_first_line(exc)}") from None


def list_repo(repo: str, revision: str = "main") -> RepoListing:
    """The repo's GGUF quants at `revision`, pinned to the commit it points at now."""
    if not _REPO_ID.match(repo):
        raise UsageError(f"bad repo {repo!r}: give it as ORG/NAME, e.g. {DEFAULT_REPO}")
    from huggingface_hub import HfApi
    from huggingface_hub.hf_api import RepoFile

    api = HfApi(endpoint=_endpoint())
    with _hub_errors(repo, f"listing {repo}", revision):
        sha = api.model_info(repo, revision=revision).sha or revision
        entries = list(api.list_repo_tree(repo, revision=sha, recursive=True))
    files = [
        RemoteFile(e.path, e.lfs.size if e.lfs is not None else e.size)
        for e in entries
        if isinstance(e, RepoFile)
    ]
    return RepoListing(repo, sha, group_quants(files))


def download(
    listing: RepoListing,
    quant: Quant,
    on_file: Callable[[int, int, RemoteFile, bool], None] | None = None,
) -> list[Path]:
    """Fetch the quant's shards into the models directory and check each one's size against the
    listing. `on_file(index, count, file, already_here)` runs before each file."""
    dest = models_dir() / listing.repo
    todo = [f for f in quant.files if not _has(dest / f.path, f.size)]
    _check_space(dest, sum(f.size for f in todo))
    paths = []
    for index, f in enumerate(quant.files, 1):
        if on_file is not None:
            on_file(index, len(quant.files), f, f not in todo)
        got = _fetch(listing, f.path, dest)
        _verify(got, f)
        paths.append(got)
    return paths


def _fetch(listing: RepoListing, path: str, dest: Path) -> Path:
    from huggingface_hub import hf_hub_download

    for attempt in range(1, ATTEMPTS + 1):
        try:
            with _hub_errors(listing.repo, f"downloading {path}"):
                got = hf_hub_download(
                    listing.repo,
                    path,
                    revision=listing.revision,
                    local_dir=dest,
                    endpoint=_endpoint(),
                )
            return Path(got)
        except _BrokenOff as exc:
            if attempt == ATTEMPTS:
                raise
            # huggingface_hub before 1.0 keeps the partial file and resumes it here with a Range
            # request; later versions retry (and resume) inside their own call first.
            log.warning("%s; trying again (%d of %d)", exc, attempt + 1, ATTEMPTS)
    raise AssertionError("unreachable")


def _check_space(dest: Path, needed: int) -> None:
    from quantize.inspect import human_bytes

    probe = dest
    while not probe.exists():
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if needed > free:
        raise UsageError(
            f"{human_bytes(needed)} to download but {human_bytes(free)} free under {probe}; "
            f"free space or point {MODELS_DIR_ENV} at a bigger disk"
        )


def _has(path: Path, size: int) -> bool:
    return path.is_file() and path.stat().st_size == size


def _verify(path: Path, f: RemoteFile) -> None:
    if not _has(path, f.size):
        size = path.stat().st_size
        # huggingface_hub would keep returning this file as done: remove it so a rerun refetches.
        path.unlink()
        raise DownloadError(
            f"{f.path}: downloaded {size} bytes but the Hub lists {f.size}; "
            "removed it, run the command again"
        )


def models_dir() -> Path:
    override = os.environ.get(MODELS_DIR_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("minimax-agent")) / "models"


@dataclass(frozen=True)
class CachedModel:
    name: str  # the file name without `.gguf` and shard suffix, e.g. MiniMax-M2.1-Q4_K_M
    repo: str  # ORG/NAME it was pulled from; "" for a file put straight into the directory
    files: tuple[Path, ...]  # shards in order
    shards_expected: int

    @property
    def path(self) -> Path:  # llama.cpp opens a split model by its first shard
        return self.files[0]

    @property
    def size(self) -> int:
        return sum(f.stat().st_size for f in self.files)

    @property
    def complete(self) -> bool:
        return len(self.files) == self.shards_expected


def cached_models(root: Path | None = None) -> list[CachedModel]:
    root = models_dir() if root is None else root
    if not root.is_dir():
        return []
    groups: dict[tuple[Path, str], list[Path]] = {}
    for path in sorted(root.rglob("*.gguf")):
        rel = path.relative_to(root)
        # huggingface_hub keeps partial downloads and bookkeeping under `.cache/`
        if any(part.startswith(".") for part in rel.parts):
            continue
        groups.setdefault((path.parent, cached_name(path)), []).append(path)
    models = []
    for (_, name), files in groups.items():
        rel = files[0].relative_to(root)
        repo = "/".join(rel.parts[:2]) if len(rel.parts) > 2 else ""
        models.append(CachedModel(name, repo, tuple(files), _shard_count(rel.name, len(files))))
    return sorted(models, key=lambda m: (m.repo, m.name))


def cached_name(path: Path) -> str:
    """The name `resolve_model_name` knows a downloaded file by."""
    return _SHARD.sub("", path.stem)


def resolve_model_name(name: str, root: Path | None = None) -> Path:
    """The file to load for a model name from the models directory: the model name
    (`MiniMax-M2.1-Q4_K_M`), a shard's file name, `ORG/NAME/model`, or the bare quant
    (`Q4_K_M`) when only one model has it. A split model resolves to its first shard."""
    key = name.strip().removesuffix(".gguf").lower()
    root = models_dir() if root is None else root
    found = []
    for m in cached_models(root):
        names = {m.name, f"{m.repo}/{m.name}", *(f.stem for f in m.files)}
        quant = quant_name(f"{m.path.parent.name}/{m.path.name}")
        if key in {n.lower() for n in names} or (quant is not None and key == quant.lower()):
            found.append(m)
    if not found:
        raise UsageError(
            f"no model named {name!r} in {root}: `minimax-agent models list` shows what is "
            "there, `minimax-agent models pull` fetches one"
        )
    if len(found) > 1:
        choices = ", ".join(f"{m.repo}/{m.name}" if m.repo else m.name for m in found)
        raise UsageError(f"{name!r} names several models; pick one of: {choices}")
    model = found[0]
    if not model.complete:
        raise UsageError(
            f"{model.name} has {len(model.files)} of its {model.shards_expected} shards; "
            "run `minimax-agent models pull` again to finish it"
        )
    return model.path


def quants_table(listing: RepoListing, assessed: list[tuple[Quant, Plan]]) -> Table:
    from rich.table import Table

    from quantize.inspect import human_bytes

    table = Table(title=f"{listing.repo} @ {listing.revision[:12]}")
    for col in ("quant", "size", "files", "fits"):
        table.add_column(col, justify="right" if col in ("size", "files") else "left")
    for quant, plan in assessed:
        fits = "yes" if plan.fits else f"no ({human_bytes(plan.shortfall)} short)"
        table.add_row(quant.name, human_bytes(quant.size), str(len(quant.files)), fits)
    return table


def cached_table(models: list[CachedModel], root: Path) -> Table:
    from rich.table import Table

    from quantize.inspect import human_bytes

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
