"""Typed fakes of the flow's ports (``kiosk.flow.ports``) and of the device interfaces.

Each records what the kiosk asked of it and answers as a test scripts it. mypy checks them
against their protocols: the assignments in ``check_fakes_fit`` fail type-checking if a fake
drifts from its port.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from devices import card_reader, receipt_printer
from kiosk import errors
from kiosk.card.trust_anchors import TrustAnchors
from kiosk.face.check import AttemptResult
from kiosk.flow import controller, ports
from kiosk.offline import sender
from kiosk.platform import models
from kiosk.platform import report as report_model
from kiosk.platform.models import AuditEvent, AuditResult, Objection

NOW = dt.datetime(2026, 11, 25, 10, tzinfo=dt.UTC)


class NoReader:
    """``CardReader`` for tests that insert cards as events: no card I/O ever happens."""

    def start(self, on_event: Callable[[card_reader.CardEvent], None]) -> None:
        """Nothing to watch."""

    def stop(self) -> None:
        """Nothing to stop."""

    def connect(self) -> card_reader.CardConnection:
        """A test that reaches the card has a bug: fail loudly."""
        raise AssertionError("no card I/O in these tests")


class CertifiedReader:
    """``ports.CertifiedReader`` whose decoder gives ``image`` for any photo block."""

    def __init__(self, image: bytes = b"BM-photo") -> None:
        self.image = image
        self.decoded: list[bytes] = []

    def read_identity(self) -> card_reader.CertifiedReading:
        raise AssertionError("these tests feed the reading in as an event")

    def security_module_id(self) -> str:
        return "05.01-20101111-0012345678"

    @property
    def can_decode_photos(self) -> bool:
        return True

    def decode_photo(self, block: bytes) -> bytes:
        """The image, recorded by block."""
        self.decoded.append(block)
        return self.image


class FaceChecker:
    """``ports.FaceChecker`` playing one attempt: the prompts, then ``result`` (or raises
    ``error``); records the photos it was given and whether it was cancelled."""

    def __init__(
        self,
        result: AttemptResult | None = None,
        *,
        error: Exception | None = None,
        prompts: tuple[str, ...] = ("face_straight", "turn_left"),
        ready: bool = True,
    ) -> None:
        self.result = result
        self.error = error
        self.prompts = prompts
        self.is_ready = ready
        self.photos: list[tuple[bytes, str, float]] = []
        self.cancelled = 0

    def ready(self) -> bool:
        return self.is_ready

    def run_attempt(
        self,
        photo: bytes,
        photo_sha256: str,
        *,
        timeout_s: float,
        on_prompt: Callable[[str], None],
    ) -> AttemptResult:
        self.photos.append((photo, photo_sha256, timeout_s))
        for prompt in self.prompts:
            on_prompt(prompt)
        if self.error is not None:
            raise self.error
        assert self.result is not None, "this test scripts no attempt"
        return self.result

    def cancel(self) -> None:
        self.cancelled += 1


class RecordingPrinter:
    """``ReceiptPrinter`` that is always ready and keeps the jobs it was given."""

    def __init__(self) -> None:
        self.jobs: list[receipt_printer.PrintJob] = []

    def status(self) -> receipt_printer.PrinterStatus:
        """Online, paper in, cover closed."""
        return receipt_printer.PrinterStatus(known=True, online=True)

    def print_job(
        self, job: receipt_printer.PrintJob, on_started: Callable[[], None] | None = None
    ) -> None:
        """Keep ``job`` (it "starts" at once)."""
        if on_started is not None:
            on_started()
        self.jobs.append(job)


@dataclasses.dataclass(frozen=True)
class PrintRecord:
    """One ``record_print`` call as the platform saw it."""

    report_id: str
    kind: str
    copies: int


class Platform:
    """``ports.Platform`` answering every call at once; records prints, objections, shares.

    Args:
        identity: What ``verify_identity`` answers.
        report: What ``fetch_report`` answers.
        guide: The one repair guide it knows.
        link: What ``share_report`` answers.
        refuse_prints: Kinds of print record it refuses (``PlatformRejected``).
    """

    def __init__(
        self,
        *,
        identity: models.IdentitySession | None = None,
        report: report_model.Report | None = None,
        guide: models.RepairGuide | None = None,
        link: models.ShareLink | None = None,
        refuse_prints: frozenset[str] = frozenset(),
    ) -> None:
        self.on_wait: Callable[[float], None] | None = None
        self.identity = identity
        self.report = report
        self.guide = guide
        self.link = link
        self.refuse_prints = refuse_prints
        self.prints: list[PrintRecord] = []
        self.objections: list[tuple[str, str, str]] = []
        self.shares = 0
        self.ended: list[str] = []
        self.attested: list[tuple[models.ReaderDeclaration, models.AttestedHolder, str]] = []
        self.face_attempts: list[models.FaceAttemptReport] = []

    def trust_anchors_document(self, etag: str | None) -> tuple[list[bytes], str | None] | None:
        """No issuer CAs: a card checked against this platform is refused."""
        return [], None

    def challenge(self) -> models.Challenge:
        """A fixed challenge."""
        return models.Challenge("ticket", bytes(32), NOW + dt.timedelta(minutes=1))

    def verify_identity(
        self, ticket: str, *, holder: bytes, card_cert: bytes, sod: bytes, signature: bytes
    ) -> models.IdentitySession:
        """The scripted identity."""
        assert self.identity is not None, "this test scripts no identity"
        return self.identity

    def attest_identity(
        self,
        reader: models.ReaderDeclaration,
        holder: models.AttestedHolder,
        *,
        read_at: dt.datetime,
        idempotency_key: str,
    ) -> models.IdentitySession:
        """The scripted identity; the reading is recorded."""
        assert self.identity is not None, "this test scripts no identity"
        self.attested.append((reader, holder, idempotency_key))
        return self.identity

    def report_face_attempt(
        self, session_id: str, attempt: models.FaceAttemptReport, *, idempotency_key: str
    ) -> models.AccessToken:
        """A pass for a score of 0.5 and more with liveness; else face_rejected (recorded)."""
        self.face_attempts.append(attempt)
        if attempt.liveness_passed and attempt.score >= 0.5:
            return models.AccessToken("tok", 600)
        left = max(0, 3 - len(self.face_attempts))
        raise errors.PlatformRejected("face_rejected", "not passed", status=403, attempts_left=left)

    def send_otp(self, session_id: str) -> int:
        """Sent; another in a minute."""
        return 60

    def verify_otp(self, session_id: str, code: str) -> models.AccessToken:
        """Any code passes."""
        return models.AccessToken("tok", 600)

    def staff_assist(self, session_id: str, staff_id: str, staff_pin: str) -> models.AccessToken:
        """Any staff member passes."""
        return models.AccessToken("tok", 600)

    def end_session(self, session_id: str) -> None:
        """Recorded."""
        self.ended.append(session_id)

    def fetch_report(self, token: str) -> report_model.Report:
        """The scripted report."""
        assert self.report is not None, "this test scripts no report"
        return self.report

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
        """Recorded, unless ``kind`` is refused."""
        if kind in self.refuse_prints:
            raise errors.PlatformRejected("bad_request", f"{kind} not recorded", status=400)
        self.prints.append(PrintRecord(report_id, kind, copies))

    def create_objection(
        self, token: str, report_id: str, record_id: str, reason: str, idempotency_key: str
    ) -> models.Objection:
        """Received."""
        self.objections.append((report_id, record_id, reason))
        return models.Objection("O-1", "received")

    def share_report(self, token: str, report_id: str) -> models.ShareLink:
        """The scripted link."""
        self.shares += 1
        assert self.link is not None, "this test scripts no link"
        return self.link

    def repair_guide(self, guide_id: str) -> models.RepairGuide:
        """The one guide it knows."""
        assert self.guide is not None and guide_id == self.guide.guide_id, guide_id
        return self.guide


class KeptGuides:
    """``ports.KeptContent``: the repair guides given, nothing else."""

    def __init__(self, *guides: models.RepairGuide) -> None:
        self._guides = {g.guide_id: g for g in guides}

    def repair_guide(self, guide_id: str) -> models.RepairGuide | None:
        """The kept guide, or None."""
        return self._guides.get(guide_id)


class CountingBuffer:
    """``ports.SealedBuffer``: counts the wipes (each session end asks for one)."""

    def __init__(self) -> None:
        self.wipes = 0

    def wipe(self) -> None:
        """Count one wipe."""
        self.wipes += 1


@dataclasses.dataclass
class RefusingSubmitter:
    """``kiosk.offline.sender.Submitter`` that refuses any audit batch holding ``bad`` as a
    whole (like the platform's 400), any print record as malformed, objections as an
    outage and heartbeats as not enrolled."""

    bad: str
    batches: list[list[str]] = dataclasses.field(default_factory=list)

    def record_print(self, token: str, report_id: str, **kwargs: Any) -> None:
        raise ValueError("copies must be 1 to 10")

    def create_objection(
        self, token: str, report_id: str, record_id: str, reason: str, idempotency_key: str
    ) -> Objection:
        raise errors.PlatformUnavailable("down")

    def send_audit_events(self, events: list[AuditEvent]) -> AuditResult:
        ids = [e.event_id for e in events]
        self.batches.append(ids)
        if self.bad in ids:
            raise errors.PlatformRejected("invalid_request", status=400)
        return AuditResult(tuple(ids), ())

    def heartbeat(
        self,
        version: str,
        devices: Mapping[str, Any],
        outbox_backlog: int,
        hardware: Mapping[str, Any] | None = None,
    ) -> None:
        raise errors.NotEnrolled("no credentials")


def services(
    *,
    reader: card_reader.CardReader | None = None,
    platform: ports.Platform | None = None,
    printer: receipt_printer.ReceiptPrinter | None = None,
    a4_printer: ports.A4Printer | None = None,
    kept_content: ports.KeptContent | None = None,
    certified_reader: ports.CertifiedReader | None = None,
    face: ports.FaceChecker | None = None,
    report_buffer: ports.SealedBuffer | None = None,
) -> controller.Services:
    """``Services`` made of fakes; whatever is not given does nothing or fails loudly."""
    return controller.Services(
        reader=reader or NoReader(),
        platform=platform or Platform(),
        printer=printer,
        terminal_id="T1",
        verify_url="https://example.invalid/v1/verify",
        kept_content=kept_content or KeptGuides(),
        report_buffer=report_buffer or CountingBuffer(),
        trust_anchors=TrustAnchors(None),
        a4_printer=a4_printer,
        certified_reader=certified_reader,
        face=face,
    )


def check_fakes_fit() -> None:
    """Never called: mypy checks each fake against its port here."""
    _reader: card_reader.CardReader = NoReader()
    _printer: receipt_printer.ReceiptPrinter = RecordingPrinter()
    _platform: ports.Platform = Platform()
    _kept: ports.KeptContent = KeptGuides()
    _buffer: ports.SealedBuffer = CountingBuffer()
    _submitter: sender.Submitter = RefusingSubmitter(bad="")
    _certified: ports.CertifiedReader = CertifiedReader()
    _face: ports.FaceChecker = FaceChecker()
