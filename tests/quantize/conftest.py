"""Model files for the quantize tests, all written here: a tiny random model, and header-only
files with the real MiniMax-M2.1 tensor table."""

from __future__ import annotations

from pathlib import Path

import pytest

from quantize.tiny import write_tiny_model
from tests.conftest import tiny_template
from tests.quantize.m21_file import write_m21_header


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_model(
        tmp_path_factory.mktemp("tiny") / "tiny.gguf", chat_template=tiny_template()
    )


@pytest.fixture(scope="session")
def m21_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_m21_header(tmp_path_factory.mktemp("m21") / "MiniMax-M2.1-Q4_K_M.gguf")[0]


@pytest.fixture(scope="session")
def m21_split(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_m21_header(tmp_path_factory.mktemp("m21split") / "M2.1.gguf", 300)
