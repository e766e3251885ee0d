"""The resident session as a pure state machine: data, events, effects and one function.

``transition(state, event, rules)`` returns the next state and the effects to run; it does
no I/O, so every path of the journey is tested without Qt, threads or devices. The controller
(``kiosk.flow.controller``) runs the effects and feeds their results back in as events.

Journey: IDLE -> CONSENT -> READING_CARD -> VERIFYING -> SECOND_FACTOR -> REPORT -> PRINTING
-> DONE -> IDLE. Printing asks the printer first, then records the copy with the platform, and
only then prints: a printed report the platform does not know of never exists.
Nothing personal is read from the card before CONSENT is agreed to. Taking
the card out, or a timeout, ends the session from any phase and wipes what it held.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import math

from devices import errors as device_errors
from kiosk import errors
from kiosk.i18n import DEFAULT_LANGUAGE, LANGUAGES, QT_TRANSLATE_NOOP
from kiosk.platform import models, report, staff_assist_format


class Phase(enum.Enum):
    """Which screen the resident is on."""

    IDLE = "idle"
    CONSENT = "consent"
    READING_CARD = "reading_card"
    VERIFYING = "verifying"
    SECOND_FACTOR = "second_factor"
    REPORT = "report"
    PRINTING = "printing"
    DONE = "done"
    ERROR = "error"
    STAFF = "staff"  # hall staff's diagnostics (docs/staff.md); never shows resident data


class ReportView(enum.Enum):
    """What the report screen shows: the report, or one of its pages over it."""

    REPORT = "report"
    GUIDE = "guide"  # the repair guide of ``view_record``
    DISPUTE = "dispute"  # the dispute form of ``view_record``
    SHARE = "share"  # the one-time download link as a QR code (screen only, never printed)


# Why a resident disputes a record: the form's list (sent as text: the API has no codes).
DISPUTE_REASONS: tuple[tuple[str, str], ...] = (
    ("not_mine", QT_TRANSLATE_NOOP("Dispute", "这条记录不是我的")),
    ("wrong_facts", QT_TRANSLATE_NOOP("Dispute", "记录的内容（日期、金额、事由）有误")),
    ("already_done", QT_TRANSLATE_NOOP("Dispute", "我已经履行或整改完毕，记录没有更新")),
    ("past_term", QT_TRANSLATE_NOOP("Dispute", "已过公示期限，记录仍在公示")),
    ("other", QT_TRANSLATE_NOOP("Dispute", "其他原因")),
)
# A "resend_too_soon" without Retry-After (spec §3 promises one): the spec's example wait.
RESEND_WAIT_UNSAID_S = 60
DISPUTE_TEXT_MAX = 200  # characters of the resident's own words


class PrintStage(enum.Enum):
    """How far printing got, as the print lane reports it."""

    CHECKING = "checking"  # asking the printer whether it has paper and is closed
    RECORDING = "recording"  # telling the platform of the copy before any paper comes out
    RECEIPT = "receipt"  # the printer is ready: the receipt is going out
    A4 = "a4"  # the receipt is out; the full report goes to the A4 printer


class Pending(enum.Enum):
    """What the kiosk is waiting for on the current screen (a device or the platform)."""

    CARD = "card"  # the platform's challenge, then the card's files and signature
    VERIFY = "verify"  # the platform checking the card
    OTP_SEND = "otp_send"  # the SMS code being sent
    OTP_CHECK = "otp_check"  # the code the resident typed being checked
    STAFF_CHECK = "staff_check"  # a staff member's id and PIN being checked
    REPORT = "report"  # the report being fetched and its signature checked
    PRINT = "print"  # the printer, the platform's record of the copy, the paper
    GUIDE = "guide"  # a repair guide to show
    SLIP = "slip"  # a repair guide to print as a slip
    DISPUTE = "dispute"  # a dispute on its way to the platform
    SHARE = "share"  # a phone link being made
    FACE = "face"  # the card photo read, the camera on, the resident's face being checked
    FACE_CHECK = "face_check"  # the face check's outcome being reported to the platform


class Factor(enum.Enum):
    """Which second factor the resident is using."""

    CHOOSING = "choosing"
    SMS = "sms"
    STAFF = "staff"
    FACE = "face"


class FaceStage(enum.Enum):
    """Where the face check is (``Factor.FACE``)."""

    CONSENT = "consent"  # the platform's notice: agree, or choose another way
    PREPARING = "preparing"  # the card photo read, the camera starting
    LOOKING = "looking"  # the camera on: one instruction at a time
    CHECKING = "checking"  # the outcome on its way to the platform
    RETRY = "retry"  # not passed: hints, try again, or another way


# The face check the kiosk implements (platform-api §3b): the platform must list both.
FACE_MODEL = "sface-2021dec"
FACE_LIVENESS = "head_turn"


@dataclasses.dataclass(frozen=True, repr=False)
class CardPhoto:
    """The reference of the face check: which photo, and its SHA-256 as the platform knows it.

    RID-1 cards: ``block`` is None and EF.PHOTO is read only after the resident agreed; its
    hash must equal ``sha256`` (EF.SOD's tag 82). Certified readers: ``block`` is the photo
    block the reader gave with the text, kept in memory for this session only.
    """

    sha256: str
    block: bytes | None = None

    def __repr__(self) -> str:
        return f"CardPhoto({'block' if self.block is not None else 'EF.PHOTO'})"


@dataclasses.dataclass(frozen=True)
class CardEvidence:
    """What the card gave for one identity check; travels in events, never kept in state."""

    holder: bytes = dataclasses.field(repr=False)
    card_cert: bytes = dataclasses.field(repr=False)
    sod: bytes = dataclasses.field(repr=False)
    signature: bytes = dataclasses.field(repr=False)
    challenge: bytes = dataclasses.field(repr=False)
    ticket: str = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True, repr=False)
class CertifiedEvidence:
    """What a certified reader gave for one identity check (spec §2b); travels in events,
    never kept in state. ``idempotency_key`` is the attest call's: a retry after a network
    error answers the same session, so the card is not read again."""

    holder: models.AttestedHolder
    reader: models.ReaderDeclaration
    read_at: dt.datetime
    idempotency_key: str
    photo_block: bytes = b""  # the reader's photo block as given, for the face check

    def __repr__(self) -> str:
        return f"CertifiedEvidence({self.holder.document}, read at {self.read_at:%H:%M:%S})"


@dataclasses.dataclass(frozen=True)
class CardRefusal:
    """Why a card was refused: the profile's reason code and who refused it (``terminal``
    for the kiosk's own checks, ``platform``). Audited; nothing personal."""

    reason: str
    by: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class Hall:
    """What outlives every resident: staff's switch, the platform's reachability, a call for
    staff (staff are on their way even if the resident who called has gone)."""

    out_of_service: bool = False  # set by staff: no session starts
    online: bool = True  # the platform answers (kiosk.offline.monitor probes it)
    # The card reader can be used; when not, why (devices.card_reader.ReaderUnavailable's
    # reason: "no_reader", "service_down", "not_responding").
    reader_ready: bool = True
    reader_problem: str = ""
    # "Call staff" pressed: the banner shows until staff mode opens or the call times out.
    # ``staff_call`` numbers the calls.
    staff_called: bool = False
    staff_call: int = 0


@dataclasses.dataclass(frozen=True, kw_only=True)
class Resident:
    """One resident's session, and the only place personal data lives: when the session
    ends the resident is dropped and a new, empty one waits for the next person."""

    elder_mode: bool = False  # large text, voice, fewer steps (set on the idle screen too)
    language: str = DEFAULT_LANGUAGE  # the next resident starts in Chinese
    muted: bool = False  # voice prompts silenced
    identity: models.IdentitySession | None = None
    access_token: str | None = dataclasses.field(default=None, repr=False)
    report: report.Report | None = dataclasses.field(default=None, repr=False)
    assisted_by: str | None = None  # staff id that confirmed the resident (for the audit)
    otp_sends: int = 0  # codes sent
    # Waits before another code begun: one per code sent with a wait, and one per send the
    # platform refused as too soon. The screen restarts its countdown at each; a timer of an
    # earlier wait is stale.
    resend_waits: int = 0
    printed: bool = False
    disputed: tuple[str, ...] = ()  # record ids the platform received disputes of
    # identity/verify did not go through (503, network, expired ticket) and the card signed
    # a new challenge once: a second failure ends the session.
    verify_renewed: bool = False
    # The face check: offered (the platform lists it, the kiosk can do it, the camera works),
    # the card photo to compare with, when the resident agreed, attempts the platform allows.
    face_offered: bool = False
    card_photo: CardPhoto | None = dataclasses.field(default=None, repr=False)
    face_consented_at: dt.datetime | None = None
    face_attempts_left: int = 0


@dataclasses.dataclass(frozen=True, kw_only=True)
class Step:
    """The current screen: what it shows and what it waits for. It lasts as long as the
    screen, and goes with the resident when the session ends."""

    pending: Pending | None = None  # what the kiosk waits for on this screen
    message: errors.UserMessage | None = None
    factor: Factor = Factor.CHOOSING
    otp_sent: bool = False
    resend_after_s: int = 0  # the platform's wait before another code, as last told
    resend_ready: bool = False  # that wait is over: "send the code again" may be pressed
    staff_entered: str | None = None  # staff id typed on the staff form, until it is checked
    print_stage: PrintStage = PrintStage.CHECKING
    slip_printed: str | None = None  # record id of the last repair slip printed, for the notice
    dispute_sent: str | None = None  # record id of the dispute the platform just received
    view: ReportView = ReportView.REPORT
    view_record: str | None = None  # the record the guide or dispute page is about
    guide: models.RepairGuide | None = None  # the guide of ``view_record``, once loaded
    share: models.ShareLink | None = dataclasses.field(default=None, repr=False)
    limit_s: float = 0  # the running inactivity limit (the done screen counts it down)
    # "Are you still there?": seconds left when the warning came up (0: no warning showing).
    # The session ends when the timer of this generation fires again; the screen counts down.
    still_there_s: int = 0
    # The platform asked the kiosk to wait (429, or 503 with Retry-After) and the call goes
    # again after the wait: the screen says "please wait". Cleared by the call's result.
    platform_busy: bool = False
    card_refused: CardRefusal | None = None  # on the error screen of a refused card
    face_stage: FaceStage = FaceStage.CONSENT
    face_prompt: str | None = None  # kiosk.face.liveness.Prompt's value while the camera is on
    face_failure: str | None = None  # why the last attempt failed (liveness reason, "score")

    @property
    def busy(self) -> bool:
        """Whether the kiosk waits for a device or the platform on this screen."""
        return self.pending is not None

    @property
    def code_waits(self) -> bool:
        """The platform said "too soon" before a code came on this screen: it goes by itself
        once ``resend_after_s`` is over."""
        return (
            not self.otp_sent
            and not self.busy
            and not self.resend_ready
            and self.resend_after_s > 0
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class SessionState:
    """Everything the UI renders, in three lifetimes: the hall (outlives every resident),
    the resident (one session), and the step (the current screen)."""

    phase: Phase = Phase.IDLE
    timer: int = 0  # generation of the running inactivity timer; stale timers are ignored
    hall: Hall = Hall()
    resident: Resident = Resident()
    step: Step = Step()


# Events are facts: what happened.
@dataclasses.dataclass(frozen=True)
class CardInserted:
    """A card was put in the reader."""


@dataclasses.dataclass(frozen=True)
class CardRemoved:
    """The card was taken out."""


@dataclasses.dataclass(frozen=True)
class ConsentGiven:
    """The resident agreed to the privacy notice."""


@dataclasses.dataclass(frozen=True)
class ConsentDeclined:
    """The resident declined."""


@dataclasses.dataclass(frozen=True)
class ChallengeReady:
    """The platform gave a challenge for the card to sign."""

    challenge: models.Challenge = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True)
class CardRead:
    """The card's files and its answer to the platform's challenge were read."""

    evidence: CardEvidence


@dataclasses.dataclass(frozen=True)
class CertifiedCardRead:
    """A certified reader read the card (its text passed the terminal's checks)."""

    evidence: CertifiedEvidence


@dataclasses.dataclass(frozen=True)
class ChallengeRenewed:
    """identity/verify did not go through (its ticket is spent) and a new challenge came:
    the card still on the reader signs it, and the same files are verified again."""

    evidence: CardEvidence
    challenge: models.Challenge = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True)
