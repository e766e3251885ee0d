"""What the flow needs from the world, as small protocols: any object with these methods will do.

The composition root (``kiosk.app.composition``) hands the controller the real adapters;
tests hand it fakes. The flow names no concrete adapter and no HTTP client. All calls block:
the controller makes them on a lane (``kiosk.flow.runtime``), never on the GUI thread.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from devices.card_reader import CertifiedReading
from kiosk.platform.models import (
    AccessToken,
    AttestedHolder,
    Challenge,
    FaceAttemptReport,
    IdentitySession,
    Objection,
    ReaderDeclaration,
    RepairGuide,
    ShareLink,
)
from kiosk.platform.report import Report

if TYPE_CHECKING:
    # OpenCV and numpy behind it load with the first face check, not at the kiosk's start.
    from kiosk.face.check import AttemptResult


class Platform(Protocol):
    """The credit platform's calls for one resident's session (spec §3-§6).

    ``kiosk.platform.client.PlatformClient`` is the implementation. Every method raises
    ``kiosk.errors.PlatformRejected`` when the platform refused the call and
    ``kiosk.errors.PlatformUnavailable`` when it could not be reached or did not answer.

    Attributes:
        on_wait: Called with the seconds about to be waited when the platform asked for a
            pause (429); the controller sets it per task to tell the screen.
    """

    on_wait: Callable[[float], None] | None

    def trust_anchors_document(self, etag: str | None) -> tuple[list[bytes], str | None] | None:
        """The card issuer CAs (DER) and the answer's ETag; None when ``etag`` is current."""
        ...

    def challenge(self) -> Challenge:
        """A fresh single-use challenge for the card to sign."""
        ...

    def verify_identity(
        self, ticket: str, *, holder: bytes, card_cert: bytes, sod: bytes, signature: bytes
    ) -> IdentitySession:
        """The card's files and its signature of the challenge, for an identity session."""
        ...

    def attest_identity(
        self,
        reader: ReaderDeclaration,
        holder: AttestedHolder,
        *,
        read_at: dt.datetime,
        idempotency_key: str,
    ) -> IdentitySession:
        """A certified reader's reading of the card, for an identity session (spec §2b)."""
        ...

    def report_face_attempt(
        self, session_id: str, attempt: FaceAttemptReport, *, idempotency_key: str
    ) -> AccessToken:
        """One face-check attempt (spec §3b); a pass answers a report token."""
        ...

    def send_otp(self, session_id: str) -> int:
        """Send the SMS code; the seconds before another may be asked for."""
        ...

    def verify_otp(self, session_id: str, code: str) -> AccessToken:
        """The resident's SMS code, for a report token."""
        ...

    def staff_assist(self, session_id: str, staff_id: str, staff_pin: str) -> AccessToken:
        """A hall staff member's id and PIN vouching for the resident, for a report token."""
        ...

    def end_session(self, session_id: str) -> None:
        """Tell the platform the resident is gone."""
        ...

    def fetch_report(self, token: str) -> Report:
        """The resident's report, its signature checked."""
        ...

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
        """Record a printed copy (before the paper comes out)."""
        ...

    def create_objection(
        self, token: str, report_id: str, record_id: str, reason: str, idempotency_key: str
    ) -> Objection:
        """File the resident's dispute of one record."""
        ...

    def share_report(self, token: str, report_id: str) -> ShareLink:
        """A short-lived link for the resident's phone."""
        ...

    def repair_guide(self, guide_id: str) -> RepairGuide:
        """How to repair one kind of record."""
        ...


class CertifiedReader(Protocol):
    """A certified ID reader whose security module authenticates the card and whose vendor
    library gives the holder's text and photo (``devices.vendor_reader.VendorCardReader``)."""

    def read_identity(self) -> CertifiedReading:
        """Read the card on the reader, once per placement.

        Raises:
            devices.errors.DeviceError: No card, a card the module refused, a hung library.
        """
        ...

    def security_module_id(self) -> str:
        """The reader's security module id, as the platform approved it (``sam_id``)."""
        ...

    @property
    def can_decode_photos(self) -> bool:
        """Whether a photo decoder is configured and loaded."""
        ...

    def decode_photo(self, block: bytes) -> bytes:
        """The photo block as an image file (BMP), in memory, by the vendor's decoder.

        Raises:
            devices.errors.PhotoNotDecodable: The decoder refused the block.
            devices.errors.DeviceUnavailable: No decoder is configured.
        """
        ...


class FaceChecker(Protocol):
    """The camera and the face engine (``kiosk.face.service.FaceService``). Runs on the face
    lane; ``cancel`` may be called from any thread."""

    def ready(self) -> bool:
        """Whether the face check can be offered now: models loaded, the camera answering."""
        ...

    def run_attempt(
        self,
        photo: bytes,
        photo_sha256: str,
        *,
        timeout_s: float,
        on_prompt: Callable[[str], None],
    ) -> AttemptResult:
        """One attempt against the card photo (an image file's bytes): the camera on, the
        head-turn challenge, one comparison, the camera off. Nothing is kept.

        Raises:
            kiosk.errors.FaceCheckUnavailable: The photo shows no usable face, the models fail.
            devices.errors.CameraUnavailable: The camera failed.
        """
        ...

    def cancel(self) -> None:
        """Stop a running attempt at its next frame (the resident left the page)."""
        ...


class KeptContent(Protocol):
    """The public content kept for when the platform cannot be reached."""

    def repair_guide(self, guide_id: str) -> RepairGuide | None:
        """The kept copy of a repair guide, or None."""
        ...


class SealedBuffer(Protocol):
    """The sealed buffer that may hold the resident's report for a reprint."""

    def wipe(self) -> None:
        """Forget whatever it holds (the session is over).

        Raises:
            offline_cache.errors.CacheError: The buffer could not be wiped.
        """
        ...


class A4Printer(Protocol):
    """A printer for the full report on A4 paper, where a hall has one.

    ``devices.a4_printer.CupsA4Printer`` sends the PDF to a CUPS queue.
    """

    def print_pdf(self, pdf: bytes, *, title: str) -> None:
        """Print ``pdf`` as one job named ``title``.

        Raises:
            devices.errors.PrinterOffline: The printer or its spooler cannot be reached.
            devices.errors.PrinterError: The job was refused.
        """
        ...
