"""The controller's side of the face check, with typed fakes: the photo goes from the card
lane to the face lane and nowhere else, prompts reach the screen, every attempt is reported,
and leaving the page stops the camera."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib

import pytest

from devices import errors as device_errors
from kiosk import errors
from kiosk.face.check import AttemptResult
from kiosk.face.vocabulary import Direction, FailReason
from kiosk.flow import session
from kiosk.flow.runtime import Lane
from kiosk.platform import models
from tests.support import fakes, journey
from tests.support.kiosk import Harness, make_controller

S = session
CST = dt.timezone(dt.timedelta(hours=8))
BLOCK = b"photo block from the certified reader"
SHA = hashlib.sha256(BLOCK).hexdigest()
POLICY = models.FacePolicy(
    min_scores={"sface-2021dec": 0.363},
    liveness=("head_turn",),
    attempts=3,
    notice=models.FaceNotice("face-2026-12", "告知", "比对"),
)
FACE_IDENTITY = dataclasses.replace(
    journey.IDENTITY,
    second_factors=("sms_otp", "staff_assist", "face"),
    face_policy=POLICY,
    assurance="security_module",
)


def attempt(score: float, *, passed: bool = True) -> AttemptResult:
    return AttemptResult(
        score=score,
        liveness_passed=passed,
        liveness_reason=None if passed else FailReason.FROZEN,
        reference_sha256=SHA,
        frames_seen=40,
        elapsed=5.0,
        order=(Direction.LEFT, Direction.RIGHT),
    )


def test_a_certified_reading_opens_the_face_check_and_a_pass_fetches_the_report() -> None:
    face = fakes.FaceChecker(attempt(0.8))
    platform = fakes.Platform(identity=FACE_IDENTITY, report=journey.REPORT)
    reader = fakes.CertifiedReader()
    harness = make_controller(
        fakes.services(platform=platform, certified_reader=reader, face=face),
        rules=journey.CERTIFIED_RULES,
    )
    evidence = dataclasses.replace(journey.CERTIFIED, photo_block=BLOCK)
    harness.feed(S.CardInserted(), S.ConsentGiven())
    harness.held.drop_pending()  # the reading is fed in below
    harness.feed(S.CertifiedCardRead(evidence))
    assert harness.held.run_next() is Lane.NET  # identity/attest
    state = harness.controller.state
    assert state.resident.face_offered and state.resident.card_photo == S.CardPhoto(SHA, BLOCK)

    harness.feed(S.FaceChosen())
    assert harness.held.lanes() == []  # nothing read, no camera, until the resident agrees
    harness.feed(S.FaceConsentGiven(dt.datetime(2026, 12, 7, 10, tzinfo=CST)))
    assert harness.held.run_next() is Lane.CARD  # the photo decoded by the reader's library
    assert reader.decoded == [BLOCK]
    assert harness.held.run_next() is Lane.FACE  # the attempt, the camera on
    assert face.photos == [(reader.image, SHA, 30.0)]
    # The prompts reached the screen on their way; the outcome is reported.
    assert harness.held.run_next() is Lane.NET
    (reported,) = platform.face_attempts
    assert reported.score == 0.8 and reported.liveness_passed
    assert reported.reference_sha256 == SHA and reported.notice_version == "face-2026-12"
    harness.held.run_pending()
    state = harness.controller.state
    assert state.phase is S.Phase.REPORT and state.resident.card_photo is None


def test_the_prompts_reach_the_screen_while_the_camera_is_on() -> None:
    face = fakes.FaceChecker(attempt(0.8), prompts=("face_straight", "turn_right"))
    harness, _, _ = to_face_page_helper(face)
    seen: list[str | None] = []
    harness.controller.add_listener(lambda state: seen.append(state.step.face_prompt))
    harness.held.run_next()  # photo
    harness.held.run_next()  # attempt
    assert "face_straight" in seen and "turn_right" in seen


@pytest.mark.expect_log("kiosk.flow.controller")
def test_a_rejected_attempt_offers_another_and_a_camera_failure_the_other_ways() -> None:
    face = fakes.FaceChecker(attempt(0.1))
    harness, platform, _ = to_face_page_helper(face)
    harness.held.run_pending()
    state = harness.controller.state
    assert state.step.face_stage is S.FaceStage.RETRY and state.resident.face_attempts_left == 2
    face.error = device_errors.CameraUnavailable("unplugged")
    harness.feed(S.FaceRetryRequested())
    harness.held.run_pending()
    state = harness.controller.state
    assert state.step.factor is S.Factor.CHOOSING and not state.resident.face_offered
    assert state.step.message == errors.FACE_UNAVAILABLE
    assert len(platform.face_attempts) == 1  # a camera that failed ran no attempt


def test_choosing_another_way_stops_the_camera() -> None:
    face = fakes.FaceChecker(attempt(0.8))
    harness, _, _ = to_face_page_helper(face)
    harness.held.run_next()  # the photo; the attempt is waiting on the face lane
    harness.feed(S.FaceDeclined())
    assert face.cancelled == 1
    harness.held.run_pending()  # the attempt, cut short, comes back: nothing is reported
    assert harness.controller.state.step.factor is S.Factor.CHOOSING


def test_taking_the_card_out_stops_the_camera_and_drops_the_photo() -> None:
    face = fakes.FaceChecker(attempt(0.8))
    harness, platform, _ = to_face_page_helper(face)
    harness.held.run_next()
    harness.feed(S.CardRemoved())
    assert face.cancelled == 1
    harness.held.run_pending()
    assert platform.face_attempts == []
    assert harness.controller.state.resident.card_photo is None


def test_the_face_check_is_not_offered_when_the_kiosk_cannot_do_it_now() -> None:
    face = fakes.FaceChecker(ready=False)
    platform = fakes.Platform(identity=FACE_IDENTITY, report=journey.REPORT)
    harness = make_controller(
        fakes.services(platform=platform, certified_reader=fakes.CertifiedReader(), face=face),
        rules=journey.CERTIFIED_RULES,
    )
    harness.feed(S.CardInserted(), S.ConsentGiven())
    harness.held.drop_pending()
    harness.feed(S.CertifiedCardRead(dataclasses.replace(journey.CERTIFIED, photo_block=BLOCK)))
    harness.held.run_pending()
    assert not harness.controller.state.resident.face_offered


def to_face_page_helper(
    face: fakes.FaceChecker,
) -> tuple[Harness, fakes.Platform, fakes.CertifiedReader]:
    """A certified reading attested, the face chosen and agreed to: the photo is next."""
    platform = fakes.Platform(identity=FACE_IDENTITY, report=journey.REPORT)
    reader = fakes.CertifiedReader()
    harness = make_controller(
        fakes.services(platform=platform, certified_reader=reader, face=face),
        rules=journey.CERTIFIED_RULES,
    )
    harness.feed(S.CardInserted(), S.ConsentGiven())
    harness.held.drop_pending()
    harness.feed(S.CertifiedCardRead(dataclasses.replace(journey.CERTIFIED, photo_block=BLOCK)))
    harness.held.run_next()  # identity/attest
    harness.feed(S.FaceChosen(), S.FaceConsentGiven(dt.datetime(2026, 12, 7, 10, tzinfo=CST)))
    return harness, platform, reader
