"""The journey's newer steps as a pure state machine: the report's pages (repair guide,
dispute, phone link), the SMS resend, staff's check, large-text mode's fewer steps, the
session's language and voice."""

from __future__ import annotations

import dataclasses

import pytest

from kiosk import errors
from kiosk.flow import session
from tests.support.journey import (
    GUIDE,
    IDENTITY,
    LINK,
    NO_PHONE,
    PENALTY_REPORT,
    at_penalty_report,
    at_phase,
    kinds,
    run,
)

S = session


# ---------------------------------------------------------------- second factor


def test_large_text_mode_sends_the_code_at_once_without_a_choice() -> None:
    state, _ = run(S.SessionState(), S.ElderModeToggled(), S.CardInserted(), S.ConsentGiven())
    state, _ = run(state, S.CardRead(_evidence()))
    state, effects = run(state, S.IdentityVerified(IDENTITY))
    assert state.phase is S.Phase.SECOND_FACTOR
    assert state.step.factor is S.Factor.SMS and state.step.busy
    assert S.SendOtp("sess-1") in effects


def test_normal_mode_lets_the_resident_choose() -> None:
    state = at_phase(S.Phase.SECOND_FACTOR)
    assert state.step.factor is S.Factor.CHOOSING
    assert not state.step.busy


def test_choosing_staff_calls_staff() -> None:
    state, effects = run(at_phase(S.Phase.SECOND_FACTOR), S.StaffChosen())
    assert state.step.factor is S.Factor.STAFF
    assert state.hall.staff_called and state.hall.staff_call == 1
    assert S.StartStaffCallTimer(60, 1) in effects


def test_a_resident_without_a_phone_gets_staff_called_at_once() -> None:
    state = at_phase(S.Phase.VERIFYING)
    state, effects = run(state, S.IdentityVerified(NO_PHONE))
    assert state.step.factor is S.Factor.STAFF
    assert state.hall.staff_called
    assert kinds(effects) == [S.StartStaffCallTimer]


def test_staff_id_that_confirmed_is_kept_for_the_audit_and_not_before() -> None:
    state, _ = run(at_phase(S.Phase.SECOND_FACTOR), S.StaffChosen())
    state, _ = run(state, S.StaffConfirmed("100001", "246810"))
    assert state.resident.assisted_by is None  # not yet accepted
    state, _ = run(state, S.AccessGranted("tok"))
    assert state.resident.assisted_by == "100001"
    assert state.step.staff_entered is None


def test_an_sms_session_is_not_marked_as_assisted() -> None:
    state, _ = run(
        at_phase(S.Phase.SECOND_FACTOR), S.SmsChosen(), S.OtpSent(60), S.OtpEntered("123456")
    )
    state, _ = run(state, S.AccessGranted("tok"))
    assert state.resident.assisted_by is None


def test_resend_asks_for_a_new_code_and_counts_the_sends() -> None:
    state, effects = run(at_phase(S.Phase.SECOND_FACTOR), S.SmsChosen(), S.OtpSent(60))
    assert state.resident.otp_sends == 1 and state.step.resend_after_s == 60
    assert S.StartResendTimer(60, "sess-1", 1) in effects
    assert not state.step.resend_ready
    state, effects = run(state, S.ResendRequested())  # the platform's wait is not over
    assert effects == [] and not state.step.busy
    state, _ = run(state, S.ResendReady("sess-1", 1))
    assert state.step.resend_ready
    state, effects = run(state, S.ResendRequested())
    assert S.SendOtp("sess-1") in effects and state.step.busy
    state, effects = run(state, S.ResendRequested())  # already sending: nothing more
    assert kinds(effects) == []
    state, _ = run(state, S.OtpSent(90))
    assert state.resident.otp_sends == 2 and state.step.resend_after_s == 90


def test_a_resend_wait_of_another_code_or_session_changes_nothing() -> None:
    state, _ = run(at_phase(S.Phase.SECOND_FACTOR), S.SmsChosen(), S.OtpSent(60))
    for stale in (S.ResendReady("sess-1", 0), S.ResendReady("an-earlier-session", 1)):
        assert run(state, stale) == (state, [])


