"""minimax-agent: a terminal coding agent for MiniMax-M2.1."""

__version__ = "0.1.0"
