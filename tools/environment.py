"""The environment a command the agent runs gets: ours, without the secrets.

A command inherits nothing that could hand a key to whoever reads its output (the model, a
prompt injection in a file, a log): `env`, `printenv` or `curl "…?k=$KEY"` find nothing to leak.

A variable is left out when any of these holds (names are compared upper-cased):

- its NAME looks secret (`secret_name`):
  `*KEY`, `*KEYS`, `*KEY_ID`, `*KEYID` (`OPENROUTER_API_KEY`, `MYCLUSTER_KEY`,
  `AWS_ACCESS_KEY_ID`); `*TOKEN*` as a word (`GITHUB_TOKEN`, `AWS_SESSION_TOKEN`, `TOKEN_X`,
  not `TOKENIZERS_PARALLELISM`); `*SECRET*`; `*PASSWORD*`, `*PASSWD*`, `*PASSPHRASE*`;
  `PASS` as the last word (`DB_PASS`, not `BYPASS` or `PATH`); `*_PWD` (`MYSQL_PWD`, not
  `PWD` or `OLDPWD`); `*CREDENTIAL*`; `AUTH` as a word (`NPM_AUTH`, `BASIC_AUTH_X`, not
  `GIT_AUTHOR_NAME`) and `*AUTHORIZATION*`; `*COOKIE*`; `*_PAT` (a personal access token);
  `*_DSN` (`SENTRY_DSN` carries its key); `JWT` as a word; `*WEBHOOK*` (a webhook URL is
  itself the credential). `SSH_AUTH_SOCK` is kept: it is a socket path, not a secret (what a
  command may reach through it is the sandbox's business);
- its NAME starts with `AWS_`: the whole family selects or carries cloud credentials;
- its VALUE holds credentials in a URL (`scheme://user:password@host`, as in
  `DATABASE_URL=postgres://u:pw@db/x` or `HTTPS_PROXY=http://u:pw@proxy`): dropped, not
  rewritten, since a URL with its password cut out fails anyway and the variable stays out of
  sight;
- its VALUE contains one of `secret_values` (the resolved provider key, say) that is at least
  `MIN_SECRET_CHARS` long: a copy under an innocent name (`MY_CFG=$OPENROUTER_API_KEY`).
  PATH, HOME, USER, LOGNAME, SHELL, PWD, LANG and TERM are exempt from this rule only, so a
  secret-named variable with a commonplace value cannot take a command's PATH away.

A name given in `pass_env` (`--pass-env NAME`) is passed through whatever it looks like.
Everything else (PATH, HOME, LANG, TERM, VIRTUAL_ENV, PYTHONPATH, CI, GIT_AUTHOR_NAME, ...) is
kept as it is.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

# Shorter values are too likely to occur by chance (`true`, `1`, a port) to act on.
MIN_SECRET_CHARS = 8

_SECRET_NAME = re.compile(
    r"""
      KEYS?$ | KEY_?ID$
    | TOKENS?(_|$)
    | SECRET
    | PASSW(OR)?D | PASSPHRASE | (^|_)PASS$ | _PWD$
    | CREDENTIAL
    | (^|_)AUTH(_|$) | AUTHORIZATION
    | COOKIE
    | (^|_)PAT$ | (^|_)DSN$ | (^|_)JWT(_|$)
    | WEBHOOK
    """,
    re.VERBOSE,
)
# Names that match a pattern above but hold no secret.
_NOT_SECRET = frozenset({"SSH_AUTH_SOCK"})
# Families left out of commands whole, though most members hold no secret themselves.
_DROPPED_PREFIXES = ("AWS_",)
# Never dropped for holding a secret value: a commonplace secret (`KEY_DIR=/usr/local/bin`)
# must not cost every command its PATH.
_ESSENTIAL = frozenset({"PATH", "HOME", "USER", "LOGNAME", "SHELL", "PWD", "LANG", "TERM"})
# userinfo with a password in a URL: `://user:pw@`, `://:pw@`; never across a quote or a
# backslash, so a match inside serialized JSON stays inside one string
URL_CREDENTIALS = re.compile(r"://[^\s/?#@:\"\\]*:[^\s/?#@\"\\]*@")


def secret_name(name: str) -> bool:
    """Whether a variable of this name holds a secret (see the module docstring)."""
    upper = name.upper()
    return upper not in _NOT_SECRET and _SECRET_NAME.search(upper) is not None


def has_url_credentials(value: str) -> bool:
    return "://" in value and URL_CREDENTIALS.search(value) is not None


def _hidden(name: str, value: str, secrets: tuple[str, ...]) -> bool:
    upper = name.upper()
    return (
        secret_name(name)
        or upper.startswith(_DROPPED_PREFIXES)
        or has_url_credentials(value)
        or (upper not in _ESSENTIAL and any(secret in value for secret in secrets))
    )


def command_environment(
    base: Mapping[str, str] | None = None,
    *,
    secret_values: Iterable[str | None] = (),
    pass_env: Iterable[str] = (),
) -> dict[str, str]:
    """`base` (default: our environment) without the variables that look secret.

    `secret_values`: values no variable may carry (the resolved provider key); `pass_env`:
    names kept whatever they look like.
    """
    source = os.environ if base is None else base
    secrets = tuple(v for v in secret_values if v and len(v) >= MIN_SECRET_CHARS)
    passed = set(pass_env)
    return {
        name: value
        for name, value in source.items()
        if name in passed or not _hidden(name, value, secrets)
    }


def left_out(
    base: Mapping[str, str] | None = None,
    *,
    secret_values: Iterable[str | None] = (),
    pass_env: Iterable[str] = (),
) -> list[str]:
    """The names `command_environment` leaves out, sorted (for `doctor` and tests)."""
    source = os.environ if base is None else base
    kept = command_environment(source, secret_values=secret_values, pass_env=pass_env)
    return sorted(name for name in source if name not in kept)
