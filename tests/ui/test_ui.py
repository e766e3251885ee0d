"""Screens and window offscreen: every phase has a screen, Chinese renders with the bundled
font, errors read as plain words, large-text mode really enlarges text."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLabel, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from kiosk import errors
from kiosk.flow import session
from tests.support.kiosk import Harness, dispose_window, kiosk_window, make_controller
from tests.support.screens import scrolled
from ui import main_window, session_screens, theme
from ui.screens import consent, error, idle, report


@pytest.fixture
def harness() -> Harness:
    """The controller behind ``window``, with fakes; the lanes' work is held."""
    return make_controller()


@pytest.fixture
def window(qtbot: QtBot, harness: Harness) -> Iterator[main_window.KioskWindow]:
    win = kiosk_window(harness.controller)
    win.resize(1920, 1080)
    win.show()
    yield win
    harness.controller.stop()
    dispose_window(win)


def test_every_phase_has_a_screen() -> None:
    assert set(session_screens.SCREEN_FOR_PHASE) == set(session.Phase)
    assert len(set(session_screens.SCREEN_FOR_PHASE.values())) == len(session.Phase)


FONT_PROBE = """
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QApplication
from ui import theme
app = QApplication([])
chinese = QFontDatabase.WritingSystem.SimplifiedChinese
print(len(QFontDatabase.families(chinese)))
family = theme.register_fonts()
print(family in QFontDatabase.families(chinese))
"""


def test_chinese_renders_without_any_system_font(tmp_path: Path) -> None:
    """The bundled font alone gives Qt Simplified Chinese: the machine needs no CJK font."""
    no_fonts = tmp_path / "fonts.conf"
    no_fonts.write_text('<?xml version="1.0"?><fontconfig></fontconfig>', encoding="utf-8")
    env = {**os.environ, "FONTCONFIG_FILE": str(no_fonts), "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", FONT_PROBE], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    system_chinese_fonts, bundled_covers_chinese = result.stdout.split()
    assert system_chinese_fonts == "0"
    assert bundled_covers_chinese == "True"


def test_an_error_is_shown_in_plain_words(window: main_window.KioskWindow) -> None:
    state = session.SessionState(
        phase=session.Phase.ERROR,
        step=session.Step(
            message=errors.to_user_message(errors.PlatformRejected("locked", "session locked"))
        ),
    )
    window.show_state(state)
    screen = window.screen_of(error.ErrorScreen)
    assert isinstance(screen, error.ErrorScreen)
    assert window.current_screen() is screen
    assert screen.title.text() == "验证已锁定"
    assert "session locked" not in screen.body.text()


@pytest.mark.parametrize("reason", ["no_reader", "service_down", "not_responding"])
def test_an_unusable_reader_is_said_on_the_idle_screen_until_it_is_back(
    window: main_window.KioskWindow, reason: str
) -> None:
    screen = window.screen_of(idle.IdleScreen)
    assert isinstance(screen, idle.IdleScreen)
    hall = session.Hall(reader_ready=False, reader_problem=reason)
    window.show_state(session.SessionState(hall=hall))
    assert screen.instruction.text() == "读卡器暂时不能使用"
    assert "服务台" in screen.hint.text()
    assert not screen.animation.isVisible()  # no invitation to put a card down
    window.show_state(session.SessionState())
    assert screen.instruction.text() == "请将本人居民身份证放在下方读卡区"
    assert screen.animation.isVisible()


def test_large_text_mode_enlarges_text_and_targets(
    qtbot: QtBot, window: main_window.KioskWindow
) -> None:
    screen = window.screen_of(idle.IdleScreen)
    assert isinstance(screen, idle.IdleScreen)
    normal_text = screen.instruction.fontInfo().pixelSize()
    normal_button = window.elder_button.height()
    window.elder_button.click()
    qtbot.wait_until(lambda: screen.instruction.fontInfo().pixelSize() > normal_text)
    assert screen.instruction.fontInfo().pixelSize() >= normal_text * 1.3
    assert window.elder_button.height() > normal_button
    assert window.elder_button.text() == "标准模式"


