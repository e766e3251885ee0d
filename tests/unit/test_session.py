"""The resident journey as a pure state machine: every step, timeout and way out."""

from __future__ import annotations

import dataclasses

import pytest

from devices import errors as device_errors
from kiosk import errors
from kiosk.flow import session
from tests.support.journey import (
    CERTIFIED,
    CERTIFIED_RULES,
    CHALLENGE,
    EVIDENCE,
    GUIDE,
    IDENTITY,
    JOURNEY,
    LINK,
    NO_PHONE,
    PENALTY_REPORT,
    REPORT,
    RULES,
    at_penalty_report,
    at_phase,
    kinds,
    run,
)

S = session


def test_full_journey_visits_every_phase_in_order() -> None:
    state = S.SessionState()
    seen = [state.phase]
    all_effects: list[S.Effect] = []
    for event in [*JOURNEY, S.CardRemoved()]:
        state, effects = S.transition(state, event, RULES)
        all_effects.extend(effects)
        if state.phase is not seen[-1]:
            seen.append(state.phase)
    assert seen == [
        S.Phase.IDLE,
        S.Phase.CONSENT,
        S.Phase.READING_CARD,
        S.Phase.VERIFYING,
        S.Phase.SECOND_FACTOR,
        S.Phase.REPORT,
        S.Phase.PRINTING,
        S.Phase.DONE,
        S.Phase.IDLE,
    ]
    assert kinds(all_effects) == [
        S.FetchChallenge,
        S.ReadCard,
        S.VerifyIdentity,
        S.SendOtp,
        S.VerifyOtp,
        S.FetchReport,
        S.CheckPrinter,
        S.RecordPrint,
        S.PrintReport,
        S.EndPlatformSession,
    ]


def test_a_certified_reader_reads_the_card_after_consent_and_the_platform_attests_it() -> None:
    """No challenge: the reader's security module vouches for the card (spec §2b)."""
    state = S.SessionState()
    seen: list[S.Effect] = []
    events: list[S.Event] = [
        S.CardInserted(),
        S.ConsentGiven(),
        S.CertifiedCardRead(CERTIFIED),
        S.IdentityVerified(IDENTITY),
    ]
    for event in events:
        state, effects = S.transition(state, event, CERTIFIED_RULES)
        seen.extend(e for e in effects if not isinstance(e, S.StartTimer))
    assert seen == [S.ReadCertifiedCard(), S.AttestIdentity(CERTIFIED)]
    assert state.phase is S.Phase.SECOND_FACTOR and state.resident.identity == IDENTITY
    # Nothing of the reading is kept in the state: it travelled in the event and the effect.
    assert "张伟" not in repr(state) and CERTIFIED.holder.id_number not in repr(state)


def test_a_certified_reading_says_nothing_personal_when_logged() -> None:
    text = repr(S.AttestIdentity(CERTIFIED))
    assert CERTIFIED.holder.id_number not in text and CERTIFIED.holder.name not in text


def test_a_certified_reading_arriving_late_is_ignored() -> None:
    state, _ = run(S.SessionState(), S.CardInserted(), S.ConsentGiven(), S.CardRemoved())
    assert S.transition(state, S.CertifiedCardRead(CERTIFIED), CERTIFIED_RULES) == (state, [])


def test_nothing_is_read_before_consent() -> None:
    state, effects = run(S.SessionState(), S.CardInserted())
    assert state.phase is S.Phase.CONSENT
    assert S.FetchChallenge() not in effects
    state, effects = run(state, S.ConsentDeclined())
    assert state.phase is S.Phase.IDLE
    assert kinds(effects) == []


# STAFF is no session: a test card taken out keeps staff mode (tests/ui/test_staff.py).
@pytest.mark.parametrize(
    "phase", [p for p in S.Phase if p not in {S.Phase.IDLE, S.Phase.ERROR, S.Phase.STAFF}]
)
def test_taking_the_card_out_ends_the_session_and_wipes_it(phase: S.Phase) -> None:
    state, effects = run(at_phase(phase), S.CardRemoved())
    assert state.phase is S.Phase.IDLE
    assert (
        state.resident.identity is None
        and state.resident.report is None
        and state.resident.access_token is None
    )
    if phase in {S.Phase.SECOND_FACTOR, S.Phase.REPORT, S.Phase.PRINTING, S.Phase.DONE}:
        assert S.EndPlatformSession("sess-1") in effects