class IdentityVerified:
    """The platform accepted the card. ``face_ready``: this kiosk can do the face check now
    (camera and models); ``card_photo``: what it would compare with."""

    identity: models.IdentitySession
    card_photo: CardPhoto | None = None
    face_ready: bool = False


@dataclasses.dataclass(frozen=True)
class FaceChosen:
    """The resident chose the face check."""


@dataclasses.dataclass(frozen=True)
class FaceConsentGiven:
    """The resident agreed to the face check's notice, at ``at`` (sent with each attempt)."""

    at: dt.datetime


@dataclasses.dataclass(frozen=True)
class FaceDeclined:
    """The resident chose another way (on the notice, or while the camera was on)."""


@dataclasses.dataclass(frozen=True)
class FacePrompted:
    """The camera is on and the resident is asked ``prompt`` (``kiosk.face.liveness.Prompt``)."""

    prompt: str


@dataclasses.dataclass(frozen=True)
class FaceAttemptDone:
    """One attempt ran: the liveness verdict and the score (nothing else; no image)."""

    score: float
    liveness_passed: bool
    liveness_reason: str | None
    reference_sha256: str


@dataclasses.dataclass(frozen=True)
class FaceRetryRequested:
    """ "Try again" after an attempt the platform did not pass."""


@dataclasses.dataclass(frozen=True)
class SmsChosen:
    """The resident asked for an SMS code."""


@dataclasses.dataclass(frozen=True)
class StaffChosen:
    """The resident asked staff to confirm who they are."""


@dataclasses.dataclass(frozen=True)
class OtpSent:
    """The platform sent the SMS code."""

    resend_after_s: int


@dataclasses.dataclass(frozen=True)
class OtpEntered:
    """The resident typed a code."""

    code: str = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True)
class StaffConfirmed:
    """A staff member entered their id and PIN."""

    staff_id: str
    pin: str = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True)
class AccessGranted:
    """The second factor passed."""

    token: str = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True)
class ReportLoaded:
    """The signed report arrived and verified."""

    report: report.Report = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True)
class PrintRequested:
    """The resident pressed print."""


@dataclasses.dataclass(frozen=True)
class PrintProgress:
    """The print lane moved on to ``stage``."""

    stage: PrintStage


@dataclasses.dataclass(frozen=True)
class PrinterReady:
    """The printer answered that it has paper and its cover is closed."""


@dataclasses.dataclass(frozen=True)
class PrintRecorded:
    """The platform recorded the copies about to be printed; ``a4`` when the A4 copy too."""

    a4: bool = False


@dataclasses.dataclass(frozen=True)
class Printed:
    """The printer took the whole job."""


@dataclasses.dataclass(frozen=True)
class RepairSlipRequested:
    """The resident asked for the repair guide of one negative record on paper."""

    record_id: str


@dataclasses.dataclass(frozen=True)
class RepairGuideLoaded:
    """The repair guide for ``record_id`` arrived (from the platform or the kept content)."""

    record_id: str
    guide: models.RepairGuide
    for_slip: bool = True  # asked for to print the slip (else to show it)


@dataclasses.dataclass(frozen=True)
class SlipPrinted:
    """The repair slip of ``record_id`` came out of the printer."""

    record_id: str


@dataclasses.dataclass(frozen=True)
class RepairGuideRequested:
    """The resident opened the repair guide of one negative record."""

    record_id: str


