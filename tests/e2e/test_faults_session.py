"""Faults during a resident's session, through the real paths (the window, pcscd with the
virtual card, the HTTPS platform simulator, the TCP receipt printer): what the screen says,
that the session ends cleanly or carries on, that nothing of the resident remains, that
nothing queued is lost, and that the kiosk is back at the idle screen by itself within a
stated time. One row each in docs/reliability.md.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from kiosk import config as kiosk_config
from kiosk.app import logging_setup
from kiosk.flow.session import Phase
from simulators.platform_server import Fault, PlatformSimulator
from simulators.residents import LI_NA, ZHANG_WEI
from simulators.virtual_card import VirtualCardClient
from simulators.virtual_printer import VirtualPrinter
from tests.support.aftermath import (
    QUICK,
    SLACK_S,
    Pilot,
    assert_forgotten,
    assert_nothing_queued_lost,
    assert_platform_session_ended,
    back_to_idle_by_itself,
    quick,
    session_id,
)
from tests.support.kiosk import running_kiosk

PRINTS = r"/v1/reports/[^/]+/prints"


@pytest.fixture
def cfg(
    simulator_cfg: kiosk_config.KioskConfig, request: pytest.FixtureRequest
) -> kiosk_config.KioskConfig:
    """The short limits, or longer ones a test asks for (``@pytest.mark.kiosk_timeouts``)."""
    cfg = quick(simulator_cfg)
    marker = request.node.get_closest_marker("kiosk_timeouts")
    if marker is not None:
        cfg = dataclasses.replace(cfg, timeouts=dataclasses.replace(QUICK, **marker.kwargs))
    return cfg


@pytest.fixture
def pilot(
    qtbot: QtBot,
    cfg: kiosk_config.KioskConfig,
    platform_sim: PlatformSimulator,
    restore_logging: None,
) -> Iterator[Pilot]:
    """The kiosk as `kiosk run` builds it, short limits, logging to its file as in a hall
    (the test's own log watch stays on)."""
    root = logging.getLogger()
    watching = list(root.handlers)
    logging_setup.setup_logging(Path(cfg.paths.log_dir), journal=False)
    for handler in watching:
        root.addHandler(handler)
    with running_kiosk(cfg, platform_sim) as app:
        yield Pilot(qtbot, app, platform_sim)


# ---------------------------------------------------------------- card pulled

STEPS = ["consent", "reading", "verifying", "choosing", "sms_code", "report", "printing", "done"]


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.expect_log("kiosk.flow.controller")  # "card work failed: card removed"
def test_a_card_pulled_at_any_step_ends_the_session_at_once_and_leaves_nothing(
    pilot: Pilot,
    cfg: kiosk_config.KioskConfig,
    virtual_card: Callable[..., VirtualCardClient],
    virtual_printer: VirtualPrinter,
    step: str,
) -> None:
    platform = pilot.platform
    if step == "reading":
        # The card leaves by itself in the middle of the reading (after 5 APDUs).
        card = virtual_card("zhang_wei", pull_out_after=5)
        pilot.agree()
    else:
        card = virtual_card("zhang_wei")
        pilot.wait_phase(Phase.CONSENT)
    if step == "verifying":
        platform.delay_next(3.0, path="/v1/identity/verify")
        pilot.agree()
        pilot.wait_phase(Phase.VERIFYING)
    if step in ("choosing", "sms_code"):
        pilot.agree()
        pilot.wait_phase(Phase.SECOND_FACTOR)
    if step == "sms_code":
        pilot.choose_sms()
    if step in ("report", "printing", "done"):
        pilot.to_report()
    if step == "printing":
        platform.inject(Fault("delay", delay_s=3.0, path_pattern=PRINTS))
        pilot.press_print()
        pilot.wait_phase(Phase.PRINTING)
    if step == "done":
        pilot.press_print()
        pilot.wait_phase(Phase.DONE)
    identity = pilot.app.controller.state.resident.identity
    jobs_before = len(virtual_printer.jobs)

    if step != "reading":
        card.remove()

    assert back_to_idle_by_itself(pilot, within_s=SLACK_S) < SLACK_S
    assert_forgotten(pilot, cfg, ZHANG_WEI)
    if identity is not None:
        assert_platform_session_ended(pilot, identity.session_id)
    if step == "printing":
        time.sleep(3.5)  # the print record's answer arrives after the resident left...
        assert len(virtual_printer.jobs) == jobs_before  # ...and no paper follows it
    if step == "verifying":
        pilot.qtbot.wait(3500)  # the platform's late verdict arrives and is dropped
        assert pilot.phase is Phase.IDLE
        assert pilot.app.controller.state.resident.identity is None
    assert_nothing_queued_lost(pilot, sessions_ended=1)


def test_a_second_card_right_after_the_first_never_sees_the_first_residents_data(
    pilot: Pilot,
    cfg: kiosk_config.KioskConfig,
    virtual_card: Callable[..., VirtualCardClient],
) -> None:
    """The first resident leaves while their report is on its way; the next one's session
    never shows it, and the late answer is dropped."""
    first = virtual_card("zhang_wei")
    pilot.agree()
    pilot.choose_sms()
    pilot.platform.delay_next(3.0, path="/v1/reports/current")
    pilot.enter_code()
    first.remove()
    pilot.wait_phase(Phase.IDLE)
    virtual_card("li_na")
    pilot.agree()
    pilot.wait_phase(Phase.SECOND_FACTOR)
    time.sleep(3.5)  # the first resident's report arrives now
    state = pilot.app.controller.state
    assert state.phase is Phase.SECOND_FACTOR and state.resident.report is None
    assert state.resident.identity is not None
    assert state.resident.identity.id_masked == LI_NA.id_masked
    texts = pilot.texts_on_screen()
    assert not [t for t in texts if ZHANG_WEI.id_masked in t or ZHANG_WEI.name in t]
    assert back_to_idle_by_itself(pilot, QUICK.second_factor_s + SLACK_S)
    assert_forgotten(pilot, cfg, ZHANG_WEI, LI_NA)
    assert_nothing_queued_lost(pilot, sessions_ended=2)


# ---------------------------------------------------------------- receipt printer


@pytest.mark.parametrize(
    ("fault", "message", "recorded"),
    [
        # Out of paper before the job: found by the status check, nothing recorded or printed.
        ("paper_out_before", "paper_out", 0),
        # Out of paper in the middle of the job: the copy was recorded, the paper is partial.
        ("paper_out_during", "paper_out", 1),
        ("cover_open", "cover_open", 0),
        # Powered off mid-job: the connection drops under the job.
        ("power_off_mid_job", "printer_error", 1),
        # Answering its status 2 s late: the check before the record cannot tell (a printer
        # that never answers status may still print), the job's own check refuses: the copy
        # is recorded, no paper comes out (records before paper, never paper without one).
        ("slow", "printer_error", 1),
    ],
)
@pytest.mark.expect_log("kiosk.flow.controller")  # "print work failed: ..."
def test_a_printer_fault_is_explained_on_the_report_and_the_kiosk_goes_back_to_idle(
    pilot: Pilot,
    cfg: kiosk_config.KioskConfig,
    virtual_card: Callable[..., VirtualCardClient],
    virtual_printer: VirtualPrinter,
    fault: str,
    message: str,
    recorded: int,
) -> None:
    from ui.screens import report

    virtual_card("zhang_wei")
    pilot.to_report()
    sid = session_id(pilot)
    if fault == "paper_out_before":
        virtual_printer.set_state(paper="end")
    elif fault == "paper_out_during":
        virtual_printer.fail_after(300, "paper_end")
    elif fault == "cover_open":
        virtual_printer.set_state(cover_open=True)
    elif fault == "slow":
        virtual_printer.reply_delay_s = 2.0
    else:
        virtual_printer.fail_after(300, "drop")
    pilot.press_print()

    def explained() -> None:
        state = pilot.app.controller.state
        assert state.phase is Phase.REPORT and state.step.message is not None
        assert state.step.message.key == message

    pilot.qtbot.wait_until(explained, timeout=20_000)
    screen = pilot.app.window.screen_of(report.ReportScreen)
    assert isinstance(screen, report.ReportScreen)
    assert pilot.app.window.current_screen() is screen  # the report stays, with the reason
    assert len(pilot.platform.prints) == recorded
    assert not [job for job in virtual_printer.jobs if job.cut]  # no complete receipt

    # Nobody touches anything: the report's limit ends the session.
    assert back_to_idle_by_itself(pilot, QUICK.report_s + SLACK_S)
    assert_forgotten(pilot, cfg, ZHANG_WEI)
    assert_platform_session_ended(pilot, sid)
    assert_nothing_queued_lost(pilot, sessions_ended=1)


# ---------------------------------------------------------------- platform


def _throttled(platform: PlatformSimulator) -> None:
    # A wait longer than a resident is asked to wait (the resident patience): not served.
    platform.fail_next(status=429, retry_after_s=90, path="/v1/reports/current")


def _unavailable(platform: PlatformSimulator) -> None:
    platform.fail_next(3, status=503, path="/v1/reports/current")


def _malformed(platform: PlatformSimulator) -> None:
    platform.malformed_next(path="/v1/reports/current")


def _bad_signature(platform: PlatformSimulator) -> None:
    platform.jws_tamper = lambda jws: jws[:-4] + ("AAAA" if not jws.endswith("AAAA") else "BBBB")


def _clock_skew(platform: PlatformSimulator) -> None:
    platform.clock = lambda: time.time() + 400


def _down(platform: PlatformSimulator) -> None:
    platform.inject(Fault("drop"), 10)


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (_throttled, "platform_unavailable"),
        (_unavailable, "platform_unavailable"),
        (_malformed, "platform_unavailable"),
        (_bad_signature, "report_invalid"),
        (_clock_skew, "clock_skew"),
        (_down, "platform_unavailable"),
    ],
    ids=["429", "503", "malformed_json", "bad_signature", "clock_skew", "down"],
)
@pytest.mark.expect_log
def test_a_platform_fault_while_the_report_is_fetched_ends_the_session_with_a_plain_reason(
    pilot: Pilot,
    cfg: kiosk_config.KioskConfig,
    virtual_card: Callable[..., VirtualCardClient],
    fault: Callable[[PlatformSimulator], None],
    message: str,
) -> None:
    from ui.screens import error

    platform = pilot.platform
    virtual_card("zhang_wei")
    pilot.agree()
    pilot.choose_sms()
    sid = session_id(pilot)
    fault(platform)
    pilot.enter_code()

    pilot.wait_phase(Phase.ERROR)
    state = pilot.app.controller.state
    assert state.step.message is not None and state.step.message.key == message
    assert state.resident.report is None
    screen = pilot.app.window.screen_of(error.ErrorScreen)
    assert isinstance(screen, error.ErrorScreen)
    assert pilot.app.window.current_screen() is screen
    assert screen.title.text()  # plain words, never the exception's text
    assert "Traceback" not in screen.body.text()

    # The platform is well again; nobody touches anything.
    platform.jws_tamper = None
    platform.clock = time.time
    platform.clear_faults()
    assert back_to_idle_by_itself(pilot, QUICK.error_s + SLACK_S)
    assert_forgotten(pilot, cfg, ZHANG_WEI)
    if fault is not _clock_skew:
        assert_platform_session_ended(pilot, sid)
    # else: the platform refused the kiosk's signature on the DELETE too (its clock was
    # off at the time); the platform ends the session at its 15 minutes.
    assert_nothing_queued_lost(pilot, sessions_ended=1)


