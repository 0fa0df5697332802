"""A run's life around the agent loop: conversation, session store, checkpoints and undo, compaction, memory files, trace."""