def _too_soon(retry_after_s: float | None) -> S.Failed:
    refusal = errors.PlatformRejected(
        "resend_too_soon", "wait", status=429, retry_after_s=retry_after_s
    )
    return S.Failed(refusal)


def test_a_code_refused_as_too_soon_is_sent_by_itself_once_the_platform_s_wait_is_over() -> None:
    """After the access token expired the resident asks for a code again, within the
    platform's resend wait (longer than the client waits out): the screen counts the wait
    down and the code goes without another touch."""
    state, _ = run(at_phase(S.Phase.SECOND_FACTOR), S.SmsChosen())
    state, effects = run(state, _too_soon(41.2))
    assert state.step.message is None  # the screen says the code is coming, no refusal
    assert state.step.code_waits and not state.step.busy and not state.step.otp_sent
    assert state.step.resend_after_s == 42 and not state.step.resend_ready
    assert effects == [S.StartResendTimer(42, "sess-1", 1)]
    state, effects = run(state, S.ResendReady("sess-1", 1))
    assert effects == [S.SendOtp("sess-1")]
    assert state.step.pending is S.Pending.OTP_SEND and not state.step.code_waits
    state, effects = run(state, S.OtpSent(60))
    assert state.step.otp_sent and state.resident.otp_sends == 1
    assert effects == [S.StartResendTimer(60, "sess-1", 2)]


def test_a_too_soon_without_retry_after_waits_the_spec_s_resend_time() -> None:
    state, _ = run(at_phase(S.Phase.SECOND_FACTOR), S.SmsChosen())
    state, effects = run(state, _too_soon(None))
    assert state.step.resend_after_s == S.RESEND_WAIT_UNSAID_S == 60
    assert effects == [S.StartResendTimer(60, "sess-1", 1)]


def test_a_resend_refused_as_too_soon_restarts_the_countdown_and_waits_for_the_resident() -> None:
    state, _ = run(at_phase(S.Phase.SECOND_FACTOR), S.SmsChosen(), S.OtpSent(60))
    state, _ = run(state, S.ResendReady("sess-1", 1), S.ResendRequested())
    state, effects = run(state, _too_soon(5))
    assert effects == [S.StartResendTimer(5, "sess-1", 2)]
    assert state.step.otp_sent and not state.step.resend_ready and not state.step.code_waits
    assert state.step.message is not None and state.step.message.key == "resend_too_soon"
    assert run(state, S.ResendReady("sess-1", 1)) == (state, [])  # the earlier wait's timer
    state, effects = run(state, S.ResendReady("sess-1", 2))
    assert state.step.resend_ready and effects == []  # the code on the phone still stands


def test_a_resident_who_walked_away_during_the_wait_is_still_timed_out() -> None:
    state, _ = run(at_phase(S.Phase.SECOND_FACTOR), S.SmsChosen(), _too_soon(30))
    timer = state.timer
    state, _ = run(state, S.ResendReady("sess-1", 1))
    assert state.timer == timer  # the automatic send is no activity of the resident's


def test_no_wait_asked_means_the_code_may_be_sent_again_at_once() -> None:
    state, effects = run(at_phase(S.Phase.SECOND_FACTOR), S.SmsChosen(), S.OtpSent(0))
    assert state.step.resend_ready
    assert not any(isinstance(e, S.StartResendTimer) for e in effects)


def test_no_resend_on_the_staff_form() -> None:
    state, _ = run(at_phase(S.Phase.SECOND_FACTOR), S.StaffChosen())
    assert kinds(run(state, S.ResendRequested())[1]) == []


# ---------------------------------------------------------------- report pages


def test_a_repair_guide_opens_on_screen_then_prints_without_fetching_again() -> None:
    state, effects = run(at_penalty_report(), S.RepairGuideRequested("P-1"))
    assert (
        state.step.view is S.ReportView.GUIDE
        and state.step.view_record == "P-1"
        and state.step.busy
    )
    assert S.FetchRepairGuide("P-1", "repair-admin-penalty", for_slip=False) in effects
    state, effects = run(state, S.RepairGuideLoaded("P-1", GUIDE, for_slip=False))
    assert state.step.guide == GUIDE and not state.step.busy
    assert kinds(effects) == []
    state, effects = run(state, S.RepairSlipRequested("P-1"))
    assert kinds(effects) == [S.PrintRepairSlip]