@dataclasses.dataclass(frozen=True)
class DisputeRequested:
    """The resident opened the dispute form of one record."""

    record_id: str


@dataclasses.dataclass(frozen=True)
class DisputeSubmitted:
    """The resident sent the dispute form: a reason of ``DISPUTE_REASONS`` and own words."""

    reason: str
    text: str = dataclasses.field(default="", repr=False)


@dataclasses.dataclass(frozen=True)
class DisputeSent:
    """The platform received the dispute of ``record_id`` (it answered with an objection)."""

    record_id: str


@dataclasses.dataclass(frozen=True)
class ShareRequested:
    """The resident asked for the report on their phone."""


@dataclasses.dataclass(frozen=True)
class ShareReady:
    """The platform made a one-time download link."""

    link: models.ShareLink = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True)
class ViewClosed:
    """Back from the guide, dispute or phone page to the report."""


@dataclasses.dataclass(frozen=True)
class ResendRequested:
    """The resident asked for a new SMS code."""


@dataclasses.dataclass(frozen=True)
class LanguageChanged:
    """The resident switched the language of the screens (and of the voice)."""

    language: str


@dataclasses.dataclass(frozen=True)
class MuteToggled:
    """The voice prompts were silenced or switched back on."""


@dataclasses.dataclass(frozen=True)
class Finished:
    """The resident pressed "finish"."""


@dataclasses.dataclass(frozen=True)
class ElderModeToggled:
    """Large-text mode switched on or off."""


@dataclasses.dataclass(frozen=True)
class UserActive:
    """A touch: restart the inactivity timer."""


@dataclasses.dataclass(frozen=True)
class WarnInactive:
    """The inactivity timer of generation ``timer`` reached its warning point."""

    timer: int


@dataclasses.dataclass(frozen=True)
class TimedOut:
    """The inactivity timer of generation ``timer`` fired."""

    timer: int


@dataclasses.dataclass(frozen=True)
class StaffCallRequested:
    """Someone pressed "call staff" (in the header of every screen but staff mode's)."""


@dataclasses.dataclass(frozen=True)
class ResendReady:
    """The platform's wait before another code (``resend_after_s``) is over: the wait
    number ``wait`` (``Resident.resend_waits``) of platform session ``session_id``."""

    session_id: str
    wait: int


@dataclasses.dataclass(frozen=True)
class StaffCallExpired:
    """Call number ``call`` has been showing for ``Rules.staff_call_s``."""

    call: int


@dataclasses.dataclass(frozen=True)
class StaffModeRequested:
    """The hidden gesture or the service key combination: staff want in (PIN comes next)."""


@dataclasses.dataclass(frozen=True)
class StaffModeLeft:
    """Staff closed staff mode."""


@dataclasses.dataclass(frozen=True)
class OutOfServiceSet:
    """Staff switched out-of-service mode on or off."""

    on: bool


@dataclasses.dataclass(frozen=True)
class PlatformStatusChanged:
    """The platform became reachable, or stopped answering (the periodic probe)."""

    online: bool


@dataclasses.dataclass(frozen=True)
class ReaderStatusChanged:
    """The card reader became usable, or stopped being usable (``reason`` says why)."""

    ready: bool
    reason: str = ""


@dataclasses.dataclass(frozen=True)
class PlatformBusy:
    """The platform asked to wait ``seconds`` before the call in flight goes again."""

    seconds: float


@dataclasses.dataclass(frozen=True)
class Failed:
    """An effect failed; ``error`` says why (mapped to plain words here)."""

    error: BaseException


Event = (
    CardInserted
    | CardRemoved
    | ConsentGiven
    | ConsentDeclined
    | ChallengeReady
    | CardRead
    | CertifiedCardRead
    | ChallengeRenewed
    | IdentityVerified
    | SmsChosen
    | StaffChosen
    | OtpSent
    | OtpEntered
    | StaffConfirmed
    | AccessGranted
    | ReportLoaded
    | PrintRequested
    | PrintProgress
    | PrinterReady
    | PrintRecorded
    | Printed
    | RepairSlipRequested
    | RepairGuideLoaded
    | SlipPrinted
    | RepairGuideRequested
    | DisputeRequested
    | DisputeSubmitted
    | DisputeSent
    | ShareRequested
    | ShareReady
    | ViewClosed
    | ResendRequested
    | LanguageChanged
    | MuteToggled
    | Finished
    | ElderModeToggled
    | UserActive
    | WarnInactive
    | TimedOut
    | StaffCallRequested
    | StaffCallExpired
    | ResendReady
    | StaffModeRequested
    | StaffModeLeft
    | OutOfServiceSet
    | PlatformStatusChanged
    | ReaderStatusChanged
    | PlatformBusy
    | FaceChosen
    | FaceConsentGiven
    | FaceDeclined
    | FacePrompted
    | FaceAttemptDone
    | FaceRetryRequested
    | Failed
)


# Effects are commands: what the controller must do.
@dataclasses.dataclass(frozen=True)
class FetchChallenge:
    """Get a challenge for the card's active authentication from the platform."""


@dataclasses.dataclass(frozen=True)
class ReadCard:
    """Read the card: its files, and its signature of ``challenge`` (INTERNAL AUTHENTICATE)."""

    challenge: models.Challenge = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True)
class ReadCertifiedCard:
    """Have the certified reader read the card and check what its text allows."""


@dataclasses.dataclass(frozen=True)
class AttestIdentity:
    """Open the platform session of a card a certified reader read (spec §2b)."""

    evidence: CertifiedEvidence


@dataclasses.dataclass(frozen=True)
class SignChallenge:
    """Have the card on the reader sign a new challenge; its files were read already."""

    evidence: CardEvidence
    challenge: models.Challenge = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True)
class VerifyIdentity:
    """Check the card locally, then have the platform verify it. With ``may_renew``, a verify
    that does not go through fetches a new challenge (``ChallengeRenewed``) instead of failing.
    """

    evidence: CardEvidence
    may_renew: bool = True


@dataclasses.dataclass(frozen=True)
class SendOtp:
    """Ask the platform to send an SMS code."""

    session_id: str


@dataclasses.dataclass(frozen=True)
class VerifyOtp:
    """Check the typed SMS code."""

    session_id: str
    code: str = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True)
class StaffAssist:
    """Check a staff member's id and PIN."""

    session_id: str
    staff_id: str
    pin: str = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True)
class FetchReport:
    """Download and verify the signed report."""

    token: str = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True)
class CheckPrinter:
    """Ask the receipt printer whether it can print now (``PrinterReady``)."""


@dataclasses.dataclass(frozen=True)
class RecordPrint:
    """Tell the platform of the copies about to be printed (the receipt, and the A4 report
    where the hall has an A4 printer), before any paper comes out."""

    token: str = dataclasses.field(repr=False)
    report_id: str


@dataclasses.dataclass(frozen=True)
class PrintReport:
    """Print the receipt (and the A4 report when ``a4``), already recorded."""

    report: report.Report = dataclasses.field(repr=False)
    large_print: bool
    a4: bool = False


@dataclasses.dataclass(frozen=True)
class RunFaceCheck:
    """Read (RID-1) or decode (certified reader) the card photo, then one attempt with the
    camera on; the camera is off again when it returns."""

    photo: CardPhoto
    timeout_s: float


@dataclasses.dataclass(frozen=True)
class ReportFaceAttempt:
    """Report one attempt to the platform (every attempt, passed or not: spec §3b)."""

    session_id: str
    attempt: models.FaceAttemptReport


@dataclasses.dataclass(frozen=True)
class EndPlatformSession:
    """Tell the platform the session is over (DELETE)."""

    session_id: str


@dataclasses.dataclass(frozen=True)
class StartTimer:
    """(Re)start the inactivity timer; when it fires after ``seconds``, ``TimedOut(timer)``
    comes back, or ``WarnInactive(timer)`` if ``warn`` (the warning, not yet the end)."""

    seconds: float
    timer: int
    warn: bool = False


