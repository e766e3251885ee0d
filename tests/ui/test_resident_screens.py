"""The resident screens as a person sees them: countdowns, the way to staff, the notices, and
that every screen fits the panel in both orientations and both text sizes.

Screens are built on their own and fed states made by the real ``session.transition`` (or,
for layout checks, the fullest states a screen can show), so no controller or device runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from kiosk import errors
from kiosk.flow import session
from tests.support.journey import (
    CARD_PHOTO,
    CONSENTED_AT,
    IDENTITY,
    RULES,
    at_face_consent,
    at_face_looking,
    at_face_offered,
    at_face_retry,
    at_phase,
    run,
)
from ui import theme
from ui.screens import (
    base,
    consent,
    done,
    error,
    printing,
    reading,
    second_factor,
    sms_code,
    staff_check,
    verifying,
)
from ui.widgets import alnum_keypad, fit_button, keypad

S = session
Factor = session.Factor
# The window's header takes this much of the panel's height at most (large text included);
# a screen gets the rest.
HEADER_ALLOWANCE = 120
PANELS = [(1920, 1080), (1080, 1920)]
WRONG_CODE = errors.to_user_message(errors.PlatformRejected("wrong_code", attempts_left=4))
STAFF_DENIED = errors.to_user_message(errors.PlatformRejected("staff_denied", attempts_left=2))


@pytest.fixture
def apply_theme(qapp: QApplication) -> Iterator[Callable[[bool], None]]:
    """Apply the normal or large-text stylesheet; the application gets its old one back."""
    family = theme.register_fonts()
    before = qapp.styleSheet()

    def apply(elder: bool) -> None:
        theme.apply(qapp, family, elder)

    yield apply
    qapp.setStyleSheet(before)


@pytest.fixture
def factor_screen(qtbot: QtBot) -> second_factor.SecondFactorScreen:
    screen = second_factor.SecondFactorScreen()
    qtbot.add_widget(screen)
    screen.resize(1920, 1080 - HEADER_ALLOWANCE)
    screen.show()
    return screen


def sms_sent(resend_after_s: int) -> S.SessionState:
    """The code page once a code went out, reached through the session's own transitions."""
    state, _ = run(at_phase(S.Phase.SECOND_FACTOR), S.SmsChosen(), S.OtpSent(resend_after_s))
    assert state.step.factor is Factor.SMS and state.step.otp_sent
    return state


def press(screen: second_factor.SecondFactorScreen, keys: str) -> None:
    """Click keys of the digit keypad of the page shown (the code's, or the staff PIN's)."""
    page = screen.pages.currentWidget()
    assert isinstance(page, sms_code.SmsCodePage | staff_check.StaffCheckPage)
    for key in keys:
        page.keypad.buttons[key].click()


# -------------------------------------------------------------- SMS code page
def test_resend_waits_out_its_countdown_then_asks_for_a_new_code(
    qtbot: QtBot, factor_screen: second_factor.SecondFactorScreen
) -> None:
    screen = factor_screen
    sending, _ = run(at_phase(S.Phase.SECOND_FACTOR), S.SmsChosen())
    screen.show_state(sending)
    assert screen.code_page.prompt.text() == "正在发送验证码…"
    assert not screen.code_page.resend_button.isVisible()  # nothing sent yet, nothing to send again

    state = sms_sent(3)
    screen.show_state(state)
    assert screen.code_page.prompt.text() == "验证码已发送至 138****1234"
    resend = screen.code_page.resend_button
    assert resend.isVisible() and not resend.isEnabled()
    assert resend.text() == "3 秒后可重新发送"
    assert (
        screen.code_page.resend_timer.isActive()
        and screen.code_page.resend_timer.interval() == 1000
    )
    with qtbot.assert_not_emitted(screen.resend_requested):
        qtbot.mouseClick(resend, Qt.MouseButton.LeftButton)
    screen.code_page.tick_resend()
    screen.show_state(state)  # a re-render (a touch restarts the inactivity timer) keeps counting
    assert resend.text() == "2 秒后可重新发送" and not resend.isEnabled()
    screen.code_page.tick_resend()
    screen.code_page.tick_resend()
    assert not screen.code_page.resend_timer.isActive()
    # The display ran out; the button waits for the state (the controller's own clock).
    assert resend.text() == "1 秒后可重新发送" and not resend.isEnabled()
    state, _ = run(state, S.ResendReady(IDENTITY.session_id, 1))
    screen.show_state(state)
    assert resend.text() == "重新发送验证码" and resend.isEnabled()

    with qtbot.wait_signal(screen.resend_requested):
        qtbot.mouseClick(resend, Qt.MouseButton.LeftButton)
    state, effects = run(state, S.ResendRequested())
    assert S.SendOtp(IDENTITY.session_id) in effects
    screen.show_state(state)
    assert resend.text() == "正在重新发送…" and not resend.isEnabled()
    # The new code is out: the countdown starts over from what the platform said.
    state, _ = run(state, S.OtpSent(60))
    screen.show_state(state)
    assert resend.text() == "60 秒后可重新发送" and not resend.isEnabled()
    assert screen.code_page.resend_timer.isActive()


