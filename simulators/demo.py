"""``kiosk demo``: the real kiosk against the simulators, over the real protocols.

The platform simulator serves HTTPS on loopback, the virtual card plugs into ``pcscd``
through the vpcd virtual reader, and the virtual printer takes raw ESC/POS on TCP. The kiosk
runs the same client code as in production. Terminal credentials live in an in-memory keyring
for the demo's lifetime (the terminal enrolls with a one-time code at start).

With no display the demo plays one whole session by itself (``Autopilot``): the report, the
repair guide of a penalty and its printed slip, a dispute typed on the pinyin keyboard and sent
to the platform, the phone-download QR code, the screens in English and in large text, the
printed receipt and the card taken out. It leaves in the output folder a screenshot of every
screen, the report PDF, PNGs of what the printer printed, and the large-text voice prompts as
WAV files (when espeak-ng is installed).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import os
import queue
import re
import shutil
import socket
import sys
import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Literal, TypeVar

import keyring
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QAbstractButton

from kiosk import config as kiosk_config
from kiosk.app import composition
from kiosk.app.logging_setup import setup_logging
from kiosk.flow import session
from kiosk.platform import credentials
from kiosk.printing import report_pdf
from kiosk.voice import speech
from simulators import card_factory, pcscd, touch, virtual_card
from simulators.camera_server import SCENE_FOR_PROMPT, CameraSimulator, card_photo_jpeg
from simulators.certified_reader import CertifiedReaderSimulator, chip_photo, text_block
from simulators.memory_keyring import MemoryKeyring
from simulators.platform_server import DEMO_STAFF, PlatformSimulator
from simulators.residents import RESIDENTS, Resident
from simulators.virtual_printer import VirtualPrinter
from ui import app as ui_app
from ui.screens import base, consent, idle, report, second_factor
from ui.widgets import alnum_keypad, text_keyboard

log = logging.getLogger(__name__)

AUTOPLAY_DEADLINE_S = 180  # the whole session; each step has its own deadline too
STEP_TIMEOUT_S = 30.0  # one step: a card read through pcscd, TLS, the printer, the outbox
FACE_CHECK_TIMEOUT_S = 90.0  # a whole attempt (30 s, 60 in large text) and the platform
DEMO_STAFF_ID, DEMO_STAFF_PIN = next(iter(DEMO_STAFF.items()))
STEP_DELAY_MS = 400  # lets each screen paint (and a watching person read it) before acting
KEY_DELAY_MS = 150  # between syllables typed on the on-screen keyboard
POLL_MS = 50  # how often a step looks whether the kiosk is ready for it
VOICE_DRAIN_S = 30.0  # at the end: the last voice prompts are written out
MAX_CANDIDATE_PAGES = 5  # pages of keyboard candidates looked through for a character
# The demo's elderly resident taps the idle screen's big "看不清？点这里" button first.
LARGE_TEXT_RESIDENTS = frozenset({"wang_xiuying"})
# The dispute: a reason, and the resident's own words typed in pinyin a word at a time
# (letters, the text picked among the candidates): "已经交清罚款。".
DISPUTE_REASON = "already_done"
DISPUTE_WORDS = (("yijing", "已经"), ("jiaoqing", "交清"), ("fakuan", "罚款"))

Phase = session.Phase
Factor = session.Factor
FaceStage = session.FaceStage
View = session.ReportView
ScreenT = TypeVar("ScreenT", bound=base.Screen)


def simulator_config(
    platform: PlatformSimulator,
    printer: VirtualPrinter,
    reader: str,
    work_dir: Path,
    log_dir: Path,
) -> kiosk_config.KioskConfig:
    """The kiosk's configuration for talking to the simulators (demo and tests)."""
    return kiosk_config.KioskConfig(
        platform=kiosk_config.PlatformConfig(
            url=platform.base_url, ca_bundle=platform.ca_bundle_path
        ),
        reader=kiosk_config.ReaderConfig(name_pattern=re.escape(reader)),
        printer=kiosk_config.PrinterConfig(host="127.0.0.1", port=printer.port),
        terminal=kiosk_config.TerminalConfig(mode="demo"),
        paths=kiosk_config.PathsConfig(data_dir=str(work_dir), log_dir=str(log_dir)),
    )


def enroll(
    cfg: kiosk_config.KioskConfig, platform: PlatformSimulator
) -> credentials.TerminalCredentials:
    """Enroll the terminal with a fresh one-time code, as staff would (declaring its
    hardware, as ``kiosk enroll`` does); keep the credentials in the keyring."""
    return enroll_with_code(cfg, platform.new_enrollment_code())


