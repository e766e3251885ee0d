"""A demo central credit platform (platform-api.md v1) over real HTTPS on loopback.

It follows the contract closely enough that the kiosk's client is tested against it as if it
were the real platform: HMAC terminal authentication with clock-skew and nonce-replay checks,
the card checks of the ID card profile (implemented here independently of the kiosk's own
code, so a shared misreading of the profile does not hide), one-time codes, staff assist,
EdDSA-signed reports and idempotent print records. State lives in memory behind
``MemoryStore`` so a persistent store can replace it.
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
from collections.abc import Callable, Iterator, Mapping
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
from simulators.residents import RESIDENTS, Resident

log = logging.getLogger(__name__)

CST = dt.timezone(dt.timedelta(hours=8), "CST")
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
DEMO_STAFF = {"100001": "246810"}  # hall staff ids are six digits (typed on the keypad)
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
HALL = {"id": "ZJ-JK-01", "name": "镇江市京口区政务服务中心"}
UNKNOWN_RESIDENT_REASON = "unknown_resident"

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


# ---------------------------------------------------------------------------- storage


@dataclasses.dataclass
class Terminal:
    """An enrolled terminal."""

    terminal_id: str
    secret: bytes = dataclasses.field(repr=False)
    hostname: str
    disabled: bool = False


@dataclasses.dataclass
class Ticket:
    """A challenge handed to one terminal, spent by any verify attempt."""

    ticket: str
    terminal_id: str
    challenge: bytes
    expires_at: float


@dataclasses.dataclass
class Session:
    """A resident's session after the card verified."""

    session_id: str
    terminal_id: str
    resident: Resident
    expires_at: float
    otp_code: str | None = None
    otp_expires_at: float = 0.0
    otp_sent_at: float | None = None
    otp_failures: int = 0
    staff_failures: int = 0
    locked: bool = False
    ended: bool = False
    report: dict[str, Any] | None = None


@dataclasses.dataclass
class Token:
    """An access token of a session."""

    token: str
    session_id: str
    terminal_id: str
    expires_at: float


@dataclasses.dataclass(frozen=True)
class IssuedReport:
    """What the public verification page needs about an issued report."""

    report_id: str
    verification_code: str
    name: str
    id_masked: str
    generated_at: dt.datetime
    valid_until: dt.datetime


@dataclasses.dataclass(frozen=True)
class PrintRecord:
    """A recorded print."""

    print_id: str
    report_id: str
    terminal_id: str
    copies: int
    kind: str
    printed_at: str
    recorded_at: str


class MemoryStore:
    """In-memory state of the platform; every access happens inside ``transaction()``."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.enrollment_codes: set[str] = set()
        self.terminals: dict[str, Terminal] = {}
        self.nonces: dict[str, dict[str, float]] = {}
        self.tickets: dict[str, Ticket] = {}
        self.sessions: dict[str, Session] = {}
        self.tokens: dict[str, Token] = {}
        self.reports_by_code: dict[str, IssuedReport] = {}
        self.idempotency: dict[tuple[str, str, str], tuple[str, int, dict[str, Any]]] = {}
        self.prints: list[PrintRecord] = []
        self.report_seq = 0
        self.lost_card_serials: set[int] = set()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Serialise a request's reads and writes."""
        with self._lock:
            yield

    def spend_nonce(self, terminal_id: str, nonce: str, now: float) -> bool:
        """Record ``nonce``; False if the terminal used it in the last 10 minutes."""
        seen = self.nonces.setdefault(terminal_id, {})
        for old in [n for n, at in seen.items() if now - at > NONCE_WINDOW_S]:
            del seen[old]
        if nonce in seen:
            return False
        seen[nonce] = now
        return True


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
) -> x509.Certificate:
    """Profile checks 1 and 2; returns the issuer CA the SOD names."""
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
    return ca


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


def _check_holder(holder: bytes, today: dt.date) -> str:
    """Profile checks 5 and 6; returns the ID number."""
    fields = _template(holder, 0x61)
    try:
        id_number = fields[0xDF01].decode()
        birth = fields[0xDF05].decode()
        valid_until = fields[0xDF09].decode()
        name = fields[0xDF02].decode()
    except (KeyError, UnicodeDecodeError):
        raise CardCheckError("malformed_data") from None
    if not name or not re.fullmatch(r"\d{17}[\dX]", id_number):
        raise CardCheckError("malformed_data")
    if _id_check_char(id_number[:17]) != id_number[17]:
        raise CardCheckError("id_check_char")
    if birth != id_number[6:14]:
        raise CardCheckError("birth_date_mismatch")
    if int(id_number[:2]) not in _PROVINCES:
        raise CardCheckError("unknown_region")
    if valid_until != "长期":
        try:
            expiry = dt.datetime.strptime(valid_until, "%Y%m%d").replace(tzinfo=CST).date()
        except ValueError:
            raise CardCheckError("malformed_data") from None
        if expiry < today:
            raise CardCheckError("card_expired")
    return id_number


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


