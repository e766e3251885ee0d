"""Start-up and idle figures for tools/bench.py: the kiosk, a bare PySide6 window and Chromium.

Each run is a fresh process. Time runs from just before the process is spawned (the parent's
clock) to the first paint of its window: for the kiosk the idle screen's first paint event
(``ui.startup``, the path `kiosk run` takes), for the bare window its label's, for Chromium
the page's ``first-contentful-paint`` (reported by the page to a local HTTP server, with the
performance timeline's own clock). Memory is PSS summed over the process tree once it has
settled: the kiosk when its warm-up is done, the others 3 s after their first paint.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from kiosk import assets
from tools.bench_probe import PROBE_TIMEOUT_S, run_probe

SETTLE_S = 3.0  # after the first paint (the bare window, Chromium) or the warm-up (the kiosk)
IDLE_TEXT = "欢迎使用自助服务终端"  # the bare window's and Chromium's page's one line

# Memory and first paint of a process: shared by the probes (pasted in as PROBE_HELPERS).
PROBE_HELPERS = r"""
def pss_mb():
    with open("/proc/self/smaps_rollup") as rollup:
        for line in rollup:
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    return 0.0
"""

# The kiosk as `kiosk run` starts it (ui.startup.Start), on an empty data folder, offscreen:
# the idle screen's first paint, the kiosk ready for a card, PSS at both and once settled.
KIOSK_PROBE = r"""
import json, sys, time
from pathlib import Path
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication
from kiosk import config
from kiosk.platform import credentials
from ui import startup
PROBE_HELPERS
cfg = config.load_config(Path(sys.argv[1]))  # as `kiosk run` reads /etc/credit-kiosk/kiosk.toml
start = startup.Start(cfg, credentials.TerminalCredentials("T", bytes(32)))
found = {}

class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and "painted_at" not in found:
            found["painted_at"] = time.monotonic()
            found["pss_first_paint_mb"] = pss_mb()
        return False

watch = FirstPaint()
start.window.idle_screen.installEventFilter(watch)
start.show(fullscreen=False)

def poll():
    kiosk = start.kiosk
    if start.failure is not None:
        print(f"the kiosk was not built: {start.failure!r}", file=sys.stderr, flush=True)
        QApplication.exit(1)
    if kiosk is None or not kiosk.warm_up.done.is_set() or "settled" in found:
        return
    found["settled"] = True
    found["ready_at"] = start.completed_at
    QTimer.singleShot(int(SETTLE_S * 1000), settled)

def settled():
    found["pss_settled_mb"] = pss_mb()
    print(json.dumps(found), flush=True)
    start.kiosk.stop()
    QApplication.exit(0)

timer = QTimer()
timer.timeout.connect(poll)
timer.start(20)
QApplication.exec()
"""

# The baseline: a bare PySide6 window, one Chinese label in the kiosk's own font and the
# size of the idle screen's title, shown and timed the same way.
BARE_PROBE = r"""
import json, sys, time
from pathlib import Path
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication, QLabel
PROBE_HELPERS
app = QApplication([])
family = QFontDatabase.applicationFontFamilies(QFontDatabase.addApplicationFont(FONT))[0]
label = QLabel(IDLE_TEXT)
label.setFont(QFont(family, 48))
label.setAlignment(Qt.AlignmentFlag.AlignCenter)
found = {}

def settled():
    found["pss_settled_mb"] = pss_mb()
    print(json.dumps(found), flush=True)
    app.exit(0)

class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and "painted_at" not in found:
            found["painted_at"] = time.monotonic()
            found["pss_first_paint_mb"] = pss_mb()
            QTimer.singleShot(int(SETTLE_S * 1000), settled)
        return False

watch = FirstPaint()
label.installEventFilter(watch)
label.resize(1920, 1080)
label.show()
app.exec()
"""

# The idle screen shows for hours: what its animation costs, as a share of one core,
# measured once the kiosk is whole and warmed up.
IDLE_SECONDS = 8

IDLE_PROBE = r"""
import json, os, sys, time
from pathlib import Path
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from kiosk import config
from kiosk.platform import credentials
from ui import startup
cfg = config.load_config(Path(sys.argv[1]))
start = startup.Start(cfg, credentials.TerminalCredentials(sys.argv[2], bytes.fromhex(sys.argv[3])))
start.show(fullscreen=False)

def poll():
    kiosk = start.kiosk
    if kiosk is None or not kiosk.warm_up.done.is_set():
        return
    if not start.window.idle_screen.animation.isVisible():
        return  # the platform and the reader not seen yet
    timer.stop()
    QTimer.singleShot(1000, begin)  # after the warm-up settled

def begin():
    global cpu0, wall0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    QTimer.singleShot(int(SECONDS * 1000), end)