def enroll_with_code(cfg: kiosk_config.KioskConfig, code: str) -> credentials.TerminalCredentials:
    """``enroll`` with a one-time code from wherever the platform runs."""
    client = composition.build_platform_client(cfg, None)
    try:
        creds = client.enroll(
            code,
            socket.gethostname(),
            composition.hardware_for_enrollment(cfg),
        )
    finally:
        client.close()
    credentials.CredentialStore().save(creds)
    return creds


CERTIFIED_READER_MODEL = "certified reader simulator (sdtapi)"
FaceScene = Literal["follow", "printed-photo", "off"]


def camera_config(
    cfg: kiosk_config.KioskConfig, camera: CameraSimulator
) -> kiosk_config.KioskConfig:
    """``cfg`` with the camera simulator's MJPEG stream as the face check's camera."""
    return dataclasses.replace(cfg, camera=dataclasses.replace(cfg.camera, source=camera.url))


def follow_prompts(camera: CameraSimulator) -> Callable[[session.SessionState], None]:
    """A resident in front of the camera doing what the screen asks (a controller listener):
    facing it, turning their head left or right. Other scenes are left as they are."""

    def follow(state: session.SessionState) -> None:
        scene = SCENE_FOR_PROMPT.get(state.step.face_prompt or "")
        if scene is not None and camera.scene in ("straight", "turn_left", "turn_right"):
            camera.set_scene(scene)

    return follow


def certified_reader_config(
    cfg: kiosk_config.KioskConfig, reader: CertifiedReaderSimulator
) -> kiosk_config.KioskConfig:
    """``cfg`` with the certified-reader simulator's libraries in place of pcscd's reader."""
    return dataclasses.replace(
        cfg,
        reader=kiosk_config.ReaderConfig(
            backend="vendor",
            vendor_library=str(reader.libraries.sdtapi),
            vendor_decoder_library=str(reader.libraries.wlt),
            model=CERTIFIED_READER_MODEL,
            vendor_poll_interval_s=0.1,
        ),
    )


class CertifiedCard:
    """A resident's card on the certified reader's simulator: the holder block of their
    document, put down and taken off as ``virtual_card.VirtualCardClient`` is."""

    def __init__(
        self, reader: CertifiedReaderSimulator, resident: Resident, portrait: bytes | None = None
    ) -> None:
        self.reader = reader
        # What the vendor's decoder gives for the card's photo block (None: the simulator's
        # synthetic face-free picture).
        self.photo = chip_photo(portrait) if portrait is not None else None
        self.kind = resident.document  # the simulator's card kinds are named as documents
        fields = {
            "name": resident.name,
            "sex": resident.sex,
            "birth_date": resident.birth_date,
            "id_number": resident.id_number,
            "valid_from": resident.valid_from,
            "valid_until": resident.valid_until,
        }
        if self.kind == "foreign_permanent_resident":
            fields["nationality"] = "DEU"
        else:
            fields |= {
                "address": resident.address,
                "issuing_authority": resident.issuing_authority,
            }
            if self.kind == "resident_id":
                fields["ethnicity"] = resident.ethnicity
        self.block = text_block(self.kind, **fields)

    def insert(self) -> None:
        """Put the card on the reader."""
        self.reader.place_card(self.kind, block=self.block, photo=self.photo)

    def remove(self) -> None:
        """Take it off."""
        self.reader.remove_card()


def _port_or_free(preferred: int) -> int:
    """``preferred`` when nothing listens there, else 0 (the OS picks a free port)."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", preferred))
        except OSError:
            return 0
    return preferred


def _clean(out_dir: Path) -> None:
    """Empty the output folder of an earlier run's results."""
    if out_dir.exists():
        for child in out_dir.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
    out_dir.mkdir(parents=True, exist_ok=True)


def _say(text: str) -> None:
    """The demo console: what a person watching the demo should know."""
    print(f"[demo] {text}", flush=True)


def _voice(cfg: kiosk_config.KioskConfig, sink_dir: Path) -> speech.Speaker:
    """Large-text mode's voice prompts as numbered WAV files in ``sink_dir`` (none without
    espeak-ng: the demo then runs exactly the same, silently)."""
    if not cfg.elder_mode.voice_prompts:
        return speech.NullSpeaker()
    speaker = speech.build_speaker(cfg.voice, sink_dir=sink_dir)
    if isinstance(speaker, speech.EspeakSpeaker):
        _say(f"voice prompts of large-text mode: WAV files in {sink_dir}")
    else:
        _say("voice prompts: none (espeak-ng with its Mandarin voice is not installed)")
    return speaker