@pytest.mark.parametrize("phase", [p for p in S.Phase if p is not S.Phase.IDLE])
def test_inactivity_ends_every_phase(phase: S.Phase) -> None:
    if phase is S.Phase.ERROR:
        state = run(at_phase(S.Phase.VERIFYING), S.Failed(errors.CardInvalid("sod_signature")))[0]
    elif phase is S.Phase.STAFF:
        state = run(S.SessionState(), S.StaffModeRequested())[0]
    else:
        state = at_phase(phase)
    state, _ = run(state, S.TimedOut(state.timer))
    assert state.phase is S.Phase.IDLE
    assert state.resident.report is None


def test_a_stale_timer_is_ignored() -> None:
    state = at_phase(S.Phase.CONSENT)
    old_timer = state.timer
    state, effects = run(state, S.UserActive())
    # 40 s of quiet, then "are you still there?" for the last 20 s of the minute.
    assert [e for e in effects if isinstance(e, S.StartTimer)] == [
        S.StartTimer(40, state.timer, warn=True)
    ]
    state, _ = run(state, S.TimedOut(old_timer))
    assert state.phase is S.Phase.CONSENT


def test_elder_mode_doubles_timeouts_and_resets_after_the_session() -> None:
    state, _ = run(S.SessionState(), S.ElderModeToggled())
    assert state.resident.elder_mode
    state, effects = run(state, S.CardInserted())
    assert effects == [S.StartTimer(80, state.timer, warn=True)]  # 120 s, the last 40 warned
    state, _ = run(state, S.CardRemoved())
    assert not state.resident.elder_mode


def test_resident_without_phone_goes_straight_to_staff_and_cannot_ask_for_sms() -> None:
    state, _ = run(at_phase(S.Phase.VERIFYING), S.IdentityVerified(NO_PHONE))
    assert state.step.factor is S.Factor.STAFF
    state, effects = run(state, S.SmsChosen())
    assert kinds(effects) == []
    state, effects = run(state, S.StaffConfirmed("100001", "246810"))
    assert kinds(effects) == [S.StaffAssist]


def test_wrong_code_keeps_the_resident_on_the_code_screen_with_attempts_left() -> None:
    state, _ = run(
        at_phase(S.Phase.SECOND_FACTOR), S.SmsChosen(), S.OtpSent(60), S.OtpEntered("000000")
    )
    assert state.step.busy
    state, effects = run(state, S.Failed(errors.PlatformRejected("wrong_code", attempts_left=4)))
    assert state.phase is S.Phase.SECOND_FACTOR and not state.step.busy
    assert state.step.message is not None and state.step.message.attempts_left == 4
    assert kinds(effects) == []


def test_locked_session_ends_with_an_explanation() -> None:
    state = at_phase(S.Phase.SECOND_FACTOR)
    state, effects = run(state, S.Failed(errors.PlatformRejected("locked")))
    assert state.phase is S.Phase.ERROR
    assert state.resident.identity is None
    assert state.step.message is not None and state.step.message.key == "locked"
    assert S.EndPlatformSession("sess-1") in effects


def test_card_refused_shows_a_plain_message_not_the_reason_code() -> None:
    state, _ = run(at_phase(S.Phase.VERIFYING), S.Failed(errors.CardInvalid("holder_hash")))
    assert state.phase is S.Phase.ERROR
    assert state.step.message is not None
    assert "holder_hash" not in state.step.message.body
    assert "工作人员" in state.step.message.body


def test_printer_fault_returns_to_the_report_and_never_reprints_by_itself() -> None:
    state = at_phase(S.Phase.PRINTING)
    state, effects = run(state, S.Failed(device_errors.PaperOut("paper end")))
    assert state.phase is S.Phase.REPORT
    assert state.resident.report is REPORT
    assert state.step.message is not None and state.step.message.can_retry
    assert kinds(effects) == []
    state, effects = run(state, S.PrintRequested())
    assert kinds(effects) == [S.CheckPrinter]


