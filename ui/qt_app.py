"""The Qt side of the kiosk's process: its application, its one window (made and locked down
before it ever shows) and its event loop, for ``kiosk run`` (ui/startup.py) and for whatever
builds the whole kiosk at once (``ui.app.KioskApp``: the demo, the soak, the tests)."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from kiosk import config as kiosk_config
from ui import lockdown, main_window, qtlog, theme

log = logging.getLogger(__name__)

# How long a worker thread may keep the GIL while the GUI thread waits for it (Python's
# default is 5 ms). Every call from Qt into the kiosk's Python code (a paint, a layout
# question, an event filter) waits for it: with a receipt being rendered on a worker thread a
# change of screen took 28 ms (111 ms at worst) with 5 ms, 17 ms (40 ms) with 1 ms.
GIL_SWITCH_INTERVAL_S = 0.001


def open_window(cfg: kiosk_config.KioskConfig) -> main_window.KioskWindow:
    """The Qt application and the kiosk's window with its header and idle screen, locked
    down (not shown yet)."""
    qtlog.install()
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    if not isinstance(QApplication.instance(), QApplication):
        QApplication(sys.argv)
    window = main_window.KioskWindow(theme.register_fonts(), long_press_s=cfg.staff.long_press_s)
    guard = lockdown.Lockdown(window)  # the window keeps it
    window.winId()  # its QWindow now: the lockdown is on before it ever shows
    handle = window.windowHandle()
    if handle is not None:
        handle.installEventFilter(guard)
    return window


def run_event_loop(window: main_window.KioskWindow) -> int:
    """Run Qt's event loop; SIGTERM (systemd stop) and SIGINT quit it cleanly."""

    def quit_on_signal(signum: int, _frame: object) -> None:
        log.info("signal %d: shutting down", signum)
        # Not quit(): since Qt 6.5 it first asks every window to close, and the kiosk's
        # window refuses, so systemctl stop would wait for its SIGKILL.
        window.allow_close = True
        QApplication.exit(0)

    signal.signal(signal.SIGTERM, quit_on_signal)
    signal.signal(signal.SIGINT, quit_on_signal)
    # Python runs signal handlers only between bytecodes: wake the interpreter regularly.
    heartbeat = QTimer()
    heartbeat.start(250)
    heartbeat.timeout.connect(lambda: None)
    return QApplication.exec()


class _FirstPaint(QObject):
    """Calls ``then`` once, on the event-loop turn after ``widget``'s first paint."""

    def __init__(self, widget: QWidget, then: Callable[[], None]) -> None:
        super().__init__(widget)
        self._widget = widget
        self._then = then
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """The first paint: what follows waits until it is on the screen."""
        if watched is self._widget and event.type() == QEvent.Type.Paint:
            self._widget.removeEventFilter(self)
            QTimer.singleShot(0, self._then)
        return False


def after_first_paint(widget: QWidget, then: Callable[[], None]) -> None:
    """Run ``then`` on the GUI thread once ``widget`` has painted for the first time."""
    _FirstPaint(widget, then)