def _drain_voice(speaker: speech.Speaker) -> None:
    """Let the voice finish writing its last prompt before the kiosk stops it."""
    if isinstance(speaker, speech.EspeakSpeaker) and not speaker.wait_until_idle(VOICE_DRAIN_S):
        _say(f"the voice was still busy after {VOICE_DRAIN_S:g} s: its last prompt is missing")


def run_demo(
    out_dir: Path,
    *,
    autoplay: bool | None,
    resident: str,
    certified_reader: bool = False,
    face: FaceScene = "follow",
) -> int:
    """Start every simulator and the kiosk; return the process exit status.

    Args:
        certified_reader: Read the resident's card with the certified-reader simulator (a
            reader with a security module, ``identity/attest``) instead of RID-1 over pcscd.
        face: Who stands before the camera simulator: ``follow`` the resident, doing what the
            screen asks; ``printed-photo`` someone holding up the resident's printed photo;
            ``off`` no camera at all (the face check is not offered).
    """
    if resident not in RESIDENTS:
        _say(f"unknown resident {resident!r}; choose one of {', '.join(RESIDENTS)}")
        return 2
    headless = not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if headless:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    autoplay = headless if autoplay is None else autoplay
    out_dir = out_dir.resolve()
    _clean(out_dir)
    work = out_dir / "work"
    escpos_cache = work / "escpos-cache"
    escpos_cache.mkdir(parents=True)
    os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", str(escpos_cache))
    log_path = setup_logging(out_dir / "logs")
    sms_codes: queue.SimpleQueue[str] = queue.SimpleQueue()

    def sms_sink(phone_masked: str, code: str) -> None:
        _say(f"短信 → {phone_masked}：您的验证码是 {code}（5分钟内有效）")
        sms_codes.put(code)

    with contextlib.ExitStack() as stack:
        # A certified reader is not a PC/SC reader: pcscd is started only for RID-1 cards.
        daemon = None if certified_reader else stack.enter_context(pcscd.running())
        issuer = card_factory.make_issuer_ca()
        # Every demo resident's card carries the same public-domain portrait (see
        # simulators/images/SOURCES.md), the face the camera simulator shows.
        portrait = card_photo_jpeg("astronaut")
        card = card_factory.issue_card(RESIDENTS[resident], issuer, photo_jpeg=portrait)
        printer = stack.enter_context(VirtualPrinter(port=_port_or_free(9100)))
        # The operators' approval of the terminal's hardware is the platform's decision; the
        # demo's platform approves what the terminal declares (auto_approve).
        platform = stack.enter_context(
            PlatformSimulator(
                work / "platform",
                issuer_ca_certs=[issuer.cert_der],
                sms_sink=sms_sink,
                auto_approve=True,
            )
        )
        _say(f"platform simulator: {platform.base_url} (HTTPS, CA {platform.ca_bundle_path})")
        _say(f"virtual printer: raw ESC/POS on 127.0.0.1:{printer.port}")
        certified = CertifiedReaderSimulator.load() if certified_reader else None
        camera = _start_camera(stack, face)
        if certified is not None:
            _say(f"card reader: certified reader simulator ({certified.libraries.sdtapi})")
        elif daemon is not None:
            _say(
                f"card reader: {daemon.reader} via pcscd "
                f"({'started by the demo' if daemon.started_here else 'already running'})"
            )

        keyring.set_keyring(MemoryKeyring())
        # Written out and read back: the demo's configuration goes through the same file
        # loading and validation as a hall's /etc/credit-kiosk/kiosk.toml.
        config_path = work / "kiosk.toml"
        pcsc_reader = daemon.reader if daemon is not None else ""
        demo_cfg = simulator_config(platform, printer, pcsc_reader, work, out_dir / "logs")
        if certified is not None:
            demo_cfg = certified_reader_config(demo_cfg, certified)
        if camera is not None:
            demo_cfg = camera_config(demo_cfg, camera)
        config_path.write_text(kiosk_config.to_toml(demo_cfg), encoding="utf-8")
        cfg = kiosk_config.load_config(config_path)
        _say(f"kiosk configuration: {config_path}")
        creds = enroll(cfg, platform)
        _say(f"terminal enrolled as {creds.terminal_id}")

        # Played by the autopilot, the voice is written to files; played by a person, heard.
        speaker = _voice(cfg, out_dir / "voice") if autoplay else None
        kiosk = ui_app.KioskApp(cfg, composition.build_kiosk(cfg, creds), speaker=speaker)
        stack.callback(kiosk.stop)
        if camera is not None:
            kiosk.controller.add_listener(follow_prompts(camera))
        card_client: virtual_card.VirtualCardClient | CertifiedCard
        if certified is not None:
            card_client = CertifiedCard(certified, RESIDENTS[resident], portrait)
        else:
            assert daemon is not None
            card_client = virtual_card.VirtualCardClient(
                virtual_card.Rid1Applet(card), port=daemon.port
            )
        stack.callback(card_client.remove)
        if autoplay:
            pilot = Autopilot(
                kiosk,
                card_client,
                sms_codes,
                printer,
                out_dir,
                verify_url=composition.verify_url(cfg),
                platform=platform,
                large_text=resident in LARGE_TEXT_RESIDENTS,
            )
            return _play(kiosk, pilot, out_dir, log_path)
        kiosk.start(fullscreen=True)
        _say(f"the card of {resident} is inserted; SMS codes appear here. Ctrl+C ends the demo.")
        card_client.insert()
        return ui_app.run_event_loop(kiosk)