@dataclasses.dataclass
class _SigningKey:
    kid: str
    key: ed25519.Ed25519PrivateKey
    published: bool


def _kid(public: ed25519.Ed25519PublicKey) -> str:
    """RFC 7638 thumbprint, so the kid changes whenever the key does."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    canonical = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"))
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest())[:16].decode()


# ---------------------------------------------------------------------------- HTTP plumbing


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
        status, payload, headers = self.server.sim.handle(
            self.command, self.path, self.headers, self.rfile, self
        )
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
        if status != HTTPStatus.NO_CONTENT:
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
        data_dir: Keeps the TLS CA and the report signing key across restarts.
        residents: The people the platform knows.
        issuer_ca_certs: DER certificates of the card issuer CAs it trusts.
        card_id_lookup: Maps a verified card's ID number to a resident (None: unknown);
            by default the ID numbers of ``residents``.
        host: Address to listen on (loopback).
        port: TCP port; 0 picks a free one.
        sms_sink: Receives ``(phone_masked, code)`` for every one-time code "sent".

    Attributes:
        clock: Returns the platform's current Unix time; tests replace it to skew time.
        sent_codes: Every one-time code sent, in order.
        request_log: Every answered request (method, path, status).
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
    ) -> None:
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
        self.store = MemoryStore()
        self.sent_codes: list[str] = []
        self.request_log: list[RequestLogEntry] = []
        self._failures: list[tuple[int, int]] = []
        self.jws_tamper: Callable[[str], str] | None = None
        self._keys: list[_SigningKey] = [self._load_signing_key()]
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
        """Stop serving, drop open connections and wait for the worker threads."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.drop_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join()

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
            self.store.enrollment_codes.add(code)
        return code

    @property
    def prints(self) -> list[PrintRecord]:
        """Print records, in the order recorded."""
        with self.store.transaction():
            return list(self.store.prints)

    def report_card_lost(self, card_cert_serial: int) -> None:
        """Mark the card with this EF.CARDCERT serial as reported lost."""
        with self.store.transaction():
            self.store.lost_card_serials.add(card_cert_serial)

    def rotate_report_key(self, *, publish: bool = True) -> str:
        """Sign reports with a new key from now on; returns its kid.

        ``publish=False`` keeps the key out of ``/v1/keys``, as a misconfigured or forged
        platform would.
        """
        key = ed25519.Ed25519PrivateKey.generate()
        signing = _SigningKey(_kid(key.public_key()), key, publish)
        with self.store.transaction():
            self._keys.append(signing)
        return signing.kid

    def fail_next(self, count: int = 1, *, status: int = 503, retry_after_s: int = 0) -> None:
        """Answer the next ``count`` routed requests with ``status`` (after authentication)."""
        with self.store.transaction():
            self._failures.extend([(status, retry_after_s)] * count)

    def _load_signing_key(self) -> _SigningKey:
        path = self.data_dir / "report-signing-key.pem"
        key: object = None
        if path.exists():
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, ed25519.Ed25519PrivateKey):
            key = ed25519.Ed25519PrivateKey.generate()
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            path.write_bytes(pem)
            path.chmod(0o600)
        return _SigningKey(_kid(key.public_key()), key, True)

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
        """Answer one request: routing, limits, authentication, then the endpoint."""
        started = time.monotonic()
        path = urlsplit(target).path
        try:
            reply = self._handle(method, target, path, headers, rfile, handler)
        except ApiError as err:
            extra = dict(err.headers)
            if err.retry_after_s is not None:
                extra["Retry-After"] = str(err.retry_after_s)
            reply = (err.status, err.body(), extra)
        except Exception:  # a simulator bug still answers with a spec body
            log.exception("%s %s failed", method, path)
            handler.close_connection = True
            reply = (500, ApiError(500, "internal_error", "simulator error").body(), {})
        self.request_log.append(RequestLogEntry(method, path, reply[0]))
        log.info(
            "%s %s -> %d in %.0f ms", method, path, reply[0], (time.monotonic() - started) * 1000
        )
        return reply

    def _route(self, method: str, path: str) -> tuple[_Handler, str, dict[str, str]]:
        for pattern, methods in _ROUTES:
            match = pattern.fullmatch(path)
            if match is None:
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
    ) -> _Reply:
        # The body is read before routing so a refused request leaves the keep-alive
        # connection clean for the next one.
        body = self._read_body(headers, rfile, handler)
        endpoint, auth, params = self._route(method, path)
        with self.store.transaction():
            request = _Request(method, target, params, headers, body, {})
            if auth != "public":
                request.terminal = self._authenticate(request)
            if self._failures:
                status, retry_after = self._failures.pop(0)
                raise ApiError(status, "unavailable", "simulated outage", retry_after_s=retry_after)
            request.json = self._parse_json(body)
            if auth == "bearer":
                request.session = self._bearer_session(request)
            return endpoint(self, request)

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
        terminal = self.store.terminals.get(terminal_id)
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
        # The nonce is spent once the signature verifies, whatever the answer.
        if not self.store.spend_nonce(terminal_id, nonce, now):
            raise ApiError(401, "replayed_nonce", "nonce already used")
        if abs(now - int(timestamp)) > CLOCK_SKEW_S:
            raise ApiError(401, "clock_skew", "terminal clock differs from the platform's")
        if terminal.disabled:
            raise ApiError(401, "terminal_disabled", "terminal disabled")
        return terminal

    def _bearer_session(self, request: _Request) -> Session:
        match = re.fullmatch(r"Bearer (\S+)", request.headers.get("Authorization", ""))
        token = self.store.tokens.get(match.group(1)) if match else None
        assert request.terminal is not None
        if token is None or token.terminal_id != request.terminal.terminal_id:
            raise ApiError(401, "invalid_token", "missing or unknown access token")
        session = self.store.sessions.get(token.session_id)
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
        session = self.store.sessions.get(request.params["session_id"])
        assert request.terminal is not None
        if session is None or session.ended or session.terminal_id != request.terminal.terminal_id:
            raise ApiError(404, "session_not_found", "no such session")
        self._check_session_alive(session)
        return session

    def _issue_token(self, session: Session) -> _Reply:
        token = Token(
            secrets.token_urlsafe(32),
            session.session_id,
            session.terminal_id,
            self._now() + TOKEN_LIFE_S,
        )
        self.store.tokens[token.token] = token
        return 200, {"access_token": token.token, "expires_in": TOKEN_LIFE_S}, {}

    # ------------------------------------------------------------------ endpoints

    def _enroll(self, request: _Request) -> _Reply:
        code = request.json.get("enrollment_code")
        hostname = request.json.get("hostname")
        normalised = code.strip().upper() if isinstance(code, str) else ""
        if normalised not in self.store.enrollment_codes:
            raise ApiError(403, "invalid_enrollment_code", "unknown or used enrolment code")
        self.store.enrollment_codes.discard(normalised)
        terminal = Terminal(
            "T" + secrets.token_hex(6).upper(), secrets.token_bytes(32), str(hostname or "")
        )
        self.store.terminals[terminal.terminal_id] = terminal
        return (
            200,
            {
                "terminal_id": terminal.terminal_id,
                "terminal_secret": base64.b64encode(terminal.secret).decode(),
                "hall": HALL,
            },
            {},
        )

    def _jwks(self, request: _Request) -> _Reply:
        keys = []
        for signing in self._keys:
            if signing.published:
                jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(signing.key.public_key()))
                keys.append({**jwk, "kid": signing.kid, "alg": "EdDSA", "use": "sig"})
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
        self.store.tickets[ticket.ticket] = ticket
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
        ticket = self.store.tickets.pop(ticket_id, None) if isinstance(ticket_id, str) else None
        if (
            ticket is None
            or ticket.terminal_id != request.terminal.terminal_id
            or self._now() > ticket.expires_at
        ):
            raise ApiError(410, "ticket_expired", "ticket expired, used or not yours")
        holder, cert_der, sod, signature = self._card_bytes(request)
        now = dt.datetime.fromtimestamp(self._now(), dt.UTC)
        try:
            ca = _check_sod(sod, holder, cert_der, self._issuer_cas, now)
            cert, card_key = _check_card_cert(cert_der, ca, now)
            _check_active_auth(card_key, ticket.challenge, signature)
            id_number = _check_holder(holder, now.astimezone(CST).date())
        except CardCheckError as refused:
            raise ApiError(
                422, "card_invalid", "card check failed", reason=refused.reason
            ) from None
        if cert.serial_number in self.store.lost_card_serials:
            raise ApiError(403, "card_reported_lost", "card reported lost")
        resident = self._lookup(id_number)
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
            resident,
            self._now() + SESSION_LIFE_S,
        )
        self.store.sessions[session.session_id] = session
        factors = (["sms_otp"] if resident.phone else []) + ["staff_assist"]
        return (
            200,
            {
                "session_id": session.session_id,
                "expires_at": self._iso(session.expires_at),
                "subject": {"name": resident.name, "id_masked": resident.id_masked},
                "second_factors": factors,
                "phone_masked": resident.phone_masked,
            },
            {},
        )

    def _send_otp(self, request: _Request) -> _Reply:
        session = self._session(request)
        phone = session.resident.phone_masked
        if phone is None:
            raise ApiError(409, "no_phone_on_file", "no phone on file; ask staff")
        now = self._now()
        if session.otp_sent_at is not None and now < session.otp_sent_at + OTP_RESEND_S:
            wait = math.ceil(session.otp_sent_at + OTP_RESEND_S - now)
            raise ApiError(429, "resend_too_soon", "wait before asking again", retry_after_s=wait)
        code = f"{secrets.randbelow(10**6):06d}"
        session.otp_code, session.otp_expires_at, session.otp_sent_at = code, now + OTP_LIFE_S, now
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
            return self._issue_token(session)
        session.otp_failures += 1
        left = OTP_MAX_FAILURES - session.otp_failures
        if left <= 0:
            session.locked = True
            raise ApiError(423, "locked", "too many wrong codes")
        raise ApiError(400, "wrong_code", "wrong code", attempts_left=left)

    def _staff_assist(self, request: _Request) -> _Reply:
        session = self._session(request)
        staff_id, pin = request.json.get("staff_id"), request.json.get("staff_pin")
        expected = DEMO_STAFF.get(staff_id) if isinstance(staff_id, str) else None
        if (
            expected is not None
            and isinstance(pin, str)
            and hmac.compare_digest(pin.encode(), expected.encode())
        ):
            return self._issue_token(session)
        session.staff_failures += 1
        left = STAFF_MAX_FAILURES - session.staff_failures
        if left <= 0:
            session.locked = True
            raise ApiError(423, "locked", "too many wrong staff PINs")
        raise ApiError(403, "staff_denied", "staff id or PIN wrong", attempts_left=left)

    def _end_session(self, request: _Request) -> _Reply:
        assert request.terminal is not None
        session = self.store.sessions.get(request.params["session_id"])
        if session is not None and session.terminal_id != request.terminal.terminal_id:
            raise ApiError(404, "session_not_found", "no such session")
        if session is not None:
            session.ended = True
            for token_id in [
                t for t, v in self.store.tokens.items() if v.session_id == session.session_id
            ]:
                del self.store.tokens[token_id]
        return 204, None, {}

    def _build_report(self, session: Session) -> dict[str, Any]:
        resident = session.resident
        generated = self._now_cst()
        self.store.report_seq += 1
        code = _verification_code()
        while _normalise_code(code) in self.store.reports_by_code:
            code = _verification_code()
        sections = resident.sections()
        payload: dict[str, Any] = {
            "report_id": f"R{generated:%Y%m%d}{self.store.report_seq:05d}",
            "verification_code": code,
            "generated_at": generated.isoformat(),
            "valid_until": (generated + dt.timedelta(days=REPORT_VALID_DAYS)).isoformat(),
            "subject": {"name": resident.name, "id_masked": resident.id_masked},
            "summary": _summary(sections),
            "sections": sections,
        }
        self.store.reports_by_code[_normalise_code(code)] = IssuedReport(
            payload["report_id"],
            code,
            resident.name,
            resident.id_masked,
            generated,
            generated + dt.timedelta(days=REPORT_VALID_DAYS),
        )
        return payload

    def _current_report(self, request: _Request) -> _Reply:
        session = request.session
        assert session is not None
        if session.report is None:
            session.report = self._build_report(session)
        signing = self._keys[-1]
        payload = json.dumps(session.report, ensure_ascii=False).encode("utf-8")
        jws = jwt.api_jws.encode(
            payload, signing.key, algorithm="EdDSA", headers={"kid": signing.kid, "typ": None}
        )
        if self.jws_tamper is not None:
            jws = self.jws_tamper(jws)
        return 200, {"report_jws": jws}, {}

    def _pdf(self, request: _Request) -> _Reply:
        raise ApiError(404, "pdf_not_available", "the kiosk renders the PDF itself")

    def _record_print(self, request: _Request) -> _Reply:
        session, terminal = request.session, request.terminal
        assert session is not None
        assert terminal is not None
        report_id = request.params["report_id"]
        if session.report is None or session.report["report_id"] != report_id:
            raise ApiError(404, "report_not_found", "not this session's report")
        key = request.headers.get("Idempotency-Key")
        if not key:
            raise ApiError(400, "missing_idempotency_key", "Idempotency-Key is required")
        if len(key) > 64:
            raise ApiError(400, "invalid_idempotency_key", "Idempotency-Key is too long")
        fingerprint = json.dumps(request.json, sort_keys=True)
        slot = (terminal.terminal_id, f"POST /v1/reports/{report_id}/prints", key)
        known = self.store.idempotency.get(slot)
        if known is not None:
            if known[0] != fingerprint:
                raise ApiError(422, "idempotency_key_reused", "key used with another body")
            return 200, known[2], {}
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
        self.store.prints.append(record)
        body = {
            "print_id": record.print_id,
            "report_id": report_id,
            "copies": copies,
            "kind": kind,
            "recorded_at": record.recorded_at,
        }
        self.store.idempotency[slot] = (fingerprint, 201, body)
        return 201, body, {}

    def _verify_public(self, request: _Request) -> _Reply:
        issued = self.store.reports_by_code.get(_normalise_code(request.params["code"]))
        if issued is None:
            raise ApiError(404, "not_found", "unknown verification code")
        valid = self._now() <= issued.valid_until.timestamp()
        data: dict[str, Any] = {
            "report_id": issued.report_id,
            "subject": {"name_masked": _mask_name(issued.name), "id_masked": issued.id_masked},
            "generated_at": issued.generated_at.isoformat(),
            "valid": valid,
        }
        if not _prefers_html(request.headers.get("Accept", "")):
            return 200, data, {}
        verdict = "报告有效" if valid else "报告已过期"
        page = (
            '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            "<title>信用报告核验</title></head><body>"
            f"<h1>{verdict}</h1><dl>"
            f"<dt>报告编号</dt><dd>{html.escape(issued.report_id)}</dd>"
            f"<dt>姓名</dt><dd>{html.escape(_mask_name(issued.name))}</dd>"
            f"<dt>身份证号</dt><dd>{html.escape(issued.id_masked)}</dd>"
            f"<dt>生成时间</dt><dd>{html.escape(data['generated_at'])}</dd>"
            "</dl></body></html>"
        )
        return 200, page.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"}