def test_no_guide_page_for_a_record_without_a_guide() -> None:
    state = at_penalty_report()
    assert run(state, S.RepairGuideRequested("Q-1")) == (state, [])


def test_a_guide_that_arrives_after_its_page_closed_is_not_shown() -> None:
    state, _ = run(at_penalty_report(), S.RepairGuideRequested("P-1"), S.ViewClosed())
    assert state.step.view is S.ReportView.REPORT and state.step.busy
    state, _ = run(state, S.RepairGuideLoaded("P-1", GUIDE, for_slip=False))
    assert state.step.view is S.ReportView.REPORT and not state.step.busy


def test_a_dispute_is_sent_with_the_reason_in_words_and_the_record_marked() -> None:
    state, _ = run(at_penalty_report(), S.DisputeRequested("P-1"))
    assert state.step.view is S.ReportView.DISPUTE and state.step.view_record == "P-1"
    state, effects = run(state, S.DisputeSubmitted("already_done", "  已于 2025 年\n缴清罚款 "))
    assert state.step.busy
    (dispute,) = [e for e in effects if isinstance(e, S.SendDispute)]
    assert dispute.token == "tok" and dispute.report_id == "R2" and dispute.record_id == "P-1"
    assert dispute.reason == "【我已经履行或整改完毕，记录没有更新】已于 2025 年 缴清罚款"
    state, _ = run(state, S.DisputeSent("P-1"))
    assert state.step.view is S.ReportView.REPORT and not state.step.busy
    assert state.resident.disputed == ("P-1",)
    # The same record cannot be disputed twice in a session.
    assert run(state, S.DisputeRequested("P-1")) == (state, [])


def test_a_dispute_needs_a_known_reason_and_the_words_are_bounded() -> None:
    state, _ = run(at_penalty_report(), S.DisputeRequested("P-1"))
    assert kinds(run(state, S.DisputeSubmitted("because", ""))[1]) == []
    _, effects = run(state, S.DisputeSubmitted("other", "字" * 500))
    (dispute,) = [e for e in effects if isinstance(e, S.SendDispute)]
    assert dispute.reason.count("字") == S.DISPUTE_TEXT_MAX


def test_a_record_not_in_the_report_cannot_be_disputed() -> None:
    state = at_penalty_report()
    assert run(state, S.DisputeRequested("X-9")) == (state, [])


def test_the_phone_link_shows_on_its_page_and_goes_when_the_page_closes() -> None:
    state, effects = run(at_penalty_report(), S.ShareRequested())
    assert S.ShareReport("tok", "R2") in effects and state.step.busy
    state, _ = run(state, S.ShareReady(LINK))
    assert state.step.view is S.ReportView.SHARE and state.step.share == LINK
    state, _ = run(state, S.ViewClosed())
    assert state.step.view is S.ReportView.REPORT and state.step.share is None


@pytest.mark.parametrize("ending", [S.CardRemoved(), S.TimedOut(0)])
def test_the_end_of_a_session_wipes_every_page(ending: S.Event) -> None:
    state, _ = run(at_penalty_report(), S.ShareRequested(), S.ShareReady(LINK))
    if isinstance(ending, S.TimedOut):
        ending = S.TimedOut(state.timer)
    state, _ = run(state, ending)
    assert state.phase is S.Phase.IDLE
    assert state.step.share is None and state.step.guide is None and state.step.view_record is None
    assert state.resident.disputed == () and state.resident.report is None


def test_a_failed_phone_link_keeps_the_report() -> None:
    from kiosk import errors

    state, _ = run(at_penalty_report(), S.ShareRequested())
    state, _ = run(state, S.Failed(errors.PlatformUnavailable("down")))
    assert state.phase is S.Phase.REPORT and not state.step.busy
    assert state.resident.report is PENALTY_REPORT and state.step.message is not None


def test_printing_leaves_the_pages_for_the_report() -> None:
    state, _ = run(at_penalty_report(), S.ShareRequested(), S.ShareReady(LINK))
    state, effects = run(state, S.PrintRequested())
    assert state.phase is S.Phase.PRINTING and kinds(effects) == [S.CheckPrinter]


# ---------------------------------------------------------------- language and voice