@dataclasses.dataclass(frozen=True)
class StartStaffCallTimer:
    """After ``seconds``, ``StaffCallExpired(call)`` comes back (separate from inactivity)."""

    seconds: float
    call: int


@dataclasses.dataclass(frozen=True)
class StartResendTimer:
    """After ``seconds``, ``ResendReady(session_id, wait)`` comes back."""

    seconds: float
    session_id: str
    wait: int


@dataclasses.dataclass(frozen=True)
class FetchRepairGuide:
    """Get one repair guide (net lane): the platform's, or the kept copy when it is away."""

    record_id: str
    guide_id: str
    for_slip: bool = True  # print it when it arrives (else show it)


@dataclasses.dataclass(frozen=True)
class SendDispute:
    """Send a dispute to the platform with the resident's token (``DisputeSent`` once it
    answered)."""

    token: str = dataclasses.field(repr=False)
    report_id: str
    record_id: str
    reason: str = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True)
class ShareReport:
    """Ask the platform for a one-time download link of the report."""

    token: str = dataclasses.field(repr=False)
    report_id: str


@dataclasses.dataclass(frozen=True)
class PrintRepairSlip:
    """Print the repair slip of one record (print lane; not recorded with the platform)."""

    report: report.Report = dataclasses.field(repr=False)
    record_id: str
    guide: models.RepairGuide
    large_print: bool


Effect = (
    FetchChallenge
    | ReadCard
    | ReadCertifiedCard
    | AttestIdentity
    | SignChallenge
    | VerifyIdentity
    | SendOtp
    | VerifyOtp
    | StaffAssist
    | FetchReport
    | CheckPrinter
    | RecordPrint
    | PrintReport
    | FetchRepairGuide
    | PrintRepairSlip
    | SendDispute
    | ShareReport
    | RunFaceCheck
    | ReportFaceAttempt
    | EndPlatformSession
    | StartTimer
    | StartStaffCallTimer
    | StartResendTimer
)


# ---------------------------------------------------------------- rules
@dataclasses.dataclass(frozen=True, kw_only=True)
class Rules:
    """Per-terminal settings of the journey: inactivity limits in seconds, elder default,
    and how cards are read (``certified_reader``: a reader with a security module and
    ``identity/attest``; otherwise RID-1 cards over PC/SC and ``identity/verify``)."""

    certified_reader: bool = False

    consent: float = 60
    card_read: float = 30
    second_factor: float = 180
    report: float = 180
    printing: float = 60
    done: float = 15
    error: float = 20
    elder_factor: float = 2.0
    elder_default: bool = False
    staff: float = 60
    staff_call_s: float = 60  # how long the "staff called" banner shows at most
    face_attempt_s: float = 30  # one face-check attempt at most (longer in elder mode)

    def face_attempt_for(self, elder_mode: bool) -> float:
        """One face-check attempt's time limit; longer in elder mode."""
        return self.face_attempt_s * self.elder_factor if elder_mode else self.face_attempt_s

    warn_before_s: float = 20  # "are you still there?" this long before a limit (0: never)

    def for_phase(self, phase: Phase, elder_mode: bool) -> float:
        """The limit for ``phase``; longer in elder mode."""
        base = {
            Phase.IDLE: 0.0,
            Phase.CONSENT: self.consent,
            Phase.READING_CARD: self.card_read,
            Phase.VERIFYING: self.card_read,
            Phase.SECOND_FACTOR: self.second_factor,
            Phase.REPORT: self.report,
            Phase.PRINTING: self.printing,
            Phase.DONE: self.done,
            Phase.ERROR: self.error,
            Phase.STAFF: self.staff,
        }[phase]
        return base * self.elder_factor if elder_mode else base

    def warning_for(self, phase: Phase, elder_mode: bool) -> float:
        """How long "are you still there?" shows before ``phase``'s limit; 0 for none.

        Only where the resident is expected to act and only if the limit is longer than the
        warning: not while a device or the platform works (reading, verifying, printing: the
        resident only waits), not in staff mode, not on a screen shorter than the warning.
        """
        if phase not in _WARNED:
            return 0.0
        warn = self.warn_before_s * self.elder_factor if elder_mode else self.warn_before_s
        return warn if 0 < warn < self.for_phase(phase, elder_mode) else 0.0


# ---------------------------------------------------------------- transition
Result = tuple[SessionState, list[Effect]]


def _enter(state: SessionState, rules: Rules, phase: Phase) -> Result:
    """Move to ``phase`` and restart the inactivity timer for it (any warning goes away).
    What else changes is set on ``state`` first (``dataclasses.replace``, which mypy checks
    field by field)."""
    new = dataclasses.replace(
        state,
        phase=phase,
        timer=state.timer + 1,
        step=dataclasses.replace(state.step, still_there_s=0),
    )
    seconds = rules.for_phase(phase, new.resident.elder_mode)
    new = dataclasses.replace(new, step=dataclasses.replace(new.step, limit_s=seconds))
    if not seconds:
        return new, []
    warn = rules.warning_for(phase, new.resident.elder_mode)
    if warn:
        return new, [StartTimer(seconds - warn, new.timer, warn=True)]
    return new, [StartTimer(seconds, new.timer)]


def _end_session(state: SessionState, rules: Rules) -> Result:
    """Back to IDLE with nothing personal left; tell the platform if a session exists."""
    effects: list[Effect] = []
    if state.resident.identity is not None:
        effects.append(EndPlatformSession(state.resident.identity.session_id))
    # The resident is dropped, and the screen's state with them; the hall stays as it is.
    idle = SessionState(
        timer=state.timer + 1, hall=state.hall, resident=Resident(elder_mode=rules.elder_default)
    )
    return idle, effects


# Phases where the resident is expected to act, so silence earns "are you still there?".
_WARNED = frozenset({Phase.CONSENT, Phase.SECOND_FACTOR, Phase.REPORT, Phase.DONE, Phase.ERROR})

# Phases without a resident session: card removal and failures do not end anything there
# (staff take a test card out, a staff self-test fails without leaving staff mode).
_NO_SESSION = frozenset({Phase.IDLE, Phase.STAFF})

# Refusals the resident can put right on the second-factor screen itself.
_RETRY_IN_PLACE = frozenset(
    {
        errors.PlatformCode.WRONG_CODE,
        errors.PlatformCode.CODE_EXPIRED,
        errors.PlatformCode.STAFF_DENIED,
    }
)


def _wait_to_resend(state: SessionState, seconds: int) -> Result:
    """Another code may be had after ``seconds``: a new wait begins (0: at once)."""
    identity = state.resident.identity
    assert identity is not None  # only a platform session sends codes
    waits = state.resident.resend_waits + 1
    waiting = dataclasses.replace(
        state,
        resident=dataclasses.replace(state.resident, resend_waits=waits),
        step=dataclasses.replace(
            state.step, resend_after_s=max(0, seconds), resend_ready=seconds <= 0
        ),
    )
    if seconds <= 0:
        return waiting, []
    return waiting, [StartResendTimer(seconds, identity.session_id, waits)]


def _first_factor(resident: Resident) -> Factor:
    """Where the second-factor screen starts: a choice, or staff when there is no phone and
    no face check to offer."""
    identity = resident.identity
    sms = identity is not None and "sms_otp" in identity.second_factors
    return Factor.CHOOSING if sms or resident.face_offered else Factor.STAFF


def _face_usable(identity: models.IdentitySession) -> bool:
    """The platform offers the face check in a form this kiosk implements (spec §2)."""
    policy = identity.face_policy
    return (
        "face" in identity.second_factors
        and policy is not None
        and FACE_MODEL in policy.min_scores
        and FACE_LIVENESS in policy.liveness
        and policy.attempts > 0
    )


