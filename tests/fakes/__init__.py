"""Fakes of external services, real enough to speak their protocols over real sockets."""
