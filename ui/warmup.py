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

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from kiosk.app.warmup import Step
from ui import qt_app

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
        self.done = threading.Event()
        # On the turn after the first paint, not from inside it: the thread would compete for
        # the GIL with the rest of the first frame.
        qt_app.after_first_paint(widget, self._start)

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