def _face_hint(liveness_reason: str | None) -> str:
    """Why an attempt did not pass, as the retry page's hints are keyed."""
    return liveness_reason or "score"


def _close_face(state: SessionState, message: errors.UserMessage) -> Result:
    """The face check is over for this session (no attempts left, the camera or the photo
    failed): back to the other ways, saying so; the photo goes."""
    closed = dataclasses.replace(
        state,
        resident=dataclasses.replace(
            state.resident, face_offered=False, card_photo=None, face_attempts_left=0
        ),
    )
    return dataclasses.replace(
        closed,
        step=dataclasses.replace(
            closed.step,
            pending=None,
            factor=_first_factor(closed.resident),
            face_stage=FaceStage.CONSENT,
            face_prompt=None,
            message=message,
        ),
    ), []


def _start_face_attempt(state: SessionState, rules: Rules) -> Result:
    photo = state.resident.card_photo
    assert photo is not None
    seconds = rules.face_attempt_for(state.resident.elder_mode)
    new, timer_effects = _enter(
        dataclasses.replace(
            state,
            step=dataclasses.replace(
                state.step,
                pending=Pending.FACE,
                face_stage=FaceStage.PREPARING,
                face_prompt=None,
                face_failure=None,
                message=None,
            ),
        ),
        rules,
        Phase.SECOND_FACTOR,
    )
    return new, [RunFaceCheck(photo, seconds), *timer_effects]


def _guide_id(shown: report.Report, record_id: str) -> str | None:
    """The repair guide of a negative record of ``shown``, if it has one."""
    for section in shown.sections:
        for record in section.records:
            if record.record_id == record_id and section.is_negative(record) and record.repair:
                return record.repair.guide_id
    return None


def _call_staff(state: SessionState, rules: Rules) -> Result:
    """Staff are called (banner, beep, audit): by the button, or by choosing staff's check."""
    if state.hall.staff_called or state.phase is Phase.STAFF:
        return state, []
    call = state.hall.staff_call + 1
    new = dataclasses.replace(
        state, hall=dataclasses.replace(state.hall, staff_called=True, staff_call=call)
    )
    return new, [StartStaffCallTimer(rules.staff_call_s, call)]


def _to_staff_check(state: SessionState, rules: Rules) -> Result:
    """The staff form on the second-factor screen, and staff called to come and use it."""
    new, effects = _enter(
        dataclasses.replace(
            state, step=dataclasses.replace(state.step, factor=Factor.STAFF, message=None)
        ),
        rules,
        Phase.SECOND_FACTOR,
    )
    called, call_effects = _call_staff(new, rules)
    return called, effects + call_effects


def _record(shown: report.Report, record_id: str) -> tuple[report.Section, report.Record] | None:
    for section in shown.sections:
        for record in section.records:
            if record.record_id == record_id:
                return section, record
    return None


def _report_page(
    state: SessionState,
    rules: Rules,
    view: ReportView,
    *,
    slip_printed: str | None = None,
    dispute_sent: str | None = None,
) -> Result:
    """Another page of the report screen (same phase: the inactivity timer restarts); the
    notice of what was done last goes, unless it is given again."""
    shown = dataclasses.replace(
        state,
        step=dataclasses.replace(
            state.step, view=view, slip_printed=slip_printed, dispute_sent=dispute_sent
        ),
    )
    return _enter(shown, rules, Phase.REPORT)


def _fail(state: SessionState, rules: Rules, error: BaseException) -> Result:
    message = errors.to_user_message(error)
    phase = state.phase
    code = error.code if isinstance(error, errors.PlatformRejected) else None
    if phase is Phase.SECOND_FACTOR and state.step.factor is Factor.FACE:
        face = _fail_face(state, error, message, code)
        if face is not None:
            return face
    if phase is Phase.SECOND_FACTOR and code == errors.PlatformCode.RESEND_TOO_SOON:
        # The platform's wait runs on the screen; once over, the code can be had: sent by
        # itself when none came on this screen yet (nothing to explain then: the screen says
        # the code is coming), or again at the resident's touch ("ask again later").
        told = dataclasses.replace(
            state,
            step=dataclasses.replace(
                state.step, pending=None, message=message if state.step.otp_sent else None
            ),
        )
        retry_after_s = error.retry_after_s if isinstance(error, errors.PlatformRejected) else None
        return _wait_to_resend(
            told, math.ceil(retry_after_s) if retry_after_s is not None else RESEND_WAIT_UNSAID_S
        )
    if phase is Phase.SECOND_FACTOR and code in _RETRY_IN_PLACE:
        return dataclasses.replace(
            state, step=dataclasses.replace(state.step, pending=None, message=message)
        ), []
    if phase is Phase.SECOND_FACTOR and code == errors.PlatformCode.NO_PHONE_ON_FILE:
        return dataclasses.replace(
            state,
            step=dataclasses.replace(
                state.step, pending=None, factor=Factor.STAFF, message=message
            ),
        ), []
    if code == errors.PlatformCode.TOKEN_EXPIRED and state.resident.identity is not None:
        # The session still lives: a second factor again, without reading the card again.
        return _enter(
            dataclasses.replace(
                state,
                resident=dataclasses.replace(state.resident, access_token=None, report=None),
                step=dataclasses.replace(
                    state.step,
                    pending=None,
                    message=message,
                    factor=_first_factor(state.resident),
                    otp_sent=False,
                    view=ReportView.REPORT,
                    view_record=None,
                    guide=None,
                    share=None,
                ),
            ),
            rules,
            Phase.SECOND_FACTOR,
        )
    # The platform no longer knows the session: nothing more can be done in it.
    gone = code in (errors.PlatformCode.SESSION_EXPIRED, errors.PlatformCode.SESSION_NOT_FOUND)
    if phase is Phase.PRINTING and not gone:
        # The report stays; a reprint happens only if the resident asks again.
        return _enter(
            dataclasses.replace(
                state, step=dataclasses.replace(state.step, pending=None, message=message)
            ),
            rules,
            Phase.REPORT,
        )
    if phase is Phase.REPORT and state.step.busy and not gone:
        # A repair slip, guide, dispute or phone link failed: the report stays on screen.
        return dataclasses.replace(
            state, step=dataclasses.replace(state.step, pending=None, message=message)
        ), []
    # Anything else ends the session: wipe it and explain, in the resident's own text size,
    # language and voice setting (they are still there to read it).
    ended, effects = _end_session(state, rules)
    new, timer_effects = _enter(
        dataclasses.replace(
            ended,
            resident=dataclasses.replace(
                ended.resident,
                elder_mode=state.resident.elder_mode,
                language=state.resident.language,
                muted=state.resident.muted,
            ),
            step=dataclasses.replace(
                ended.step, message=message, card_refused=_card_refusal(error)
            ),
        ),
        rules,
        Phase.ERROR,
    )
    return new, effects + timer_effects


def _fail_face(
    state: SessionState, error: BaseException, message: errors.UserMessage, code: str | None
) -> Result | None:
    """A face check that did not pass or could not go on, while the session lives: another
    attempt if the platform allows one, else the other ways. None: not the face's to handle
    (a card whose photo does not match its SOD ends the session like any forged card)."""
    if code == errors.PlatformCode.FACE_REJECTED:
        left = error.attempts_left if isinstance(error, errors.PlatformRejected) else None
        if left is None or left <= 0:
            return _close_face(state, errors.FACE_CLOSED)
        failure = state.step.face_failure or "score"
        return dataclasses.replace(
            state,
            resident=dataclasses.replace(state.resident, face_attempts_left=left),
            step=dataclasses.replace(
                state.step,
                pending=None,
                face_stage=FaceStage.RETRY,
                face_prompt=None,
                face_failure=failure,
                message=message,
            ),
        ), []
    if code == errors.PlatformCode.FACTOR_UNAVAILABLE:
        return _close_face(state, errors.FACE_CLOSED)
    unavailable = (
        errors.FaceCheckUnavailable
        | device_errors.CameraUnavailable
        | device_errors.PhotoNotDecodable
    )
    if isinstance(error, unavailable):
        return _close_face(state, message)
    return None


