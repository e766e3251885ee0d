"""Contract tests for what platform-api.md v1.2 added, over real HTTPS against the simulator.

Hardware and approvals (§1, §6), the identity answers' ``assurance`` and ``face_policy`` (§2),
ID cards attested by a certified reader (§2b), the face check (§3b), and a v1 platform that
has none of it. Requests are built and signed here (``tests.support.platform_http``), not by
the kiosk's client: these tests pin the platform's side of the contract, each rule and the
order of its checks, whatever the client does with them.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from kiosk.platform.credentials import TerminalCredentials
from simulators.card_factory import FID_CARDCERT, FID_HOLDER, FID_PHOTO, FID_SOD, issue_card
from simulators.platform_server import DEMO_STAFF, PlatformSimulator
from simulators.residents import (
    FOREIGN_PERMANENT_RESIDENT,
    HMT_RESIDENCE_PERMIT,
    RESIDENT_ID,
    RESIDENTS,
    Resident,
    make_id_number,
)
from tests.fixtures.platform import Card, Issuer
from tests.support.platform_http import signed

ZHANG = RESIDENTS["zhang_wei"]
WANG = RESIDENTS["wang_xiuying"]  # no phone on file
LIN = RESIDENTS["lin_zhihao"]  # Taiwan resident, residence permit 830000...
ANNA = RESIDENTS["anna_muller"]  # foreign permanent resident, 2023 card, no phone
CHILD = RESIDENTS["liu_xiaoyu"]  # under 14
STAFF_ID, STAFF_PIN = next(iter(DEMO_STAFF.items()))

CST = dt.timezone(dt.timedelta(hours=8))
SAM_ID = "05.01-20101111-0012345678"
OTHER_SAM_ID = "05.01-20240301-0087654321"
NOTICE_VERSION = "face-2026-12"
MIN_SCORE = 0.363
READ_AT = "2026-12-07T10:00:00+08:00"
ATTEST = "/v1/identity/attest"


def hardware(*sam_ids: str, camera: bool = True) -> dict[str, Any]:
    """A declaration with a plain PC/SC reader, one security module per id, and a camera."""
    readers: list[dict[str, Any]] = [{"kind": "pcsc", "model": "ACR39U"}]
    readers += [{"kind": "security_module", "model": "SS628", "sam_id": s} for s in sam_ids]
    return {"readers": readers, "camera": camera}


def today_cst() -> dt.date:
    return dt.datetime.now(CST).date()


def ymd(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


# ---------------------------------------------------------------- terminals and calls


@dataclasses.dataclass
class Terminal:
    """An enrolled terminal speaking raw, signed HTTPS to the simulator."""

    sim: PlatformSimulator
    creds: TerminalCredentials
    enrolled: dict[str, Any]  # the enroll answer
    at: float | None = None  # sign with this time (a test moved the simulator's clock)

    @property
    def terminal_id(self) -> str:
        return self.creds.terminal_id

    def post(
        self,
        target: str,
        body: Any,
        *,
        key: str | None = None,
    ) -> requests.Response:
        headers = {"Content-Type": "application/json"}
        if key is not None:
            headers["Idempotency-Key"] = key
        data = json.dumps(body, ensure_ascii=False).encode()
        return signed(self.sim, self.creds, "POST", target, data, headers, at=self.at)

    def get(self, target: str, headers: dict[str, str] | None = None) -> requests.Response:
        return signed(self.sim, self.creds, "GET", target, headers=headers, at=self.at)

    def heartbeat(self, **members: Any) -> requests.Response:
        body = {"version": "1.2.0", "devices": {"reader": "ok"}, "outbox_backlog": 0, **members}
        return self.post("/v1/terminal/heartbeat", body)

    def content_approvals(self) -> Any:
        return self.get("/v1/content").json().get("approvals")


def enroll_answer(sim: PlatformSimulator, code: str, **members: Any) -> requests.Response:
    body = {"enrollment_code": code, "hostname": "kiosk-v12", **members}
    return signed(sim, None, "POST", "/v1/enroll", json.dumps(body).encode())


def enroll(sim: PlatformSimulator, declared: dict[str, Any] | None = None) -> Terminal:
    """A newly enrolled terminal; ``declared`` is its hardware (None: none sent)."""
    members = {} if declared is None else {"hardware": declared}
    response = enroll_answer(sim, sim.new_enrollment_code(), **members)
    assert response.status_code == 200, response.text
    answer = response.json()
    secret = base64.b64decode(answer["terminal_secret"])
    return Terminal(sim, TerminalCredentials(answer["terminal_id"], secret), answer)


def approved_terminal(
    sim: PlatformSimulator, *, security_module: bool = True, face: bool = True
) -> Terminal:
    """A terminal with a security module and a camera, approved as asked by the operators."""
    terminal = enroll(sim, hardware(SAM_ID))
    sim.approve(terminal.terminal_id, security_module=security_module, face=face)
    return terminal


def error(response: requests.Response) -> tuple[int, str, str | None]:
    """(status, error code, reason) of a refusal."""
    err = response.json()["error"]
    return response.status_code, err["code"], err.get("reason")


# ---------------------------------------------------------------- identities


@dataclasses.dataclass(frozen=True)
class PhotoCard:
    """An RID-1 card and the SHA-256 (hex) of its whole EF.PHOTO, as the kiosk hashes it."""

    card: Card
    photo_sha256: str


def rid1_card(issuer: Issuer, resident: Resident) -> PhotoCard:
    image = issue_card(resident, issuer.ca)
    files = image.files
    card = Card(files[FID_HOLDER], files[FID_CARDCERT], files[FID_SOD], image.private_key)
    return PhotoCard(card, hashlib.sha256(files[FID_PHOTO]).hexdigest())


def verify(terminal: Terminal, card: Card) -> requests.Response:
    """Challenge, the card's signature and ``/v1/identity/verify`` (§2)."""
    challenge = terminal.post("/v1/identity/challenge", {}).json()
    signature = card.sign(base64.b64decode(challenge["challenge"]))
    parts = {
        "holder": card.holder,
        "card_cert": card.card_cert,
        "sod": card.sod,
        "signature": signature,
    }
    body = {"ticket": challenge["ticket"]}
    body |= {name: base64.b64encode(data).decode() for name, data in parts.items()}
    return terminal.post("/v1/identity/verify", body)


def holder_of(resident: Resident, **changes: str) -> dict[str, str]:
    holder = {
        "document": resident.document,
        "id_number": resident.id_number,
        "name": resident.name,
        "valid_from": resident.valid_from,
        "valid_until": resident.valid_until,
    }
    return holder | changes


