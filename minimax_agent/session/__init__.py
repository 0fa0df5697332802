"""A run's life around the agent loop: the conversation, the session store, checkpoints and undo,
compaction, memory files and the trace."""
