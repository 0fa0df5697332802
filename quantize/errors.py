"""The errors of the quantize library, each meant for the person who ran the command.

The application maps them to its exit codes (minimax_agent/errors.py draws the whole tree);
this library knows nothing of those.
"""

from __future__ import annotations


class QuantizeError(Exception):
    """Base of every quantize error."""


class QuantizeUsageError(QuantizeError):
    """A bad argument: a size, quant or preset name, a model name, a file that must not be
    overwritten, an importance matrix that cannot be read."""


class ModelFileError(QuantizeError):
    """A model file that is missing, truncated, not GGUF, or of an unsupported architecture."""


class RepoNotFoundError(QuantizeUsageError):
    """The repo does not exist on the Hub, or it is private and no token opens it."""


class RepoAccessError(QuantizeUsageError):
    """The repo is gated and the token (if any) has not been granted access."""


class QuantNotFoundError(QuantizeUsageError):
    """The repo holds no GGUF of the requested quant."""


class DownloadError(QuantizeError):
    """The Hub could not be reached, or a download failed or came out the wrong size."""
