"""`minimax-agent models pull`: fetch GGUF quants of MiniMax-M2.1 (or M2, M2.5, M2.7; see
`quantize.family`) from a Hub repo into the models directory (see `quantize.model_cache`, which
also finds them again by name for `--model`).

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

from quantize.errors import (
    DownloadError,
    QuantizeUsageError,
    QuantNotFoundError,
    RepoAccessError,
    RepoNotFoundError,
)
from quantize.family import DEFAULT_MODEL, m2_model, model_in
from quantize.footprint import QUANT_BPW, ModelFootprint, m2_footprint
from quantize.model_cache import MODELS_DIR_ENV, models_dir, quant_name, shard_count
from quantize.model_cache import SHARD as _SHARD

if TYPE_CHECKING:
    from quantize.plan import FitPlan, PlanRequest

log = logging.getLogger("minimax_agent")

# Unsloth publishes GGUFs of each MiniMax release under such a name (`family.py`); it cannot be
# checked from here (no network in development), which is why `--repo` exists. Shown in
# `models pull --help`.
DEFAULT_REPO = m2_model(DEFAULT_MODEL).gguf_repo
ATTEMPTS = 3  # per file, when the connection breaks off mid-way

_REPO_ID = re.compile(r"^[\w.-]+/[\w.-]+$")
_STACKS = (("httpx2", "HTTPError"), ("httpx", "HTTPError"), ("requests", "RequestException"))


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
        quants.append(Quant(name, tuple(shards), shard_count(shards[0].path, len(shards))))
    return {q.name: q for q in sorted(quants, key=lambda q: (q.size, q.name))}


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


def repo_model(repo: str) -> str:
    """The M2-family model a repo holds, from its name (`unsloth/MiniMax-M2.5-GGUF`); M2.1 for a
    name that says none (they all weigh the same: only the name shown differs)."""
    found = model_in(repo)
    return found.name if found else DEFAULT_MODEL


def footprint_for(quant: Quant, model: str = DEFAULT_MODEL) -> ModelFootprint:
    """`model` (M2.1 unless named) at this quant. A named quant starts from the estimate
    `models plan --quant` uses; the listed bytes take over where they are larger (a heavier mix)
    or where there is no estimate (Unsloth's UD-… mixes). Norms and router stay f32 in every
    quant: only the weights scale."""
    known = quant.name in QUANT_BPW
    base = m2_footprint(quant.name if known else "Q4_K_M", model)
    if known and quant.size <= base.total:
        return base
    fixed = base.router + base.norms
    f = max(quant.size - fixed, 0) / (base.total - fixed)
    return replace(
        base,
        name=f"{m2_model(model).name}-{quant.name}",
        embeddings=int(base.embeddings * f),
        output=int(base.output * f),
        attention=int(base.attention * f),
        expert_bytes_per_layer=tuple(int(b * f) for b in base.expert_bytes_per_layer),
        quant=quant.name if known else None,
    )


def assess(
    listing: RepoListing, request: PlanRequest, model: str | None = None
) -> list[tuple[Quant, FitPlan]]:
    """Every complete quant in the repo with its placement on the request's machine, largest
    first. `model` names what the repo holds (default: read from the repo's name)."""
    from quantize.plan import place

    model = model or repo_model(listing.repo)
    plans = [
        (q, place(replace(request, model=footprint_for(q, model))))
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
        raise QuantizeUsageError(f"bad repo {repo!r}: give it as ORG/NAME, e.g. {DEFAULT_REPO}")
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
        raise QuantizeUsageError(
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
