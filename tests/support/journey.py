"""A resident's journey through the pure state machine, and the sample data it carries.

Tests start from states reached the honest way, by walking ``JOURNEY`` with ``transition``.
The people and documents here are made up.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from kiosk import errors
from kiosk.flow import session
from kiosk.platform import models
from kiosk.platform import report as report_model

S = session

RULES = S.Rules(
    consent=60,
    card_read=30,
    second_factor=180,
    report=180,
    printing=60,
    done=15,
    error=20,
    elder_factor=2.0,
)


IDENTITY = models.IdentitySession(
    session_id="sess-1",
    expires_at=dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC),
    name="张伟",
    id_masked="3211**********0014",
    second_factors=("sms_otp", "staff_assist"),
    phone_masked="138****1234",
)


NO_PHONE = dataclasses.replace(IDENTITY, second_factors=("staff_assist",), phone_masked=None)


# The face check as the platform offers it (spec §2), with a notice in its plain-text form.
FACE_NOTICE = models.FaceNotice(
    version="face-2026-12",
    title="刷脸核验说明",
    body=(
        "本机会用摄像头拍下您现在的脸，和您证件里的照片比一比，看是不是同一个人。\n"
        "比对只在这台机器上进行：照片和脸部图像不保存，也不发送。\n"
        "刷脸不是必须的。您也可以用短信验证码，或请工作人员当面核对。"
    ),
)
FACE_POLICY = models.FacePolicy(
    min_scores={S.FACE_MODEL: 0.363},
    liveness=(S.FACE_LIVENESS,),
    attempts=3,
    notice=FACE_NOTICE,
)
FACE_IDENTITY = dataclasses.replace(
    IDENTITY, second_factors=("sms_otp", "staff_assist", "face"), face_policy=FACE_POLICY
)
CARD_PHOTO = S.CardPhoto("ab" * 32, b"x")


CHALLENGE = models.Challenge("t-1", b"y" * 32, dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC))


EVIDENCE = S.CardEvidence(
    holder=b"h", card_cert=b"c", sod=b"s", signature=b"x" * 64, challenge=b"y" * 32, ticket="t-1"
)


CERTIFIED = S.CertifiedEvidence(
    holder=models.AttestedHolder(
        document="resident_id",
        id_number="321102198703150014",
        name="张伟",
        valid_from="20190601",
        valid_until="20390601",
    ),
    reader=models.ReaderDeclaration("security_module", "demo reader", "05.01-20101111-0012345678"),
    read_at=dt.datetime(2026, 11, 25, 10, tzinfo=dt.timezone(dt.timedelta(hours=8))),
    idempotency_key="k-1",
)

CERTIFIED_RULES = dataclasses.replace(RULES, certified_reader=True)


REPORT = report_model.parse_report(
    {
        "report_id": "R1",
        "verification_code": "K7Q2-9XMP",
        "generated_at": "2026-11-24T10:00:00+08:00",
        "valid_until": "2026-12-24T10:00:00+08:00",
        "subject": {"name": "张伟", "id_masked": "3211**********0014"},
        "summary": {"negative_count": 0, "positive_count": 0, "status": "no_negative"},
        "sections": [],
    }
)


# One whole session in order; tests start from states reached this honest way.
JOURNEY: list[S.Event] = [
    S.CardInserted(),
    S.ConsentGiven(),
    S.ChallengeReady(CHALLENGE),
    S.CardRead(EVIDENCE),
    S.IdentityVerified(IDENTITY),
    S.SmsChosen(),
    S.OtpSent(60),
    S.OtpEntered("123456"),
    S.AccessGranted("tok"),
    S.ReportLoaded(REPORT),
    S.PrintRequested(),
    S.PrinterReady(),
    S.PrintRecorded(),
    S.Printed(),
]


def run(state: S.SessionState, *events: S.Event) -> tuple[S.SessionState, list[S.Effect]]:
    effects: list[S.Effect] = []
    for event in events:
        state, new_effects = S.transition(state, event, RULES)
        effects.extend(new_effects)
    return state, effects


def at_phase(phase: S.Phase) -> S.SessionState:
    """A state reached the honest way, by walking the journey."""
    state = S.SessionState()
    for event in JOURNEY:
        if state.phase is phase:
            return state
        state, _ = S.transition(state, event, RULES)
    assert state.phase is phase
    return state


def at_face_offered(*, elder_mode: bool = False) -> S.SessionState:
    """The choice of second factor with the face check offered: a verified card whose
    platform lists ``face``, on a kiosk that can do it (camera and models ready)."""
    state = at_phase(S.Phase.VERIFYING)
    state = dataclasses.replace(
        state, resident=dataclasses.replace(state.resident, elder_mode=elder_mode)
    )
    state, _ = run(state, S.IdentityVerified(FACE_IDENTITY, card_photo=CARD_PHOTO, face_ready=True))
    assert state.step.factor is S.Factor.CHOOSING and state.resident.face_offered
    return state


def at_face_consent(*, elder_mode: bool = False) -> S.SessionState:
    """The face check's notice, waiting for the resident to agree or choose another way."""
    state, _ = run(at_face_offered(elder_mode=elder_mode), S.FaceChosen())
    assert state.step.factor is S.Factor.FACE and state.step.face_stage is S.FaceStage.CONSENT
    return state


