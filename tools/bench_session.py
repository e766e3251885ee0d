"""Session figures for tools/bench.py: the GUI's longest stall while a whole demo session
plays, and the kiosk's memory over many sessions.

- **Stall**: `kiosk demo`'s played session (simulators/demo.py: real pcscd, HTTPS, printer
  and camera, every screen of a resident's visit) with the soak's stall probe
  (tools/soak_watch.StallProbe: a 10 ms timer on the GUI thread that records how late it
  fires). The probe starts on the turn after the idle screen's first paint (the very first
  paint is start-up's figure); the autopilot's own screenshots, receipt picture and PDF are
  taken out, the kiosk's work is not (its warm-up included, if the resident comes early).
- **Memory**: the soak (tools/soak.py) for ``sessions`` sessions, no screenshots, a fixed
  seed: RSS after session 10 and after the last.

    .venv/bin/python -m tools.bench_session stall OUT_DIR   (prints one JSON object)
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tools.bench_startup import PROBE_TIMEOUT_S

DEMO_RESIDENT = "zhang_wei"  # the README demo's resident
SOAK_SEED = 20261207
SOAK_TIMEOUT_S = 3600


def _stall_of_one_demo(out: Path) -> dict[str, Any]:
    """Play one demo session with a stall probe (in this process: run by ``main``)."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    from kiosk.flow import session
    from simulators import demo
    from tools import soak_watch

    # Where the GUI thread is, sampled from 20 ms overdue (the soak's 40 ms is above this
    # target), and the ten worst kept.
    soak_watch.SAMPLE_AFTER_MS = 20
    soak_watch.TOP_STALLS = 10
    found: dict[str, Any] = {}
    keep: list[QObject] = []

    def watch(kiosk: Any, pilot: demo.Autopilot) -> None:
        began: list[bool] = []

        def where() -> tuple[int, str, str, str]:
            """Part 0: the idle screen before the card (start-up, warm-up); 1: the session."""
            phase = kiosk.controller.state.phase
            if phase is not session.Phase.IDLE and not began:
                began.append(True)
            return (1 if began else 0, phase.value, "", "")

        probe = soak_watch.StallProbe(where, time.perf_counter())
        pilot.own_time = probe.add_harness_time
        found["probe"] = probe

        class FirstPaint(QObject):
            def eventFilter(self, watched: QObject, event: QEvent) -> bool:
                if event.type() == QEvent.Type.Paint and not probe.ticks:
                    kiosk.window.idle_screen.removeEventFilter(self)
                    QTimer.singleShot(0, probe.start)
                return False

        first_paint = FirstPaint()
        keep.append(first_paint)
        kiosk.window.idle_screen.installEventFilter(first_paint)

    status = demo.run_demo(out, autoplay=True, resident=DEMO_RESIDENT, watch=watch)
    probe = found["probe"]
    probe.stop()
    worst = probe.worst()
    return {
        "status": status,
        "session_stall_ms": probe.session_max.get(1, 0.0),
        "start_up_stall_ms": probe.session_max.get(0, 0.0),
        "ticks": probe.ticks,
        "autopilot_s": probe.harness_total_s,
        # For whoever looks into a MISS: the worst stalls, when and where the GUI thread was.
        "worst": [
            {"ms": s.late_ms, "part": s.session, "phase": s.phase, "at_s": s.at, "stack": s.stack}
            for s in worst
        ],
    }


def demo_stall(out: Path) -> dict[str, Any]:
    """One demo session in a process of its own; its stall figures."""
    done = subprocess.run(
        [sys.executable, "-m", "tools.bench_session", "stall", str(out)],
        capture_output=True,
        text=True,
        timeout=PROBE_TIMEOUT_S * 3,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines or not lines[-1].startswith("{"):
        raise SystemExit(f"the demo session failed ({done.returncode}):\n{done.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(lines[-1])
    return figures


def soak_memory(sessions: int) -> dict[str, float]:
    """RSS (MB) after session 10 and after the last, from a soak of ``sessions``."""
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-soak-") as folder:
        out = Path(folder)
        command = [
            sys.executable, "-m", "tools.soak", "--sessions", str(sessions),
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
    return {"rss_10_mb": rss[10], "rss_last_mb": rss[max(rss)], "last_session": max(rss)}


def main() -> int:
    """``stall OUT_DIR``: play one demo session and print its stall figures as JSON."""
    if len(sys.argv) != 3 or sys.argv[1] != "stall":
        print(__doc__.splitlines()[-1].strip(), file=sys.stderr)
        return 2
    figures = _stall_of_one_demo(Path(sys.argv[2]))
    print(json.dumps(figures), flush=True)
    return 0 if figures["status"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
