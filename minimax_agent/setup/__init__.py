"""`minimax-agent setup`, and the same step the interactive session offers when nothing is
configured: choose a provider, check its key against the endpoint, write the user's config.

- `minimax_agent.keys`: the key variables of the cloud presets and where each key is made,
  the credentials file, and the provider a lone key in the environment selects (stdlib only);
- `verify`: asks the endpoint whether it takes the key;
- `store`: writes `provider = "…"` into the user's config.toml (the rest kept) and a typed key
  into the credentials file (mode 0600, in the user config dir, never in a project);
- `plan`: one setup from a provider name and a key, used by the command and the REPL.

The questions themselves are asked in `ui/setup_prompt.py`: only ui/ and cli/ read the keyboard.
"""
