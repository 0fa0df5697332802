"""OpenAI-compatible endpoints (Chat Completions with SSE on httpx): OpenRouter, the MiniMax
platform, NVIDIA NIM, ModelsLab, vLLM, SGLang, llama.cpp's server and any other.

- `backend.py`: the Backend (retries, one turn per call);
- `transport.py`: HTTP, SSE and what each failure means;
- `assemble.py`: stream chunks into events and the turn as it came (reasoning dialects);
- `usage.py`: a reply's usage (or llama-server's timings) as a Usage event;
- `wire.py`: the conversation as a request body, every earlier turn sent back as it came.

The provider presets (`minimax_agent/providers.py`) sit beside the settings, not here: the
config file's `[providers.NAME]` tables are read into their `ProviderConfig`.
"""

from minimax_agent.backends.openai.backend import OpenAIBackend

__all__ = ["OpenAIBackend"]
