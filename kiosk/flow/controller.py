"""Runs the session: feeds events to ``session.transition`` and carries out its effects.

Call ``handle`` only on the core's thread (the GUI thread in the app). Card events may arrive
from the reader's monitor thread through ``on_card_event``, which hops to the core's thread
first. Effects run on ``TaskRunner`` lanes; their results come back as events. A result from a
session that has already ended is dropped, so a slow answer never leaks into the next resident's
session.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Callable
from typing import Any

from devices import card_reader, receipt_printer, rid_card
from devices import errors as device_errors
from kiosk import errors, memory
from kiosk.card import identity as card_identity
from kiosk.card import trust_anchors as trust_anchors_mod
from kiosk.flow import ports, runtime, session
from kiosk.flow.runtime import Lane
from kiosk.platform import models
from kiosk.platform import report as report_model
from kiosk.printing import receipt, report_pdf

log = logging.getLogger(__name__)

Listener = Callable[[session.SessionState], None]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Services:
    """What the session needs from the outside world."""

    reader: card_reader.CardReader
    platform: ports.Platform
    printer: receipt_printer.ReceiptPrinter | None
    terminal_id: str
    verify_url: str  # base of the public verification page; the code is appended
    kept_content: ports.KeptContent  # repair guides while the platform cannot be reached
    report_buffer: ports.SealedBuffer  # wiped at every session end
    trust_anchors: trust_anchors_mod.TrustAnchors  # card issuer CAs, kept for offline use
    paper_columns: int = 48
    hotline: str = "12345"
    a4_printer: ports.A4Printer | None = None  # the full report on A4, where a hall has one
    # A reader with a security module (``Rules.certified_reader``), and its model as declared.
    certified_reader: ports.CertifiedReader | None = None
    reader_model: str = ""
    face: ports.FaceChecker | None = None  # camera and face engine; None: no face check here

    @property
    def a4_available(self) -> bool:
        """Whether the full report is printed on A4 too (the receipt then needn't say where)."""
        return self.a4_printer is not None


class SessionController:
    """Owns the ``SessionState``; the UI observes it through listeners."""

    def __init__(
        self,
        services: Services,
        *,
        rules: session.Rules,
        dispatcher: runtime.Dispatcher,
        clock: runtime.Clock,
        runner: runtime.Runner,
    ) -> None:
        self._services = services
        self._rules = rules
        self._dispatcher = dispatcher
        self._clock = clock
        self._runner = runner
        self._state = session.SessionState(
            resident=session.Resident(elder_mode=rules.elder_default)
        )
        self._listeners: list[Listener] = []
        self._queue: collections.deque[session.Event] = collections.deque()
        self._busy = False
        self._timer: runtime.Cancellable | None = None
        self._staff_call_timer: runtime.Cancellable | None = None
        self._resend_timer: runtime.Cancellable | None = None
        self._serial = 0  # bumped whenever a session ends; stale results carry an old one
        self._stopped = False
        # lane -> when and what last failed there (an exception class name, nothing personal);
        # the staff screen shows it as each device's "last error".
        self.last_errors: dict[Lane, tuple[dt.datetime, str]] = {}

    @property
    def state(self) -> session.SessionState:
        """The current state (immutable)."""
        return self._state

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(state)`` after every change, on the core's thread."""
        self._listeners.append(listener)

    def start(self) -> None:
        """Start watching the card reader."""
        self._services.reader.start(self.on_card_event)

    def stop(self) -> None:
        """Stop the reader, timers and workers; later events are ignored."""
        if self._stopped:
            return
        self._stopped = True
        self._services.reader.stop()
        for timer in (self._timer, self._staff_call_timer, self._resend_timer):
            if timer is not None:
                timer.cancel()
        self._runner.shutdown(wait=False)

    def on_card_event(self, event: card_reader.CardEvent) -> None:
        """Reader-thread entry point: hop to the core's thread, then handle."""
        if isinstance(event, card_reader.CardInserted):
            self._dispatcher.post(lambda: self.handle(session.CardInserted()))
        elif isinstance(event, card_reader.CardRemoved):
            self._dispatcher.post(lambda: self.handle(session.CardRemoved()))
        elif isinstance(event, card_reader.ReaderReady):
            log.info("card reader ready: %s", event.reader)
            self._dispatcher.post(lambda: self.handle(session.ReaderStatusChanged(ready=True)))
        else:
            log.warning("card reader unavailable: %s", event.reason)
            reason = event.reason
            self._dispatcher.post(
                lambda: self.handle(session.ReaderStatusChanged(ready=False, reason=reason))
            )

    def handle(self, event: session.Event) -> None:
        """Process ``event`` and everything it causes, one event at a time."""
        if self._stopped:
            return
        self._queue.append(event)
        if self._busy:  # run to completion: never re-enter transition()
            return
        self._busy = True
        try:
            while self._queue:
                self._step(self._queue.popleft())
        finally:
            self._busy = False

    # ------------------------------------------------------------ internals
    def _step(self, event: session.Event) -> None:
        old = self._state
        new, effects = session.transition(old, event, self._rules)
        if new is old and not effects:
            return
        if new.phase is session.Phase.IDLE and old.phase is not session.Phase.IDLE:
            self._serial += 1
            self._wipe_report_buffer()
        if new.phase is not old.phase:
            log.info(
                "session %s -> %s on %s", old.phase.value, new.phase.value, type(event).__name__
            )
        if new.phase is session.Phase.IDLE and self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._state = new
        if old.step.pending is session.Pending.FACE and new.step.pending is not (
            session.Pending.FACE
        ):
            # The camera is on only while the face page waits for it: whatever moved the
            # resident on (another way, the card out, a timeout) stops the attempt.
            self._stop_face()
        for effect in effects:
            self._run(effect)
        if dataclasses.replace(new, timer=old.timer) == old:
            return  # only the inactivity timer restarted: nothing on screen changes
        for listener in list(self._listeners):
            listener(new)

    def _submit(self, lane: Lane, work: Callable[[], session.Event]) -> None:
        serial = self._serial
        if lane is Lane.NET:
            work = self._reporting_waits(work)

        def done(event: session.Event) -> None:
            if serial == self._serial:
                self.handle(event)

        self._runner.submit(lane, work, done, self._failure_handler(lane))

    def _failure_handler(self, lane: Lane) -> Callable[[BaseException], None]:
        """What a lane's failure becomes: ``Failed`` for the session that started the work
        (a session that has ended does not see it), and a log line."""
        serial = self._serial

        def failed(exc: BaseException) -> None:
            self.last_errors[lane] = (dt.datetime.now(dt.UTC), type(exc).__name__)
            if isinstance(exc, errors.KioskError | device_errors.DeviceError):
                log.warning("%s work failed: %s", lane, exc)
            else:  # a bug: keep the traceback
                log.error("unexpected error in %s work", lane, exc_info=exc)
            if serial == self._serial:
                self.handle(session.Failed(exc))

        return failed

    def _run(self, effect: session.Effect) -> None:  # noqa: C901 - one case per effect
        services = self._services
        match effect:
            case session.StartTimer() | session.StartStaffCallTimer() | session.StartResendTimer():
                self._start_timer(effect)
            case session.FetchChallenge():
                self._submit(
                    Lane.NET, lambda: session.ChallengeReady(services.platform.challenge())
                )
            case session.ReadCard(challenge=challenge):
                self._submit(Lane.CARD, lambda: self._read_card(challenge))
            case session.ReadCertifiedCard():
                self._submit(Lane.CARD, self._read_certified_card)
            case session.AttestIdentity(evidence=certified):
                self._submit(Lane.NET, lambda: self._attest_identity(certified))
            case session.SignChallenge(evidence=evidence, challenge=challenge):
                self._submit(Lane.CARD, lambda: self._sign_challenge(evidence, challenge))
            case session.VerifyIdentity(evidence=evidence, may_renew=may_renew):
                self._submit(Lane.NET, lambda: self._verify_identity(evidence, may_renew))
            case session.SendOtp(session_id=sid):
                self._submit(Lane.NET, lambda: session.OtpSent(services.platform.send_otp(sid)))
            case session.VerifyOtp(session_id=sid, code=code):
                self._submit(
                    Lane.NET,
                    lambda: session.AccessGranted(services.platform.verify_otp(sid, code).token),
                )
            case session.StaffAssist(session_id=sid, staff_id=staff_id, pin=pin):
                self._submit(
                    Lane.NET,
                    lambda: session.AccessGranted(
                        services.platform.staff_assist(sid, staff_id, pin).token
                    ),
                )
            case session.FetchReport(token=token):
                self._submit(
                    Lane.NET,
                    lambda: session.ReportLoaded(services.platform.fetch_report(token)),
                )
            case session.CheckPrinter():
                self._submit(Lane.PRINT, self._check_printer)
            case session.RecordPrint(token=token, report_id=report_id):
                self._submit(Lane.NET, lambda: self._record_print(token, report_id))
            case session.PrintReport(report=report, large_print=large, a4=a4):
                progress = self._poster()
                self._submit(Lane.PRINT, lambda: self._print(report, large, a4, progress))
            case session.FetchRepairGuide(record_id=record_id, guide_id=guide_id, for_slip=slip):
                self._submit(
                    Lane.NET,
                    lambda: session.RepairGuideLoaded(
                        record_id, self._repair_guide(guide_id), for_slip=slip
                    ),
                )
            case session.SendDispute(
                token=token, report_id=report_id, record_id=record_id, reason=reason
            ):
                self._submit(
                    Lane.NET,
                    lambda: self._send_dispute(token, report_id, record_id, reason),
                )
            case session.ShareReport(token=token, report_id=report_id):
                self._submit(
                    Lane.NET,
                    lambda: session.ShareReady(services.platform.share_report(token, report_id)),
                )
            case session.PrintRepairSlip(
                report=report, record_id=record_id, guide=guide, large_print=large
            ):
                self._submit(
                    Lane.PRINT,
                    lambda: self._print_repair_slip(report, record_id, guide, large),
                )
            case session.RunFaceCheck(photo=photo, timeout_s=timeout_s):
                self._run_face_check(photo, timeout_s)
            case session.ReportFaceAttempt(session_id=sid, attempt=attempt):
                key = uuid.uuid4().hex  # one per attempt; the client's retries keep it
                self._submit(
                    Lane.NET,
                    lambda: session.AccessGranted(
                        services.platform.report_face_attempt(
                            sid, attempt, idempotency_key=key
                        ).token
                    ),
                )
            case session.EndPlatformSession(session_id=sid):
                self._runner.submit(
                    Lane.NET,
                    lambda: services.platform.end_session(sid),
                    _ignore,
                    _log_end_failure,
                )

    def _reporting_waits(self, work: Callable[[], session.Event]) -> Callable[[], session.Event]:
        """Net-lane work whose platform calls tell this session when the platform asked them
        to wait (``PlatformBusy``: the screen says "please wait"). The net lane is the only
        user of ``services.platform``, one task at a time, so the hook is set per task."""
        post = self._poster()
        platform = self._services.platform

        def run() -> session.Event:
            platform.on_wait = lambda seconds: post(session.PlatformBusy(seconds))
            try:
                return work()
            finally:
                platform.on_wait = None

        return run

    def _poster(self) -> Callable[[session.Event], None]:
        """For a lane's work: report an intermediate event to this session only (a session
        that has ended by then does not see it)."""
        serial = self._serial

        def post(event: session.Event) -> None:
            def deliver() -> None:
                if serial == self._serial:
                    self.handle(event)

            self._dispatcher.post(deliver)

        return post

    def _start_timer(
        self,
        effect: session.StartTimer | session.StartStaffCallTimer | session.StartResendTimer,
    ) -> None:
        """The inactivity timer, the staff call's and the SMS resend wait: one of each runs
        at a time (a stale resend wait is ignored by the session: it names its wait)."""
        if isinstance(effect, session.StartResendTimer):
            if self._resend_timer is not None:
                self._resend_timer.cancel()
            ready = session.ResendReady(effect.session_id, effect.wait)
            self._resend_timer = self._clock.call_later(effect.seconds, lambda: self.handle(ready))
            return
        if isinstance(effect, session.StartStaffCallTimer):
            if self._staff_call_timer is not None:
                self._staff_call_timer.cancel()
            expired = session.StaffCallExpired(effect.call)
            self._staff_call_timer = self._clock.call_later(
                effect.seconds, lambda: self.handle(expired)
            )
            return
        if self._timer is not None:
            self._timer.cancel()
        fired: session.Event = (
            session.WarnInactive(effect.timer) if effect.warn else session.TimedOut(effect.timer)
        )
        self._timer = self._clock.call_later(effect.seconds, lambda: self.handle(fired))

    def _read_card(self, challenge: models.Challenge) -> session.Event:
        """Card lane: the card's files and its signature of the platform's challenge."""
        connection = self._services.reader.connect()
        try:
            files = rid_card.read_identity_files(connection)
            signature = rid_card.internal_authenticate(connection, challenge.challenge)
        finally:
            connection.close()
        return session.CardRead(
            session.CardEvidence(
                holder=files.holder,
                card_cert=files.card_cert,
                sod=files.sod,
                signature=signature,
                challenge=challenge.challenge,
                ticket=challenge.ticket,
            )
        )

    def _read_certified_card(self) -> session.Event:
        """Card lane: the certified reader's reading, and the checks its text allows (the
        security module vouched for the card itself)."""
        reader = self._services.certified_reader
        if reader is None:
            raise device_errors.DeviceUnavailable("no certified reader is configured")
        reading = reader.read_identity()
        sam_id = reader.security_module_id()
        text = reading.text
        holder = card_identity.holder_from_security_module(
            text, today_cst=card_identity.today_in_china()
        )
        log.info("card checks passed for %s (security module)", holder.id_masked)
        return session.CertifiedCardRead(
            session.CertifiedEvidence(
                holder=models.AttestedHolder(
                    document=text.document,
                    id_number=holder.id_number,
                    name=text.name,
                    valid_from=text.valid_from,
                    valid_until=text.valid_until,
                ),
                reader=models.ReaderDeclaration(
                    "security_module", self._services.reader_model, sam_id
                ),
                read_at=dt.datetime.now(card_identity.CST),
                idempotency_key=uuid.uuid4().hex,
                photo_block=reading.photo_block,
            )
        )

    def _stop_face(self) -> None:
        if self._services.face is not None:
            self._services.face.cancel()

    def _run_face_check(self, photo: session.CardPhoto, timeout_s: float) -> None:
        """The card photo on the card lane (read from the card, or decoded from the block
        the certified reader gave), then the attempt on the face lane. The photo travels
        from one to the other in this closure only: never in the state, never on disk."""
        face = self._services.face
        serial = self._serial
        post = self._poster()

        def read_photo() -> bytes:
            if face is None:
                raise errors.FaceCheckUnavailable("no camera or face engine on this kiosk")
            if photo.block is not None:
                reader = self._services.certified_reader
                if reader is None:
                    raise errors.FaceCheckUnavailable("no certified reader to decode the photo")
                return reader.decode_photo(photo.block)
            connection = self._services.reader.connect()
            try:
                rid_card.select_application(connection)
                data = rid_card.read_file(connection, rid_card.FID_PHOTO)
            finally:
                connection.close()
            if hashlib.sha256(data).hexdigest() != photo.sha256:
                # Not the photo the SOD signed: a forged card (id-card-profile, check 2).
                raise errors.CardInvalid("photo_hash")
            return card_identity.photo_image(data)

        def attempt(image: bytes) -> session.Event:
            assert face is not None
            result = face.run_attempt(
                image,
                photo.sha256,
                timeout_s=timeout_s,
                on_prompt=lambda prompt: post(session.FacePrompted(prompt)),
            )
            return session.FaceAttemptDone(
                score=result.score,
                liveness_passed=result.liveness_passed,
                liveness_reason=None
                if result.liveness_reason is None
                else str(result.liveness_reason),
                reference_sha256=result.reference_sha256,
            )

        def photo_read(image: bytes) -> None:
            if serial != self._serial or self._state.step.pending is not session.Pending.FACE:
                return  # the resident moved on while the photo was read
            self._submit(Lane.FACE, lambda: attempt(image))

        self._runner.submit(Lane.CARD, read_photo, photo_read, self._failure_handler(Lane.CARD))

    def _attest_identity(self, evidence: session.CertifiedEvidence) -> session.Event:
        """Net lane: the platform opens the session of a certified reading (retried with the
        same key after a network error, so the card is not read again)."""
        try:
            identity = self._services.platform.attest_identity(
                evidence.reader,
                evidence.holder,
                read_at=evidence.read_at,
                idempotency_key=evidence.idempotency_key,
            )
        except errors.PlatformRejected as exc:
            if exc.code != errors.PlatformCode.NOT_FOUND:
                raise
            # A v1 platform has no identity/attest (spec v1.2 intro): it takes no
            # certified reading, which is what the resident and staff need to hear.
            raise errors.PlatformRejected(
                errors.PlatformCode.ATTESTATION_NOT_ALLOWED,
                "the platform has no identity/attest (API v1)",
                status=exc.status,
                reason="platform_v1",
            ) from exc
        reader = self._services.certified_reader
        decodable = reader is not None and reader.can_decode_photos
        photo = session.CardPhoto(
            hashlib.sha256(evidence.photo_block).hexdigest(), evidence.photo_block
        )
        return session.IdentityVerified(
            identity, card_photo=photo, face_ready=decodable and self._face_ready()
        )

    def _face_ready(self) -> bool:
        """Whether this kiosk can do the face check now (asked when the identity arrives)."""
        return self._services.face is not None and self._services.face.ready()

    def _sign_challenge(
        self, evidence: session.CardEvidence, challenge: models.Challenge
    ) -> session.Event:
        """Card lane: the card still on the reader signs a new challenge (files already read;
        the platform checks the signature against the same EF.CARDCERT, so a swapped card
        fails there)."""
        connection = self._services.reader.connect()
        try:
            rid_card.select_application(connection)
            signature = rid_card.internal_authenticate(connection, challenge.challenge)
        finally:
            connection.close()
        return session.CardRead(
            dataclasses.replace(
                evidence,
                signature=signature,
                challenge=challenge.challenge,
                ticket=challenge.ticket,
            )
        )

    def _verify_identity(self, evidence: session.CardEvidence, may_renew: bool) -> session.Event:
        """Net lane: the terminal's own checks first, then the platform's."""
        holder = self._check_card(evidence)
        log.info("card checks passed for %s", holder.id_masked)
        try:
            identity = self._services.platform.verify_identity(
                evidence.ticket,
                holder=evidence.holder,
                card_cert=evidence.card_cert,
                sod=evidence.sod,
                signature=evidence.signature,
            )
        except errors.PlatformError as exc:
            # The ticket is spent by any attempt (spec §2): a verify lost to a 503 or the
            # network, or a ticket that ran out, is tried once more with a new challenge
            # rather than sending the resident back to the card slot.
            renewable = isinstance(exc, errors.PlatformUnavailable) or (
                isinstance(exc, errors.PlatformRejected)
                and exc.code == errors.PlatformCode.TICKET_EXPIRED
            )
            if not (may_renew and renewable):
                raise
            log.info("identity/verify did not go through (%s): new challenge", exc)
            return session.ChallengeRenewed(evidence, self._services.platform.challenge())
        # EF.PHOTO is not read now: only after the resident agrees to the face check.
        photo = session.CardPhoto(card_identity.sod_photo_sha256(evidence.sod))
        return session.IdentityVerified(identity, card_photo=photo, face_ready=self._face_ready())

    def _check_card(self, evidence: session.CardEvidence) -> card_identity.Holder:
        """Net lane: the card profile's checks against the issuer CAs in force; a card of a
        CA the kiosk does not know makes it look again (at most once a minute) first."""
        anchors = self._services.trust_anchors
        platform = self._services.platform

        def check(trusted: list[bytes]) -> card_identity.Holder:
            return card_identity.check_card(
                rid_card.CardFiles(
                    holder=evidence.holder, card_cert=evidence.card_cert, sod=evidence.sod
                ),
                signature=evidence.signature,
                challenge=evidence.challenge,
                trust_anchors=trusted,
                today_cst=card_identity.today_in_china(),
            )

        try:
            return check(anchors.current(platform))
        except errors.CardInvalid as exc:
            if exc.reason != "unknown_issuer":
                raise
            fresh = anchors.refresh_for_unknown_issuer(platform)
            if fresh is None:
                raise
            return check(fresh)

    def _send_dispute(
        self, token: str, report_id: str, record_id: str, reason: str
    ) -> session.Event:
        """Net lane: the dispute goes to the platform now, with the resident's token; the
        screen says it was received only once the platform answered (retries keep the key,
        so the platform keeps one objection)."""
        objection = self._services.platform.create_objection(
            token, report_id, record_id, reason, str(uuid.uuid4())
        )
        log.info(
            "dispute of record %s in report %s received (%s)",
            record_id,
            report_id,
            objection.objection_id,
        )
        return session.DisputeSent(record_id)

    def _printer(self) -> receipt_printer.ReceiptPrinter:
        printer = self._services.printer
        if printer is None:
            raise device_errors.PrinterOffline("no receipt printer is configured")
        return printer

    def _repair_guide(self, guide_id: str) -> models.RepairGuide:
        """Net lane: the platform's repair guide, or the kept copy while it cannot be reached."""
        try:
            return self._services.platform.repair_guide(guide_id)
        except errors.PlatformUnavailable:
            kept = self._services.kept_content.repair_guide(guide_id)
            if kept is None:
                raise
            log.info("platform away: repair guide %s from the kept content", guide_id)
            return kept

    def _print_repair_slip(
        self,
        report: report_model.Report,
        record_id: str,
        guide: models.RepairGuide,
        large: bool,
    ) -> session.Event:
        """Print lane: the repair guide of one negative record, on a slip to take home."""
        record = next(r for s in report.sections for r in s.records if r.record_id == record_id)
        job = receipt.build_repair_slip(
            report,
            record,
            guide,
            terminal_id=self._services.terminal_id,
            guide_url=receipt.guide_link(self._services.verify_url, guide.guide_id),
            columns=self._services.paper_columns,
            large_print=large,
            printed_at=dt.datetime.now(dt.UTC),
            hotline=self._services.hotline,
        )
        self._printer().print_job(job)
        return session.SlipPrinted(record_id)

    def _check_printer(self) -> session.Event:
        """Print lane: paper and cover, before the platform is told of a copy. An unknown
        status goes on: the job itself refuses it where the printer must answer."""
        receipt_printer.raise_unless_ready(self._printer().status())
        return session.PrinterReady()

    def _record_print(self, token: str, report_id: str) -> session.Event:
        """Net lane: the platform records the copies before any paper comes out, so a printed
        report the platform does not know of never exists. The receipt's record must succeed;
        the A4 copy is printed only if its own record succeeded too."""
        printed_at = dt.datetime.now(dt.UTC)

        def record(kind: str) -> None:
            self._services.platform.record_print(
                token,
                report_id,
                copies=1,
                kind=kind,
                printed_at=printed_at,
                idempotency_key=str(uuid.uuid4()),  # one copy, one key: retries keep it
            )

        record(PRINT_KIND_RECEIPT)
        if self._services.a4_printer is None:
            return session.PrintRecorded(a4=False)
        try:
            record(PRINT_KIND_A4)
        except errors.PlatformError as exc:
            log.warning("A4 copy of %s not recorded, so not printed: %s", report_id, exc)
            return session.PrintRecorded(a4=False)
        return session.PrintRecorded(a4=True)

    def _print(
        self,
        report: report_model.Report,
        large: bool,
        a4: bool,
        progress: Callable[[session.Event], None],
    ) -> session.Event:
        """Print lane: the receipt, then the A4 report when ``a4`` (both recorded already).
        ``progress`` tells the screen how far it got."""
        printer = self._printer()
        printed_at = dt.datetime.now(dt.UTC)
        job = receipt.build_receipt(
            report,
            terminal_id=self._services.terminal_id,
            verify_url=verify_link(self._services.verify_url, report.verification_code),
            columns=self._services.paper_columns,
            large_print=large,
            printed_at=printed_at,
            hotline=self._services.hotline,
            a4_available=a4,
        )
        printer.print_job(
            job, on_started=lambda: progress(session.PrintProgress(session.PrintStage.RECEIPT))
        )
        if a4:
            progress(session.PrintProgress(session.PrintStage.A4))
            self._print_a4(report, printed_at)
        return session.Printed()

    def _print_a4(self, report: report_model.Report, printed_at: dt.datetime) -> None:
        """The full report on A4 after the receipt. A failure is logged for staff, not shown:
        the resident already holds the receipt, and a retry would print it a second time."""
        a4 = self._services.a4_printer
        if a4 is None:
            return
        pdf = report_pdf.render_pdf(
            report,
            terminal_id=self._services.terminal_id,
            verify_url=verify_link(self._services.verify_url, report.verification_code),
            now=printed_at,
        )
        try:
            a4.print_pdf(pdf, title=f"个人公共信用报告 {report.report_id}")
        except device_errors.PrinterError as exc:
            log.warning("A4 report %s not printed: %s", report.report_id, exc)

    def _wipe_report_buffer(self) -> None:
        """Session over: the sealed report buffer is emptied and the memory the session freed
        goes back to the system (off the GUI thread)."""
        buffer = self._services.report_buffer

        def wipe() -> None:
            try:
                buffer.wipe()
            finally:
                memory.release_free_pages()

        self._runner.submit(Lane.PRINT, wipe, _ignore, _log_wipe_failure)


# ``kind`` of a print record (spec §5 names "receipt"; the A4 copy is a print of its own).
PRINT_KIND_RECEIPT = "receipt"
PRINT_KIND_A4 = "a4"


def verify_link(base: str, code: str) -> str:
    """The public verification URL printed as a QR code."""
    return f"{base.rstrip('/')}/{code}"


def _ignore(_: Any) -> None:
    return None


def _log_wipe_failure(exc: BaseException) -> None:
    log.error("report buffer not wiped at session end: %s", exc)


def _log_end_failure(exc: BaseException) -> None:
    log.warning("could not end the platform session: %s", exc)