def test_the_resend_countdown_runs_on_its_own_and_the_state_enables_the_button(
    qtbot: QtBot, factor_screen: second_factor.SecondFactorScreen
) -> None:
    factor_screen.show_state(sms_sent(2))
    assert factor_screen.code_page.resend_button.text() == "2 秒后可重新发送"
    qtbot.wait_until(lambda: factor_screen.code_page.resend_left == 0, timeout=4000)
    assert not factor_screen.code_page.resend_button.isEnabled()
    ready, _ = run(sms_sent(2), S.ResendReady(IDENTITY.session_id, 1))
    factor_screen.show_state(ready)
    assert factor_screen.code_page.resend_button.isEnabled()
    assert factor_screen.code_page.resend_button.text() == "重新发送验证码"


def test_a_code_refused_as_too_soon_shows_the_wait_and_goes_by_itself(
    factor_screen: second_factor.SecondFactorScreen,
) -> None:
    """The platform's resend wait outlasts what the client waits out (after an expired
    token): the page says the code comes by itself, and counts the wait down."""
    screen = factor_screen
    refusal = errors.PlatformRejected("resend_too_soon", status=429, retry_after_s=45)
    state, _ = run(at_phase(S.Phase.SECOND_FACTOR), S.SmsChosen(), S.Failed(refusal))
    screen.show_state(state)
    page = screen.code_page
    assert page.prompt.text() == "稍后将自动发送验证码至 138****1234"
    assert not page.message_title.isVisible()  # no refusal to explain: the code is coming
    assert page.resend_button.isVisible() and not page.resend_button.isEnabled()
    assert page.resend_button.text() == "45 秒后自动发送"
    assert page.resend_timer.isActive()
    page.tick_resend()
    assert page.resend_button.text() == "44 秒后自动发送"

    state, _ = run(state, S.ResendReady(IDENTITY.session_id, 1))  # sent by itself
    screen.show_state(state)
    assert page.prompt.text() == "正在发送验证码…" and not page.resend_button.isVisible()
    state, _ = run(state, S.OtpSent(60))
    screen.show_state(state)
    assert page.resend_button.text() == "60 秒后可重新发送"


def test_the_countdown_and_everything_typed_go_when_the_session_ends(
    factor_screen: second_factor.SecondFactorScreen,
) -> None:
    screen = factor_screen
    screen.show_state(sms_sent(60))
    press(screen, "123")
    assert screen.code_page.resend_timer.isActive()
    ended, _ = run(sms_sent(60), S.CardRemoved())
    screen.show_state(ended)
    assert not screen.code_page.resend_timer.isActive()
    assert screen.code_page.resend_left == 0
    assert screen.subject.text() == "" and screen.code_page.prompt.text() == ""
    assert screen.code_page.field.text() == "_ _ _ _ _ _"