def _start_camera(
    stack: contextlib.ExitStack[bool | None], face: FaceScene
) -> CameraSimulator | None:
    """The camera simulator showing the resident (or a printed photo of them); None: off."""
    if face == "off":
        return None
    camera = stack.enter_context(CameraSimulator())
    _say(f"camera: MJPEG stream {camera.url} ({face})")
    if face == "printed-photo":
        camera.set_scene("printed_photo")
    return camera


def _play(kiosk: ui_app.KioskApp, pilot: Autopilot, out_dir: Path, log_path: Path) -> int:
    """The autopilot's session in a window of its own; the exit status and what it left."""
    kiosk.start(fullscreen=False)
    pilot.start()
    started = time.monotonic()
    status = kiosk.qt_app.exec()
    _drain_voice(kiosk.speaker)
    if status == 0:
        _say(
            f"done in {time.monotonic() - started:.0f} s: everything the session "
            f"showed, printed and said is in {out_dir}"
        )
        shown = {".png", ".pdf", ".wav"}
        for path in sorted(p for p in out_dir.rglob("*") if p.suffix in shown):
            _say(f"  {path.relative_to(out_dir)}")
    else:
        _say(f"the session did not finish; see {log_path}")
    return status


class AutopilotError(Exception):
    """The kiosk did not show what the autopilot expected; the demo ends saying this."""


@dataclasses.dataclass(frozen=True)
class Wait:
    """A pause in the autopilot's script: it goes on once ``ready()`` holds and the voice has
    said (written) its prompt, then ``delay_ms`` later (the screen paints, a watcher reads)."""

    what: str  # what is awaited, for the failure message: "the repair guide of record P-1"
    ready: Callable[[], bool]
    timeout_s: float = STEP_TIMEOUT_S
    delay_ms: int = STEP_DELAY_MS


Script = Generator[Wait, None, None]

# Screens that come and go without the resident doing anything: shot as they appear.
PASSING_SCREENS = {
    Phase.READING_CARD: "reading-card",
    Phase.VERIFYING: "verifying",
    Phase.PRINTING: "printing",
}


