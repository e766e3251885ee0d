"""Delivers the outbox to the platform: oldest first, at least once, backing off when it fails.

What the outbox carries today: audit events (``queue_audit_event``) and heartbeats
(``queue_heartbeat``), neither of which needs a resident's token. Print records and
objections are NOT queued by the kiosk any more: they need the resident's bearer token, which
expires (10 minutes, or with the session), so the controller sends them online while the
session lives, a print record *before* the paper comes out and an objection before the
screen says it was received (docs/decisions.md, "Print records and disputes"). The sender
still delivers ``print`` and ``objection`` rows (``queue_print``, ``queue_objection``) that
an earlier version left in an outbox, so an upgrade loses nothing that can still be sent.

What happens to an item depends on the answer:

- delivered (a 2xx, an idempotent replay, an audit id the platform reports as accepted or as a
  duplicate): the row is removed;
- the platform is unreachable, busy (429/5xx) or refuses *the terminal* (``bad_signature``,
  ``clock_skew``, ``unknown_terminal``, ``terminal_disabled``...): nothing is wrong with the
  item, so it stays; the whole sender pauses with exponential back-off and jitter (or
  ``Retry-After`` when that is longer), so a platform that is down for days gets one request
  per back-off interval, not one per item;
- the platform refuses *the item* (any other 4xx: ``token_expired``, ``invalid_token``,
  ``session_expired``, ``report_not_found``, ``invalid_request``...): sending it again can
  never succeed, so it is given up: one log line (kind, idempotency key, code), the row moves
  to the outbox's dead items without its payload (``stats().dead`` shows staff the count).
  Only an old-version print or objection row can meet this (its token expired).

Audit events are sent in batches (``audit_batch_size``); if the platform refuses a batch as a
whole, each event is sent alone so one bad event does not sink the others.

The sender should get a ``PlatformClient`` of its own with ``max_attempts=1`` and
``patience_s=0``: the client is not thread-safe, and the back-off (Retry-After included)
belongs here rather than inside one call.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from kiosk import errors
from kiosk.platform.models import AuditEvent, AuditResult, Objection
from offline_cache.errors import CacheError
from offline_cache.outbox import Outbox, OutboxItem

log = logging.getLogger(__name__)

KIND_PRINT = "print"
KIND_OBJECTION = "objection"
KIND_AUDIT = "audit"
KIND_HEARTBEAT = "heartbeat"

# Refusals that say nothing about the item: the terminal or the platform must change first.
_TERMINAL_CODES = frozenset(
    {
        errors.PlatformCode.RATE_LIMITED,
        errors.PlatformCode.UNAVAILABLE,
        errors.PlatformCode.INTERNAL_ERROR,
        errors.PlatformCode.BAD_SIGNATURE,
        errors.PlatformCode.CLOCK_SKEW,
        errors.PlatformCode.REPLAYED_NONCE,
        errors.PlatformCode.UNKNOWN_TERMINAL,
        errors.PlatformCode.TERMINAL_DISABLED,
        errors.PlatformCode.MALFORMED_RESPONSE,
        errors.PlatformCode.UNEXPECTED_RESPONSE,
    }
)


class Submitter(Protocol):
    """The part of ``PlatformClient`` the sender uses (tests may pass a fake)."""

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
        """POST /v1/reports/{id}/prints."""
        ...

    def create_objection(
        self, token: str, report_id: str, record_id: str, reason: str, idempotency_key: str
    ) -> Objection:
        """POST /v1/objections."""
        ...

    def send_audit_events(self, events: list[AuditEvent]) -> AuditResult:
        """POST /v1/audit-events."""
        ...

    def heartbeat(
        self,
        version: str,
        devices: Mapping[str, Any],
        outbox_backlog: int,
        hardware: Mapping[str, Any] | None = None,
    ) -> None:
        """POST /v1/terminal/heartbeat."""
        ...


# ---------------------------------------------------------------------- putting items in


def new_key() -> str:
    """A fresh idempotency key (a UUID: 36 characters, within the platform's 64)."""
    return str(uuid.uuid4())


def queue_print(
    outbox: Outbox,
    *,
    token: str,
    report_id: str,
    printed_at: dt.datetime,
    copies: int = 1,
    kind: str = "receipt",
    idempotency_key: str | None = None,
) -> str:
    """Keep a print record for the platform; returns its idempotency key once committed.

    The kiosk records prints online before printing (see the module docstring); this writes
    the row an earlier version wrote, for the sender's delivery of such rows and its tests.

    Raises:
        offline_cache.errors.CacheError: ``OutboxFull``, ``DiskFull``... nothing was kept.
    """
    if printed_at.tzinfo is None:
        raise ValueError("printed_at must carry an offset")
    key = idempotency_key or new_key()
    payload = {
        "token": token,
        "report_id": report_id,
        "copies": copies,
        "kind": kind,
        "printed_at": printed_at.isoformat(),
    }
    outbox.enqueue(KIND_PRINT, payload, key)
    return key


def queue_objection(
    outbox: Outbox,
    *,
    token: str,
    report_id: str,
    record_id: str,
    reason: str,
    idempotency_key: str | None = None,
) -> str:
    """Keep an objection for the platform; returns its idempotency key once committed.

    As ``queue_print``: rows of this kind come from earlier versions; the kiosk sends
    objections online.
    """
    key = idempotency_key or new_key()
    payload = {"token": token, "report_id": report_id, "record_id": record_id, "reason": reason}
    outbox.enqueue(KIND_OBJECTION, payload, key)
    return key


def queue_audit_event(outbox: Outbox, event: AuditEvent) -> str:
    """Keep an audit event; its ``event_id`` is the idempotency key. Returns it."""
    if event.at.tzinfo is None:
        raise ValueError("event time must carry an offset")
    payload = {"at": event.at.isoformat(), "type": event.type, "data": dict(event.data)}
    outbox.enqueue(KIND_AUDIT, payload, event.event_id)
    return event.event_id


@dataclasses.dataclass(frozen=True)
class Heartbeat:
    """What a heartbeat says: the software version, how the devices are connected, and
    the hardware declared to the platform (None: not known now; the platform then keeps
    what it had, spec §1)."""

    version: str
    devices: Mapping[str, Any]
    hardware: Mapping[str, Any] | None = None


def queue_heartbeat(outbox: Outbox, heartbeat: Heartbeat) -> str:
    """Keep a heartbeat, replacing any still waiting (only the latest one matters).

    The backlog it reports is filled in when it is sent, so it is current then.
    """
    key = new_key()
    payload: dict[str, Any] = {"version": heartbeat.version, "devices": dict(heartbeat.devices)}
    if heartbeat.hardware is not None:
        payload["hardware"] = dict(heartbeat.hardware)
    outbox.enqueue(KIND_HEARTBEAT, payload, key, replace_pending=True)
    return key


# ---------------------------------------------------------------------- sending


@dataclasses.dataclass(frozen=True)
class Backoff:
    """Exponential back-off with jitter: ``min(max_s, base_s * 2**(n-1))``, then jitter.

    The jitter keeps ``jitter`` of the delay random (0.5: between half and all of it), so
    kiosks of a hall that lost the platform together do not return in lock-step.

    Attributes:
        base_s: Delay after the first failure (before jitter).
        max_s: Longest delay (before jitter).
        jitter: Fraction of the delay that is random, 0 to 1.
        max_retry_after_s: Longest ``Retry-After`` believed (a bogus header must not park
            the outbox for a year).
    """

    base_s: float = 2.0
    max_s: float = 600.0
    jitter: float = 0.5
    max_retry_after_s: float = 24 * 3600.0

    def delay(self, failures: int, rand: float, retry_after_s: float | None = None) -> float:
        """Seconds to wait after ``failures`` consecutive failures; ``rand`` in [0, 1)."""
        raw = min(self.max_s, self.base_s * 2.0 ** max(0, failures - 1))
        delay = raw * (1 - self.jitter) + raw * self.jitter * rand
        if retry_after_s is not None:
            # "Not before Retry-After"; our own back-off may still ask for longer.
            delay = max(delay, min(retry_after_s, self.max_retry_after_s))
        return delay


@dataclasses.dataclass(frozen=True)
class RunResult:
    """What one ``run_once`` did.

    Attributes:
        delivered: Items the platform now has.
        dropped: Items given up (refused by the platform).
        failed: Items that stay for a later attempt.
        paused_until: Set when the sender backs off (Unix time of the next attempt).
    """

    delivered: int = 0
    dropped: int = 0
    failed: int = 0
    paused_until: float | None = None


class _Transient(Exception):
    """Internal: the platform cannot take anything now."""

    def __init__(self, code: str, retry_after_s: float | None) -> None:
        super().__init__(code)
        self.code = code
        self.retry_after_s = retry_after_s


class _Refused(Exception):
    """Internal: the platform will never take this item."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _classify(exc: Exception) -> _Transient | _Refused:
    if isinstance(exc, errors.PlatformUnavailable):
        return _Transient(errors.PlatformCode.UNAVAILABLE, exc.retry_after_s)
    if isinstance(exc, errors.PlatformRejected):
        if exc.code in _TERMINAL_CODES or exc.status == 429 or exc.status >= 500:
            return _Transient(exc.code, exc.retry_after_s)
        return _Refused(exc.code)
    if isinstance(exc, errors.KioskError):  # NotEnrolled: the terminal, not the item
        return _Transient(type(exc).__name__, None)
    # ValueError/KeyError/TypeError: a payload the client refuses to send.
    return _Refused("invalid_payload")


class OutboxSender:
    """Sends due outbox items with the platform client; ``run_once`` or a background thread.

    Args:
        outbox: The outbox to drain.
        client: A platform client of the sender's own (see the module docstring).
        batch_size: Items read from the outbox per run.
        audit_batch_size: Audit events per ``send_audit_events`` call.
        backoff: The back-off policy.
        clock: Unix time.
        rand: Uniform random numbers in [0, 1) for the jitter.
        idle_poll_s: Longest sleep of the thread when nothing is due (``wake`` cuts it short).
        wait: The thread's sleep: ``wait(seconds)`` returns early when woken or stopped.
            Tests pass a recorder.
        heartbeat: Gives the ``Heartbeat`` to send; the thread queues one at
            start and then every ``heartbeat_interval_s`` (None: no heartbeats). Called on
            the sender's thread: it must be thread-safe and bounded (a device status query
            or two, each with its own timeout).
        heartbeat_interval_s: Seconds between heartbeats.
        tick: Other periodic work of this thread (the metrics file): called at the thread's
            first pass, then every ``tick_interval_s``, while the sender backs off too; a
            failure is logged and never stops the sender (None: none).
        tick_interval_s: Seconds between ticks.
    """

    def __init__(
        self,
        outbox: Outbox,
        client: Submitter,
        *,
        batch_size: int = 50,
        audit_batch_size: int = 50,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.time,
        rand: Callable[[], float] = random.random,
        idle_poll_s: float = 30.0,
        wait: Callable[[float], object] | None = None,
        heartbeat: Callable[[], Heartbeat] | None = None,
        heartbeat_interval_s: float = 300.0,
        tick: Callable[[], object] | None = None,
        tick_interval_s: float = 60.0,
    ) -> None:
        if batch_size < 1 or audit_batch_size < 1:
            raise ValueError("batch sizes must be at least 1")
        self._outbox = outbox
        self._client = client
        self._batch_size = batch_size
        self._audit_batch_size = audit_batch_size
        self.backoff = backoff or Backoff()
        self._clock = clock
        self._rand = rand
        self._idle_poll_s = idle_poll_s
        self._failures = 0
        self._paused_until: float | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._wait = wait or self._wait_for_wake
        self._thread: threading.Thread | None = None
        self._heartbeat = heartbeat
        self._heartbeat_interval_s = heartbeat_interval_s
        self._next_heartbeat_at: float | None = None  # None: at the thread's first pass
        self._tick = tick
        self._tick_interval_s = tick_interval_s
        self._next_tick_at: float | None = None  # None: at the thread's first pass
        self._sync_requested = threading.Event()
        self._sync_lock = threading.Lock()
        self._sync_waiters: list[tuple[threading.Event, list[RunResult]]] = []

    # ------------------------------------------------------------------ state

    @property
    def paused_until(self) -> float | None:
        """Unix time the sender tries again after a failure (None: not backing off)."""
        return self._paused_until

    @property
    def consecutive_failures(self) -> int:
        """Failed attempts since the last success."""
        return self._failures

    # ------------------------------------------------------------------ one pass

    def run_once(self) -> RunResult:
        """Send what is due now, oldest first, until done or the platform fails.

        Raises:
            offline_cache.errors.CacheError: The outbox cannot be read or updated.
        """
        now = self._clock()
        if self._paused_until is not None and now < self._paused_until:
            return RunResult(paused_until=self._paused_until)
        self._paused_until = None
        items = self._outbox.due(now, self._batch_size)
        delivered = dropped = 0
        audit = [i for i in items if i.kind == KIND_AUDIT]
        sent_audit = False
        for item in items:
            group: list[OutboxItem]
            if item.kind == KIND_AUDIT:
                if sent_audit:
                    continue
                # Audit events go together at the position of the oldest one.
                sent_audit = True
                group = audit
            else:
                group = [item]
            try:
                d, x = self._deliver(group)
            except _Transient as exc:
                retry_at = self._pause(exc)
                self._outbox.failed([i.id for i in group], retry_at, exc.code)
                return RunResult(delivered, dropped, len(group), retry_at)
            delivered += d
            dropped += x
        return RunResult(delivered, dropped)

    def _pause(self, exc: _Transient) -> float:
        self._failures += 1
        delay = self.backoff.delay(self._failures, self._rand(), exc.retry_after_s)
        self._paused_until = self._clock() + delay
        log.info(
            "outbox: platform not taking items (%s), attempt %d, next in %.0f s",
            exc.code,
            self._failures,
            delay,
        )
        return self._paused_until

    def _deliver(self, group: Sequence[OutboxItem]) -> tuple[int, int]:
        """Send ``group`` (one item, or audit events); returns (delivered, dropped).

        Raises:
            _Transient: Nothing more can be sent now.
        """
        if group[0].kind == KIND_AUDIT:
            delivered = dropped = 0
            for start in range(0, len(group), self._audit_batch_size):
                d, x = self._deliver_audit(list(group[start : start + self._audit_batch_size]))
                delivered, dropped = delivered + d, dropped + x
            return delivered, dropped
        item = group[0]
        try:
            self._send_one(item)
        except Exception as exc:  # every failure is classified: typed, or a bad payload
            verdict = _classify(exc)
            if isinstance(verdict, _Transient):
                raise verdict from exc
            self._give_up([item], verdict.code)
            return 0, 1
        self._succeeded([item])
        return 1, 0

    def _send_one(self, item: OutboxItem) -> None:
        p = item.payload
        if item.kind == KIND_PRINT:
            self._client.record_print(
                p["token"],
                p["report_id"],
                copies=int(p["copies"]),
                kind=str(p["kind"]),
                printed_at=dt.datetime.fromisoformat(p["printed_at"]),
                idempotency_key=item.idempotency_key,
            )
        elif item.kind == KIND_OBJECTION:
            self._client.create_objection(
                p["token"], p["report_id"], p["record_id"], p["reason"], item.idempotency_key
            )
        elif item.kind == KIND_HEARTBEAT:
            # The heartbeat itself is not backlog.
            backlog = max(0, self._outbox.size() - 1)
            hardware = p.get("hardware")
            self._client.heartbeat(
                str(p["version"]),
                dict(p["devices"]),
                backlog,
                dict(hardware) if isinstance(hardware, dict) else None,
            )
        else:
            raise ValueError(f"unknown outbox kind {item.kind!r}")

    def _deliver_audit(self, batch: list[OutboxItem]) -> tuple[int, int]:
        try:
            events = [
                AuditEvent(
                    i.idempotency_key,
                    dt.datetime.fromisoformat(i.payload["at"]),
                    str(i.payload["type"]),
                    dict(i.payload.get("data") or {}),
                )
                for i in batch
            ]
            result = self._client.send_audit_events(events)
        except Exception as exc:  # every failure is classified: typed, or a bad payload
            verdict = _classify(exc)
            if isinstance(verdict, _Transient):
                raise verdict from exc
            if len(batch) == 1:
                self._give_up(batch, verdict.code)
                return 0, 1
            # The platform refuses a batch as a whole: find the bad event(s) one by one.
            delivered = dropped = 0
            for item in batch:
                d, x = self._deliver_audit([item])
                delivered, dropped = delivered + d, dropped + x
            return delivered, dropped
        known = set(result.accepted) | set(result.duplicates)
        done = [i for i in batch if i.idempotency_key in known]
        self._succeeded(done)
        missing = [i for i in batch if i.idempotency_key not in known]
        if missing:
            # The platform answered but did not mention these: try them again later.
            raise _Transient("audit_ids_missing", None)
        return len(done), 0

    def _succeeded(self, items: Sequence[OutboxItem]) -> None:
        if items:
            self._outbox.delivered([i.id for i in items], self._clock())
        self._failures = 0

    def _give_up(self, items: Sequence[OutboxItem], code: str) -> None:
        for item in items:
            log.warning(
                "outbox: %s %s given up, the platform refused it (%s)",
                item.kind,
                item.idempotency_key,
                code,
            )
        self._outbox.dead([i.id for i in items], code, self._clock())

    # ------------------------------------------------------------------ thread

    def start(self) -> None:
        """Run in a background thread until ``stop``."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="kiosk-outbox", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to stop and wait for it (at most ``timeout``; a call in flight ends
        by the client's own timeout)."""
        self._stop.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)

    def wake(self) -> None:
        """Something was queued: try now rather than at the next poll (back-off still holds)."""
        self._wake.set()

    def sync_now(self, timeout: float) -> RunResult | None:
        """Staff's "sync now": drop the back-off, make every item due, send; wait for the pass.

        Runs on the sender's own thread (the client is not shared); this call only waits, at
        most ``timeout`` seconds. Returns what the pass did, or None when it has not finished
        in time (or the thread is not running).
        """
        done = threading.Event()
        box: list[RunResult] = []
        with self._sync_lock:
            self._sync_waiters.append((done, box))
        self._sync_requested.set()
        self._wake.set()
        if not done.wait(timeout):
            return None
        return box[0] if box else None

    def _forced_pass(self) -> RunResult:
        with self._sync_lock:
            waiters, self._sync_waiters = self._sync_waiters, []
        self._sync_requested.clear()
        self._paused_until = None
        result = RunResult()
        try:
            self._outbox.retry_now(self._clock())
            result = self.run_once()
        finally:
            for done, box in waiters:
                box.append(result)
                done.set()
        return result

    def _maybe_heartbeat(self) -> None:
        if self._heartbeat is None:
            return
        now = self._clock()
        if self._next_heartbeat_at is not None and now < self._next_heartbeat_at:
            return
        self._next_heartbeat_at = now + self._heartbeat_interval_s
        queue_heartbeat(self._outbox, self._heartbeat())

    def _maybe_tick(self) -> None:
        if self._tick is None:
            return
        now = self._clock()
        if self._next_tick_at is not None and now < self._next_tick_at:
            return
        self._next_tick_at = now + self._tick_interval_s
        try:
            self._tick()
        except Exception:  # the tick's own failure must not hold up the deliveries
            log.exception("outbox: periodic work failed")

    def _wait_for_wake(self, seconds: float) -> None:
        self._wake.wait(seconds)
        self._wake.clear()

    def next_wait(self, result: RunResult) -> float:
        """Seconds the thread sleeps after a run that returned ``result``."""
        now = self._clock()
        # Ticks keep their interval while the sender backs off too (the metrics matter most
        # when the platform is away).
        tick_in = float("inf")
        if self._tick is not None and self._next_tick_at is not None:
            tick_in = max(0.0, self._next_tick_at - now)
        if result.paused_until is not None:
            return min(max(0.0, result.paused_until - now), tick_in)
        if result.delivered or result.dropped:
            return 0.0  # there may be more
        longest = min(self._idle_poll_s, tick_in)
        if self._heartbeat is not None and self._next_heartbeat_at is not None:
            longest = min(longest, max(0.0, self._next_heartbeat_at - now))
        next_due = self._outbox.next_due_at()
        if next_due is None:
            return longest
        return min(longest, max(0.0, next_due - now))

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._maybe_tick()
            try:
                self._maybe_heartbeat()
                forced = self._sync_requested.is_set()
                delay = self.next_wait(self._forced_pass() if forced else self.run_once())
            except CacheError as exc:
                # Local storage trouble (disk full, damaged file): say so, keep the kiosk up.
                log.error("outbox: local storage failed: %s", exc)
                delay = self._idle_poll_s
            except Exception:
                log.exception("outbox: sender failed")
                delay = self._idle_poll_s
            if self._stop.is_set():
                break
            self._wait(delay)