def test_no_sms_offers_staff_on_the_code_page_in_large_text_too(
    qtbot: QtBot, factor_screen: second_factor.SecondFactorScreen
) -> None:
    # Large text skips the choice page and sends the code at once: this button is the way out.
    elder = dataclasses.replace(
        at_phase(S.Phase.VERIFYING),
        resident=dataclasses.replace(at_phase(S.Phase.VERIFYING).resident, elder_mode=True),
    )
    state, effects = run(elder, S.IdentityVerified(IDENTITY))
    assert state.step.factor is Factor.SMS and S.SendOtp(IDENTITY.session_id) in effects
    state, _ = run(state, S.OtpSent(60))
    factor_screen.show_state(state)
    button = factor_screen.code_page.no_sms_button
    assert button.isVisible() and button.isEnabled()
    assert button.text() == "没有收到短信？请工作人员核验"
    with qtbot.wait_signal(factor_screen.staff_requested):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_a_wrong_code_says_so_prominently_with_the_tries_left(
    factor_screen: second_factor.SecondFactorScreen,
) -> None:
    screen = factor_screen
    state, _ = run(sms_sent(60), S.OtpEntered("000000"))
    screen.show_state(state)
    assert (
        screen.code_page.confirm_button.text() == "正在核对…"
    )  # the state says the code is checked
    state, _ = run(state, S.Failed(errors.PlatformRejected("wrong_code", attempts_left=4)))
    screen.show_state(state)
    assert screen.code_page.confirm_button.text() == "确认"
    assert screen.code_page.message_title.isVisible() and screen.code_page.message.isVisible()
    assert screen.code_page.message_title.text() == "验证码不正确"
    assert screen.code_page.message_title.objectName() == "HeadingWarning"
    assert screen.code_page.message.objectName() == "Warning"
    assert screen.code_page.message.text().endswith("还可以尝试 4 次。")


def test_confirm_is_offered_only_for_a_whole_code(
    qtbot: QtBot, factor_screen: second_factor.SecondFactorScreen
) -> None:
    screen = factor_screen
    screen.show_state(sms_sent(60))
    press(screen, "12345")
    assert not screen.code_page.confirm_button.isEnabled()
    assert screen.code_page.confirm_button.objectName() != "Primary"  # not filled: "not yet"
    press(screen, "6")
    assert (
        screen.code_page.confirm_button.isEnabled()
        and screen.code_page.confirm_button.objectName() == "Primary"
    )
    with qtbot.wait_signal(screen.code_entered) as entered:
        qtbot.mouseClick(screen.code_page.confirm_button, Qt.MouseButton.LeftButton)
    assert entered.args == ["123456"]


# -------------------------------------------------------------- staff form
def test_the_staff_form_says_staff_were_called_and_shows_the_active_field(
    qtbot: QtBot, factor_screen: second_factor.SecondFactorScreen
) -> None:
    screen = factor_screen
    state, _ = run(sms_sent(60), S.StaffChosen())
    assert state.step.factor is Factor.STAFF and state.hall.staff_called
    screen.show_state(state)
    assert screen.staff_page.prompt.text() == "已通知工作人员，请稍候。"
    assert screen.staff_page.detail.text() == "工作人员核对您本人与证件后，在此输入工号和密码。"
    staff_id, pin = screen.staff_page.staff_id_field, screen.staff_page.pin_field
    assert staff_id.objectName() == "FieldActive" and pin.objectName() == "Field"
    assert screen.staff_page.staff_id_caption.text().startswith(staff_check.ACTIVE_MARK)
    type_id(qtbot, screen, "100234")
    # Ids have no fixed length any more: the keypad stays on the id until staff say it is done.
    assert staff_id.text() == "100234" and staff_id.objectName() == "FieldActive"
    tap(qtbot, screen.staff_page.alnum_keypad.buttons[alnum_keypad.NEXT])
    assert pin.objectName() == "FieldActive" and staff_id.objectName() == "Field"
    assert screen.staff_page.pin_caption.text().startswith(staff_check.ACTIVE_MARK)
    assert not screen.staff_page.staff_id_caption.text().startswith(staff_check.ACTIVE_MARK)
    press(screen, "98")
    assert pin.text() == "● ●"
    press(screen, keypad.BACKSPACE * 3)  # past the PIN's start: back into the staff id
    assert pin.text() == "" and staff_id.text() == "10023"
    assert staff_id.objectName() == "FieldActive"
    assert screen.staff_page.alnum_keypad.isVisible() and not screen.staff_page.keypad.isVisible()
    # A tap on a field types into it.
    qtbot.mouseClick(pin, Qt.MouseButton.LeftButton)
    assert pin.objectName() == "FieldActive"
    assert screen.staff_page.keypad.isVisible() and not screen.staff_page.alnum_keypad.isVisible()
    press(screen, "9876")
    qtbot.mouseClick(staff_id, Qt.MouseButton.LeftButton)
    type_id(qtbot, screen, "4")
    assert staff_id.text() == "100234" and pin.text() == "● ● ● ●"
    with qtbot.wait_signal(screen.staff_confirmed) as confirmed:
        qtbot.mouseClick(screen.staff_page.confirm_button, Qt.MouseButton.LeftButton)
    assert confirmed.args == ["100234", "9876"]

    ended, _ = run(state, S.CardRemoved())
    screen.show_state(ended)
    assert staff_id.text() == "" and pin.text() == ""


