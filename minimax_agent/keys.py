"""The API keys a first run can use: the variable each cloud preset reads its key from, the page
where such a key is made, the credentials file `minimax-agent setup` writes a typed key to, and
the provider a key in the environment chooses when nothing else names a backend.

Stdlib only (platformdirs when a path is needed): the interactive session asks `needs_setup`
before its prompt, where pydantic and httpx must not load yet. `CLOUD_KEYS` mirrors the cloud
entries of `providers.PRESETS` (tests/setup keeps the two in step).

The credentials file lives in the user config dir, which every sandboxed command has hidden
(`tools.sandbox.agent_dirs`); a key read from it is registered with `redact.add_secrets`, so it
is redacted and kept out of commands' environments as a key from the environment is.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

APP = "minimax-agent"
CREDENTIALS = "credentials.toml"
PROJECT_FILE = ".minimax-agent.toml"
# The settings that name a backend; any of them set means the user has chosen one.
CHOICE_FIELDS = ("backend", "provider", "base_url", "model")


@dataclass(frozen=True)
class CloudKey:
    """A cloud preset that needs a key, and where a newcomer gets one."""

    provider: str
    env: str
    page: str
    about: str
    # what `setup` asks to check a key: OpenRouter's /models answers without one, /key does not
    check_path: str = "/models"


CLOUD_KEYS: tuple[CloudKey, ...] = (
    CloudKey(
        "openrouter",
        "OPENROUTER_API_KEY",
        "https://openrouter.ai/keys",
        "OpenRouter, many hosts",
        check_path="/key",
    ),
    CloudKey(
        "minimax",
        "MINIMAX_API_KEY",
        "https://platform.minimax.io (its API keys page)",
        "the MiniMax platform, the model's maker",
    ),
    CloudKey(
        "nvidia",
        "NVIDIA_API_KEY",
        "https://build.nvidia.com (get an API key there)",
        "NVIDIA NIM",
    ),
    CloudKey(
        "modelslab", "MODELSLAB_API_KEY", "https://modelslab.com (its dashboard)", "ModelsLab"
    ),
)


class ChoiceFields(Protocol):
    """What `env_choice` reads of the settings (`config.Settings` has it all)."""

    @property
    def backend(self) -> str | None: ...
    @property
    def provider(self) -> str | None: ...
    @property
    def base_url(self) -> str | None: ...
    @property
    def model(self) -> str | None: ...


def cloud_key(provider: str) -> CloudKey | None:
    return next((k for k in CLOUD_KEYS if k.provider == provider), None)


def keys_in_env(environ: Mapping[str, str] | None = None) -> list[CloudKey]:
    """The cloud presets whose key variable is set (to something other than blanks)."""
    env = os.environ if environ is None else environ
    return [k for k in CLOUD_KEYS if env.get(k.env, "").strip()]


def env_choice(settings: ChoiceFields, ignored: Sequence[str] = ()) -> CloudKey | None:
    """The preset to use when the settings name no backend at all and exactly one known key
    variable is set; None otherwise (a choice made, or none to make without asking). Nor when
    an untrusted project's choice was `ignored`: the user decides that one (trust, or a flag)."""
    if any(getattr(settings, name) for name in CHOICE_FIELDS):
        return None
    if any(key.split(".")[0] in CHOICE_FIELDS for key in ignored):
        return None
    found = keys_in_env()
    return found[0] if len(found) == 1 else None


def chosen_notice(key: CloudKey) -> str:
    return f"using provider {key.provider} ({key.env} is set); choose with --provider"


def no_backend_message(provider_names: list[str]) -> str:
    """The one error line for a run with no backend chosen: the three ways to choose one."""
    found = keys_in_env()
    several = ""
    if len(found) > 1:
        several = f" ({' and '.join(k.env for k in found)} are all set: pick one with --provider)"
    return (
        f"no backend configured{several}; choose one: --provider NAME "
        f"({', '.join(provider_names)}), --base-url URL (any OpenAI-compatible server), or "
        "--model FILE.gguf (local llama.cpp); or run `minimax-agent setup`, or try "
        "`minimax-agent demo` (no key needed)"
    )


# -- the user's files ------------------------------------------------------------------------


def config_dir() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP))


def credentials_file() -> Path:
    return config_dir() / CREDENTIALS


def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


def stored_keys() -> dict[str, str]:
    """The keys `setup` stored, by variable name; empty when there is no (readable) file."""
    path = credentials_file()
    if not path.is_file():
        return {}
    return {k: v for k, v in _toml(path).items() if isinstance(v, str) and v.strip()}


def stored_key(env: str) -> str | None:
    """The key stored for variable `env`, registered as a secret before it is handed out."""
    key = stored_keys().get(env)
    if key:
        from minimax_agent import redact

        redact.add_secrets(key, key.strip())
    return key.strip() if key else None


def needs_setup(
    root: Path, flags: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> bool:
    """Whether the interactive session should offer setup before it loads: no flag, variable
    (`MINIMAX_AGENT_*`), user config or project file names a backend, and the environment
    does not hold exactly one known key (that one is used without asking). Cheap: tomllib."""
    env = os.environ if environ is None else environ
    if any(flags.get(name) for name in CHOICE_FIELDS):
        return False
    if any(env.get(f"MINIMAX_AGENT_{name.upper()}") for name in CHOICE_FIELDS):
        return False
    for path in (config_dir() / "config.toml", *_project_files(root)):
        if path.is_file() and any(_toml(path).get(name) for name in CHOICE_FIELDS):
            return False
    return len(keys_in_env(env)) != 1


def _project_files(root: Path) -> list[Path]:
    """The project files from `root` up to its git root (or `root` alone outside git): the
    session may read config from the repository's top as well as from a subdirectory."""
    found = []
    for directory in (root, *root.parents):
        found.append(directory / PROJECT_FILE)
        if (directory / ".git").exists():
            return found
    return found[:1]
