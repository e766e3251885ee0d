"""``kiosk demo``: the real kiosk against the simulators, over the real protocols.

The platform simulator serves HTTPS on loopback, the virtual card plugs into ``pcscd``
through the vpcd virtual reader, and the virtual printer takes raw ESC/POS on TCP. The kiosk
runs the same client code as in production. Terminal credentials live in an in-memory keyring
for the demo's lifetime (the terminal enrolls with a one-time code at start).

With no display the demo plays one whole session by itself (``Autopilot``) and leaves in the
output folder a screenshot of every screen, the report PDF and a PNG of the printed receipt.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import queue
import re
import shutil
import socket
import sys
from collections.abc import Callable
from pathlib import Path

import keyring
from PySide6.QtCore import QTimer

from kiosk import config as kiosk_config
from kiosk import credentials, report_pdf, session, wiring
from kiosk.logging_setup import setup_logging
from simulators import card_factory, pcscd, virtual_card
from simulators.memory_keyring import MemoryKeyring
from simulators.platform_server import DEMO_STAFF, PlatformSimulator
from simulators.residents import RESIDENTS
from simulators.virtual_printer import VirtualPrinter
from ui import app as ui_app
from ui.screens import consent, report, second_factor

log = logging.getLogger(__name__)

AUTOPLAY_DEADLINE_S = 120
DEMO_STAFF_ID, DEMO_STAFF_PIN = next(iter(DEMO_STAFF.items()))
STEP_DELAY_MS = 400  # lets each screen paint (and a watching person read it) before acting


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
    """Enroll the terminal with a fresh one-time code, as staff would; keep it in the keyring."""
    client = wiring.build_platform_client(cfg, None)
    try:
        creds = client.enroll(platform.new_enrollment_code(), socket.gethostname())
    finally:
        client.close()
    credentials.CredentialStore().save(creds)
    return creds


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


def run_demo(out_dir: Path, *, autoplay: bool | None, resident: str) -> int:
    """Start every simulator and the kiosk; return the process exit status."""
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
        daemon = stack.enter_context(pcscd.running())
        issuer = card_factory.make_issuer_ca()
        card = card_factory.issue_card(RESIDENTS[resident], issuer)
        printer = stack.enter_context(VirtualPrinter(port=_port_or_free(9100)))
        platform = stack.enter_context(
            PlatformSimulator(
                work / "platform", issuer_ca_certs=[issuer.cert_der], sms_sink=sms_sink
            )
        )
        _say(f"platform simulator: {platform.base_url} (HTTPS, CA {platform.ca_bundle_path})")
        _say(f"virtual printer: raw ESC/POS on 127.0.0.1:{printer.port}")
        _say(
            f"card reader: {daemon.reader} via pcscd "
            f"({'started by the demo' if daemon.started_here else 'already running'})"
        )

        keyring.set_keyring(MemoryKeyring())
        # Written out and read back: the demo's configuration goes through the same file
        # loading and validation as a hall's /etc/credit-kiosk/kiosk.toml.
        config_path = work / "kiosk.toml"
        config_path.write_text(
            kiosk_config.to_toml(
                simulator_config(platform, printer, daemon.reader, work, out_dir / "logs")
            ),
            encoding="utf-8",
        )
        cfg = kiosk_config.load_config(config_path)
        _say(f"kiosk configuration: {config_path}")
        creds = enroll(cfg, platform)
        _say(f"terminal enrolled as {creds.terminal_id}")

        kiosk = ui_app.KioskApp(cfg, wiring.build_services(cfg, creds))
        stack.callback(kiosk.stop)
        card_client = virtual_card.VirtualCardClient(
            virtual_card.Rid1Applet(card), port=daemon.port
        )
        stack.callback(card_client.remove)
        if autoplay:
            pilot = Autopilot(
                kiosk, card_client, sms_codes, printer, out_dir, verify_url=wiring.verify_url(cfg)
            )
            kiosk.start(fullscreen=False)
            pilot.start()
            status = kiosk.qt_app.exec()
            if status == 0:
                _say(f"done: everything the session showed and printed is in {out_dir}")
                for path in sorted(p for p in out_dir.rglob("*") if p.suffix in {".png", ".pdf"}):
                    _say(f"  {path.relative_to(out_dir)}")
            else:
                _say(f"the session did not finish; see {log_path}")
            return status
        kiosk.start(fullscreen=True)
        _say(f"the card of {resident} is inserted; SMS codes appear here. Ctrl+C ends the demo.")
        card_client.insert()
        return ui_app.run_event_loop(kiosk)


class Autopilot:
    """Plays one resident session through the real UI, taking a screenshot of each screen."""

    def __init__(
        self,
        kiosk: ui_app.KioskApp,
        card: virtual_card.VirtualCardClient,
        sms_codes: queue.SimpleQueue[str],
        printer: VirtualPrinter,
        out_dir: Path,
        *,
        verify_url: str,
    ) -> None:
        self.kiosk = kiosk
        self.window = kiosk.window
        self.controller = kiosk.controller
        self.card = card
        self.sms_codes = sms_codes
        self.printer = printer
        self.shots = out_dir / "screens"
        self.shots.mkdir(parents=True, exist_ok=True)
        self.out_dir = out_dir
        self.verify_url = verify_url
        self._done_keys: set[tuple[object, ...]] = set()
        self._count = 0

    # -------------------------------------------------------------- plumbing
    def later(self, fn: Callable[[], None], delay_ms: int = STEP_DELAY_MS) -> None:
        """Run ``fn`` on the GUI thread after ``delay_ms``."""
        QTimer.singleShot(delay_ms, fn)

    def shot_then(self, name: str, action: Callable[[], None]) -> Callable[[], None]:
        """A step that takes a screenshot, then does ``action``."""

        def step() -> None:
            self.shot(name)
            action()

        return step

    def shot(self, name: str) -> None:
        """Save a screenshot of the whole window."""
        self._count += 1
        path = self.shots / f"{self._count:02d}-{name}.png"
        self.window.grab().save(str(path))
        log.info("screenshot %s", path.name)

    def finish(self, status: int, why: str = "") -> None:
        """Leave the Qt event loop."""
        if why:
            _say(why)
        self.kiosk.qt_app.exit(status)

    def start(self) -> None:
        """Begin: show the idle screen, then insert the card."""
        self.controller.add_listener(self.on_state)
        self.later(lambda: self.finish(1, "autoplay timed out"), AUTOPLAY_DEADLINE_S * 1000)

        def begin() -> None:
            self.shot("idle")
            _say("inserting the virtual ID card")
            self.card.insert()

        self.later(begin, 800)

    # -------------------------------------------------------------- the script
    def once(self, *key: object) -> bool:
        """True the first time ``key`` is seen: each step runs once."""
        if key in self._done_keys:
            return False
        self._done_keys.add(key)
        return True

    def on_state(self, state: session.SessionState) -> None:
        """React to what the kiosk shows, as a resident would."""
        phase = state.phase
        window = self.window
        consent_screen = window.screen_of(consent.ConsentScreen)
        factor_screen = window.screen_of(second_factor.SecondFactorScreen)
        report_screen = window.screen_of(report.ReportScreen)
        assert isinstance(consent_screen, consent.ConsentScreen)
        assert isinstance(factor_screen, second_factor.SecondFactorScreen)
        assert isinstance(report_screen, report.ReportScreen)
        choosing = state.factor is session.Factor.CHOOSING
        if phase is session.Phase.CONSENT and self.once(phase):
            self.later(self.shot_then("consent", consent_screen.agree_button.click))
        elif phase in {session.Phase.READING_CARD, session.Phase.VERIFYING} and self.once(phase):
            self.shot(phase.value.replace("_", "-"))
        elif phase is session.Phase.SECOND_FACTOR and choosing and self.once(phase, "choose"):
            self.later(self.shot_then("second-factor", factor_screen.sms_button.click))
        elif phase is session.Phase.SECOND_FACTOR and state.otp_sent and self.once(phase, "sms"):
            self.later(lambda: self.type_code(factor_screen))
        elif (
            phase is session.Phase.SECOND_FACTOR
            and state.factor is session.Factor.STAFF
            and (self.once(phase, "staff"))
        ):
            self.later(lambda: self.type_staff(factor_screen))
        elif phase is session.Phase.REPORT and state.report and self.once(phase):
            self.save_pdf(state)
            self.later(lambda: self.show_report(report_screen))
        elif phase is session.Phase.PRINTING and self.once(phase):
            self.shot("printing")
        elif phase is session.Phase.DONE and self.once(phase):
            self.later(self.shot_then("done", self.collect_receipt))
        elif phase is session.Phase.IDLE and ("done",) in self._done_keys and self.once(phase):
            self.later(self.shot_then("idle-after-session", lambda: self.finish(0)))
        elif phase is session.Phase.ERROR and self.once(phase):
            why = f"session failed: {state.message.title if state.message else '?'}"
            self.later(self.shot_then("error", lambda: self.finish(1, why)))

    def type_code(self, screen: second_factor.SecondFactorScreen) -> None:
        """Wait for the SMS, then type it on the on-screen keypad like a resident."""
        try:
            code = self.sms_codes.get_nowait()
        except queue.Empty:
            self.later(lambda: self.type_code(screen), 100)
            return
        for digit in code:
            screen.keypad.buttons[digit].click()
        self.shot("sms-code")
        screen.confirm_button.click()

    def type_staff(self, screen: second_factor.SecondFactorScreen) -> None:
        """A staff member confirms the resident in person: id and PIN on the keypad."""
        self.shot("staff-confirm")
        for digit in DEMO_STAFF_ID + DEMO_STAFF_PIN:
            screen.keypad.buttons[digit].click()
        screen.confirm_button.click()

    def show_report(self, screen: report.ReportScreen) -> None:
        """Screenshot the report, in large text too, then print."""
        self.shot("report")
        screen.down_button.click()
        self.shot("report-page-2")
        self.window.elder_button.click()
        self.later(lambda: self._report_large_text(screen))

    def _report_large_text(self, screen: report.ReportScreen) -> None:
        self.shot("report-large-text")
        self.window.elder_button.click()
        self.later(screen.print_button.click)

    def save_pdf(self, state: session.SessionState) -> None:
        """The report as the kiosk renders it for A4."""
        assert state.report is not None
        pdf = report_pdf.render_pdf(
            state.report,
            terminal_id=self.kiosk.services.terminal_id,
            verify_url=f"{self.verify_url}/{state.report.verification_code}",
            now=dt.datetime.now(dt.UTC).astimezone(),
        )
        (self.out_dir / "report.pdf").write_bytes(pdf)

    def collect_receipt(self) -> None:
        """Render what the virtual printer received, then take the card out."""
        jobs = self.printer.jobs
        if not jobs:
            self.later(self.collect_receipt, 100)
            return
        self.printer.render_png(jobs[-1], self.out_dir / "receipt.png")
        self._done_keys.add(("done",))
        _say("taking the card out")
        self.card.remove()


def main() -> None:
    """``python -m simulators.demo``: same as ``kiosk demo``."""
    sys.exit(run_demo(Path("out/demo"), autoplay=None, resident="zhang_wei"))


if __name__ == "__main__":
    main()
