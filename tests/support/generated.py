"""A generated file of the repository is what its script makes now."""

from __future__ import annotations

import subprocess
import sys

from tools.generated_file import ROOT


def assert_current(module: str, timeout_s: float = 300) -> None:
    """Run ``python -m <module> --check`` in a process of its own: the test's process may have
    pypinyin loaded as the kiosk loads it, without the phrase dictionary the scripts need."""
    check = subprocess.run(
        [sys.executable, "-m", module, "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