@pytest.mark.parametrize("code", ["session_expired", "session_not_found"])
@pytest.mark.parametrize("phase", [S.Phase.PRINTING, S.Phase.REPORT])
def test_a_session_the_platform_no_longer_knows_ends_instead_of_offering_the_print_again(
    code: str, phase: S.Phase
) -> None:
    state = at_phase(phase)
    if phase is S.Phase.REPORT:  # a repair slip or a dispute in flight
        state = dataclasses.replace(
            state, step=dataclasses.replace(state.step, pending=S.Pending.SLIP)
        )
    gone = errors.PlatformRejected(code, "the platform forgot it", status=410)
    state, effects = run(state, S.Failed(gone))
    assert state.phase is S.Phase.ERROR
    assert state.resident.report is None and state.resident.identity is None
    assert state.step.message is not None and state.step.message.key == code
    assert not state.step.message.can_retry
    assert S.EndPlatformSession in kinds(effects)


def test_results_arriving_after_the_session_ended_are_ignored() -> None:
    idle = S.SessionState()
    late_events: list[S.Event] = [
        S.CardRead(EVIDENCE),
        S.IdentityVerified(IDENTITY),
        S.AccessGranted("t"),
        S.ReportLoaded(REPORT),
        S.Printed(),
        S.Failed(RuntimeError("x")),
    ]
    for late in late_events:
        assert run(idle, late) == (idle, [])


def test_unexpected_bug_becomes_a_generic_message() -> None:
    state, _ = run(at_phase(S.Phase.READING_CARD), S.Failed(RuntimeError("boom")))
    assert state.phase is S.Phase.ERROR
    assert state.step.message is not None and state.step.message.key == "internal_error"
    assert "boom" not in state.step.message.body


def test_an_expired_token_asks_for_a_second_factor_again_without_the_card() -> None:
    state = at_phase(S.Phase.REPORT)
    state, effects = run(state, S.Failed(errors.PlatformRejected("token_expired")))
    assert state.phase is S.Phase.SECOND_FACTOR
    assert state.resident.identity is IDENTITY  # the platform session lives on
    assert state.resident.access_token is None
    assert state.resident.report is None
    assert state.step.factor is S.Factor.CHOOSING
    assert kinds(effects) == []  # no card read, no session ended
    state, effects = run(
        state,
        S.SmsChosen(),
        S.OtpSent(60),
        S.OtpEntered("654321"),
        S.AccessGranted("tok-2"),
        S.ReportLoaded(REPORT),
    )
    assert state.phase is S.Phase.REPORT
    assert kinds(effects) == [S.SendOtp, S.VerifyOtp, S.FetchReport]


def test_an_expired_session_starts_over() -> None:
    state, effects = run(
        at_phase(S.Phase.REPORT), S.Failed(errors.PlatformRejected("session_expired"))
    )
    assert state.phase is S.Phase.ERROR
    assert state.resident.identity is None
    assert kinds(effects) == [S.EndPlatformSession]


def test_a_repair_slip_prints_without_leaving_the_report() -> None:
    state, effects = run(at_penalty_report(), S.RepairSlipRequested("P-1"))
    assert state.phase is S.Phase.REPORT
    assert state.step.busy
    assert effects[0] == S.FetchRepairGuide("P-1", "repair-admin-penalty")
    state, effects = run(state, S.PrintRequested())  # one print job at a time
    assert kinds(effects) == []
    state, effects = run(state, S.RepairGuideLoaded("P-1", GUIDE))
    assert effects == [S.PrintRepairSlip(PENALTY_REPORT, "P-1", GUIDE, large_print=False)]
    state, _ = run(state, S.SlipPrinted("P-1"))
    assert state.phase is S.Phase.REPORT
    assert not state.step.busy
    assert state.step.slip_printed == "P-1"


def test_no_slip_for_a_record_without_a_guide() -> None:
    state = at_penalty_report()
    assert run(state, S.RepairSlipRequested("Q-1")) == (state, [])


