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
class FaceNotice:
    """What the resident must be shown before agreeing to the face check (spec §2)."""

    version: str
    title: str
    body: str


@dataclasses.dataclass(frozen=True)
class FacePolicy:
    """How this session's face check is judged (spec §2 ``face_policy``, §3b).

    Attributes:
        min_scores: Each model the platform accepts, by name, with its least cosine score.
        liveness: The liveness methods it accepts (``head_turn``).
        attempts: Rejected attempts before the face factor closes for the session.
        notice: The consent notice, whose version goes back with every attempt.
    """

    min_scores: Mapping[str, float]
    liveness: tuple[str, ...]
    attempts: int
    notice: FaceNotice


# Identity answers' ``assurance`` (spec §2): how the platform knows who the resident is.
ASSURANCE_ACTIVE_AUTH = "active_auth"  # an RID-1 card signed the platform's challenge
ASSURANCE_SECURITY_MODULE = "security_module"  # a certified reader's module read the card


@dataclasses.dataclass(frozen=True)
class IdentitySession:
    """A resident's session after the card verified; a second factor is still needed.

    ``name`` is the unmasked name for the greeting; it is kept out of ``repr`` so it never
    lands in a log line by accident. ``face_policy`` is set exactly when ``second_factors``
    holds ``face``.
    """

    session_id: str
    expires_at: dt.datetime
    name: str = dataclasses.field(repr=False)
    id_masked: str
    second_factors: tuple[str, ...]
    phone_masked: str | None
    assurance: str | None = None  # None: a v1 platform, which does not say
    face_policy: FacePolicy | None = None


@dataclasses.dataclass(frozen=True)
class FaceAttemptReport:
    """One face-check attempt as ``POST /v1/sessions/{id}/face`` reports it: a score and
    verdicts only, never an image or a template (spec §3b)."""

    model: str
    score: float
    reference_sha256: str
    liveness_method: str
    liveness_passed: bool
    notice_version: str
    consented_at: dt.datetime


@dataclasses.dataclass(frozen=True, repr=False)
class AttestedHolder:
    """A certified reader's reading as ``POST /v1/identity/attest`` takes it (spec §2b):
    only these members, the reader's values with their padding cut. Personal data: no repr.
    """

    document: str  # resident_id, hmt_residence_permit or foreign_permanent_resident
    id_number: str
    name: str
    valid_from: str  # YYYYMMDD
    valid_until: str  # YYYYMMDD or 长期

    def __repr__(self) -> str:
        return f"AttestedHolder({self.document})"


@dataclasses.dataclass(frozen=True)
class ReaderDeclaration:
    """One card reader of the terminal, as declared to the platform (spec §1 ``hardware``).

    Attributes:
        kind: ``pcsc`` or ``security_module``.
        model: The reader's model as configured.
        sam_id: The security module's id (``security_module`` readers only).
    """

    kind: str
    model: str
    sam_id: str | None = None


@dataclasses.dataclass(frozen=True)
class Hardware:
    """What the terminal has, declared at enrollment and in every heartbeat (spec §1)."""

    readers: tuple[ReaderDeclaration, ...]
    camera: bool

    def to_wire(self) -> dict[str, Any]:
        readers: list[dict[str, str]] = []
        for reader in self.readers:
            declared = {"kind": reader.kind, "model": reader.model}
            if reader.sam_id is not None:
                declared["sam_id"] = reader.sam_id
            readers.append(declared)
        return {"readers": readers, "camera": self.camera}


@dataclasses.dataclass(frozen=True)
class Approvals:
    """The platform operators' decisions for this terminal (spec §1; a v1 platform, which
    sends none, approves nothing)."""

    security_module: bool = False
    face: bool = False


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
    approvals: Approvals = Approvals()


class JwksStore(Protocol):
    """Where the client keeps the JWKS it fetched, for when the platform cannot be reached."""

    def load(self) -> bytes | None:
        """The last JWKS document kept, or None."""
        ...

    def save(self, body: bytes) -> None:
        """Keep a freshly fetched JWKS document (must not raise)."""
        ...