def staff_form(screen: second_factor.SecondFactorScreen) -> S.SessionState:
    state, _ = run(sms_sent(60), S.StaffChosen())
    screen.show_state(state)
    return state


def tap(qtbot: QtBot, button: QPushButton) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def type_id(qtbot: QtBot, screen: second_factor.SecondFactorScreen, keys: str) -> None:
    """Touch each key of the letter keypad in turn (letters by their lower-case names)."""
    for key in keys:
        tap(qtbot, screen.staff_page.alnum_keypad.buttons[key])


@pytest.mark.parametrize("pin", ["13579", "246801357913"])
def test_staff_type_a_letter_id_then_a_pin_of_any_length_in_format(
    qtbot: QtBot, factor_screen: second_factor.SecondFactorScreen, pin: str
) -> None:
    screen = factor_screen
    staff_form(screen)
    letters = screen.staff_page.alnum_keypad
    assert letters.isVisible() and not screen.staff_page.keypad.isVisible()
    assert not letters.buttons[alnum_keypad.NEXT].isEnabled()  # nothing typed: nothing to end
    type_id(qtbot, screen, "st001")
    assert screen.staff_page.staff_id_field.text() == "ST001"  # letters are shown upper-case
    assert letters.buttons["s"].text() == "S"
    assert letters.buttons[alnum_keypad.NEXT].isEnabled()
    assert not screen.staff_page.confirm_button.isEnabled()  # no PIN yet
    tap(qtbot, letters.buttons[alnum_keypad.NEXT])
    assert screen.staff_page.pin_field.objectName() == "FieldActive"
    assert screen.staff_page.keypad.isVisible() and not letters.isVisible()
    press(screen, pin + "7")  # a digit past the twelfth is refused
    assert screen.staff_page.pin_field.text() == " ".join("●" * min(len(pin) + 1, 12))
    entered = (pin + "7")[:12]
    assert screen.staff_page.confirm_button.isEnabled()
    assert screen.staff_page.confirm_button.objectName() == "Primary"
    with qtbot.wait_signal(screen.staff_confirmed) as confirmed:
        tap(qtbot, screen.staff_page.confirm_button)
    assert confirmed.args == ["ST001", entered]


def test_a_seventeenth_character_of_a_staff_id_is_refused(
    qtbot: QtBot, factor_screen: second_factor.SecondFactorScreen
) -> None:
    screen = factor_screen
    staff_form(screen)
    type_id(qtbot, screen, "abcdefghijklmnop")
    assert screen.staff_page.staff_id_field.text() == "ABCDEFGHIJKLMNOP"
    type_id(qtbot, screen, "q7")
    assert screen.staff_page.staff_id_field.text() == "ABCDEFGHIJKLMNOP"
    tap(qtbot, screen.staff_page.alnum_keypad.buttons[alnum_keypad.BACKSPACE])
    type_id(qtbot, screen, "q")
    assert screen.staff_page.staff_id_field.text() == "ABCDEFGHIJKLMNOQ"
    tap(qtbot, screen.staff_page.alnum_keypad.buttons[alnum_keypad.CLEAR])
    assert screen.staff_page.staff_id_field.text() == ""
    assert not screen.staff_page.alnum_keypad.buttons[alnum_keypad.NEXT].isEnabled()


