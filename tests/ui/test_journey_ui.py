"""Every step of the journey through the window, in both text sizes: taking the card out, or
walking away, ends the session at once and no screen keeps anything of the resident."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QLabel, QPushButton
from pytestqt.qtbot import QtBot

from kiosk.flow import session
from tests.support.journey import EVIDENCE, GUIDE, IDENTITY, LINK, PENALTY_REPORT
from tests.support.kiosk import Harness, dispose_window, kiosk_window, make_controller
from tests.support.screens import scrolled
from ui import main_window
from ui.screens import idle

S = session
# What must never be left on any screen once the session is over.
PERSONAL = (
    "张*",
    "张伟",
    "3211",
    "138****1234",
    "未按规定明码标价",
    "R2",
    "K7Q2",
    "镇江市市场监督管理局",
)

JOURNEY: list[tuple[str, list[S.Event]]] = [
    ("consent", [S.CardInserted()]),
    ("reading", [S.ConsentGiven()]),
    ("verifying", [S.CardRead(EVIDENCE)]),
    ("choosing", [S.IdentityVerified(IDENTITY)]),
    ("sms", [S.SmsChosen(), S.OtpSent(60)]),
    ("staff-form", [S.StaffChosen()]),
    (
        "report",
        [
            S.StaffConfirmed("100001", "246810"),
            S.AccessGranted("tok"),
            S.ReportLoaded(PENALTY_REPORT),
        ],
    ),
    ("guide", [S.RepairGuideRequested("P-1"), S.RepairGuideLoaded("P-1", GUIDE, for_slip=False)]),
    ("dispute", [S.DisputeRequested("P-1")]),
    ("share", [S.ViewClosed(), S.ShareRequested(), S.ShareReady(LINK)]),
    ("printing", [S.ViewClosed(), S.PrintRequested()]),
    ("done", [S.Printed()]),
]
STEPS = [name for name, _ in JOURNEY]


@pytest.fixture
def harness() -> Harness:
    """The controller behind ``window``; the journey's results are fed in as events."""
    return make_controller()


@pytest.fixture
def window(qtbot: QtBot, harness: Harness) -> Iterator[main_window.KioskWindow]:
    win = kiosk_window(harness.controller)
    win.resize(1920, 1080)
    win.show()
    yield win
    harness.controller.stop()
    win.languages.switch("zh")
    dispose_window(win)


def _walk_to(harness: Harness, step: str, *, elder: bool) -> None:
    if elder:
        harness.feed(S.ElderModeToggled())
    for name, events in JOURNEY:
        harness.feed(*events)
        if name == step:
            break
    harness.held.drop_pending()  # the work the steps asked for: its results were fed in


def _visible_texts(win: main_window.KioskWindow) -> str:
    labels = [label.text() for label in win.findChildren(QLabel) if label.isVisible()]
    buttons = [b.text() for b in win.findChildren(QPushButton) if b.isVisible()]
    return "\n".join(labels + buttons)


def _all_texts(win: main_window.KioskWindow) -> str:
    return "\n".join(label.text() for label in win.findChildren(QLabel))


def _assert_forgotten(qtbot: QtBot, win: main_window.KioskWindow, harness: Harness) -> None:
    assert harness.controller.state.phase is S.Phase.IDLE
    assert win.current_screen() is win.screens[idle.IdleScreen]
    qtbot.wait(1)
    everything = _all_texts(win)
    for personal in PERSONAL:
        assert personal not in everything, personal
    assert not win.still_there.isVisible()


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "large"])
@pytest.mark.parametrize("step", STEPS)
def test_taking_the_card_out_at_any_step_forgets_the_resident(
    qtbot: QtBot,
    window: main_window.KioskWindow,
    step: str,
    elder: bool,
    harness: Harness,
) -> None:
    _walk_to(harness, step, elder=elder)
    shown = _visible_texts(window)
    if step in ("choosing", "sms", "staff-form", "report", "guide", "dispute"):
        assert any(p in shown for p in PERSONAL), f"{step}: the step shows its resident"
    harness.controller.handle(S.CardRemoved())
    _assert_forgotten(qtbot, window, harness)
    assert not harness.controller.state.resident.elder_mode  # large text was for that session only


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "large"])
@pytest.mark.parametrize("step", STEPS)
def test_walking_away_at_any_step_ends_the_session(
    qtbot: QtBot,
    window: main_window.KioskWindow,
    step: str,
    elder: bool,
    harness: Harness,
) -> None:
    _walk_to(harness, step, elder=elder)
    clock = harness.clock
    state = harness.controller.state
    limit = S.Rules().for_phase(state.phase, elder)
    clock.advance(limit - 1)
    assert harness.controller.state.phase is state.phase, "ended before its limit"
    if S.Rules().warning_for(state.phase, elder):
        assert window.still_there.isVisible()  # "您还在吗？" over whatever screen it is
    clock.advance(2)
    _assert_forgotten(qtbot, window, harness)


