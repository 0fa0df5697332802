"""The OpenAI-compatible backend: providers, stream assembly, echo, faults, end to end."""
