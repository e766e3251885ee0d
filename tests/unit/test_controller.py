"""The controller: effects run off the core's thread, and a late answer never reaches the next
resident's session."""

from __future__ import annotations

import threading
import time

import pytest

from devices import card_reader, errors
from kiosk.flow import runtime, session
from tests.support import fakes
from tests.support.kiosk import Harness, make_controller


class BlockingReader:
    """A reader whose card connection waits until the test lets it go."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.connect_thread: str | None = None

    def start(self, on_event: object) -> None:
        pass

    def stop(self) -> None:
        self.release.set()

    def connect(self) -> card_reader.CardConnection:
        self.connect_thread = threading.current_thread().name
        self.release.wait(10)
        raise errors.CardRemoved("the first card is long gone")


def pump(dispatcher: runtime.QueueDispatcher, until: float = 2.0) -> None:
    deadline = time.monotonic() + until
    while time.monotonic() < deadline:
        dispatcher.run_pending(timeout=0.05)


def make() -> tuple[Harness, BlockingReader]:
    """A controller on real lanes (the reader's thread is the point of these tests)."""
    reader = BlockingReader()
    return make_controller(fakes.services(reader=reader), held=False), reader


@pytest.mark.expect_log("kiosk.flow.controller")
def test_card_io_runs_on_the_card_lane_not_the_core_thread() -> None:
    harness, reader = make()
    ctl, dispatcher = harness.controller, harness.dispatcher
    ctl.handle(session.CardInserted())
    ctl.handle(session.ConsentGiven())
    assert ctl.state.phase is session.Phase.READING_CARD  # handle() returned at once
    reader.release.set()
    pump(dispatcher, 1.0)
    assert reader.connect_thread is not None
    assert reader.connect_thread.startswith("kiosk-card")
    assert ctl.state.phase is session.Phase.ERROR  # the card error came back as an event
    ctl.stop()


def test_a_late_answer_from_an_ended_session_is_dropped() -> None:
    harness, reader = make()
    ctl, dispatcher = harness.controller, harness.dispatcher
    ctl.handle(session.CardInserted())
    ctl.handle(session.ConsentGiven())
    ctl.handle(session.CardRemoved())  # the first resident leaves while the card is read
    ctl.handle(session.CardInserted())  # the next resident arrives
    assert ctl.state.phase is session.Phase.CONSENT
    reader.release.set()  # the first session's read now fails late
    pump(dispatcher, 1.0)
    assert ctl.state.phase is session.Phase.CONSENT
    assert ctl.state.step.message is None
    ctl.stop()


def test_timers_end_the_session() -> None:
    harness, _reader = make()
    ctl, clock = harness.controller, harness.clock
    ctl.handle(session.CardInserted())
    clock.advance(59)
    assert ctl.state.phase is session.Phase.CONSENT
    ctl.handle(session.UserActive())  # a touch restarts the minute
    clock.advance(59)
    assert ctl.state.phase is session.Phase.CONSENT
    clock.advance(2)
    assert ctl.state.phase is session.Phase.IDLE
    ctl.stop()


def test_the_warning_comes_first_and_a_touch_keeps_the_session() -> None:
    harness, _reader = make()
    ctl, clock = harness.controller, harness.clock
    seen: list[session.SessionState] = []
    ctl.add_listener(seen.append)
    ctl.handle(session.CardInserted())
    clock.advance(39)
    assert ctl.state.step.still_there_s == 0
    clock.advance(1)  # 20 s before the minute is up
    assert ctl.state.phase is session.Phase.CONSENT
    assert ctl.state.step.still_there_s == 20
    assert seen[-1].step.still_there_s == 20  # the window hears about it
    ctl.handle(session.UserActive())
    assert ctl.state.step.still_there_s == 0
    assert seen[-1].step.still_there_s == 0
    clock.advance(59)
    assert ctl.state.phase is session.Phase.CONSENT  # the warned end was cancelled
    clock.advance(1)
    assert ctl.state.phase is session.Phase.IDLE
    ctl.stop()


def test_the_resend_wait_runs_on_the_controllers_clock() -> None:
    harness = make_controller()
    harness.to_second_factor()
    harness.feed(session.SmsChosen(), session.OtpSent(60))
    harness.held.drop_pending()
    harness.clock.advance(59)
    assert not harness.controller.state.step.resend_ready
    harness.clock.advance(1)
    assert harness.controller.state.step.resend_ready


@pytest.mark.expect_log("kiosk.flow.controller")
def test_the_readers_own_word_reaches_the_hall_state() -> None:
    """An unplugged reader or a dead pcscd is said on the idle screen (and to the fleet), and
    cleared when the reader is back, whatever thread the reader speaks from."""
    harness = make_controller(held=False)
    ctl, dispatcher = harness.controller, harness.dispatcher
    ctl.on_card_event(card_reader.ReaderUnavailable("service_down"))
    pump(dispatcher, 0.2)
    assert not ctl.state.hall.reader_ready
    assert ctl.state.hall.reader_problem == "service_down"
    ctl.on_card_event(card_reader.ReaderReady("Virtual PCD 00 00"))
    pump(dispatcher, 0.2)
    assert ctl.state.hall.reader_ready
    assert ctl.state.hall.reader_problem == ""
    ctl.stop()


def test_a_session_end_wipes_the_buffer_and_returns_memory_off_the_core_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kiosk import memory

    released_on: list[str] = []
    monkeypatch.setattr(
        memory, "release_free_pages", lambda: released_on.append(threading.current_thread().name)
    )
    buffer = fakes.CountingBuffer()
    reader = BlockingReader()
    harness = make_controller(fakes.services(reader=reader, report_buffer=buffer), held=False)
    ctl, dispatcher = harness.controller, harness.dispatcher
    ctl.handle(session.CardInserted())
    assert released_on == []  # a session starting frees nothing
    ctl.handle(session.CardRemoved())
    pump(dispatcher, 0.5)
    assert ctl.state.phase is session.Phase.IDLE
    assert len(released_on) == 1 and released_on[0].startswith("kiosk-print")
    assert buffer.wipes == 1
    ctl.stop()
