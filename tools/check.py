"""The project's whole check, as CI runs it: format, lint, types, layering, the tests (with
branch coverage), then coverage: the state machine and the error mapping must be covered
whole.

Run through ``tools/bootstrap.sh test`` (which installs what is needed first). Extra arguments
go to pytest. Stops at the first failing step and exits with its status.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SOURCES = ["kiosk", "ui", "devices", "offline_cache", "simulators", "tests", "tools"]
# Every branch of these is exercised by the tests (the check fails otherwise).
FULLY_COVERED = ["kiosk/flow/session.py", "kiosk/errors.py"]


def step(name: str, command: list[str]) -> None:
    """Run one step; exit with its status if it fails."""
    print(f"\n=== {name}: {' '.join(command)}", flush=True)
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, check=False)
    print(
        f"=== {name}: {'ok' if result.returncode == 0 else 'FAILED'} "
        f"({time.monotonic() - started:.1f} s)",
        flush=True,
    )
    if result.returncode != 0:
        sys.exit(result.returncode)


def main() -> None:
    """Run every step in order."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    step("format", [str(BIN / "ruff"), "format", "--check", *SOURCES])
    step("lint", [str(BIN / "ruff"), "check", *SOURCES])
    step("types", [str(BIN / "mypy")])
    step("layering", [str(BIN / "lint-imports")])
    python = str(BIN / "python")
    step("tests", [python, "-m", "coverage", "run", "-m", "pytest", *sys.argv[1:]])
    step("coverage", [python, "-m", "coverage", "report", "--skip-covered", "--sort=cover"])
    step(
        "coverage of the state machine and the error mapping",
        [
            python,
            "-m",
            "coverage",
            "report",
            "--fail-under=100",
            "--show-missing",
            "--include=" + ",".join(FULLY_COVERED),
        ],
    )


if __name__ == "__main__":
    main()
