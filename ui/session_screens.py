"""The screens of a resident's session and of staff mode, and what their buttons ask for.

``KioskWindow`` loads this module in ``attach``, after the idle screen's first paint: these
screens and what they import (the report's QR code, the keyboards, the staff checks) are
not needed to invite the first resident (docs/decisions.md "Start-up: the idle screen first").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Final, TypeVar

from kiosk.flow import session
from kiosk.platform.report import CHINA_TZ
from kiosk.staff import mode as kiosk_staff
from ui.screens import (
    base,
    consent,
    done,
    error,
    idle,
    printing,
    reading,
    report,
    second_factor,
    verifying,
)
from ui.screens import staff as staff_screen

Phase = session.Phase

SCREEN_FOR_PHASE: Final[dict[Phase, type[base.Screen]]] = {
    Phase.IDLE: idle.IdleScreen,
    Phase.CONSENT: consent.ConsentScreen,
    Phase.READING_CARD: reading.ReadingScreen,
    Phase.VERIFYING: verifying.VerifyingScreen,
    Phase.SECOND_FACTOR: second_factor.SecondFactorScreen,
    Phase.REPORT: report.ReportScreen,
    Phase.PRINTING: printing.PrintingScreen,
    Phase.DONE: done.DoneScreen,
    Phase.ERROR: error.ErrorScreen,
    Phase.STAFF: staff_screen.StaffScreen,
}

Screens = dict[type[base.Screen], base.Screen]
ScreenT = TypeVar("ScreenT", bound=base.Screen)


def _screen(screens: Screens, kind: type[ScreenT]) -> ScreenT:
    screen = screens[kind]
    assert isinstance(screen, kind)
    return screen


def factor_screen(screens: Screens) -> second_factor.SecondFactorScreen:
    """The second factor's screen (the face check's camera picture and time limit)."""
    return _screen(screens, second_factor.SecondFactorScreen)


def wire_intents(screens: Screens, handle: Callable[[session.Event], None]) -> None:
    """Each resident screen's requests become the controller's events."""
    consent_screen = _screen(screens, consent.ConsentScreen)
    consent_screen.agree_requested.connect(lambda: handle(session.ConsentGiven()))
    consent_screen.decline_requested.connect(lambda: handle(session.ConsentDeclined()))
    factor = factor_screen(screens)
    factor.face_requested.connect(lambda: handle(session.FaceChosen()))
    # When the resident agreed goes to the platform with every attempt (spec §3b), in the
    # hall's time: an RFC 3339 time with its offset.
    factor.face_agreed.connect(
        lambda: handle(session.FaceConsentGiven(at=dt.datetime.now(CHINA_TZ)))
    )
    factor.face_declined.connect(lambda: handle(session.FaceDeclined()))
    factor.face_retry_requested.connect(lambda: handle(session.FaceRetryRequested()))
    factor.sms_requested.connect(lambda: handle(session.SmsChosen()))
    factor.staff_requested.connect(lambda: handle(session.StaffChosen()))
    factor.code_entered.connect(lambda code: handle(session.OtpEntered(code)))
    factor.resend_requested.connect(lambda: handle(session.ResendRequested()))
    factor.staff_confirmed.connect(lambda sid, pin: handle(session.StaffConfirmed(sid, pin)))
    report_screen = _screen(screens, report.ReportScreen)
    report_screen.print_requested.connect(lambda: handle(session.PrintRequested()))
    report_screen.finish_requested.connect(lambda: handle(session.Finished()))
    report_screen.share_requested.connect(lambda: handle(session.ShareRequested()))
    report_screen.guide_requested.connect(
        lambda record_id: handle(session.RepairGuideRequested(record_id))
    )
    report_screen.dispute_requested.connect(
        lambda record_id: handle(session.DisputeRequested(record_id))
    )
    report_screen.repair_slip_requested.connect(
        lambda record_id: handle(session.RepairSlipRequested(record_id))
    )
    report_screen.dispute_submitted.connect(
        lambda reason, text: handle(session.DisputeSubmitted(reason, text))
    )
    report_screen.page_closed.connect(lambda: handle(session.ViewClosed()))
    report_screen.staff_call_requested.connect(lambda: handle(session.StaffCallRequested()))
    idle_screen = _screen(screens, idle.IdleScreen)
    idle_screen.elder_requested.connect(lambda: handle(session.ElderModeToggled()))
    _screen(screens, done.DoneScreen).finish_requested.connect(lambda: handle(session.Finished()))
    _screen(screens, error.ErrorScreen).finish_requested.connect(lambda: handle(session.Finished()))


def wire_staff(
    screens: Screens, staff_mode: kiosk_staff.StaffMode | None
) -> staff_screen.StaffScreen:
    """Staff mode's screen, its buttons connected to ``staff_mode`` (none: a window in a test
    without staff mode)."""
    screen = _screen(screens, staff_screen.StaffScreen)
    if staff_mode is None:
        return screen
    screen.pin_entered.connect(staff_mode.submit_pin)
    screen.leave_requested.connect(staff_mode.leave)
    screen.refresh_requested.connect(staff_mode.refresh)
    screen.read_card_requested.connect(staff_mode.read_test_card)
    screen.print_test_requested.connect(staff_mode.print_test_page)
    screen.print_report_requested.connect(staff_mode.print_readiness_report)
    screen.export_requested.connect(lambda: staff_mode.export_support_bundle())
    screen.out_of_service_toggled.connect(staff_mode.set_out_of_service)
    screen.restart_requested.connect(staff_mode.restart_app)
    screen.sync_requested.connect(staff_mode.sync_now)
    staff_mode.add_listener(screen.show_staff)
    screen.show_staff(staff_mode.view)
    return screen
