"""The platform's answers as the rest of the kiosk sees them: typed, checked, immutable.

``kiosk.platform.client`` decodes the wire into these; the flow, the screens and the paper
use them without knowing of HTTP (an import-linter contract keeps them from the client).
The report itself is ``kiosk.platform.report``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any, NamedTuple, Protocol


@dataclasses.dataclass(frozen=True)
class Challenge:
    """A platform challenge for the card's active authentication (60 s, single use)."""

    ticket: str
    challenge: bytes
    expires_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class IdentitySession:
    """A resident's session after the card verified; a second factor is still needed.

    ``name`` is the unmasked name for the greeting; it is kept out of ``repr`` so it never
    lands in a log line by accident.
    """

    session_id: str
    expires_at: dt.datetime
    name: str = dataclasses.field(repr=False)
    id_masked: str
    second_factors: tuple[str, ...]
    phone_masked: str | None


@dataclasses.dataclass(frozen=True)
class AccessToken:
    """Bearer token for ``/v1/reports/...``; ``token`` is kept out of ``repr``."""

    token: str = dataclasses.field(repr=False)
    expires_in: int


@dataclasses.dataclass(frozen=True)
class Objection:
    """An objection the platform received."""

    objection_id: str
    status: str


@dataclasses.dataclass(frozen=True)
class ShareLink:
    """A one-time download link of the report PDF, for a QR code on screen only.

    ``url`` is a bearer secret (whoever has it gets the report), so ``repr`` hides it.
    """

    url: str = dataclasses.field(repr=False)
    expires_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class RepairGuide:
    """How to repair a negative record, in plain Chinese from the platform."""

    guide_id: str
    title: str
    steps: tuple[str, ...]
    where: str
    documents: tuple[str, ...]
    hall_window: str
    hours: str


@dataclasses.dataclass(frozen=True)
class AuditEvent:
    """One audit event. ``data`` holds no name, ID number or phone: masked or hashed only."""

    event_id: str
    at: dt.datetime
    type: str
    data: Mapping[str, Any] = dataclasses.field(default_factory=dict)


class AuditResult(NamedTuple):
    """Event ids the platform stored now, and those it already had."""

    accepted: tuple[str, ...]
    duplicates: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Announcement:
    """A notice for the idle screen, shown between ``valid_from`` and ``valid_until``."""

    id: str
    title: str
    body: str
    valid_from: dt.datetime
    valid_until: dt.datetime


@dataclasses.dataclass(frozen=True)
class Hall:
    """The service hall the terminal stands in."""

    id: str
    name: str


@dataclasses.dataclass(frozen=True)
class Content:
    """Screen content from ``GET /v1/content``; ``etag`` goes back on the next call."""

    announcements: tuple[Announcement, ...]
    repair_guides: tuple[RepairGuide, ...]
    service_hours: str
    hall: Hall
    etag: str | None


class JwksStore(Protocol):
    """Where the client keeps the JWKS it fetched, for when the platform cannot be reached."""

    def load(self) -> bytes | None:
        """The last JWKS document kept, or None."""
        ...

    def save(self, body: bytes) -> None:
        """Keep a freshly fetched JWKS document (must not raise)."""
        ...