def test_a_three_digit_pin_cannot_be_confirmed(
    qtbot: QtBot, factor_screen: second_factor.SecondFactorScreen
) -> None:
    screen = factor_screen
    staff_form(screen)
    type_id(qtbot, screen, "st001")
    tap(qtbot, screen.staff_page.pin_field)
    press(screen, "135")
    assert not screen.staff_page.confirm_button.isEnabled()
    assert screen.staff_page.confirm_button.objectName() != "Primary"
    with qtbot.assert_not_emitted(screen.staff_confirmed):
        tap(qtbot, screen.staff_page.confirm_button)
    press(screen, "7")
    assert screen.staff_page.confirm_button.isEnabled()
    # Clear on the digit keypad empties the PIN only: the id stays.
    screen.staff_page.keypad.buttons["clear"].click()
    assert (
        screen.staff_page.pin_field.text() == ""
        and screen.staff_page.staff_id_field.text() == "ST001"
    )
    assert not screen.staff_page.confirm_button.isEnabled()


def test_a_refused_pin_starts_the_pin_again_and_keeps_the_letter_id(
    qtbot: QtBot, factor_screen: second_factor.SecondFactorScreen
) -> None:
    screen = factor_screen
    state = staff_form(screen)
    type_id(qtbot, screen, "st001")
    tap(qtbot, screen.staff_page.alnum_keypad.buttons[alnum_keypad.NEXT])
    press(screen, "97531")
    tap(qtbot, screen.staff_page.confirm_button)
    state, _ = run(state, S.StaffConfirmed("ST001", "97531"))
    screen.show_state(state)
    state, _ = run(state, S.Failed(errors.PlatformRejected("staff_denied", attempts_left=2)))
    screen.show_state(state)
    assert (
        screen.staff_page.staff_id_field.text() == "ST001"
        and screen.staff_page.pin_field.text() == ""
    )
    assert (
        screen.staff_page.pin_field.objectName() == "FieldActive"
        and screen.staff_page.keypad.isVisible()
    )


@pytest.mark.parametrize("panel", PANELS, ids=["landscape", "portrait"])
@pytest.mark.parametrize("elder", [False, True], ids=["normal", "large-text"])
def test_the_letter_keypad_is_big_enough_to_type_standing(
    qtbot: QtBot,
    apply_theme: Callable[[bool], None],
    panel: tuple[int, int],
    elder: bool,
) -> None:
    """Letter keys as tall as the digit keypad's, as wide as the panel allows; both keypads
    fit with the most the form shows (a refused PIN's message)."""
    apply_theme(elder)
    tokens = theme.ELDER if elder else theme.NORMAL
    touch = 96 if elder else 64
    screen = second_factor.SecondFactorScreen()
    host = on_panel(qtbot, screen, *panel)
    state, _ = run(sms_sent(60), S.StaffChosen())
    screen.show_state(
        dataclasses.replace(
            state,
            resident=dataclasses.replace(state.resident, elder_mode=elder),
            step=dataclasses.replace(state.step, message=STAFF_DENIED),
        )
    )
    QApplication.processEvents()
    letters = screen.staff_page.alnum_keypad
    assert letters.isVisible()
    digit = screen.staff_page.keypad.buttons["1"]
    for key in ("q", "1", alnum_keypad.NEXT, alnum_keypad.BACKSPACE):
        button = letters.buttons[key]
        assert button.height() >= tokens.key_size * 2 // 3 >= touch, key
    q = letters.buttons["q"]
    if panel[0] > panel[1]:
        assert q.width() >= touch
        if not elder:  # large text: ten keys of 150 px do not fit beside the fields
            assert q.width() >= tokens.key_size
    else:
        assert q.width() >= 80  # a tenth of the portrait panel's row is all a key can have
    assert not squeezed_or_outside(screen)
    type_id(qtbot, screen, "st001")
    tap(qtbot, letters.buttons[alnum_keypad.NEXT])
    QApplication.processEvents()
    assert screen.staff_page.keypad.isVisible()
    assert digit.width() >= tokens.key_size and digit.height() >= tokens.key_size * 2 // 3
    assert not squeezed_or_outside(screen)
    host.close()


def test_the_staff_form_can_go_back_to_an_sms_code(
    qtbot: QtBot, factor_screen: second_factor.SecondFactorScreen
) -> None:
    state, _ = run(at_phase(S.Phase.SECOND_FACTOR), S.StaffChosen())
    factor_screen.show_state(state)
    with qtbot.wait_signal(factor_screen.sms_requested):
        qtbot.mouseClick(factor_screen.staff_page.use_sms_button, Qt.MouseButton.LeftButton)


