"""Contract tests for every endpoint and every error code of platform-api.md, over real HTTPS.

The client runs against the demo platform on loopback. Where the client cannot send a broken
request on purpose (no Idempotency-Key, a body that is not JSON), the request is signed here
with an independent implementation of the spec's HMAC scheme.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from cryptography import x509

from kiosk import errors
from kiosk.platform import client as platform_client
from kiosk.platform.client import PlatformClient, parse_content
from kiosk.platform.credentials import TerminalCredentials
from kiosk.platform.models import AuditEvent, Content
from simulators.platform_server import PlatformSimulator
from simulators.residents import REPAIR_GUIDES, RESIDENTS, SECTION_TITLES
from tests.fixtures.platform import (
    STAFF_ID,
    Issuer,
    open_session,
    staff_token,
)
from tests.support.platform_http import http_session, signed

ZHANG = RESIDENTS["zhang_wei"]
WANG = RESIDENTS["wang_xiuying"]  # no phone on file
CHEN = RESIDENTS["chen_jing"]  # clean report
LETTER_STAFF_PIN = "13579"  # the demo platform's staff member ST001 (spec v1.2 §3 formats)
SPEC_STATUSES = {"in_effect", "repaired", "expired", "under_objection"}


# ---------------------------------------------------------------- helpers


def creds_of(client: PlatformClient) -> TerminalCredentials:
    assert client.credentials is not None
    return client.credentials


def client_for(
    sim: PlatformSimulator, creds: TerminalCredentials | None, **kwargs: Any
) -> PlatformClient:
    kwargs.setdefault("sleep", lambda _s: None)
    return PlatformClient(sim.base_url, ca_bundle=sim.ca_bundle_path, credentials=creds, **kwargs)


def refusal(call: Callable[[], object]) -> errors.PlatformRejected:
    with pytest.raises(errors.PlatformRejected) as exc:
        call()
    return exc.value


# ---------------------------------------------------------------- every error code


@dataclasses.dataclass
class Ctx:
    sim: PlatformSimulator
    client: PlatformClient
    issuer: Issuer
    monkeypatch: pytest.MonkeyPatch

    @property
    def creds(self) -> TerminalCredentials:
        return creds_of(self.client)

    def token(self) -> str:
        return staff_token(self.client, self.issuer.card(ZHANG)).token

    def report_token(self) -> tuple[str, str]:
        token = self.token()
        return token, self.client.fetch_report(token).report_id


Outcome = tuple[int, str]


def _client_refusal(call: Callable[[], object]) -> Outcome:
    exc = refusal(call)
    return exc.status, exc.code


def _raw(response: requests.Response) -> Outcome:
    return response.status_code, response.json()["error"]["code"]


def _bad_signature(c: Ctx) -> Outcome:
    forged = TerminalCredentials(c.creds.terminal_id, b"\x00" * 32)
    with client_for(c.sim, forged) as client:
        return _client_refusal(client.trust_anchors)


def _clock_skew(c: Ctx) -> Outcome:
    c.sim.clock = lambda: time.time() + 1000
    return _client_refusal(c.client.trust_anchors)


def _replayed_nonce(c: Ctx) -> Outcome:
    c.monkeypatch.setattr(platform_client, "_new_nonce", lambda: "cd" * 16)
    c.client.trust_anchors()
    return _client_refusal(c.client.trust_anchors)


def _unknown_terminal(c: Ctx) -> Outcome:
    with client_for(c.sim, TerminalCredentials("T-NOBODY", b"\x01" * 32)) as client:
        return _client_refusal(client.trust_anchors)


def _terminal_disabled(c: Ctx) -> Outcome:
    c.sim.disable_terminal(c.creds.terminal_id)
    return _client_refusal(c.client.trust_anchors)


def _invalid_enrollment_code(c: Ctx) -> Outcome:
    with client_for(c.sim, None) as client:
        return _client_refusal(lambda: client.enroll("ABCD2345", "kiosk"))


def _card_invalid(c: Ctx) -> Outcome:
    card = c.issuer.card(ZHANG)
    challenge = c.client.challenge()
    return _client_refusal(
        lambda: c.client.verify_identity(
            challenge.ticket,
            holder=card.holder,
            card_cert=card.card_cert,
            sod=card.sod,
            signature=card.sign(b"not the challenge"),
        )
    )


def _card_reported_lost(c: Ctx) -> Outcome:
    card = c.issuer.card(ZHANG)
    c.sim.report_card_lost(x509.load_der_x509_certificate(card.card_cert).serial_number)
    return _client_refusal(lambda: open_session(c.client, card))


def _ticket_expired(c: Ctx) -> Outcome:
    card = c.issuer.card(ZHANG)
    return _client_refusal(
        lambda: c.client.verify_identity(
            "no-such-ticket",
            holder=card.holder,
            card_cert=card.card_cert,
            sod=card.sod,
            signature=card.sign(b"x"),
        )
    )


def _no_phone_on_file(c: Ctx) -> Outcome:
    session = open_session(c.client, c.issuer.card(WANG))
    return _client_refusal(lambda: c.client.send_otp(session.session_id))


def _resend_too_soon(c: Ctx) -> Outcome:
    session = open_session(c.client, c.issuer.card(ZHANG))
    c.client.send_otp(session.session_id)
    return _client_refusal(lambda: c.client.send_otp(session.session_id))


def _wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def _wrong_code(c: Ctx) -> Outcome:
    session = open_session(c.client, c.issuer.card(ZHANG))
    c.client.send_otp(session.session_id)
    wrong = _wrong(c.sim.sent_codes[-1])
    return _client_refusal(lambda: c.client.verify_otp(session.session_id, wrong))


def _locked(c: Ctx) -> Outcome:
    session = open_session(c.client, c.issuer.card(WANG))
    for _ in range(2):
        refusal(lambda: c.client.staff_assist(session.session_id, STAFF_ID, "000000"))
    return _client_refusal(lambda: c.client.staff_assist(session.session_id, STAFF_ID, "000000"))


def _code_expired(c: Ctx) -> Outcome:
    session = open_session(c.client, c.issuer.card(ZHANG))
    c.client.send_otp(session.session_id)
    c.sim.expire_otp(session.session_id)
    code = c.sim.sent_codes[-1]
    return _client_refusal(lambda: c.client.verify_otp(session.session_id, code))


def _staff_denied(c: Ctx) -> Outcome:
    session = open_session(c.client, c.issuer.card(WANG))
    return _client_refusal(lambda: c.client.staff_assist(session.session_id, STAFF_ID, "000000"))


def _session_not_found(c: Ctx) -> Outcome:
    return _client_refusal(lambda: c.client.send_otp("no-such-session"))


def _session_expired(c: Ctx) -> Outcome:
    session = open_session(c.client, c.issuer.card(ZHANG))
    c.sim.expire_session(session.session_id)
    return _client_refusal(lambda: c.client.send_otp(session.session_id))


def _invalid_token(c: Ctx) -> Outcome:
    return _client_refusal(lambda: c.client.fetch_report("not-a-token"))


def _token_expired(c: Ctx) -> Outcome:
    token = c.token()
    c.sim.expire_token(token)
    return _client_refusal(lambda: c.client.fetch_report(token))


def _pdf_not_available(c: Ctx) -> Outcome:
    bearer = {"Authorization": f"Bearer {c.token()}"}
    return _raw(signed(c.sim, c.creds, "GET", "/v1/reports/current/pdf", headers=bearer))


def _unknown_record(c: Ctx) -> Outcome:
    token, report_id = c.report_token()
    return _client_refusal(
        lambda: c.client.create_objection(token, report_id, "NO-SUCH-RECORD", "不是我", "ob-1")
    )


def _report_not_found(c: Ctx) -> Outcome:
    token, _ = c.report_token()
    return _client_refusal(
        lambda: c.client.create_objection(token, "R2000010100001", "P-1", "不是我", "ob-1")
    )


def _missing_idempotency_key(c: Ctx) -> Outcome:
    token, report_id = c.report_token()
    body = json.dumps({"report_id": report_id, "record_id": "P-1", "reason": "不是我"}).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return _raw(signed(c.sim, c.creds, "POST", "/v1/objections", body, headers))


def _idempotency_key_reused(c: Ctx) -> Outcome:
    token, report_id = c.report_token()
    c.client.create_objection(token, report_id, "P-1", "不是我", "ob-1")
    return _client_refusal(
        lambda: c.client.create_objection(token, report_id, "P-1", "另一个理由", "ob-1")
    )


def _payload_too_large(c: Ctx) -> Outcome:
    body = b'{"events": [], "pad": "' + b"x" * (1024 * 1024) + b'"}'
    return _raw(signed(c.sim, c.creds, "POST", "/v1/audit-events", body))


def _malformed_json(c: Ctx) -> Outcome:
    return _raw(signed(c.sim, c.creds, "POST", "/v1/terminal/heartbeat", b'{"version": 1,'))


def _not_found(c: Ctx) -> Outcome:
    assert _raw(signed(c.sim, c.creds, "GET", "/v1/no-such-endpoint")) == (404, "not_found")
    return _client_refusal(lambda: c.client.repair_guide("no-such-guide"))


def _method_not_allowed(c: Ctx) -> Outcome:
    response = signed(c.sim, c.creds, "GET", "/v1/objections")
    assert response.headers["Allow"] == "POST"
    return _raw(response)


def _verify_not_found(c: Ctx) -> Outcome:
    return _raw(signed(c.sim, None, "GET", "/v1/verify/AAAA-AAAA"))


ERROR_TABLE: list[tuple[str, int, Callable[[Ctx], Outcome]]] = [
    ("bad_signature", 401, _bad_signature),
    ("clock_skew", 401, _clock_skew),
    ("replayed_nonce", 401, _replayed_nonce),
    ("unknown_terminal", 401, _unknown_terminal),
    ("terminal_disabled", 401, _terminal_disabled),
    ("invalid_enrollment_code", 403, _invalid_enrollment_code),
    ("card_invalid", 422, _card_invalid),
    ("card_reported_lost", 403, _card_reported_lost),
    ("ticket_expired", 410, _ticket_expired),
    ("no_phone_on_file", 409, _no_phone_on_file),
    ("resend_too_soon", 429, _resend_too_soon),
    ("wrong_code", 400, _wrong_code),
    ("locked", 423, _locked),
    ("code_expired", 400, _code_expired),
    ("staff_denied", 403, _staff_denied),
    ("session_not_found", 404, _session_not_found),
    ("session_expired", 410, _session_expired),
    ("invalid_token", 401, _invalid_token),
    ("token_expired", 401, _token_expired),
    ("pdf_not_available", 404, _pdf_not_available),
    ("unknown_record", 422, _unknown_record),
    ("report_not_found", 404, _report_not_found),
    ("missing_idempotency_key", 400, _missing_idempotency_key),
    ("idempotency_key_reused", 422, _idempotency_key_reused),
    ("payload_too_large", 413, _payload_too_large),
    ("malformed_json", 400, _malformed_json),
    ("not_found", 404, _not_found),
    ("method_not_allowed", 405, _method_not_allowed),
    ("not_found", 404, _verify_not_found),
]


@pytest.mark.parametrize(
    ("code", "status", "provoke"),
    ERROR_TABLE,
    ids=[f"{status}-{provoke.__name__.strip('_')}" for _, status, provoke in ERROR_TABLE],
)
def test_every_spec_error_code(
    platform_sim: PlatformSimulator,
    enrolled_client: PlatformClient,
    issuer: Issuer,
    monkeypatch: pytest.MonkeyPatch,
    code: str,
    status: int,
    provoke: Callable[[Ctx], Outcome],
) -> None:
    ctx = Ctx(platform_sim, enrolled_client, issuer, monkeypatch)
    assert provoke(ctx) == (status, code)
    # The UI can explain each one in its own plain words, not the generic outage text.
    message = errors.to_user_message(errors.PlatformRejected(code, status=status))
    assert message.key == code
    assert message.title
    assert message.body


def test_error_bodies_follow_the_spec(
    platform_sim: PlatformSimulator, enrolled_client: PlatformClient, issuer: Issuer
) -> None:
    session = open_session(enrolled_client, issuer.card(ZHANG))
    enrolled_client.send_otp(session.session_id)
    response = signed(
        platform_sim,
        creds_of(enrolled_client),
        "POST",
        f"/v1/sessions/{session.session_id}/otp",
        b"{}",
    )
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "resend_too_soon"
    assert isinstance(error["message"], str)
    assert int(response.headers["Retry-After"]) == error["retry_after_s"] > 0


# ---------------------------------------------------------------- staff credentials (§3, v1.2)


@pytest.mark.parametrize(
    ("staff_id", "pin"),
    [
        ("100001", "246810"),  # the demo's own staff member, six and six digits
        ("ST001", LETTER_STAFF_PIN),  # letters in the id, a five-digit PIN
        ("st001", LETTER_STAFF_PIN),  # the id is matched case-insensitively
        ("sT001", LETTER_STAFF_PIN),
    ],
)
def test_staff_ids_with_letters_and_pins_of_other_lengths_are_accepted(
    enrolled_client: PlatformClient, issuer: Issuer, staff_id: str, pin: str
) -> None:
    session = open_session(enrolled_client, issuer.card(WANG))
    token = enrolled_client.staff_assist(session.session_id, staff_id, pin)
    assert token.expires_in == 600
    assert enrolled_client.fetch_report(token.token).subject.name == WANG.name


OUT_OF_FORMAT = [
    ("S" * 17, LETTER_STAFF_PIN),  # ids are 1..16 characters
    ("", LETTER_STAFF_PIN),
    ("ST-001", LETTER_STAFF_PIN),  # letters and digits only
    ("ST 001", LETTER_STAFF_PIN),
    ("ＳＴ００１", LETTER_STAFF_PIN),  # ASCII only
    ("ST001", "135"),  # PINs are 4..12 digits
    ("ST001", "1357913579135"),
    ("ST001", "1357a"),
    ("ST001", "١٣٥٧٩"),
]


def test_staff_credentials_out_of_format_are_bad_request_and_use_no_attempt(
    enrolled_client: PlatformClient, issuer: Issuer
) -> None:
    session = open_session(enrolled_client, issuer.card(WANG))
    for staff_id, pin in OUT_OF_FORMAT:

        def send(staff_id: str = staff_id, pin: str = pin) -> object:
            return enrolled_client.staff_assist(session.session_id, staff_id, pin)

        refused = refusal(send)
        assert (refused.status, refused.code) == (400, "bad_request"), (staff_id, pin)
        assert refused.attempts_left is None
    # Nine refusals and not one attempt spent: a wrong PIN in format is the first of three.
    denied = refusal(lambda: enrolled_client.staff_assist(session.session_id, "ST001", "97531"))
    assert (denied.status, denied.code, denied.attempts_left) == (403, "staff_denied", 2)
    token = enrolled_client.staff_assist(session.session_id, "ST001", LETTER_STAFF_PIN)
    assert token.expires_in == 600


@pytest.mark.parametrize(
    "body",
    [
        {"staff_id": 100001, "staff_pin": "246810"},  # a number is not a staff id
        {"staff_id": "100001", "staff_pin": 246810},
        {"staff_id": "100001"},
        {},
    ],
)
def test_staff_credentials_that_are_not_text_are_bad_request(
    platform_sim: PlatformSimulator,
    enrolled_client: PlatformClient,
    issuer: Issuer,
    body: dict[str, object],
) -> None:
    session = open_session(enrolled_client, issuer.card(WANG))
    target = f"/v1/sessions/{session.session_id}/staff-assist"
    raw = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    response = signed(platform_sim, creds_of(enrolled_client), "POST", target, raw, headers)
    assert _raw(response) == (400, "bad_request")
    # No attempt used here either.
    denied = refusal(lambda: enrolled_client.staff_assist(session.session_id, "100001", "0000"))
    assert denied.attempts_left == 2


# ---------------------------------------------------------------- residents and reports


def test_residents_cover_every_section_status_and_case(
    enrolled_client: PlatformClient, issuer: Issuer
) -> None:
    sections_with_records: set[str] = set()
    statuses: set[str] = set()
    guide_ids: set[str] = set()
    reports = {}
    for key, resident in RESIDENTS.items():
        report = enrolled_client.fetch_report(
            staff_token(enrolled_client, issuer.card(resident)).token
        )
        reports[key] = report
        assert [s.code for s in report.sections] == list(SECTION_TITLES)
        for section in report.sections:
            if section.records:
                sections_with_records.add(section.code)
            for record in section.records:
                statuses.add(record.status)
                if record.repair is not None and record.repair.guide_id is not None:
                    guide_ids.add(record.repair.guide_id)
    assert sections_with_records == set(SECTION_TITLES)
    assert statuses == SPEC_STATUSES
    clean = reports["chen_jing"]
    assert not clean.summary.has_negative
    assert clean.summary.negative_count == 0
    assert clean.negative_records() == []
    assert sum(len(s.records) for s in reports["li_na"].sections) >= 24
    assert WANG.phone is None
    for guide_id in guide_ids:  # every guide a record names can be shown
        guide = enrolled_client.repair_guide(guide_id)
        assert guide.guide_id == guide_id
        assert guide.steps
        assert guide.documents


def test_es256_report_verifies(tmp_path: Path, issuer: Issuer) -> None:
    with (
        PlatformSimulator(
            tmp_path / "es256", issuer_ca_certs=[issuer.der], report_alg="ES256"
        ) as sim,
        client_for(sim, None) as client,
    ):
        client.enroll(sim.new_enrollment_code(), "kiosk-es256")
        token = staff_token(client, issuer.card(ZHANG)).token
        report = client.fetch_report(token)
        assert report.subject.id_masked == ZHANG.id_masked
        jws = client._call("GET", "/v1/reports/current", bearer=token)["report_jws"]
        assert jwt.get_unverified_header(jws)["alg"] == "ES256"
        keys = signed(sim, None, "GET", "/v1/keys").json()["keys"]
        assert [(k["kty"], k["crv"], k["alg"]) for k in keys] == [("EC", "P-256", "ES256")]


def test_rotation_between_eddsa_and_es256(
    platform_sim: PlatformSimulator, enrolled_client: PlatformClient, issuer: Issuer
) -> None:
    token = staff_token(enrolled_client, issuer.card(ZHANG)).token
    first = enrolled_client.fetch_report(token)
    platform_sim.rotate_report_key(alg="ES256")
    assert enrolled_client.fetch_report(token) == first
    algs = {k["alg"] for k in signed(platform_sim, None, "GET", "/v1/keys").json()["keys"]}
    assert algs == {"EdDSA", "ES256"}


def _tamper_payload(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], Any]:
    def mutate(payload: dict[str, Any]) -> dict[str, Any]:
        change(payload)
        return payload

    return mutate


@pytest.mark.parametrize(
    "change",
    [
        lambda p: p["summary"].update(negative_count="2"),
        lambda p: p["summary"].update(status="unknown"),
        lambda p: p.pop("verification_code"),
        lambda p: p["sections"][0]["records"][0].update(date="2024/05/02"),
        lambda p: p["sections"][4]["records"][0]["repair"].pop("eligible"),
        lambda p: p.update(generated_at="yesterday"),
    ],
    ids=["count-type", "summary-status", "no-code", "date-format", "repair-eligible", "time"],
)
def test_schema_invalid_payload_refused_though_signed(
    platform_sim: PlatformSimulator,
    enrolled_client: PlatformClient,
    issuer: Issuer,
    change: Callable[[dict[str, Any]], None],
) -> None:
    token = staff_token(enrolled_client, issuer.card(ZHANG)).token
    platform_sim.report_mutator = _tamper_payload(change)
    with pytest.raises(errors.ReportInvalid, match="schema") as exc:
        enrolled_client.fetch_report(token)
    assert ZHANG.name not in str(exc.value)  # the message names a path, never a value


def test_unknown_sections_and_fields_kept(
    platform_sim: PlatformSimulator, enrolled_client: PlatformClient, issuer: Issuer
) -> None:
    token = staff_token(enrolled_client, issuer.card(ZHANG)).token

    def extend(payload: dict[str, Any]) -> None:
        payload["future_member"] = {"x": 1}
        payload["sections"][0]["records"][0]["extra"] = True
        payload["sections"].insert(
            2,
            {
                "code": "green_finance",
                "title": "绿色金融",
                "records": [
                    {
                        "record_id": "G-1",
                        "date": "2026-01-01",
                        "authority": "某银行",
                        "title": "绿色信贷",
                        "status": "in_effect",
                    }
                ],
            },
        )

    platform_sim.report_mutator = _tamper_payload(extend)
    report = enrolled_client.fetch_report(token)
    assert [s.code for s in report.sections][:3] == ["identity", "honors", "green_finance"]
    assert report.sections[2].title == "绿色金融"


# ---------------------------------------------------------------- after the report


def test_report_pdf_absent_then_served(
    platform_sim: PlatformSimulator, enrolled_client: PlatformClient, issuer: Issuer
) -> None:
    """The simulator's optional PDF endpoint (spec §5). The kiosk renders its own PDF and
    never calls it, so this speaks to it directly."""
    token = staff_token(enrolled_client, issuer.card(ZHANG)).token
    bearer = {"Authorization": f"Bearer {token}"}
    creds = creds_of(enrolled_client)
    absent = signed(platform_sim, creds, "GET", "/v1/reports/current/pdf", headers=bearer)
    assert _raw(absent) == (404, "pdf_not_available")
    platform_sim.serve_pdf = True
    served = signed(platform_sim, creds, "GET", "/v1/reports/current/pdf", headers=bearer)
    assert served.status_code == 200
    assert served.headers["Content-Type"].startswith("application/pdf")
    assert served.content.startswith(b"%PDF-")


def test_objection_is_idempotent(
    platform_sim: PlatformSimulator, enrolled_client: PlatformClient, issuer: Issuer
) -> None:
    token = staff_token(enrolled_client, issuer.card(ZHANG)).token
    report = enrolled_client.fetch_report(token)
    first = enrolled_client.create_objection(token, report.report_id, "P-1", "已缴清罚款", "ob-7")
    again = enrolled_client.create_objection(token, report.report_id, "P-1", "已缴清罚款", "ob-7")
    assert first == again
    assert first.status == "received"
    assert first.objection_id.startswith("OB")
    assert [(o.report_id, o.record_id) for o in platform_sim.objections] == [
        (report.report_id, "P-1")
    ]
    with pytest.raises(ValueError, match="reason"):
        enrolled_client.create_objection(token, report.report_id, "P-1", " ", "ob-8")


def test_share_link_is_one_time(
    platform_sim: PlatformSimulator, enrolled_client: PlatformClient, issuer: Issuer
) -> None:
    token = staff_token(enrolled_client, issuer.card(ZHANG)).token
    report = enrolled_client.fetch_report(token)
    link = enrolled_client.share_report(token, report.report_id)
    other = enrolled_client.share_report(token, report.report_id)
    assert link.url != other.url  # each call makes a new link
    assert link.url not in repr(link)
    now = dt.datetime.now(dt.UTC)
    assert now + dt.timedelta(minutes=9) < link.expires_at <= now + dt.timedelta(minutes=11)
    with http_session(platform_sim) as http:
        first = http.get(link.url, timeout=30)
        assert first.status_code == 200
        assert first.headers["Content-Type"] == "application/pdf"
        assert first.content.startswith(b"%PDF-")
        second = http.get(link.url, timeout=10)
        assert second.status_code == 410
    refused = refusal(lambda: enrolled_client.share_report(token, "R2000010100001"))
    assert (refused.status, refused.code) == (404, "report_not_found")


def test_repair_guide(enrolled_client: PlatformClient) -> None:
    guide = enrolled_client.repair_guide("repair-admin-penalty")
    expected = REPAIR_GUIDES["repair-admin-penalty"]
    assert guide.title == expected["title"]
    assert guide.steps == tuple(expected["steps"])
    assert guide.documents == tuple(expected["documents"])
    assert (guide.where, guide.hall_window, guide.hours) == (
        expected["where"],
        expected["hall_window"],
        expected["hours"],
    )


def test_audit_events_accepted_and_duplicates(
    platform_sim: PlatformSimulator, enrolled_client: PlatformClient
) -> None:
    at = dt.datetime.now(dt.UTC)
    one, two = str(uuid.uuid4()), str(uuid.uuid4())
    events = [AuditEvent(one, at, "report_shown", {"id_hash": "ab12"}), AuditEvent(two, at, "x")]
    assert enrolled_client.send_audit_events(events) == ((one, two), ())
    accepted, duplicates = enrolled_client.send_audit_events(events[1:])
    assert (accepted, duplicates) == ((), (two,))
    assert [e.event_id for e in platform_sim.audit_events] == [one, two]
    # A batch with one event lacking event_id is refused whole.
    body = json.dumps({"events": [{"event_id": "new"}, {"type": "no id"}]}).encode()
    response = signed(platform_sim, creds_of(enrolled_client), "POST", "/v1/audit-events", body)
    assert response.status_code == 400
    assert len(platform_sim.audit_events) == 2
    with pytest.raises(ValueError, match="event_id"):
        enrolled_client.send_audit_events([AuditEvent("", at, "x")])


def test_heartbeat(platform_sim: PlatformSimulator, enrolled_client: PlatformClient) -> None:
    enrolled_client.heartbeat("0.1.0", {"printer": "ok", "reader": "ok"}, 3)
    beat = platform_sim.last_heartbeat(creds_of(enrolled_client).terminal_id)
    assert beat == {
        "version": "0.1.0",
        "devices": {"printer": "ok", "reader": "ok"},
        "outbox_backlog": 3,
    }
    assert platform_sim.request_log[-1].status == 204


def _content(client: PlatformClient, etag: str | None) -> Content | None:
    """The content as the public cache keeps it: the document, then parsed."""
    document = client.content_document(etag)
    return None if document is None else parse_content(*document)


def test_content_with_etag(
    platform_sim: PlatformSimulator, enrolled_client: PlatformClient
) -> None:
    content = _content(enrolled_client, None)
    assert content is not None
    assert content.etag
    assert content.hall.name
    assert content.service_hours
    assert {g.guide_id for g in content.repair_guides} == set(REPAIR_GUIDES)
    assert content.announcements[0].valid_from < content.announcements[0].valid_until
    assert _content(enrolled_client, content.etag) is None
    assert platform_sim.request_log[-1].status == 304
    assert _content(enrolled_client, '"stale"') == content


def test_trust_anchors_and_public_keys(
    platform_sim: PlatformSimulator, enrolled_client: PlatformClient, issuer: Issuer
) -> None:
    assert enrolled_client.trust_anchors() == [issuer.der]
    response = signed(platform_sim, None, "GET", "/v1/keys")  # public: no terminal headers
    assert response.status_code == 200
    assert "max-age" in response.headers["Cache-Control"]


# ---------------------------------------------------------------- persistence


def test_sqlite_store_survives_restart(tmp_path: Path, issuer: Issuer) -> None:
    data_dir = tmp_path / "platform"
    with PlatformSimulator(data_dir, issuer_ca_certs=[issuer.der]) as sim:
        with client_for(sim, None) as client:
            creds = client.enroll(code := sim.new_enrollment_code(), "kiosk")
            token = staff_token(client, issuer.card(ZHANG)).token
            report = client.fetch_report(token)
            client.record_print(
                token, report.report_id, printed_at=dt.datetime.now(dt.UTC), idempotency_key="p1"
            )
        assert (data_dir / "platform.sqlite3").exists()
    with PlatformSimulator(data_dir, issuer_ca_certs=[issuer.der]) as sim:
        with client_for(sim, creds) as client:
            assert client.trust_anchors() == [issuer.der]  # the terminal is still enrolled
            assert client.fetch_report(token) == report  # same session, same report, same key
            refused = refusal(lambda: client.enroll(code, "kiosk-2"))  # still spent
            assert refused.code == "invalid_enrollment_code"
        assert [p.report_id for p in sim.prints] == [report.report_id]
        public = signed(sim, None, "GET", f"/v1/verify/{report.verification_code}")
        assert public.json()["report_id"] == report.report_id


# ---------------------------------------------------------------- fault injection


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def fault_client(
    platform_sim: PlatformSimulator, enrolled_client: PlatformClient, waits: list[float]
) -> Iterator[PlatformClient]:
    """An enrolled client with a short read timeout that records its retry waits."""
    with client_for(
        platform_sim, creds_of(enrolled_client), read_timeout=0.5, sleep=waits.append
    ) as client:
        yield client


def _statuses(sim: PlatformSimulator, path: str) -> list[int]:
    return [e.status for e in sim.request_log if e.path == path]


def test_dropped_connection_retried_when_idempotent(
    platform_sim: PlatformSimulator, fault_client: PlatformClient, issuer: Issuer
) -> None:
    platform_sim.drop_next(path="/v1/trust-anchors")
    assert fault_client.trust_anchors() == [issuer.der]
    assert _statuses(platform_sim, "/v1/trust-anchors") == [0, 200]


def test_dropped_connection_not_retried_when_not_idempotent(
    platform_sim: PlatformSimulator, fault_client: PlatformClient
) -> None:
    platform_sim.drop_next(path="/v1/identity/challenge")
    with pytest.raises(errors.PlatformUnavailable):
        fault_client.challenge()
    assert _statuses(platform_sim, "/v1/identity/challenge") == [0]
    assert errors.to_user_message(errors.PlatformUnavailable("x")).can_retry


def test_answer_lost_after_print_recorded_once(
    platform_sim: PlatformSimulator, fault_client: PlatformClient, issuer: Issuer
) -> None:
    token = staff_token(fault_client, issuer.card(ZHANG)).token
    report = fault_client.fetch_report(token)
    path = f"/v1/reports/{report.report_id}/prints"
    platform_sim.drop_next(after_processing=True, path=path)
    fault_client.record_print(
        token, report.report_id, printed_at=dt.datetime.now(dt.UTC), idempotency_key="pr-1"
    )
    assert _statuses(platform_sim, path) == [0, 200]  # the retry replays the first answer
    assert len(platform_sim.prints) == 1


def test_malformed_json_answer_is_typed(
    platform_sim: PlatformSimulator, fault_client: PlatformClient
) -> None:
    platform_sim.malformed_next(path="/v1/content")
    refused = refusal(lambda: fault_client.content_document(None))
    assert refused.code == "malformed_response"
    assert errors.to_user_message(refused).key == "platform_unavailable"


def test_late_answer_retried_when_idempotent(
    platform_sim: PlatformSimulator, fault_client: PlatformClient, issuer: Issuer
) -> None:
    platform_sim.delay_next(1.0, path="/v1/trust-anchors")
    assert fault_client.trust_anchors() == [issuer.der]
    platform_sim.delay_next(1.0, path="/v1/identity/challenge")
    with pytest.raises(errors.PlatformUnavailable, match="Timeout"):
        fault_client.challenge()


def test_latency_on_every_request_gives_up(
    platform_sim: PlatformSimulator, fault_client: PlatformClient, waits: list[float]
) -> None:
    platform_sim.latency_s = 0.8
    with pytest.raises(errors.PlatformUnavailable, match="Timeout"):
        fault_client.trust_anchors()
    platform_sim.latency_s = 0
    assert len(waits) == 2  # three attempts, backing off between them


def test_rate_limited(
    platform_sim: PlatformSimulator,
    fault_client: PlatformClient,
    issuer: Issuer,
    waits: list[float],
) -> None:
    platform_sim.fail_next(status=429, retry_after_s=2, path="/v1/trust-anchors")
    assert fault_client.trust_anchors() == [issuer.der]
    assert waits == [2.0]
    # A 429 was not processed: even a call without Idempotency-Key goes again (spec §7).
    platform_sim.fail_next(status=429, retry_after_s=7, path="/v1/identity/challenge")
    assert len(fault_client.challenge().challenge) == 32
    assert waits == [2.0, 7.0]
    # A wait beyond the client's patience is the caller's: it offers "try again".
    platform_sim.fail_next(status=429, retry_after_s=30, path="/v1/identity/challenge")
    refused = refusal(fault_client.challenge)
    assert (refused.status, refused.retry_after_s) == (429, 30.0)
    assert errors.to_user_message(refused).can_retry
    platform_sim.fail_next(status=503, retry_after_s=1, path="/v1/keys")
    token = staff_token(fault_client, issuer.card(ZHANG)).token
    assert fault_client.fetch_report(token).subject.name == ZHANG.name
