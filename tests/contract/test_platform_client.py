"""PlatformClient against the platform simulator, over real HTTPS on loopback."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.fail
import keyring.backends.null
import pytest
import requests

from kiosk import errors
from kiosk.platform import client as platform_client
from kiosk.platform.client import PlatformClient
from kiosk.platform.credentials import CredentialStore, KeyringUnavailable, TerminalCredentials
from simulators.platform_server import PlatformSimulator
from simulators.residents import RESIDENTS
from tests.fixtures.platform import (
    STAFF_ID,
    STAFF_PIN,
    Issuer,
    open_session,
    rejected,
    staff_token,
)

ZHANG = RESIDENTS["zhang_wei"]
WANG = RESIDENTS["wang_xiuying"]  # no phone on file


# ---------------------------------------------------------------- credentials


def test_credentials_repr_hides_secret() -> None:
    creds = TerminalCredentials("T1", b"\x42" * 32)
    assert "42" not in repr(creds)
    assert "secret" not in repr(creds)
    with pytest.raises(ValueError, match="32 bytes"):
        TerminalCredentials("T1", b"short")


def test_credential_store_round_trip(memory_keyring: object) -> None:
    store = CredentialStore()
    assert store.load() is None
    store.save(TerminalCredentials("T1", b"\x01" * 32))
    assert store.load() == TerminalCredentials("T1", b"\x01" * 32)
    store.clear()
    store.clear()
    assert store.load() is None


def test_credential_store_refuses_fail_backend() -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        with pytest.raises(KeyringUnavailable, match="fail"):
            CredentialStore().load()
        with pytest.raises(errors.NotEnrolled):
            CredentialStore().save(TerminalCredentials("T1", b"\x01" * 32))
    finally:
        keyring.set_keyring(previous)


# ---------------------------------------------------------------- enrolment and signing


def test_enroll_gives_credentials_and_code_works_once(
    platform_sim: PlatformSimulator, memory_keyring: object
) -> None:
    code = platform_sim.new_enrollment_code()
    with PlatformClient(
        platform_sim.base_url, ca_bundle=platform_sim.ca_bundle_path, credentials=None
    ) as client:
        creds = client.enroll(code.lower(), "kiosk-1")  # codes match case-insensitively
        assert len(creds.secret) == 32
        assert client.trust_anchors()  # later calls are signed with the new credentials
        with pytest.raises(errors.PlatformRejected) as exc:
            client.enroll(code, "kiosk-2")
    assert rejected(exc) == (403, "invalid_enrollment_code")


def test_unenrolled_client_refuses_signed_calls(platform_sim: PlatformSimulator) -> None:
    with (
        PlatformClient(
            platform_sim.base_url, ca_bundle=platform_sim.ca_bundle_path, credentials=None
        ) as client,
        pytest.raises(errors.NotEnrolled),
    ):
        client.trust_anchors()


def test_wrong_secret_gives_bad_signature(
    platform_sim: PlatformSimulator, enrolled_client: PlatformClient, issuer: Issuer
) -> None:
    assert enrolled_client.trust_anchors() == [issuer.der]
    assert enrolled_client.credentials is not None
    forged = TerminalCredentials(enrolled_client.credentials.terminal_id, b"\x00" * 32)
    with (
        PlatformClient(
            platform_sim.base_url, ca_bundle=platform_sim.ca_bundle_path, credentials=forged
        ) as client,
        pytest.raises(errors.PlatformRejected) as exc,
    ):
        client.trust_anchors()
    assert rejected(exc) == (401, "bad_signature")


def test_unknown_terminal(platform_sim: PlatformSimulator) -> None:
    with (
        PlatformClient(
            platform_sim.base_url,
            ca_bundle=platform_sim.ca_bundle_path,
            credentials=TerminalCredentials("T-NOBODY", b"\x01" * 32),
        ) as client,
        pytest.raises(errors.PlatformRejected) as exc,
    ):
        client.trust_anchors()
    assert rejected(exc) == (401, "unknown_terminal")


def test_replayed_nonce_refused(
    enrolled_client: PlatformClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(platform_client, "_new_nonce", lambda: "ab" * 16)
    enrolled_client.trust_anchors()
    with pytest.raises(errors.PlatformRejected) as exc:
        enrolled_client.trust_anchors()
    assert rejected(exc) == (401, "replayed_nonce")


def test_skewed_clock_refused_and_reported(
    platform_sim: PlatformSimulator, enrolled_client: PlatformClient
) -> None:
    enrolled_client.trust_anchors()
    assert enrolled_client.clock_skew_s is not None
    assert abs(enrolled_client.clock_skew_s) < 5
    platform_sim.clock = lambda: time.time() + 1000
    with pytest.raises(errors.PlatformRejected) as exc:
        enrolled_client.trust_anchors()
    assert rejected(exc) == (401, "clock_skew")
    assert enrolled_client.clock_skew_s == pytest.approx(1000, abs=5)


@pytest.mark.expect_log("kiosk.platform.client")
def test_tls_is_verified(platform_sim: PlatformSimulator, tmp_path: Path) -> None:
    other_ca = PlatformSimulator(tmp_path / "other", issuer_ca_certs=[]).ca_bundle_path
    with (
        PlatformClient(platform_sim.base_url, ca_bundle=other_ca, credentials=None) as client,
        pytest.raises(errors.PlatformUnavailable, match="TLS"),
    ):
        client.enroll(platform_sim.new_enrollment_code(), "kiosk")


def test_idempotent_call_retried_with_new_signature(
    platform_sim: PlatformSimulator, enrolled_client: PlatformClient, issuer: Issuer
) -> None:
    waits: list[float] = []
    assert enrolled_client.credentials is not None
    with PlatformClient(
        platform_sim.base_url,
        ca_bundle=platform_sim.ca_bundle_path,
        credentials=enrolled_client.credentials,
        sleep=waits.append,
    ) as client:
        platform_sim.fail_next(2, status=503, retry_after_s=1)
        # The outage answers after the nonce was spent: success proves each retry re-signed.
        assert client.trust_anchors() == [issuer.der]
        assert waits == [1.0, 1.0]
        platform_sim.fail_next(3, status=503, retry_after_s=2)
        with pytest.raises(errors.PlatformUnavailable) as exc:
            client.trust_anchors()
        assert exc.value.retry_after_s == 2


def test_non_idempotent_call_not_retried(
    platform_sim: PlatformSimulator, enrolled_client: PlatformClient
) -> None:
    platform_sim.fail_next(1, status=503)
    before = len(platform_sim.request_log)
    with pytest.raises(errors.PlatformUnavailable):
        enrolled_client.challenge()
    assert len(platform_sim.request_log) == before + 1


# ---------------------------------------------------------------- identity


def test_verify_identity_opens_session(enrolled_client: PlatformClient, issuer: Issuer) -> None:
    session = open_session(enrolled_client, issuer.card(ZHANG))
    assert session.name == ZHANG.name
    assert ZHANG.name not in repr(session)
    assert session.id_masked == ZHANG.id_masked
    assert session.second_factors == ("sms_otp", "staff_assist")
    assert session.phone_masked == "138****1234"
    assert session.expires_at > dt.datetime.now(dt.UTC)


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        ("holder", "holder_hash"),
        ("signature", "active_auth"),
        ("issuer", "unknown_issuer"),
        ("expired", "card_expired"),
    ],
)
def test_bad_card_refused_with_reason(
    enrolled_client: PlatformClient, issuer: Issuer, spoil: str, reason: str
) -> None:
    card = issuer.card(ZHANG, valid_until="20200101" if spoil == "expired" else None)
    if spoil == "holder":
        card = dataclasses.replace(card, holder=card.holder.replace("张".encode(), "李".encode()))
    if spoil == "issuer":
        card = Issuer().card(ZHANG)
    challenge = enrolled_client.challenge()
    signature = card.sign(b"another challenge" if spoil == "signature" else challenge.challenge)
    with pytest.raises(errors.PlatformRejected) as exc:
        enrolled_client.verify_identity(
            challenge.ticket,
            holder=card.holder,
            card_cert=card.card_cert,
            sod=card.sod,
            signature=signature,
        )
    assert rejected(exc) == (422, "card_invalid")
    assert exc.value.reason == reason


def test_ticket_is_single_use(enrolled_client: PlatformClient, issuer: Issuer) -> None:
    card = issuer.card(ZHANG)
    challenge = enrolled_client.challenge()
    kwargs = {
        "holder": card.holder,
        "card_cert": card.card_cert,
        "sod": card.sod,
        "signature": card.sign(challenge.challenge),
    }
    enrolled_client.verify_identity(challenge.ticket, **kwargs)
    with pytest.raises(errors.PlatformRejected) as exc:
        enrolled_client.verify_identity(challenge.ticket, **kwargs)
    assert rejected(exc) == (410, "ticket_expired")


# ---------------------------------------------------------------- second factor


def test_otp_flow(
    platform_sim: PlatformSimulator, enrolled_client: PlatformClient, issuer: Issuer
) -> None:
    session = open_session(enrolled_client, issuer.card(ZHANG))
    assert enrolled_client.send_otp(session.session_id) == 60
    code = platform_sim.sent_codes[-1]
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(errors.PlatformRejected) as exc:
        enrolled_client.verify_otp(session.session_id, wrong)
    assert rejected(exc) == (400, "wrong_code")
    assert exc.value.attempts_left == 4
    with pytest.raises(errors.PlatformRejected) as exc:
        enrolled_client.send_otp(session.session_id)
    assert rejected(exc) == (429, "resend_too_soon")
    assert exc.value.retry_after_s is not None
    assert 0 < exc.value.retry_after_s <= 60
    token = enrolled_client.verify_otp(session.session_id, code)
    assert token.expires_in == 600
    assert token.token not in repr(token)
    with pytest.raises(errors.PlatformRejected) as exc:  # a code works once
        enrolled_client.verify_otp(session.session_id, code)
    assert rejected(exc) == (400, "code_expired")


def test_otp_locks_after_five_wrong_codes(
    platform_sim: PlatformSimulator, enrolled_client: PlatformClient, issuer: Issuer
) -> None:
    session = open_session(enrolled_client, issuer.card(ZHANG))
    enrolled_client.send_otp(session.session_id)
    wrong = "000000" if platform_sim.sent_codes[-1] != "000000" else "111111"
    left = []
    for _ in range(4):
        with pytest.raises(errors.PlatformRejected) as exc:
            enrolled_client.verify_otp(session.session_id, wrong)
        left.append(exc.value.attempts_left)
    assert left == [4, 3, 2, 1]
    # The 5th wrong code locks; the session stays dead, even for the right code.
    for code in (wrong, platform_sim.sent_codes[-1]):
        with pytest.raises(errors.PlatformRejected) as exc:
            enrolled_client.verify_otp(session.session_id, code)
        assert rejected(exc) == (423, "locked")
    enrolled_client.end_session(session.session_id)  # DELETE still works


def test_no_phone_on_file(enrolled_client: PlatformClient, issuer: Issuer) -> None:
    session = open_session(enrolled_client, issuer.card(WANG))
    assert session.second_factors == ("staff_assist",)
    assert session.phone_masked is None
    with pytest.raises(errors.PlatformRejected) as exc:
        enrolled_client.send_otp(session.session_id)
    assert rejected(exc) == (409, "no_phone_on_file")


def test_staff_assist(enrolled_client: PlatformClient, issuer: Issuer) -> None:
    session = open_session(enrolled_client, issuer.card(WANG))
    with pytest.raises(errors.PlatformRejected) as exc:
        enrolled_client.staff_assist(session.session_id, STAFF_ID, "000000")
    assert rejected(exc) == (403, "staff_denied")
    assert exc.value.attempts_left == 2
    token = enrolled_client.staff_assist(session.session_id, STAFF_ID, STAFF_PIN)
    assert token.expires_in == 600


def test_end_session_is_idempotent(enrolled_client: PlatformClient, issuer: Issuer) -> None:
    session = open_session(enrolled_client, issuer.card(ZHANG))
    enrolled_client.end_session(session.session_id)
    enrolled_client.end_session(session.session_id)
    with pytest.raises(errors.PlatformRejected) as exc:
        enrolled_client.send_otp(session.session_id)
    assert rejected(exc) == (404, "session_not_found")


# ---------------------------------------------------------------- report


def test_report_verifies_and_parses(enrolled_client: PlatformClient, issuer: Issuer) -> None:
    token = staff_token(enrolled_client, issuer.card(ZHANG))
    report = enrolled_client.fetch_report(token.token)
    assert report.subject.name == ZHANG.name
    assert report.subject.id_masked == ZHANG.id_masked
    assert (report.summary.negative_count, report.summary.positive_count) == (2, 3)
    assert report.summary.has_negative
    assert [s.code for s in report.sections][:3] == ["identity", "honors", "redlist"]
    assert report.sections[-1].code == "query_log"
    assert report.report_id.startswith("R")
    assert len(report.report_id) == 14
    assert report.generated_at.utcoffset() == dt.timedelta(hours=8)
    assert enrolled_client.fetch_report(token.token) == report  # same report all session


def test_tampered_report_refused(
    platform_sim: PlatformSimulator, enrolled_client: PlatformClient, issuer: Issuer
) -> None:
    token = staff_token(enrolled_client, issuer.card(ZHANG))

    def tamper(jws: str) -> str:
        header, payload, signature = jws.split(".")
        flipped = payload[:10] + ("A" if payload[10] != "A" else "B") + payload[11:]
        return f"{header}.{flipped}.{signature}"

    platform_sim.jws_tamper = tamper
    with pytest.raises(errors.ReportInvalid):
        enrolled_client.fetch_report(token.token)


def _keys_fetches(sim: PlatformSimulator) -> int:
    return sum(1 for e in sim.request_log if e.path == "/v1/keys")


def test_unknown_kid_refetches_jwks_once_then_refuses(
    platform_sim: PlatformSimulator, enrolled_client: PlatformClient, issuer: Issuer
) -> None:
    token = staff_token(enrolled_client, issuer.card(ZHANG))
    enrolled_client.fetch_report(token.token)
    assert _keys_fetches(platform_sim) == 1
    platform_sim.rotate_report_key()  # published rotation: one refetch, then fine
    enrolled_client.fetch_report(token.token)
    assert _keys_fetches(platform_sim) == 2
    enrolled_client.fetch_report(token.token)
    assert _keys_fetches(platform_sim) == 2  # cached
    platform_sim.rotate_report_key(publish=False)
    with pytest.raises(errors.ReportInvalid):
        enrolled_client.fetch_report(token.token)
    assert _keys_fetches(platform_sim) == 3


def test_report_needs_valid_token(enrolled_client: PlatformClient) -> None:
    with pytest.raises(errors.PlatformRejected) as exc:
        enrolled_client.fetch_report("not-a-token")
    assert rejected(exc) == (401, "invalid_token")


def test_record_print_is_idempotent(
    platform_sim: PlatformSimulator, enrolled_client: PlatformClient, issuer: Issuer
) -> None:
    token = staff_token(enrolled_client, issuer.card(ZHANG))
    report = enrolled_client.fetch_report(token.token)
    at = dt.datetime.now(dt.UTC)
    for _ in range(2):
        enrolled_client.record_print(
            token.token, report.report_id, printed_at=at, idempotency_key="print-1"
        )
    assert [(p.report_id, p.copies, p.kind) for p in platform_sim.prints] == [
        (report.report_id, 1, "receipt")
    ]
    with pytest.raises(errors.PlatformRejected) as exc:
        enrolled_client.record_print(
            token.token, report.report_id, copies=2, printed_at=at, idempotency_key="print-1"
        )
    assert rejected(exc) == (422, "idempotency_key_reused")
    assert len(platform_sim.prints) == 1


# ---------------------------------------------------------------- public and generic


@pytest.fixture
def http(platform_sim: PlatformSimulator) -> Iterator[requests.Session]:
    """A plain HTTPS session trusting the simulator, for the public and error endpoints."""
    with requests.Session() as session:
        session.trust_env = False  # REQUESTS_CA_BUNDLE in the environment would win over verify
        session.verify = platform_sim.ca_bundle_path
        yield session


def test_verify_page_json_and_html(
    platform_sim: PlatformSimulator,
    enrolled_client: PlatformClient,
    issuer: Issuer,
    http: requests.Session,
) -> None:
    token = staff_token(enrolled_client, issuer.card(ZHANG))
    report = enrolled_client.fetch_report(token.token)
    url = f"{platform_sim.base_url}/v1/verify/{report.verification_code.replace('-', '').lower()}"
    data = http.get(url, headers={"Accept": "application/json"}, timeout=5).json()
    assert data == {
        "report_id": report.report_id,
        "subject": {"name_masked": "张*", "id_masked": ZHANG.id_masked},
        "generated_at": report.generated_at.isoformat(),
        "valid": True,
    }
    page = http.get(url, headers={"Accept": "text/html,*/*;q=0.8"}, timeout=5)
    assert page.headers["Content-Type"].startswith("text/html")
    assert "张*" in page.text
    assert ZHANG.name not in page.text
    missing = http.get(f"{platform_sim.base_url}/v1/verify/AAAA-AAAA", timeout=5)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_generic_errors(platform_sim: PlatformSimulator, http: requests.Session) -> None:
    base = platform_sim.base_url
    response = http.get(f"{base}/v1/nothing", timeout=5)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    response = http.get(f"{base}/v1/enroll", timeout=5)
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    response = http.post(f"{base}/v1/enroll", data=b"{not json", timeout=5)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"
    response = http.post(f"{base}/v1/enroll", data=b" " * (1024 * 1024 + 1), timeout=5)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert "Date" in response.headers


def test_token_and_session_expiry(
    platform_sim: PlatformSimulator, enrolled_client: PlatformClient, issuer: Issuer
) -> None:
    session = open_session(enrolled_client, issuer.card(ZHANG))
    token = enrolled_client.staff_assist(session.session_id, STAFF_ID, STAFF_PIN)
    # Age the token and then the session on the platform side: the terminal clock must not move.
    platform_sim.expire_token(token.token)
    with pytest.raises(errors.PlatformRejected) as exc:
        enrolled_client.fetch_report(token.token)
    assert rejected(exc) == (401, "token_expired")
    platform_sim.expire_session(session.session_id)
    with pytest.raises(errors.PlatformRejected) as exc:
        enrolled_client.send_otp(session.session_id)
    assert rejected(exc) == (410, "session_expired")


def test_refused_request_keeps_connection_usable(
    platform_sim: PlatformSimulator, http: requests.Session
) -> None:
    base = platform_sim.base_url
    response = http.post(f"{base}/v1/nothing", data=b'{"x": 1}', timeout=5)
    assert response.status_code == 404
    response = http.options(f"{base}/v1/keys", timeout=5)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"
    assert http.get(f"{base}/v1/keys", timeout=5).json()["keys"][0]["kty"] == "OKP"


def test_credential_store_refuses_null_backend() -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.null.Keyring())
    try:
        with pytest.raises(KeyringUnavailable, match="null"):
            CredentialStore().save(TerminalCredentials("T1", b"\x01" * 32))
    finally:
        keyring.set_keyring(previous)


class _KeptJwks:
    """A ``JwksStore`` holding what the probe fetched."""

    def __init__(self) -> None:
        self.body: bytes | None = None

    def load(self) -> bytes | None:
        return self.body

    def save(self, body: bytes) -> None:
        self.body = body


def test_the_first_report_uses_the_keys_the_probe_keeps(
    platform_sim: PlatformSimulator, enrolled_client: PlatformClient, issuer: Issuer
) -> None:
    kept = _KeptJwks()
    assert enrolled_client.credentials is not None
    with PlatformClient(
        platform_sim.base_url,
        ca_bundle=platform_sim.ca_bundle_path,
        credentials=enrolled_client.credentials,
    ) as probe:
        probe.jwks_store = kept
        probe.refresh_jwks()
    enrolled_client.jwks_store = kept
    token = staff_token(enrolled_client, issuer.card(ZHANG))
    enrolled_client.fetch_report(token.token)
    assert _keys_fetches(platform_sim) == 1  # the probe's: no round trip for the resident
    platform_sim.rotate_report_key()  # a key the kept set lacks is still fetched at once
    enrolled_client.fetch_report(token.token)
    assert _keys_fetches(platform_sim) == 2