def _text_sizes(part: QWidget) -> dict[QWidget, int]:
    widgets = part.findChildren(QLabel) + part.findChildren(QPushButton)
    return {widget: widget.fontInfo().pixelSize() for widget in widgets}


def _in_large_text(state: session.SessionState) -> session.SessionState:
    return dataclasses.replace(state, resident=dataclasses.replace(state.resident, elder_mode=True))


def test_large_text_reaches_every_screen_the_shown_one_first(
    qtbot: QtBot, window: main_window.KioskWindow
) -> None:
    """Large text restyles the screen showing at once, every hidden one soon after, and a
    hidden one that is about to show before it shows: no screen is ever seen half-restyled."""
    qtbot.wait_until(lambda: window.styler.pending() == 0)
    normal = {type(s): _text_sizes(s) for s in window.screens.values()}
    normal_header = _text_sizes(window.header)

    window.show_state(_in_large_text(session.SessionState()))
    idle_screen = window.screen_of(idle.IdleScreen)
    shown_now = _text_sizes(idle_screen) | _text_sizes(window.header)
    for widget, size in shown_now.items():
        before = normal[idle.IdleScreen].get(widget) or normal_header[widget]
        assert size >= before * 1.3, widget.objectName()
    assert window.styler.pending() > 0  # the hidden screens wait their turn

    consent_state = _in_large_text(session.SessionState(phase=session.Phase.CONSENT))
    window.show_state(consent_state)  # before its turn came
    consent_screen = window.screen_of(consent.ConsentScreen)
    for widget, size in _text_sizes(consent_screen).items():
        assert size >= normal[consent.ConsentScreen][widget] * 1.3, widget.objectName()

    qtbot.wait_until(lambda: window.styler.pending() == 0)
    report_screen = window.screen_of(report.ReportScreen)
    assert report_screen.isHidden()
    for screen_type, sizes in normal.items():
        screen = window.screen_of(screen_type)
        for widget, size in _text_sizes(screen).items():
            assert size >= sizes[widget] * 1.3, (screen_type.__name__, widget.objectName())


def test_the_window_refuses_to_close(window: main_window.KioskWindow) -> None:
    assert not window.close()
    assert window.isVisible()


def test_after_a_wrong_code_the_resident_can_type_again(qtbot: QtBot) -> None:
    import datetime as dt

    from kiosk.platform import models
    from ui.screens import second_factor

    screen = second_factor.SecondFactorScreen()
    qtbot.add_widget(screen)
    identity = models.IdentitySession(
        session_id="s",
        expires_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        name="张伟",
        id_masked="3211**********0014",
        second_factors=("sms_otp",),
        phone_masked="138****1234",
    )
    wrong = errors.to_user_message(errors.PlatformRejected("wrong_code", attempts_left=4))
    state = session.SessionState(
        phase=session.Phase.SECOND_FACTOR,
        resident=session.Resident(identity=identity),
        step=session.Step(factor=session.Factor.SMS, otp_sent=True, message=wrong),
    )
    screen.show_state(state)
    assert "还可以尝试 4 次" in screen.code_page.message.text()
    for digit in "12":
        screen.code_page.keypad.buttons[digit].click()
        screen.show_state(state)  # any re-render (a touch, a timer) keeps what was typed
    assert screen.code_page.field.text() == "1 2 _ _ _ _"
    with qtbot.wait_signal(screen.code_entered) as entered:
        for digit in "3456":
            screen.code_page.keypad.buttons[digit].click()
        screen.code_page.confirm_button.click()
    assert entered.args == ["123456"]


