"""The face check as a second factor in the pure state machine (platform-api §2, §3b):
offered first where the platform and this kiosk can do it, consent before the photo is read
or the camera starts, every attempt reported, the other ways always one touch away."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from devices import errors as device_errors
from kiosk import errors
from kiosk.flow import session
from kiosk.platform import models
from tests.support.journey import IDENTITY, NO_PHONE, REPORT, at_phase, kinds, run

S = session
CST = dt.timezone(dt.timedelta(hours=8))
NOTICE = models.FaceNotice("face-2026-12", "刷脸核验告知", "将您的面部与证件照片比对。")
POLICY = models.FacePolicy(
    min_scores={"sface-2021dec": 0.363}, liveness=("head_turn",), attempts=3, notice=NOTICE
)
FACE_IDENTITY = dataclasses.replace(
    IDENTITY, second_factors=("sms_otp", "staff_assist", "face"), face_policy=POLICY
)
PHOTO = S.CardPhoto("ab" * 32)
AGREED_AT = dt.datetime(2026, 12, 7, 10, 1, tzinfo=CST)


def verified(
    identity: models.IdentitySession = FACE_IDENTITY,
    *,
    ready: bool = True,
    elder: bool = False,
) -> S.SessionState:
    state = at_phase(S.Phase.VERIFYING)
    if elder:
        state = dataclasses.replace(
            state, resident=dataclasses.replace(state.resident, elder_mode=True)
        )
    state, _ = run(state, S.IdentityVerified(identity, card_photo=PHOTO, face_ready=ready))
    return state


def looking() -> S.SessionState:
    state, _ = run(
        verified(), S.FaceChosen(), S.FaceConsentGiven(AGREED_AT), S.FacePrompted("turn_left")
    )
    return state


def checked(score: float = 0.7, passed: bool = True, reason: str | None = None) -> S.Result:
    return run(looking(), S.FaceAttemptDone(score, passed, reason, "ab" * 32))


def rejected(left: int | None) -> S.Failed:
    return S.Failed(errors.PlatformRejected("face_rejected", status=403, attempts_left=left))


def test_face_is_offered_where_the_platform_and_the_kiosk_can_do_it() -> None:
    state = verified()
    assert state.phase is S.Phase.SECOND_FACTOR and state.step.factor is S.Factor.CHOOSING
    assert state.resident.face_offered and state.resident.face_attempts_left == 3
    assert state.resident.card_photo == PHOTO


@pytest.mark.parametrize(
    ("identity", "ready"),
    [
        (FACE_IDENTITY, False),  # the camera or the models are not working
        (IDENTITY, True),  # the platform does not offer it
        (dataclasses.replace(FACE_IDENTITY, face_policy=None), True),
        (
            dataclasses.replace(
                FACE_IDENTITY,
                face_policy=dataclasses.replace(POLICY, min_scores={"other-model": 0.5}),
            ),
            True,
        ),
        (
            dataclasses.replace(
                FACE_IDENTITY, face_policy=dataclasses.replace(POLICY, liveness=("blink",))
            ),
            True,
        ),
    ],
    ids=["kiosk-not-ready", "not-offered", "no-policy", "unknown-model", "unknown-liveness"],
)
def test_face_is_not_offered_otherwise_and_the_photo_is_not_kept(
    identity: models.IdentitySession, ready: bool
) -> None:
    state = verified(identity, ready=ready)
    assert not state.resident.face_offered and state.resident.card_photo is None
    assert run(state, S.FaceChosen())[0] == state


def test_a_resident_without_a_phone_chooses_between_face_and_staff() -> None:
    no_phone = dataclasses.replace(
        NO_PHONE, second_factors=("staff_assist", "face"), face_policy=POLICY
    )
    assert verified(no_phone).step.factor is S.Factor.CHOOSING
    assert verified(no_phone, ready=False).step.factor is S.Factor.STAFF


def test_large_text_offers_the_face_check_first_instead_of_sending_a_code() -> None:
    state = verified(elder=True)
    assert state.step.factor is S.Factor.CHOOSING and not state.step.busy
    assert verified(elder=True, ready=False).step.factor is S.Factor.SMS


def test_consent_comes_before_the_photo_and_the_camera() -> None:
    state, effects = run(verified(), S.FaceChosen())
    assert state.step.factor is S.Factor.FACE and state.step.face_stage is S.FaceStage.CONSENT
    assert kinds(effects) == []  # nothing is read, the camera stays off
    state, effects = run(state, S.FaceConsentGiven(AGREED_AT))
    assert state.resident.face_consented_at == AGREED_AT
    assert state.step.pending is S.Pending.FACE and state.step.face_stage is S.FaceStage.PREPARING
    assert [e for e in effects if isinstance(e, S.RunFaceCheck)] == [S.RunFaceCheck(PHOTO, 30)]


def test_large_text_doubles_the_attempts_time() -> None:
    _, effects = run(verified(elder=True), S.FaceChosen(), S.FaceConsentGiven(AGREED_AT))
    assert S.RunFaceCheck(PHOTO, 60) in effects


def test_declining_costs_nothing() -> None:
    state, _ = run(verified(), S.FaceChosen(), S.FaceDeclined())
    assert state.step.factor is S.Factor.CHOOSING and state.resident.face_offered


def test_one_instruction_at_a_time_while_the_camera_is_on() -> None:
    state = looking()
    assert state.step.face_stage is S.FaceStage.LOOKING and state.step.face_prompt == "turn_left"
    assert state.step.busy
    # A prompt arriving after the resident chose another way changes nothing.
    other, _ = run(state, S.FaceDeclined())
    assert run(other, S.FacePrompted("turn_right"))[0] == other


def test_every_attempt_is_reported_with_the_consent_and_no_image() -> None:
    state, effects = checked(score=0.71)
    assert state.step.pending is S.Pending.FACE_CHECK
    assert state.step.face_stage is S.FaceStage.CHECKING and state.step.face_prompt is None
    (report,) = [e for e in effects if isinstance(e, S.ReportFaceAttempt)]
    assert report.session_id == FACE_IDENTITY.session_id
    assert report.attempt == models.FaceAttemptReport(
        model="sface-2021dec",
        score=0.71,
        reference_sha256="ab" * 32,
        liveness_method="head_turn",
        liveness_passed=True,
        notice_version="face-2026-12",
        consented_at=AGREED_AT,
    )


def test_a_failed_liveness_run_is_reported_too_and_its_reason_kept_for_the_hints() -> None:
    state, effects = checked(score=0.0, passed=False, reason="frozen")
    assert state.step.face_failure == "frozen"
    (report,) = [e for e in effects if isinstance(e, S.ReportFaceAttempt)]
    assert not report.attempt.liveness_passed


def test_a_score_beyond_a_cosine_is_clamped() -> None:
    _, effects = checked(score=1.2)
    (report,) = [e for e in effects if isinstance(e, S.ReportFaceAttempt)]
    assert report.attempt.score == 1.0


def test_a_pass_fetches_the_report_and_drops_the_photo() -> None:
    state, _ = checked()
    state, effects = run(state, S.AccessGranted("tok"))
    assert S.FetchReport("tok") in effects and state.resident.card_photo is None
    assert state.resident.assisted_by is None
    state, _ = run(state, S.ReportLoaded(REPORT))
    assert state.phase is S.Phase.REPORT


def test_a_rejection_offers_another_attempt_with_hints() -> None:
    state, _ = checked(score=0.2)
    state, _ = run(state, rejected(2))
    assert state.step.face_stage is S.FaceStage.RETRY and not state.step.busy
    assert state.resident.face_attempts_left == 2
    assert state.step.face_failure == "score"
    assert state.step.message is not None and state.step.message.key == "face_rejected"
    state, effects = run(state, S.FaceRetryRequested())
    assert state.step.face_stage is S.FaceStage.PREPARING and state.step.message is None
    assert S.RunFaceCheck(PHOTO, 30) in effects


@pytest.mark.parametrize(
    "failure",
    [
        rejected(0),
        rejected(None),
        S.Failed(errors.PlatformRejected("factor_unavailable", status=409)),
    ],
    ids=["last-attempt", "no-count", "factor-closed"],
)
def test_after_the_last_attempt_the_other_ways_with_kind_words(failure: S.Failed) -> None:
    state, _ = checked(score=0.2)
    state, _ = run(state, failure)
    assert state.phase is S.Phase.SECOND_FACTOR and state.step.factor is S.Factor.CHOOSING
    assert state.step.message == errors.FACE_CLOSED
    assert not state.resident.face_offered and state.resident.card_photo is None
    assert run(state, S.FaceChosen())[0] == state  # not offered again


@pytest.mark.parametrize(
    "error",
    [
        device_errors.CameraUnavailable("unplugged"),
        device_errors.PhotoNotDecodable("bad block"),
        errors.FaceCheckUnavailable("no face in the card photo"),
    ],
    ids=["camera", "photo-block", "photo"],
)
def test_a_face_check_that_cannot_go_on_leaves_the_other_ways(error: Exception) -> None:
    state, _ = run(looking(), S.Failed(error))
    assert state.step.factor is S.Factor.CHOOSING and state.step.message == errors.FACE_UNAVAILABLE
    assert not state.resident.face_offered and not state.step.busy


def test_without_a_phone_the_face_check_ending_sends_for_staff() -> None:
    no_phone = dataclasses.replace(
        NO_PHONE, second_factors=("staff_assist", "face"), face_policy=POLICY
    )
    state, _ = run(
        verified(no_phone),
        S.FaceChosen(),
        S.FaceConsentGiven(AGREED_AT),
        S.Failed(device_errors.CameraUnavailable("unplugged")),
    )
    assert state.step.factor is S.Factor.STAFF


def test_a_card_photo_that_does_not_match_its_sod_ends_the_session_as_forged() -> None:
    state, effects = run(looking(), S.Failed(errors.CardInvalid("photo_hash")))
    assert state.phase is S.Phase.ERROR
    assert state.step.card_refused == S.CardRefusal("photo_hash", "terminal")
    assert S.EndPlatformSession(FACE_IDENTITY.session_id) in effects
    assert state.resident.card_photo is None and state.resident.identity is None


def test_an_attempt_ended_by_another_way_is_not_reported() -> None:
    state, _ = run(looking(), S.FaceDeclined())
    late, effects = run(state, S.FaceAttemptDone(0.0, False, "cancelled", "ab" * 32))
    assert late == state and effects == []


def test_no_other_way_while_the_platform_weighs_the_attempt() -> None:
    state, _ = checked()
    assert run(state, S.FaceDeclined())[0] == state


def test_a_platform_outage_while_reporting_ends_the_session() -> None:
    state, _ = checked()
    state, _ = run(state, S.Failed(errors.PlatformUnavailable("down", status=503)))
    assert state.phase is S.Phase.ERROR


def test_taking_the_card_out_forgets_the_photo() -> None:
    state, _ = run(looking(), S.CardRemoved())
    assert state.phase is S.Phase.IDLE and state.resident.card_photo is None
    assert not state.resident.face_offered and state.resident.face_consented_at is None


def test_an_expired_token_offers_the_face_check_again_if_it_is_still_open() -> None:
    state, _ = checked()
    state, _ = run(state, S.AccessGranted("tok"), S.ReportLoaded(REPORT))
    state, _ = run(state, S.Failed(errors.PlatformRejected("token_expired", status=401)))
    assert state.phase is S.Phase.SECOND_FACTOR and state.step.factor is S.Factor.CHOOSING


def test_the_photo_says_nothing_when_logged() -> None:
    assert repr(S.CardPhoto("ab" * 32, b"\x01\x02")) == "CardPhoto(block)"
    assert repr(PHOTO) == "CardPhoto(EF.PHOTO)"
    assert "ab" * 32 not in repr(verified().resident)