def test_a_failed_repair_slip_keeps_the_report_and_explains() -> None:
    state, _ = run(at_penalty_report(), S.RepairSlipRequested("P-1"))
    state, effects = run(state, S.Failed(device_errors.PaperOut("paper end")))
    assert state.phase is S.Phase.REPORT
    assert state.resident.report is PENALTY_REPORT
    assert state.step.message is not None
    assert state.step.message.key == "paper_out"
    assert kinds(effects) == []


# ---------------------------------------------------------------- reader unusable


def test_a_reader_that_cannot_be_used_is_said_until_it_is_back() -> None:
    state = at_phase(S.Phase.REPORT)
    # Mid-session the reader's own "card removed" ends the session; the status only marks
    # the hall, and outlives the session.
    state, effects = S.transition(state, S.ReaderStatusChanged(False, "no_reader"), RULES)
    assert state.phase is S.Phase.REPORT and effects == []
    state, _ = S.transition(state, S.CardRemoved(), RULES)
    assert state.phase is S.Phase.IDLE
    assert (state.hall.reader_ready, state.hall.reader_problem) == (False, "no_reader")
    state, _ = S.transition(state, S.ReaderStatusChanged(True), RULES)
    assert (state.hall.reader_ready, state.hall.reader_problem) == (True, "")


# ---------------------------------------------------------------- platform offline

OFFLINE = S.PlatformStatusChanged(online=False)
ONLINE = S.PlatformStatusChanged(online=True)


@pytest.mark.parametrize(
    ("start", "events", "phase", "online", "message"),
    [
        # An offline idle kiosk refuses a card plainly; nothing is read (no ReadCard).
        (S.Phase.IDLE, [OFFLINE, S.CardInserted()], S.Phase.ERROR, False, "platform_offline"),
        # Putting the card on again while still offline: the same answer, still no reading.
        (
            S.Phase.IDLE,
            [OFFLINE, S.CardInserted(), S.CardInserted()],
            S.Phase.ERROR,
            False,
            "platform_offline",
        ),
        # Taking it out: back to idle, still offline.
        (S.Phase.IDLE, [OFFLINE, S.CardInserted(), S.CardRemoved()], S.Phase.IDLE, False, None),
        # The platform returns: the next card starts a session as usual.
        (S.Phase.IDLE, [OFFLINE, ONLINE, S.CardInserted()], S.Phase.CONSENT, True, None),
        # Offline mid-session: the session goes on (its own calls fail or succeed)...
        (S.Phase.REPORT, [OFFLINE], S.Phase.REPORT, False, None),
        # ...and the flag survives the session's end.
        (S.Phase.REPORT, [OFFLINE, S.CardRemoved()], S.Phase.IDLE, False, None),
        # Staff mode is not affected.
        (S.Phase.IDLE, [OFFLINE, S.StaffModeRequested()], S.Phase.STAFF, False, None),
    ],
)
def test_platform_offline_table(
    start: S.Phase,
    events: list[S.Event],
    phase: S.Phase,
    online: bool,
    message: str | None,
) -> None:
    state = at_phase(start)
    all_effects: list[S.Effect] = []
    for event in events:
        state, effects = S.transition(state, event, RULES)
        all_effects += effects
    assert state.phase is phase
    assert state.hall.online is online
    assert (state.step.message.key if state.step.message else None) == message
    if start is S.Phase.IDLE:
        assert S.ReadCard not in kinds(all_effects)


def test_offline_refusal_ends_by_timeout_like_any_error() -> None:
    state, _ = run(S.SessionState(), OFFLINE, S.CardInserted())
    state, _ = run(state, S.TimedOut(state.timer))
    assert (state.phase, state.hall.online, state.step.message) == (S.Phase.IDLE, False, None)


# ---------------------------------------------------------------- "are you still there?"
def at_warned(phase: S.Phase) -> S.SessionState:
    """``phase`` reached honestly (ERROR through a refused card)."""
    if phase is S.Phase.ERROR:
        return run(at_phase(S.Phase.VERIFYING), S.Failed(errors.CardInvalid("sod_signature")))[0]
    return at_phase(phase)


LONG_DONE = dataclasses.replace(RULES, done=60, error=60)


