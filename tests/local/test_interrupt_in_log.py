"""A Ctrl-C that lands while llama.cpp is inside our log callback is not lost.

ctypes prints and drops an exception raised in a callback, so without care the KeyboardInterrupt
vanishes and a model load (hundreds of log lines) carries on as if nothing was pressed. The
signal is sent from inside the callback here, through a capture sink, so it lands there every time.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest

from minimax_agent.backends.local import library


class InterruptingSink(list[str]):
    def append(self, line: str) -> None:
        if not self:
            os.kill(os.getpid(), signal.SIGINT)
        super().append(line)


def test_ctrl_c_inside_the_log_callback_is_raised_when_the_call_returns(
    llama: Any, tiny_gguf: Path
) -> None:
    lib = library.llama()
    sink = InterruptingSink()
    with pytest.raises(KeyboardInterrupt), library.captured_log() as lines:
        library._captures.append(sink)
        try:
            model = lib.llama_model_load_from_file(
                str(tiny_gguf).encode(), lib.llama_model_default_params()
            )
        finally:
            library._captures.remove(sink)
        # The load ran to the end: the interrupt waited for it instead of vanishing.
        assert model and sink and lines
        lib.llama_model_free(model)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_elsewhere_is_raised_at_once(llama: Any) -> None:
    library.llama()
    with pytest.raises(KeyboardInterrupt), library.captured_log():
        os.kill(os.getpid(), signal.SIGINT)
        pytest.fail("the interrupt should have been raised before this line")
