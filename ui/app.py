"""Composition root of the kiosk UI: Qt application, theme, controller, window."""

from __future__ import annotations

import logging
import signal
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from kiosk import config as kiosk_config
from kiosk import controller as session_controller
from kiosk import runtime, wiring
from ui import main_window, qt_runtime, qtlog, theme

log = logging.getLogger(__name__)


class KioskApp:
    """Owns the Qt application objects and the session controller."""

    def __init__(
        self, cfg: kiosk_config.KioskConfig, services: session_controller.Services
    ) -> None:
        qtlog.install()
        existing = QApplication.instance()
        self.qt_app = existing if isinstance(existing, QApplication) else QApplication(sys.argv)
        self.services = services
        self.font_family = theme.register_fonts()
        self.dispatcher = qt_runtime.QtDispatcher()
        self.clock = qt_runtime.QtClock()
        self.controller = session_controller.SessionController(
            services,
            rules=wiring.rules(cfg),
            dispatcher=self.dispatcher,
            clock=self.clock,
            runner=runtime.TaskRunner(self.dispatcher),
        )
        self.window = main_window.KioskWindow(self.controller, self.font_family)
        self.qt_app.installEventFilter(self.window)
        self.qt_app.aboutToQuit.connect(self.stop)

    def start(self, *, fullscreen: bool = True) -> None:
        """Show the window and start watching the card reader."""
        if fullscreen:
            self.window.showFullScreen()
        else:
            self.window.resize(1920, 1080)
            self.window.show()
        self.controller.start()

    def stop(self) -> None:
        """Stop devices and workers (idempotent)."""
        self.window.allow_close = True
        self.controller.stop()


def run(cfg: kiosk_config.KioskConfig, services: session_controller.Services) -> int:
    """Run the kiosk full screen until the process is told to stop (SIGTERM/SIGINT)."""
    app = KioskApp(cfg, services)
    app.start()
    return run_event_loop(app)


def run_event_loop(app: KioskApp) -> int:
    """Run Qt's event loop; SIGTERM (systemd stop) and SIGINT quit it cleanly."""

    def quit_on_signal(signum: int, _frame: object) -> None:
        log.info("signal %d: shutting down", signum)
        app.qt_app.quit()

    signal.signal(signal.SIGTERM, quit_on_signal)
    signal.signal(signal.SIGINT, quit_on_signal)
    # Python runs signal handlers only between bytecodes: wake the interpreter regularly.
    heartbeat = QTimer()
    heartbeat.start(250)
    heartbeat.timeout.connect(lambda: None)
    return app.qt_app.exec()