@pytest.mark.expect_log
def test_an_expired_platform_session_ends_the_session_when_printing(
    pilot: Pilot, cfg: kiosk_config.KioskConfig, virtual_card: Callable[..., VirtualCardClient]
) -> None:
    virtual_card("zhang_wei")
    pilot.to_report()
    sid = session_id(pilot)
    pilot.platform.expire_session(sid)
    pilot.press_print()
    # The platform no longer knows the session: it ends, and says to start again.
    pilot.wait_phase(Phase.ERROR)
    message = pilot.app.controller.state.step.message
    assert message is not None and message.key == "session_expired"
    assert not message.can_retry
    assert pilot.platform.prints == []  # no copy recorded, so no paper either
    assert back_to_idle_by_itself(pilot, QUICK.error_s + SLACK_S)
    assert_forgotten(pilot, cfg, ZHANG_WEI)
    assert_nothing_queued_lost(pilot, sessions_ended=1)


@pytest.mark.kiosk_timeouts(second_factor_s=60.0)
def test_a_platform_taking_ten_seconds_is_slow_not_offline(
    pilot: Pilot, virtual_card: Callable[..., VirtualCardClient]
) -> None:
    """platform-api.md §7: a request may take up to 10 s under load. The idle probe waits
    for it (the platform is reachable), and a resident's report still comes."""
    platform = pilot.platform
    pilot.qtbot.wait_until(lambda: pilot.app.monitor.online is True, timeout=20_000)
    platform.latency_s = 10.0
    pilot.app.monitor.probe_now()
    pilot.qtbot.wait(11_500)
    assert pilot.app.monitor.online is True
    assert pilot.app.controller.state.hall.online
    platform.latency_s = 0.0
    virtual_card("zhang_wei")
    pilot.agree()
    pilot.choose_sms()
    platform.delay_next(10.0, path="/v1/reports/current")
    pilot.enter_code()
    pilot.wait_phase(Phase.REPORT, timeout_ms=30_000)