def _card_refusal(error: BaseException) -> CardRefusal | None:
    """The reason code of a refused card (the profile's codes), for the audit trail."""
    if isinstance(error, errors.CardInvalid):
        return CardRefusal(error.reason, "terminal")
    if isinstance(error, device_errors.SecurityModuleRejected):
        return CardRefusal("security_module", "terminal")
    if isinstance(error, errors.PlatformRejected):
        if error.code == errors.PlatformCode.CARD_INVALID:
            return CardRefusal(error.reason or "unspecified", "platform")
        if error.code == errors.PlatformCode.CARD_REPORTED_LOST:
            return CardRefusal("card_reported_lost", "platform")
        if error.code == errors.PlatformCode.ATTESTATION_NOT_ALLOWED:
            # Not the card's fault but the terminal's: audited all the same, so operators
            # see kiosks whose reader the platform does not (or no longer) accept.
            return CardRefusal(error.reason or "attestation_not_allowed", "platform")
    return None


# Results of the work the effects started: any of them ends a wait the platform asked for.
_RESULTS = (
    FaceAttemptDone,
    ChallengeReady,
    CardRead,
    CertifiedCardRead,
    ChallengeRenewed,
    IdentityVerified,
    OtpSent,
    AccessGranted,
    ReportLoaded,
    PrinterReady,
    PrintRecorded,
    Printed,
    RepairGuideLoaded,
    SlipPrinted,
    DisputeSent,
    ShareReady,
    Failed,
)


def transition(state: SessionState, event: Event, rules: Rules) -> Result:
    """Return the next state and the effects to run. Unlisted (phase, event) pairs are ignored."""
    new, effects = _transition(state, event, rules)
    if new.step.platform_busy and isinstance(event, _RESULTS):
        new = dataclasses.replace(new, step=dataclasses.replace(new.step, platform_busy=False))
    return new, effects