_ROUTES: list[tuple[re.Pattern[str], dict[str, tuple[_Handler, str]]]] = [
    (re.compile(r"/v1/enroll"), {"POST": (PlatformSimulator._enroll, "public")}),
    (re.compile(r"/v1/keys"), {"GET": (PlatformSimulator._jwks, "public")}),
    (re.compile(r"/v1/trust-anchors"), {"GET": (PlatformSimulator._trust_anchors, "terminal")}),
    (re.compile(r"/v1/identity/challenge"), {"POST": (PlatformSimulator._challenge, "terminal")}),
    (
        re.compile(r"/v1/identity/verify"),
        {"POST": (PlatformSimulator._verify_identity, "terminal")},
    ),
    (
        re.compile(r"/v1/sessions/(?P<session_id>[^/]+)/otp"),
        {"POST": (PlatformSimulator._send_otp, "terminal")},
    ),
    (
        re.compile(r"/v1/sessions/(?P<session_id>[^/]+)/otp/verify"),
        {"POST": (PlatformSimulator._verify_otp, "terminal")},
    ),
    (
        re.compile(r"/v1/sessions/(?P<session_id>[^/]+)/staff-assist"),
        {"POST": (PlatformSimulator._staff_assist, "terminal")},
    ),
    (
        re.compile(r"/v1/sessions/(?P<session_id>[^/]+)"),
        {"DELETE": (PlatformSimulator._end_session, "terminal")},
    ),
    (re.compile(r"/v1/reports/current"), {"GET": (PlatformSimulator._current_report, "bearer")}),
    (re.compile(r"/v1/reports/current/pdf"), {"GET": (PlatformSimulator._pdf, "bearer")}),
    (
        re.compile(r"/v1/reports/(?P<report_id>[^/]+)/prints"),
        {"POST": (PlatformSimulator._record_print, "bearer")},
    ),
    (
        re.compile(r"/v1/verify/(?P<code>[^/]+)"),
        {"GET": (PlatformSimulator._verify_public, "public")},
    ),
]
