#!/usr/bin/env bash
# The project's whole test suite, from a fresh checkout: install into .venv, lint, type-check, test.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# The local extra compiles llama.cpp (about 6 minutes on 2 cores the first time; pip caches it).
.venv/bin/python -m pip install -q -e '.[dev,local]' 'llama-cpp-python[server]>=0.3.36'

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy --strict minimax_agent tools
.venv/bin/python -m pytest -n 2 "$@"
