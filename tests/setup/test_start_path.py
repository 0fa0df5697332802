"""The REPL asks "is anything configured?" before its prompt: that check must not load
pydantic or httpx (benchmarks/startup.py times the prompt). A fresh interpreter tells."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CHECK = """
import sys
from pathlib import Path
from minimax_agent.ui.setup_prompt import offer_setup  # the REPL's import
from minimax_agent.keys import needs_setup
print(needs_setup(Path(sys.argv[1]), {}))
print(sorted(m for m in sys.modules if m.split(".")[0] in ("pydantic", "httpx", "rich", "typer")))
"""


def test_the_setup_check_imports_nothing_heavy(tmp_path: Path, home: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", CHECK, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert proc.stdout.splitlines() == ["True", "[]"]
