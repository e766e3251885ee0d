"""A demo central credit platform (platform-api.md v1.2, or v1) over real HTTPS on loopback.

It follows the contract closely enough that the kiosk's client is tested against it as if it
were the real platform: HMAC terminal authentication with clock-skew and nonce-replay checks,
the card checks of the ID card profile (implemented here independently of the kiosk's own
code, so a shared misreading of the profile does not hide), one-time codes, staff assist,
EdDSA- or ES256-signed reports, idempotent prints and objections, one-time share links,
repair guides, audit events, heartbeats and content with ETags. Of v1.2: terminals' declared
hardware and the operators' approvals, ID cards attested by a certified reader's security
module, and the face check against the card photo as a second factor; ``api_version="1.0"``
turns these off so the kiosk can be tested against a v1 platform. State lives in SQLite
(``simulators.platform_store``) in the data dir, so it survives a restart. Faults can be
injected for tests and demos: error statuses with Retry-After, dropped connections, bodies
that are not JSON, late answers, tampered signatures and rotated keys.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import datetime as dt
import email.utils
import hashlib
import hmac
import html
import json
import logging
import math
import re
import secrets
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Mapping
from email.message import Message
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

import jwt
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from simulators.pki import LocalCA
from simulators.platform_store import (
    AuditEvent,
    FaceAttempt,
    Objection,
    PrintRecord,
    Session,
    SqliteStore,
    Terminal,
    Ticket,
    Token,
)
from simulators.residents import (
    FOREIGN_PERMANENT_RESIDENT,
    HMT_RESIDENCE_PERMIT,
    REPAIR_GUIDES,
    RESIDENT_ID,
    RESIDENTS,
    Resident,
)

log = logging.getLogger(__name__)

CST = dt.timezone(dt.timedelta(hours=8), "CST")
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# Hall staff: id (upper case: ids match case-insensitively) -> PIN. The first is the one the
# demo and the README use; ST001 has letters in its id and a PIN that is not six digits long.
DEMO_STAFF = {"100001": "246810", "ST001": "13579"}
# Spec v1.2 §3 formats, written here independently of the kiosk's own check (like the card
# checks): 1..16 ASCII letters or digits, 4..12 ASCII digits.
STAFF_ID_FORMAT = re.compile(r"[A-Za-z0-9]{1,16}")
STAFF_PIN_FORMAT = re.compile(r"[0-9]{4,12}")
MAX_BODY = 1024 * 1024
_DRAIN_LIMIT = 16 * MAX_BODY
CLOCK_SKEW_S = 300
NONCE_WINDOW_S = 600
TICKET_LIFE_S = 60
SESSION_LIFE_S = 15 * 60
TOKEN_LIFE_S = 600
OTP_LIFE_S = 300
OTP_RESEND_S = 60
OTP_MAX_FAILURES = 5
STAFF_MAX_FAILURES = 3
REPORT_VALID_DAYS = 30
SHARE_LIFE_S = 600
SERVICE_HOURS = "周一至周五 9:00-12:00，13:30-17:00（法定节假日除外）"
ANNOUNCEMENTS: list[dict[str, str]] = [
    {
        "id": "A-2026-01",
        "title": "信用修复线上办理",
        "body": "行政处罚信息信用修复可在“信用中国”网站在线申请，也可到本中心3号窗口办理。",
        "from": "2026-01-01T00:00:00+08:00",
        "until": "2026-12-31T23:59:59+08:00",
    }
]
HALL = {"id": "ZJ-JK-01", "name": "镇江市京口区政务服务中心"}
UNKNOWN_RESIDENT_REASON = "unknown_resident"
NO_EXPIRY = "长期"
API_VERSIONS = ("1.0", "1.2")

# v1.2 §1: the reader kind operators approve for /v1/identity/attest, and its module's id.
SECURITY_MODULE = "security_module"
_SAM_ID = re.compile(r"[!-~]{1,64}")
# v1.2 §2: how the platform established the identity of a session.
ASSURANCE_ACTIVE_AUTH = "active_auth"
ASSURANCE_SECURITY_MODULE = "security_module"
# v1.2 §2b: the documents a certified reader reads, and the 18-character number they share.
ATTESTED_DOCUMENTS = (RESIDENT_ID, HMT_RESIDENCE_PERMIT, FOREIGN_PERMANENT_RESIDENT)
ATTESTED_HOLDER_MEMBERS = frozenset({"document", "id_number", "name", "valid_from", "valid_until"})
_ID_NUMBER = re.compile(r"[0-9]{17}[0-9X]")  # [0-9], not \d: no digits of other scripts
_PLAIN_DATE = re.compile(r"[0-9]{8}")
_RFC3339_WITH_OFFSET = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
# v1.2 §2 and §3b: the face factor. Children under 14 are never offered it.
FACE = "face"
FACE_MIN_AGE = 14
FACE_NOTICE_VERSION = "face-2026-12"
FACE_POLICY: dict[str, Any] = {
    "models": {"sface-2021dec": {"min_score": 0.363}},
    "liveness": ["head_turn"],
    "attempts": 3,
    "notice": {
        "version": FACE_NOTICE_VERSION,
        "title": "刷脸核验说明",
        "body": (
            "本机会用摄像头拍下您现在的脸，和您证件里的照片比一比，看是不是同一个人。"
            "比对时请按提示向左、向右转头。\n"
            "比对只在这台机器上进行：您的照片和脸部图像不保存，也不发送给任何人，"
            "离开后即清除。平台只收到比对的分数和是否通过。\n"
            "刷脸不是必须的。您也可以用手机短信验证码，或请大厅工作人员当面核对。"
        ),
    },
}
FACE_REFERENCE = "card_photo"
FACE_BODY_MEMBERS = frozenset(
    {"model", "score", "reference", "reference_sha256", "liveness", "consent"}
)

_SHA256_OID_DER = bytes.fromhex("0609608648016503040201")
_PROVINCES = frozenset(
    [
        *range(11, 16),
        *range(21, 24),
        *range(31, 38),
        *range(41, 47),
        *range(50, 55),
        *range(61, 66),
        71,
        81,
        82,
    ]
)
_NEGATIVE_SECTIONS = frozenset({"admin_penalty", "dishonest_debtor", "serious_dishonesty"})
_POSITIVE_SECTIONS = frozenset({"honors", "redlist", "tax", "social_insurance", "commitments"})
_HEX32 = re.compile(r"[0-9a-f]{32}")
_HEX64 = re.compile(r"[0-9a-f]{64}")


class ApiError(Exception):
    """An answer with a spec error body (platform-api.md §7)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        retry_after_s: int | None = None,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(f"{status} {code}")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after_s = retry_after_s
        self.headers = dict(headers or {})
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The JSON error body."""
        err: dict[str, Any] = {"code": self.code, "message": self.message, **self.extra}
        if self.retry_after_s is not None:
            err["retry_after_s"] = self.retry_after_s
        return {"error": err}


class CardCheckError(Exception):
    """A card check failed; ``reason`` is the profile's reason code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ---------------------------------------------------------------------------- card checks


def _read_tlv(data: bytes, pos: int) -> tuple[int, bytes, int]:
    """One BER-TLV at ``pos``: (tag as integer of its bytes, value, position after it)."""
    try:
        tag = data[pos]
        pos += 1
        if tag & 0x1F == 0x1F:  # multi-byte tag: more bytes while bit 8 is set
            while True:
                byte = data[pos]
                pos += 1
                tag = (tag << 8) | byte
                if not byte & 0x80:
                    break
        first = data[pos]
        pos += 1
        if first < 0x80:
            length = first
        elif 0x81 <= first <= 0x83:
            count = first & 0x7F
            length = int.from_bytes(data[pos : pos + count], "big")
            if len(data[pos : pos + count]) != count:
                raise CardCheckError("malformed_data")
            pos += count
        else:  # 0x80 (indefinite) is not DER and not used by the profile
            raise CardCheckError("malformed_data")
    except IndexError:
        raise CardCheckError("malformed_data") from None
    if pos + length > len(data):
        raise CardCheckError("malformed_data")
    return tag, data[pos : pos + length], pos + length


def _template(data: bytes, tag: int) -> dict[int, bytes]:
    """Children of a file that is exactly one constructed TLV ``tag``; unknown tags kept."""
    outer, value, end = _read_tlv(data, 0)
    if outer != tag or end != len(data):
        raise CardCheckError("malformed_data")
    children: dict[int, bytes] = {}
    pos = 0
    while pos < len(value):
        child, child_value, pos = _read_tlv(value, pos)
        children.setdefault(child, child_value)
    return children


def _within(cert: x509.Certificate, now: dt.datetime) -> bool:
    return cert.not_valid_before_utc <= now <= cert.not_valid_after_utc


