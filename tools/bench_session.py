"""Session figures for tools/bench.py: the GUI's longest stall and the kiosk's memory over
many residents' sessions, from one fault-free run of the soak (tools/soak.py --no-faults).

The soak plays residents through the real window in one kiosk process (pcscd with the vpcd
card, HTTPS to the platform, the ESC/POS printer on TCP, the MJPEG camera) with every journey
the demo plays: SMS, staff and face checks, repair guides and slips, disputes typed on the
on-screen keyboard, the phone link, large text, receipts. Its simulators run in a process of
their own, as a hall's kiosk has none in its process: `kiosk demo` keeps them in the kiosk's
process, where their threads compete with the GUI thread for the GIL and would be measured
as the kiosk's stalls. The stall probe (a 10 ms timer on the GUI thread, tools/soak_watch.py)
starts after the first paint and the warm-up; the soak's own screen checks are taken out,
the kiosk's reaction to each tap is not.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

SOAK_SEED = 20261207
SOAK_TIMEOUT_S = 3600


def fault_free_soak(sessions: int) -> dict[str, float]:
    """RSS (MB) after session 10 and after the last, and the longest stall (ms), from a soak
    of ``sessions`` sessions without faults."""
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-soak-") as folder:
        out = Path(folder)
        command = [
            sys.executable, "-m", "tools.soak", "--sessions", str(sessions), "--no-faults",
            "--seed", str(SOAK_SEED), "--shots", "0", "--out", str(out),
        ]  # fmt: skip
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=SOAK_TIMEOUT_S, check=False
        )
        figures_file = out / "soak-figures.json"
        if not figures_file.exists():
            raise SystemExit(f"the soak did not finish ({done.returncode}):\n{done.stdout[-3000:]}")
        figures = json.loads(figures_file.read_text(encoding="utf-8"))
    rss = {int(session): mb for session, mb in figures["rss_mb"].items()}
    return {
        "rss_10_mb": rss[10],
        "rss_last_mb": rss[max(rss)],
        "last_session": max(rss),
        "longest_stall_ms": figures["longest_stall_ms"],
        "stalls_over_33_ms": figures["stalls_over_33_ms"],
    }
