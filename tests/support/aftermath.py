"""What every fault test checks once the fault has done its worst (docs/reliability.md):
the kiosk is back at the idle screen by itself within a stated time, nothing of the resident
remains (state, screens, data folder, logs), and nothing queued was lost.

``Pilot`` walks the real window through a session as a resident would (clicks on the real
screens, a virtual card through pcscd, the HTTPS platform simulator's SMS codes).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel

from kiosk import config as kiosk_config
from kiosk.app import logging_setup
from kiosk.flow.session import Phase
from simulators.residents import Resident

if TYPE_CHECKING:
    from pytestqt.qtbot import QtBot

    from simulators.platform_server import PlatformSimulator
    from ui import app as ui_app

WAIT_MS = 20_000  # card reads through pcscd and TLS handshakes on a loaded CI machine

# Short limits, so a fault test sees the kiosk end a session by itself in seconds.
QUICK = kiosk_config.TimeoutsConfig(
    consent_s=4.0,
    card_read_s=6.0,
    second_factor_s=4.0,
    report_s=4.0,
    printing_s=8.0,
    done_s=3.0,
    error_s=3.0,
    warn_before_s=0.0,
)
# What "by itself" allows beyond a limit: the timer's start, a TLS call ending the session.
SLACK_S = 4.0


def quick(cfg: kiosk_config.KioskConfig) -> kiosk_config.KioskConfig:
    """``cfg`` with the short limits."""
    return dataclasses.replace(cfg, timeouts=QUICK)


def log_as_in_a_hall(cfg: kiosk_config.KioskConfig) -> Path:
    """Send every log line to the kiosk's file as `kiosk run` does, keeping the test's own
    log watch (tests/support/logfail.py); with the ``restore_logging`` fixture. The file."""
    root = logging.getLogger()
    watching = list(root.handlers)
    path = logging_setup.setup_logging(Path(cfg.paths.log_dir), journal=False)
    for handler in watching:
        root.addHandler(handler)
    return path


@dataclasses.dataclass
class Pilot:
    """A resident at the real window."""

    qtbot: QtBot
    app: ui_app.KioskApp
    platform: PlatformSimulator

    @property
    def phase(self) -> Phase:
        return self.app.controller.state.phase

    def wait_phase(self, phase: Phase, timeout_ms: int = WAIT_MS) -> None:
        def reached() -> None:
            state = self.app.controller.state
            assert state.phase is phase, f"still {state.phase} ({state.step.message})"

        self.qtbot.wait_until(reached, timeout=timeout_ms)

    def click(self, button: QAbstractButton) -> None:
        self.qtbot.wait_until(lambda: button.isVisible() and button.isEnabled(), timeout=5000)
        self.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    def agree(self) -> None:
        from ui.screens import consent

        self.wait_phase(Phase.CONSENT)
        screen = self.app.window.screen_of(consent.ConsentScreen)
        assert isinstance(screen, consent.ConsentScreen)
        self.click(screen.agree_button)

    def choose_sms(self) -> None:
        from ui.screens import second_factor

        self.wait_phase(Phase.SECOND_FACTOR)
        screen = self.app.window.screen_of(second_factor.SecondFactorScreen)
        assert isinstance(screen, second_factor.SecondFactorScreen)
        sent = len(self.platform.sent_codes)
        self.click(screen.choice_page.sms_button)
        self.qtbot.wait_until(lambda: len(self.platform.sent_codes) > sent, timeout=WAIT_MS)
        # The kiosk has the platform's answer: the code page takes digits.
        self.qtbot.wait_until(
            lambda: (
                self.app.controller.state.step.otp_sent
                and self.app.controller.state.step.pending is None
            ),
            timeout=WAIT_MS,
        )

    def enter_code(self) -> None:
        from ui.screens import second_factor

        screen = self.app.window.screen_of(second_factor.SecondFactorScreen)
        assert isinstance(screen, second_factor.SecondFactorScreen)
        self.qtbot.wait_until(lambda: screen.code_page.isVisible(), timeout=WAIT_MS)
        for digit in self.platform.sent_codes[-1]:
            self.click(screen.code_page.keypad.buttons[digit])
        self.click(screen.code_page.confirm_button)

    def to_report(self) -> None:
        """From the card on the reader to the report on screen, by SMS code."""
        self.agree()
        self.choose_sms()
        self.enter_code()
        self.wait_phase(Phase.REPORT)

    def press_print(self) -> None:
        from ui.screens import report

        screen = self.app.window.screen_of(report.ReportScreen)
        assert isinstance(screen, report.ReportScreen)
        self.click(screen.print_button)

    def texts_on_screen(self) -> list[str]:
        """Every label's text in every screen (visible or not: a hidden one keeps its text)."""
        window = self.app.window
        return [label.text() for label in window.findChildren(QLabel)]