def _check_sod(
    sod: bytes,
    holder: bytes,
    cert_der: bytes,
    cas: Mapping[bytes, x509.Certificate],
    now: dt.datetime,
) -> tuple[x509.Certificate, bytes]:
    """Profile checks 1 and 2; returns the issuer CA the SOD names and the EF.PHOTO hash.

    The photo hash (tag ``82``) is what a face check's ``reference_sha256`` must equal (§3b).
    """
    fields = _template(sod, 0x77)
    if any(t not in fields for t in (0x80, 0x81, 0x82, 0x83, 0x84, 0x85)):
        raise CardCheckError("malformed_data")
    if fields[0x80] != _SHA256_OID_DER:
        raise CardCheckError("malformed_data")
    ca = cas.get(fields[0x85])
    if ca is None:
        raise CardCheckError("unknown_issuer")
    if not _within(ca, now):
        raise CardCheckError("issuer_not_valid")
    ca_key = ca.public_key()
    if not isinstance(ca_key, ec.EllipticCurvePublicKey):
        raise CardCheckError("unknown_issuer")
    signed = fields[0x80] + fields[0x81] + fields[0x82] + fields[0x83]
    try:
        ca_key.verify(fields[0x84], signed, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        raise CardCheckError("sod_signature") from None
    if not hmac.compare_digest(hashlib.sha256(holder).digest(), fields[0x81]):
        raise CardCheckError("holder_hash")
    if not hmac.compare_digest(hashlib.sha256(cert_der).digest(), fields[0x83]):
        raise CardCheckError("cardcert_hash")
    return ca, fields[0x82]


def _check_card_cert(
    cert_der: bytes, ca: x509.Certificate, now: dt.datetime
) -> tuple[x509.Certificate, ec.EllipticCurvePublicKey]:
    """Profile check 3."""
    try:
        cert = x509.load_der_x509_certificate(cert_der)
    except ValueError:
        raise CardCheckError("malformed_data") from None
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        raise CardCheckError("cardcert_issuer") from None
    if not _within(cert, now):
        raise CardCheckError("cardcert_not_valid")
    key = cert.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise CardCheckError("malformed_data")
    return cert, key


def _check_active_auth(key: ec.EllipticCurvePublicKey, challenge: bytes, signature: bytes) -> None:
    """Profile check 4: raw r||s over the challenge (hashed once by ECDSA-SHA256)."""
    if len(signature) != 64:
        raise CardCheckError("active_auth")
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    try:
        key.verify(encode_dss_signature(r, s), challenge, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        raise CardCheckError("active_auth") from None


def _id_check_char(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


def _region_fits(id_number: str, document: str | None) -> bool:
    """Whether the number's prefix is a known region for ``document``.

    The card profile's check 5 (``document`` None, an RID-1 card) knows every kind: a GB/T
    2260 province code, 83 for Taiwan residents' permits, or 9 and a province code for a
    foreigner's card. The attest call (§2b) names its document, and the prefix must fit it.
    """
    province = int(id_number[:2]) in _PROVINCES
    permit = id_number[:2] in ("81", "82", "83")
    foreigner = id_number[0] == "9" and int(id_number[1:3]) in _PROVINCES
    if document == RESIDENT_ID:
        return province
    if document == HMT_RESIDENCE_PERMIT:
        return permit
    if document == FOREIGN_PERMANENT_RESIDENT:
        return foreigner
    return province or permit or foreigner


@dataclasses.dataclass(frozen=True)
class _CardHolder:
    """What the platform keeps of a checked RID-1 EF.HOLDER: the card's identifying pair."""

    id_number: str
    valid_from: str | None  # DF08; None on a card without it


def _check_holder(holder: bytes, today: dt.date) -> _CardHolder:
    """Profile checks 5 and 6."""
    fields = _template(holder, 0x61)
    try:
        id_number = fields[0xDF01].decode()
        birth = fields[0xDF05].decode()
        valid_until = fields[0xDF09].decode()
        name = fields[0xDF02].decode()
        valid_from = fields[0xDF08].decode() if 0xDF08 in fields else None
    except (KeyError, UnicodeDecodeError):
        raise CardCheckError("malformed_data") from None
    if not name or not re.fullmatch(r"\d{17}[\dX]", id_number):
        raise CardCheckError("malformed_data")
    if _id_check_char(id_number[:17]) != id_number[17]:
        raise CardCheckError("id_check_char")
    if birth != id_number[6:14]:
        raise CardCheckError("birth_date_mismatch")
    if not _region_fits(id_number, None):
        raise CardCheckError("unknown_region")
    if valid_until != NO_EXPIRY:
        try:
            expiry = dt.datetime.strptime(valid_until, "%Y%m%d").replace(tzinfo=CST).date()
        except ValueError:
            raise CardCheckError("malformed_data") from None
        if expiry < today:
            raise CardCheckError("card_expired")
    return _CardHolder(id_number, valid_from)


def _plain_date(text: str) -> dt.date | None:
    """A ``YYYYMMDD`` date, or None if the text is not one (wrong format, no such day)."""
    if not _PLAIN_DATE.fullmatch(text):
        return None
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def _is_rfc3339_with_offset(value: object) -> bool:
    """An RFC 3339 date-time with an offset (``Z`` or ``+hh:mm``), and a real moment."""
    if not isinstance(value, str) or not _RFC3339_WITH_OFFSET.fullmatch(value):
        return False
    try:
        dt.datetime.fromisoformat(value.upper())
    except ValueError:
        return False
    return True


def _check_attested_card(holder: Mapping[str, str], today: dt.date) -> None:
    """The card checks of §2b on a certified reader's holder text, in the spec's order.

    ``holder`` has exactly the five members, all strings (the caller checked). The reader's
    security module authenticated the card, so only what the text allows is checked.
    """
    number, name = holder["id_number"], holder["name"]
    birth = _plain_date(number[6:14])
    valid_from = _plain_date(holder["valid_from"])
    until_text = holder["valid_until"]
    valid_until = None if until_text == NO_EXPIRY else _plain_date(until_text)
    if (
        holder["document"] not in ATTESTED_DOCUMENTS
        # Only 18 characters: a foreigner's card of the pre-2023 kind (15) is refused here.
        or not _ID_NUMBER.fullmatch(number)
        # The reader's padding is cut: a name with spaces around it is not as the spec says.
        or not 1 <= len(name) <= 30
        or name != name.strip()
        or birth is None
        or birth > today
        or valid_from is None
        or valid_from > today
        or (until_text != NO_EXPIRY and valid_until is None)
        or (valid_until is not None and valid_from > valid_until)
    ):
        raise CardCheckError("malformed_data")
    if _id_check_char(number[:17]) != number[17]:
        raise CardCheckError("id_check_char")
    if not _region_fits(number, holder["document"]):
        raise CardCheckError("unknown_region")
    if valid_until is not None and valid_until < today:
        raise CardCheckError("card_expired")


def _under_face_age(id_number: str, today: dt.date) -> bool:
    """Whether ``today`` (CST) is before the 14th anniversary of the number's birth date.

    Positions 7..14 hold the birth date; one born on 29 February has the anniversary on
    1 March in a year without that day. A number whose date is not real counts as a child:
    it never gets the face check by mistake.
    """
    birth = _plain_date(id_number[6:14])
    if birth is None:
        return True
    year = birth.year + FACE_MIN_AGE
    try:
        anniversary = birth.replace(year=year)
    except ValueError:  # 29 February in a common year
        anniversary = dt.date(year, 3, 1)
    return today < anniversary


# ---------------------------------------------------------------------------- hardware


def _checked_hardware(value: object) -> dict[str, Any]:
    """A declared ``hardware`` (§1) if it follows the rules, else 400 ``bad_request``.

    Unknown members and reader kinds are kept: they approve nothing, and a later platform
    may know them.
    """

    def malformed(why: str) -> ApiError:
        return ApiError(400, "bad_request", f"hardware: {why}")

    if not isinstance(value, dict):
        raise malformed("not an object")
    readers = value.get("readers", [])
    if not isinstance(readers, list):
        raise malformed("readers is not a list")
    for reader in readers:
        if not isinstance(reader, dict) or not isinstance(reader.get("kind"), str):
            raise malformed("every reader needs a kind")
        if not reader["kind"]:
            raise malformed("a reader's kind is empty")
        if "model" in reader and not isinstance(reader["model"], str):
            raise malformed("a reader's model is not a string")
        sam_id = reader.get("sam_id")
        if reader["kind"] == SECURITY_MODULE:
            if not isinstance(sam_id, str) or not _SAM_ID.fullmatch(sam_id):
                raise malformed("a security module needs a sam_id of 1..64 characters ! to ~")
        elif "sam_id" in reader:
            raise malformed("only a security module has a sam_id")
    if "camera" in value and not isinstance(value["camera"], bool):
        raise malformed("camera is not a boolean")
    return value


def _declared_sam_ids(hardware: Mapping[str, Any] | None) -> frozenset[str]:
    """The security module ids a checked ``hardware`` declares."""
    readers = [] if hardware is None else hardware.get("readers", [])
    return frozenset(r["sam_id"] for r in readers if r["kind"] == SECURITY_MODULE)


def _declares_camera(hardware: Mapping[str, Any] | None) -> bool:
    return hardware is not None and hardware.get("camera") is True


# ---------------------------------------------------------------------------- reports


def _mask_name(name: str) -> str:
    return name[:1] + "*" * (len(name) - 1)


def _verification_code() -> str:
    chars = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"{chars[:4]}-{chars[4:]}"


def _normalise_code(code: str) -> str:
    return code.replace("-", "").upper()


def _summary(sections: list[dict[str, Any]]) -> dict[str, Any]:
    negative = positive = 0
    for section in sections:
        for record in section["records"]:
            if section["code"] in _NEGATIVE_SECTIONS or "repair" in record:
                negative += 1
            elif section["code"] in _POSITIVE_SECTIONS:
                positive += 1
    status = "has_negative" if negative else "no_negative"
    return {"negative_count": negative, "positive_count": positive, "status": status}


def _prefers_html(accept: str) -> bool:
    """Whether an Accept header ranks text/html above application/json."""

    def quality(wanted: str) -> float:
        best, best_rank = 0.0, -1
        for part in accept.split(","):
            media, *params = (p.strip() for p in part.split(";"))
            q = 1.0
            for param in params:
                if param.startswith("q="):
                    with contextlib.suppress(ValueError):
                        q = float(param[2:])
            kind = wanted.split("/")[0]
            rank = {wanted: 2, f"{kind}/*": 1, "*/*": 0}.get(media.lower(), -1)
            if rank > best_rank:
                best, best_rank = q, rank
        return best

    return quality("text/html") > quality("application/json")


_PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey
REPORT_ALGORITHMS = ("EdDSA", "ES256")


@dataclasses.dataclass
class _SigningKey:
    kid: str
    key: _PrivateKey
    alg: str
    published: bool

    def public_jwk(self) -> dict[str, Any]:
        """The public key as a JWK with kid, alg and use."""
        public = self.key.public_key()
        if isinstance(public, ed25519.Ed25519PublicKey):
            jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(public))
        else:
            jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(public))
        return {**jwk, "kid": self.kid, "alg": self.alg, "use": "sig"}


def _new_private_key(alg: str) -> _PrivateKey:
    if alg == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"report signing algorithm must be one of {REPORT_ALGORITHMS}")


