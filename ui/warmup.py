"""Warm-up once the idle screen is up: the steps of ``kiosk.app.warmup`` run on a worker
thread after the idle screen's first paint, so the first resident does not wait for them.

The thread only imports and runs pure-Python code, never Qt (widgets belong to the GUI
thread).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

from kiosk.app.warmup import Step

log = logging.getLogger(__name__)


class WarmUp(QObject):
    """Runs ``steps`` once on a worker thread, after ``widget``'s first paint.

    A failing step is logged and skipped: what it should have loaded then loads on first use,
    as it did before.

    Attributes:
        done: Set once every step has run (tests and the benchmark wait on it).
    """

    def __init__(self, widget: QWidget, steps: Sequence[Step]) -> None:
        super().__init__(widget)
        self._steps = tuple(steps)
        self._widget = widget
        self.done = threading.Event()
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """On the first paint, start the steps once the event loop turns again."""
        if watched is self._widget and event.type() == QEvent.Type.Paint:
            self._widget.removeEventFilter(self)
            # Not from inside the paint: the thread would compete for the GIL with the rest
            # of the first frame.
            QTimer.singleShot(0, self._start)
        return False

    def _start(self) -> None:
        try:
            threading.Thread(target=self._run, name="kiosk-warmup", daemon=True).start()
        except RuntimeError as exc:  # no thread to be had: the first resident pays, as before
            log.warning("warm-up not started: %s", exc)
            self.done.set()

    def _run(self) -> None:
        for name, step in self._steps:
            started = time.perf_counter()
            try:
                step()
            except Exception:  # a warm-up only saves time: it never fails the kiosk
                log.warning("warm-up of the %s failed; it loads on first use", name, exc_info=True)
            else:
                log.info("warmed up the %s in %.0f ms", name, (time.perf_counter() - started) * 1e3)
        self.done.set()