def back_to_idle_by_itself(pilot: Pilot, within_s: float) -> float:
    """Wait, touching nothing, until the idle screen shows; how long it took. The test fails
    if it takes longer than ``within_s``."""
    from ui.screens import idle

    started = time.monotonic()
    pilot.wait_phase(Phase.IDLE, timeout_ms=int(within_s * 1000))
    pilot.qtbot.wait_until(
        lambda: isinstance(pilot.app.window.current_screen(), idle.IdleScreen), timeout=2000
    )
    return time.monotonic() - started


def personal_strings(resident: Resident) -> list[str]:
    """What must never remain of ``resident``: name, ID number, phone."""
    values = [resident.name, resident.id_number]
    if resident.phone:
        values.append(resident.phone)
    return values


def files_holding(roots: Iterable[Path], needles: Iterable[str]) -> list[str]:
    """Files under ``roots`` whose bytes hold any of ``needles`` (UTF-8 and GB18030)."""
    patterns = {
        pattern
        for needle in needles
        for pattern in (needle.encode("utf-8"), needle.encode("gb18030"))
    }
    hits = []
    for root in roots:
        if not root.exists():
            continue
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            data = path.read_bytes()
            hits += [f"{path}: {p!r}" for p in patterns if p in data]
    return hits


def assert_forgotten(pilot: Pilot, cfg: kiosk_config.KioskConfig, *residents: Resident) -> None:
    """Nothing of ``residents`` in the state, on any screen, in the data folder or the logs;
    the report buffer is gone."""
    state = pilot.app.controller.state
    assert state.phase is Phase.IDLE
    resident = state.resident
    assert resident.identity is None and resident.report is None
    assert resident.access_token is None and resident.card_photo is None
    needles = [value for person in residents for value in personal_strings(person)]
    on_screen = [text for text in pilot.texts_on_screen() if any(n in text for n in needles)]
    assert on_screen == []
    data_dir, log_dir = Path(cfg.paths.data_dir), Path(cfg.paths.log_dir)
    assert files_holding([data_dir, log_dir], needles) == []
    assert not list(data_dir.glob("report-buffer*"))


def assert_nothing_queued_lost(pilot: Pilot, *, sessions_ended: int) -> None:
    """The outbox delivers everything it holds once the platform answers, and the platform
    has the end of each of the ``sessions_ended`` sessions."""
    offline = pilot.app.offline
    assert pilot.app.audit_log.flush(), "the audit writer did not catch up"
    result = offline.sender.sync_now(timeout=WAIT_MS / 1000)
    assert result is not None, "the outbox did not finish a pass in time"
    assert offline.stats().size == 0
    ended = [e for e in pilot.platform.audit_events if e.type == "session_ended"]
    assert len(ended) >= sessions_ended, [e.type for e in pilot.platform.audit_events]


def session_id(pilot: Pilot) -> str:
    """The resident's platform session (the card was verified)."""
    identity = pilot.app.controller.state.resident.identity
    assert identity is not None
    return identity.session_id


def assert_platform_session_ended(pilot: Pilot, sid: str) -> None:
    """The kiosk ended the resident's platform session itself (DELETE), not by expiry."""

    def ended() -> None:
        record = pilot.platform.session_record(sid)
        assert record is not None and record.ended

    pilot.qtbot.wait_until(ended, timeout=10_000)
