"""Audit: staff actions and resident sessions, logged and delivered to the platform.

An entry says who (a role, never a person's name or an ID number), what and when. Resident data
never goes in: the ``details`` of an entry are short technical facts (a check's level, a file
name). ``LoggingAuditLog`` writes entries to the ``kiosk.audit`` logger; ``OutboxAuditLog`` also
queues them for the platform; ``SessionAuditor`` audits sessions starting and ending (phases
only, nothing personal), staff calls and assists, and every refused card with its reason code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import queue
import threading
import uuid
from collections.abc import Callable, Mapping
from typing import Protocol

from kiosk.flow import session
from kiosk.offline import sender as sender_mod
from kiosk.platform import models
from offline_cache.errors import CacheError
from offline_cache.outbox import Outbox

log = logging.getLogger("kiosk.audit")


@dataclasses.dataclass(frozen=True)
class AuditEntry:
    """One audited action."""

    at: dt.datetime
    actor: str  # "staff" (the PIN is shared by the hall's staff) or "system"
    action: str  # e.g. "staff_mode_opened", "test_page_printed"
    details: Mapping[str, str] = dataclasses.field(default_factory=dict)


class AuditLog(Protocol):
    """Where audit entries go. ``record`` must not block (call it from the GUI thread)."""

    def record(self, entry: AuditEntry) -> None:
        """Keep ``entry`` for delivery."""
        ...


class LoggingAuditLog:
    """Writes each entry as one JSON line to the ``kiosk.audit`` logger."""

    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []  # this process's entries, newest last

    def record(self, entry: AuditEntry) -> None:
        """Log ``entry``."""
        self.entries.append(entry)
        del self.entries[:-200]  # bounded: a long-running kiosk must not grow without end
        line = {
            "at": entry.at.isoformat(timespec="seconds"),
            "actor": entry.actor,
            "action": entry.action,
            **{f"d_{k}": v for k, v in entry.details.items()},
        }
        log.info("audit %s", json.dumps(line, ensure_ascii=False, sort_keys=True))


def entry(action: str, actor: str = "staff", **details: str) -> AuditEntry:
    """An entry stamped now (UTC)."""
    return AuditEntry(dt.datetime.now(dt.UTC), actor, action, details)


class OutboxAuditLog(LoggingAuditLog):
    """Audit entries to the ``kiosk.audit`` log line and to the platform through the outbox.

    The platform event is ``{"type": action, "data": {"actor": ..., **details}}``: a role and
    short technical facts, never resident data (``AuditEntry`` holds none). ``record`` is
    called on the GUI thread, so the fsynced SQLite commit (milliseconds, 100 ms on a busy
    disk: seen in the soak) happens on a writer thread of its own; the network is the
    sender's business. ``close`` writes what is waiting before the outbox closes.
    """

    def __init__(self, outbox: Outbox, wake: Callable[[], None]) -> None:
        super().__init__()
        self._outbox = outbox
        self._wake = wake
        self._waiting: queue.SimpleQueue[models.AuditEvent | threading.Event | None] = (
            queue.SimpleQueue()
        )
        self._writer = threading.Thread(target=self._write, name="kiosk-audit", daemon=True)
        self._writer.start()

    def record(self, entry: AuditEntry) -> None:
        """Log ``entry`` and hand it to the writer, which queues it for the platform."""
        super().record(entry)
        event = models.AuditEvent(
            str(uuid.uuid4()), entry.at, entry.action, {"actor": entry.actor, **entry.details}
        )
        self._waiting.put(event)

    def flush(self, timeout_s: float = 5.0) -> bool:
        """Wait until every entry recorded so far is in the outbox (or said lost)."""
        written = threading.Event()
        self._waiting.put(written)
        return written.wait(timeout_s)

    def close(self, timeout_s: float = 5.0) -> None:
        """Write what is waiting, then stop the writer (idempotent)."""
        if self._writer.is_alive():
            self._waiting.put(None)
            self._writer.join(timeout_s)

    def _write(self) -> None:
        while (item := self._waiting.get()) is not None:
            if isinstance(item, threading.Event):
                item.set()
                continue
            try:
                sender_mod.queue_audit_event(self._outbox, item)
            except (CacheError, ValueError) as exc:
                log.error("audit entry %s not queued for the platform: %s", item.type, exc)
                continue
            self._wake()


class SessionAuditor:
    """A controller listener auditing each resident session's start and end (phases only) and
    each call for staff."""

    def __init__(self, audit_log: AuditLog) -> None:
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
        if state.hall.staff_called and state.hall.staff_call != self._staff_call:
            self._staff_call = state.hall.staff_call
            self._audit.record(entry("staff_called", actor="system", phase=state.phase.value))
        if state.resident.assisted_by != self._assisted:
            self._assisted = state.resident.assisted_by
            if state.resident.assisted_by is not None:
                self._audit.record(
                    entry("staff_assisted", actor="staff", staff_id=state.resident.assisted_by)
                )
        old, new = self._phase, state.phase
        self._phase = new
        if old is new:
            return
        refusal = state.step.card_refused
        if new is session.Phase.ERROR and refusal is not None:
            # The card profile: every refusal leaves its reason code in the audit log.
            self._audit.record(
                entry("card_refused", actor="system", reason=refusal.reason, by=refusal.by)
            )
        resident = {session.Phase.IDLE, session.Phase.STAFF}
        if old in resident and new not in resident:
            self._furthest, self._printed = new, False
            self._audit.record(entry("session_started", actor="system"))
        if new not in resident:
            self._furthest = _further(self._furthest, new)
            self._printed = self._printed or state.resident.printed
        elif old not in resident:
            self._audit.record(
                entry(
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
