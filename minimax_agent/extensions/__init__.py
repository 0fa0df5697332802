"""The user's own extensions: MCP servers, skills, custom commands and hooks.

Each part is a module of its own and none is loaded unless configured or found:

- `mcp/`: an MCP client on the official SDK; each server's tools become ordinary `Tool`s named
  `mcp__SERVER__TOOL` (config in `mcp/config.py`, the client in `mcp/manager.py`);
- `skills.py`: SKILL.md skills, listed in the system prompt, loaded through one tool;
- `commands.py`: custom slash commands from markdown files;
- `hooks.py`: shell commands run on the agent's events, in Claude Code's shape (config in
  `hook_config.py`).

A repository is untrusted input: a project's `.mcp.json` and project hooks start programs, so
they apply only in a trusted directory (minimax_agent/trust.py); skills and commands are text,
read like AGENTS.md.
"""
