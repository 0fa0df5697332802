"""What a command's environment keeps and leaves out (tools/environment.py)."""

from __future__ import annotations

import os

import pytest

from tools.environment import command_environment, left_out, secret_name

KEY = "sk-or-v1-0123456789abcdef0123456789"

SECRET_NAMES = [
    "OPENROUTER_API_KEY",
    "MINIMAX_API_KEY",
    "MYCLUSTER_KEY",
    "KEY",
    "APIKEY",
    "SSH_KEYS",
    "AWS_ACCESS_KEY_ID",
    "GPG_KEYID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "HF_TOKEN",
    "TOKEN",
    "TOKEN_FOR_CI",
    "NPM_CONFIG__AUTHTOKEN",
    "CLIENT_SECRET",
    "SECRETS_JSON",
    "PGPASSWORD",
    "DB_PASSWD",
    "GPG_PASSPHRASE",
    "DB_PASS",
    "PASS",
    "MYSQL_PWD",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "AZURE_CREDENTIAL_FILE",
    "NPM_AUTH",
    "BASIC_AUTH_HEADER",
    "HTTP_AUTHORIZATION",
    "SESSION_COOKIE",
    "GITLAB_PAT",
    "SENTRY_DSN",
    "CI_JOB_JWT",
    "SLACK_WEBHOOK_URL",
    "private_key",  # names are compared upper-cased
    "github_token",
]

ORDINARY_NAMES = [
    "PATH",
    "HOME",
    "PWD",
    "OLDPWD",
    "LANG",
    "LC_ALL",
    "TERM",
    "SHELL",
    "USER",
    "VIRTUAL_ENV",
    "PYTHONPATH",
    "CI",
    "GITHUB_ACTIONS",
    "GITHUB_SHA",
    "GIT_AUTHOR_NAME",
    "GIT_AUTHOR_EMAIL",
    "AUTHOR",
    "TOKENIZERS_PARALLELISM",
    "KEYTIMEOUT",
    "BYPASS",
    "SSH_ASKPASS",
    "PGPASSFILE",
    "SSH_AUTH_SOCK",
    "EDITOR",
    "XDG_CONFIG_HOME",
    "PATHEXT",
    "PATCH_LEVEL",
    "TZ",
]


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_secret_looking_names_are_left_out(name: str) -> None:
    assert secret_name(name)
    env = command_environment({name: "value-of-the-secret", "PATH": "/usr/bin"})
    assert env == {"PATH": "/usr/bin"}


@pytest.mark.parametrize("name", ORDINARY_NAMES)
def test_ordinary_names_are_kept(name: str) -> None:
    assert not secret_name(name)
    assert command_environment({name: "an ordinary value"}) == {name: "an ordinary value"}


@pytest.mark.parametrize("name", ["AWS_REGION", "AWS_PROFILE", "AWS_CONFIG_FILE"])
def test_the_aws_family_is_left_out_whole(name: str) -> None:
    # not secrets themselves, but they pick which credentials a command would use
    assert not secret_name(name)
    assert command_environment({name: "us-east-1", "LANG": "C"}) == {"LANG": "C"}


@pytest.mark.parametrize(
    "value",
    [
        "postgres://u:s3cretpw@db/x",
        "mysql://root:hunter2@127.0.0.1:3306/app",
        "redis://:only-a-password@cache:6379/0",
        "http://proxyuser:proxypass@proxy.internal:3128",
        "https://x-access-token:ghs_abcdef@github.com/o/r.git",
    ],
)
def test_a_url_with_credentials_is_left_out_whatever_its_name(value: str) -> None:
    base = {"DATABASE_URL": value, "HTTPS_PROXY": value, "PLAIN": "kept"}
    assert command_environment(base) == {"PLAIN": "kept"}


@pytest.mark.parametrize(
    "value",
    [
        "sqlite:///data/app.db",
        "https://pypi.org/simple",
        "http://proxy.internal:3128",
        "ssh://git@github.com/o/r.git",  # a user, no password
        "https://example.com/a:b@c",  # `@` after the path starts is not userinfo
    ],
)
def test_a_url_without_a_password_is_kept(value: str) -> None:
    assert command_environment({"DATABASE_URL": value}) == {"DATABASE_URL": value}


def test_a_copy_of_the_key_under_an_innocent_name_is_left_out() -> None:
    base = {
        "MY_CFG": KEY,
        "CURL_ARGS": f"-H 'Authorization: Bearer {KEY}'",
        "NOTE": "nothing here",
        "PATH": "/usr/bin",
    }
    env = command_environment(base, secret_values=[KEY])
    assert env == {"NOTE": "nothing here", "PATH": "/usr/bin"}


def test_short_or_empty_secret_values_do_not_remove_anything() -> None:
    base = {"A": "1", "B": "true", "C": ""}
    assert command_environment(base, secret_values=["1", "true", "", None]) == base


def test_path_and_home_survive_a_commonplace_secret_value() -> None:
    # a secret-named variable holding a directory must not cost every command its PATH
    base = {"KEY_DIR_KEY": "/usr/local/bin", "PATH": "/usr/local/bin:/usr/bin", "HOME": "/h"}
    env = command_environment(base, secret_values=["/usr/local/bin"])
    assert env == {"PATH": "/usr/local/bin:/usr/bin", "HOME": "/h"}


def test_pass_env_lets_exactly_the_named_variables_through() -> None:
    base = {
        "MYCLUSTER_KEY": "cluster-key-value-1",
        "OPENROUTER_API_KEY": KEY,
        "DATABASE_URL": "postgres://u:s3cretpw@db/x",
        "LANG": "C.UTF-8",
    }
    env = command_environment(base, secret_values=[KEY], pass_env=["MYCLUSTER_KEY"])
    assert env == {"MYCLUSTER_KEY": "cluster-key-value-1", "LANG": "C.UTF-8"}
    both = command_environment(base, pass_env=["MYCLUSTER_KEY", "DATABASE_URL"])
    assert set(both) == {"MYCLUSTER_KEY", "DATABASE_URL", "LANG"}
    assert left_out(base, pass_env=["MYCLUSTER_KEY"]) == ["DATABASE_URL", "OPENROUTER_API_KEY"]


def test_the_default_base_is_our_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DECOY_SECRET", "decoy-secret-value")
    monkeypatch.setenv("DECOY_PLAIN", "decoy-plain-value")
    env = command_environment()
    assert "DECOY_SECRET" not in env and env["DECOY_PLAIN"] == "decoy-plain-value"
    assert env["PATH"] == os.environ["PATH"]
    assert "DECOY_SECRET" in os.environ  # ours is not touched