def attest_body(
    resident: Resident, *, sam_id: str = SAM_ID, **holder_changes: str
) -> dict[str, Any]:
    return {
        "reader": {"sam_id": sam_id, "model": "SS628"},
        "holder": holder_of(resident, **holder_changes),
        "read_at": READ_AT,
    }


_keys = iter(range(10**9))


def new_key(prefix: str = "k") -> str:
    """A fresh Idempotency-Key."""
    return f"{prefix}-{next(_keys)}"


def attest(terminal: Terminal, body: Any, key: str | None = None) -> requests.Response:
    return terminal.post(ATTEST, body, key=key or new_key("attest"))


# ================================================================ §1 hardware at enrolment


def test_enrolment_without_hardware_approves_nothing(platform_sim: PlatformSimulator) -> None:
    terminal = enroll(platform_sim)
    assert terminal.enrolled["approvals"] == {"security_module": False, "face": False}
    assert platform_sim.declared_hardware(terminal.terminal_id) is None


def test_enrolment_keeps_the_declared_hardware_unknown_members_too(
    platform_sim: PlatformSimulator,
) -> None:
    declared = hardware(SAM_ID)
    declared["readers"].append({"kind": "nfc_future", "model": "X", "firmware": "2.1"})
    declared["readers"][1]["usb_port"] = "1-2"
    declared["screen"] = {"inches": 21}
    terminal = enroll(platform_sim, declared)
    # Declared is not approved: the operators decide.
    assert terminal.enrolled["approvals"] == {"security_module": False, "face": False}
    assert platform_sim.declared_hardware(terminal.terminal_id) == declared


MALFORMED_HARDWARE: list[Any] = [
    None,
    [],
    "camera",
    {"readers": {"kind": "pcsc"}},  # readers is a list
    {"readers": ["pcsc"]},
    {"readers": [{"model": "ACR39U"}]},  # kind is required
    {"readers": [{"kind": 1}]},
    {"readers": [{"kind": ""}]},
    {"readers": [{"kind": "pcsc", "model": 39}]},
    {"readers": [{"kind": "security_module", "model": "SS628"}]},  # sam_id required
    {"readers": [{"kind": "security_module", "sam_id": ""}]},
    {"readers": [{"kind": "security_module", "sam_id": "S" * 65}]},
    {"readers": [{"kind": "security_module", "sam_id": "05.01 0012345678"}]},
    {"readers": [{"kind": "security_module", "sam_id": "05.01-００１"}]},
    {"readers": [{"kind": "security_module", "sam_id": 512345678}]},
    {"readers": [{"kind": "pcsc", "sam_id": SAM_ID}]},  # refused on any other kind
    {"readers": [{"kind": "nfc_future", "sam_id": SAM_ID}]},
    {"camera": "yes"},
    {"camera": 1},
]


@pytest.mark.parametrize("declared", MALFORMED_HARDWARE, ids=range(len(MALFORMED_HARDWARE)))
def test_malformed_hardware_at_enrolment_is_bad_request_and_leaves_the_code_unspent(
    platform_sim: PlatformSimulator, declared: Any
) -> None:
    code = platform_sim.new_enrollment_code()
    refused = enroll_answer(platform_sim, code, hardware=declared)
    assert error(refused)[:2] == (400, "bad_request")
    assert enroll_answer(platform_sim, code, hardware=hardware(SAM_ID)).status_code == 200


@pytest.mark.parametrize("sam_id", ["!", "~" * 64, "05.01-20101111-0012345678", "a/B:c"])
def test_sam_ids_of_1_to_64_visible_ascii_characters_are_accepted(
    platform_sim: PlatformSimulator, sam_id: str
) -> None:
    terminal = enroll(platform_sim, hardware(sam_id))
    platform_sim.approve(terminal.terminal_id, security_module=True)
    assert terminal.content_approvals()["security_module"] is True
    assert attest(terminal, attest_body(ZHANG, sam_id=sam_id)).status_code == 200


def test_auto_approve_approves_what_is_declared(tmp_path: Path) -> None:
    with PlatformSimulator(tmp_path / "auto", issuer_ca_certs=[], auto_approve=True) as sim:
        both = enroll(sim, hardware(SAM_ID))
        assert both.enrolled["approvals"] == {"security_module": True, "face": True}
        no_camera = enroll(sim, hardware(SAM_ID, camera=False))
        assert no_camera.enrolled["approvals"] == {"security_module": True, "face": False}
        plain = enroll(sim, hardware())
        assert plain.enrolled["approvals"] == {"security_module": False, "face": True}
        # Later heartbeats too: a replaced module is approved again at once.
        assert both.heartbeat(hardware=hardware(OTHER_SAM_ID)).status_code == 204
        assert both.content_approvals() == {"security_module": True, "face": True}
        assert attest(both, attest_body(ZHANG, sam_id=OTHER_SAM_ID)).status_code == 200


def test_approve_refuses_what_operators_could_not_approve(
    platform_sim: PlatformSimulator,
) -> None:
    terminal = enroll(platform_sim, hardware())
    with pytest.raises(ValueError, match="security module"):
        platform_sim.approve(terminal.terminal_id, security_module=True)
    with pytest.raises(LookupError):
        platform_sim.approve("T-NOBODY", face=True)


# ================================================================ §1, §6 approvals over time