def test_a_long_id_of_wide_letters_is_shown_whole_in_large_text(
    qtbot: QtBot, apply_theme: Callable[[bool], None]
) -> None:
    """Sixteen Ws do not fit beside the letter keypad at the field's own size: the text
    shrinks to the field rather than being cut off (staff check every character)."""
    apply_theme(True)
    screen = second_factor.SecondFactorScreen()
    host = on_panel(qtbot, screen, 1920, 1080)
    state, _ = run(sms_sent(60), S.StaffChosen())
    screen.show_state(
        dataclasses.replace(state, resident=dataclasses.replace(state.resident, elder_mode=True))
    )
    type_id(qtbot, screen, "w" * 16)
    QApplication.processEvents()
    field = screen.staff_page.staff_id_field
    assert field.text() == "W" * 16
    room = field.width() - 2 * 30  # the theme's border and padding, and the text's own air
    full = QFontMetrics(field.font()).horizontalAdvance(field.text())
    fitted = fit_button.fitted_font(field.font(), field.text(), room)
    assert full > room  # the case this is about
    assert QFontMetrics(fitted).horizontalAdvance(field.text()) <= room
    # The worst case (sixteen of the widest letter): still as large as normal text's buttons.
    assert fitted.pixelSize() >= theme.NORMAL.body + 4
    field.grab()  # paints without complaint
    host.close()


# -------------------------------------------------------------- other screens
def done_state() -> S.SessionState:
    state = at_phase(S.Phase.DONE)
    assert state.step.limit_s == RULES.done == 15
    return state


def test_done_counts_down_to_the_start_and_restarts_on_a_touch(qtbot: QtBot) -> None:
    screen = done.DoneScreen()
    qtbot.add_widget(screen)
    state = done_state()
    screen.show_state(state)
    assert screen.title.text() == "请取走凭条"
    assert screen.take_card.text() == "请取走您的身份证。取出后，本机将清除您的全部信息。"
    assert screen.countdown.text() == "15 秒后返回首页"
    assert screen.ticker.isActive() and screen.ticker.interval() == 1000
    screen.tick()
    screen.tick()
    screen.show_state(state)  # the same limit still running: no restart
    assert screen.countdown.text() == "13 秒后返回首页"
    touched, _ = run(state, S.UserActive())  # the core restarts the limit, so does the screen
    screen.show_state(touched)
    assert screen.countdown.text() == "15 秒后返回首页"
    ended, _ = run(touched, S.Finished())
    screen.show_state(ended)
    assert not screen.ticker.isActive()
    with qtbot.wait_signal(screen.finish_requested):
        qtbot.mouseClick(screen.finish_button, Qt.MouseButton.LeftButton)


def test_done_without_a_receipt_says_the_query_ended(qtbot: QtBot) -> None:
    screen = done.DoneScreen()
    qtbot.add_widget(screen)
    state, _ = run(at_phase(S.Phase.REPORT), S.Finished())
    screen.show_state(state)
    assert screen.title.text() == "查询结束"
    assert not screen.verify_note.isVisibleTo(screen)  # no receipt, no QR code to speak of


def test_consent_is_short_and_plain_in_large_text(qtbot: QtBot) -> None:
    screen = consent.ConsentScreen()
    qtbot.add_widget(screen)
    screen.show()
    screen.show_state(at_phase(S.Phase.CONSENT))
    assert screen.full_notice.isVisible() and not screen.short_notice.isVisible()
    full = " ".join(label.text() for label in screen.full_notice.findChildren(QLabel))
    for fact in ("姓名", "证件号码", "有效期", "照片", "不保存", "查询记录", "取出身份证"):
        assert fact in full
    screen.show_state(
        dataclasses.replace(
            at_phase(S.Phase.CONSENT),
            resident=dataclasses.replace(at_phase(S.Phase.CONSENT).resident, elder_mode=True),
        )
    )
    assert screen.short_notice.isVisible() and not screen.full_notice.isVisible()
    lines = [line.text() for line in screen.short_lines]
    assert len(lines) == 3
    assert all(0 < len(line) <= 25 for line in lines)
    assert sum(len(line) for line in lines) < len(full) // 2


