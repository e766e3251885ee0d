"""The face check as the resident sees it: offered first on the choice page, its notice with
"agree" and "another way", the mirrored camera picture with one instruction at a time, the
hints after a failed attempt, and nothing of it left once the session ends.

Screens are fed states made by the real ``session.transition`` (``tests.support.journey``);
the window's wiring is checked with a controller whose ``handle`` records the events.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from kiosk import errors
from kiosk.face.vocabulary import FailReason, Prompt
from kiosk.flow import session
from kiosk.voice import prompts
from tests.support import journey
from tests.support.journey import (
    CARD_PHOTO,
    FACE_IDENTITY,
    FACE_NOTICE,
    at_face_consent,
    at_face_looking,
    at_face_offered,
    at_face_retry,
    at_phase,
    run,
)
from tests.support.kiosk import Harness, dispose_window, kiosk_window, make_controller
from tests.ui.test_resident_screens import HEADER_ALLOWANCE
from ui import main_window, voice
from ui.screens import face_check, second_factor

S = session
Stage = session.FaceStage
Frame = npt.NDArray[np.uint8]


@pytest.fixture
def screen(qtbot: QtBot) -> second_factor.SecondFactorScreen:
    shown = second_factor.SecondFactorScreen()
    qtbot.add_widget(shown)
    shown.resize(1920, 1080 - HEADER_ALLOWANCE)
    shown.show()
    qtbot.wait_until(shown.isVisible)
    return shown


class CountingCamera:
    """A preview source: ``frame`` each time it is asked, and how often it was."""

    def __init__(self, frame: Frame | None) -> None:
        self.frame = frame
        self.calls = 0

    def __call__(self) -> Frame | None:
        self.calls += 1
        return self.frame


def half_white_frame(width: int = 640, height: int = 480) -> Frame:
    """As the camera sees it: white on the left half, black on the right (BGR)."""
    frame = np.zeros((height, width, 3), dtype=np.uint8)
    frame[:, : width // 2] = 255
    return frame


def texts(widget: face_check.FaceCheckPage) -> list[str]:
    """The texts the page shows now."""
    return [
        label.text()
        for label in widget.findChildren(QLabel)
        if label.isVisibleTo(widget) and label.text()
    ]


def checking(state: S.SessionState, *, passed: bool = True) -> S.SessionState:
    """The attempt ran and its outcome is on its way to the platform."""
    done, _ = run(
        state,
        S.FaceAttemptDone(
            score=0.8,
            liveness_passed=passed,
            liveness_reason=None if passed else "too_slow",
            reference_sha256=CARD_PHOTO.sha256,
        ),
    )
    assert done.step.face_stage is Stage.CHECKING
    return done


# -------------------------------------------------------------- choice page
def test_the_face_check_is_offered_first_with_the_other_ways_under_it(
    qtbot: QtBot, screen: second_factor.SecondFactorScreen
) -> None:
    choice = screen.choice_page
    screen.show_state(at_face_offered())
    assert screen.pages.currentWidget() is choice
    face, sms, staff = choice.face_button, choice.sms_button, choice.staff_button
    assert face.isVisible() and face.text() == "刷脸核验，照片不保存"
    assert face.objectName() == "Primary"
    # The other ways one touch away, below it, as equal choices: neither is the filled one.
    assert sms.isVisible() and sms.isEnabled() and sms.objectName() != "Primary"
    assert staff.isVisible() and staff.isEnabled() and staff.objectName() != "Primary"
    assert face.y() < sms.y() < staff.y()
    assert choice.others_note.isVisible()
    with qtbot.wait_signal(screen.face_requested):
        qtbot.mouseClick(face, Qt.MouseButton.LeftButton)
    chosen, _ = run(at_face_offered(), S.FaceChosen())
    screen.show_state(chosen)
    assert screen.pages.currentWidget() is screen.face_consent_page


def test_without_the_face_check_the_choice_page_is_as_before(
    screen: second_factor.SecondFactorScreen,
) -> None:
    choice = screen.choice_page
    screen.show_state(at_face_offered())
    screen.show_state(at_phase(S.Phase.SECOND_FACTOR))  # a resident the platform offers no face
    assert not choice.face_button.isVisible() and not choice.others_note.isVisible()
    assert choice.sms_button.isVisible() and choice.sms_button.objectName() == "Primary"
    assert choice.staff_button.isVisible()


def test_a_kiosk_that_cannot_check_faces_does_not_offer_it(
    screen: second_factor.SecondFactorScreen,
) -> None:
    state, _ = run(
        at_phase(S.Phase.VERIFYING),
        S.IdentityVerified(FACE_IDENTITY, card_photo=CARD_PHOTO, face_ready=False),
    )
    screen.show_state(state)
    assert not screen.choice_page.face_button.isVisible()


def test_no_phone_with_the_face_check_offers_face_and_staff_only(
    screen: second_factor.SecondFactorScreen,
) -> None:
    no_phone = dataclasses.replace(
        FACE_IDENTITY, second_factors=("staff_assist", "face"), phone_masked=None
    )
    state, _ = run(
        at_phase(S.Phase.VERIFYING),
        S.IdentityVerified(no_phone, card_photo=CARD_PHOTO, face_ready=True),
    )
    assert state.step.factor is S.Factor.CHOOSING
    screen.show_state(state)
    choice = screen.choice_page
    assert choice.face_button.isVisible() and choice.staff_button.isVisible()
    assert not choice.sms_button.isVisible()
    # "No phone: staff will check you" would read as the only way: not shown beside the face.
    assert not choice.no_phone_note.isVisible()


# -------------------------------------------------------------- consent page
def test_the_notice_is_the_platforms_with_the_kiosks_plain_summary(
    screen: second_factor.SecondFactorScreen,
) -> None:
    screen.show_state(at_face_consent())
    page = screen.face_consent_page
    assert screen.pages.currentWidget() is page
    assert page.notice_title.text() == FACE_NOTICE.title
    assert page.notice_body() == FACE_NOTICE.body  # every paragraph, as the platform wrote it
    assert len(page.notice_paragraphs) == FACE_NOTICE.body.count("\n") + 1
    summary = " ".join(line.text() for line in page.summary_lines)
    for fact in (
        "脸",
        "身份证里的照片",
        "这台机器",
        "不保存",
        "不发送",
        "结果",
        "短信",
        "工作人员",
    ):
        assert fact in summary, fact
    assert page.agree_button.text() == "同意，开始刷脸" and page.agree_button.isEnabled()
    assert page.decline_button.text() == "不同意，用其他方式" and page.decline_button.isEnabled()
    assert page.agree_button.objectName() == "Primary"


def test_agreeing_and_declining_signal_the_screen(
    qtbot: QtBot, screen: second_factor.SecondFactorScreen
) -> None:
    screen.show_state(at_face_consent())
    page = screen.face_consent_page
    with qtbot.wait_signal(screen.face_agreed), qtbot.assert_not_emitted(screen.face_declined):
        qtbot.mouseClick(page.agree_button, Qt.MouseButton.LeftButton)
    with qtbot.wait_signal(screen.face_declined), qtbot.assert_not_emitted(screen.face_agreed):
        qtbot.mouseClick(page.decline_button, Qt.MouseButton.LeftButton)


def test_a_long_notice_scrolls_rather_than_being_cut(
    qtbot: QtBot, screen: second_factor.SecondFactorScreen
) -> None:
    long_notice = dataclasses.replace(FACE_NOTICE, body="\n".join([FACE_NOTICE.body] * 30))
    assert FACE_IDENTITY.face_policy is not None
    identity = dataclasses.replace(
        FACE_IDENTITY,
        face_policy=dataclasses.replace(FACE_IDENTITY.face_policy, notice=long_notice),
    )
    state = at_face_consent()
    state = dataclasses.replace(
        state, resident=dataclasses.replace(state.resident, identity=identity)
    )
    screen.show_state(state)
    page = screen.face_consent_page
    bar = page.notice_scroll.verticalScrollBar()
    qtbot.wait_until(lambda: bar.maximum() > 0)
    assert page.notice_body() == long_notice.body
    bottom = page.agree_button.mapTo(screen, page.agree_button.rect().bottomLeft()).y()
    assert bottom <= screen.height()  # the buttons stay on the panel


@pytest.fixture
def window_events(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[main_window.KioskWindow, Harness, list[S.Event]]]:
    """A window on a held controller whose ``handle`` records every event it is given."""
    harness = make_controller()
    events: list[S.Event] = []
    real_handle = harness.controller.handle

    def record(event: S.Event) -> None:
        events.append(event)
        real_handle(event)

    monkeypatch.setattr(harness.controller, "handle", record)
    window = kiosk_window(harness.controller)
    window.resize(1920, 1080)
    window.show()
    yield window, harness, events
    harness.controller.stop()
    dispose_window(window)


def walk_to_face_choice(harness: Harness) -> None:
    """Feed the journey up to a verified card whose platform offers the face check."""
    for event in journey.JOURNEY:
        if isinstance(event, S.IdentityVerified):
            break
        harness.feed(event)
    harness.feed(S.IdentityVerified(FACE_IDENTITY, card_photo=CARD_PHOTO, face_ready=True))
    harness.held.drop_pending()
    assert harness.controller.state.resident.face_offered


def test_the_window_turns_each_touch_into_its_session_event(
    qtbot: QtBot,
    window_events: tuple[main_window.KioskWindow, Harness, list[S.Event]],
) -> None:
    window, harness, events = window_events
    walk_to_face_choice(harness)
    factor = window.screen_of(second_factor.SecondFactorScreen)
    assert isinstance(factor, second_factor.SecondFactorScreen)
    click = lambda button: qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # noqa: E731

    click(factor.choice_page.face_button)
    assert events[-1] == S.FaceChosen()
    # Declining costs nothing: back to the choice, the face check still on offer.
    click(factor.face_consent_page.decline_button)
    assert events[-1] == S.FaceDeclined()
    state = harness.controller.state
    assert state.step.factor is S.Factor.CHOOSING and state.resident.face_offered
    assert state.resident.face_attempts_left == 3

    click(factor.choice_page.face_button)
    before = dt.datetime.now(dt.UTC)
    click(factor.face_consent_page.agree_button)
    agreed = events[-1]
    assert isinstance(agreed, S.FaceConsentGiven)
    # Stamped when the resident agreed, in China Standard Time (RFC 3339 with its offset).
    assert agreed.at.utcoffset() == dt.timedelta(hours=8)
    assert before - dt.timedelta(seconds=1) <= agreed.at <= dt.datetime.now(dt.UTC)
    assert harness.controller.state.step.face_stage is Stage.PREPARING
    assert factor.pages.currentWidget() is factor.face_page

    click(factor.face_page.other_way_button)  # even while the camera starts
    assert events[-1] == S.FaceDeclined()
    assert harness.controller.state.step.factor is S.Factor.CHOOSING
    harness.held.drop_pending()


def test_a_touch_anywhere_in_the_window_counts_as_activity(
    qtbot: QtBot,
    window_events: tuple[main_window.KioskWindow, Harness, list[S.Event]],
) -> None:
    """A press on plain text, delivered as the touch panel delivers it (to the window's
    QWindow), restarts the inactivity timer; so does a touch on a button."""
    window, harness, events = window_events
    walk_to_face_choice(harness)
    factor = window.screen_of(second_factor.SecondFactorScreen)
    assert isinstance(factor, second_factor.SecondFactorScreen)
    qtbot.wait_exposed(window)
    events.clear()
    on_text = factor.mapTo(window, QPoint(factor.width() // 2, 5))
    QTest.mouseClick(window.windowHandle(), Qt.MouseButton.LeftButton, pos=on_text)
    assert events == [S.UserActive()]
    button = factor.choice_page.face_button
    at = button.mapTo(window, QPoint(button.width() // 2, button.height() // 2))
    QTest.mouseClick(window.windowHandle(), Qt.MouseButton.LeftButton, pos=at)
    assert events[:2] == [S.UserActive(), S.UserActive()] and events[2] == S.FaceChosen()
    harness.held.drop_pending()


def test_try_again_from_the_window_asks_for_another_attempt(
    qtbot: QtBot,
    window_events: tuple[main_window.KioskWindow, Harness, list[S.Event]],
) -> None:
    window, harness, events = window_events
    walk_to_face_choice(harness)
    harness.feed(
        S.FaceChosen(),
        S.FaceConsentGiven(at=journey.CONSENTED_AT),
        S.FacePrompted("face_straight"),
        S.FaceAttemptDone(0.1, True, None, CARD_PHOTO.sha256),
        S.Failed(errors.PlatformRejected("face_rejected", attempts_left=2)),
    )
    harness.held.drop_pending()
    factor = window.screen_of(second_factor.SecondFactorScreen)
    assert isinstance(factor, second_factor.SecondFactorScreen)
    assert factor.face_page.retry_button.isVisible()
    qtbot.mouseClick(factor.face_page.retry_button, Qt.MouseButton.LeftButton)
    assert events[-1] == S.FaceRetryRequested()
    assert harness.controller.state.step.face_stage is Stage.PREPARING
    harness.held.drop_pending()


def test_the_window_hands_the_preview_source_to_the_face_page(
    window_events: tuple[main_window.KioskWindow, Harness, list[S.Event]],
) -> None:
    window, harness, _ = window_events
    camera = CountingCamera(half_white_frame())
    window.set_face_preview(camera)
    walk_to_face_choice(harness)
    harness.feed(S.FaceChosen(), S.FaceConsentGiven(at=journey.CONSENTED_AT))
    factor = window.screen_of(second_factor.SecondFactorScreen)
    assert isinstance(factor, second_factor.SecondFactorScreen)
    assert factor.face_page.preview_timer.isActive()
    factor.face_page.poll_preview()
    assert camera.calls >= 1 and factor.face_page.preview.has_picture()
    harness.feed(S.CardRemoved())
    assert not factor.face_page.preview_timer.isActive()
    assert not factor.face_page.preview.has_picture()
    harness.held.drop_pending()


# -------------------------------------------------------------- the camera page
def test_the_preview_is_a_mirror(qtbot: QtBot, screen: second_factor.SecondFactorScreen) -> None:
    camera = CountingCamera(half_white_frame())
    screen.set_preview_source(camera)
    screen.show_state(at_face_looking())
    preview = screen.face_page.preview
    qtbot.wait_until(preview.has_picture, timeout=2000)
    picture = preview.picture_rect()
    image = preview.grab().toImage()
    # Inside the oval, where nothing is drawn over the picture: the camera's left half
    # (white) is on the screen's right.
    middle_y = picture.center().y()
    left = image.pixelColor(QPoint(picture.center().x() - picture.width() // 10, middle_y))
    right = image.pixelColor(QPoint(picture.center().x() + picture.width() // 10, middle_y))
    assert left.lightness() < 30, left.name()
    assert right.lightness() > 225, right.name()


def test_the_picture_keeps_no_reference_to_the_cameras_frame(
    screen: second_factor.SecondFactorScreen,
) -> None:
    frame = half_white_frame()
    screen.set_preview_source(lambda: frame)
    screen.show_state(at_face_looking())
    screen.face_page.poll_preview()
    preview = screen.face_page.preview
    assert preview.has_picture()
    frame[:] = 0  # the camera reuses its buffer: what is on screen does not change with it
    preview.update()
    image = preview.grab().toImage()
    picture = preview.picture_rect()
    spot = QPoint(picture.center().x() + picture.width() // 10, picture.center().y())
    assert QColor(image.pixelColor(spot)).lightness() > 225


def test_the_camera_sign_shows_only_while_the_camera_is_on(
    screen: second_factor.SecondFactorScreen,
) -> None:
    page = screen.face_page
    preparing, _ = run(at_face_consent(), S.FaceConsentGiven(at=journey.CONSENTED_AT))
    screen.show_state(preparing)
    assert page.camera_sign.isVisible() and page.camera_sign.text().endswith("摄像头已开启")
    looking = at_face_looking()
    screen.show_state(looking)
    assert page.camera_sign.isVisible()
    screen.show_state(checking(looking))
    assert not page.camera_sign.isVisible()
    screen.show_state(at_face_retry("no_face"))
    assert not page.camera_sign.isVisible()


def test_the_source_is_polled_only_while_the_page_shows_the_camera(
    qtbot: QtBot, screen: second_factor.SecondFactorScreen
) -> None:
    camera = CountingCamera(half_white_frame())
    screen.set_preview_source(camera)
    page = screen.face_page
    screen.show_state(at_face_consent())  # the notice: the camera is not on yet
    qtbot.wait(200)
    assert camera.calls == 0 and not page.preview_timer.isActive()

    looking = at_face_looking()
    screen.show_state(looking)
    assert page.preview_timer.interval() <= 70  # about 15 pictures a second
    qtbot.wait_until(lambda: camera.calls >= 3, timeout=2000)

    # The outcome is checked: the camera is off, the picture goes, the polling stops.
    screen.show_state(checking(looking))
    assert not page.preview_timer.isActive() and not page.preview.has_picture()
    calls = camera.calls
    qtbot.wait(200)
    assert camera.calls == calls

    # Hidden (another screen took the panel) while the camera is on: no polling either.
    screen.show_state(looking)
    qtbot.wait_until(lambda: camera.calls > calls, timeout=2000)
    screen.hide()
    assert not page.preview_timer.isActive() and not page.preview.has_picture()
    calls = camera.calls
    qtbot.wait(200)
    assert camera.calls == calls
    screen.show()
    qtbot.wait_until(lambda: camera.calls > calls, timeout=2000)

    # Another way chosen: back to the choice page, the camera's picture gone.
    declined, _ = run(looking, S.FaceDeclined())
    screen.show_state(declined)
    assert screen.pages.currentWidget() is screen.choice_page
    assert not page.preview_timer.isActive() and not page.preview.has_picture()


def test_no_picture_while_the_camera_gives_none(
    qtbot: QtBot, screen: second_factor.SecondFactorScreen
) -> None:
    camera = CountingCamera(None)  # still starting
    screen.set_preview_source(camera)
    screen.show_state(at_face_looking())
    qtbot.wait_until(lambda: camera.calls >= 2, timeout=2000)
    assert not screen.face_page.preview.has_picture()
    camera.frame = half_white_frame()
    qtbot.wait_until(screen.face_page.preview.has_picture, timeout=2000)


@pytest.mark.expect_log("ui.screens.face_check")
def test_a_failing_preview_leaves_the_page_working(
    qtbot: QtBot, screen: second_factor.SecondFactorScreen
) -> None:
    calls = 0

    def broken() -> Frame | None:
        nonlocal calls
        calls += 1
        raise RuntimeError("camera gone")

    screen.set_preview_source(broken)
    screen.show_state(at_face_looking())
    qtbot.wait_until(lambda: calls >= 2, timeout=2000)
    assert not screen.face_page.preview.has_picture()
    assert screen.face_page.other_way_button.isEnabled()  # another way is still one touch away


@pytest.mark.parametrize(
    ("prompt", "instruction", "arrow"),
    [
        ("face_straight", "请正对摄像头", None),
        ("turn_left", "请慢慢向左转头", Prompt.TURN_LEFT),
        ("turn_right", "请慢慢向右转头", Prompt.TURN_RIGHT),
    ],
)
def test_one_instruction_at_a_time(
    screen: second_factor.SecondFactorScreen,
    prompt: str,
    instruction: str,
    arrow: Prompt | None,
) -> None:
    page = screen.face_page
    screen.show_state(at_face_looking(prompt))
    assert screen.pages.currentWidget() is page
    assert page.instruction.text() == instruction
    # One instruction: the only large text on the page; what the kiosk waits for under it.
    titles = [w for w in page.findChildren(QLabel) if w.objectName() == "Title" and w.isVisible()]
    assert titles == [page.instruction]
    assert page.detail.isVisible() and page.detail.text()
    assert page.preview.turn() is arrow  # the arrow drawn beside the oval
    assert page.other_way_button.isVisible() and page.other_way_button.isEnabled()
    assert not page.retry_button.isVisible()


def test_preparing_and_checking_say_what_the_kiosk_waits_for(
    screen: second_factor.SecondFactorScreen,
) -> None:
    page = screen.face_page
    preparing, _ = run(at_face_consent(), S.FaceConsentGiven(at=journey.CONSENTED_AT))
    screen.show_state(preparing)
    assert page.instruction.text() == "正在准备摄像头…"
    assert "身份证" in page.detail.text()  # the photo may still be read from the card
    screen.show_state(checking(at_face_looking()))
    assert page.instruction.text() == "正在核验…"
    assert "信用平台" in page.detail.text()
    # The outcome is on its way: "another way" would change nothing now.
    assert page.other_way_button.isVisible() and not page.other_way_button.isEnabled()


def test_the_countdown_shows_the_attempts_limit_from_the_first_instruction(
    qtbot: QtBot, screen: second_factor.SecondFactorScreen
) -> None:
    page = screen.face_page
    preparing, _ = run(at_face_consent(), S.FaceConsentGiven(at=journey.CONSENTED_AT))
    screen.show_state(preparing)
    assert not page.countdown.isVisible()  # the check times the resident once asked
    looking = at_face_looking()
    screen.show_state(looking)
    assert page.countdown.text() == "这次还剩 30 秒" and page.countdown_timer.isActive()
    page.tick_countdown()
    turned, _ = run(looking, S.FacePrompted("turn_left"))
    screen.show_state(turned)  # the next instruction: the same attempt, the same clock
    assert page.countdown.text() == "这次还剩 29 秒"
    screen.show_state(checking(turned))
    assert not page.countdown.isVisible() and not page.countdown_timer.isActive()
    # Large text: the attempt is longer, and so is the countdown.
    screen.show_state(at_face_looking(elder_mode=True))
    assert page.countdown.text() == "这次还剩 60 秒"
    # The window hands over the rules the controller runs by.
    screen.set_rules(dataclasses.replace(S.Rules(), face_attempt_s=20, elder_factor=1.5))
    screen.show_state(checking(at_face_looking()))
    screen.show_state(at_face_looking(elder_mode=True))
    assert page.countdown.text() == "这次还剩 30 秒"


def test_a_countdown_that_ran_out_does_not_start_again(
    screen: second_factor.SecondFactorScreen,
) -> None:
    page = screen.face_page
    looking = at_face_looking()
    screen.show_state(looking)
    for _ in range(31):
        page.tick_countdown()
    assert page.countdown.text() == "这次还剩 0 秒" and not page.countdown_timer.isActive()
    screen.show_state(looking)  # a redraw (a touch) while the check decides
    assert page.countdown.text() == "这次还剩 0 秒"


# -------------------------------------------------------------- after a failed attempt
@pytest.mark.parametrize(
    ("failure", "hint"),
    [
        ("frozen", "按提示慢慢转头"),
        ("no_face", "把脸放进椭圆框里"),
        ("several_faces", "只能有您一个人"),
        ("wrong_direction", "您自己的左手边"),
        (None, "摘下眼镜和帽子"),  # liveness passed, the comparison did not ("score")
    ],
)
def test_retry_shows_what_to_change_and_the_attempts_left(
    qtbot: QtBot, screen: second_factor.SecondFactorScreen, failure: str | None, hint: str
) -> None:
    page = screen.face_page
    state = at_face_retry(failure, attempts_left=2)
    screen.show_state(state)
    assert screen.pages.currentWidget() is page
    assert page.message_title.text() == "未能确认是您本人"
    assert page.message_title.objectName() == "HeadingWarning"
    assert hint in page.hints.text()
    assert page.attempts.text() == "还可以再试 2 次。"
    shown = " ".join(texts(page))
    assert shown.count("2 次") == 1  # said once, not also at the end of the message
    assert not page.preview.isVisible() and not page.camera_sign.isVisible()
    assert not page.countdown.isVisible()
    with qtbot.wait_signal(screen.face_retry_requested):
        qtbot.mouseClick(page.retry_button, Qt.MouseButton.LeftButton)
    with qtbot.wait_signal(screen.face_declined):
        qtbot.mouseClick(page.other_way_button, Qt.MouseButton.LeftButton)
    retried, _ = run(state, S.FaceRetryRequested())
    screen.show_state(retried)
    assert not page.hints.isVisible() and not page.message_title.isVisible()
    assert page.instruction.text() == "正在准备摄像头…"


def test_every_failure_has_hints() -> None:
    for reason in (*FailReason, "score"):
        assert face_check.hints_for(reason), reason
    assert face_check.hints_for("something new")  # a reason added later gets general hints


def test_after_the_last_attempt_the_choice_page_says_so_kindly(
    screen: second_factor.SecondFactorScreen,
) -> None:
    state, _ = run(
        at_face_retry("no_face", attempts_left=1),
        S.FaceRetryRequested(),
        S.FacePrompted("face_straight"),
        S.FaceAttemptDone(0.1, True, None, CARD_PHOTO.sha256),
        S.Failed(errors.PlatformRejected("face_rejected", attempts_left=0)),
    )
    screen.show_state(state)
    choice = screen.choice_page
    assert screen.pages.currentWidget() is choice
    assert choice.message_title.text() == "刷脸没有通过，没关系"
    assert "短信验证码" in choice.message.text()
    assert not choice.face_button.isVisible()
    assert choice.sms_button.isVisible() and choice.staff_button.isVisible()


# -------------------------------------------------------------- the session ends
def test_nothing_of_the_session_stays_on_the_face_pages(
    qtbot: QtBot, screen: second_factor.SecondFactorScreen
) -> None:
    camera = CountingCamera(half_white_frame())
    screen.set_preview_source(camera)
    consent_page, page = screen.face_consent_page, screen.face_page
    screen.show_state(at_face_consent())
    screen.show_state(at_face_retry("frozen"))
    looking = at_face_looking("turn_left")
    screen.show_state(looking)
    qtbot.wait_until(page.preview.has_picture, timeout=2000)

    ended, _ = run(looking, S.CardRemoved())
    assert ended.resident.identity is None
    screen.show_state(ended)
    assert screen.subject.text() == ""
    assert consent_page.notice_title.text() == "" and consent_page.notice_body() == ""
    assert not page.preview.has_picture() and page.preview.turn() is None
    assert not page.preview_timer.isActive() and not page.countdown_timer.isActive()
    assert page.seconds_left == 0
    assert texts(page) == []
    calls = camera.calls
    qtbot.wait(200)
    assert camera.calls == calls


# -------------------------------------------------------------- voice
def spoken(state: S.SessionState) -> str:
    prompt = prompts.prompt_for(state)
    assert prompt is not None
    return voice.prompt_text(prompt)


def test_every_face_instruction_is_spoken_once_per_change() -> None:
    assert "刷脸核验" in spoken(at_face_offered())
    assert "同意，开始刷脸" in spoken(at_face_consent())
    preparing, _ = run(at_face_consent(), S.FaceConsentGiven(at=journey.CONSENTED_AT))
    assert "正在准备摄像头" in spoken(preparing)
    keys = set()
    for prompt, words in (
        ("face_straight", "请正对摄像头"),
        ("turn_left", "请慢慢向左转头"),
        ("turn_right", "请慢慢向右转头"),
    ):
        state = at_face_looking(prompt)
        assert words in spoken(state)
        said = prompts.prompt_for(state)
        assert said is not None
        keys.add(said.key)
    assert len(keys) == 3  # each new instruction is said
    assert "正在核验" in spoken(checking(at_face_looking()))
    retry = spoken(at_face_retry("several_faces", attempts_left=2))
    assert retry.startswith("未能确认是您本人")
    assert "只能有您一个人" in retry and "还可以再试2次" in retry


def test_after_declining_the_choice_is_spoken_again() -> None:
    declined, _ = run(at_face_consent(), S.FaceDeclined())
    assert "请选择核验方式" in spoken(declined)