def test_language_and_mute_last_for_one_session_only() -> None:
    state, _ = run(S.SessionState(), S.CardInserted(), S.LanguageChanged("en"), S.MuteToggled())
    assert state.resident.language == "en" and state.resident.muted
    state, _ = run(state, S.LanguageChanged("fr"))  # unknown: ignored
    assert state.resident.language == "en"
    state, _ = run(state, S.CardRemoved())
    assert state.resident.language == "zh" and not state.resident.muted


def test_the_done_screen_knows_its_countdown() -> None:
    state = at_phase(S.Phase.DONE)
    assert state.step.limit_s == 15
    elder, _ = run(state, S.ElderModeToggled())
    assert elder.step.limit_s == 30


def _evidence() -> S.CardEvidence:
    return S.CardEvidence(
        holder=b"h",
        card_cert=b"c",
        sod=b"s",
        signature=b"x" * 64,
        challenge=b"y" * 32,
        ticket="t-1",
    )


def test_states_hold_no_secret_in_their_repr() -> None:
    state, _ = run(at_penalty_report(), S.ShareRequested(), S.ShareReady(LINK))
    assert LINK.url not in repr(dataclasses.replace(state))


def test_a_staff_assisted_session_is_audited_with_the_staff_id_only() -> None:

    from kiosk.offline import audit

    audit_log = audit.LoggingAuditLog()
    auditor = audit.SessionAuditor(audit_log)
    state = S.SessionState()
    events: list[S.Event] = [
        S.CardInserted(),
        S.ConsentGiven(),
        S.CardRead(_evidence()),
        S.IdentityVerified(IDENTITY),
        S.StaffChosen(),
        S.StaffConfirmed("100001", "246810"),
        S.AccessGranted("tok"),
        S.ReportLoaded(PENALTY_REPORT),
        S.CardRemoved(),
    ]
    for event in events:
        state, _ = S.transition(state, event, S.Rules())
        auditor(state)
    actions = [e.action for e in audit_log.entries]
    assert actions == ["session_started", "staff_called", "staff_assisted", "session_ended"]
    assisted = audit_log.entries[2]
    assert assisted.actor == "staff" and dict(assisted.details) == {"staff_id": "100001"}
    flat = repr(audit_log.entries)
    for personal in ("张伟", "3211", "138", "246810"):
        assert personal not in flat


def test_a_notice_lasts_until_the_next_page_and_the_newest_wins() -> None:
    state, _ = run(at_penalty_report(), S.RepairSlipRequested("P-1"))
    state, _ = run(state, S.RepairGuideLoaded("P-1", GUIDE), S.SlipPrinted("P-1"))
    assert state.step.slip_printed == "P-1"
    state, _ = run(state, S.DisputeRequested("P-1"))
    assert state.step.slip_printed is None
    state, _ = run(state, S.DisputeSubmitted("other", ""), S.DisputeSent("P-1"))
    assert state.step.dispute_sent == "P-1" and state.step.slip_printed is None
    state, _ = run(state, S.ShareRequested(), S.ShareReady(LINK))
    assert state.step.dispute_sent is None


def test_staff_confirming_answers_the_call() -> None:
    state, _ = run(at_phase(S.Phase.SECOND_FACTOR), S.StaffChosen())
    assert state.hall.staff_called
    state, _ = run(state, S.StaffConfirmed("100001", "246810"), S.AccessGranted("tok"))
    assert not state.hall.staff_called


def test_printing_reports_its_stages_and_a_fault_returns_to_the_report() -> None:
    from devices import errors as device_errors

    state, _ = run(at_penalty_report(), S.PrintRequested())
    assert state.step.print_stage is S.PrintStage.CHECKING
    state, _ = run(state, S.PrintProgress(S.PrintStage.RECEIPT))
    assert state.phase is S.Phase.PRINTING and state.step.print_stage is S.PrintStage.RECEIPT
    state, effects = run(state, S.Failed(device_errors.PaperOut("paper end")))
    assert state.phase is S.Phase.REPORT and kinds(effects) == []
    assert state.step.message is not None and state.step.message.key == "paper_out"
    # Asked again, it starts from the check again.
    state, _ = run(state, S.PrintRequested())
    assert state.step.print_stage is S.PrintStage.CHECKING
