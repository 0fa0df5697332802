"""One setup, from a provider name and a key: where the key is checked, the check, and the
files written. The command (cli/setup.py) and the REPL's offer (ui/setup_prompt.py) ask the
questions; this module only acts on the answers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from minimax_agent.keys import cloud_key
from minimax_agent.setup.store import set_provider, store_key
from minimax_agent.setup.verify import Verdict, check_key


@dataclass(frozen=True)
class Target:
    """A provider as setup needs it: where its key is checked and under which variable."""

    name: str
    base_url: str
    env: str | None
    needs_key: bool
    check_path: str
    headers: dict[str, str]
    page: str | None

    def __repr__(self) -> str:
        return f"Target({self.name!r}, {self.base_url!r})"


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    config_file: Path
    key_file: Path | None  # where a typed key went; None when it came from the environment
    overriding: list[str]  # top-level keys of config.toml that outrank the provider


def target_for(name: str, root: Path) -> Target:
    """Provider `name` as the user's config has it (a `[providers.NAME]` table may move its
    base URL); a ConfigError for an unknown name, with a close one if there is."""
    from minimax_agent.config import load_settings
    from minimax_agent.errors import ConfigError
    from minimax_agent.providers import check_base_url, provider_config

    config = provider_config(name, load_settings(root))
    if not config.base_url:
        raise ConfigError(f"provider {name!r} has no base URL: set one in [providers.{name}]")
    check_base_url(config.base_url)
    known = cloud_key(name)
    return Target(
        name=name,
        base_url=config.base_url,
        env=config.api_key_env,
        needs_key=config.api_key_required,
        check_path=known.check_path if known else "/models",
        headers=dict(config.headers),
        page=known.page if known else None,
    )


def configure(target: Target, key: str | None, *, typed: bool) -> Outcome:
    """Check `key` against the endpoint, then write `provider = …` into the user config and,
    when the key was typed in (not read from the environment), the credentials file. Raises
    `verify.KeyRefused` for a key the endpoint refuses, before anything is written."""
    from minimax_agent import redact
    from minimax_agent.config import user_config_file

    redact.add_secrets(key)  # an error page may quote it back
    verdict = check_key(target.base_url, target.check_path, key, target.headers)
    config_file = user_config_file()
    overriding = set_provider(config_file, target.name)
    key_file = store_key(target.env, key) if typed and key and target.env else None
    return Outcome(verdict, config_file, key_file, overriding)
