#!/usr/bin/env bash
# Builds the C++ llama-server that tests/server/ runs as a real peer, from the llama.cpp vendored
# in the llama-cpp-python sdist (the llama.cpp the in-process backend links, so both render and
# tokenize alike). The binary is kept outside the checkout, keyed on version and flags, so fresh
# clones reuse it; the first build takes about 8 minutes on 2 cores. The sdist is kept beside it:
# the tests read the official chat templates from it.
#
# Prints the binary's path as the last line of stdout; progress goes to stderr. Exits 2 when a
# build tool is missing, 1 when the download or the build fails.
# Usage: scripts/build_llama_server.sh [PYTHON]   (PYTHON: whose pip downloads the sdist)
#   LLAMA_CPP_PYTHON_SDIST=path.tar.gz: use that sdist instead of downloading it.
set -euo pipefail

version=0.3.36
python="${1:-python3}"
# Portable x86-64, as for the tests' llama-cpp-python wheel (scripts/test.sh): a native build on a
# machine whose CPU reports AMX but whose hypervisor does not enable its tile state dies with
# SIGILL. Static libraries, so the cached binary needs nothing beside it. No curl and no web UI
# fetched from Hugging Face: the build and the tests use no network beyond the sdist.
flags="-DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF"
flags+=" -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF"
flags+=" -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
flags+=" -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
key="$(echo "$version $flags" | sha1sum | cut -c1-12)"
dest="${XDG_CACHE_HOME:-$HOME/.cache}/minimax-agent-tests/llama-server-$key"
sdist="llama_cpp_python-$version.tar.gz"

if [ -x "$dest/llama-server" ] && [ -f "$dest/$sdist" ]; then
    echo "$dest/llama-server"
    exit 0
fi
for tool in cmake make c++ tar; do
    if ! command -v "$tool" >/dev/null; then
        echo "build_llama_server: $tool is not installed; cannot build llama-server" >&2
        exit 2
    fi
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [ -n "${LLAMA_CPP_PYTHON_SDIST:-}" ]; then
    cp "$LLAMA_CPP_PYTHON_SDIST" "$work/$sdist"
else
    echo "build_llama_server: downloading the llama-cpp-python $version sdist" >&2
    "$python" -m pip download -q --no-deps --no-binary :all: -d "$work" \
        "llama-cpp-python==$version" >&2 || {
        echo "build_llama_server: could not download the llama-cpp-python $version sdist" >&2
        exit 1
    }
fi
tar -xzf "$work/$sdist" -C "$work"
src="$work/llama_cpp_python-$version/vendor/llama.cpp"

echo "build_llama_server: building llama-server (about 8 minutes on 2 cores)" >&2
# shellcheck disable=SC2086  # $flags is a list of words
cmake -S "$src" -B "$work/build" $flags >"$work/configure.log" 2>&1 || {
    tail -n 40 "$work/configure.log" >&2
    exit 1
}
cmake --build "$work/build" --target llama-server -j2 >"$work/build.log" 2>&1 || {
    tail -n 40 "$work/build.log" >&2
    exit 1
}
mkdir -p "$dest.tmp.$$"
cp "$work/build/bin/llama-server" "$work/$sdist" "$dest.tmp.$$/"
# A concurrent build may have finished first; either copy is the same binary.
rm -rf "$dest"
mv -T "$dest.tmp.$$" "$dest"
echo "$dest/llama-server"
