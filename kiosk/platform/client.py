"""Client of the central credit platform API v1.2 (docs: specs/platform-api.md).

One ``requests.Session`` over TLS verified against the platform's CA bundle, every request
signed with the terminal's HMAC key (a new nonce and timestamp per attempt), typed results,
and one error mapping: a spec error body becomes ``PlatformRejected``; network trouble, timeouts
and 5xx become ``PlatformUnavailable``. Logs carry method, path, status and duration only.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import email.utils
import hashlib
import hmac
import json
import logging
import platform
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import jwt
import requests
from urllib3.util.retry import Retry

from kiosk import errors
from kiosk.platform.credentials import TerminalCredentials
from kiosk.platform.models import (
    AccessToken,
    Announcement,
    Approvals,
    AttestedHolder,
    AuditEvent,
    AuditResult,
    Challenge,
    Content,
    FaceAttemptReport,
    FaceNotice,
    FacePolicy,
    Hall,
    Hardware,
    IdentitySession,
    JwksStore,
    Objection,
    ReaderDeclaration,
    RepairGuide,
    ShareLink,
)
from kiosk.platform.report import Report, parse_report, parse_time
from kiosk.platform.report_schema import validate_report_payload

log = logging.getLogger(__name__)

USER_AGENT = "credit-kiosk/0.1"
JWKS_MAX_AGE_S = 24 * 3600
REPORT_ALGORITHMS = frozenset({"EdDSA", "ES256"})
# How long one call may wait, in all, for the platform's Retry-After before giving up (the
# caller gets the error with retry_after_s). The resident's client is given the screen's
# patience instead (kiosk.app.composition); background clients 0: they keep their own back-off.
DEFAULT_PATIENCE_S = 10.0
# A 429 or 503 that asks for no wait at all is still not resent at once.
MIN_RETRY_WAIT_S = 0.2
_MAX_IDEMPOTENCY_KEY = 64


def _new_nonce() -> str:
    """16 random bytes as 32 lowercase hex characters (a module function so tests can pin it)."""
    return secrets.token_hex(16)


def _b64decode(text: object, what: str) -> bytes:
    """Standard base64, padding optional (spec §8)."""
    if not isinstance(text, str):
        raise _malformed(f"{what} is not base64 text")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise _malformed(f"{what} is not base64") from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _malformed(detail: str, status: int = 0) -> errors.PlatformRejected:
    return errors.PlatformRejected(errors.PlatformCode.MALFORMED_RESPONSE, detail, status=status)


@dataclasses.dataclass
class _Jwks:
    keys: dict[str, jwt.PyJWK]
    fetched_at: float


def _text(obj: Mapping[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise _malformed(f"{key} missing or not text")
    return value


def _int(obj: Mapping[str, Any], key: str) -> int:
    value = obj.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _malformed(f"{key} missing or not an integer")
    return value


def _time(obj: Mapping[str, Any], key: str) -> dt.datetime:
    try:
        return parse_time(_text(obj, key), key)
    except errors.ReportInvalid:
        raise _malformed(f"{key} is not an RFC 3339 time") from None


def _texts(obj: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = obj.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _malformed(f"{key} missing or not a list of text")
    return tuple(value)


def _object(obj: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = obj.get(key)
    if not isinstance(value, dict):
        raise _malformed(f"{key} missing or not an object")
    return value


def _objects(obj: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    value = obj.get(key)
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise _malformed(f"{key} missing or not a list of objects")
    return value


def _repair_guide(guide_id: str, data: Mapping[str, Any]) -> RepairGuide:
    return RepairGuide(
        guide_id=guide_id,
        title=_text(data, "title"),
        steps=_texts(data, "steps"),
        where=_text(data, "where"),
        documents=_texts(data, "documents"),
        hall_window=_text(data, "hall_window"),
        hours=_text(data, "hours"),
    )


def _check_idempotency_key(key: str) -> None:
    if not key or len(key) > _MAX_IDEMPOTENCY_KEY:
        raise ValueError("idempotency_key must be 1 to 64 characters")


def _rfc3339(value: dt.datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("time must carry an offset")
    return value.isoformat()


class PlatformClient:
    """Talks to one platform over one TLS session. Thread-compatible, not thread-safe.

    Args:
        base_url: ``https://host[:port]``; a path prefix is allowed and is signed as sent.
        ca_bundle: PEM file of the CA(s) to trust; None means requests' default bundle
            (certifi). ``REQUESTS_CA_BUNDLE`` is deliberately not consulted.
        credentials: Terminal credentials; None until ``enroll``.
        connect_timeout: Seconds to establish a connection.
        read_timeout: Seconds to wait for response data (the spec allows 10 s under load).
        max_attempts: Attempts of an idempotent call that meets network errors, timeouts or
            5xx (first try included). A 429 is not counted: it was not processed (spec §7),
            so any call, idempotent or not, is sent again after ``Retry-After``.
        patience_s: Seconds one call may spend, in all, waiting out ``Retry-After`` (429s,
            and 503s of idempotent calls) before it gives up with the error.
        sleep: Waits between retries; tests pass a recorder instead of sleeping.

    Attributes:
        on_wait: Called with the seconds about to be waited before a throttled call is sent
            again (the app shows "please wait"); called on the calling thread.
    """

    def __init__(
        self,
        base_url: str,
        *,
        ca_bundle: str | None,
        credentials: TerminalCredentials | None,
        connect_timeout: float = 5,
        read_timeout: float = 15,
        max_attempts: int = 3,
        patience_s: float = DEFAULT_PATIENCE_S,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not base_url.lower().startswith("https://"):
            raise ValueError("the platform is only reached over https")
        self._base = base_url.rstrip("/")
        self._credentials = credentials
        self._timeout = (connect_timeout, read_timeout)
        self._max_attempts = max(1, max_attempts)
        self._patience_s = max(0.0, patience_s)
        self._sleep = sleep
        self.on_wait: Callable[[float], None] | None = None
        self._session = requests.Session()
        # Never verify=False: the given bundle, or requests' default one. send() (not
        # request()) is used below, so REQUESTS_CA_BUNDLE cannot swap the trust anchors.
        self._session.verify = ca_bundle if ca_bundle is not None else True
        self._session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        self._clock_skew_s: float | None = None
        self._jwks: _Jwks | None = None
        self._jwks_lock = threading.Lock()
        # Set by the composition root: the JWKS is kept in the public cache (offline use).
        self.jwks_store: JwksStore | None = None
        # The operators' approvals as the enroll answer gave them (None: not enrolled here);
        # later changes come with GET /v1/content.
        self.approvals: Approvals | None = None

    # ------------------------------------------------------------------ plumbing

    @property
    def clock_skew_s(self) -> float | None:
        """Platform time minus local time, from the last response's ``Date`` (None if unseen)."""
        return self._clock_skew_s

    @property
    def credentials(self) -> TerminalCredentials | None:
        """The credentials requests are signed with (set by ``enroll``)."""
        return self._credentials

    def close(self) -> None:
        """Close the pooled connections."""
        self._session.close()

    def __enter__(self) -> PlatformClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _sign(self, prepared: requests.PreparedRequest) -> None:
        """Add the terminal headers for this one attempt (spec §1)."""
        creds = self._credentials
        if creds is None:
            raise errors.NotEnrolled("the terminal has no platform credentials")
        body = prepared.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        timestamp = str(int(time.time()))
        nonce = _new_nonce()
        message = "\n".join(
            [
                str(prepared.method),
                prepared.path_url,  # the request target exactly as it goes on the wire
                timestamp,
                nonce,
                hashlib.sha256(body).hexdigest(),
            ]
        ).encode("utf-8")
        prepared.headers["X-Terminal-Id"] = creds.terminal_id
        prepared.headers["X-Timestamp"] = timestamp
        prepared.headers["X-Nonce"] = nonce
        prepared.headers["X-Signature"] = hmac.new(creds.secret, message, "sha256").hexdigest()

    def _note_date(self, response: requests.Response) -> None:
        header = response.headers.get("Date")
        if not header:
            return
        try:
            server = email.utils.parsedate_to_datetime(header)
        except (TypeError, ValueError):
            return
        if server.tzinfo is not None:
            self._clock_skew_s = server.timestamp() - time.time()

    @staticmethod
    def _retry_after(response: requests.Response, body: Mapping[str, Any] | None) -> float | None:
        header = response.headers.get("Retry-After")
        if header:
            try:
                # urllib3 parses both forms (seconds and HTTP-date).
                return max(0.0, float(Retry().parse_retry_after(header)))
            except Exception:  # noqa: BLE001 - an unparsable header just means "unknown"
                pass
        if body is not None and isinstance(body.get("retry_after_s"), int | float):
            return float(body["retry_after_s"])
        return None

    @staticmethod
    def _error_body(response: requests.Response) -> Mapping[str, Any] | None:
        try:
            data = response.json()
        except ValueError:
            return None
        if isinstance(data, dict) and isinstance(data.get("error"), dict):
            err: dict[str, Any] = data["error"]
            return err
        return None

    def _request(
        self,
        method: str,
        path: str,
        *,
        json_body: object = None,
        signed: bool = True,
        bearer: str | None = None,
        idempotency_key: str | None = None,
        accept: tuple[int, ...] = (200,),
        if_none_match: str | None = None,
    ) -> requests.Response:
        """Send one logical call; returns an accepted response.

        A 429 is sent again after its ``Retry-After`` whatever the call; network failures,
        timeouts and 5xx only for idempotent calls (spec §7). Each attempt is signed anew.

        Raises:
            kiosk.errors.PlatformRejected: A 4xx (or unexpected) answer; a 429 whose wait
                would outlast the patience.
            kiosk.errors.PlatformUnavailable: Network failure, timeout or 5xx after retries.
            kiosk.errors.NotEnrolled: A signed call without credentials.
        """
        headers = {
            name: value
            for name, value in (
                ("Authorization", None if bearer is None else f"Bearer {bearer}"),
                ("Idempotency-Key", idempotency_key),
                ("If-None-Match", if_none_match),
            )
            if value is not None
        }
        # Serialised once so every retry sends (and signs) the very same bytes.
        data: bytes | None = None
        if json_body is not None:
            data = json.dumps(json_body, ensure_ascii=False, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json; charset=utf-8"
        idempotent = method in ("GET", "DELETE") or idempotency_key is not None
        attempts = self._max_attempts if idempotent else 1
        request = requests.Request(method, self._base + path, headers=headers, data=data)

        failures = 0  # attempts lost to the network or a 5xx (429s are not counted)
        waited = 0.0  # seconds spent on the platform's Retry-After, against the patience
        while True:
            prepared = self._session.prepare_request(request)
            if signed:
                self._sign(prepared)  # every attempt: a new nonce and timestamp
            started = time.monotonic()
            try:
                response = self._session.send(prepared, timeout=self._timeout)
            except requests.exceptions.SSLError as exc:
                # A certificate problem does not fix itself by retrying.
                log.warning("%s %s TLS failure: %s", method, path, type(exc).__name__)
                raise errors.PlatformUnavailable("TLS verification failed") from exc
            except requests.exceptions.RequestException as exc:
                log.info(
                    "%s %s -> %s after %.0f ms",
                    method,
                    path,
                    type(exc).__name__,
                    (time.monotonic() - started) * 1000,
                )
                failures += 1
                if failures < attempts:
                    self._sleep(self._backoff(failures))
                    continue
                raise errors.PlatformUnavailable(
                    f"platform unreachable: {type(exc).__name__}"
                ) from exc
            log.info(
                "%s %s -> %d in %.0f ms",
                method,
                path,
                response.status_code,
                (time.monotonic() - started) * 1000,
            )
            self._note_date(response)
            status = response.status_code
            if status in accept:
                return response
            body = self._error_body(response)
            retry_after = self._retry_after(response, body)
            if status == 429 or status >= 500:
                if status >= 500:
                    failures += 1
                # A 429 was not processed: any call may go again. A 5xx may have been
                # processed: only an idempotent call goes again, a few times.
                again = status == 429 or failures < attempts
                wait = self._backoff(max(1, failures)) if retry_after is None else retry_after
                wait = max(MIN_RETRY_WAIT_S, wait)
                if again and waited + wait <= self._patience_s:
                    response.close()
                    waited += wait
                    if self.on_wait is not None:
                        self.on_wait(wait)
                    self._sleep(wait)
                    continue
                if status == 429 and body is not None:
                    raise self._rejected(status, body, retry_after)
                raise errors.PlatformUnavailable(
                    f"platform answered {status}", retry_after, status=status
                )
            if body is None:
                raise errors.PlatformRejected(
                    errors.PlatformCode.UNEXPECTED_RESPONSE,
                    f"HTTP {status} without an error body",
                    status=status,
                )
            raise self._rejected(status, body, retry_after)

    @staticmethod
    def _rejected(
        status: int, body: Mapping[str, Any], retry_after: float | None
    ) -> errors.PlatformRejected:
        attempts_left = body.get("attempts_left")
        reason = body.get("reason")
        return errors.PlatformRejected(
            str(body.get("code") or errors.PlatformCode.UNKNOWN_ERROR),
            str(body.get("message") or ""),
            status=status,
            attempts_left=attempts_left if isinstance(attempts_left, int) else None,
            reason=reason if isinstance(reason, str) else None,
            retry_after_s=retry_after,
        )

    @staticmethod
    def _backoff(attempt: int) -> float:
        return float(min(4.0, 0.5 * 2 ** (attempt - 1)))

    @staticmethod
    def _json(response: requests.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            raise _malformed("body is not JSON", response.status_code) from None
        if not isinstance(data, dict):
            raise _malformed("body is not a JSON object", response.status_code)
        return data

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        return self._json(self._request(method, path, **kwargs))

    # ------------------------------------------------------------------ terminal

    def enroll(
        self, code: str, hostname: str, hardware: Hardware | None = None
    ) -> TerminalCredentials:
        """Enrol this terminal with a one-time staff code; later calls are signed with it.

        The caller stores the returned credentials (``CredentialStore.save``); the
        operators' approvals of the declared ``hardware`` are in ``approvals`` afterwards.

        Raises:
            kiosk.errors.PlatformRejected: ``invalid_enrollment_code``, ``bad_request`` (a
                hardware declaration the platform refuses) among others.
        """
        declared: dict[str, Any] = {"machine": platform.machine(), "system": platform.system()}
        if hardware is not None:
            declared |= hardware.to_wire()
        body = {"enrollment_code": code.strip().upper(), "hostname": hostname, "hardware": declared}
        data = self._call("POST", "/v1/enroll", json_body=body, signed=False)
        try:
            creds = TerminalCredentials(
                _text(data, "terminal_id"), _b64decode(data.get("terminal_secret"), "secret")
            )
        except ValueError as exc:
            raise _malformed(str(exc)) from None
        self._credentials = creds
        self.approvals = parse_approvals(data)
        return creds

    def trust_anchors(self) -> list[bytes]:
        """DER certificates of the card issuer CAs."""
        document = self.trust_anchors_document(None)
        assert document is not None  # no If-None-Match: never a 304
        return document[0]

    def trust_anchors_document(self, etag: str | None) -> tuple[list[bytes], str | None] | None:
        """The card issuer CAs and the answer's ETag; None (304) when ``etag`` is current.

        The spec gives this call no ETag; a platform that sends one spares the kiosk the
        download of an unchanged set, one that does not simply answers 200.
        """
        response = self._request("GET", "/v1/trust-anchors", accept=(200, 304), if_none_match=etag)
        if response.status_code == 304:
            return None
        cas = self._json(response).get("issuer_cas")
        if not isinstance(cas, list):
            raise _malformed("issuer_cas missing")
        return [_b64decode(c, "issuer_cas[]") for c in cas], response.headers.get("ETag")

    # ------------------------------------------------------------------ identity

    def challenge(self) -> Challenge:
        """A fresh challenge for the card's INTERNAL AUTHENTICATE."""
        data = self._call("POST", "/v1/identity/challenge", json_body={})
        return Challenge(
            _text(data, "ticket"),
            _b64decode(data.get("challenge"), "challenge"),
            _time(data, "expires_at"),
        )

    def verify_identity(
        self, ticket: str, *, holder: bytes, card_cert: bytes, sod: bytes, signature: bytes
    ) -> IdentitySession:
        """Have the platform repeat the card checks and open a session.

        Raises:
            kiosk.errors.PlatformRejected: ``card_invalid`` (with ``reason``),
                ``card_reported_lost``, ``ticket_expired``.
        """
        body = {
            "ticket": ticket,
            "holder": _b64(holder),
            "card_cert": _b64(card_cert),
            "sod": _b64(sod),
            "signature": _b64(signature),
        }
        data = self._call("POST", "/v1/identity/verify", json_body=body)
        return parse_identity_session(data)

    def attest_identity(
        self,
        reader: ReaderDeclaration,
        holder: AttestedHolder,
        *,
        read_at: dt.datetime,
        idempotency_key: str,
    ) -> IdentitySession:
        """Open a session for a card a certified reader read (spec §2b).

        Safe to repeat with the same ``idempotency_key`` and arguments: a retry after a
        network error or a 503 answers the same session, so the card is not read again.

        Raises:
            ValueError: A reader without a ``sam_id``, a naive time or a bad key.
            kiosk.errors.PlatformRejected: ``attestation_not_allowed`` (``reason``
                ``terminal_not_approved`` or ``sam_mismatch``), ``card_invalid`` (with
                ``reason``), ``card_reported_lost``; ``not_found`` from a v1 platform.
        """
        if reader.sam_id is None:
            raise ValueError("attestation needs the reader's security module id")
        _check_idempotency_key(idempotency_key)
        body = {
            "reader": {"sam_id": reader.sam_id, "model": reader.model},
            "holder": {
                "document": holder.document,
                "id_number": holder.id_number,
                "name": holder.name,
                "valid_from": holder.valid_from,
                "valid_until": holder.valid_until,
            },
            "read_at": _rfc3339(read_at),
        }
        data = self._call(
            "POST", "/v1/identity/attest", json_body=body, idempotency_key=idempotency_key
        )
        return parse_identity_session(data)

    # ------------------------------------------------------------------ second factor

    def _session_path(self, session_id: str, suffix: str = "") -> str:
        return f"/v1/sessions/{quote(session_id, safe='')}{suffix}"

    def send_otp(self, session_id: str) -> int:
        """Send an SMS code; returns seconds before a resend is allowed."""
        data = self._call("POST", self._session_path(session_id, "/otp"), json_body={})
        return _int(data, "resend_after_s")

    def _token(self, data: Mapping[str, Any]) -> AccessToken:
        return AccessToken(_text(data, "access_token"), _int(data, "expires_in"))

    def verify_otp(self, session_id: str, code: str) -> AccessToken:
        """Exchange the SMS code for an access token.

        Raises:
            kiosk.errors.PlatformRejected: ``wrong_code`` (``attempts_left``), ``locked``,
                ``code_expired``.
        """
        path = self._session_path(session_id, "/otp/verify")
        return self._token(self._call("POST", path, json_body={"code": code}))

    def staff_assist(self, session_id: str, staff_id: str, staff_pin: str) -> AccessToken:
        """Second factor by hall staff who checked the person in person."""
        path = self._session_path(session_id, "/staff-assist")
        body = {"staff_id": staff_id, "staff_pin": staff_pin}
        return self._token(self._call("POST", path, json_body=body))

    def report_face_attempt(
        self,
        session_id: str,
        attempt: FaceAttemptReport,
        *,
        idempotency_key: str,
    ) -> AccessToken:
        """Report one face-check attempt (spec §3b); a pass answers an access token.

        One key per attempt: a retry after a network error or a 503 gets the first answer
        again and uses no attempt.

        Raises:
            ValueError: A naive consent time, a score outside -1..1 or a bad key.
            kiosk.errors.PlatformRejected: ``face_rejected`` (``attempts_left``),
                ``factor_unavailable``, ``reference_mismatch``, ``bad_request`` and the
                session's errors; ``not_found`` from a v1 platform.
        """
        if not -1.0 <= attempt.score <= 1.0:
            raise ValueError("a cosine score lies within -1..1")
        _check_idempotency_key(idempotency_key)
        body = {
            "model": attempt.model,
            "score": attempt.score,
            "reference": "card_photo",
            "reference_sha256": attempt.reference_sha256,
            "liveness": {"method": attempt.liveness_method, "passed": attempt.liveness_passed},
            "consent": {
                "notice": attempt.notice_version,
                "at": _rfc3339(attempt.consented_at),
            },
        }
        path = self._session_path(session_id, "/face")
        return self._token(
            self._call("POST", path, json_body=body, idempotency_key=idempotency_key)
        )

    def end_session(self, session_id: str) -> None:
        """End the session; an already ended or expired one is fine (idempotent)."""
        self._request("DELETE", self._session_path(session_id), accept=(200, 204, 404, 410))

    # ------------------------------------------------------------------ report

    def _fetch_jwks(self) -> _Jwks:
        fetched_at = time.monotonic()
        try:
            data = self._call("GET", "/v1/keys", signed=False)
        except errors.PlatformUnavailable:
            cached = self.jwks_store.load() if self.jwks_store is not None else None
            if cached is None:
                raise
            log.info("platform unreachable: report keys from the public cache")
            data = json.loads(cached)
            fetched_at = 0.0  # look again at the next report
        else:
            if self.jwks_store is not None:
                self.jwks_store.save(json.dumps(data).encode())
        return self._use_jwks(data, fetched_at)

    def _kept_jwks(self) -> _Jwks | None:
        """The JWKS the probe keeps fresh in the public cache, for the first report after a
        start (a key it lacks still makes ``_report_key`` fetch the set again)."""
        kept = self.jwks_store.load() if self.jwks_store is not None else None
        if kept is None:
            return None
        try:
            data = json.loads(kept)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        try:
            return self._use_jwks(data, time.monotonic())
        except errors.ReportInvalid:
            return None

    def _use_jwks(self, data: Mapping[str, Any], fetched_at: float) -> _Jwks:
        raw_keys = data.get("keys")
        if not isinstance(raw_keys, list):
            raise errors.ReportInvalid("JWKS has no keys")
        keys: dict[str, jwt.PyJWK] = {}
        for raw in raw_keys:
            if not isinstance(raw, dict) or not isinstance(raw.get("kid"), str):
                continue
            try:
                key = jwt.PyJWK(raw)
            except jwt.PyJWTError:
                continue  # a key of a type we do not use must not spoil the others
            if key.algorithm_name in REPORT_ALGORITHMS:
                keys[raw["kid"]] = key
        jwks = _Jwks(keys, fetched_at)
        self._jwks = jwks
        return jwks

    def refresh_jwks(self) -> None:
        """Fetch the report-signing keys now (and keep them in ``jwks_store`` when set).

        Raises:
            kiosk.errors.PlatformError: The platform failed and no kept copy exists.
        """
        with self._jwks_lock:
            self._fetch_jwks()

    def _report_key(self, kid: str) -> jwt.PyJWK:
        with self._jwks_lock:
            jwks = self._jwks if self._jwks is not None else self._kept_jwks()
            fetched = False
            if jwks is None or time.monotonic() - jwks.fetched_at > JWKS_MAX_AGE_S:
                jwks, fetched = self._fetch_jwks(), True
            if kid not in jwks.keys and not fetched:
                # Key rotation: look once more, cache or not, before refusing.
                jwks = self._fetch_jwks()
            if kid not in jwks.keys:
                raise errors.ReportInvalid("report signed with an unknown key")
            return jwks.keys[kid]

    def verify_report_jws(self, jws: str) -> Report:
        """Verify a compact JWS against the platform's keys and parse its payload.

        Raises:
            kiosk.errors.ReportInvalid: Bad signature, algorithm, key or payload.
            kiosk.errors.PlatformUnavailable: The JWKS could not be fetched.
        """
        try:
            header = jwt.get_unverified_header(jws)
        except jwt.PyJWTError:
            raise errors.ReportInvalid("report is not a JWS") from None
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in REPORT_ALGORITHMS or not isinstance(kid, str):
            raise errors.ReportInvalid("report JWS has a refused alg or no kid")
        key = self._report_key(kid)
        if key.algorithm_name != alg:
            raise errors.ReportInvalid("report alg does not match its key")
        try:
            payload = jwt.PyJWS().decode(jws, key, algorithms=[alg])
            data = json.loads(payload)
        except (jwt.PyJWTError, ValueError):
            raise errors.ReportInvalid("report signature does not verify") from None
        if not isinstance(data, dict):
            raise errors.ReportInvalid("report payload is not an object")
        validate_report_payload(data)
        return parse_report(data)

    def fetch_report(self, token: str) -> Report:
        """The session's report, only once its signature verified.

        Raises:
            kiosk.errors.ReportInvalid: The report does not verify or parse.
            kiosk.errors.PlatformRejected: ``invalid_token``, ``token_expired`` and others.
        """
        data = self._call("GET", "/v1/reports/current", bearer=token)
        jws = data.get("report_jws")
        if not isinstance(jws, str):
            raise errors.ReportInvalid("report_jws missing")
        return self.verify_report_jws(jws)

    def record_print(
        self,
        token: str,
        report_id: str,
        *,
        copies: int = 1,
        kind: str = "receipt",
        printed_at: dt.datetime,
        idempotency_key: str,
    ) -> None:
        """Record a print; safe to repeat with the same ``idempotency_key``.

        Raises:
            ValueError: ``copies`` outside 1..10, a naive time or a bad key.
        """
        if not 1 <= copies <= 10:
            raise ValueError("copies must be 1 to 10")
        _check_idempotency_key(idempotency_key)
        body = {"copies": copies, "printed_at": _rfc3339(printed_at), "kind": kind}
        path = f"/v1/reports/{quote(report_id, safe='')}/prints"
        self._request(
            "POST",
            path,
            json_body=body,
            bearer=token,
            idempotency_key=idempotency_key,
            accept=(200, 201),
        )

    def create_objection(
        self, token: str, report_id: str, record_id: str, reason: str, idempotency_key: str
    ) -> Objection:
        """Object to one record of the session's report; safe to repeat with the same key.

        Raises:
            ValueError: An empty reason or a bad key.
            kiosk.errors.PlatformRejected: ``unknown_record``, ``report_not_found``,
                ``idempotency_key_reused`` and others.
        """
        if not reason.strip():
            raise ValueError("reason is empty")
        _check_idempotency_key(idempotency_key)
        body = {"report_id": report_id, "record_id": record_id, "reason": reason}
        data = self._call(
            "POST",
            "/v1/objections",
            json_body=body,
            bearer=token,
            idempotency_key=idempotency_key,
            accept=(200, 201),
        )
        return Objection(_text(data, "objection_id"), _text(data, "status"))

    def share_report(self, token: str, report_id: str) -> ShareLink:
        """A new one-time download link of the report PDF (10 minutes), for an on-screen QR.

        Not retried: without an Idempotency-Key a POST is not idempotent (spec §7).
        """
        path = f"/v1/reports/{quote(report_id, safe='')}/share"
        data = self._call("POST", path, json_body={}, bearer=token)
        url = _text(data, "url")
        if not url.lower().startswith("https://"):
            raise _malformed("share url is not https")
        return ShareLink(url, _time(data, "expires_at"))

    def repair_guide(self, guide_id: str) -> RepairGuide:
        """How to repair a record (terminal headers only, no token).

        Raises:
            kiosk.errors.PlatformRejected: ``not_found`` for a guide the platform lacks.
        """
        data = self._call("GET", f"/v1/repair-guides/{quote(guide_id, safe='')}")
        return _repair_guide(guide_id, data)

    # ------------------------------------------------------------------ terminal and audit

    def send_audit_events(self, events: list[AuditEvent]) -> AuditResult:
        """Send a batch of audit events; returns the accepted and duplicate ids.

        Not retried inside the call (a POST without Idempotency-Key): the caller's outbox
        sends the batch again, and the platform reports what it already had as duplicates.

        Raises:
            ValueError: An event without an id or with a naive time.
        """
        if any(not e.event_id for e in events):
            raise ValueError("every audit event needs an event_id")
        body = {
            "events": [
                {"event_id": e.event_id, "at": _rfc3339(e.at), "type": e.type, "data": dict(e.data)}
                for e in events
            ]
        }
        data = self._call("POST", "/v1/audit-events", json_body=body)
        return AuditResult(_texts(data, "accepted"), _texts(data, "duplicates"))

    def heartbeat(
        self,
        version: str,
        devices: Mapping[str, Any],
        outbox_backlog: int,
        hardware: Mapping[str, Any] | None = None,
    ) -> None:
        """Tell the platform this terminal is alive, how its devices are and (re-declared
        each time, spec §6) what hardware it has."""
        if outbox_backlog < 0:
            raise ValueError("outbox_backlog must not be negative")
        body: dict[str, Any] = {
            "version": version,
            "devices": dict(devices),
            "outbox_backlog": outbox_backlog,
        }
        if hardware is not None:
            body["hardware"] = dict(hardware)
        self._request("POST", "/v1/terminal/heartbeat", json_body=body, accept=(200, 204))

    def content_document(self, etag: str | None) -> tuple[dict[str, Any], str | None] | None:
        """``GET /v1/content`` as sent (for the public cache) with its ETag; None on 304.

        Args:
            etag: The ETag of the copy the kiosk holds, or None for none.
        """
        response = self._request("GET", "/v1/content", accept=(200, 304), if_none_match=etag)
        if response.status_code == 304:
            return None
        data = self._json(response)
        parse_content(data, None)  # refuse a malformed document before anyone keeps it
        return data, response.headers.get("ETag")


def parse_content(data: Mapping[str, Any], etag: str | None) -> Content:
    """A ``GET /v1/content`` document (fresh, or kept in the public cache).

    Raises:
        kiosk.errors.PlatformRejected: ``malformed_response`` naming what is wrong.
    """
    announcements = tuple(
        Announcement(
            _text(a, "id"),
            _text(a, "title"),
            _text(a, "body"),
            _time(a, "from"),
            _time(a, "until"),
        )
        for a in _objects(data, "announcements")
    )
    guides = tuple(_repair_guide(_text(g, "guide_id"), g) for g in _objects(data, "repair_guides"))
    hall = _object(data, "hall")
    return Content(
        announcements=announcements,
        repair_guides=guides,
        service_hours=_text(data, "service_hours"),
        hall=Hall(_text(hall, "id"), _text(hall, "name")),
        etag=etag,
        approvals=parse_approvals(data),
    )


def parse_approvals(data: Mapping[str, Any]) -> Approvals:
    """``approvals`` of an enroll answer or the content; missing (a v1 platform) approves
    nothing, and so does anything but ``true``."""
    approvals = data.get("approvals")
    if not isinstance(approvals, dict):
        return Approvals()
    return Approvals(
        security_module=approvals.get("security_module") is True,
        face=approvals.get("face") is True,
    )


def parse_identity_session(data: Mapping[str, Any]) -> IdentitySession:
    """The answer of ``identity/verify`` or ``identity/attest``.

    A ``face`` factor without a usable ``face_policy`` is not offered (logged): the resident
    still has the other factors, which the spec guarantees beside it.

    Raises:
        kiosk.errors.PlatformRejected: ``malformed_response`` naming what is wrong.
    """
    subject = data.get("subject")
    factors = data.get("second_factors")
    phone = data.get("phone_masked")
    if not isinstance(subject, dict) or not isinstance(factors, list):
        raise _malformed("subject or second_factors missing")
    if phone is not None and not isinstance(phone, str):
        raise _malformed("phone_masked is not text")
    offered = tuple(f for f in factors if isinstance(f, str))
    policy: FacePolicy | None = None
    if "face" in offered:
        try:
            policy = _face_policy(_object(data, "face_policy"))
        except errors.PlatformRejected as exc:
            log.warning("face offered without a usable face_policy (%s): not offered", exc)
            offered = tuple(f for f in offered if f != "face")
    assurance = data.get("assurance")
    return IdentitySession(
        session_id=_text(data, "session_id"),
        expires_at=_time(data, "expires_at"),
        name=_text(subject, "name"),
        id_masked=_text(subject, "id_masked"),
        second_factors=offered,
        phone_masked=phone,
        assurance=assurance if isinstance(assurance, str) else None,
        face_policy=policy,
    )


def _face_policy(data: Mapping[str, Any]) -> FacePolicy:
    models = _object(data, "models")
    min_scores: dict[str, float] = {}
    for name, rule in models.items():
        score = rule.get("min_score") if isinstance(rule, dict) else None
        if isinstance(score, int | float) and not isinstance(score, bool):
            min_scores[name] = float(score)
    notice = _object(data, "notice")
    attempts = _int(data, "attempts")
    if not min_scores or attempts < 1:
        raise _malformed("face_policy names no model with a min_score, or no attempts")
    return FacePolicy(
        min_scores=min_scores,
        liveness=_texts(data, "liveness"),
        attempts=attempts,
        notice=FaceNotice(_text(notice, "version"), _text(notice, "title"), _text(notice, "body")),
    )
