"""GGUF tooling for MiniMax-M2.x: inspection, fit planning, requantisation, tiny test models."""
