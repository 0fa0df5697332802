"""MCP servers as tool sources (see minimax_agent/extensions/__init__.py)."""
