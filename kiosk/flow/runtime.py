"""Threading seams of the core: where work runs and how results come back.

The core is single-threaded: ``SessionController`` is only ever called on one thread (the GUI
thread in the app). Slow work (card I/O, HTTP, printing) runs on ``TaskRunner`` lanes, one
worker thread per lane, so each device is only touched from one thread. Results come back
through a ``Dispatcher``, which the UI implements with a queued Qt signal.
"""

from __future__ import annotations

import concurrent.futures
import enum
import logging
import queue
import threading
from collections.abc import Callable
from typing import Protocol, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class Dispatcher(Protocol):
    """Runs callables on the core's thread; ``post`` may be called from any thread."""

    def post(self, fn: Callable[[], None]) -> None:
        """Queue ``fn`` to run soon on the core's thread."""
        ...


class Cancellable(Protocol):
    """A pending timer."""

    def cancel(self) -> None:
        """Stop it from firing. Safe after it fired."""
        ...


class Clock(Protocol):
    """Timers on the core's thread."""

    def call_later(self, seconds: float, fn: Callable[[], None]) -> Cancellable:
        """Run ``fn`` on the core's thread after ``seconds``."""
        ...


class Lane(enum.StrEnum):
    """A single-thread lane of ``TaskRunner``: each device or service is used from one."""

    CARD = "card"  # the card reader (pyscard, the vendor library)
    NET = "net"  # the platform (every PlatformClient of the flow and the probe)
    PRINT = "print"  # the printers
    FACE = "face"  # the camera and the face engine (one attempt at a time)


class Runner(Protocol):
    """Where the core sends blocking work: ``TaskRunner`` in the kiosk; tests may hold the
    work and run it when they choose."""

    def submit(
        self,
        lane: Lane,
        work: Callable[[], T],
        on_done: Callable[[T], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        """Run ``work`` on ``lane``; ``on_done(result)`` or ``on_error(exc)`` follow on the
        core's thread."""
        ...

    def shutdown(self, wait: bool = True) -> None:
        """Stop accepting work."""
        ...


class TaskRunner:
    """Runs blocking work on single-thread lanes (``Lane``) and posts the outcome back.

    One worker per lane keeps pyscard, each platform client and the printer socket on a
    single thread each.
    """

    def __init__(self, dispatcher: Dispatcher) -> None:
        self._dispatcher = dispatcher
        self._lanes = {
            lane: concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix=f"kiosk-{lane}")
            for lane in Lane
        }

    def submit(
        self,
        lane: Lane,
        work: Callable[[], T],
        on_done: Callable[[T], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        """Run ``work`` on ``lane``; ``on_done(result)`` or ``on_error(exc)`` follow, dispatched."""

        def run() -> None:
            try:
                result = work()
            except Exception as exc:  # noqa: BLE001 - thread boundary: every failure goes back
                error = exc  # ``exc`` itself is unbound once the except block ends
                self._dispatcher.post(lambda: on_error(error))
                return
            self._dispatcher.post(lambda: on_done(result))

        self._lanes[lane].submit(run)

    def shutdown(self, wait: bool = True) -> None:
        """Stop accepting work and (optionally) wait for running work to end."""
        for executor in self._lanes.values():
            executor.shutdown(wait=wait, cancel_futures=True)


class QueueDispatcher:
    """A dispatcher for code without Qt (CLI, tests): posted calls run in ``run_pending``."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self.thread = threading.current_thread()

    def post(self, fn: Callable[[], None]) -> None:
        """Queue ``fn``; thread-safe."""
        self._queue.put(fn)

    def run_pending(self, timeout: float = 0.0) -> int:
        """Run queued calls (waiting up to ``timeout`` for the first); return how many ran."""
        count = 0
        try:
            fn = self._queue.get(timeout=timeout) if timeout else self._queue.get_nowait()
        except queue.Empty:
            return 0
        while True:
            fn()
            count += 1
            try:
                fn = self._queue.get_nowait()
            except queue.Empty:
                return count


class _ManualTimer:
    def __init__(self, due: float, fn: Callable[[], None]) -> None:
        self.due = due
        self.fn = fn
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class ManualClock:
    """A clock that only moves when told to: timers fire inside ``advance``."""

    def __init__(self) -> None:
        self.now = 0.0
        self._timers: list[_ManualTimer] = []

    def call_later(self, seconds: float, fn: Callable[[], None]) -> Cancellable:
        """Schedule ``fn`` at now + ``seconds``."""
        timer = _ManualTimer(self.now + seconds, fn)
        self._timers.append(timer)
        return timer

    def advance(self, seconds: float) -> None:
        """Move time forward, firing due timers in order; each runs with ``now`` at its due
        time, so a timer it starts counts from there (as a real clock would)."""
        target = self.now + seconds
        while True:
            due = [t for t in self._timers if t.due <= target and not t.cancelled]
            if not due:
                break
            timer = min(due, key=lambda t: t.due)
            self._timers.remove(timer)
            self.now = max(self.now, timer.due)
            timer.fn()
        self.now = target
        self._timers = [t for t in self._timers if not t.cancelled]