def _signing_key(key: _PrivateKey, published: bool = True) -> _SigningKey:
    """Wrap a private key; the kid is its RFC 7638 thumbprint, so it changes with the key."""
    alg = "EdDSA" if isinstance(key, ed25519.Ed25519PrivateKey) else "ES256"
    signing = _SigningKey("", key, alg, published)
    jwk = signing.public_jwk()
    members = ("crv", "kty", "x") if alg == "EdDSA" else ("crv", "kty", "x", "y")
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).digest()
    signing.kid = base64.urlsafe_b64encode(digest)[:16].decode()
    return signing


# ---------------------------------------------------------------------------- HTTP plumbing


class DropConnection(Exception):
    """Injected fault: close the connection without answering."""


@dataclasses.dataclass
class Fault:
    """One injected fault, used by the next routed request it matches.

    Attributes:
        kind: ``status`` (answer ``status`` with ``Retry-After``), ``drop`` (close the
            connection without an answer), ``malformed`` (a body that is not JSON) or
            ``delay`` (answer ``delay_s`` seconds late).
        after_processing: For ``drop``: the endpoint runs first, then the answer is lost.
        path: Only requests to this path match (None: any routed request).
        path_pattern: Or a regular expression the whole path must match (for paths with ids).
    """

    kind: str
    status: int = 503
    retry_after_s: int = 0
    delay_s: float = 0.0
    after_processing: bool = False
    path: str | None = None
    path_pattern: str | None = None


@dataclasses.dataclass
class _Request:
    method: str
    target: str
    params: dict[str, str]
    headers: Message[str, str]
    body: bytes
    json: dict[str, Any]
    terminal: Terminal | None = None
    session: Session | None = None


@dataclasses.dataclass(frozen=True)
class RequestLogEntry:
    """One request the simulator answered (for tests: counts, statuses)."""

    method: str
    path: str
    status: int


_Reply = tuple[int, Any, dict[str, str]]
_Handler = Callable[["PlatformSimulator", _Request], _Reply]


class _TLSServer(ThreadingHTTPServer):
    """Threading HTTP server doing the TLS handshake in the worker thread, not in accept()."""

    # Non-daemon workers, joined on close: a stopped simulator leaves no thread behind.
    daemon_threads = False
    block_on_close = True

    def __init__(self, sim: PlatformSimulator, address: tuple[str, int], ctx: ssl.SSLContext):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.sim = sim
        self.ssl_context = ctx
        self.connections: set[ssl.SSLSocket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _HttpHandler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(10)
        try:
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            log.debug("TLS handshake failed: %s", exc)
            return
        with self.connections_lock:
            self.connections.add(tls)
        try:
            _HttpHandler(tls, client_address, self)
        finally:
            with self.connections_lock:
                self.connections.discard(tls)
            tls.close()

    def shutdown_request(self, request: Any) -> None:
        # After wrap_socket the raw socket is detached; closing it is all that is left.
        request.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Called from inside socketserver's except block: a dropped client is not news.
        log.debug("connection from %s ended: %r", client_address, sys.exception())

    def drop_connections(self) -> None:
        """Wake handler threads blocked on idle keep-alive connections."""
        with self.connections_lock:
            for conn in self.connections:
                with contextlib.suppress(OSError):
                    # socket.socket.shutdown, not SSLSocket's: leave the TLS object alone
                    # while its own thread may be inside a read.
                    socket.socket.shutdown(conn, socket.SHUT_RDWR)


class _HttpHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "CreditPlatformSim/1"
    timeout = 30  # idle keep-alive connections end on their own
    # Headers and body go out in separate writes: with Nagle on, each answer waited ~40 ms
    # for the client's delayed ACK, a simulator artefact that slowed every call.
    disable_nagle_algorithm = True
    server: _TLSServer

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)

    def date_time_string(self, timestamp: float | None = None) -> str:
        # Every response's Date comes from the simulator's clock, so tests can skew it.
        return email.utils.formatdate(
            self.server.sim.clock() if timestamp is None else timestamp, usegmt=True
        )

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_OPTIONS(self) -> None:
        self._dispatch()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # The stdlib answers unparsable requests with an HTML page; the spec wants error JSON.
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "error"
        slug = re.sub(r"[^a-z0-9]+", "_", phrase.lower()).strip("_")
        self.close_connection = True
        self._send(code, ApiError(code, slug, message or phrase).body(), {})

    def _dispatch(self) -> None:
        try:
            status, payload, headers = self.server.sim.handle(
                self.command, self.path, self.headers, self.rfile, self
            )
        except DropConnection:
            # Injected fault: the connection ends with no answer at all.
            self.close_connection = True
            with contextlib.suppress(OSError):
                socket.socket.shutdown(self.connection, socket.SHUT_RDWR)
            return
        self._send(status, payload, headers)

    def _send(self, status: int, payload: Any, headers: dict[str, str]) -> None:
        content_type = headers.pop("Content-Type", "application/json; charset=utf-8")
        if payload is None:
            data = b""
        elif isinstance(payload, bytes):
            data = payload
        else:
            data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status not in (HTTPStatus.NO_CONTENT, HTTPStatus.NOT_MODIFIED):
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if data and getattr(self, "command", None) != "HEAD":
            self.wfile.write(data)


# ---------------------------------------------------------------------------- simulator