@pytest.mark.parametrize(
    ("phase", "elder", "rules", "expected"),
    [
        # phase, elder mode, rules -> the timer started on entering: (seconds, warn)
        (S.Phase.CONSENT, False, RULES, (40, True)),
        (S.Phase.CONSENT, True, RULES, (80, True)),  # 120 s, warned for the last 40
        (S.Phase.SECOND_FACTOR, False, RULES, (160, True)),
        (S.Phase.REPORT, False, RULES, (160, True)),
        (S.Phase.REPORT, True, RULES, (320, True)),
        (S.Phase.READING_CARD, False, RULES, (30, False)),  # the resident only waits
        (S.Phase.VERIFYING, False, RULES, (30, False)),
        (S.Phase.PRINTING, False, RULES, (60, False)),
        (S.Phase.DONE, False, RULES, (15, False)),  # shorter than the warning itself
        (S.Phase.ERROR, False, RULES, (20, False)),
        (S.Phase.DONE, False, LONG_DONE, (40, True)),
        (S.Phase.ERROR, False, LONG_DONE, (40, True)),
        (S.Phase.REPORT, False, dataclasses.replace(RULES, warn_before_s=0), (180, False)),
    ],
)
def test_which_phases_warn_before_they_end(
    phase: S.Phase, elder: bool, rules: S.Rules, expected: tuple[float, bool]
) -> None:
    state = at_warned(phase)
    state = dataclasses.replace(
        state, resident=dataclasses.replace(state.resident, elder_mode=elder)
    )
    state, effects = S.transition(state, S.UserActive(), rules)
    assert effects == [S.StartTimer(expected[0], state.timer, warn=expected[1])]


def test_staff_mode_is_never_warned() -> None:
    state, effects = run(S.SessionState(), S.StaffModeRequested())
    assert effects == [S.StartTimer(60, state.timer)]
    assert run(state, S.WarnInactive(state.timer))[0] is state


def test_the_warning_counts_down_then_the_session_ends_and_is_wiped() -> None:
    state = at_phase(S.Phase.REPORT)
    state, effects = run(state, S.WarnInactive(state.timer))
    assert state.phase is S.Phase.REPORT and state.resident.report is not None
    assert state.step.still_there_s == 20
    assert effects == [S.StartTimer(20, state.timer)]  # same generation: the end itself
    state, effects = run(state, S.TimedOut(state.timer))
    assert state == S.SessionState(timer=state.timer)
    assert effects == [S.EndPlatformSession("sess-1")]


def test_a_touch_during_the_warning_continues_the_session() -> None:
    state = at_phase(S.Phase.SECOND_FACTOR)
    warned, _ = run(state, S.WarnInactive(state.timer))
    touched, effects = run(warned, S.UserActive())
    assert touched.step.still_there_s == 0
    assert touched.phase is S.Phase.SECOND_FACTOR and touched.resident.identity == IDENTITY
    assert effects == [S.StartTimer(160, touched.timer, warn=True)]
    # The end scheduled by the warning is stale now.
    assert run(touched, S.TimedOut(warned.timer))[0] is touched


def test_elder_mode_warns_longer() -> None:
    state = dataclasses.replace(
        at_phase(S.Phase.CONSENT),
        resident=dataclasses.replace(at_phase(S.Phase.CONSENT).resident, elder_mode=True),
    )
    state, effects = run(state, S.WarnInactive(state.timer))
    assert state.step.still_there_s == 40
    assert effects == [S.StartTimer(40, state.timer)]


@pytest.mark.parametrize(
    "event",
    [S.ConsentGiven(), S.ElderModeToggled(), S.CardRemoved()],
)
def test_anything_that_restarts_the_timer_clears_the_warning(event: S.Event) -> None:
    state = at_phase(S.Phase.CONSENT)
    state, _ = run(state, S.WarnInactive(state.timer))
    state, _ = run(state, event)
    assert state.step.still_there_s == 0


def test_stale_or_repeated_warnings_are_ignored() -> None:
    state = at_phase(S.Phase.CONSENT)
    assert run(state, S.WarnInactive(state.timer - 1))[0] is state
    warned, _ = run(state, S.WarnInactive(state.timer))
    assert run(warned, S.WarnInactive(warned.timer))[0] is warned
    idle = S.SessionState(timer=3)
    assert run(idle, S.WarnInactive(3))[0] is idle


