#!/usr/bin/env bash
# The project's whole test suite, from a fresh checkout: install into .venv, lint, type-check, test.
set -euo pipefail
cd "$(dirname "$0")/.."

# bubblewrap is the OS sandbox around the agent's commands (tools/sandbox.py): `fix` refuses to
# run without it, so the end-to-end tests need it. A fresh CI machine may lack it: install it
# where we can (apt, as root or through passwordless sudo).
if ! command -v bwrap >/dev/null && command -v apt-get >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -q && apt-get install -y -q bubblewrap
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo apt-get update -q && sudo apt-get install -y -q bubblewrap
    fi
fi
command -v bwrap >/dev/null || echo "warning: bubblewrap (bwrap) is missing; fix runs refuse" >&2

# The venv is reused while what it was built from is unchanged (pyproject.toml, this script's
# llama.cpp flags): a second run goes straight to the tests. A fresh clone builds it once.
llama_flags="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
llama_flags+=" -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
stamp_key="$( (cat pyproject.toml; echo "$llama_flags") | sha1sum | cut -c1-40)"
stamp=.venv/.minimax-agent-test-stamp
fresh_venv=1
if [ -x .venv/bin/python ] && [ "$(cat "$stamp" 2>/dev/null)" = "$stamp_key" ]; then
    fresh_venv=0
    echo "test.sh: reusing .venv (delete it to rebuild)" >&2
fi

if [ "$fresh_venv" = 1 ]; then
    rm -rf .venv
    python3 -m venv .venv
    .venv/bin/python -m pip install -q --upgrade pip
fi

# The C++ llama-server that tests/server/ runs as a real peer (scripts/build_llama_server.sh):
# started now, beside the wheel below, since a cold build takes about 8 minutes on 2 cores; the
# binary is cached outside the checkout like the wheel. Its progress lines go to stderr.
server_out="$(mktemp)"
scripts/build_llama_server.sh .venv/bin/python >"$server_out" &
server_build=$!

if [ "$fresh_venv" = 1 ]; then
    # The tests' llama.cpp: a portable x86-64 build (AVX2, no AMX). A native build on a machine
    # whose CPU reports AMX but whose hypervisor does not enable its tile state dies with SIGILL
    # in ggml_backend_amx_mul_mat (seen here on Q8_0 weights). The wheel is built once per set of
    # flags and kept outside the checkout, so fresh clones reuse it; pip's own wheel cache is not
    # used since it does not key on CMAKE_ARGS.
    wheels="${XDG_CACHE_HOME:-$HOME/.cache}/minimax-agent-tests/llama-$(echo "$llama_flags" | sha1sum | cut -c1-12)"
    if ! ls "$wheels"/llama_cpp_python-*.whl >/dev/null 2>&1; then
        build_log="$(mktemp)"
        echo "test.sh: building llama-cpp-python (once; about 6 minutes on 2 cores; log: $build_log)" >&2
        started=$SECONDS
        if ! CMAKE_ARGS="$llama_flags" .venv/bin/python -m pip wheel -v --no-deps --no-cache-dir \
            -w "$wheels.tmp" 'llama-cpp-python>=0.3.36' >"$build_log" 2>&1; then
            tail -n 40 "$build_log" >&2
            echo "test.sh: the llama-cpp-python build failed (whole log: $build_log)" >&2
            exit 1
        fi
        mv "$wheels.tmp" "$wheels"
        echo "test.sh: llama-cpp-python built in $((SECONDS - started)) s" >&2
    fi
    echo "test.sh: installing the project and its test tools into .venv" >&2
    .venv/bin/python -m pip install -q "$wheels"/llama_cpp_python-*.whl
    .venv/bin/python -m pip install -q -e '.[dev,local]' 'llama-cpp-python[server]>=0.3.36'
    echo "$stamp_key" >"$stamp"
fi

# The server tests skip without the binary; a missing build tool (exit 2) is only a warning, a
# failed build fails the run, so CI never passes with those tests silently skipped.
if wait "$server_build"; then
    MINIMAX_AGENT_LLAMA_SERVER="$(tail -n 1 "$server_out")"
    export MINIMAX_AGENT_LLAMA_SERVER
elif [ "$?" = 2 ]; then
    echo "warning: llama-server could not be built; tests/server/ is skipped" >&2
else
    exit 1
fi
rm -f "$server_out"

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy --strict minimax_agent tools
.venv/bin/python -m pytest -n 2 "$@"
