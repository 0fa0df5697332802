"""The command line: one module per command group (kept import-free so `--version` stays fast)."""
