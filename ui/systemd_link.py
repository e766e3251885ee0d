"""The kiosk's side of its systemd unit: ready after the first paint, alive from the GUI thread.

The pings come from a ``QTimer`` on the GUI thread on purpose: when the event loop freezes
(a slot that never returns, a deadlock with a worker), the pings stop and systemd restarts the
kiosk after ``WatchdogSec=``. A ping from a helper thread would keep a frozen window alive.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QWidget

from kiosk.app.sd_notify import Notifier
from kiosk.flow.session import Phase, SessionState
from ui import qt_app

log = logging.getLogger(__name__)


class SystemdLink(QObject):
    """Tells systemd "ready" at ``first_screen``'s first paint, then pings its watchdog.

    Args:
        notifier: The ``sd_notify`` channel (does nothing outside systemd).
        first_screen: The screen whose first paint means the kiosk is up (the idle screen).
    """

    def __init__(self, notifier: Notifier, first_screen: QWidget) -> None:
        super().__init__(first_screen)
        self._notifier = notifier
        self._status = ""
        self.ready = False
        self._pinger = QTimer(self)
        self._pinger.timeout.connect(notifier.alive)
        if notifier.enabled:
            qt_app.after_first_paint(first_screen, self._on_ready)

    def _on_ready(self) -> None:
        self._status = "idle"
        self._notifier.ready(self._status)
        self.ready = True  # systemd has been told
        interval = self._notifier.watchdog_interval_s
        if interval is not None:
            self._pinger.start(max(1, int(interval * 1000)))
            log.info("systemd watchdog: a ping every %.1f s from the GUI thread", interval)

    def show_state(self, state: SessionState) -> None:
        """``systemctl status`` shows what the kiosk is doing (the phase, nothing personal)."""
        if not self.ready:
            return
        if state.hall.out_of_service and state.phase is Phase.IDLE:
            status = "out of service"
        elif state.phase is Phase.IDLE:
            status = "idle"
        elif state.phase is Phase.STAFF:
            status = "staff mode"
        else:
            status = "serving a resident"
        if status != self._status:
            self._status = status
            self._notifier.status(status)

    def stop(self) -> None:
        """A shutdown on purpose: no more pings, and systemd is told so (once)."""
        if not self._pinger.isActive() and not self.ready:
            return
        self.ready = False
        self._pinger.stop()
        self._notifier.stopping()
        self._notifier.close()
