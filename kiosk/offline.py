"""The offline layer in the running kiosk: outbox and sender, report buffer, public cache.

``offline_cache`` stores; this module puts it to work (docs/decisions.md "Offline cache"):

- ``OfflineServices``: what ``kiosk.wiring.build_offline`` builds from ``[offline]``: the
  outbox, its ``OutboxSender`` thread (its own platform client, one attempt per call; it never
  touches Qt), the report buffer (wiped when built, i.e. at start-up, and at every session
  end) and the public cache.
- ``OutboxAuditLog``: the ``AuditLog`` whose entries go to the platform through the outbox.
- ``SessionAuditor``: audits sessions starting and ending (phases only, nothing personal),
  staff calls and assists, and every refused card with its reason code.
- ``PublicContent``: content and JWKS through the public cache: fresh from the platform
  when it answers, the kept copy when it does not (trust anchors: ``kiosk.trust_anchors``).
- ``PlatformMonitor``: a reachability probe on the ``net`` lane every ``probe_interval_s``
  (a ``GET /v1/content`` revalidated with its ETag: a 304 when nothing changed); its verdict
  goes to the session as ``PlatformStatusChanged`` and the content to the idle screen as
  ``PublicInfo``. A busy platform (429, a short 503) is reachable; two failed probes in a row
  make it offline.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import logging
import time
import uuid
from collections.abc import Callable

from kiosk import audit, errors, platform_client, runtime, session
from kiosk import outbox_sender as sender_mod
from kiosk import trust_anchors as trust_anchors_mod
from offline_cache import public_cache
from offline_cache.errors import CacheError
from offline_cache.outbox import Outbox, OutboxStats
from offline_cache.report_buffer import ReportBuffer

log = logging.getLogger(__name__)

OUTBOX_FILE = "outbox.sqlite3"
PUBLIC_CACHE_FILE = "public-cache.sqlite3"
# Report keys change rarely: refreshed when the platform comes back and then at most this
# often (content is revalidated at every probe; trust anchors: kiosk.trust_anchors).
KEYS_REFRESH_S = 3600.0


# ---------------------------------------------------------------------- public content


@dataclasses.dataclass(frozen=True)
class PublicInfo:
    """Public content for the idle screen; nothing personal.

    Attributes:
        service_hours: The hall's opening hours.
        hall: The hall's name.
        announcements: ``(title, body)`` of the notices valid now.
        repair_guides: Titles of the repair guides kept.
        fetched_at: Unix time the copy was last confirmed by the platform.
    """

    service_hours: str
    hall: str
    announcements: tuple[tuple[str, str], ...]
    repair_guides: tuple[str, ...]
    fetched_at: float


class CacheJwksStore:
    """``platform_client.JwksStore`` over the public cache."""

    def __init__(self, cache: public_cache.PublicCache) -> None:
        self._cache = cache

    def load(self) -> bytes | None:
        """The JWKS kept, or None."""
        try:
            entry = self._cache.get(public_cache.JWKS)
        except CacheError as exc:
            log.warning("public cache: JWKS unreadable: %s", exc)
            return None
        return None if entry is None else entry.body

    def save(self, body: bytes) -> None:
        """Keep a fresh JWKS; a storage failure only costs the offline copy."""
        try:
            self._cache.put(public_cache.JWKS, body, None)
        except CacheError as exc:
            log.warning("public cache: JWKS not kept: %s", exc)


class PublicContent:
    """Content and trust anchors through the public cache. Thread-safe (the cache is)."""

    def __init__(
        self, cache: public_cache.PublicCache, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.cache = cache
        self._clock = clock

    def refresh(self, client: platform_client.PlatformClient) -> bool:
        """Revalidate the content with its ETag (a 304 costs nothing); True when it changed.

        Raises:
            kiosk.errors.PlatformError: The platform did not answer or refused.
        """
        etag = None
        try:
            etag = self.cache.etag(public_cache.CONTENT)
        except CacheError as exc:
            log.warning("public cache: unreadable: %s", exc)
        document = client.content_document(etag)
        try:
            if document is None:
                self.cache.revalidated(public_cache.CONTENT)
            else:
                self.cache.put_json(public_cache.CONTENT, document[0], document[1])
        except CacheError as exc:
            log.warning("public cache: content not kept: %s", exc)
        return document is not None

    def content(self) -> tuple[platform_client.Content, float] | None:
        """The kept content and when it was last confirmed, or None."""
        try:
            entry = self.cache.get(public_cache.CONTENT)
            if entry is None:
                return None
            return platform_client.parse_content(entry.json(), entry.etag), entry.fetched_at
        except (CacheError, ValueError, errors.PlatformRejected) as exc:
            log.warning("public cache: kept content unusable: %s", exc)
            return None

    def public_info(self) -> PublicInfo | None:
        """What the idle screen shows from the kept content."""
        kept = self.content()
        if kept is None:
            return None
        content, fetched_at = kept
        now = dt.datetime.fromtimestamp(self._clock(), dt.UTC)
        notices = tuple(
            (a.title, a.body) for a in content.announcements if a.valid_from <= now <= a.valid_until
        )
        return PublicInfo(
            service_hours=content.service_hours,
            hall=content.hall.name,
            announcements=notices,
            repair_guides=tuple(g.title for g in content.repair_guides),
            fetched_at=fetched_at,
        )

    def repair_guide(self, guide_id: str) -> platform_client.RepairGuide | None:
        """A repair guide from the kept content (for when the platform cannot be reached)."""
        kept = self.content()
        if kept is None:
            return None
        return next((g for g in kept[0].repair_guides if g.guide_id == guide_id), None)


# ---------------------------------------------------------------------- the services


@dataclasses.dataclass(eq=False)
class OfflineServices:
    """The offline layer of one kiosk process; ``start``/``stop`` with the app.

    Attributes:
        outbox: Print records, audit events and heartbeats waiting for the platform.
        sender: Delivers the outbox on its own thread.
        sender_client: The sender's platform client (``max_attempts=1``), closed at stop.
        report_buffer: The sealed report buffer (wiped when built and at every session end).
        public: Content, trust anchors and JWKS through the public cache.
        probe_client: The reachability probe's client (short timeouts, ``net`` lane only).
        probe_interval_s: Seconds between probes.
    """

    outbox: Outbox
    sender: sender_mod.OutboxSender
    sender_client: platform_client.PlatformClient
    report_buffer: ReportBuffer
    public: PublicContent
    probe_client: platform_client.PlatformClient
    probe_interval_s: float = 10.0
    _stopped: bool = False

    def start(self) -> None:
        """Start the sender thread (a heartbeat goes first)."""
        self.sender.start()

    def stop(self) -> None:
        """Stop the sender, wipe the report buffer, close the files (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        self.sender.stop()
        self.sender_client.close()
        self.probe_client.close()
        try:
            self.report_buffer.wipe()
        except CacheError as exc:
            log.error("report buffer not wiped at stop: %s", exc)
        self.outbox.close()
        self.public.cache.close()

    def stats(self) -> OutboxStats:
        """Backlog size, oldest item age, last delivery.

        Raises:
            offline_cache.errors.CacheError: The outbox cannot be read.
        """
        return self.outbox.stats()


# ---------------------------------------------------------------------- audit


class OutboxAuditLog(audit.LoggingAuditLog):
    """Audit entries to the ``kiosk.audit`` log line and to the platform through the outbox.

    The platform event is ``{"type": action, "data": {"actor": ..., **details}}``: a role and
    short technical facts, never resident data (``audit.AuditEntry`` holds none). Queuing is
    one fsynced SQLite commit (milliseconds) on the caller's thread; the network is the
    sender's business.
    """

    def __init__(self, outbox: Outbox, wake: Callable[[], None]) -> None:
        super().__init__()
        self._outbox = outbox
        self._wake = wake

    def record(self, entry: audit.AuditEntry) -> None:
        """Log ``entry`` and queue it for the platform."""
        super().record(entry)
        event = platform_client.AuditEvent(
            str(uuid.uuid4()), entry.at, entry.action, {"actor": entry.actor, **entry.details}
        )
        try:
            sender_mod.queue_audit_event(self._outbox, event)
        except (CacheError, ValueError) as exc:
            log.error("audit entry %s not queued for the platform: %s", entry.action, exc)
            return
        self._wake()


class SessionAuditor:
    """A controller listener auditing each resident session's start and end (phases only) and
    each call for staff."""

    def __init__(self, audit_log: audit.AuditLog) -> None:
        self._audit = audit_log
        self._phase = session.Phase.IDLE
        self._furthest = session.Phase.IDLE
        self._printed = False
        self._staff_call = 0
        self._assisted: str | None = None

    def __call__(self, state: session.SessionState) -> None:
        """Record ``session_started`` and ``session_ended`` (how far it got, printed or not),
        ``staff_called`` when staff are called (which screen, nothing else),
        ``staff_assisted`` when a staff member confirmed a resident (their staff id) and
        ``card_refused`` with the reason code and who refused (``terminal``/``platform``)."""
        if state.staff_called and state.staff_call != self._staff_call:
            self._staff_call = state.staff_call
            self._audit.record(audit.entry("staff_called", actor="system", phase=state.phase.value))
        if state.assisted_by != self._assisted:
            self._assisted = state.assisted_by
            if state.assisted_by is not None:
                self._audit.record(
                    audit.entry("staff_assisted", actor="staff", staff_id=state.assisted_by)
                )
        old, new = self._phase, state.phase
        self._phase = new
        if old is new:
            return
        refusal = state.card_refused
        if new is session.Phase.ERROR and refusal is not None:
            # The card profile: every refusal leaves its reason code in the audit log.
            self._audit.record(
                audit.entry("card_refused", actor="system", reason=refusal.reason, by=refusal.by)
            )
        resident = {session.Phase.IDLE, session.Phase.STAFF}
        if old in resident and new not in resident:
            self._furthest, self._printed = new, False
            self._audit.record(audit.entry("session_started", actor="system"))
        if new not in resident:
            self._furthest = _further(self._furthest, new)
            self._printed = self._printed or state.printed
        elif old not in resident:
            self._audit.record(
                audit.entry(
                    "session_ended",
                    actor="system",
                    reached=self._furthest.value,
                    printed=str(self._printed).lower(),
                )
            )


_ORDER = [
    session.Phase.IDLE,
    session.Phase.ERROR,
    session.Phase.CONSENT,
    session.Phase.READING_CARD,
    session.Phase.VERIFYING,
    session.Phase.SECOND_FACTOR,
    session.Phase.REPORT,
    session.Phase.PRINTING,
    session.Phase.DONE,
]


def _further(a: session.Phase, b: session.Phase) -> session.Phase:
    rank = {p: i for i, p in enumerate(_ORDER)}
    return a if rank.get(a, 0) >= rank.get(b, 0) else b


# ---------------------------------------------------------------------- reachability


class ProbeOutcome(enum.Enum):
    """What one probe learnt of the platform."""

    ANSWERED = "answered"  # it served the request: reachable and serving
    BUSY = "busy"  # a 429 or 503 asking for a short wait: reachable, only busy
    FAILED = "failed"  # no answer, a timeout, a 5xx, a long 503 or a refusal


@dataclasses.dataclass(frozen=True)
class ProbeResult:
    """One probe: what the platform did, and the public content to show."""

    outcome: ProbeOutcome
    info: PublicInfo | None
    reason: str = ""  # why not answered: an error code or class name, nothing personal
    retry_after_s: float | None = None  # the platform's Retry-After, when it gave one


# A platform that asks for a wait up to this long is busy, not away: residents are served
# (each call waits its Retry-After). A longer 503 is an outage announced in advance.
BUSY_WAIT_MAX_S = 60.0
# Failed probes in a row before the platform counts as offline: one lost answer or one 5xx
# must not turn residents away. After a first failure the next probe comes sooner.
FAILURES_BEFORE_OFFLINE = 2
RECHECK_AFTER_FAILURE_S = 2.0
# Longest Retry-After the probe waits before asking again (a bogus header must not stop it).
MAX_PROBE_WAIT_S = 600.0


def classify_probe_error(exc: errors.PlatformError) -> tuple[ProbeOutcome, str]:
    """A probe's failure: busy (a 429, or a 503 with a short Retry-After) or failed."""
    retry_after = getattr(exc, "retry_after_s", None)
    status = getattr(exc, "status", 0)
    reason = exc.code if isinstance(exc, errors.PlatformRejected) else type(exc).__name__
    short_wait = retry_after is not None and retry_after <= BUSY_WAIT_MAX_S
    if status == 429 or (status == 503 and short_wait):
        return ProbeOutcome.BUSY, reason
    return ProbeOutcome.FAILED, reason


class PlatformMonitor:
    """Probes the platform on the ``net`` lane and tells the session and the idle screen.

    Call ``start``/``stop`` on the core's thread; listeners are called there too. The first
    probe runs at ``start``; each next one ``interval_s`` after the previous answered (sooner
    after a first failure, not before a busy platform's ``Retry-After``), so a hanging
    platform costs one probe at a time (bounded by the probe client's timeouts). The platform
    counts as offline only after ``FAILURES_BEFORE_OFFLINE`` failed probes in a row; a busy
    answer proves it reachable.

    Args:
        offline: The offline services (probe client, public content, report buffer).
        runner: The controller's task runner.
        clock: Schedules the next probe (``QtClock`` in the app, ``ManualClock`` in tests).
        handle: The controller's ``handle``: ``PlatformStatusChanged`` goes there.
        trust_anchors: Card issuer CAs, refreshed with the content (None: not refreshed).
    """

    def __init__(
        self,
        offline: OfflineServices,
        runner: runtime.TaskRunner,
        clock: runtime.Clock,
        handle: Callable[[session.Event], None],
        trust_anchors: trust_anchors_mod.TrustAnchors | None = None,
    ) -> None:
        self._offline = offline
        self._runner = runner
        self._clock = clock
        self._handle = handle
        self._trust_anchors = trust_anchors
        self._timer: runtime.Cancellable | None = None
        self._stopped = False
        self._online: bool | None = None  # unknown until the first probe answers
        self._failures = 0  # failed probes in a row
        self._keys_at: float | None = None  # net lane only: last JWKS refresh
        self.info: PublicInfo | None = None
        self._listeners: list[Callable[[PublicInfo | None], None]] = []

    @property
    def online(self) -> bool | None:
        """The last verdict (None before the first answer or second failure)."""
        return self._online

    def add_listener(self, listener: Callable[[PublicInfo | None], None]) -> None:
        """Call ``listener(info)`` after every probe, on the core's thread."""
        self._listeners.append(listener)

    def start(self) -> None:
        """Show what the cache holds, then probe now and every ``interval_s``."""
        self._stopped = False
        self._runner.submit("net", self._offline.public.public_info, self._show, _log_failure)
        self.probe_now()

    def stop(self) -> None:
        """No more probes (one in flight is ignored)."""
        self._stopped = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def probe_now(self) -> None:
        """Probe at once (the next periodic probe follows its answer)."""
        if self._stopped:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._runner.submit("net", self.probe, self._on_probed, self._on_failed)

    def probe(self) -> ProbeResult:
        """Net lane: revalidate content; refresh trust anchors and keys when due; expire the
        report buffer."""
        offline = self._offline
        try:
            offline.report_buffer.expire()
        except CacheError as exc:
            log.error("report buffer not expired: %s", exc)
        client = offline.probe_client
        try:
            changed = offline.public.refresh(client)
            if self._trust_anchors is not None:
                self._trust_anchors.refresh_if_due(client, changed)
            now = time.monotonic()
            if self._keys_at is None or now - self._keys_at > KEYS_REFRESH_S:
                client.refresh_jwks()
                self._keys_at = now
        except errors.PlatformError as exc:
            outcome, reason = classify_probe_error(exc)
            if outcome is ProbeOutcome.FAILED:
                self._keys_at = None  # refresh them as soon as the platform is back
            retry_after = getattr(exc, "retry_after_s", None)
            return ProbeResult(outcome, offline.public.public_info(), reason, retry_after)
        return ProbeResult(ProbeOutcome.ANSWERED, offline.public.public_info())

    def _on_probed(self, result: ProbeResult) -> None:
        if self._stopped:
            return
        delay = self._offline.probe_interval_s
        if result.outcome is ProbeOutcome.FAILED:
            self._failures += 1
            if self._failures < FAILURES_BEFORE_OFFLINE:
                log.info("platform probe failed (%s): checking again soon", result.reason)
                delay = min(delay, RECHECK_AFTER_FAILURE_S)
            else:
                self._set_online(False, result.reason)
        else:
            self._failures = 0
            if result.outcome is ProbeOutcome.BUSY:
                wait = result.retry_after_s or 0.0
                log.info("platform busy (%s): next probe in %.0f s", result.reason, wait)
                delay = max(delay, min(wait, MAX_PROBE_WAIT_S))
            self._set_online(True, "")
        self._show(result.info)
        self._schedule(delay)

    def _set_online(self, online: bool, reason: str) -> None:
        if online == self._online:
            return
        if online:
            log.info("platform reachable")
        else:
            log.warning("platform unreachable (%s): personal reports paused", reason)
        self._online = online
        self._handle(session.PlatformStatusChanged(online))

    def _on_failed(self, exc: BaseException) -> None:
        log.error("platform probe failed", exc_info=exc)
        if not self._stopped:
            self._schedule(self._offline.probe_interval_s)

    def _show(self, info: PublicInfo | None) -> None:
        if self._stopped or (info is None and self.info is not None):
            return
        self.info = info
        for listener in list(self._listeners):
            listener(info)

    def _schedule(self, delay: float) -> None:
        self._timer = self._clock.call_later(delay, self.probe_now)


def _log_failure(exc: BaseException) -> None:
    log.warning("public content not read from the cache: %s", exc)