CONSENTED_AT = dt.datetime(2026, 11, 25, 18, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def at_face_looking(prompt: str = "face_straight", *, elder_mode: bool = False) -> S.SessionState:
    """The camera on and the resident asked ``prompt`` (a ``kiosk.face.liveness.Prompt``)."""
    state, _ = run(
        at_face_consent(elder_mode=elder_mode),
        S.FaceConsentGiven(at=CONSENTED_AT),
        S.FacePrompted(prompt),
    )
    assert state.step.face_stage is S.FaceStage.LOOKING
    return state


def at_face_retry(failure: str | None, *, attempts_left: int = 2) -> S.SessionState:
    """An attempt the platform rejected: ``failure`` is the liveness reason (``FailReason``),
    None when liveness passed and the comparison's score did not."""
    state, _ = run(
        at_face_looking(),
        S.FaceAttemptDone(
            score=0.1 if failure is None else 0.0,
            liveness_passed=failure is None,
            liveness_reason=failure,
            reference_sha256=CARD_PHOTO.sha256,
        ),
        S.Failed(errors.PlatformRejected("face_rejected", attempts_left=attempts_left)),
    )
    assert state.step.face_stage is S.FaceStage.RETRY
    return state


def kinds(effects: list[S.Effect]) -> list[type]:
    """The effects' types, leaving out the timers (inactivity, SMS resend wait)."""
    return [type(e) for e in effects if not isinstance(e, S.StartTimer | S.StartResendTimer)]


PENALTY_REPORT = report_model.parse_report(
    {
        "report_id": "R2",
        "verification_code": "K7Q2-9XMP",
        "generated_at": "2026-11-24T10:00:00+08:00",
        "valid_until": "2026-12-24T10:00:00+08:00",
        "subject": {"name": "张伟", "id_masked": "3211**********0014"},
        "summary": {"negative_count": 1, "positive_count": 0, "status": "has_negative"},
        "sections": [
            {
                "code": "admin_penalty",
                "title": "行政处罚",
                "records": [
                    {
                        "record_id": "P-1",
                        "date": "2024-05-02",
                        "authority": "镇江市市场监督管理局",
                        "title": "未按规定明码标价",
                        "status": "in_effect",
                        "repair": {"eligible": True, "guide_id": "repair-admin-penalty"},
                    }
                ],
            },
            {
                "code": "query_log",
                "title": "查询记录",
                "records": [
                    {
                        "record_id": "Q-1",
                        "date": "2026-10-12",
                        "authority": "银行",
                        "title": "贷款审批",
                        "status": "in_effect",
                    }
                ],
            },
        ],
    }
)


GUIDE = models.RepairGuide(
    guide_id="repair-admin-penalty",
    title="行政处罚信用修复",
    steps=("提交申请",),
    where="窗口",
    documents=("承诺书",),
    hall_window="3号窗口",
    hours="9:00-17:00",
)


def at_penalty_report() -> S.SessionState:
    state, _ = run(
        at_phase(S.Phase.SECOND_FACTOR),
        S.SmsChosen(),
        S.OtpSent(60),
        S.OtpEntered("123456"),
        S.AccessGranted("tok"),
        S.ReportLoaded(PENALTY_REPORT),
    )
    assert state.phase is S.Phase.REPORT
    return state


LINK = models.ShareLink(
    "https://platform.example/v1/share/abc", dt.datetime(2026, 12, 6, 12, tzinfo=dt.UTC)
)