@pytest.mark.parametrize("elder", [False, True])
def test_every_screen_fits_a_1080p_panel(
    qtbot: QtBot, window: main_window.KioskWindow, elder: bool
) -> None:
    """No screen makes the full-screen window taller than the display, in either text size."""
    import datetime as dt

    from kiosk.platform import models
    from tests.support.journey import PENALTY_REPORT

    identity = models.IdentitySession(
        session_id="s",
        expires_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        name="张伟",
        id_masked="3211**********0014",
        second_factors=("sms_otp", "staff_assist"),
        phone_masked="138****1234",
    )
    message = errors.to_user_message(errors.PlatformRejected("wrong_code", attempts_left=4))
    for phase in session_screens.SCREEN_FOR_PHASE:
        for factor in session.Factor:
            state = session.SessionState(
                phase=phase,
                resident=session.Resident(
                    elder_mode=elder, identity=identity, report=PENALTY_REPORT
                ),
                step=session.Step(factor=factor, otp_sent=True, message=message),
            )
            window.show_state(state)
            qtbot.wait_until(lambda: window.current_screen().isVisible())
            assert window.size().height() <= 1080, (phase, factor)
            screen = window.current_screen()
            for button in screen.findChildren(QPushButton):
                if button.isVisibleTo(screen) and not scrolled(button):
                    bottom = button.mapTo(window, button.rect().bottomLeft()).y()
                    assert bottom <= window.height(), (phase, factor, button.text())


def test_still_there_warns_counts_down_and_a_touch_continues(
    qtbot: QtBot,
    window: main_window.KioskWindow,
    harness: Harness,
) -> None:
    from ui.screens import second_factor

    harness.to_second_factor()
    clock = harness.clock
    overlay = window.still_there
    factor = window.screen_of(second_factor.SecondFactorScreen)
    assert isinstance(factor, second_factor.SecondFactorScreen)
    assert "138****1234" in factor.choice_page.sms_button.text()
    clock.advance(159)
    assert not overlay.isVisible()
    clock.advance(1)  # 20 s before the 180 s limit
    assert overlay.isVisible()
    assert overlay.geometry() == window.rect()  # over the header and the screen
    assert overlay.seconds.text() == "20"
    assert "20 秒后将结束本次查询" in overlay.body.text()
    assert overlay.ticker.isActive() and overlay.ticker.interval() == 1000
    overlay.tick()
    assert overlay.seconds.text() == "19"
    # A touch anywhere on the overlay continues; the screen underneath keeps its content.
    qtbot.mouseClick(overlay, Qt.MouseButton.LeftButton, pos=QPoint(20, 20))
    assert not overlay.isVisible()
    assert window.current_screen() is factor
    assert "138****1234" in factor.choice_page.sms_button.text()
    # The next warning starts from the full countdown again, and "继续" continues too.
    clock.advance(160)
    assert overlay.isVisible() and overlay.seconds.text() == "20"
    qtbot.mouseClick(overlay.continue_button, Qt.MouseButton.LeftButton)
    assert not overlay.isVisible()
    assert harness.controller.state.phase is session.Phase.SECOND_FACTOR
    harness.controller.stop()


def test_when_the_countdown_ends_the_session_is_over_and_cleared(
    window: main_window.KioskWindow,
    harness: Harness,
) -> None:
    from ui.screens import second_factor

    harness.to_second_factor()
    clock = harness.clock
    overlay = window.still_there
    factor = window.screen_of(second_factor.SecondFactorScreen)
    assert isinstance(factor, second_factor.SecondFactorScreen)
    clock.advance(160)
    assert overlay.isVisible()
    clock.advance(19)
    assert overlay.isVisible()
    clock.advance(1)
    assert harness.controller.state.phase is session.Phase.IDLE
    assert not overlay.isVisible() and not overlay.ticker.isActive()
    assert isinstance(window.current_screen(), idle.IdleScreen)
    assert factor.subject.text() == ""
    harness.controller.stop()


def test_still_there_in_large_text_mode_counts_longer(
    window: main_window.KioskWindow, harness: Harness
) -> None:
    window.elder_button.click()
    ctl = harness.controller
    clock = harness.clock
    ctl.handle(session.CardInserted())
    clock.advance(80)  # consent: 120 s in large-text mode, warned for the last 40
    assert window.still_there.isVisible()
    assert window.still_there.seconds.text() == "40"
    assert window.still_there.continue_button.height() >= 104
    ctl.stop()


