"""Small builders shared by tests that need a controller without real devices."""

from __future__ import annotations

import contextlib
import queue
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from devices.card_reader import CardEvent
from kiosk import config as kiosk_config
from kiosk.app import composition
from kiosk.card.trust_anchors import TrustAnchors
from kiosk.flow import controller, runtime, session
from tests.support import fakes

if TYPE_CHECKING:
    from simulators.platform_server import PlatformSimulator
    from ui import app as ui_app


def make_controller(
    reader: object, platform: object = None
) -> tuple[controller.SessionController, runtime.QueueDispatcher]:
    """A controller on a queue dispatcher and a manual clock, with the given fakes."""
    dispatcher = runtime.QueueDispatcher()
    services = controller.Services(
        reader=reader,  # type: ignore[arg-type]
        platform=platform,  # type: ignore[arg-type]
        printer=None,
        terminal_id="T1",
        verify_url="https://example.invalid/v1/verify",
        kept_content=fakes.KeptGuides(),
        report_buffer=fakes.CountingBuffer(),
        trust_anchors=TrustAnchors(None),
    )
    ctl = controller.SessionController(
        services,
        rules=session.Rules(),
        dispatcher=dispatcher,
        clock=runtime.ManualClock(),
        runner=runtime.TaskRunner(dispatcher),
    )
    return ctl, dispatcher


@contextlib.contextmanager
def running_kiosk(
    cfg: kiosk_config.KioskConfig, platform: PlatformSimulator
) -> Iterator[ui_app.KioskApp]:
    """The kiosk as `kiosk run` builds it, enrolled with ``platform``, started and stopped."""
    from simulators import demo
    from ui import app as ui_app

    creds = demo.enroll(cfg, platform)
    app = ui_app.KioskApp(cfg, composition.build_kiosk(cfg, creds))
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

    def put(self, event: CardEvent) -> None:
        self._queue.put(event)

    def next(self, timeout_s: float = CARD_EVENT_TIMEOUT_S) -> CardEvent:
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
        try:
            extra = self._queue.get(timeout=seconds)
        except queue.Empty:
            return
        pytest.fail(f"unexpected event {extra} (seen: {self.seen})")


def dispose_window(window: object) -> None:
    """Close and delete a kiosk window at a test's end. It refuses to close otherwise (as
    on a kiosk), and every window left alive is restyled at each later text-size switch:
    the suite slowed down test by test."""
    from ui import main_window

    assert isinstance(window, main_window.KioskWindow)
    from PySide6.QtCore import QCoreApplication, QEvent

    window.allow_close = True
    window.close()
    window.deleteLater()
    # Deleted now, not whenever an event loop next turns (qtbot's waits do not always).
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