def test_printing_shows_an_honest_busy_bar_and_where_the_paper_comes_out(qtbot: QtBot) -> None:
    screen = printing.PrintingScreen()
    qtbot.add_widget(screen)
    printing_state = dataclasses.replace(at_phase(S.Phase.PRINTING))
    screen.show_state(printing_state)
    assert screen.title.text() == "正在准备打印…"  # until the printer says it is ready
    screen.show_state(
        dataclasses.replace(
            printing_state,
            step=dataclasses.replace(printing_state.step, print_stage=S.PrintStage.RECEIPT),
        )
    )
    assert screen.title.text() == "正在打印…"
    assert screen.hint.text() == "凭条将从下方出纸口送出，请稍候。"
    assert screen.progress.minimum() == screen.progress.maximum() == 0  # busy, no percentage
    assert not screen.progress.isTextVisible()


@pytest.mark.parametrize("screen_type", [reading.ReadingScreen, verifying.VerifyingScreen])
def test_card_screens_ask_to_keep_the_card_still(
    qtbot: QtBot, screen_type: Callable[[], base.Screen]
) -> None:
    screen = screen_type()
    qtbot.add_widget(screen)
    texts = [label.text() for label in screen.findChildren(QLabel)]
    assert any("请不要移动身份证" in text for text in texts)


def test_the_error_screen_says_whether_trying_again_helps(qtbot: QtBot) -> None:
    screen = error.ErrorScreen()
    qtbot.add_widget(screen)
    locked = errors.to_user_message(errors.PlatformRejected("locked"))
    screen.show_state(S.SessionState(phase=S.Phase.ERROR, step=S.Step(message=locked)))
    assert screen.title.text() == "验证已锁定"
    assert "重试" not in screen.hint.text()
    expired = errors.to_user_message(errors.PlatformRejected("ticket_expired"))
    assert expired.can_retry
    screen.show_state(S.SessionState(phase=S.Phase.ERROR, step=S.Step(message=expired)))
    assert "重试" in screen.hint.text()


# -------------------------------------------------------------- fit and accessibility
def states_to_fit(elder: bool) -> list[tuple[type[base.Screen], S.SessionState]]:
    """Each screen with the most it ever shows at once."""
    on = dataclasses.replace
    sent = sms_sent(60)
    sms = on(sent, step=on(sent.step, message=WRONG_CODE))
    staff, _ = run(sms_sent(60), S.StaffChosen())
    face_preparing, _ = run(at_face_consent(), S.FaceConsentGiven(at=CONSENTED_AT))
    face_checking, _ = run(at_face_looking(), S.FaceAttemptDone(0.8, True, None, CARD_PHOTO.sha256))
    cases: list[tuple[type[base.Screen], S.SessionState]] = [
        (consent.ConsentScreen, at_phase(S.Phase.CONSENT)),
        (reading.ReadingScreen, at_phase(S.Phase.READING_CARD)),
        (verifying.VerifyingScreen, at_phase(S.Phase.VERIFYING)),
        (second_factor.SecondFactorScreen, at_phase(S.Phase.SECOND_FACTOR)),
        (second_factor.SecondFactorScreen, sms),
        (second_factor.SecondFactorScreen, on(staff, step=on(staff.step, message=STAFF_DENIED))),
        # The face check: offered first, its notice, each stage of an attempt, the hints
        # after a rejection.
        (second_factor.SecondFactorScreen, at_face_offered()),
        (second_factor.SecondFactorScreen, at_face_consent()),
        (second_factor.SecondFactorScreen, face_preparing),
        (second_factor.SecondFactorScreen, at_face_looking("turn_left")),
        (second_factor.SecondFactorScreen, face_checking),
        (second_factor.SecondFactorScreen, at_face_retry(None)),  # the longest hints
        (printing.PrintingScreen, at_phase(S.Phase.PRINTING)),
        (done.DoneScreen, done_state()),
        (error.ErrorScreen, S.SessionState(phase=S.Phase.ERROR, step=S.Step(message=WRONG_CODE))),
    ]
    return [
        (screen_type, on(state, resident=on(state.resident, elder_mode=elder)))
        for screen_type, state in cases
    ]


