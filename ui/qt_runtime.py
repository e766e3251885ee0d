"""Qt implementations of the core's threading seams (``kiosk.flow.runtime``)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

log = logging.getLogger(__name__)


class QtDispatcher(QObject):
    """Runs callables on the GUI thread; ``post`` is safe from any thread.

    Signals:
        _posted: carries the callable across threads (queued connection).
    """

    _posted = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)  # constructed on the GUI thread
        self._posted.connect(self._run, Qt.ConnectionType.QueuedConnection)

    def post(self, fn: Callable[[], None]) -> None:
        """Queue ``fn`` for the GUI thread."""
        self._posted.emit(fn)

    @Slot(object)
    def _run(self, fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception:
            log.exception("unhandled error in a dispatched callback")


class _QtTimer:
    def __init__(self, timer: QTimer) -> None:
        self._timer = timer

    def cancel(self) -> None:
        self._timer.stop()
        self._timer.deleteLater()


class QtClock(QObject):
    """``kiosk.flow.runtime.Clock`` on QTimer: callbacks run on the GUI thread."""

    def call_later(self, seconds: float, fn: Callable[[], None]) -> _QtTimer:
        """Run ``fn`` once after ``seconds``."""
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.timeout.connect(fn)
        timer.start(int(seconds * 1000))
        return _QtTimer(timer)