def test_content_carries_the_terminals_own_approvals_and_its_etag_follows_them(
    platform_sim: PlatformSimulator,
) -> None:
    terminal = enroll(platform_sim, hardware(SAM_ID))
    other = enroll(platform_sim, hardware(SAM_ID))
    first = terminal.get("/v1/content")
    assert first.json()["approvals"] == {"security_module": False, "face": False}
    etag = first.headers["ETag"]
    assert terminal.get("/v1/content", {"If-None-Match": etag}).status_code == 304
    platform_sim.approve(terminal.terminal_id, security_module=True, face=True)
    changed = terminal.get("/v1/content", {"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.json()["approvals"] == {"security_module": True, "face": True}
    assert other.content_approvals() == {"security_module": False, "face": False}
    assert platform_sim.approvals(terminal.terminal_id) == changed.json()["approvals"]


def test_another_set_of_security_modules_withdraws_the_approval_until_approved_again(
    platform_sim: PlatformSimulator,
) -> None:
    terminal = approved_terminal(platform_sim, face=False)
    # The same set, described otherwise (another model, the PC/SC reader gone), keeps it.
    same = hardware(SAM_ID)
    same["readers"] = [{"kind": "security_module", "model": "SS728", "sam_id": SAM_ID}]
    assert terminal.heartbeat(hardware=same).status_code == 204
    assert terminal.content_approvals()["security_module"] is True
    # A module added: withdrawn.
    assert terminal.heartbeat(hardware=hardware(SAM_ID, OTHER_SAM_ID)).status_code == 204
    assert terminal.content_approvals()["security_module"] is False
    refused = attest(terminal, attest_body(ZHANG))
    assert error(refused) == (403, "attestation_not_allowed", "terminal_not_approved")
    # Back to the approved set: still withdrawn, the operators approve again.
    assert terminal.heartbeat(hardware=hardware(SAM_ID)).status_code == 204
    assert terminal.content_approvals()["security_module"] is False
    platform_sim.approve(terminal.terminal_id, security_module=True)
    assert terminal.content_approvals()["security_module"] is True
    assert attest(terminal, attest_body(ZHANG)).status_code == 200


def test_a_module_removed_or_replaced_withdraws_the_approval(
    platform_sim: PlatformSimulator,
) -> None:
    for declared in (hardware(), hardware(OTHER_SAM_ID)):
        terminal = approved_terminal(platform_sim)
        assert terminal.heartbeat(hardware=declared).status_code == 204
        assert terminal.content_approvals() == {"security_module": False, "face": True}


def test_a_heartbeat_without_hardware_changes_nothing(platform_sim: PlatformSimulator) -> None:
    terminal = approved_terminal(platform_sim)
    assert terminal.heartbeat().status_code == 204
    assert terminal.content_approvals() == {"security_module": True, "face": True}
    assert platform_sim.declared_hardware(terminal.terminal_id) == hardware(SAM_ID)


@pytest.mark.parametrize("declared", MALFORMED_HARDWARE, ids=range(len(MALFORMED_HARDWARE)))
def test_malformed_hardware_in_a_heartbeat_is_bad_request_and_changes_nothing(
    platform_sim: PlatformSimulator, declared: Any
) -> None:
    terminal = approved_terminal(platform_sim)
    assert terminal.heartbeat(outbox_backlog=4).status_code == 204
    assert error(terminal.heartbeat(hardware=declared))[:2] == (400, "bad_request")
    assert terminal.content_approvals() == {"security_module": True, "face": True}
    assert platform_sim.declared_hardware(terminal.terminal_id) == hardware(SAM_ID)
    assert platform_sim.last_heartbeat(terminal.terminal_id)["outbox_backlog"] == 4


def test_face_is_false_while_no_camera_is_declared(
    platform_sim: PlatformSimulator, issuer: Issuer
) -> None:
    terminal = approved_terminal(platform_sim)
    assert terminal.heartbeat(hardware=hardware(SAM_ID, camera=False)).status_code == 204
    assert terminal.content_approvals() == {"security_module": True, "face": False}
    assert "face" not in verify(terminal, issuer.card(ZHANG)).json()["second_factors"]
    # The operators' decision stands: with the camera back, face is on again.
    assert terminal.heartbeat(hardware=hardware(SAM_ID)).status_code == 204
    assert terminal.content_approvals() == {"security_module": True, "face": True}
    assert "face" in verify(terminal, issuer.card(ZHANG)).json()["second_factors"]


def test_face_approved_for_a_terminal_that_declared_no_camera_is_not_offered(
    platform_sim: PlatformSimulator, issuer: Issuer
) -> None:
    terminal = enroll(platform_sim, {"readers": [{"kind": "pcsc"}]})
    platform_sim.approve(terminal.terminal_id, face=True)
    assert terminal.content_approvals() == {"security_module": False, "face": False}
    assert verify(terminal, issuer.card(ZHANG)).json()["second_factors"] == [
        "sms_otp",
        "staff_assist",
    ]


# ================================================================ §2 identity answers


def test_verify_answers_active_auth_and_no_face_without_approval(
    platform_sim: PlatformSimulator, issuer: Issuer
) -> None:
    terminal = approved_terminal(platform_sim, face=False)
    answer = verify(terminal, issuer.card(ZHANG)).json()
    assert answer["assurance"] == "active_auth"
    assert answer["second_factors"] == ["sms_otp", "staff_assist"]
    assert "face_policy" not in answer


def assert_face_policy(answer: dict[str, Any]) -> None:
    """``face_policy`` exactly as §2 shapes it, with a notice written out in plain text."""
    policy = answer["face_policy"]
    assert set(policy) == {"models", "liveness", "attempts", "notice"}
    assert policy["models"] == {"sface-2021dec": {"min_score": MIN_SCORE}}
    assert policy["liveness"] == ["head_turn"]
    assert policy["attempts"] == 3
    notice = policy["notice"]
    assert set(notice) == {"version", "title", "body"}
    assert notice["version"] == NOTICE_VERSION
    assert notice["title"].strip()
    # What is compared with what, where; nothing kept or sent; the other ways.
    for words in ("照片", "本机", "不保存", "短信", "工作人员"):
        assert words in notice["body"], words
    assert "<" not in notice["body"]


@pytest.mark.parametrize(
    ("resident", "others"),
    [(ZHANG, {"sms_otp", "staff_assist"}), (WANG, {"staff_assist"})],
    ids=["with-phone", "no-phone"],
)
def test_face_is_offered_beside_the_other_factors_on_an_approved_terminal(
    platform_sim: PlatformSimulator, issuer: Issuer, resident: Resident, others: set[str]
) -> None:
    terminal = approved_terminal(platform_sim)
    answer = verify(terminal, issuer.card(resident)).json()
    assert sorted(answer["second_factors"]) == sorted(others | {"face"})
    assert_face_policy(answer)
    attested = attest(terminal, attest_body(resident)).json()
    assert attested["assurance"] == "security_module"
    assert sorted(attested["second_factors"]) == sorted(others | {"face"})
    assert_face_policy(attested)


def test_a_child_under_14_is_never_offered_face(
    platform_sim: PlatformSimulator, issuer: Issuer
) -> None:
    terminal = approved_terminal(platform_sim)
    verified = verify(terminal, issuer.card(CHILD)).json()
    attested = attest(terminal, attest_body(CHILD)).json()
    for answer in (verified, attested):
        assert answer["second_factors"] == ["staff_assist"]
        assert "face_policy" not in answer
    assert "face" in verify(terminal, issuer.card(ZHANG)).json()["second_factors"]


def _resident_born(birth: str) -> Resident:
    return dataclasses.replace(
        ZHANG,
        key=f"born_{birth}",
        id_number=make_id_number("321102", birth, "031"),
        birth_date=birth,
        valid_from="20200101",
        valid_until="20300101",
    )


def _cst_moment(day: str, clock: str) -> float:
    return dt.datetime.fromisoformat(f"{day}T{clock}+08:00").timestamp()


@pytest.mark.parametrize(
    ("birth", "day", "clock", "offered"),
    [
        ("20120615", "2026-06-14", "23:59:30", False),
        ("20120615", "2026-06-15", "00:00:30", True),  # the 14th birthday, in China's time
        ("20120229", "2026-02-28", "23:59:30", False),  # no 29 February in 2026 ...
        ("20120229", "2026-03-01", "00:00:30", True),  # ... so 1 March is the anniversary
        ("20120229", "2024-02-28", "12:00:00", False),  # 12 years old
        ("19870315", "2026-03-01", "12:00:00", True),
    ],
)
def test_the_fourteenth_birthday_in_china_standard_time(
    tmp_path: Path, birth: str, day: str, clock: str, offered: bool
) -> None:
    resident = _resident_born(birth)
    moment = _cst_moment(day, clock)
    with PlatformSimulator(
        tmp_path / "age",
        issuer_ca_certs=[],
        residents={resident.key: resident},
        auto_approve=True,
    ) as sim:
        sim.clock = lambda: moment
        terminal = dataclasses.replace(enroll(sim, hardware(SAM_ID)), at=moment)
        answer = attest(terminal, attest_body(resident))
        assert answer.status_code == 200, answer.text
        assert ("face" in answer.json()["second_factors"]) is offered
        assert ("face_policy" in answer.json()) is offered


# ================================================================ §2b attest: success


@pytest.mark.parametrize("resident", [ZHANG, LIN, ANNA], ids=lambda r: r.document)
def test_attest_opens_a_session_for_each_document(
    platform_sim: PlatformSimulator, resident: Resident
) -> None:
    terminal = approved_terminal(platform_sim, face=False)
    response = attest(terminal, attest_body(resident))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["assurance"] == "security_module"
    assert answer["subject"] == {"name": resident.name, "id_masked": resident.id_masked}
    assert answer["phone_masked"] == resident.phone_masked
    factors = ["sms_otp", "staff_assist"] if resident.phone else ["staff_assist"]
    assert answer["second_factors"] == factors
    expires = dt.datetime.fromisoformat(answer["expires_at"])
    assert dt.timedelta(minutes=14) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(minutes=15)
    record = platform_sim.session_record(answer["session_id"])
    assert record is not None
    assert (record.assurance, record.sam_id, record.read_at) == ("security_module", SAM_ID, READ_AT)
    assert record.photo_sha256 is None  # no SOD: the reader's photo is not bound by one
    # The session needs a second factor like any other.
    bearer = {"Authorization": "Bearer none"}
    assert error(terminal.get("/v1/reports/current", bearer))[:2] == (401, "invalid_token")
    staff = {"staff_id": STAFF_ID, "staff_pin": STAFF_PIN}
    token = terminal.post(f"/v1/sessions/{answer['session_id']}/staff-assist", staff).json()
    report = terminal.get(
        "/v1/reports/current", {"Authorization": f"Bearer {token['access_token']}"}
    )
    assert report.status_code == 200


def test_verify_sessions_note_active_auth_and_the_sods_photo_hash(
    platform_sim: PlatformSimulator, issuer: Issuer
) -> None:
    terminal = approved_terminal(platform_sim)
    card = rid1_card(issuer, ZHANG)
    session_id = verify(terminal, card.card).json()["session_id"]
    record = platform_sim.session_record(session_id)
    assert record is not None
    assert (record.assurance, record.photo_sha256) == ("active_auth", card.photo_sha256)


@pytest.mark.parametrize(
    "read_at", ["2026-12-07T02:00:00Z", "2026-12-07T10:00:00.250+08:00", "2026-12-07t02:00:00z"]
)
def test_read_at_may_be_any_rfc3339_time_with_offset(
    platform_sim: PlatformSimulator, read_at: str
) -> None:
    terminal = approved_terminal(platform_sim)
    body = attest_body(ZHANG) | {"read_at": read_at}
    assert attest(terminal, body).status_code == 200


# ================================================================ §2b attest: refusals in order


def test_a_missing_idempotency_key_is_refused_before_anything_else(
    platform_sim: PlatformSimulator,
) -> None:
    unapproved = enroll(platform_sim, hardware(SAM_ID))
    approved = approved_terminal(platform_sim)
    for terminal in (unapproved, approved):
        for body in ({}, attest_body(ZHANG)):
            refused = terminal.post(ATTEST, body)
            assert error(refused) == (400, "missing_idempotency_key", None)


@pytest.mark.parametrize(
    "declared", [None, hardware(), hardware(SAM_ID)], ids=["none", "no-module", "not-approved"]
)
def test_a_terminal_not_approved_for_certified_readers_is_refused_first(
    platform_sim: PlatformSimulator, declared: dict[str, Any] | None
) -> None:
    terminal = enroll(platform_sim, declared)
    platform_sim.approve(terminal.terminal_id, face=True)  # face approval is not enough
    for body in (attest_body(ZHANG), {"holder": "broken"}):
        refused = attest(terminal, body)
        assert error(refused) == (403, "attestation_not_allowed", "terminal_not_approved")


@pytest.mark.parametrize(
    "reader",
    [
        None,
        "SS628",
        {"model": "SS628"},
        {"model": "SS628", "sam_id": None},
        {"model": "SS628", "sam_id": 512345678},
        {"model": "SS628", "sam_id": OTHER_SAM_ID},
        {"model": "SS628", "sam_id": SAM_ID + " "},  # compared exactly
        {"model": "SS628", "sam_id": SAM_ID[:-1]},
    ],
)
def test_a_reader_that_is_not_an_approved_module_is_sam_mismatch(
    platform_sim: PlatformSimulator, reader: Any
) -> None:
    terminal = approved_terminal(platform_sim)
    body: dict[str, Any] = {"holder": {"document": "passport"}}  # 400 and 422 come later
    if reader is not None:
        body["reader"] = reader
    refused = attest(terminal, body)
    assert error(refused) == (403, "attestation_not_allowed", "sam_mismatch")


def _without(mapping: dict[str, Any], member: str) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k != member}


def _bad_request_bodies() -> list[tuple[str, dict[str, Any]]]:
    good = attest_body(ZHANG)
    # Each body also holds a card the checks would refuse (422 malformed_data): 400 first.
    holder = good["holder"] | {"document": "passport"}
    body = good | {"holder": holder}
    cases: list[tuple[str, dict[str, Any]]] = [
        ("no-model", body | {"reader": {"sam_id": SAM_ID}}),
        ("model-not-text", body | {"reader": {"sam_id": SAM_ID, "model": 628}}),
        ("no-holder", _without(body, "holder")),
        ("holder-not-object", body | {"holder": "欧阳秀兰"}),
        ("holder-extra-address", body | {"holder": holder | {"address": "江苏省镇江市"}}),
        ("holder-extra-photo", body | {"holder": holder | {"photo": "V0xUAAAA"}}),
        ("holder-extra-sex", body | {"holder": holder | {"sex": "1"}}),
        ("no-read-at", _without(body, "read_at")),
        ("read-at-number", body | {"read_at": 1796608800}),
        ("read-at-no-offset", body | {"read_at": "2026-12-07T10:00:00"}),
        ("read-at-date-only", body | {"read_at": "2026-12-07"}),
        ("read-at-not-a-day", body | {"read_at": "2026-02-30T10:00:00+08:00"}),
        ("read-at-text", body | {"read_at": "yesterday"}),
    ]
    for member in good["holder"]:
        poisoned = holder if member != "document" else good["holder"] | {"name": ""}
        cases.append((f"no-{member}", body | {"holder": _without(poisoned, member)}))
        cases.append((f"{member}-not-text", body | {"holder": poisoned | {member: 19870315}}))
    return cases


BAD_REQUEST_BODIES = _bad_request_bodies()


@pytest.mark.parametrize(
    "body", [b for _, b in BAD_REQUEST_BODIES], ids=[n for n, _ in BAD_REQUEST_BODIES]
)
def test_an_attest_body_out_of_shape_is_bad_request_and_binds_no_key(
    platform_sim: PlatformSimulator, body: dict[str, Any]
) -> None:
    terminal = approved_terminal(platform_sim)
    key = new_key()
    assert error(attest(terminal, body, key))[:2] == (400, "bad_request")
    # A refusal is not remembered: the corrected call with the same key opens a session.
    assert attest(terminal, attest_body(ZHANG), key).status_code == 200


def _born_tomorrow() -> str:
    return make_id_number("321102", ymd(today_cst() + dt.timedelta(days=1)), "011")


def _wrong_check_char(number: str) -> str:
    return number[:17] + next(c for c in "0123456789X" if c != number[17])


YESTERDAY, TOMORROW = (today_cst() + dt.timedelta(days=d) for d in (-1, 1))
CARD_INVALID: list[tuple[str, dict[str, str], str]] = [
    # malformed_data: formats, dates, documents
    ("passport", {"document": "passport"}, "malformed_data"),
    ("document-case", {"document": "Resident_ID"}, "malformed_data"),
    # A foreigner's card of the pre-2023 kind: 15 characters (nationality letters, digits).
    (
        "foreigner-15",
        {"document": FOREIGN_PERMANENT_RESIDENT, "id_number": "DEU198002030225"},
        "malformed_data",
    ),
    (
        "foreigner-15-digits",
        {"document": FOREIGN_PERMANENT_RESIDENT, "id_number": "932276198002030"},
        "malformed_data",
    ),
    ("lower-x", {"id_number": "32110219870315009x"}, "malformed_data"),  # X upper-case
    ("17-chars", {"id_number": ZHANG.id_number[:17]}, "malformed_data"),
    ("fullwidth-digits", {"id_number": "３２１１０２１９８７０３１５００１４"}, "malformed_data"),
    (
        "birth-not-a-day",
        {"id_number": make_id_number("321102", "19870231", "001")},
        "malformed_data",
    ),
    ("birth-in-future", {"id_number": _born_tomorrow()}, "malformed_data"),
    ("empty-name", {"name": ""}, "malformed_data"),
    ("name-31", {"name": "张" * 31}, "malformed_data"),
    ("name-padded", {"name": ZHANG.name + "  "}, "malformed_data"),
    ("valid-from-dashes", {"valid_from": "2019-06-01"}, "malformed_data"),
    ("valid-from-not-a-day", {"valid_from": "20190631"}, "malformed_data"),
    (
        "valid-from-future",
        {"valid_from": ymd(TOMORROW), "valid_until": "20460101"},
        "malformed_data",
    ),
    (
        "valid-from-after-until",
        {"valid_from": "20190601", "valid_until": "20190531"},
        "malformed_data",
    ),
    ("valid-until-text", {"valid_until": "永久"}, "malformed_data"),
    ("valid-until-short", {"valid_until": "2039061"}, "malformed_data"),
    # then the check character, the region, the expiry, the platform's residents
    ("check-char", {"id_number": _wrong_check_char(ZHANG.id_number)}, "id_check_char"),
    ("resident-id-83", {"document": RESIDENT_ID, "id_number": LIN.id_number}, "unknown_region"),
    (
        "resident-id-99",
        {"id_number": make_id_number("991102", "19870315", "001")},
        "unknown_region",
    ),
    (
        "resident-id-foreigner",
        {"document": RESIDENT_ID, "id_number": ANNA.id_number},
        "unknown_region",
    ),
    ("permit-32", {"document": HMT_RESIDENCE_PERMIT}, "unknown_region"),
    (
        "permit-84",
        {
            "document": HMT_RESIDENCE_PERMIT,
            "id_number": make_id_number("840000", "19880612", "035"),
        },
        "unknown_region",
    ),
    ("foreigner-32", {"document": FOREIGN_PERMANENT_RESIDENT}, "unknown_region"),
    (
        "foreigner-9-99",
        {
            "document": FOREIGN_PERMANENT_RESIDENT,
            "id_number": make_id_number("999276", "19800203", "022"),
        },
        "unknown_region",
    ),
    ("expired", {"valid_from": "20060101", "valid_until": ymd(YESTERDAY)}, "card_expired"),
    (
        "unknown-number",
        {"id_number": make_id_number("321102", "19870315", "999")},
        "unknown_resident",
    ),
    ("other-name", {"name": "张伟伟"}, "unknown_resident"),
    # the order among them
    (
        "malformed-before-check-char",
        {"id_number": _wrong_check_char(ZHANG.id_number), "name": ""},
        "malformed_data",
    ),
    (
        "check-char-before-region",
        {"id_number": _wrong_check_char(make_id_number("991102", "19870315", "001"))},
        "id_check_char",
    ),
    (
        "region-before-expiry",
        {"document": HMT_RESIDENCE_PERMIT, "valid_from": "20060101", "valid_until": ymd(YESTERDAY)},
        "unknown_region",
    ),
    (
        "expiry-before-resident",
        {"name": "张伟伟", "valid_from": "20060101", "valid_until": ymd(YESTERDAY)},
        "card_expired",
    ),
]


@pytest.mark.parametrize(
    ("changes", "reason"), [c[1:] for c in CARD_INVALID], ids=[c[0] for c in CARD_INVALID]
)
def test_attested_card_checks_refuse_with_the_profiles_reason(
    platform_sim: PlatformSimulator, changes: dict[str, str], reason: str
) -> None:
    terminal = approved_terminal(platform_sim)
    refused = attest(terminal, attest_body(ZHANG, **changes))
    assert error(refused) == (422, "card_invalid", reason)


def test_a_card_valid_until_today_is_not_expired(platform_sim: PlatformSimulator) -> None:
    terminal = approved_terminal(platform_sim)
    body = attest_body(ZHANG, valid_from="20060101", valid_until=ymd(today_cst()))
    assert attest(terminal, body).status_code == 200


def test_attest_refuses_a_card_reported_lost_by_number_and_valid_from(
    platform_sim: PlatformSimulator,
) -> None:
    terminal = approved_terminal(platform_sim)
    platform_sim.report_card_lost_by_number(ZHANG.id_number, ZHANG.valid_from)
    lost = attest(terminal, attest_body(ZHANG))
    assert error(lost) == (403, "card_reported_lost", None)
    # A replacement card keeps the number, not the date: it is not the lost one.
    assert attest(terminal, attest_body(ZHANG, valid_from="20240101")).status_code == 200
    # Every card check comes before the lost check.
    wrong_name = attest(terminal, attest_body(ZHANG, name="张伟伟"))
    assert error(wrong_name) == (422, "card_invalid", "unknown_resident")


def test_verify_refuses_an_rid1_card_reported_lost_by_number_and_df08(
    platform_sim: PlatformSimulator, issuer: Issuer
) -> None:
    terminal = enroll(platform_sim)
    platform_sim.report_card_lost_by_number(ZHANG.id_number, ZHANG.valid_from)
    assert error(verify(terminal, issuer.card(ZHANG))) == (403, "card_reported_lost", None)
    replacement = dataclasses.replace(ZHANG, valid_from="20240101")
    assert verify(terminal, issuer.card(replacement)).status_code == 200


def test_an_attest_retry_with_the_same_key_answers_the_same_session(
    platform_sim: PlatformSimulator,
) -> None:
    terminal = approved_terminal(platform_sim)
    key = new_key()
    first = attest(terminal, attest_body(ZHANG), key)
    again = attest(terminal, attest_body(ZHANG), key)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    reused = attest(terminal, attest_body(LIN), key)
    assert error(reused) == (422, "idempotency_key_reused", None)
    other = attest(terminal, attest_body(ZHANG))
    assert other.status_code == 200
    assert other.json()["session_id"] != first.json()["session_id"]


# ================================================================ §3b face check


@dataclasses.dataclass
class FaceSession:
    """A session whose second factors hold face, and the photo hash its card binds."""

    terminal: Terminal
    session_id: str
    photo_sha256: str

    @property
    def path(self) -> str:
        return f"/v1/sessions/{self.session_id}/face"

    def send(self, body: Any, key: str | None = None) -> requests.Response:
        return self.terminal.post(self.path, body, key=key or new_key("face"))

    def body(self, **changes: Any) -> dict[str, Any]:
        return face_body(self.photo_sha256, **changes)


def face_body(
    photo_sha256: str,
    *,
    score: Any = 0.71,
    model: Any = "sface-2021dec",
    method: Any = "head_turn",
    passed: Any = True,
) -> dict[str, Any]:
    return {
        "model": model,
        "score": score,
        "reference": "card_photo",
        "reference_sha256": photo_sha256,
        "liveness": {"method": method, "passed": passed},
        "consent": {"notice": NOTICE_VERSION, "at": "2026-12-07T10:01:00+08:00"},
    }


def rid1_face_session(terminal: Terminal, issuer: Issuer, resident: Resident) -> FaceSession:
    card = rid1_card(issuer, resident)
    answer = verify(terminal, card.card).json()
    assert "face" in answer["second_factors"]
    return FaceSession(terminal, answer["session_id"], card.photo_sha256)


@pytest.fixture
def face_terminal(platform_sim: PlatformSimulator) -> Terminal:
    return approved_terminal(platform_sim)


@pytest.fixture
def face(face_terminal: Terminal, issuer: Issuer) -> FaceSession:
    """An RID-1 session of Zhang Wei on a terminal approved for face."""
    return rid1_face_session(face_terminal, issuer, ZHANG)


def attempts_used(sim: PlatformSimulator, session: FaceSession) -> int:
    return sum(1 for a in sim.face_attempts if a.session_id == session.session_id)


def test_a_passing_attempt_gives_an_access_token(
    platform_sim: PlatformSimulator, face: FaceSession
) -> None:
    passed = face.send(face.body())
    assert passed.status_code == 200
    token = passed.json()
    assert token["expires_in"] == 600
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    assert face.terminal.get("/v1/reports/current", bearer).status_code == 200
    [attempt] = platform_sim.face_attempts
    assert (attempt.session_id, attempt.model, attempt.score) == (
        face.session_id,
        "sface-2021dec",
        0.71,
    )
    assert (attempt.liveness_method, attempt.liveness_passed, attempt.passed) == (
        "head_turn",
        True,
        True,
    )
    assert attempt.consent_notice == NOTICE_VERSION


def test_an_attested_session_takes_the_readers_photo_hash_as_sent(
    platform_sim: PlatformSimulator, face_terminal: Terminal
) -> None:
    answer = attest(face_terminal, attest_body(ZHANG)).json()
    session = FaceSession(face_terminal, answer["session_id"], hashlib.sha256(b"WLT").hexdigest())
    assert session.send(session.body()).status_code == 200


def test_session_checks_come_first(
    platform_sim: PlatformSimulator, face_terminal: Terminal, issuer: Issuer
) -> None:
    unknown = FaceSession(face_terminal, "no-such-session", "0" * 64)
    ended = rid1_face_session(face_terminal, issuer, ZHANG)
    end = signed(platform_sim, face_terminal.creds, "DELETE", f"/v1/sessions/{ended.session_id}")
    assert end.status_code == 204
    expired = rid1_face_session(face_terminal, issuer, ZHANG)
    platform_sim.expire_session(expired.session_id)
    locked = rid1_face_session(face_terminal, issuer, ZHANG)
    wrong = {"staff_id": STAFF_ID, "staff_pin": "0000"}
    for _ in range(3):
        face_terminal.post(f"/v1/sessions/{locked.session_id}/staff-assist", wrong)
    others = approved_terminal(platform_sim)
    foreign = dataclasses.replace(rid1_face_session(others, issuer, ZHANG), terminal=face_terminal)
    expected = [
        (unknown, (404, "session_not_found")),
        (ended, (404, "session_not_found")),
        (foreign, (404, "session_not_found")),
        (expired, (410, "session_expired")),
        (locked, (423, "locked")),
    ]
    for session, outcome in expected:
        # Before the key (there is none here) and the body (none either).
        no_key = face_terminal.post(session.path, {})
        assert error(no_key)[:2] == outcome, session.session_id
        assert error(session.send(session.body()))[:2] == outcome
    assert platform_sim.face_attempts == []


def test_a_missing_idempotency_key_is_refused_and_uses_no_attempt(
    platform_sim: PlatformSimulator, face: FaceSession
) -> None:
    refused = face.terminal.post(face.path, face.body(score=0.1))
    assert error(refused) == (400, "missing_idempotency_key", None)
    assert attempts_used(platform_sim, face) == 0


def test_a_session_without_face_is_factor_unavailable_before_the_body_is_read(
    platform_sim: PlatformSimulator, issuer: Issuer
) -> None:
    not_for_face = approved_terminal(platform_sim, face=False)
    for_face = approved_terminal(platform_sim)
    without_face = [(not_for_face, ZHANG), (for_face, CHILD)]  # never for a child under 14
    for terminal, resident in without_face:
        card = rid1_card(issuer, resident)
        session_id = verify(terminal, card.card).json()["session_id"]
        session = FaceSession(terminal, session_id, card.photo_sha256)
        for body in (session.body(), {"score": "high"}):
            assert error(session.send(body)) == (409, "factor_unavailable", None)
    assert platform_sim.face_attempts == []


_PHOTO_HASH = "<the card's photo hash>"  # put in by the test, which has the card


def _bad_face_bodies() -> list[tuple[str, Any]]:
    good = face_body(_PHOTO_HASH)
    cases: list[tuple[str, Any]] = [(f"no-{member}", _without(good, member)) for member in good]
    cases += [
        ("empty", {}),
        ("model-number", good | {"model": 2021}),
        ("score-text", good | {"score": "0.71"}),
        ("score-bool", good | {"score": True}),
        ("score-null", good | {"score": None}),
        ("score-above-1", good | {"score": 1.0001}),
        ("score-below-minus-1", good | {"score": -1.5}),
        ("reference-live", good | {"reference": "live_photo"}),
        ("sha-upper", good | {"reference_sha256": "AB" * 32}),
        ("sha-63", good | {"reference_sha256": "a" * 63}),
        ("sha-65", good | {"reference_sha256": "a" * 65}),
        ("sha-base64", good | {"reference_sha256": base64.b64encode(b"x" * 32).decode()}),
        ("liveness-text", good | {"liveness": "head_turn"}),
        ("liveness-no-method", good | {"liveness": {"passed": True}}),
        ("liveness-no-passed", good | {"liveness": {"method": "head_turn"}}),
        ("liveness-method-number", good | {"liveness": {"method": 1, "passed": True}}),
        ("liveness-passed-text", good | {"liveness": {"method": "head_turn", "passed": "yes"}}),
        ("consent-text", good | {"consent": NOTICE_VERSION}),
        ("consent-no-at", good | {"consent": {"notice": NOTICE_VERSION}}),
        ("consent-at-number", good | {"consent": {"notice": NOTICE_VERSION, "at": 1}}),
        ("consent-old-notice", good | {"consent": {"notice": "face-2025-01", "at": "x"}}),
        ("consent-no-notice", good | {"consent": {"at": "2026-12-07T10:01:00+08:00"}}),
        ("image", good | {"image": base64.b64encode(b"\xff\xd8\xff").decode()}),
        (
            "embedding",
            good | {"liveness": {"method": "head_turn", "passed": True, "embedding": [0.1] * 128}},
        ),
    ]
    return cases


BAD_FACE_BODIES = _bad_face_bodies()


@pytest.mark.parametrize(
    "body", [b for _, b in BAD_FACE_BODIES], ids=[n for n, _ in BAD_FACE_BODIES]
)
def test_a_face_body_out_of_shape_is_bad_request_uses_no_attempt_and_binds_no_key(
    platform_sim: PlatformSimulator, face: FaceSession, body: dict[str, Any]
) -> None:
    if body.get("reference_sha256") == _PHOTO_HASH:
        body = body | {"reference_sha256": face.photo_sha256}
    key = new_key()
    refused = face.send(body, key)
    assert error(refused) == (400, "bad_request", None)
    assert attempts_used(platform_sim, face) == 0
    rejected = face.send(face.body(score=0.0), key)  # the key was not bound
    assert error(rejected)[:2] == (403, "face_rejected")
    assert rejected.json()["error"]["attempts_left"] == 2  # the first attempt of three


@pytest.mark.parametrize(("score", "status"), [(-1, 403), (1, 200), (-1.0, 403), (1.0, 200)])
def test_scores_at_the_ends_of_the_range_are_accepted(
    face: FaceSession, score: float, status: int
) -> None:
    assert face.send(face.body(score=score)).status_code == status


def test_a_reference_other_than_the_sods_photo_is_refused_without_an_attempt(
    platform_sim: PlatformSimulator, face: FaceSession
) -> None:
    key = new_key()
    other_photo = hashlib.sha256(b"another photo").hexdigest()
    refused = face.send(face_body(other_photo), key)
    assert error(refused) == (400, "reference_mismatch", None)
    assert attempts_used(platform_sim, face) == 0
    assert face.send(face.body(), key).status_code == 200  # the 400 bound nothing


@pytest.mark.parametrize(
    ("changes", "passes"),
    [
        ({"score": MIN_SCORE}, True),  # at least min_score
        ({"score": 0.3629}, False),
        ({"model": "arcface-r100"}, False),  # an unknown model is a rejection
        ({"model": "SFace-2021dec"}, False),
        ({"method": "blink"}, False),  # so is an unknown liveness method
        ({"passed": False}, False),
        ({"passed": False, "score": 0.0}, False),
    ],
)
def test_the_verdict(
    platform_sim: PlatformSimulator, face: FaceSession, changes: dict[str, Any], passes: bool
) -> None:
    answer = face.send(face.body(**changes))
    if passes:
        assert answer.status_code == 200
        assert answer.json()["access_token"]
    else:
        assert error(answer) == (403, "face_rejected", None)
        assert answer.json()["error"]["attempts_left"] == 2
    [attempt] = platform_sim.face_attempts
    assert attempt.passed is passes


def test_after_three_rejections_the_factor_closes_but_the_session_lives(
    platform_sim: PlatformSimulator, face: FaceSession
) -> None:
    lefts = [face.send(face.body(score=0.1)).json()["error"]["attempts_left"] for _ in range(3)]
    assert lefts == [2, 1, 0]
    closed = face.send(face.body())  # even a passing attempt: the factor is closed
    assert error(closed) == (409, "factor_unavailable", None)
    assert attempts_used(platform_sim, face) == 3
    record = platform_sim.session_record(face.session_id)
    assert record is not None
    assert not record.locked
    # The other factors stay open.
    assert face.terminal.post(f"/v1/sessions/{face.session_id}/otp", {}).status_code == 200
    staff = {"staff_id": STAFF_ID, "staff_pin": STAFF_PIN}
    assert (
        face.terminal.post(f"/v1/sessions/{face.session_id}/staff-assist", staff).status_code == 200
    )


def test_a_pass_does_not_reset_the_count(
    platform_sim: PlatformSimulator, face: FaceSession
) -> None:
    assert face.send(face.body(score=0.1)).json()["error"]["attempts_left"] == 2
    assert face.send(face.body()).status_code == 200
    assert face.send(face.body(score=0.1)).json()["error"]["attempts_left"] == 1
    assert face.send(face.body()).status_code == 200
    assert face.send(face.body(score=0.1)).json()["error"]["attempts_left"] == 0
    assert error(face.send(face.body()))[:2] == (409, "factor_unavailable")
    assert attempts_used(platform_sim, face) == 5


def test_a_key_gets_its_first_answer_again_without_using_an_attempt(
    platform_sim: PlatformSimulator, face: FaceSession
) -> None:
    rejected_key, passed_key = new_key(), new_key()
    first = face.send(face.body(score=0.2), rejected_key)
    assert error(first)[:2] == (403, "face_rejected")
    passed = face.send(face.body(), passed_key)
    assert passed.status_code == 200
    again = face.send(face.body(score=0.2), rejected_key)
    assert (again.status_code, again.json()) == (403, first.json())
    assert (face.send(face.body(), passed_key).json()) == passed.json()
    assert attempts_used(platform_sim, face) == 2
    # Close the factor with other keys: every key still gets its first answer.
    face.send(face.body(score=0.2))
    closing_key = new_key()
    closing = face.send(face.body(score=0.2), closing_key)
    assert closing.json()["error"]["attempts_left"] == 0
    assert face.send(face.body(score=0.2), rejected_key).json() == first.json()
    replayed = face.send(face.body(), passed_key)
    assert (replayed.status_code, replayed.json()) == (200, passed.json())
    assert face.send(face.body(score=0.2), closing_key).json() == closing.json()
    assert attempts_used(platform_sim, face) == 4


def test_a_key_sent_with_another_body_or_on_another_session_is_reused(
    platform_sim: PlatformSimulator, face: FaceSession, face_terminal: Terminal, issuer: Issuer
) -> None:
    key = new_key()
    assert face.send(face.body(score=0.2), key).status_code == 403
    assert error(face.send(face.body(score=0.9), key)) == (422, "idempotency_key_reused", None)
    other = rid1_face_session(face_terminal, issuer, ZHANG)
    assert error(other.send(face.body(score=0.2), key)) == (422, "idempotency_key_reused", None)
    assert attempts_used(platform_sim, face) == 1
    assert attempts_used(platform_sim, other) == 0


def test_a_409_binds_no_key(
    platform_sim: PlatformSimulator, face: FaceSession, face_terminal: Terminal, issuer: Issuer
) -> None:
    for _ in range(3):
        face.send(face.body(score=0.1))
    key = new_key()
    assert error(face.send(face.body(), key))[:2] == (409, "factor_unavailable")
    other = rid1_face_session(face_terminal, issuer, ZHANG)
    assert other.send(face.body(), key).status_code == 200


# ================================================================ a v1 platform


@pytest.fixture
def v1_sim(tmp_path: Path, issuer: Issuer) -> Iterator[PlatformSimulator]:
    with PlatformSimulator(tmp_path / "v1", issuer_ca_certs=[issuer.der], api_version="1.0") as sim:
        yield sim


def test_a_v1_platform_has_no_attest_or_face_endpoint(tmp_path: Path, issuer: Issuer) -> None:
    # A terminal approved on a v1.2 platform, whose data dir a v1 platform then serves.
    data_dir = tmp_path / "platform"
    with PlatformSimulator(data_dir, issuer_ca_certs=[issuer.der]) as v12:
        terminal = approved_terminal(v12)
    with PlatformSimulator(data_dir, issuer_ca_certs=[issuer.der], api_version="1.0") as v1:
        terminal.sim = v1
        card = rid1_card(issuer, ZHANG)
        answer = verify(terminal, card.card).json()
        assert answer["second_factors"] == ["sms_otp", "staff_assist"]
        assert not {"assurance", "face_policy"} & set(answer)
        assert "approvals" not in terminal.get("/v1/content").json()
        not_found = (404, "not_found", None)
        assert error(attest(terminal, attest_body(ZHANG))) == not_found
        session = FaceSession(terminal, answer["session_id"], card.photo_sha256)
        assert error(session.send(session.body())) == not_found
        # Like any unknown path: answered before the terminal headers are looked at.
        assert error(signed(v1, None, "POST", ATTEST, b"{}")) == not_found


def test_a_v1_platform_ignores_hardware_and_answers_no_approvals(v1_sim: PlatformSimulator) -> None:
    code = v1_sim.new_enrollment_code()
    enrolled = enroll_answer(v1_sim, code, hardware="not an object")
    assert enrolled.status_code == 200
    assert "approvals" not in enrolled.json()
    terminal = enroll(v1_sim, hardware(SAM_ID))
    assert terminal.heartbeat(hardware=[1, 2]).status_code == 204
    assert v1_sim.declared_hardware(terminal.terminal_id) is None
    assert "approvals" not in terminal.get("/v1/content").json()