def on_panel(qtbot: QtBot, screen: base.Screen, width: int, height: int) -> QWidget:
    """Show ``screen`` as the window does: filling a space of the panel's size that cannot
    grow (a screen shown on its own would grow to whatever its layout asks for)."""
    panel = QWidget()
    qtbot.add_widget(panel)
    panel.setFixedSize(width, height - HEADER_ALLOWANCE)
    column = QVBoxLayout(panel)
    column.setContentsMargins(0, 0, 0, 0)
    column.addWidget(screen)
    panel.show()
    qtbot.wait_until(screen.isVisible)
    assert screen.size() == panel.size()
    return panel


def squeezed_or_outside(screen: QWidget) -> list[str]:
    """Visible buttons and labels that lie outside the screen or got less room than they
    need (a squeezed button overlaps its neighbours; a squeezed label cuts its text off)."""
    problems: list[str] = []
    bounds = screen.rect()
    for widget in screen.findChildren(QWidget):
        if not isinstance(widget, QPushButton | QLabel) or not widget.isVisibleTo(screen):
            continue
        where = QRect(widget.mapTo(screen, QPoint(0, 0)), widget.size())
        name = f"{type(widget).__name__} {widget.text()!r}"
        if not bounds.contains(where):
            problems.append(f"{name} at {where} outside {bounds}")
        clipped_by = clipping_ancestor(widget, screen)
        if clipped_by is not None:
            problems.append(f"{name} at {where} cut off by its {clipped_by}")
        need = widget.minimumSizeHint()
        if isinstance(widget, QLabel) and widget.wordWrap():
            need.setHeight(widget.heightForWidth(widget.width()))
        elif isinstance(widget, QLabel):
            need = widget.sizeHint()
        if widget.width() < need.width() or widget.height() < need.height():
            problems.append(f"{name} is {widget.size()}, needs {need}")
    return problems


def clipping_ancestor(widget: QWidget, screen: QWidget) -> str | None:
    """The first container between ``widget`` and ``screen`` that is smaller than the part of
    it ``widget`` occupies (a squeezed container draws only what fits: a keypad's last row
    was cut off that way while every key kept its own size)."""
    parent = widget.parentWidget()
    while parent is not None and parent is not screen:
        where = QRect(widget.mapTo(parent, QPoint(0, 0)), widget.size())
        if not parent.rect().contains(where):
            return f"{type(parent).__name__} {parent.objectName()!r} of {parent.size()}"
        parent = parent.parentWidget()
    return None


@pytest.mark.parametrize("panel", PANELS, ids=["landscape", "portrait"])
@pytest.mark.parametrize("elder", [False, True], ids=["normal", "large-text"])
def test_every_resident_screen_fits_the_panel(
    qtbot: QtBot,
    apply_theme: Callable[[bool], None],
    panel: tuple[int, int],
    elder: bool,
) -> None:
    apply_theme(elder)
    width, height = panel
    for screen_type, state in states_to_fit(elder):
        screen = screen_type()
        host = on_panel(qtbot, screen, width, height)
        screen.show_state(state)
        QApplication.processEvents()  # let the layouts settle after the texts changed
        problems = squeezed_or_outside(screen)
        assert not problems, (
            screen_type.__name__,
            state.step.factor,
            state.step.face_stage,
            problems,
        )
        host.close()


def test_the_fit_check_catches_a_screen_that_overflows(
    qtbot: QtBot, apply_theme: Callable[[bool], None]
) -> None:
    """The check above can fail: a screen with more than the panel holds is reported."""
    apply_theme(True)
    screen = base.Screen()
    for n in range(12):
        screen.layout_.addWidget(base.button(f"按钮 {n}"))
    panel = on_panel(qtbot, screen, 1920, 1080)
    assert squeezed_or_outside(screen)
    panel.close()


def test_every_button_has_an_accessible_name(qtbot: QtBot) -> None:
    for screen_type, state in states_to_fit(elder=False):
        screen = screen_type()
        qtbot.add_widget(screen)
        screen.show_state(state)
        for button in screen.findChildren(QPushButton):
            assert button.accessibleName(), (screen_type.__name__, button.text())