def end():
    if not start.window.idle_screen.animation.isVisible():
        print("the idle screen left its normal state while measured", file=sys.stderr)
        os._exit(1)
    share = 100 * (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    print(json.dumps({"idle_cpu_percent": share}), flush=True)
    os._exit(0)  # the kiosk's worker threads are not this probe's business

timer = QTimer()
timer.timeout.connect(poll)
timer.start(20)
QApplication.exec()
"""


def _filled(probe: str) -> str:
    return (
        probe.replace("PROBE_HELPERS", PROBE_HELPERS)
        .replace("SETTLE_S", repr(SETTLE_S))
        .replace("IDLE_TEXT", repr(IDLE_TEXT))
        .replace("FONT", repr(str(assets.CJK_FONT)))
        .replace("SECONDS", str(IDLE_SECONDS))
    )


def _config_file(folder: str) -> str:
    """A configuration file for a kiosk keeping its files in ``folder`` (the defaults else)."""
    from kiosk import config as kiosk_config

    cfg = kiosk_config.KioskConfig(paths=kiosk_config.PathsConfig(data_dir=folder, log_dir=folder))
    path = Path(folder) / "kiosk.toml"
    path.write_text(kiosk_config.to_toml(cfg), encoding="utf-8")
    return str(path)


def kiosk_run() -> dict[str, float]:
    """The kiosk: start to idle painted, to ready for a card, PSS at first paint and settled."""
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as folder:
        found = run_probe(_filled(KIOSK_PROBE), _config_file(folder))
    return {
        "first_paint_s": found["painted_at"] - found["spawned_at"],
        "ready_s": found["ready_at"] - found["spawned_at"],
        "pss_first_paint_mb": found["pss_first_paint_mb"],
        "pss_settled_mb": found["pss_settled_mb"],
    }


def bare_run() -> dict[str, float]:
    """The bare PySide6 window: start to painted, PSS at first paint and settled."""
    found = run_probe(_filled(BARE_PROBE))
    return {
        "first_paint_s": found["painted_at"] - found["spawned_at"],
        "pss_first_paint_mb": found["pss_first_paint_mb"],
        "pss_settled_mb": found["pss_settled_mb"],
    }


def idle_cpu_runs(count: int) -> list[float]:
    """The whole kiosk's CPU share while its idle screen shows, in percent of one core: each
    run a fresh kiosk against the simulators (platform, pcscd with the vpcd reader, printer),
    so the idle screen is the one residents see (its animation running), not "platform
    unreachable" or "no reader"."""
    from kiosk import config as kiosk_config
    from simulators import demo, pcscd
    from simulators.virtual_printer import VirtualPrinter
    from tools.bench_report import platform_with_report

    shares = []
    with (
        tempfile.TemporaryDirectory(prefix="kiosk-bench-") as folder,
        pcscd.running() as daemon,
        VirtualPrinter(port=0) as printer,
    ):
        work = Path(folder)
        sim, _token, creds = platform_with_report(work / "platform", 5)
        try:
            cfg = demo.simulator_config(sim, printer, daemon.reader, work, work)
            config_file = work / "kiosk.toml"
            config_file.write_text(kiosk_config.to_toml(cfg), encoding="utf-8")
            for _ in range(count):
                found = run_probe(
                    _filled(IDLE_PROBE), str(config_file), creds.terminal_id, creds.secret.hex()
                )
                shares.append(float(found["idle_cpu_percent"]))
        finally:
            sim.stop()
    return shares


# ------------------------------------------------------------------------------ Chromium
CHROMIUM_NAMES = ("chromium", "chromium-browser")
# ecosystem-notes §5's headless flags: no sandbox (the benchmark runs as root), no GPU, none
# of the browser's own background traffic.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1920,1080",
)
PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>idle</title>
<style>
@font-face { font-family: "KioskCJK"; src: url("/font"); }
html, body { margin: 0; height: 100%; background: #fff; color: #000; }
body { display: flex; align-items: center; justify-content: center;
       font: 64px "KioskCJK"; }
</style></head>
<body>TEXT
<script>
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (entry.name === "first-contentful-paint") {
      navigator.sendBeacon("/painted", String(performance.timeOrigin + entry.startTime));
    }
  }
}).observe({type: "paint", buffered: true});
</script></body></html>
"""


def chromium_binary() -> str | None:
    """Debian's Chromium, if installed (tools/bootstrap.sh bench installs it)."""
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


class _PageServer(http.server.ThreadingHTTPServer):
    """Serves the idle page and its font, and takes the page's first-paint time."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _PageHandler)
        self.painted = threading.Event()
        self.painted_epoch_s = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


class _PageHandler(http.server.BaseHTTPRequestHandler):
    server: _PageServer

    def do_GET(self) -> None:
        if self.path == "/font":
            body, kind = assets.CJK_FONT.read_bytes(), "font/ttf"
        else:
            body, kind = PAGE.replace("TEXT", IDLE_TEXT).encode(), "text/html; charset=utf-8"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.server.painted_epoch_s = float(self.rfile.read(length)) / 1000
        self.server.painted.set()
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the benchmark prints its own table."""


def tree_pss_mb(root: int) -> float:
    """PSS of process ``root`` and all its descendants, in MB."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    total_kb, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kb += int(line.split()[1])
    return total_kb / 1024


def chromium_run(binary: str) -> dict[str, float]:
    """Chromium headless on a local page with the same idle text: start to first
    contentful paint, and PSS over its processes 3 s later."""
    with _PageServer() as server, tempfile.TemporaryDirectory(prefix="bench-chromium-") as profile:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        command = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", server.url]
        spawned_epoch = time.time()
        browser = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its whole process group is stopped at the end
        )
        try:
            if not server.painted.wait(PROBE_TIMEOUT_S):
                raise SystemExit("Chromium never painted the benchmark page")
            time.sleep(SETTLE_S)
            pss = tree_pss_mb(browser.pid)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(browser.pid, signal.SIGTERM)
            try:
                browser.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(browser.pid, signal.SIGKILL)
                browser.wait()
            server.shutdown()
    return {"first_paint_s": server.painted_epoch_s - spawned_epoch, "pss_settled_mb": pss}


def chromium_version(binary: str) -> str:
    """``Chromium 156.0...`` as the binary says it."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
        if done.stdout.strip():
            return done.stdout.strip()
    return "Chromium (version unknown)"