class Autopilot:
    """Plays one resident session through the real UI, taking a screenshot of each screen.

    The journey is a script (``script``) that presses the widgets a resident would and waits,
    each time with a deadline, for the kiosk to show the result. Whatever goes wrong ends the
    demo with a non-zero status and says why (a screenshot ``NN-failed.png`` shows where).
    In large-text mode each step also waits until the voice prompt of the screen is written,
    so that ``voice/`` holds the prompts a resident would have heard.
    """

    def __init__(
        self,
        kiosk: ui_app.KioskApp,
        card: virtual_card.VirtualCardClient | CertifiedCard,
        sms_codes: queue.SimpleQueue[str],
        printer: VirtualPrinter,
        out_dir: Path,
        *,
        verify_url: str,
        platform: PlatformSimulator | None = None,
        large_text: bool = False,
    ) -> None:
        self.kiosk = kiosk
        self.window = kiosk.window
        self.controller = kiosk.controller
        self.card = card
        self.sms_codes = sms_codes
        self.printer = printer
        self.platform = platform
        self.large_text = large_text  # switched on at the idle screen, before the card
        self.shots = out_dir / "screens"
        self.shots.mkdir(parents=True, exist_ok=True)
        self.out_dir = out_dir
        self.verify_url = verify_url
        self.idle_screen = self._screen(idle.IdleScreen)
        self.consent_screen = self._screen(consent.ConsentScreen)
        self.factor_screen = self._screen(second_factor.SecondFactorScreen)
        self.report_screen = self._screen(report.ReportScreen)
        self._script = self.script()
        self._count = 0
        self._finished = False
        self._card_in = False  # the autopilot put the card in and has not taken it out
        self._in_session = False  # ... and the session it started is running
        self._passed: set[session.Phase] = set()
        self._sms_code: str | None = None
        self._jobs_rendered = 0

    def _screen(self, kind: type[ScreenT]) -> ScreenT:
        screen = self.window.screen_of(kind)
        assert isinstance(screen, kind)
        return screen

    @property
    def state(self) -> session.SessionState:
        """What the kiosk shows now."""
        return self.controller.state

    # -------------------------------------------------------------- plumbing
    def later(self, fn: Callable[[], None], delay_ms: int = STEP_DELAY_MS) -> None:
        """Run ``fn`` on the GUI thread after ``delay_ms``."""
        QTimer.singleShot(delay_ms, fn)

    def shot(self, name: str) -> None:
        """Save a screenshot of the whole window."""
        self._count += 1
        path = self.shots / f"{self._count:02d}-{name}.png"
        self.window.grab().save(str(path))
        log.info("screenshot %s", path.name)

    def press(self, button: QAbstractButton, name: str = "") -> None:
        """Tap ``button`` as a finger would; it must be on screen and enabled."""
        label = name or button.accessibleName() or button.text()
        if not button.isVisible():
            raise AutopilotError(f"the “{label}” button is not on screen ({self.describe()})")
        if not button.isEnabled():
            raise AutopilotError(f"the “{label}” button is disabled ({self.describe()})")
        touch.tap(button)

    def voice_idle(self) -> bool:
        """Whether the voice has said (written) every prompt so far."""
        speaker = self.kiosk.speaker
        # A zero timeout only looks: it never blocks the GUI thread.
        return not isinstance(speaker, speech.EspeakSpeaker) or speaker.wait_until_idle(0)

    def describe(self) -> str:
        """The kiosk's state in a few words, for failure messages."""
        state = self.state
        parts = [f"the kiosk shows {state.phase.value}"]
        if state.phase is Phase.SECOND_FACTOR:
            parts.append(f"factor {state.step.factor.value}")
        if state.phase is Phase.REPORT:
            parts.append(f"page {state.step.view.value}")
        if state.step.busy:
            parts.append("busy")
        if state.step.message is not None:
            parts.append(f"message {state.step.message.key!r} ({state.step.message.title})")
        return ", ".join(parts)

    def finish(self, status: int, why: str = "") -> None:
        """Leave the Qt event loop (once)."""
        if self._finished:
            return
        self._finished = True
        if why:
            _say(why)
        self.kiosk.qt_app.exit(status)

    def fail(self, why: str, shot: str = "failed") -> None:
        """End the demo unsuccessfully, with a screenshot of where it stopped."""
        if self._finished:
            return
        log.error("autoplay failed: %s", why)
        self.shot(shot)
        self.finish(1, f"autoplay failed: {why}")

    def start(self) -> None:
        """Begin the script (and the deadline of the whole session)."""
        self.controller.add_listener(self.on_state)
        self.later(
            lambda: self.fail(f"the session took longer than {AUTOPLAY_DEADLINE_S} s in all"),
            AUTOPLAY_DEADLINE_S * 1000,
        )
        self.later(self._advance, 0)

    def _advance(self) -> None:
        """Run the script up to its next wait."""
        if self._finished:
            return
        try:
            wait = next(self._script)
        except StopIteration:
            return
        except AutopilotError as exc:
            self.fail(str(exc))
            return
        except Exception as exc:  # a slip of the script must end the demo, not hang it
            log.exception("autopilot step failed")
            self.fail(f"{type(exc).__name__}: {exc} ({self.describe()})")
            return
        self._poll(wait, time.monotonic() + wait.timeout_s)

    def _poll(self, wait: Wait, deadline: float) -> None:
        if self._finished:
            return
        ready = wait.ready()
        if ready and self.voice_idle():
            self.later(self._advance, wait.delay_ms)
        elif time.monotonic() > deadline:
            what = wait.what if not ready else f"the voice prompt after {wait.what}"
            self.fail(f"gave up after {wait.timeout_s:g} s waiting for {what}; {self.describe()}")
        else:
            self.later(lambda: self._poll(wait, deadline), POLL_MS)

    def on_state(self, state: session.SessionState) -> None:
        """Screens that pass by themselves, and a session that ends on its own."""
        if self._finished:
            return
        phase = state.phase
        if self._card_in and phase is not Phase.IDLE:
            self._in_session = True
        if phase in PASSING_SCREENS and phase not in self._passed:
            self._passed.add(phase)
            self.shot(PASSING_SCREENS[phase])
        elif phase is Phase.ERROR:
            title = state.step.message.title if state.step.message else "?"
            self.fail(f"the session failed: {title}", shot="error")
        elif phase is Phase.IDLE and self._in_session:
            self.fail(
                "the session ended before the autopilot took the card out "
                "(inactivity timeout, or the card left the reader)"
            )

    # -------------------------------------------------------------- the script
    @staticmethod
    def pause(what: str = "the screen to paint") -> Wait:
        """Only the step delay: the screen paints and a watcher sees it."""
        return Wait(what, lambda: True)

    def until_phase(self, phase: Phase, what: str) -> Wait:
        """Wait for ``phase`` with nothing in progress."""
        return Wait(what, lambda: self.state.phase is phase and not self.state.step.busy)

    def script(self) -> Script:
        """One resident's whole visit, as they would tap through it."""
        started = time.monotonic()
        yield Wait(
            "the idle screen",  # with the hall's public information once fetched (or 5 s)
            lambda: self.idle_screen.public.isVisible() or time.monotonic() - started > 5,
            delay_ms=800,
        )
        self.shot("idle")
        if self.large_text:
            self.press(self.idle_screen.elder_button)
            yield Wait("large-text mode on the idle screen", lambda: self.state.resident.elder_mode)
            self.shot("idle-large-text")
        _say("inserting the virtual ID card")
        self._card_in = True
        self.card.insert()
        yield self.until_phase(Phase.CONSENT, "the consent screen")
        self.shot("consent")
        self.press(self.consent_screen.agree_button)
        yield from self.second_factor()
        yield from self.on_report()
        yield from self.take_receipt_and_card()

    def second_factor(self) -> Script:
        """The face check where it is offered; else (or after it did not pass) the SMS code
        from the SMS sink typed on the keypad, or staff's id and PIN."""
        screen = self.factor_screen
        yield self.until_phase(Phase.SECOND_FACTOR, "the second-factor screen")
        if self.state.step.factor is Factor.CHOOSING:
            self.shot("second-factor")
            if self.state.resident.face_offered:
                yield from self.face_check()
                if self.state.phase is not Phase.SECOND_FACTOR:
                    return  # passed: the report is on its way
            identity = self.state.resident.identity
            if identity is not None and "sms_otp" in identity.second_factors:
                self.press(screen.choice_page.sms_button)
            else:
                self.press(screen.choice_page.staff_button)
            yield self.pause()
        if self.state.step.factor is Factor.STAFF:
            if not self.state.hall.staff_called:
                raise AutopilotError("the staff form came up but staff were not called")
            # The id on the letter keypad (ids may have letters and any length, so staff end
            # it with "next"), then the PIN on the digit keypad that takes its place.
            staff = screen.staff_page
            letters = staff.alnum_keypad
            for key in DEMO_STAFF_ID.lower():
                self.press(letters.buttons[key], f"key {key}")
            self.press(letters.buttons[alnum_keypad.NEXT], "next")
            for digit in DEMO_STAFF_PIN:
                self.press(staff.keypad.buttons[digit], f"key {digit}")
            yield self.pause()
            self.shot("staff-confirm")
            _say(f"staff member {DEMO_STAFF_ID} confirms the resident in person: id and PIN")
            self.press(staff.confirm_button)
        else:
            yield Wait("the SMS code", self._sms_arrived)
            assert self._sms_code is not None
            for digit in self._sms_code:
                self.press(screen.code_page.keypad.buttons[digit], f"key {digit}")
            yield self.pause()
            self.shot("sms-code")
            self.press(screen.code_page.confirm_button)

    def face_check(self) -> Script:
        """The face check: its notice agreed to, the resident following the instructions in
        front of the camera simulator; after a refusal, another way."""
        screen = self.factor_screen
        self.press(screen.choice_page.face_button)
        yield Wait(
            "the face check's notice",
            lambda: (
                self.state.step.factor is Factor.FACE
                and self.state.step.face_stage is FaceStage.CONSENT
            ),
        )
        self.shot("face-consent")
        self.press(screen.face_consent_page.agree_button)
        agreed = time.monotonic()
        # A moment into the challenge, so the picture shows the resident and an instruction.
        yield Wait(
            "the camera on and an instruction",
            lambda: self.state.step.face_stage is FaceStage.LOOKING,
            delay_ms=1200,
        )
        self.shot("face-check")
        yield Wait(
            "the face check's verdict",
            lambda: (
                self.state.phase is not Phase.SECOND_FACTOR
                or self.state.step.face_stage is FaceStage.RETRY
                or self.state.step.factor is not Factor.FACE
            ),
            timeout_s=FACE_CHECK_TIMEOUT_S,
        )
        verdict = "passed" if self.state.phase is not Phase.SECOND_FACTOR else "not passed"
        _say(f"face check {verdict}: {time.monotonic() - agreed:.1f} s from consent to verdict")
        if self.state.step.face_stage is FaceStage.RETRY:
            self.shot("face-retry")
            self.press(screen.face_page.other_way_button)
            yield Wait("the other ways", lambda: self.state.step.factor is not Factor.FACE)

    def _sms_arrived(self) -> bool:
        if self._sms_code is None:
            with contextlib.suppress(queue.Empty):
                self._sms_code = self.sms_codes.get_nowait()
        state = self.state
        return (
            self._sms_code is not None
            and state.step.factor is Factor.SMS
            and state.step.otp_sent
            and not state.step.busy
        )

    def on_report(self) -> Script:
        """The report, a repair guide and its slip, a dispute, the phone link, English, large
        text, then print."""
        screen = self.report_screen
        yield Wait(
            "the report",
            lambda: (
                self.state.phase is Phase.REPORT
                and self.state.resident.report is not None
                and not self.state.step.busy
            ),
        )
        self.save_pdf()
        self.shot("report")
        if screen.down_button.isEnabled():
            self.press(screen.down_button)
            yield self.pause()
            self.shot("report-page-2")
        record_id = next(iter(screen.guide_buttons), None)  # the first record with a guide
        if record_id is not None:
            yield from self.repair_guide(record_id)
            yield from self.dispute(record_id)
        yield from self.share()
        if not self.state.resident.elder_mode:
            yield from self.english()
            self.press(self.window.elder_button)
            yield Wait("large-text mode", lambda: self.state.resident.elder_mode)
            self.shot("report-large-text")
        self.press(screen.print_button)

    def repair_guide(self, record_id: str) -> Script:
        """ "怎样修复" of one record, then its slip printed from the guide page."""
        screen = self.report_screen
        button = screen.guide_buttons[record_id]
        screen.scroll_area.ensureWidgetVisible(button)  # a resident pages to it first
        self.press(button)
        yield Wait(
            f"the repair guide of record {record_id}",
            lambda: (
                self.state.step.view is View.GUIDE
                and self.state.step.guide is not None
                and not self.state.step.busy
            ),
        )
        self.shot("repair-guide")
        self.press(screen.guide_page.slip_button)
        yield Wait(
            f"the repair slip of record {record_id} to print",
            lambda: (
                self.state.step.slip_printed == record_id
                and not self.state.step.busy
                and self._printed() > self._jobs_rendered
            ),
        )
        self.render_last_job("repair-slip.png")
        self.shot("repair-slip-printed")

    def dispute(self, record_id: str) -> Script:
        """ "提出异议" from the guide page: a reason, a few words typed in pinyin, submitted."""
        page = self.report_screen.dispute_page
        self.press(self.report_screen.guide_page.dispute_button)
        yield Wait("the dispute form", lambda: self.state.step.view is View.DISPUTE)
        self.press(page.reason_buttons[DISPUTE_REASON])
        self.press(page.words_button)
        keyboard = page.keyboard
        for index, (letters, wanted) in enumerate(DISPUTE_WORDS):
            last = index == len(DISPUTE_WORDS) - 1
            yield from self.type_pinyin(
                keyboard, letters, wanted, shot="dispute-keyboard" if last else ""
            )
        self.press(keyboard.buttons["。"], "。")
        expected = "".join(wanted for _, wanted in DISPUTE_WORDS) + "。"
        if keyboard.text() != expected:
            raise AutopilotError(f"the keyboard typed {keyboard.text()!r}, not {expected!r}")
        self.press(keyboard.buttons[text_keyboard.DONE])
        yield self.pause()
        self.shot("dispute-form")
        received = len(self.platform.objections) if self.platform else 0
        self.press(page.submit_button)
        yield Wait(
            f"the platform to receive the dispute of record {record_id}",
            lambda: (
                record_id in self.state.resident.disputed
                and self.state.step.view is View.REPORT
                and not self.state.step.busy
            ),
        )
        platform = self.platform
        if platform is not None:
            if len(platform.objections) <= received:
                raise AutopilotError("the screen says received, the platform has no dispute")
            _say(f"the platform received the dispute of record {record_id}: {expected}")
        self.shot("dispute-submitted")

    def type_pinyin(
        self, keyboard: text_keyboard.TextKeyboard, letters: str, wanted: str, *, shot: str = ""
    ) -> Script:
        """Type ``letters`` on the on-screen keyboard, then pick candidates until ``wanted`` is
        typed: the whole word when the keyboard offers it, else a character at a time (the
        pinyin table loads in the background: candidates come once it is there)."""
        for letter in letters:
            self.press(keyboard.buttons[letter], f"key {letter}")
        remaining = wanted
        while remaining:
            yield Wait(
                f"the keyboard's candidates for “{keyboard.composition()}”",
                lambda: bool(keyboard.composition()) and bool(keyboard.candidates()),
                delay_ms=KEY_DELAY_MS,
            )
            if shot:
                self.shot(shot)
                shot = ""
            remaining = remaining[len(self.pick_candidate(keyboard, remaining)) :]
        if keyboard.composition():
            raise AutopilotError(f"“{keyboard.composition()}” is left over after {wanted}")

    def pick_candidate(self, keyboard: text_keyboard.TextKeyboard, wanted: str) -> str:
        """Press the longest candidate that begins ``wanted``, paging through the candidates."""
        offered: list[str] = []
        for _page in range(MAX_CANDIDATE_PAGES):
            shown = keyboard.candidates()
            offered += shown
            fitting = [text for text in shown if wanted.startswith(text)]
            if fitting:
                best = max(fitting, key=len)
                self.press(keyboard.candidate_buttons[shown.index(best)], best)
                return best
            if not keyboard.buttons[text_keyboard.NEXT_PAGE].isEnabled():
                break
            self.press(keyboard.buttons[text_keyboard.NEXT_PAGE])
        raise AutopilotError(
            f"the keyboard offers nothing of {wanted} for “{keyboard.composition()}” "
            f"(offered: {' '.join(offered)})"
        )

    def share(self) -> Script:
        """ "存到手机": the one-time download link as a QR code, then back to the report."""
        screen = self.report_screen
        self.press(screen.share_button)
        yield Wait(
            "the QR code of the download link",
            lambda: self.state.step.view is View.SHARE and screen.share_page.qr.has_code(),
        )
        self.shot("share-qr")
        self.press(screen.share_page.back_button)
        yield Wait("the report again", lambda: self.state.step.view is View.REPORT)

    def english(self) -> Script:
        """The header's language button: the report in English, then back to Chinese."""
        self.press(self.window.language_button)
        yield Wait("the screens in English", lambda: self.state.resident.language == "en")
        self.shot("report-english")
        self.press(self.window.language_button)
        yield Wait("the screens in Chinese again", lambda: self.state.resident.language == "zh")

    def take_receipt_and_card(self) -> Script:
        """The receipt rendered from what the printer got, then the card taken out."""
        yield Wait("the printed report", lambda: self.state.phase is Phase.DONE)
        yield Wait("the receipt at the printer", lambda: self._printed() > self._jobs_rendered)
        self.shot("done")
        self.render_last_job("receipt.png")
        _say("taking the card out")
        self._card_in = self._in_session = False
        self.card.remove()
        yield Wait("the idle screen after the session", lambda: self.state.phase is Phase.IDLE)
        self.shot("idle-after-session")
        self.finish(0)

    # -------------------------------------------------------------- what came out
    def _printed(self) -> int:
        """Jobs that put something on paper (a status query alone prints nothing)."""
        return sum(1 for job in self.printer.jobs if job.has_content)

    def render_last_job(self, name: str) -> None:
        """The newest printed job as the paper would look."""
        jobs = [job for job in self.printer.jobs if job.has_content]
        self.printer.render_png(jobs[-1], self.out_dir / name)
        self._jobs_rendered = len(jobs)

    def save_pdf(self) -> None:
        """The report as the kiosk renders it for A4."""
        shown = self.state.resident.report
        assert shown is not None
        pdf = report_pdf.render_pdf(
            shown,
            terminal_id=self.kiosk.services.terminal_id,
            verify_url=f"{self.verify_url}/{shown.verification_code}",
            now=dt.datetime.now(dt.UTC).astimezone(),
        )
        (self.out_dir / "report.pdf").write_bytes(pdf)


def main() -> None:
    """``python -m simulators.demo``: same as ``kiosk demo``."""
    sys.exit(run_demo(Path("out/demo"), autoplay=None, resident="zhang_wei"))


if __name__ == "__main__":
    main()
