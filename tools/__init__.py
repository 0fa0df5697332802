"""Tools the agent offers the model: files, shell and git, confined to the workspace."""