def test_a_touch_on_any_page_keeps_the_resident_there(
    qtbot: QtBot,
    window: main_window.KioskWindow,
    harness: Harness,
) -> None:
    _walk_to(harness, "dispute", elder=False)
    clock = harness.clock
    clock.advance(170)
    harness.controller.handle(S.UserActive())
    clock.advance(170)
    assert harness.controller.state.step.view is S.ReportView.DISPUTE


@pytest.mark.parametrize("step", STEPS)
def test_every_step_reads_in_english(
    qtbot: QtBot,
    window: main_window.KioskWindow,
    step: str,
    harness: Harness,
) -> None:
    """After the switch no text of the kiosk's own is left in Chinese (the platform's record
    titles, authorities and guides are shown as sent)."""
    _walk_to(harness, step, elder=False)
    harness.controller.handle(S.LanguageChanged("en"))
    qtbot.wait(1)
    platform_texts = _platform_texts()
    leftover = [
        line
        for line in _visible_texts(window).splitlines()
        if _has_han(line)
        and line != "中文"  # the language button names the other language in that language
        and not any(text in line for text in platform_texts)
    ]
    assert leftover == [], step


def _platform_texts() -> list[str]:
    texts = [IDENTITY.name[:1] + "*", GUIDE.title, GUIDE.where, GUIDE.hall_window, GUIDE.hours]
    texts += list(GUIDE.steps) + list(GUIDE.documents)
    for section in PENALTY_REPORT.sections:
        texts.append(section.title)
        for record in section.records:
            texts += [record.title, record.authority, record.detail or "\x00"]
    return [t for t in texts if t]


def _has_han(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize("step", STEPS)
def test_every_button_a_resident_can_press_has_an_accessible_name(
    qtbot: QtBot,
    window: main_window.KioskWindow,
    step: str,
    harness: Harness,
) -> None:
    _walk_to(harness, step, elder=True)
    qtbot.wait(1)
    nameless = [
        button.text() or button.objectName()
        for button in window.findChildren(QPushButton)
        if button.isVisible() and not button.accessibleName().strip()
    ]
    assert nameless == [], step


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920)], ids=["landscape", "portrait"])
@pytest.mark.parametrize("elder", [False, True], ids=["normal", "large"])
@pytest.mark.parametrize("step", ["idle", *STEPS])
def test_every_step_fits_the_panel(
    qtbot: QtBot,
    window: main_window.KioskWindow,
    step: str,
    elder: bool,
    size: tuple[int, int],
    harness: Harness,
) -> None:
    """Nothing a resident must press is pushed off a 1080p panel, either way up."""
    window.resize(*size)
    if step == "idle":
        if elder:
            harness.controller.handle(S.ElderModeToggled())
    else:
        _walk_to(harness, step, elder=elder)
    qtbot.wait(5)
    assert window.width() <= size[0] and window.height() <= size[1], "the window grew"
    for button in window.findChildren(QPushButton):
        if button.isVisible() and not scrolled(button):
            corner = button.mapTo(window, button.rect().bottomRight())
            assert corner.x() <= window.width() and corner.y() <= window.height(), button.text()
            assert button.height() >= (96 if elder else 64), button.text()