class PlatformSimulator:
    """The demo platform. Use as a context manager or call ``start()``/``stop()``.

    Args:
        data_dir: Keeps the TLS CA, the report signing key and the SQLite database across
            restarts.
        residents: The people the platform knows.
        issuer_ca_certs: DER certificates of the card issuer CAs it trusts.
        card_id_lookup: Maps a verified card's ID number to a resident (None: unknown);
            by default the ID numbers of ``residents``.
        host: Address to listen on (loopback).
        port: TCP port; 0 picks a free one.
        sms_sink: Receives ``(phone_masked, code)`` for every one-time code "sent".
        report_alg: ``EdDSA`` (Ed25519) or ``ES256`` (P-256) for signing reports.
        api_version: ``1.2`` (default) or ``1.0``, a v1 platform: ``/v1/identity/attest`` and
            ``/v1/sessions/{id}/face`` answer 404 ``not_found`` like any unknown path, face is
            never offered, ``hardware`` is ignored, and answers carry no ``approvals``,
            ``assurance`` or ``face_policy``; so the kiosk can be tested against a v1 server.
        auto_approve: A demo convenience standing in for the platform's operators: approve
            whatever a terminal declares, at enrolment and in every later heartbeat with
            ``hardware`` (its set of security modules, and face if it has a camera). Off by
            default: tests decide approvals with ``approve()``, as operators would.

    Attributes:
        clock: Returns the platform's current Unix time; tests replace it to skew time.
        sent_codes: Every one-time code sent, in order.
        request_log: Every answered request (method, path, status).
        jws_tamper: Rewrites every report JWS after signing (a bad signature).
        report_mutator: Rewrites the report payload before signing (correctly signed
            content of any shape, for schema tests).
        latency_s: Seconds every answer is held back (a platform under load).
        token_life_s: ``expires_in`` of the access tokens issued from now on.
        serve_pdf: Whether ``/v1/reports/current/pdf`` renders a PDF instead of answering
            404 ``pdf_not_available``.
        face_policy: The ``face_policy`` new sessions are offered (default ``FACE_POLICY``);
            each session keeps the policy it was offered.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        residents: Mapping[str, Resident] = RESIDENTS,
        issuer_ca_certs: list[bytes],
        card_id_lookup: Callable[[str], Resident | None] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        sms_sink: Callable[[str, str], None] | None = None,
        report_alg: str = "EdDSA",
        api_version: str = "1.2",
        auto_approve: bool = False,
    ) -> None:
        if api_version not in API_VERSIONS:
            raise ValueError(f"api_version must be one of {API_VERSIONS}")
        self.api_version = api_version
        self.auto_approve = auto_approve
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._pki = LocalCA(self.data_dir / "tls")
        self.residents = dict(residents)
        by_id = {r.id_number: r for r in self.residents.values()}
        self._lookup = card_id_lookup or by_id.get
        self._issuer_cas = {
            hashlib.sha256(der).digest(): x509.load_der_x509_certificate(der)
            for der in issuer_ca_certs
        }
        self._issuer_ders = list(issuer_ca_certs)
        self._host, self._port = host, port
        self._sms_sink = sms_sink
        self.clock: Callable[[], float] = time.time
        self.store = SqliteStore(self.data_dir / "platform.sqlite3")
        self.sent_codes: list[str] = []
        self.request_log: list[RequestLogEntry] = []
        self._faults: list[Fault] = []
        self._faults_lock = threading.Lock()
        self.jws_tamper: Callable[[str], str] | None = None
        self.report_mutator: Callable[[dict[str, Any]], dict[str, Any]] | None = None
        self.latency_s = 0.0
        self.token_life_s = TOKEN_LIFE_S
        self.serve_pdf = False
        self.face_policy: dict[str, Any] = json.loads(json.dumps(FACE_POLICY))
        self._keys: list[_SigningKey] = [self._load_signing_key(report_alg)]
        self._server: _TLSServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> PlatformSimulator:
        """Listen and serve in a background thread."""
        if self._server is not None:
            return self
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(self._pki.server_cert_path, self._pki.server_key_path)
        self._server = _TLSServer(self, (self._host, self._port), ctx)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="platform-sim", daemon=True
        )
        self._thread.start()
        log.info("platform simulator on %s", self.base_url)
        return self

    def stop(self) -> None:
        """Stop serving, drop open connections, wait for the workers, close the database."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.drop_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join()
        self.store.close()

    def __enter__(self) -> PlatformSimulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``https://127.0.0.1:<port>`` of the running server."""
        if self._server is None:
            raise RuntimeError("simulator not started")
        host, port = self._server.server_address[:2]
        host = str(host)
        return f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"

    @property
    def ca_bundle_path(self) -> str:
        """The CA certificate a client must trust."""
        return self._pki.ca_bundle_path

    # ------------------------------------------------------------------ test and demo hooks

    def new_enrollment_code(self) -> str:
        """A one-time enrolment code, as hall staff would get it."""
        code = "".join(secrets.choice(ALPHABET) for _ in range(8))
        with self.store.transaction():
            self.store.add_enrollment_code(code)
        return code

    @property
    def prints(self) -> list[PrintRecord]:
        """Print records, in the order recorded."""
        with self.store.transaction():
            return self.store.prints()

    @property
    def objections(self) -> list[Objection]:
        """Objections, in the order received."""
        with self.store.transaction():
            return self.store.objections()

    @property
    def audit_events(self) -> list[AuditEvent]:
        """Audit events, in the order received."""
        with self.store.transaction():
            return self.store.audit_events()

    def last_heartbeat(self, terminal_id: str) -> Any:
        """The latest heartbeat body of a terminal, or None."""
        with self.store.transaction():
            return self.store.heartbeat(terminal_id)

    def report_card_lost(self, card_cert_serial: int) -> None:
        """Mark the card with this EF.CARDCERT serial as reported lost."""
        with self.store.transaction():
            self.store.mark_card_lost(card_cert_serial)

    def report_card_lost_by_number(self, id_number: str, valid_from: str) -> None:
        """Mark the card with this ID number and valid-from date (DF08) as reported lost.

        A replacement card keeps the ID number but not the date, so it stays usable (§2b).
        """
        with self.store.transaction():
            self.store.mark_number_lost(id_number, valid_from)

    def approve(
        self, terminal_id: str, *, security_module: bool | None = None, face: bool | None = None
    ) -> None:
        """Decide a terminal's approvals, as the platform's operators would (§1).

        Args:
            terminal_id: An enrolled terminal.
            security_module: True approves the set of security module ids (``sam_id``) the
                terminal declares now (a heartbeat declaring another set withdraws it);
                False withdraws it; None leaves it as it is.
            face: True approves the face factor (it counts only while the latest hardware
                declares a camera); False withdraws it; None leaves it as it is.

        Raises:
            LookupError: The terminal is not enrolled.
            ValueError: ``security_module=True`` for a terminal that declares no module.
        """
        with self.store.transaction():
            if self.store.terminal(terminal_id) is None:
                raise LookupError("no such terminal")
            record = self.store.hardware_approval(terminal_id)
            if security_module is not None:
                declared = _declared_sam_ids(record.hardware)
                if security_module and not declared:
                    raise ValueError("the terminal declares no security module to approve")
                record.approved_sam_ids = declared if security_module else None
            if face is not None:
                record.face_approved = face
            self.store.put_hardware_approval(record)

    def approvals(self, terminal_id: str) -> dict[str, bool]:
        """A terminal's approvals as the platform answers them: ``security_module``, ``face``."""
        with self.store.transaction():
            return self._approvals(terminal_id)

    def declared_hardware(self, terminal_id: str) -> dict[str, Any] | None:
        """The ``hardware`` a terminal declared last, as stored (None: never declared)."""
        with self.store.transaction():
            return self.store.hardware_approval(terminal_id).hardware

    def session_record(self, session_id: str) -> Session | None:
        """A session as the platform keeps it (assurance, face count...), or None."""
        with self.store.transaction():
            return self.store.session(session_id)

    @property
    def face_attempts(self) -> list[FaceAttempt]:
        """Face attempts that reached the verdict (so used an attempt), in order."""
        with self.store.transaction():
            return self.store.face_attempts()

    def disable_terminal(self, terminal_id: str, disabled: bool = True) -> None:
        """Disable (or re-enable) a terminal, as the platform's operators would."""
        with self.store.transaction():
            self.store.set_terminal_disabled(terminal_id, disabled)

    def expire_session(self, session_id: str) -> None:
        """Age a session past its end, as if 15 minutes had passed on the platform."""
        with self.store.transaction():
            session = self.store.session(session_id)
            if session is not None:
                session.expires_at = self._now() - 1
                self.store.put_session(session)

    def expire_token(self, token: str) -> None:
        """Age an access token past its end."""
        with self.store.transaction():
            found = self.store.token(token)
            if found is not None:
                found.expires_at = self._now() - 1
                self.store.put_token(found)

    def expire_otp(self, session_id: str) -> None:
        """Age a session's live one-time code past its 5 minutes."""
        with self.store.transaction():
            session = self.store.session(session_id)
            if session is not None:
                session.otp_expires_at = self._now() - 1
                self.store.put_session(session)

    def rotate_report_key(self, *, publish: bool = True, alg: str | None = None) -> str:
        """Sign reports with a new key from now on; returns its kid.

        Args:
            publish: False keeps the key out of ``/v1/keys``, as a misconfigured or forged
                platform would.
            alg: ``EdDSA`` or ``ES256``; by default that of the current key.
        """
        signing = _signing_key(_new_private_key(alg or self._keys[-1].alg), publish)
        with self.store.transaction():
            self._keys.append(signing)
        return signing.kid

    def inject(self, fault: Fault, count: int = 1) -> None:
        """Queue ``count`` copies of ``fault`` for the next matching routed requests."""
        with self._faults_lock:
            self._faults.extend([fault] * count)

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 503,
        retry_after_s: int = 0,
        path: str | None = None,
        path_pattern: str | None = None,
    ) -> None:
        """Answer the next ``count`` routed requests with ``status`` (after authentication)."""
        fault = Fault(
            "status",
            status=status,
            retry_after_s=retry_after_s,
            path=path,
            path_pattern=path_pattern,
        )
        self.inject(fault, count)

    def set_issuer_cas(self, issuer_ca_certs: list[bytes]) -> None:
        """Trust these card issuer CAs from now on (one added, one withdrawn...)."""
        with self._faults_lock:
            self._issuer_cas = {
                hashlib.sha256(der).digest(): x509.load_der_x509_certificate(der)
                for der in issuer_ca_certs
            }
            self._issuer_ders = list(issuer_ca_certs)

    def drop_next(
        self, count: int = 1, *, after_processing: bool = False, path: str | None = None
    ) -> None:
        """Close the connection of the next ``count`` routed requests without an answer."""
        self.inject(Fault("drop", after_processing=after_processing, path=path), count)

    def malformed_next(self, count: int = 1, *, path: str | None = None) -> None:
        """Answer the next ``count`` routed requests with a body that is not JSON."""
        self.inject(Fault("malformed", path=path), count)

    def delay_next(self, seconds: float, count: int = 1, *, path: str | None = None) -> None:
        """Hold back the answer of the next ``count`` routed requests by ``seconds``."""
        self.inject(Fault("delay", delay_s=seconds, path=path), count)

    def clear_faults(self) -> int:
        """Forget the injected faults no request has used yet (a soak's session is over);
        how many there were."""
        with self._faults_lock:
            count = len(self._faults)
            self._faults.clear()
        return count

    def _take_fault(self, path: str) -> Fault | None:
        with self._faults_lock:
            for i, fault in enumerate(self._faults):
                if fault.path_pattern is not None:
                    matches = re.fullmatch(fault.path_pattern, path) is not None
                else:
                    matches = fault.path is None or fault.path == path
                if matches:
                    return self._faults.pop(i)
        return None

    def _load_signing_key(self, alg: str) -> _SigningKey:
        # The Ed25519 key keeps its original file name so existing data dirs stay valid.
        name = "report-signing-key.pem" if alg == "EdDSA" else f"report-signing-key-{alg}.pem"
        path = self.data_dir / name
        key: object = None
        if path.exists():
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        wanted = ed25519.Ed25519PrivateKey if alg == "EdDSA" else ec.EllipticCurvePrivateKey
        if not isinstance(key, wanted):
            key = _new_private_key(alg)
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            path.write_bytes(pem)
            path.chmod(0o600)
        assert isinstance(key, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey)
        return _signing_key(key)

    # ------------------------------------------------------------------ time helpers

    def _now(self) -> float:
        return self.clock()

    def _now_cst(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self._now(), CST).replace(microsecond=0)

    def _iso(self, at: float) -> str:
        return dt.datetime.fromtimestamp(at, CST).replace(microsecond=0).isoformat()

    # ------------------------------------------------------------------ request handling

    def handle(
        self,
        method: str,
        target: str,
        headers: Message[str, str],
        rfile: Any,
        handler: BaseHTTPRequestHandler,
    ) -> _Reply:
        """Answer one request: routing, limits, authentication, then the endpoint.

        Raises:
            DropConnection: An injected fault wants the connection closed unanswered.
        """
        started = time.monotonic()
        path = urlsplit(target).path
        late: Fault | None = None
        try:
            reply, late = self._handle(method, target, path, headers, rfile, handler)
        except ApiError as err:
            extra = dict(err.headers)
            if err.retry_after_s is not None:
                extra["Retry-After"] = str(err.retry_after_s)
            reply = (err.status, err.body(), extra)
        except DropConnection:
            self.request_log.append(RequestLogEntry(method, path, 0))
            raise
        except Exception:  # a simulator bug still answers with a spec body
            log.exception("%s %s failed", method, path)
            handler.close_connection = True
            reply = (500, ApiError(500, "internal_error", "simulator error").body(), {})
        # Latency is added outside the store's transaction: a slow answer must not stall
        # every other request.
        delay = self.latency_s + (late.delay_s if late is not None and late.kind == "delay" else 0)
        if delay > 0:
            time.sleep(delay)
        if late is not None and late.kind == "drop":
            self.request_log.append(RequestLogEntry(method, path, 0))
            raise DropConnection
        if late is not None and late.kind == "malformed":
            reply = (reply[0], b'{"report_jws": "eyJhbGciOi', {})
        self.request_log.append(RequestLogEntry(method, path, reply[0]))
        log.info(
            "%s %s -> %d in %.0f ms", method, path, reply[0], (time.monotonic() - started) * 1000
        )
        return reply

    def _route(self, method: str, path: str) -> tuple[_Handler, str, dict[str, str]]:
        for pattern, methods, since in _ROUTES:
            match = pattern.fullmatch(path)
            if match is None or _version(since) > _version(self.api_version):
                # A path a v1 platform does not have is unknown to it: 404 not_found.
                continue
            if method not in methods:
                allow = ", ".join(sorted(methods))
                raise ApiError(405, "method_not_allowed", f"use {allow}", headers={"Allow": allow})
            endpoint, auth = methods[method]
            return endpoint, auth, {k: unquote(v) for k, v in match.groupdict().items()}
        raise ApiError(404, "not_found", "no such endpoint")

    def _handle(
        self,
        method: str,
        target: str,
        path: str,
        headers: Message[str, str],
        rfile: Any,
        handler: BaseHTTPRequestHandler,
    ) -> tuple[_Reply, Fault | None]:
        # The body is read before routing so a refused request leaves the keep-alive
        # connection clean for the next one.
        body = self._read_body(headers, rfile, handler)
        endpoint, auth, params = self._route(method, path)
        # A refusal commits what the request changed before it (a spent nonce or ticket, a
        # counted wrong code); only an unexpected failure rolls back.
        with self.store.transaction(commit_on=(ApiError, DropConnection)):
            request = _Request(method, target, params, headers, body, {})
            if auth != "public":
                request.terminal = self._authenticate(request)
            # Faults strike after authentication, so the nonce is already spent: a client
            # that succeeds on retry proves it signed the retry anew.
            fault = self._take_fault(path)
            if fault is not None and fault.kind == "status":
                code = "rate_limited" if fault.status == 429 else "unavailable"
                raise ApiError(
                    fault.status, code, "simulated outage", retry_after_s=fault.retry_after_s
                )
            if fault is not None and fault.kind == "drop" and not fault.after_processing:
                raise DropConnection
            request.json = self._parse_json(body)
            if auth == "bearer":
                request.session = self._bearer_session(request)
            return endpoint(self, request), fault

    @staticmethod
    def _read_body(
        headers: Message[str, str], rfile: Any, handler: BaseHTTPRequestHandler
    ) -> bytes:
        if "chunked" in headers.get("Transfer-Encoding", "").lower():
            handler.close_connection = True
            raise ApiError(411, "length_required", "send a Content-Length")
        try:
            length = int(headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if length < 0:
            handler.close_connection = True
            raise ApiError(400, "malformed_request", "bad Content-Length")
        if length > MAX_BODY:
            if length <= _DRAIN_LIMIT:
                # Drained and dropped, so the client sees the 413 instead of a reset socket.
                while length > 0:
                    length -= len(rfile.read(min(length, 65536)) or b"\0" * length)
            else:
                handler.close_connection = True
            raise ApiError(413, "payload_too_large", "bodies are limited to 1 MB")
        data: bytes = rfile.read(length) if length else b""
        return data

    @staticmethod
    def _parse_json(body: bytes) -> dict[str, Any]:
        if not body:
            return {}
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ApiError(400, "malformed_json", "the body is not JSON") from None
        if not isinstance(data, dict):
            raise ApiError(400, "malformed_json", "the body must be a JSON object")
        return data

    def _authenticate(self, request: _Request) -> Terminal:
        """Terminal authentication (platform-api.md §1)."""
        h = request.headers
        terminal_id = h.get("X-Terminal-Id", "")
        timestamp = h.get("X-Timestamp", "")
        nonce = h.get("X-Nonce", "")
        signature = h.get("X-Signature", "")
        if (
            not terminal_id
            or not re.fullmatch(r"\d{1,12}", timestamp)
            or not _HEX32.fullmatch(nonce)
            or not _HEX64.fullmatch(signature)
        ):
            raise ApiError(401, "bad_signature", "terminal headers missing or malformed")
        terminal = self.store.terminal(terminal_id)
        if terminal is None:
            raise ApiError(401, "unknown_terminal", "terminal not enrolled")
        message = "\n".join(
            [
                request.method,
                request.target,
                timestamp,
                nonce,
                hashlib.sha256(request.body).hexdigest(),
            ]
        )
        expected = hmac.new(terminal.secret, message.encode("utf-8"), "sha256").hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise ApiError(401, "bad_signature", "signature does not verify")
        now = self._now()
        # The nonce is spent once the signature verifies, whatever the answer (refusals
        # commit the transaction, see _handle).
        if not self.store.spend_nonce(terminal_id, nonce, now):
            raise ApiError(401, "replayed_nonce", "nonce already used")
        if abs(now - int(timestamp)) > CLOCK_SKEW_S:
            raise ApiError(401, "clock_skew", "terminal clock differs")
        if terminal.disabled:
            raise ApiError(401, "terminal_disabled", "terminal disabled")
        return terminal

    def _bearer_session(self, request: _Request) -> Session:
        match = re.fullmatch(r"Bearer (\S+)", request.headers.get("Authorization", ""))
        token = self.store.token(match.group(1)) if match else None
        assert request.terminal is not None
        if token is None or token.terminal_id != request.terminal.terminal_id:
            raise ApiError(401, "invalid_token", "missing or unknown access token")
        session = self.store.session(token.session_id)
        if session is None or session.ended:
            raise ApiError(401, "invalid_token", "the session of this token ended")
        self._check_session_alive(session)
        if self._now() > token.expires_at:
            raise ApiError(401, "token_expired", "access token expired")
        return session

    def _check_session_alive(self, session: Session) -> None:
        if self._now() > session.expires_at:
            raise ApiError(410, "session_expired", "session expired")
        if session.locked:
            raise ApiError(423, "locked", "session locked")

    def _session(self, request: _Request) -> Session:
        session = self.store.session(request.params["session_id"])
        assert request.terminal is not None
        if session is None or session.ended or session.terminal_id != request.terminal.terminal_id:
            raise ApiError(404, "session_not_found", "no such session")
        self._check_session_alive(session)
        return session

    def _resident(self, session: Session) -> Resident:
        resident = self._lookup(session.resident_id)
        if resident is None:  # the resident vanished from the demo data after a restart
            raise ApiError(404, "session_not_found", "no such session")
        return resident

    def _issue_token(self, session: Session) -> _Reply:
        token = Token(
            secrets.token_urlsafe(32),
            session.session_id,
            session.terminal_id,
            self._now() + self.token_life_s,
        )
        self.store.put_token(token)
        return 200, {"access_token": token.token, "expires_in": self.token_life_s}, {}

    @staticmethod
    def _idempotency_key(request: _Request) -> str:
        """The request's Idempotency-Key, or 400 (missing, or longer than 64 characters)."""
        key = request.headers.get("Idempotency-Key")
        if not key:
            raise ApiError(400, "missing_idempotency_key", "Idempotency-Key is required")
        if len(key) > 64:
            raise ApiError(400, "invalid_idempotency_key", "Idempotency-Key is too long")
        return key

    def _idempotent(
        self,
        request: _Request,
        endpoint: str,
        act: Callable[[], dict[str, Any]],
        *,
        created_status: int = 201,
    ) -> _Reply:
        """Run ``act`` once per Idempotency-Key (kept 24 h per terminal and endpoint).

        A fresh success answers ``created_status`` (201 for what creates a record, as prints
        and objections; 200 where the spec says so, as attest), a replay 200 with the same
        body. Refusals are not remembered: a retry is checked again.
        """
        assert request.terminal is not None
        key = self._idempotency_key(request)
        # The parsed body is compared, so the same JSON with other spacing is the same call.
        fingerprint = json.dumps(request.json, sort_keys=True, ensure_ascii=False)
        terminal_id, now = request.terminal.terminal_id, self._now()
        known = self.store.idempotent_reply(terminal_id, endpoint, key, now)
        if known is not None:
            if known[0] != fingerprint:
                raise ApiError(422, "idempotency_key_reused", "key used with another body")
            return 200, known[1], {}
        body = act()  # refusals raise and are not remembered: only a success is replayed
        self.store.keep_idempotent_reply(terminal_id, endpoint, key, fingerprint, body, now)
        return created_status, body, {}

    # ------------------------------------------------------------------ endpoints

    @property
    def _v12(self) -> bool:
        return self.api_version == "1.2"

    def _approvals(self, terminal_id: str) -> dict[str, bool]:
        """Effective approvals: the approved module set is the declared one, face has a camera."""
        record = self.store.hardware_approval(terminal_id)
        declared = _declared_sam_ids(record.hardware)
        return {
            "security_module": bool(declared) and record.approved_sam_ids == declared,
            "face": record.face_approved and _declares_camera(record.hardware),
        }

    def _declare_hardware(self, terminal_id: str, hardware: dict[str, Any]) -> None:
        """Keep a terminal's newly declared (checked) hardware, as §1 says approvals follow it.

        Another set of security modules than the approved one withdraws that approval (a
        module added, removed or replaced), even if the approved set comes back later:
        operators approve again. Face is kept: it counts whenever a camera is declared.
        """
        record = self.store.hardware_approval(terminal_id)
        record.hardware = hardware
        declared = _declared_sam_ids(hardware)
        if record.approved_sam_ids is not None and record.approved_sam_ids != declared:
            record.approved_sam_ids = None
        if self.auto_approve:
            record.approved_sam_ids = declared or None
            record.face_approved = _declares_camera(hardware)
        self.store.put_hardware_approval(record)

    def _enroll(self, request: _Request) -> _Reply:
        code = request.json.get("enrollment_code")
        hostname = request.json.get("hostname")
        hardware: dict[str, Any] | None = None
        if self._v12 and "hardware" in request.json:
            # Checked before the code is taken: a malformed declaration leaves it unspent.
            hardware = _checked_hardware(request.json["hardware"])
        normalised = code.strip().upper() if isinstance(code, str) else ""
        if not normalised or not self.store.take_enrollment_code(normalised):
            raise ApiError(403, "invalid_enrollment_code", "unknown or used enrolment code")
        terminal = Terminal(
            "T" + secrets.token_hex(6).upper(), secrets.token_bytes(32), str(hostname or "")
        )
        self.store.add_terminal(terminal)
        answer: dict[str, Any] = {
            "terminal_id": terminal.terminal_id,
            "terminal_secret": base64.b64encode(terminal.secret).decode(),
            "hall": HALL,
        }
        if self._v12:
            if hardware is not None:
                self._declare_hardware(terminal.terminal_id, hardware)
            answer["approvals"] = self._approvals(terminal.terminal_id)
        return 200, answer, {}

    def _jwks(self, request: _Request) -> _Reply:
        keys = [signing.public_jwk() for signing in self._keys if signing.published]
        return 200, {"keys": keys}, {"Cache-Control": "public, max-age=86400"}

    def _trust_anchors(self, request: _Request) -> _Reply:
        return 200, {"issuer_cas": [base64.b64encode(d).decode() for d in self._issuer_ders]}, {}

    def _challenge(self, request: _Request) -> _Reply:
        assert request.terminal is not None
        expires = self._now() + TICKET_LIFE_S
        ticket = Ticket(
            secrets.token_urlsafe(24),
            request.terminal.terminal_id,
            secrets.token_bytes(32),
            expires,
        )
        self.store.add_ticket(ticket)
        return (
            200,
            {
                "ticket": ticket.ticket,
                "challenge": base64.b64encode(ticket.challenge).decode(),
                "expires_at": self._iso(expires),
            },
            {},
        )

    def _card_bytes(self, request: _Request) -> tuple[bytes, bytes, bytes, bytes]:
        out = []
        for name in ("holder", "card_cert", "sod", "signature"):
            value = request.json.get(name)
            if not isinstance(value, str):
                raise ApiError(422, "card_invalid", f"{name} missing", reason="malformed_data")
            try:
                out.append(base64.b64decode(value + "=" * (-len(value) % 4), validate=True))
            except (binascii.Error, ValueError):
                raise ApiError(
                    422, "card_invalid", f"{name} is not base64", reason="malformed_data"
                ) from None
        return out[0], out[1], out[2], out[3]

    def _verify_identity(self, request: _Request) -> _Reply:
        assert request.terminal is not None
        ticket_id = request.json.get("ticket")
        ticket = self.store.pop_ticket(ticket_id) if isinstance(ticket_id, str) else None
        if (
            ticket is None
            or ticket.terminal_id != request.terminal.terminal_id
            or self._now() > ticket.expires_at
        ):
            raise ApiError(410, "ticket_expired", "ticket expired, used or not yours")
        return self._verify_card(request, ticket)

    def _verify_card(self, request: _Request, ticket: Ticket) -> _Reply:
        assert request.terminal is not None
        holder, cert_der, sod, signature = self._card_bytes(request)
        now = dt.datetime.fromtimestamp(self._now(), dt.UTC)
        try:
            ca, photo_hash = _check_sod(sod, holder, cert_der, self._issuer_cas, now)
            cert, card_key = _check_card_cert(cert_der, ca, now)
            _check_active_auth(card_key, ticket.challenge, signature)
            card = _check_holder(holder, now.astimezone(CST).date())
        except CardCheckError as refused:
            raise ApiError(
                422, "card_invalid", "card check failed", reason=refused.reason
            ) from None
        # Lost by its certificate, or (v1.2 §2) by DF01 and DF08 together; without DF08, by
        # the ID number alone.
        if self.store.card_lost(cert.serial_number) or self.store.number_lost(
            card.id_number, card.valid_from
        ):
            raise ApiError(403, "card_reported_lost", "card reported lost")
        resident = self._lookup(card.id_number)
        if resident is None:
            raise ApiError(
                422,
                "card_invalid",
                "no resident with this ID number",
                reason=UNKNOWN_RESIDENT_REASON,
            )
        session = Session(
            secrets.token_urlsafe(16),
            request.terminal.terminal_id,
            resident.id_number,
            self._now() + SESSION_LIFE_S,
            assurance=ASSURANCE_ACTIVE_AUTH,
            photo_sha256=photo_hash.hex(),
        )
        return 200, self._open_session(session, resident), {}

    def _open_session(self, session: Session, resident: Resident) -> dict[str, Any]:
        """Store a session whose identity was just established; the identity answer (§2).

        The face factor is offered beside the others (never alone: staff assist is always
        there) to a terminal approved for it, and never to a child under 14.
        """
        factors = (["sms_otp"] if resident.phone else []) + ["staff_assist"]
        offer_face = (
            self._v12
            and self._approvals(session.terminal_id)["face"]
            and not _under_face_age(resident.id_number, self._now_cst().date())
        )
        if offer_face:
            factors.append(FACE)
            session.face_policy = json.loads(json.dumps(self.face_policy))
        self.store.put_session(session)
        answer: dict[str, Any] = {
            "session_id": session.session_id,
            "expires_at": self._iso(session.expires_at),
            "subject": {"name": resident.name, "id_masked": resident.id_masked},
            "second_factors": factors,
            "phone_masked": resident.phone_masked,
        }
        if self._v12:
            answer["assurance"] = session.assurance
        if session.face_policy is not None:
            answer["face_policy"] = session.face_policy
        return answer

    def _attest_identity(self, request: _Request) -> _Reply:
        """``POST /v1/identity/attest`` (§2b): a certified reader's reading of an ID card.

        The Idempotency-Key is looked at before anything else: missing, 400; known with the
        same body, the same session again; known with another body, 422. Then the checks in
        the spec's order.
        """
        terminal = request.terminal
        assert terminal is not None

        def attest() -> dict[str, Any]:
            body = request.json
            reader = body.get("reader")
            sam_id = reader.get("sam_id") if isinstance(reader, dict) else None
            approvals = self._approvals(terminal.terminal_id)
            if not approvals["security_module"]:
                raise ApiError(
                    403,
                    "attestation_not_allowed",
                    "terminal not approved for certified readers",
                    reason="terminal_not_approved",
                )
            record = self.store.hardware_approval(terminal.terminal_id)
            if not isinstance(sam_id, str) or sam_id not in (record.approved_sam_ids or ()):
                raise ApiError(
                    403,
                    "attestation_not_allowed",
                    "reader.sam_id is not an approved security module",
                    reason="sam_mismatch",
                )
            holder = self._attested_holder(body)
            try:
                _check_attested_card(holder, self._now_cst().date())
            except CardCheckError as refused:
                raise ApiError(
                    422, "card_invalid", "card check failed", reason=refused.reason
                ) from None
            resident = self._lookup(holder["id_number"])
            if resident is None or resident.name != holder["name"]:
                raise ApiError(
                    422,
                    "card_invalid",
                    "no resident with this ID number and name",
                    reason=UNKNOWN_RESIDENT_REASON,
                )
            if self.store.number_lost(holder["id_number"], holder["valid_from"]):
                raise ApiError(403, "card_reported_lost", "card reported lost")
            session = Session(
                secrets.token_urlsafe(16),
                terminal.terminal_id,
                resident.id_number,
                self._now() + SESSION_LIFE_S,
                assurance=ASSURANCE_SECURITY_MODULE,
                sam_id=sam_id,
                read_at=body["read_at"],
            )
            return self._open_session(session, resident)

        return self._idempotent(request, "POST /v1/identity/attest", attest, created_status=200)

    @staticmethod
    def _attested_holder(body: Mapping[str, Any]) -> dict[str, str]:
        """The attest body's shape (§2b: 400 ``bad_request``): its holder, five strings."""
        reader = body["reader"]  # an object: the sam_id check before this one saw to it
        holder = body.get("holder")
        if not isinstance(reader.get("model"), str):
            raise ApiError(400, "bad_request", "reader.model is required")
        if not isinstance(holder, dict) or set(holder) != ATTESTED_HOLDER_MEMBERS:
            # Extra members (an address, a photo...) are refused and nothing of them kept.
            raise ApiError(
                400, "bad_request", f"holder has exactly {sorted(ATTESTED_HOLDER_MEMBERS)}"
            )
        if not all(isinstance(value, str) for value in holder.values()):
            raise ApiError(400, "bad_request", "holder members are strings")
        if not _is_rfc3339_with_offset(body.get("read_at")):
            raise ApiError(400, "bad_request", "read_at is an RFC 3339 time with offset")
        return dict(holder)

    def _send_otp(self, request: _Request) -> _Reply:
        session = self._session(request)
        phone = self._resident(session).phone_masked
        if phone is None:
            raise ApiError(409, "no_phone_on_file", "no phone on file; ask staff")
        now = self._now()
        if session.otp_sent_at is not None and now < session.otp_sent_at + OTP_RESEND_S:
            wait = math.ceil(session.otp_sent_at + OTP_RESEND_S - now)
            raise ApiError(429, "resend_too_soon", "wait before asking again", retry_after_s=wait)
        code = f"{secrets.randbelow(10**6):06d}"
        session.otp_code, session.otp_expires_at, session.otp_sent_at = code, now + OTP_LIFE_S, now
        self.store.put_session(session)
        self.sent_codes.append(code)
        if self._sms_sink is not None:
            self._sms_sink(phone, code)
        return 200, {"sent": True, "resend_after_s": OTP_RESEND_S}, {}

    def _verify_otp(self, request: _Request) -> _Reply:
        session = self._session(request)
        code = request.json.get("code")
        if session.otp_code is None or self._now() > session.otp_expires_at:
            # No live code (never sent, used, or expired): nothing to guess, no attempt spent.
            raise ApiError(400, "code_expired", "ask for a new code")
        if isinstance(code, str) and hmac.compare_digest(code.encode(), session.otp_code.encode()):
            session.otp_code = None  # single use
            self.store.put_session(session)
            return self._issue_token(session)
        session.otp_failures += 1
        left = OTP_MAX_FAILURES - session.otp_failures
        session.locked = left <= 0
        self.store.put_session(session)
        if session.locked:
            raise ApiError(423, "locked", "too many wrong codes")
        raise ApiError(400, "wrong_code", "wrong code", attempts_left=left)

    def _staff_assist(self, request: _Request) -> _Reply:
        session = self._session(request)
        staff_id, pin = request.json.get("staff_id"), request.json.get("staff_pin")
        if not (
            isinstance(staff_id, str)
            and isinstance(pin, str)
            and STAFF_ID_FORMAT.fullmatch(staff_id)
            and STAFF_PIN_FORMAT.fullmatch(pin)
        ):
            # Out of format: refused before any check, so it costs no attempt (§3).
            raise ApiError(400, "bad_request", "staff_id or staff_pin out of format")
        expected = DEMO_STAFF.get(staff_id.upper())  # ASCII only (checked): upper() is safe
        if expected is not None and hmac.compare_digest(pin.encode(), expected.encode()):
            return self._issue_token(session)
        session.staff_failures += 1
        left = STAFF_MAX_FAILURES - session.staff_failures
        session.locked = left <= 0
        self.store.put_session(session)
        if session.locked:
            raise ApiError(423, "locked", "too many wrong staff PINs")
        raise ApiError(403, "staff_denied", "staff id or PIN wrong", attempts_left=left)

    def _face_check(self, request: _Request) -> _Reply:
        """``POST /v1/sessions/{id}/face`` (§3b): a face attempt's outcome, checks in order.

        An answer of 200 or 403 ``face_rejected`` binds the Idempotency-Key: the same key
        and body get it again without using an attempt, even once the factor is closed. A
        400 or 409 binds nothing. Only the outcome is kept, never anything image-like.
        """
        session = self._session(request)
        terminal_id = session.terminal_id
        key = self._idempotency_key(request)
        # The session is part of what a key stands for: the same key sent on another session
        # is another request, so 422 rather than that session's answer.
        fingerprint = json.dumps(
            {"session_id": session.session_id, "body": request.json},
            sort_keys=True,
            ensure_ascii=False,
        )
        known = self.store.face_answer(terminal_id, key)
        if known is not None:
            if known[0] != fingerprint:
                raise ApiError(422, "idempotency_key_reused", "key used with another body")
            return known[1], known[2], {}
        policy = session.face_policy
        if policy is None or session.face_rejections >= policy["attempts"]:
            raise ApiError(409, "factor_unavailable", "the face check is not open here")
        body = request.json
        model, score = body.get("model"), body.get("score")
        liveness, consent = body.get("liveness"), body.get("consent")
        if (
            set(body) != FACE_BODY_MEMBERS  # nothing else: no image, template or embedding
            or not isinstance(model, str)
            or not isinstance(score, int | float)
            or isinstance(score, bool)
            or not -1 <= score <= 1  # NaN too: it compares false
            or body["reference"] != FACE_REFERENCE
            or not isinstance(body["reference_sha256"], str)
            or not _HEX64.fullmatch(body["reference_sha256"])
            or not isinstance(liveness, dict)
            or set(liveness) != {"method", "passed"}
            or not isinstance(liveness["method"], str)
            or not isinstance(liveness["passed"], bool)
            or not isinstance(consent, dict)
            or set(consent) != {"notice", "at"}
            or consent["notice"] != policy["notice"]["version"]
            or not isinstance(consent["at"], str)  # recorded, not checked
        ):
            raise ApiError(400, "bad_request", "face attempt out of format; no attempt used")
        if session.photo_sha256 is not None and not hmac.compare_digest(
            body["reference_sha256"], session.photo_sha256
        ):
            raise ApiError(400, "reference_mismatch", "not the photo the card's SOD binds")
        threshold = policy["models"].get(model, {}).get("min_score")
        passed = (
            threshold is not None
            and score >= threshold
            and liveness["method"] in policy["liveness"]
            and liveness["passed"] is True
        )
        if passed:
            status, answer, _ = self._issue_token(session)
        else:  # a pass does not reset the count: only rejections are counted
            session.face_rejections += 1
            self.store.put_session(session)
            left = policy["attempts"] - session.face_rejections
            status = 403
            answer = ApiError(
                403, "face_rejected", "the faces do not match well enough", attempts_left=left
            ).body()
        attempt = FaceAttempt(
            session.session_id,
            terminal_id,
            model,
            float(score),
            liveness["method"],
            liveness["passed"],
            passed,
            consent["notice"],
            consent["at"],
        )
        self.store.add_face_attempt(attempt, key, fingerprint, (status, answer), self._now())
        return status, answer, {}

    def _end_session(self, request: _Request) -> _Reply:
        assert request.terminal is not None
        session = self.store.session(request.params["session_id"])
        if session is not None and session.terminal_id != request.terminal.terminal_id:
            raise ApiError(404, "session_not_found", "no such session")
        if session is not None:
            session.ended = True
            self.store.put_session(session)
            self.store.delete_tokens(session.session_id)
        return 204, None, {}

    def _build_report(self, resident: Resident) -> dict[str, Any]:
        generated = self._now_cst()
        seq = self.store.next_report_seq()
        code = _verification_code()
        while self.store.code_taken(_normalise_code(code)):
            code = _verification_code()
        sections = resident.sections()
        payload: dict[str, Any] = {
            "report_id": f"R{generated:%Y%m%d}{seq:05d}",
            "verification_code": code,
            "generated_at": generated.isoformat(),
            "valid_until": (generated + dt.timedelta(days=REPORT_VALID_DAYS)).isoformat(),
            "subject": {"name": resident.name, "id_masked": resident.id_masked},
            "summary": _summary(sections),
            "sections": sections,
        }
        self.store.add_report(payload["report_id"], _normalise_code(code), payload)
        return payload

    def _session_report(self, session: Session) -> dict[str, Any]:
        """The session's report, built at the first request (the same one all session)."""
        if session.report_id is not None:
            payload = self.store.report(session.report_id)
            if payload is not None:
                return payload
        payload = self._build_report(self._resident(session))
        session.report_id = payload["report_id"]
        self.store.put_session(session)
        return payload

    def _current_report(self, request: _Request) -> _Reply:
        session = request.session
        assert session is not None
        payload = self._session_report(session)
        if self.report_mutator is not None:
            payload = self.report_mutator(json.loads(json.dumps(payload)))
        signing = self._keys[-1]
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        jws = jwt.api_jws.encode(
            data, signing.key, algorithm=signing.alg, headers={"kid": signing.kid, "typ": None}
        )
        if self.jws_tamper is not None:
            jws = self.jws_tamper(jws)
        return 200, {"report_jws": jws}, {}

    def _render_pdf(self, payload: dict[str, Any], terminal_id: str) -> bytes:
        # Imported here: reportlab costs start-up time that only a PDF should pay.
        from kiosk.platform.report import parse_report
        from kiosk.printing.report_pdf import render_pdf

        code = _normalise_code(str(payload["verification_code"]))
        verify_url = f"{self.base_url}/v1/verify/{code}"
        return render_pdf(
            parse_report(payload),
            terminal_id=terminal_id,
            verify_url=verify_url,
            now=self._now_cst(),
        )

    def _pdf(self, request: _Request) -> _Reply:
        if not self.serve_pdf:
            raise ApiError(404, "pdf_not_available", "the kiosk renders the PDF itself")
        assert request.session is not None
        payload = self._session_report(request.session)
        pdf = self._render_pdf(payload, request.session.terminal_id)
        return 200, pdf, {"Content-Type": "application/pdf"}

    def _own_report(self, request: _Request, report_id: str) -> dict[str, Any]:
        """The session's report if ``report_id`` names it, else 404 ``report_not_found``."""
        session = request.session
        assert session is not None
        payload = self.store.report(report_id) if session.report_id == report_id else None
        if payload is None:
            raise ApiError(404, "report_not_found", "not this session's report")
        return payload

    def _record_print(self, request: _Request) -> _Reply:
        terminal = request.terminal
        assert terminal is not None
        report_id = request.params["report_id"]

        def act() -> dict[str, Any]:
            self._own_report(request, report_id)
            copies, kind = request.json.get("copies"), request.json.get("kind")
            printed_at = request.json.get("printed_at")
            if (
                not isinstance(copies, int)
                or isinstance(copies, bool)
                or not 1 <= copies <= 10
                or not isinstance(kind, str)
                or not kind
                or not isinstance(printed_at, str)
            ):
                raise ApiError(400, "invalid_request", "copies 1..10, kind and printed_at required")
            record = PrintRecord(
                "PR" + secrets.token_hex(8).upper(),
                report_id,
                terminal.terminal_id,
                copies,
                kind,
                printed_at,
                self._iso(self._now()),
            )
            self.store.add_print(record)
            return {
                "print_id": record.print_id,
                "report_id": report_id,
                "copies": copies,
                "kind": kind,
                "recorded_at": record.recorded_at,
            }

        return self._idempotent(request, f"POST /v1/reports/{report_id}/prints", act)

    def _objection(self, request: _Request) -> _Reply:
        terminal = request.terminal
        assert terminal is not None

        def act() -> dict[str, Any]:
            report_id = request.json.get("report_id")
            record_id = request.json.get("record_id")
            reason = request.json.get("reason")
            if not isinstance(report_id, str) or not isinstance(record_id, str):
                raise ApiError(400, "invalid_request", "report_id and record_id required")
            if not isinstance(reason, str) or not reason.strip() or len(reason) > 2000:
                raise ApiError(400, "invalid_request", "reason must be 1 to 2000 characters")
            payload = self._own_report(request, report_id)
            records = {r["record_id"] for s in payload["sections"] for r in s["records"]}
            if record_id not in records:
                raise ApiError(422, "unknown_record", "no such record in this report")
            objection = Objection(
                "OB" + secrets.token_hex(8).upper(),
                report_id,
                record_id,
                terminal.terminal_id,
                reason,
                self._iso(self._now()),
            )
            self.store.add_objection(objection)
            return {"objection_id": objection.objection_id, "status": "received"}

        return self._idempotent(request, "POST /v1/objections", act)

    def _share(self, request: _Request) -> _Reply:
        self._own_report(request, request.params["report_id"])
        link_id = secrets.token_urlsafe(24)
        expires = self._now() + SHARE_LIFE_S
        self.store.add_share_link(link_id, request.params["report_id"], expires)
        url = f"{self.base_url}/v1/share/{link_id}"
        return 200, {"url": url, "expires_at": self._iso(expires)}, {}

    def _shared_pdf(self, request: _Request) -> _Reply:
        link_id = request.params["link_id"]
        if not self.store.share_link_known(link_id):
            raise ApiError(404, "not_found", "unknown link")
        report_id = self.store.take_share_link(link_id, self._now())
        payload = self.store.report(report_id) if report_id is not None else None
        if payload is None:
            # Spent links stay spent even if rendering fails below: one download, ever.
            raise ApiError(410, "link_expired", "this link was used or has expired")
        pdf = self._render_pdf(payload, "share")
        headers = {
            "Content-Type": "application/pdf",
            "Content-Disposition": f'attachment; filename="{report_id}.pdf"',
            "Cache-Control": "no-store",
        }
        return 200, pdf, headers

    def _repair_guide(self, request: _Request) -> _Reply:
        guide = REPAIR_GUIDES.get(request.params["guide_id"])
        if guide is None:
            raise ApiError(404, "not_found", "no such repair guide")
        return 200, guide, {}

    def _audit_events(self, request: _Request) -> _Reply:
        assert request.terminal is not None
        events = request.json.get("events")
        if not isinstance(events, list) or not all(
            isinstance(e, dict) and isinstance(e.get("event_id"), str) and e["event_id"]
            for e in events
        ):
            # The whole batch is refused: nothing of it is stored.
            raise ApiError(400, "invalid_request", "every event needs an event_id")
        accepted: list[str] = []
        duplicates: list[str] = []
        for event in events:
            stored = self.store.add_audit_event(
                AuditEvent(
                    request.terminal.terminal_id,
                    event["event_id"],
                    str(event.get("at")) if event.get("at") is not None else None,
                    str(event.get("type")) if event.get("type") is not None else None,
                    event.get("data"),
                ),
                self._now(),
            )
            (accepted if stored else duplicates).append(event["event_id"])
        return 200, {"accepted": accepted, "duplicates": duplicates}, {}

    def _heartbeat(self, request: _Request) -> _Reply:
        assert request.terminal is not None
        body = request.json
        backlog = body.get("outbox_backlog")
        if (
            not isinstance(body.get("version"), str)
            or not isinstance(body.get("devices"), dict)
            or not isinstance(backlog, int)
            or isinstance(backlog, bool)
            or backlog < 0
        ):
            raise ApiError(400, "invalid_request", "version, devices and outbox_backlog needed")
        # v1.2 §6: a malformed hardware refuses the whole heartbeat and changes nothing; one
        # without hardware leaves the declared hardware and the approvals as they are.
        hardware = None
        if self._v12 and "hardware" in body:
            hardware = _checked_hardware(body["hardware"])
        self.store.record_heartbeat(request.terminal.terminal_id, self._now(), body)
        if hardware is not None:
            self._declare_hardware(request.terminal.terminal_id, hardware)
        return 204, None, {}

    def content_body(self, terminal_id: str | None = None) -> dict[str, Any]:
        """What ``GET /v1/content`` serves (tests compare against it).

        Args:
            terminal_id: The terminal asking: a v1.2 platform adds its ``approvals``.
        """
        body: dict[str, Any] = {
            "announcements": ANNOUNCEMENTS,
            "repair_guides": [{"guide_id": k, **v} for k, v in REPAIR_GUIDES.items()],
            "service_hours": SERVICE_HOURS,
            "hall": HALL,
        }
        if terminal_id is not None and self._v12:
            with self.store.transaction():
                body["approvals"] = self._approvals(terminal_id)
        return body

    def _content(self, request: _Request) -> _Reply:
        assert request.terminal is not None
        # The ETag is taken over the whole body, approvals included: a terminal whose
        # approvals changed gets 200 with them, not 304.
        body = self.content_body(request.terminal.terminal_id)
        canonical = json.dumps(body, sort_keys=True, ensure_ascii=False).encode("utf-8")
        etag = f'"{hashlib.sha256(canonical).hexdigest()[:32]}"'
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        wanted = request.headers.get("If-None-Match", "")
        tags = {t.strip().removeprefix("W/") for t in wanted.split(",") if t.strip()}
        if etag in tags or "*" in tags:
            return 304, None, headers
        return 200, body, headers

    def _verify_public(self, request: _Request) -> _Reply:
        payload = self.store.report_by_code(_normalise_code(request.params["code"]))
        if payload is None:
            raise ApiError(404, "not_found", "unknown verification code")
        valid_until = dt.datetime.fromisoformat(payload["valid_until"])
        valid = self._now() <= valid_until.timestamp()
        name, id_masked = payload["subject"]["name"], payload["subject"]["id_masked"]
        data: dict[str, Any] = {
            "report_id": payload["report_id"],
            "subject": {"name_masked": _mask_name(name), "id_masked": id_masked},
            "generated_at": payload["generated_at"],
            "valid": valid,
        }
        if not _prefers_html(request.headers.get("Accept", "")):
            return 200, data, {}
        verdict = "报告有效" if valid else "报告已过期"
        page = (
            '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            "<title>信用报告核验</title></head><body>"
            f"<h1>{verdict}</h1><dl>"
            f"<dt>报告编号</dt><dd>{html.escape(payload['report_id'])}</dd>"
            f"<dt>姓名</dt><dd>{html.escape(_mask_name(name))}</dd>"
            f"<dt>身份证号</dt><dd>{html.escape(id_masked)}</dd>"
            f"<dt>生成时间</dt><dd>{html.escape(data['generated_at'])}</dd>"
            "</dl></body></html>"
        )
        return 200, page.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"}


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def _route(
    pattern: str, since: str = "1.0", **methods: tuple[_Handler, str]
) -> tuple[re.Pattern[str], dict[str, tuple[_Handler, str]], str]:
    """A route; ``since`` is the API version that added it (older platforms answer 404)."""
    return re.compile(pattern), methods, since


_S = PlatformSimulator
_ROUTES: list[tuple[re.Pattern[str], dict[str, tuple[_Handler, str]], str]] = [
    _route(r"/v1/enroll", POST=(_S._enroll, "public")),
    _route(r"/v1/keys", GET=(_S._jwks, "public")),
    _route(r"/v1/trust-anchors", GET=(_S._trust_anchors, "terminal")),
    _route(r"/v1/identity/challenge", POST=(_S._challenge, "terminal")),
    _route(r"/v1/identity/verify", POST=(_S._verify_identity, "terminal")),
    _route(r"/v1/identity/attest", "1.2", POST=(_S._attest_identity, "terminal")),
    _route(r"/v1/sessions/(?P<session_id>[^/]+)/otp", POST=(_S._send_otp, "terminal")),
    _route(r"/v1/sessions/(?P<session_id>[^/]+)/otp/verify", POST=(_S._verify_otp, "terminal")),
    _route(r"/v1/sessions/(?P<session_id>[^/]+)/staff-assist", POST=(_S._staff_assist, "terminal")),
    _route(r"/v1/sessions/(?P<session_id>[^/]+)/face", "1.2", POST=(_S._face_check, "terminal")),
    _route(r"/v1/sessions/(?P<session_id>[^/]+)", DELETE=(_S._end_session, "terminal")),
    _route(r"/v1/reports/current", GET=(_S._current_report, "bearer")),
    _route(r"/v1/reports/current/pdf", GET=(_S._pdf, "bearer")),
    _route(r"/v1/reports/(?P<report_id>[^/]+)/prints", POST=(_S._record_print, "bearer")),
    _route(r"/v1/reports/(?P<report_id>[^/]+)/share", POST=(_S._share, "bearer")),
    _route(r"/v1/objections", POST=(_S._objection, "bearer")),
    _route(r"/v1/repair-guides/(?P<guide_id>[^/]+)", GET=(_S._repair_guide, "terminal")),
    _route(r"/v1/audit-events", POST=(_S._audit_events, "terminal")),
    _route(r"/v1/terminal/heartbeat", POST=(_S._heartbeat, "terminal")),
    _route(r"/v1/content", GET=(_S._content, "terminal")),
    _route(r"/v1/verify/(?P<code>[^/]+)", GET=(_S._verify_public, "public")),
    _route(r"/v1/share/(?P<link_id>[^/]+)", GET=(_S._shared_pdf, "public")),
]
