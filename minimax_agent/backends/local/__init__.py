"""The embedded llama.cpp backend for MiniMax-M2.x GGUF files.

- `plan`: settings and the GGUF header → load parameters (n_ctx, GPU layers, expert offload).
- `library`: llama-cpp-python loaded once, its log, the devices it can use.
- `native`: the llama.cpp C API (model, context, KV cache, state files).
- `sampling`: MiniMax sampling, optionally under a grammar; `grammar`: the tool-call GBNF.
- `splice`: prompts whose tokens match the KV cache exactly, step after step.
- `backend`: `LocalBackend.stream(request)`.

Nothing here imports llama_cpp until a model is loaded.
"""

from minimax_agent.backends.local.backend import LocalBackend

__all__ = ["LocalBackend"]
