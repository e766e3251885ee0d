"""Audit of staff actions: a small seam the offline outbox will later deliver to the platform.

An entry says who (a role, never a person's name or an ID number), what and when. Resident data
never goes in: the ``details`` of an entry are short technical facts (a check's level, a file
name). ``LoggingAuditLog`` writes entries to the ``kiosk.audit`` logger until the outbox exists.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Mapping
from typing import Protocol

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
