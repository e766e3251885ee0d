"""The client's side of platform API v1.2 against the simulator, over real HTTPS: hardware
and approvals, attested identities, the face policy, face attempts, and a v1 platform."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk import errors
from kiosk.platform import client as platform_client
from kiosk.platform import models
from kiosk.platform.client import PlatformClient
from simulators.platform_server import PlatformSimulator
from simulators.residents import ANNA_MULLER, LIU_XIAOYU, ZHANG_WEI, Resident
from tests.fixtures.platform import Issuer, open_session, rejected

CST = dt.timezone(dt.timedelta(hours=8))
SAM = "05.01-20101111-0012345678"
READER = models.ReaderDeclaration("security_module", "test reader", SAM)
HARDWARE = models.Hardware(readers=(READER,), camera=True)


def holder_of(resident: Resident) -> models.AttestedHolder:
    return models.AttestedHolder(
        document=resident.document,
        id_number=resident.id_number,
        name=resident.name,
        valid_from=resident.valid_from,
        valid_until=resident.valid_until,
    )


def attest(
    client: PlatformClient, resident: Resident = ZHANG_WEI, key: str | None = None
) -> models.IdentitySession:
    return client.attest_identity(
        READER,
        holder_of(resident),
        read_at=dt.datetime(2026, 12, 7, 10, tzinfo=CST),
        idempotency_key=key or uuid.uuid4().hex,
    )


@pytest.fixture
def client(platform_sim: PlatformSimulator) -> Iterator[PlatformClient]:
    """A terminal that declared a certified reader and a camera, both approved."""
    c = PlatformClient(
        platform_sim.base_url,
        ca_bundle=platform_sim.ca_bundle_path,
        credentials=None,
        sleep=lambda _s: None,
    )
    creds = c.enroll(platform_sim.new_enrollment_code(), "kiosk-test", HARDWARE)
    assert c.approvals == models.Approvals(security_module=False, face=False)
    platform_sim.approve(creds.terminal_id, security_module=True, face=True)
    yield c
    c.close()


def face_report(
    session: models.IdentitySession, score: float, *, passed: bool = True, sha: str = ""
) -> models.FaceAttemptReport:
    assert session.face_policy is not None
    return models.FaceAttemptReport(
        model="sface-2021dec",
        score=score,
        reference_sha256=sha or hashlib.sha256(b"photo block").hexdigest(),
        liveness_method="head_turn",
        liveness_passed=passed,
        notice_version=session.face_policy.notice.version,
        consented_at=dt.datetime.now(CST),
    )


def test_enrollment_declares_the_hardware_and_learns_the_approvals(
    platform_sim: PlatformSimulator, client: PlatformClient
) -> None:
    creds = client.credentials
    assert creds is not None
    declared = platform_sim.declared_hardware(creds.terminal_id)
    assert declared is not None
    assert declared["readers"] == [
        {"kind": "security_module", "model": "test reader", "sam_id": SAM}
    ]
    assert declared["camera"] is True
    document = client.content_document(None)
    assert document is not None
    content = platform_client.parse_content(*document)
    assert content.approvals == models.Approvals(security_module=True, face=True)


def test_an_attested_card_opens_a_session_with_the_face_policy(client: PlatformClient) -> None:
    session = attest(client)
    assert session.assurance == models.ASSURANCE_SECURITY_MODULE
    assert "face" in session.second_factors
    policy = session.face_policy
    assert policy is not None
    assert policy.min_scores == {"sface-2021dec": pytest.approx(0.363)}
    assert policy.liveness == ("head_turn",)
    assert policy.attempts == 3
    assert policy.notice.version and policy.notice.title and policy.notice.body


def test_a_foreign_permanent_resident_is_attested(client: PlatformClient) -> None:
    session = attest(client, ANNA_MULLER)
    assert session.id_masked == ANNA_MULLER.id_masked
    assert session.phone_masked is None and "sms_otp" not in session.second_factors


def test_no_face_for_a_child(client: PlatformClient) -> None:
    session = attest(client, LIU_XIAOYU)
    assert "face" not in session.second_factors and session.face_policy is None


def test_an_attest_lost_to_a_503_is_sent_again_with_its_key(
    platform_sim: PlatformSimulator, client: PlatformClient
) -> None:
    key = uuid.uuid4().hex
    platform_sim.fail_next(status=503, path="/v1/identity/attest")
    first = attest(client, key=key)
    again = attest(client, key=key)
    assert first.session_id == again.session_id
    assert attest(client).session_id != first.session_id  # a new key opens a new session


def test_a_card_on_an_unapproved_reader_is_refused(
    platform_sim: PlatformSimulator, client: PlatformClient
) -> None:
    creds = client.credentials
    assert creds is not None
    platform_sim.approve(creds.terminal_id, security_module=False)
    with pytest.raises(errors.PlatformRejected) as info:
        attest(client)
    assert rejected(info) == (403, "attestation_not_allowed")
    assert info.value.reason == "terminal_not_approved"


def test_a_heartbeat_declaring_another_module_withdraws_the_approval(
    client: PlatformClient,
) -> None:
    replaced = models.Hardware(
        readers=(models.ReaderDeclaration("security_module", "test reader", SAM + "9"),),
        camera=True,
    )
    client.heartbeat("0.1", {}, 0, replaced.to_wire())
    document = client.content_document(None)
    assert document is not None
    assert not platform_client.parse_content(*document).approvals.security_module


def test_face_attempts_pass_fail_and_close_the_factor(client: PlatformClient) -> None:
    session = attest(client)
    token = client.report_face_attempt(
        session.session_id, face_report(session, 0.8), idempotency_key=uuid.uuid4().hex
    )
    assert token.expires_in > 0
    for left in (2, 1, 0):
        with pytest.raises(errors.PlatformRejected) as info:
            client.report_face_attempt(
                session.session_id,
                face_report(session, 0.1),
                idempotency_key=uuid.uuid4().hex,
            )
        assert rejected(info) == (403, "face_rejected") and info.value.attempts_left == left
    with pytest.raises(errors.PlatformRejected) as closed:
        client.report_face_attempt(
            session.session_id, face_report(session, 0.9), idempotency_key=uuid.uuid4().hex
        )
    assert rejected(closed) == (409, "factor_unavailable")
    # The other factors stay open: the session is not locked.
    assert client.send_otp(session.session_id) > 0


def test_an_rid1_face_attempt_must_name_the_cards_own_photo(
    client: PlatformClient, issuer: Issuer
) -> None:
    session = open_session(client, issuer.card(ZHANG_WEI))
    assert session.assurance == models.ASSURANCE_ACTIVE_AUTH and session.face_policy is not None
    with pytest.raises(errors.PlatformRejected) as info:
        client.report_face_attempt(
            session.session_id, face_report(session, 0.9), idempotency_key=uuid.uuid4().hex
        )
    assert rejected(info) == (400, "reference_mismatch")


def test_a_face_attempt_repeated_with_its_key_uses_no_attempt(client: PlatformClient) -> None:
    session = attest(client)
    key, report = uuid.uuid4().hex, face_report(session, 0.1)
    for _ in range(2):
        with pytest.raises(errors.PlatformRejected) as info:
            client.report_face_attempt(session.session_id, report, idempotency_key=key)
        assert info.value.attempts_left == 2


def test_the_score_is_a_cosine(client: PlatformClient) -> None:
    session = attest(client)
    with pytest.raises(ValueError, match=r"-1\.\.1"):
        client.report_face_attempt(
            session.session_id, face_report(session, 1.5), idempotency_key=uuid.uuid4().hex
        )


@pytest.mark.expect_log("kiosk.platform.client")
def test_a_face_factor_without_a_usable_policy_is_not_offered() -> None:
    answer = {
        "session_id": "s",
        "expires_at": "2026-12-07T10:15:00+08:00",
        "subject": {"name": "张伟", "id_masked": "3211**********0014"},
        "second_factors": ["sms_otp", "face", "staff_assist"],
        "phone_masked": "138****1234",
        "assurance": "active_auth",
        "face_policy": {"models": {"other-model": {}}, "attempts": 3},
    }
    session = platform_client.parse_identity_session(answer)
    assert session.second_factors == ("sms_otp", "staff_assist")
    assert session.face_policy is None


def test_a_v1_platform_has_no_attest_and_approves_nothing(
    tmp_path: Path, issuer_ca_certs: list[bytes]
) -> None:
    with PlatformSimulator(
        tmp_path / "v1", issuer_ca_certs=issuer_ca_certs, api_version="1.0"
    ) as v1:
        c = PlatformClient(v1.base_url, ca_bundle=v1.ca_bundle_path, credentials=None)
        try:
            c.enroll(v1.new_enrollment_code(), "kiosk-test", HARDWARE)
            assert c.approvals == models.Approvals()
            with pytest.raises(errors.PlatformRejected) as info:
                attest(c)
            assert rejected(info) == (404, "not_found")
            document = c.content_document(None)
            assert document is not None
            assert platform_client.parse_content(*document).approvals == models.Approvals()
        finally:
            c.close()
