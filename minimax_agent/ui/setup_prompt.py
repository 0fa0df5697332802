"""The questions of setup: which provider, which key. Asked by `minimax-agent setup` and by the
interactive session when nothing is configured (`offer_setup`, before its prompt); headless runs
never come here. Plain `input` and `getpass` (hidden input): nothing here needs more, and the
REPL's own prompt is not running yet when they are asked."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from minimax_agent.keys import CLOUD_KEYS, keys_in_env, needs_setup

if TYPE_CHECKING:
    from minimax_agent.setup.plan import Outcome, Target

ATTEMPTS = 3  # typed keys refused before setup gives up
Say = Callable[[str], None]


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def menu() -> list[str]:
    """The numbered list of cloud presets, each with its key variable and where to get a key."""
    found = {k.env for k in keys_in_env()}
    lines = ["Where should the model run?"]
    for i, key in enumerate(CLOUD_KEYS, 1):
        have = f"{key.env} is set" if key.env in found else f"key from {key.page}"
        lines.append(f"  {i}. {key.provider:<11} {key.about}; {have}")
    lines.append(
        "  Or skip (Enter): `--base-url URL` for your own server, `--model FILE.gguf` for a "
        "local model, `minimax-agent demo` to try it without a key."
    )
    return lines


def pick(answer: str) -> str | None:
    """The provider a menu answer names (its number or name); None for an empty answer."""
    answer = answer.strip().lower()
    if not answer:
        return None
    if answer.isdigit() and 1 <= int(answer) <= len(CLOUD_KEYS):
        return CLOUD_KEYS[int(answer) - 1].provider
    return answer  # a name: target_for says whether it is known (and what was meant)


def choose_provider(say: Say = _say) -> str | None:
    for line in menu():
        say(line)
    return pick(input(f"Provider [1-{len(CLOUD_KEYS)} or a name, Enter skips]: "))


def run_setup(
    root: Path,
    provider: str | None,
    *,
    key_stdin: bool = False,
    interactive: bool = True,
    say: Say = _say,
) -> Outcome | None:
    """Set up `provider` (asked for when None and `interactive`); None when the user skipped.
    The key: the environment's, else stdin's (`key_stdin`), else typed (hidden) when
    `interactive`. A refused typed key is asked for again, up to ATTEMPTS times."""
    from minimax_agent.errors import UsageError
    from minimax_agent.setup.plan import configure, target_for
    from minimax_agent.setup.verify import KeyRefused

    if provider is None:
        if not interactive:
            names = ", ".join(k.provider for k in CLOUD_KEYS)
            raise UsageError(f"no terminal to ask on: pass --provider NAME ({names})")
        provider = choose_provider(say)
        if provider is None:
            return None
    target = target_for(provider, root)
    from_env = bool(target.env and os.environ.get(target.env, "").strip())
    if from_env:
        say(f"using the key in ${target.env}")
        key = os.environ[target.env or ""].strip()
    else:
        key = sys.stdin.readline().strip() if key_stdin else ""
    attempts = ATTEMPTS if interactive and not key else 1
    for attempt in range(1, attempts + 1):
        if not key and target.needs_key:
            key = _ask_key(target, interactive)
            if not key:
                return None  # Enter at the key prompt: skipped
        say(f"checking the key with {target.base_url} …")
        try:
            outcome = configure(target, key or None, typed=not from_env)
        except KeyRefused as exc:
            if attempt == attempts:
                where = f"; check it at {target.page}" if target.page else ""
                raise KeyRefused(f"{exc}{where}") from None
            say(f"{exc}: that key does not work; try again ({attempts - attempt} left)")
            key = ""
            continue
        report(outcome, target, say)
        return outcome
    return None


def _ask_key(target: Target, interactive: bool) -> str:
    """The key typed at a hidden prompt; a UsageError when there is no terminal to ask on."""
    from minimax_agent.errors import UsageError

    if not interactive:
        raise UsageError(f"{target.name} needs a key: set ${target.env} or pass --key-stdin")
    where = f" (get one at {target.page})" if target.page else ""
    prompt = f"Paste your {target.env or 'API key'}{where}; input is hidden, Enter skips: "
    return getpass.getpass(prompt).strip()


def report(outcome: Outcome, target: Target, say: Say = _say) -> None:
    verdict = outcome.verdict
    if verdict.checked:
        say(f"✓ {target.name} accepted the key (GET {verdict.url}: HTTP {verdict.status})")
    else:
        say(f"! {verdict.url} has no such page (HTTP 404): the key could not be checked")
    say(f'saved provider = "{target.name}" in {outcome.config_file}')
    if outcome.key_file is not None:
        say(
            f"saved the key in {outcome.key_file} (readable only by you); "
            f"${target.env}, when set, wins over it"
        )
    for key in outcome.overriding:
        say(f"! {outcome.config_file} also sets `{key}`, which outranks the provider")


def offer_setup(root: Path, flags: Mapping[str, Any], say: Say = _say) -> None:
    """Before the REPL loads: when nothing names a backend (and no lone key in the environment
    picks one), offer setup. Skipping, or a failed setup, leaves the load to say what is
    missing. Cheap when there is nothing to offer: `needs_setup` reads files with tomllib."""
    if not needs_setup(root, flags):
        return
    from minimax_agent.errors import USER_ERRORS
    from minimax_agent.ui.terminal_safe import terminal_safe

    say("Nothing is configured yet: no provider, server or model file.")
    try:
        if input("Set up a provider now? [Y/n] ").strip().lower() in ("n", "no"):
            return
        run_setup(root, None, say=say)
    except (EOFError, KeyboardInterrupt):
        say("")
    except USER_ERRORS as exc:
        say(terminal_safe(f"setup: {exc}"))