# ---------------------------------------------------------------- "call staff"
@pytest.mark.parametrize("phase", [p for p in S.Phase if p is not S.Phase.STAFF])
def test_staff_can_be_called_from_every_resident_screen(phase: S.Phase) -> None:
    before = at_warned(phase) if phase is not S.Phase.IDLE else S.SessionState()
    state, effects = run(before, S.StaffCallRequested())
    assert state.hall.staff_called and state.hall.staff_call == 1
    assert effects == [S.StartStaffCallTimer(60, 1)]
    # Nothing else moves: same screen, same inactivity timer, same data.
    assert (
        dataclasses.replace(
            state, hall=dataclasses.replace(state.hall, staff_called=False, staff_call=0)
        )
        == before
    )


def test_calling_again_while_called_changes_nothing() -> None:
    called, _ = run(S.SessionState(), S.StaffCallRequested())
    assert run(called, S.StaffCallRequested()) == (called, [])


def test_no_staff_call_from_staff_mode() -> None:
    staff, _ = run(S.SessionState(), S.StaffModeRequested())
    assert run(staff, S.StaffCallRequested()) == (staff, [])


def test_the_call_expires_and_a_stale_expiry_is_ignored() -> None:
    called, _ = run(S.SessionState(), S.StaffCallRequested())
    state, _ = run(called, S.StaffCallExpired(called.hall.staff_call))
    assert not state.hall.staff_called
    again, effects = run(state, S.StaffCallRequested())
    assert again.hall.staff_call == 2 and effects == [S.StartStaffCallTimer(60, 2)]
    assert run(again, S.StaffCallExpired(1))[0] is again


def test_opening_staff_mode_answers_the_call() -> None:
    called, _ = run(S.SessionState(), S.StaffCallRequested())
    state, _ = run(called, S.StaffModeRequested())
    assert state.phase is S.Phase.STAFF and not state.hall.staff_called
    assert run(state, S.StaffCallExpired(called.hall.staff_call))[0] is state


@pytest.mark.parametrize("ending", [S.CardRemoved(), S.ConsentDeclined(), S.TimedOut(-1)], ids=repr)
def test_a_call_outlives_the_session_that_made_it(ending: S.Event) -> None:
    state, _ = run(at_phase(S.Phase.CONSENT), S.StaffCallRequested())
    if isinstance(ending, S.TimedOut):
        ending = S.TimedOut(state.timer)
    state, _ = run(state, ending)
    assert state.phase is S.Phase.IDLE and state.hall.staff_called and state.hall.staff_call == 1
    state, _ = run(state, S.CardInserted())
    assert state.phase is S.Phase.CONSENT and state.hall.staff_called


# ---------------------------------------------------------------- issue 13: conformance


def test_a_platform_wait_shows_until_the_call_answers() -> None:
    state = at_phase(S.Phase.VERIFYING)
    state, effects = run(state, S.PlatformBusy(2.0))
    assert state.step.platform_busy and effects == []
    state, _ = run(state, S.IdentityVerified(IDENTITY))
    assert not state.step.platform_busy
    idle, _ = run(S.SessionState(), S.PlatformBusy(2.0))
    assert not idle.step.platform_busy  # a late notice from an ended session changes nothing


def test_a_lost_verify_signs_a_new_challenge_once() -> None:
    state = at_phase(S.Phase.VERIFYING)
    state, effects = run(state, S.ChallengeRenewed(EVIDENCE, CHALLENGE))
    assert state.resident.verify_renewed and effects == [S.SignChallenge(EVIDENCE, CHALLENGE)]
    state, effects = run(state, S.CardRead(EVIDENCE))
    assert effects == [S.VerifyIdentity(EVIDENCE, may_renew=False)]
    assert run(state, S.ChallengeRenewed(EVIDENCE, CHALLENGE)) == (state, [])
    state, _ = run(state, S.Failed(errors.PlatformUnavailable("down", status=503)))
    assert state.phase is S.Phase.ERROR and state.step.card_refused is None