def _transition(state: SessionState, event: Event, rules: Rules) -> Result:  # noqa: C901
    phase = state.phase
    match event:
        case CardRemoved() if phase not in _NO_SESSION:
            return _end_session(state, rules)
        case WarnInactive(timer=timer):
            warn = rules.warning_for(phase, state.resident.elder_mode)
            if timer != state.timer or not warn or state.step.still_there_s:
                return state, []
            # Same generation: a touch (UserActive) makes a new one, so this end goes stale.
            seconds = max(1, round(warn))
            return dataclasses.replace(
                state, step=dataclasses.replace(state.step, still_there_s=seconds)
            ), [StartTimer(warn, timer)]
        case TimedOut(timer=timer):
            if timer != state.timer or phase is Phase.IDLE:
                return state, []
            return _end_session(state, rules)
        case Failed(error=error) if phase not in _NO_SESSION:
            return _fail(state, rules, error)
        case ElderModeToggled():
            new = dataclasses.replace(
                state,
                resident=dataclasses.replace(
                    state.resident, elder_mode=not state.resident.elder_mode
                ),
            )
            return _enter(new, rules, phase) if phase is not Phase.IDLE else (new, [])
        case UserActive() if phase is not Phase.IDLE:
            return _enter(state, rules, phase)
        case StaffCallRequested():
            return _call_staff(state, rules)
        case LanguageChanged(language=language) if language in LANGUAGES:
            return dataclasses.replace(
                state, resident=dataclasses.replace(state.resident, language=language)
            ), []
        case MuteToggled():
            return dataclasses.replace(
                state, resident=dataclasses.replace(state.resident, muted=not state.resident.muted)
            ), []
        case StaffCallExpired(call=call) if (
            state.hall.staff_called and call == state.hall.staff_call
        ):
            return dataclasses.replace(
                state, hall=dataclasses.replace(state.hall, staff_called=False)
            ), []
        case OutOfServiceSet(on=on) if phase in _NO_SESSION:
            return dataclasses.replace(
                state, hall=dataclasses.replace(state.hall, out_of_service=on)
            ), []
        case CardInserted() if state.hall.out_of_service:
            return state, []  # the idle screen points residents to the desk
        case PlatformStatusChanged(online=online):
            return dataclasses.replace(
                state, hall=dataclasses.replace(state.hall, online=online)
            ), []
        case ReaderStatusChanged(ready=ready, reason=reason):
            hall = dataclasses.replace(
                state.hall, reader_ready=ready, reader_problem="" if ready else reason
            )
            return dataclasses.replace(state, hall=hall), []
        case PlatformBusy() if phase not in _NO_SESSION and state.step.busy:
            return dataclasses.replace(
                state, step=dataclasses.replace(state.step, platform_busy=True)
            ), []
        case CardInserted() if not state.hall.online and phase in (Phase.IDLE, Phase.ERROR):
            # No report can be had: say so plainly before anything is read from the card.
            return _enter(
                dataclasses.replace(
                    state, step=dataclasses.replace(state.step, message=errors.PLATFORM_OFFLINE)
                ),
                rules,
                Phase.ERROR,
            )

    match phase, event:
        case Phase.IDLE, CardInserted():
            return _enter(state, rules, Phase.CONSENT)
        case Phase.IDLE, StaffModeRequested():
            return _enter(
                dataclasses.replace(
                    state, hall=dataclasses.replace(state.hall, staff_called=False)
                ),
                rules,
                Phase.STAFF,
            )  # staff are here
        case Phase.STAFF, StaffModeLeft():
            return _end_session(state, rules)
        case Phase.ERROR, CardInserted():
            # The same person trying again: a new session in their text size and language.
            fresh = SessionState(
                timer=state.timer,
                hall=state.hall,
                resident=Resident(
                    elder_mode=state.resident.elder_mode,
                    language=state.resident.language,
                    muted=state.resident.muted,
                ),
            )
            return _enter(fresh, rules, Phase.CONSENT)
        case Phase.CONSENT, ConsentGiven():
            new, timer_effects = _enter(
                dataclasses.replace(
                    state, step=dataclasses.replace(state.step, pending=Pending.CARD)
                ),
                rules,
                Phase.READING_CARD,
            )
            read: Effect = ReadCertifiedCard() if rules.certified_reader else FetchChallenge()
            return new, [read, *timer_effects]
        case Phase.READING_CARD, ChallengeReady(challenge=challenge):
            return state, [ReadCard(challenge)]
        case Phase.CONSENT, ConsentDeclined():
            return _end_session(state, rules)
        case Phase.READING_CARD, CardRead(evidence=evidence):
            new, timer_effects = _enter(
                dataclasses.replace(
                    state, step=dataclasses.replace(state.step, pending=Pending.VERIFY)
                ),
                rules,
                Phase.VERIFYING,
            )
            return new, [VerifyIdentity(evidence, may_renew=True), *timer_effects]
        case Phase.READING_CARD, CertifiedCardRead(evidence=certified):
            new, timer_effects = _enter(
                dataclasses.replace(
                    state, step=dataclasses.replace(state.step, pending=Pending.VERIFY)
                ),
                rules,
                Phase.VERIFYING,
            )
            return new, [AttestIdentity(certified), *timer_effects]
        case Phase.VERIFYING, ChallengeRenewed(evidence=evidence, challenge=challenge) if (
            not state.resident.verify_renewed
        ):
            renewed = dataclasses.replace(
                state, resident=dataclasses.replace(state.resident, verify_renewed=True)
            )
            return renewed, [SignChallenge(evidence, challenge)]
        case Phase.VERIFYING, CardRead(evidence=evidence) if state.resident.verify_renewed:
            return state, [VerifyIdentity(evidence, may_renew=False)]
        case Phase.VERIFYING, IdentityVerified(
            identity=identity, card_photo=photo, face_ready=ready
        ):
            offered = photo is not None and ready and _face_usable(identity)
            policy = identity.face_policy
            verified = dataclasses.replace(
                state,
                resident=dataclasses.replace(
                    state.resident,
                    identity=identity,
                    face_offered=offered,
                    card_photo=photo if offered else None,
                    face_attempts_left=policy.attempts if offered and policy else 0,
                ),
                step=dataclasses.replace(state.step, pending=None),
            )
            if _first_factor(verified.resident) is Factor.STAFF:
                return _to_staff_check(verified, rules)  # no phone on file: staff come
            if state.resident.elder_mode and not offered:
                # Fewer steps in large-text mode: the code is sent at once; the code screen
                # still offers staff's check for whoever does not have the phone with them.
                new, timer_effects = _enter(
                    dataclasses.replace(
                        verified,
                        step=dataclasses.replace(
                            verified.step, factor=Factor.SMS, pending=Pending.OTP_SEND
                        ),
                    ),
                    rules,
                    Phase.SECOND_FACTOR,
                )
                return new, [SendOtp(identity.session_id), *timer_effects]
            return _enter(
                dataclasses.replace(
                    verified, step=dataclasses.replace(verified.step, factor=Factor.CHOOSING)
                ),
                rules,
                Phase.SECOND_FACTOR,
            )
        case Phase.SECOND_FACTOR, FaceChosen() if state.resident.face_offered and not (
            state.step.busy
        ):
            return _enter(
                dataclasses.replace(
                    state,
                    step=dataclasses.replace(
                        state.step,
                        factor=Factor.FACE,
                        face_stage=FaceStage.CONSENT,
                        face_failure=None,
                        message=None,
                    ),
                ),
                rules,
                phase,
            )
        case Phase.SECOND_FACTOR, FaceConsentGiven(at=at) if (
            state.step.factor is Factor.FACE
            and state.step.face_stage is FaceStage.CONSENT
            and state.resident.face_offered
        ):
            agreed = dataclasses.replace(
                state, resident=dataclasses.replace(state.resident, face_consented_at=at)
            )
            return _start_face_attempt(agreed, rules)
        case Phase.SECOND_FACTOR, FaceRetryRequested() if (
            state.step.factor is Factor.FACE
            and state.step.face_stage is FaceStage.RETRY
            and state.resident.face_offered
            and not state.step.busy
        ):
            return _start_face_attempt(state, rules)
        case Phase.SECOND_FACTOR, FaceDeclined() if state.step.factor is Factor.FACE and (
            state.step.pending is not Pending.FACE_CHECK
        ):
            # Another way, even while the camera is on: the controller stops the attempt
            # (the camera is on only while this page is), and an attempt cut short is no
            # attempt: nothing is reported.
            return _enter(
                dataclasses.replace(
                    state,
                    step=dataclasses.replace(
                        state.step,
                        pending=None,
                        factor=_first_factor(state.resident),
                        face_stage=FaceStage.CONSENT,
                        face_prompt=None,
                        message=None,
                    ),
                ),
                rules,
                phase,
            )
        case Phase.SECOND_FACTOR, FacePrompted(prompt=prompt) if state.step.pending is Pending.FACE:
            return dataclasses.replace(
                state,
                step=dataclasses.replace(
                    state.step, face_stage=FaceStage.LOOKING, face_prompt=prompt
                ),
            ), []
        case Phase.SECOND_FACTOR, FaceAttemptDone() as done if (
            state.step.pending is Pending.FACE
            and state.resident.identity is not None
            and state.resident.identity.face_policy is not None
            and state.resident.face_consented_at is not None
        ):
            identity = state.resident.identity
            policy = state.resident.identity.face_policy
            attempt = models.FaceAttemptReport(
                model=FACE_MODEL,
                score=max(-1.0, min(1.0, done.score)),
                reference_sha256=done.reference_sha256,
                liveness_method=FACE_LIVENESS,
                liveness_passed=done.liveness_passed,
                notice_version=policy.notice.version,
                consented_at=state.resident.face_consented_at,
            )
            return dataclasses.replace(
                state,
                step=dataclasses.replace(
                    state.step,
                    pending=Pending.FACE_CHECK,
                    face_stage=FaceStage.CHECKING,
                    face_prompt=None,
                    face_failure=None if done.liveness_passed else _face_hint(done.liveness_reason),
                ),
            ), [ReportFaceAttempt(identity.session_id, attempt)]
        case Phase.SECOND_FACTOR, SmsChosen() if state.resident.identity and not state.step.busy:
            if "sms_otp" not in state.resident.identity.second_factors:
                return state, []
            new, timer_effects = _enter(
                dataclasses.replace(
                    state,
                    step=dataclasses.replace(
                        state.step, factor=Factor.SMS, pending=Pending.OTP_SEND, message=None
                    ),
                ),
                rules,
                phase,
            )
            return new, [SendOtp(state.resident.identity.session_id), *timer_effects]
        case Phase.SECOND_FACTOR, ResendRequested() if (
            state.resident.identity
            and state.step.factor is Factor.SMS
            and not state.step.busy
            and state.step.resend_ready
        ):
            asked = dataclasses.replace(
                state,
                step=dataclasses.replace(
                    state.step, pending=Pending.OTP_SEND, message=None, resend_ready=False
                ),
            )
            new, timer_effects = _enter(asked, rules, phase)
            return new, [SendOtp(state.resident.identity.session_id), *timer_effects]
        case Phase.SECOND_FACTOR, StaffChosen() if not state.step.busy:
            return _to_staff_check(state, rules)
        case Phase.SECOND_FACTOR, OtpSent(resend_after_s=seconds) if state.resident.identity:
            sent = dataclasses.replace(
                state,
                resident=dataclasses.replace(
                    state.resident, otp_sends=state.resident.otp_sends + 1
                ),
                step=dataclasses.replace(state.step, pending=None, otp_sent=True),
            )
            return _wait_to_resend(sent, seconds)
        case Phase.SECOND_FACTOR, ResendReady(session_id=session_id, wait=wait) if (
            state.resident.identity
            and state.resident.identity.session_id == session_id
            and state.resident.resend_waits == wait
        ):
            waited = dataclasses.replace(
                state, step=dataclasses.replace(state.step, resend_ready=True)
            )
            if state.step.factor is not Factor.SMS or state.step.otp_sent or state.step.busy:
                return waited, []
            # No code reached the resident on this screen yet (the platform said "too soon"):
            # it goes now, without another touch. The inactivity timer is not restarted: a
            # resident who walked away is still timed out.
            asked = dataclasses.replace(
                waited,
                step=dataclasses.replace(
                    waited.step, pending=Pending.OTP_SEND, message=None, resend_ready=False
                ),
            )
            return asked, [SendOtp(session_id)]
        case Phase.SECOND_FACTOR, OtpEntered(code=code) if (
            state.resident.identity and not state.step.busy
        ):
            new, timer_effects = _enter(
                dataclasses.replace(
                    state,
                    step=dataclasses.replace(state.step, pending=Pending.OTP_CHECK, message=None),
                ),
                rules,
                phase,
            )
            return new, [VerifyOtp(state.resident.identity.session_id, code), *timer_effects]
        case Phase.SECOND_FACTOR, StaffConfirmed(staff_id=staff_id, pin=pin) if (
            state.resident.identity
            and not state.step.busy
            and staff_assist_format.is_sendable(staff_id, pin)
        ):
            new, timer_effects = _enter(
                dataclasses.replace(
                    state,
                    step=dataclasses.replace(
                        state.step,
                        pending=Pending.STAFF_CHECK,
                        message=None,
                        staff_entered=staff_id,
                    ),
                ),
                rules,
                phase,
            )
            return new, [
                StaffAssist(state.resident.identity.session_id, staff_id, pin),
                *timer_effects,
            ]
        case Phase.SECOND_FACTOR, AccessGranted(token=token):
            assisted = state.step.staff_entered if state.step.factor is Factor.STAFF else None
            if state.step.factor is Factor.FACE:
                # Passed: the card photo is not needed any more.
                state = dataclasses.replace(
                    state, resident=dataclasses.replace(state.resident, card_photo=None)
                )
            new = dataclasses.replace(
                state,
                resident=dataclasses.replace(
                    state.resident, access_token=token, assisted_by=assisted
                ),
                hall=dataclasses.replace(
                    state.hall, staff_called=state.hall.staff_called and assisted is None
                ),
                step=dataclasses.replace(state.step, pending=Pending.REPORT, staff_entered=None),
            )
            return new, [FetchReport(token)]
        case Phase.SECOND_FACTOR, ReportLoaded(report=loaded):
            return _enter(
                dataclasses.replace(
                    state,
                    resident=dataclasses.replace(state.resident, report=loaded),
                    step=dataclasses.replace(state.step, pending=None),
                ),
                rules,
                Phase.REPORT,
            )
        case Phase.REPORT, _:
            return _on_report_screen(state, event, rules)
        case Phase.PRINTING, PrinterReady() if (
            state.resident.report and state.resident.access_token
        ):
            recording = dataclasses.replace(
                state, step=dataclasses.replace(state.step, print_stage=PrintStage.RECORDING)
            )
            return recording, [
                RecordPrint(state.resident.access_token, state.resident.report.report_id)
            ]
        case Phase.PRINTING, PrintRecorded(a4=a4) if state.resident.report:
            return state, [PrintReport(state.resident.report, state.resident.elder_mode, a4=a4)]
        case Phase.PRINTING, PrintProgress(stage=stage):
            return dataclasses.replace(
                state, step=dataclasses.replace(state.step, print_stage=stage)
            ), []
        case Phase.PRINTING, Printed():
            return _enter(
                dataclasses.replace(
                    state,
                    resident=dataclasses.replace(state.resident, printed=True),
                    step=dataclasses.replace(state.step, pending=None),
                ),
                rules,
                Phase.DONE,
            )
        case Phase.DONE, Finished():
            return _end_session(state, rules)
        case Phase.ERROR, Finished():
            return _end_session(state, rules)
    return state, []