def test_call_staff_from_the_idle_screen_shows_a_banner_beeps_and_is_audited(
    qtbot: QtBot,
    window: main_window.KioskWindow,
    monkeypatch: pytest.MonkeyPatch,
    harness: Harness,
) -> None:
    from PySide6.QtWidgets import QApplication

    from kiosk.offline import audit

    beeps: list[None] = []
    monkeypatch.setattr(QApplication, "beep", staticmethod(lambda: beeps.append(None)))
    ctl = harness.controller
    audit_log = audit.LoggingAuditLog()
    ctl.add_listener(audit.SessionAuditor(audit_log))
    clock = harness.clock
    assert window.call_staff_button.isVisible() and not window.staff_banner.isVisible()
    qtbot.mouseClick(window.call_staff_button, Qt.MouseButton.LeftButton)
    assert window.staff_banner.isVisible()
    assert window.staff_banner.text() == "已呼叫工作人员，请稍候"
    assert not window.call_staff_button.isVisible()
    assert len(beeps) == 1
    called = [e for e in audit_log.entries if e.action == "staff_called"]
    assert len(called) == 1
    assert called[0].actor == "system" and dict(called[0].details) == {"phase": "idle"}
    # The banner stays through a session starting, then goes after a minute.
    ctl.handle(session.CardInserted())
    assert window.staff_banner.isVisible()
    assert len(beeps) == 1 and len(audit_log.entries) == 2  # + session_started
    clock.advance(59)
    assert window.staff_banner.isVisible()
    clock.advance(1)
    assert not window.staff_banner.isVisible()
    assert window.call_staff_button.isVisible()
    ctl.stop()


def test_opening_staff_mode_answers_the_call_and_hides_the_button(
    qtbot: QtBot,
    window: main_window.KioskWindow,
    harness: Harness,
) -> None:
    qtbot.mouseClick(window.call_staff_button, Qt.MouseButton.LeftButton)
    assert window.staff_banner.isVisible()
    harness.controller.handle(session.StaffModeRequested())
    assert not window.staff_banner.isVisible()
    assert not window.call_staff_button.isVisible()
    harness.controller.handle(session.StaffModeLeft())
    assert window.call_staff_button.isVisible()
    harness.controller.stop()


def test_call_staff_is_on_every_resident_screen_in_both_sizes(
    qtbot: QtBot, window: main_window.KioskWindow
) -> None:
    for elder in (False, True):
        for phase in session.Phase:
            window.show_state(
                session.SessionState(phase=phase, resident=session.Resident(elder_mode=elder))
            )
            assert window.call_staff_button.isVisible() is (phase is not session.Phase.STAFF)
            if phase is not session.Phase.STAFF:
                # A full-size touch target in the header too: 96 px high in large text.
                tokens = theme.ELDER if elder else theme.NORMAL
                assert window.call_staff_button.height() >= tokens.button_height
        window.show_state(
            session.SessionState(
                resident=session.Resident(elder_mode=elder),
                hall=session.Hall(staff_called=True, staff_call=1),
            )
        )
        assert window.staff_banner.isVisible()
        assert window.size().height() <= 1080


def test_a_busy_platform_says_please_wait_until_the_call_answers(
    window: main_window.KioskWindow,
) -> None:
    waiting = session.SessionState(
        phase=session.Phase.VERIFYING,
        step=session.Step(pending=session.Pending.VERIFY, platform_busy=True),
    )
    window.show_state(waiting)
    assert window.busy_banner.isVisible()
    assert "请稍候" in window.busy_banner.text()
    window.resize(1080, 1920)  # a portrait panel: the whole text still has room
    window.show_state(
        dataclasses.replace(
            waiting, resident=dataclasses.replace(waiting.resident, elder_mode=True)
        )
    )
    metrics = window.busy_banner.fontMetrics()
    assert metrics.horizontalAdvance(window.busy_banner.text()) <= window.busy_banner.width()
    window.show_state(
        session.SessionState(
            phase=session.Phase.VERIFYING, step=session.Step(pending=session.Pending.VERIFY)
        )
    )
    assert not window.busy_banner.isVisible()
