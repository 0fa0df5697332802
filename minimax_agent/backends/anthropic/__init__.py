"""Anthropic Messages API endpoints (`/v1/messages` with SSE on httpx): MiniMax's Anthropic
API, ModelsLab's, and gateways that expose the same shape (LiteLLM, Claude-Code routers).

- `backend.py`: the Backend (the OpenAI backend's retries and deadlines, this API's wire);
- `transport.py`: paths, headers, `count_tokens`;
- `stream.py`: stream events into our events and the turn's content blocks as they came;
- `usage.py`: usage with the prompt cache's read and written tokens;
- `wire.py`: the conversation as a request body, earlier blocks sent back unchanged.
"""