def _on_report_screen(state: SessionState, event: Event, rules: Rules) -> Result:  # noqa: C901
    """The report and its pages: repair guide, repair slip, dispute form, phone link."""
    shown, token = state.resident.report, state.resident.access_token
    if shown is None or token is None:
        return state, []
    match event:
        case PrintRequested() if not state.step.busy:
            new, timer_effects = _enter(
                dataclasses.replace(
                    state,
                    step=dataclasses.replace(
                        state.step,
                        pending=Pending.PRINT,
                        message=None,
                        view=ReportView.REPORT,
                        print_stage=PrintStage.CHECKING,
                    ),
                ),
                rules,
                Phase.PRINTING,
            )
            return new, [CheckPrinter(), *timer_effects]
        case Finished():
            return _enter(
                dataclasses.replace(
                    state, step=dataclasses.replace(state.step, view=ReportView.REPORT, share=None)
                ),
                rules,
                Phase.DONE,
            )
        case RepairGuideRequested(record_id=record_id) if not state.step.busy:
            guide_id = _guide_id(shown, record_id)
            if guide_id is None:
                return state, []  # the screen offers a guide only where one exists
            if state.step.guide is not None and state.step.view_record == record_id:
                return _report_page(
                    dataclasses.replace(state, step=dataclasses.replace(state.step, message=None)),
                    rules,
                    ReportView.GUIDE,
                )
            new, timer_effects = _report_page(
                dataclasses.replace(
                    state,
                    step=dataclasses.replace(
                        state.step,
                        pending=Pending.GUIDE,
                        message=None,
                        view_record=record_id,
                        guide=None,
                    ),
                ),
                rules,
                ReportView.GUIDE,
                slip_printed=None,
            )
            return new, [FetchRepairGuide(record_id, guide_id, for_slip=False), *timer_effects]
        case RepairSlipRequested(record_id=record_id) if not state.step.busy:
            guide_id = _guide_id(shown, record_id)
            if guide_id is None:
                return state, []
            new, timer_effects = _enter(
                dataclasses.replace(
                    state,
                    step=dataclasses.replace(
                        state.step, pending=Pending.SLIP, message=None, slip_printed=None
                    ),
                ),
                rules,
                Phase.REPORT,
            )
            if state.step.guide is not None and state.step.view_record == record_id:
                slip = PrintRepairSlip(
                    shown, record_id, state.step.guide, state.resident.elder_mode
                )
                return new, [slip, *timer_effects]
            return new, [FetchRepairGuide(record_id, guide_id), *timer_effects]
        case RepairGuideLoaded(record_id=record_id, guide=guide, for_slip=for_slip) if (
            state.step.busy
        ):
            if for_slip:
                return state, [PrintRepairSlip(shown, record_id, guide, state.resident.elder_mode)]
            if state.step.view is ReportView.GUIDE and state.step.view_record == record_id:
                return dataclasses.replace(
                    state, step=dataclasses.replace(state.step, pending=None, guide=guide)
                ), []
            return dataclasses.replace(
                state, step=dataclasses.replace(state.step, pending=None)
            ), []
        case SlipPrinted(record_id=record_id):
            new = dataclasses.replace(
                state,
                step=dataclasses.replace(
                    state.step, pending=None, slip_printed=record_id, dispute_sent=None
                ),
            )
            return new, []
        case DisputeRequested(record_id=record_id) if not state.step.busy:
            if _record(shown, record_id) is None or record_id in state.resident.disputed:
                return state, []
            kept = state.step.guide if state.step.view_record == record_id else None
            return _report_page(
                dataclasses.replace(
                    state,
                    step=dataclasses.replace(
                        state.step, message=None, view_record=record_id, guide=kept
                    ),
                ),
                rules,
                ReportView.DISPUTE,
            )
        case DisputeSubmitted(reason=reason, text=text) if (
            state.step.view is ReportView.DISPUTE and state.step.view_record and not state.step.busy
        ):
            reasons = dict(DISPUTE_REASONS)
            if reason not in reasons:
                return state, []
            words = " ".join(text.split())[:DISPUTE_TEXT_MAX]
            sent = f"【{reasons[reason]}】{words}" if words else f"【{reasons[reason]}】"
            new, timer_effects = _enter(
                dataclasses.replace(
                    state,
                    step=dataclasses.replace(state.step, pending=Pending.DISPUTE, message=None),
                ),
                rules,
                Phase.REPORT,
            )
            dispute = SendDispute(token, shown.report_id, state.step.view_record, sent)
            return new, [dispute, *timer_effects]
        case DisputeSent(record_id=record_id):
            disputed = (
                (*state.resident.disputed, record_id)
                if record_id not in state.resident.disputed
                else state.resident.disputed
            )
            return _report_page(
                dataclasses.replace(
                    state,
                    resident=dataclasses.replace(state.resident, disputed=disputed),
                    step=dataclasses.replace(state.step, pending=None),
                ),
                rules,
                ReportView.REPORT,
                dispute_sent=record_id,
            )
        case ShareRequested() if not state.step.busy:
            new, timer_effects = _enter(
                dataclasses.replace(
                    state, step=dataclasses.replace(state.step, pending=Pending.SHARE, message=None)
                ),
                rules,
                Phase.REPORT,
            )
            return new, [ShareReport(token, shown.report_id), *timer_effects]
        case ShareReady(link=link) if state.step.busy:
            return _report_page(
                dataclasses.replace(
                    state, step=dataclasses.replace(state.step, pending=None, share=link)
                ),
                rules,
                ReportView.SHARE,
            )
        case ViewClosed():
            # The phone link goes with its page: it is a secret and should not linger. Work
            # in flight (a slip printing, a guide loading) goes on; its result is handled above.
            return _report_page(
                dataclasses.replace(state, step=dataclasses.replace(state.step, share=None)),
                rules,
                ReportView.REPORT,
            )
    return state, []