@pytest.mark.parametrize(
    ("error", "refusal"),
    [
        (errors.CardInvalid("sod_signature"), S.CardRefusal("sod_signature", "terminal")),
        (
            errors.PlatformRejected("card_invalid", reason="unknown_resident", status=422),
            S.CardRefusal("unknown_resident", "platform"),
        ),
        (
            errors.PlatformRejected("card_reported_lost", status=403),
            S.CardRefusal("card_reported_lost", "platform"),
        ),
        (device_errors.SecurityModuleRejected(0x31), S.CardRefusal("security_module", "terminal")),
        (
            errors.PlatformRejected("attestation_not_allowed", reason="sam_mismatch", status=403),
            S.CardRefusal("sam_mismatch", "platform"),
        ),
        (errors.PlatformUnavailable("down"), None),
    ],
)
def test_a_refused_card_carries_its_reason_for_the_audit(
    error: BaseException, refusal: S.CardRefusal | None
) -> None:

    from kiosk.offline import audit

    audit_log = audit.LoggingAuditLog()
    auditor = audit.SessionAuditor(audit_log)
    state = S.SessionState()
    events: list[S.Event] = [S.CardInserted(), S.ConsentGiven(), S.CardRead(EVIDENCE)]
    for event in [*events, S.Failed(error)]:
        state, _ = S.transition(state, event, RULES)
        auditor(state)
    assert state.phase is S.Phase.ERROR and state.step.card_refused == refusal
    refused = [e for e in audit_log.entries if e.action == "card_refused"]
    if refusal is None:
        assert refused == []
    else:
        assert [dict(e.details) for e in refused] == [{"reason": refusal.reason, "by": refusal.by}]


def test_printing_records_the_copy_between_the_printer_check_and_the_paper() -> None:
    state = at_phase(S.Phase.REPORT)
    state, effects = run(state, S.PrintRequested())
    assert kinds(effects) == [S.CheckPrinter]
    state, effects = run(state, S.PrinterReady())
    assert state.step.print_stage is S.PrintStage.RECORDING
    assert effects == [S.RecordPrint("tok", "R1")]
    state, effects = run(state, S.PrintRecorded(a4=True))
    assert effects == [S.PrintReport(REPORT, False, a4=True)]
    # The record refused for an expired token: the second factor again, nothing printed.
    expired = errors.PlatformRejected("token_expired", status=401)
    again, effects = run(at_phase(S.Phase.PRINTING), S.PrinterReady(), S.Failed(expired))
    assert again.phase is S.Phase.SECOND_FACTOR and again.resident.report is None
    assert S.PrintReport not in kinds(effects)


def test_staff_credentials_out_of_format_are_never_sent() -> None:
    state, _ = run(at_phase(S.Phase.SECOND_FACTOR), S.StaffChosen())
    for staff_id, pin in (("ST-001", "1357"), ("A" * 17, "1357"), ("ST001", "123"), ("", "1357")):
        assert run(state, S.StaffConfirmed(staff_id, pin)) == (state, [])
    _, effects = run(state, S.StaffConfirmed("ST001", "13579"))
    assert S.StaffAssist("sess-1", "ST001", "13579") in effects


# ---------------------------------------------------------------- less travelled ways


def test_a_phase_without_a_limit_starts_no_timer() -> None:
    rules = dataclasses.replace(RULES, consent=0)
    state, effects = S.transition(S.SessionState(), S.CardInserted(), rules)
    assert state.phase is S.Phase.CONSENT and state.step.limit_s == 0
    assert effects == []


def test_no_phone_on_file_turns_the_resident_to_staff_with_a_message() -> None:
    state, _ = run(at_phase(S.Phase.SECOND_FACTOR), S.SmsChosen())
    state, effects = run(
        state, S.Failed(errors.PlatformRejected(errors.PlatformCode.NO_PHONE_ON_FILE))
    )
    assert state.phase is S.Phase.SECOND_FACTOR and state.step.factor is S.Factor.STAFF
    assert state.step.message is not None and state.step.message.key == "no_phone_on_file"
    assert not state.step.busy and effects == []


