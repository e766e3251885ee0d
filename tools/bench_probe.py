"""One benchmark probe: a Python script in a fresh interpreter, offscreen, whose last line
of output is a JSON object of its figures (tools/bench_startup.py, tools/bench_report.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PROBE_TIMEOUT_S = 120


def probe_env() -> dict[str, str]:
    """The probes' environment: offscreen, an in-memory keyring, python-escpos's kept cache
    (as `kiosk run` has it: without it each import rebuilds the printer database)."""
    escpos_cache = Path(tempfile.gettempdir()) / "kiosk-bench-escpos-cache"
    escpos_cache.mkdir(exist_ok=True)
    return {
        "ESCPOS_CAPABILITIES_PICKLE_DIR": str(escpos_cache),
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHON_KEYRING_BACKEND": "simulators.memory_keyring.MemoryKeyring",
    }


def run_probe(probe: str, *args: str) -> dict[str, Any]:
    """One probe process; its figures, with ``spawned_at`` (the parent's monotonic clock just
    before the spawn: the probes report on the same clock)."""
    spawned_at = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", probe, *args],
        env=probe_env(),
        capture_output=True,
        text=True,
        timeout=PROBE_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise SystemExit(f"a benchmark probe failed ({done.returncode}):\n{done.stderr}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    figures["spawned_at"] = spawned_at
    return figures
