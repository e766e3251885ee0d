"""Building a controller or a whole kiosk for a test, and driving it without sleeps.

``make_controller`` gives a ``Harness``: the controller with fakes, its manual clock and a
``HeldRunner`` that keeps the work the controller asks for (card reads, platform calls,
printing) until the test runs it or drops it. A test feeds the journey's results in as
events itself and no lane races it; nothing sleeps and no private attribute is touched.
"""

from __future__ import annotations

import contextlib
import dataclasses
import queue
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from devices.card_reader import CardEvent, ReaderReady
from kiosk import config as kiosk_config
from kiosk.app import composition, sd_notify
from kiosk.flow import controller as session_controller
from kiosk.flow import runtime, session
from kiosk.platform import report as report_model
from tests.support import fakes, journey

if TYPE_CHECKING:
    from kiosk.staff import mode as kiosk_staff
    from simulators.platform_server import PlatformSimulator
    from ui import app as ui_app
    from ui import main_window


@dataclasses.dataclass
class _Task:
    lane: runtime.Lane
    work: Callable[[], Any]
    on_done: Callable[[Any], None]
    on_error: Callable[[BaseException], None]


class HeldRunner:
    """``runtime.Runner`` that holds the submitted work: ``run_next`` and ``run_pending`` run
    it on the test's thread and post the result through ``dispatcher`` as the lanes do (so
    what the work posted on its way arrives first), then run what is posted;
    ``drop_pending`` forgets the work, as if the lanes never answered."""

    def __init__(self, dispatcher: runtime.QueueDispatcher) -> None:
        self.pending: list[_Task] = []
        self._dispatcher = dispatcher

    def submit(
        self,
        lane: runtime.Lane,
        work: Callable[[], runtime.T],
        on_done: Callable[[runtime.T], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        """Keep the work for later."""
        self.pending.append(_Task(lane, work, on_done, on_error))

    def lanes(self) -> list[runtime.Lane]:
        """The lanes of the work waiting, in order."""
        return [task.lane for task in self.pending]

    def run_next(self) -> runtime.Lane:
        """Run the oldest waiting work; its lane."""
        task = self.pending.pop(0)
        try:
            result = task.work()
        except Exception as exc:  # noqa: BLE001 - as the lanes do: every failure goes back
            error = exc
            self._dispatcher.post(lambda: task.on_error(error))
        else:
            self._dispatcher.post(lambda: task.on_done(result))
        self._dispatcher.run_pending()
        return task.lane

    def run_pending(self) -> int:
        """Run the waiting work, and any it leads to, in order; return how many ran."""
        count = 0
        while self.pending:
            self.run_next()
            count += 1
        return count

    def drop_pending(self) -> None:
        """Forget the waiting work."""
        self.pending.clear()

    def shutdown(self, wait: bool = True) -> None:
        """Forget the waiting work."""
        self.pending.clear()


@dataclasses.dataclass(eq=False)
class Harness:
    """A controller and what drives it."""

    controller: session_controller.SessionController
    services: session_controller.Services
    clock: runtime.ManualClock
    dispatcher: runtime.QueueDispatcher
    runner: runtime.Runner

    @property
    def held(self) -> HeldRunner:
        """The held runner (only when made with ``held=True``)."""
        assert isinstance(self.runner, HeldRunner)
        return self.runner

    def feed(self, *events: session.Event) -> session.SessionState:
        """Handle ``events`` in order; the state after the last."""
        for event in events:
            self.controller.handle(event)
        return self.controller.state

    def to_second_factor(self) -> None:
        """Walk to the second-factor screen, feeding the card's and the platform's results
        in as events; the work the steps asked for is dropped unrun."""
        for event in journey.JOURNEY:
            if self.controller.state.phase is session.Phase.SECOND_FACTOR:
                break
            self.feed(event)
        self.held.drop_pending()
        assert self.controller.state.phase is session.Phase.SECOND_FACTOR

    def to_report(self, report: report_model.Report = journey.REPORT) -> None:
        """Walk on to the report screen showing ``report`` (an SMS code, as residents do)."""
        self.to_second_factor()
        self.feed(
            session.SmsChosen(),
            session.OtpSent(60),
            session.OtpEntered("123456"),
            session.AccessGranted("tok"),
            session.ReportLoaded(report),
        )
        self.held.drop_pending()
        assert self.controller.state.phase is session.Phase.REPORT


def make_controller(
    services: session_controller.Services | None = None,
    *,
    held: bool = True,
    rules: session.Rules | None = None,
) -> Harness:
    """A controller with ``services`` (fakes by default) on a manual clock.

    Args:
        held: Hold the lanes' work for the test to run (default); False runs it on real
            lane threads, its results posted to ``dispatcher`` (``run_pending`` them).
    """
    services = services or fakes.services()
    dispatcher = runtime.QueueDispatcher()
    clock = runtime.ManualClock()
    runner: runtime.Runner = HeldRunner(dispatcher) if held else runtime.TaskRunner(dispatcher)
    ctl = session_controller.SessionController(
        services,
        rules=rules or session.Rules(),
        dispatcher=dispatcher,
        clock=clock,
        runner=runner,
    )
    return Harness(ctl, services, clock, dispatcher, runner)


@contextlib.contextmanager
def running_kiosk(
    cfg: kiosk_config.KioskConfig,
    platform: PlatformSimulator,
    notifier: sd_notify.Notifier | None = None,
) -> Iterator[ui_app.KioskApp]:
    """The kiosk as `kiosk run` builds it, enrolled with ``platform``, started and stopped
    (telling systemd through ``notifier``, when given)."""
    from simulators import demo
    from ui import app as ui_app

    creds = demo.enroll(cfg, platform)
    app = ui_app.KioskApp(cfg, composition.build_kiosk(cfg, creds), notifier=notifier)
    app.start(fullscreen=False)
    try:
        yield app
    finally:
        app.stop()
        dispose_window(app.window)


CARD_EVENT_TIMEOUT_S = 10.0


class CardEvents:
    """Thread-safe record of a reader's events, with waits that fail after a deadline."""

    def __init__(self) -> None:
        self._queue: queue.Queue[CardEvent] = queue.Queue()
        self.seen: list[CardEvent] = []
        self.ready: list[ReaderReady] = []
        self._ready_lock = threading.Lock()

    def put(self, event: CardEvent) -> None:
        """Record ``event`` (from the reader's thread). "Reader ready" is kept apart
        (``ready``): tests of card events expect the card's events in order."""
        if isinstance(event, ReaderReady):
            with self._ready_lock:
                self.ready.append(event)
            return
        self._queue.put(event)

    def ready_count(self) -> int:
        """How many times the reader said it is ready so far."""
        with self._ready_lock:
            return len(self.ready)

    def next(self, timeout_s: float = CARD_EVENT_TIMEOUT_S) -> CardEvent:
        """The next event, or the test fails after ``timeout_s``."""
        try:
            event = self._queue.get(timeout=timeout_s)
        except queue.Empty:
            pytest.fail(f"no reader event within {timeout_s} s (seen: {self.seen})")
        self.seen.append(event)
        return event

    def expect(self, *expected: CardEvent) -> None:
        """The next events are exactly ``expected``, in order."""
        for want in expected:
            assert self.next() == want, f"events so far: {self.seen}"

    def none_within(self, seconds: float) -> None:
        """No event comes within ``seconds``."""
        try:
            extra = self._queue.get(timeout=seconds)
        except queue.Empty:
            return
        pytest.fail(f"unexpected event {extra} (seen: {self.seen})")


def dispose_window(window: main_window.KioskWindow) -> None:
    """Close and delete a kiosk window at a test's end. It refuses to close otherwise (as
    on a kiosk), and every window left alive is restyled at each later text-size switch:
    the suite slowed down test by test."""
    from PySide6.QtCore import QCoreApplication, QEvent

    window.allow_close = True
    window.close()
    window.deleteLater()
    # Deleted now, not whenever an event loop next turns (qtbot's waits do not always).
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def kiosk_window(
    controller: session_controller.SessionController,
    staff_mode: kiosk_staff.StaffMode | None = None,
    *,
    long_press_s: float = 3.0,
) -> main_window.KioskWindow:
    """A kiosk window built in its two steps (idle screen, then the rest) on ``controller``."""
    from ui import main_window, theme

    window = main_window.KioskWindow(theme.register_fonts(), long_press_s=long_press_s)
    window.attach(controller, staff_mode)
    return window