def test_a_card_put_back_after_an_error_starts_over_with_the_same_settings() -> None:
    state, _ = run(at_phase(S.Phase.CONSENT), S.ElderModeToggled(), S.LanguageChanged("en"))
    state, _ = run(state, S.MuteToggled(), S.ConsentGiven(), S.Failed(device_errors.CardRemoved()))
    assert state.phase is S.Phase.ERROR
    state, effects = run(state, S.CardInserted())
    assert state.phase is S.Phase.CONSENT and state.step.message is None
    # The same person trying again keeps large text, language and silence.
    assert state.resident.elder_mode and state.resident.language == "en" and state.resident.muted
    assert [type(e) for e in effects] == [S.StartTimer]


def test_finishing_on_the_report_screen_says_goodbye_and_drops_the_phone_link() -> None:
    state, _ = run(at_penalty_report(), S.ShareRequested(), S.ShareReady(LINK))
    assert state.step.share is not None
    state, _ = run(state, S.Finished())
    assert state.phase is S.Phase.DONE
    assert state.step.share is None and state.step.view is S.ReportView.REPORT


def test_a_guide_already_loaded_opens_again_without_asking_the_platform() -> None:
    state, _ = run(
        at_penalty_report(),
        S.RepairGuideRequested("P-1"),
        S.RepairGuideLoaded("P-1", GUIDE, for_slip=False),
        S.ViewClosed(),
    )
    assert state.step.view is S.ReportView.REPORT
    state, effects = run(state, S.RepairGuideRequested("P-1"))
    assert state.step.view is S.ReportView.GUIDE and state.step.guide == GUIDE
    assert kinds(effects) == []


def test_report_screen_events_without_a_report_change_nothing() -> None:
    # A state no journey reaches (the report and token are set together); defended anyway.
    broken = dataclasses.replace(
        at_penalty_report(), resident=dataclasses.replace(at_penalty_report().resident, report=None)
    )
    assert S.transition(broken, S.PrintRequested(), RULES) == (broken, [])


def test_finishing_on_the_error_screen_ends_at_once() -> None:
    state, _ = run(at_phase(S.Phase.READING_CARD), S.Failed(device_errors.CardRemoved()))
    assert state.phase is S.Phase.ERROR
    state, _ = run(state, S.Finished())
    assert state.phase is S.Phase.IDLE and state.step.message is None


def test_each_wait_says_what_it_waits_for() -> None:
    state = S.SessionState()
    seen: list[S.Pending | None] = []
    for event in JOURNEY:
        state, _ = S.transition(state, event, RULES)
        seen.append(state.step.pending)
    assert seen == [
        None,  # consent asked
        S.Pending.CARD,  # the challenge, then the card
        S.Pending.CARD,
        S.Pending.VERIFY,
        None,  # the choice of second factor
        S.Pending.OTP_SEND,
        None,  # the code is out: the resident types
        S.Pending.OTP_CHECK,
        S.Pending.REPORT,
        None,  # the report is on screen
        S.Pending.PRINT,
        S.Pending.PRINT,
        S.Pending.PRINT,
        None,  # printed
    ]
    assert not state.step.busy


@pytest.mark.parametrize(
    ("event", "pending"),
    [
        (S.RepairGuideRequested("P-1"), S.Pending.GUIDE),
        (S.RepairSlipRequested("P-1"), S.Pending.SLIP),
        (S.ShareRequested(), S.Pending.SHARE),
    ],
)
def test_the_report_pages_say_what_they_wait_for(event: S.Event, pending: S.Pending) -> None:
    state, _ = run(at_penalty_report(), event)
    assert state.step.pending is pending and state.step.busy


def test_a_dispute_waits_for_the_platform_and_a_staff_check_for_the_pin() -> None:
    state, _ = run(at_penalty_report(), S.DisputeRequested("P-1"), S.DisputeSubmitted("other"))
    assert state.step.pending is S.Pending.DISPUTE
    state, _ = run(
        at_phase(S.Phase.SECOND_FACTOR), S.StaffChosen(), S.StaffConfirmed("ST001", "2468")
    )
    assert state.step.pending is S.Pending.STAFF_CHECK
