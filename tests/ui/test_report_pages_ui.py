"""The report screen and its pages, driven through the window and the controller with qtbot:
repair guide, dispute form with the on-screen keyboard, phone QR, language switch, large text,
and nothing of a resident left in any widget after the session ends."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from kiosk.flow import session
from kiosk.platform import models
from kiosk.platform import report as report_model
from simulators.residents import ZHANG_WEI
from tests.support import fakes
from tests.support.journey import GUIDE, LINK, PENALTY_REPORT
from tests.support.kiosk import Harness, dispose_window, kiosk_window, make_controller
from tests.support.screens import scrolled
from ui import main_window
from ui.screens import report

S = session


class ReportKiosk(NamedTuple):
    """The window on the report screen, the fake platform behind it, and what drives it."""

    window: main_window.KioskWindow
    platform: fakes.Platform
    harness: Harness


def _platform(guide: models.RepairGuide = GUIDE) -> fakes.Platform:
    """The report pages' platform: the guide, and a phone link valid for ten minutes."""
    link = models.ShareLink(LINK.url, dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10))
    return fakes.Platform(guide=guide, link=link)


@contextlib.contextmanager
def _window_at_report(
    loaded: report_model.Report, platform: fakes.Platform
) -> Iterator[ReportKiosk]:
    """A kiosk window whose session has reached the report screen with ``loaded``."""
    harness = make_controller(fakes.services(platform=platform))
    win = kiosk_window(harness.controller)
    win.resize(1920, 1080)
    win.show()
    harness.to_report(loaded)
    try:
        yield ReportKiosk(win, platform, harness)
    finally:
        harness.controller.stop()
        win.languages.switch("zh")  # the translator is the application's: leave none behind
        dispose_window(win)


@pytest.fixture
def kiosk(qtbot: QtBot) -> Iterator[ReportKiosk]:
    with _window_at_report(PENALTY_REPORT, _platform()) as at_report:
        yield at_report


def _settle(harness: Harness, until: Callable[[], bool]) -> None:
    """Let the platform and printer answer what the screen asked for; then ``until()``."""
    harness.held.run_pending()
    assert until()


def _screen(win: main_window.KioskWindow) -> report.ReportScreen:
    screen = win.current_screen()
    assert isinstance(screen, report.ReportScreen)
    return screen


def _texts(widget: QWidget) -> str:
    return "\n".join(
        label.text() for label in widget.findChildren(QLabel) if label.isVisibleTo(widget)
    )


def test_a_negative_record_opens_its_repair_guide(qtbot: QtBot, kiosk: ReportKiosk) -> None:
    win, _, harness = kiosk
    screen = _screen(win)
    qtbot.mouseClick(screen.guide_buttons["P-1"], Qt.MouseButton.LeftButton)
    assert screen.pages.currentWidget() is screen.guide_page
    assert screen.guide_page.loading.isVisible()
    _settle(harness, lambda: harness.controller.state.step.guide is not None)
    page = screen.guide_page
    assert page.heading.text() == GUIDE.title
    assert "1. 提交申请" in page.steps.text()
    assert "3号窗口" in page.where.text() and "承诺书" in page.documents.text()
    assert page.slip_button.isEnabled()
    qtbot.mouseClick(page.back_button, Qt.MouseButton.LeftButton)
    assert screen.pages.currentWidget() is screen.report_page


def test_no_guide_button_for_a_query_log_entry(
    kiosk: ReportKiosk,
) -> None:
    screen = _screen(kiosk[0])
    assert set(screen.guide_buttons) == {"P-1"}
    assert set(screen.dispute_buttons) == {"P-1", "Q-1"}


def test_a_dispute_is_typed_on_the_keyboard_and_sent(qtbot: QtBot, kiosk: ReportKiosk) -> None:
    win, platform, harness = kiosk
    screen = _screen(win)
    qtbot.mouseClick(screen.dispute_buttons["P-1"], Qt.MouseButton.LeftButton)
    page = screen.dispute_page
    assert screen.pages.currentWidget() is page
    assert "未按规定明码标价" in page.record.text()
    assert not page.submit_button.isEnabled()  # a reason first
    qtbot.mouseClick(page.reason_buttons["already_done"], Qt.MouseButton.LeftButton)
    assert page.submit_button.isEnabled()
    qtbot.mouseClick(page.words_button, Qt.MouseButton.LeftButton)
    assert page.keyboard.isVisible() and not page.reasons_box.isVisible()
    page.keyboard.set_text("已缴清")
    assert page.words.text() == "已缴清"
    page.keyboard.done_pressed.emit()
    assert not page.keyboard.isVisible()
    qtbot.mouseClick(page.submit_button, Qt.MouseButton.LeftButton)
    _settle(harness, lambda: bool(platform.objections))
    assert platform.objections == [("R2", "P-1", "【我已经履行或整改完毕，记录没有更新】已缴清")]
    _settle(harness, lambda: screen.pages.currentWidget() is screen.report_page)
    assert screen.notice.isVisible() and "异议已提交" in screen.notice.text()
    assert screen.dispute_buttons["P-1"].text() == "已提出异议"
    assert not screen.dispute_buttons["P-1"].isEnabled()


def test_the_phone_qr_shows_with_its_expiry_and_goes_with_its_page(
    qtbot: QtBot, kiosk: ReportKiosk
) -> None:
    win, platform, harness = kiosk
    screen = _screen(win)
    qtbot.mouseClick(screen.share_button, Qt.MouseButton.LeftButton)
    _settle(harness, lambda: screen.pages.currentWidget() is screen.share_page)
    page = screen.share_page
    assert platform.shares == 1
    assert 590 <= page.seconds_left() <= 600
    assert "分" in page.expiry.text()
    qtbot.mouseClick(page.back_button, Qt.MouseButton.LeftButton)
    assert harness.controller.state.step.share is None
    assert page.seconds_left() == 0


def test_the_end_of_the_session_leaves_nothing_in_any_widget(
    qtbot: QtBot, kiosk: ReportKiosk
) -> None:
    win, _, harness = kiosk
    screen = _screen(win)
    qtbot.mouseClick(screen.dispute_buttons["P-1"], Qt.MouseButton.LeftButton)
    screen.dispute_page.keyboard.set_text("我的说明")
    harness.controller.handle(S.CardRemoved())
    assert harness.controller.state.phase is S.Phase.IDLE
    everything = "\n".join(
        label.text() for s in win.screens.values() for label in s.findChildren(QLabel)
    )
    for personal in ("张*", "张伟", "3211", "未按规定明码标价", "我的说明", "R2", "K7Q2"):
        assert personal not in everything, personal
    assert screen.dispute_page.keyboard.text() == ""


def test_english_on_the_report_screen_and_back_to_chinese_for_the_next_resident(
    qtbot: QtBot, kiosk: ReportKiosk
) -> None:
    win, _, harness = kiosk
    screen = _screen(win)
    assert win.language_button.text() == "English"
    qtbot.mouseClick(win.language_button, Qt.MouseButton.LeftButton)
    assert harness.controller.state.resident.language == "en"
    assert screen.print_button.text() == "Print report"
    assert screen.title.text() == "Personal public credit report"
    qtbot.wait_until(lambda: "Administrative penalties" in _texts(screen.body))
    assert win.call_staff_button.text() == "Call staff"
    assert win.language_button.text() == "中文"
    harness.controller.handle(S.CardRemoved())
    assert win.call_staff_button.text() == "呼叫工作人员"


def test_large_text_report_reads_plainly_and_has_big_targets(
    qtbot: QtBot, kiosk: ReportKiosk
) -> None:
    win, _, _harness = kiosk
    screen = _screen(win)
    normal_lines = len(_texts(screen.body).splitlines())
    qtbot.mouseClick(win.elder_button, Qt.MouseButton.LeftButton)
    assert screen.summary.text().startswith("您有 1 条失信记录")
    assert screen.print_button.height() >= 96
    assert screen.guide_buttons["P-1"].height() >= 96
    assert screen.summary.fontInfo().pixelSize() >= 54
    assert len(_texts(screen.body).splitlines()) <= normal_lines
    assert win.mute_button.isVisible()


@pytest.mark.parametrize("elder", [False, True])
@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920)])
def test_report_pages_fit_the_panel(
    qtbot: QtBot,
    kiosk: ReportKiosk,
    elder: bool,
    size: tuple[int, int],
    tmp_path: Path,
) -> None:
    win, _, harness = kiosk
    win.resize(*size)
    if elder:
        harness.controller.handle(S.ElderModeToggled())
    screen = _screen(win)
    for open_page in (
        lambda: None,
        lambda: screen.guide_buttons["P-1"].click(),
        lambda: screen.dispute_buttons["Q-1"].click(),
    ):
        harness.controller.handle(S.ViewClosed())
        open_page()
        _settle(harness, lambda: not harness.controller.state.step.busy)
        qtbot.wait(10)
        assert win.size().width() <= size[0] and win.size().height() <= size[1]
        page = screen.pages.currentWidget()
        assert page is not None
        for button in page.findChildren(QPushButton):
            if button.isVisibleTo(win) and not scrolled(button):
                corner = button.mapTo(win, button.rect().bottomRight())
                assert corner.x() <= win.width() and corner.y() <= win.height(), button.text()


def test_a_printer_problem_is_explained_with_print_again_and_staff(
    qtbot: QtBot, kiosk: ReportKiosk
) -> None:
    from devices import errors as device_errors
    from ui.screens import printing

    win, _, harness = kiosk
    screen = _screen(win)
    qtbot.mouseClick(screen.print_button, Qt.MouseButton.LeftButton)
    shown = win.current_screen()
    assert isinstance(shown, printing.PrintingScreen)
    assert shown.title.text() == "正在准备打印…"
    harness.controller.handle(S.PrintProgress(S.PrintStage.RECEIPT))
    assert shown.title.text() == "正在打印…"
    harness.controller.handle(S.Failed(device_errors.PaperOut("paper end")))
    assert win.current_screen() is screen
    assert "缺纸" in screen.message.text()
    assert screen.print_button.text() == "重新打印" and screen.print_button.isEnabled()
    assert screen.staff_button.isVisible()
    qtbot.mouseClick(screen.staff_button, Qt.MouseButton.LeftButton)
    assert harness.controller.state.hall.staff_called
    assert win.staff_banner.isVisible() and not screen.staff_button.isVisible()


# A report and a guide whose platform texts carry the resident's full name and ID number
# (and someone else's ID number): the screen must show them masked, as the header does.
OTHER_ID_NUMBER = "110105194912310021"
PERSONAL_REPORT = report_model.parse_report(
    {
        "report_id": "R3",
        "verification_code": "K7Q2-9XMP",
        "generated_at": "2026-11-24T10:00:00+08:00",
        "valid_until": "2026-12-24T10:00:00+08:00",
        "subject": {"name": ZHANG_WEI.name, "id_masked": ZHANG_WEI.id_masked},
        "summary": {"negative_count": 1, "positive_count": 0, "status": "has_negative"},
        "sections": [
            {
                "code": "identity",
                "title": "身份信息",
                "records": [
                    {
                        "record_id": "I-1",
                        "date": "2020-01-01",
                        "authority": "镇江市公安局",
                        "title": "居民身份证",
                        "detail": f"姓名：{ZHANG_WEI.name}　公民身份号码：{ZHANG_WEI.id_number}",
                        "status": "in_effect",
                    }
                ],
            },
            {
                "code": "admin_penalty",
                "title": "行政处罚",
                "records": [
                    {
                        "record_id": "P-9",
                        "date": "2024-05-02",
                        "authority": "镇江市市场监督管理局",
                        "title": f"{ZHANG_WEI.name}（{ZHANG_WEI.id_number}）未按规定明码标价",
                        "detail": f"与{OTHER_ID_NUMBER}共同经营",
                        "status": "in_effect",
                        "repair": {"eligible": True, "guide_id": "repair-personal"},
                    }
                ],
            },
        ],
    }
)
PERSONAL_GUIDE = models.RepairGuide(
    guide_id="repair-personal",
    title=f"{ZHANG_WEI.name}的信用修复",
    steps=(f"{ZHANG_WEI.name}本人提交申请", f"核对身份证号{ZHANG_WEI.id_number}"),
    where=f"为{ZHANG_WEI.name}预约的窗口",
    documents=(f"{ZHANG_WEI.name}的身份证",),
    hall_window="3号窗口",
    hours="9:00-17:00",
)


def _everything_shown(win: main_window.KioskWindow) -> str:
    """Every text a widget of the window holds: labels, buttons and accessible names."""
    texts = [label.text() for label in win.findChildren(QLabel)]
    for button in win.findChildren(QPushButton):
        texts += [button.text(), button.accessibleName()]
    return "\n".join(texts)


def test_platform_texts_show_the_name_and_id_numbers_masked(qtbot: QtBot) -> None:
    with _window_at_report(PERSONAL_REPORT, _platform(PERSONAL_GUIDE)) as (win, _, harness):
        screen = _screen(win)
        full, masked_id = ZHANG_WEI.id_number, ZHANG_WEI.id_masked
        other_masked = "1101**********0021"

        def no_full_name_or_id() -> str:
            shown = _everything_shown(win)
            for personal in (ZHANG_WEI.name, full, OTHER_ID_NUMBER):
                assert personal not in shown, personal
            return shown

        body = _texts(screen.body)
        assert f"姓名：张*　公民身份号码：{masked_id}" in body  # the identity record's detail
        assert f"张*（{masked_id}）未按规定明码标价" in body  # the penalty's title
        assert f"与{other_masked}共同经营" in body  # anyone's ID number
        no_full_name_or_id()

        qtbot.mouseClick(screen.guide_buttons["P-9"], Qt.MouseButton.LeftButton)
        _settle(harness, lambda: harness.controller.state.step.guide is not None)
        page = screen.guide_page
        assert page.heading.text() == "张*的信用修复"
        assert f"2. 核对身份证号{masked_id}" in page.steps.text()
        assert "张*" in page.record.text() and "张*的身份证" in page.documents.text()
        no_full_name_or_id()

        qtbot.mouseClick(page.dispute_button, Qt.MouseButton.LeftButton)
        assert screen.pages.currentWidget() is screen.dispute_page
        assert f"张*（{masked_id}）" in screen.dispute_page.record.text()
        no_full_name_or_id()

        # The texts are built again in another language: still masked.
        harness.controller.handle(S.ViewClosed())
        qtbot.mouseClick(win.language_button, Qt.MouseButton.LeftButton)
        qtbot.wait_until(lambda: "Administrative penalties" in _texts(screen.body))
        assert f"张*（{masked_id}）" in no_full_name_or_id()


def _long_report(records: int) -> report_model.Report:
    """``PENALTY_REPORT`` with ``records`` penalties, P-0 first."""
    penalty = PENALTY_REPORT.sections[0].records[0]
    many = tuple(
        dataclasses.replace(penalty, record_id=f"P-{i}", title=f"未按规定明码标价（第{i}项）")
        for i in range(records)
    )
    first = dataclasses.replace(PENALTY_REPORT.sections[0], records=many)
    return dataclasses.replace(PENALTY_REPORT, sections=(first, *PENALTY_REPORT.sections[1:]))


def test_a_long_report_shows_its_first_page_at_once_and_the_rest_soon_after(
    qtbot: QtBot,
) -> None:
    """Hundreds of records are added a slice at a time: the first page is there when the
    screen shows, every record and button follows, and a dispute already sent shows on a
    button built after it."""
    with _window_at_report(_long_report(300), _platform()) as (win, _, harness):
        screen = _screen(win)
        first_page = set(screen.dispute_buttons)
        assert {f"P-{i}" for i in range(report.FIRST_RECORDS)} <= first_page
        assert screen.building() and "P-299" not in first_page
        assert "第0项" in _texts(screen.body)

        disputed = dataclasses.replace(harness.controller.state.resident, disputed=("P-250",))
        win.show_state(dataclasses.replace(harness.controller.state, resident=disputed))
        qtbot.wait_until(lambda: not screen.building(), timeout=20_000)
        assert len(screen.dispute_buttons) == 300 + 1  # and the query log entry's
        assert screen.dispute_buttons["P-250"].text() == "已提出异议"
        assert not screen.dispute_buttons["P-250"].isEnabled()
        assert screen.dispute_buttons["P-249"].isEnabled()
        qtbot.wait_until(lambda: "第299项" in _texts(screen.body))  # shown as the loop turns
        pages = int(screen.position.text().split("/")[1])
        assert pages > 20


def test_a_resident_gone_mid_build_stops_it_and_leaves_nothing(qtbot: QtBot) -> None:
    with _window_at_report(_long_report(300), _platform()) as (win, _, harness):
        screen = _screen(win)
        assert screen.building()
        harness.controller.handle(S.CardRemoved())
        assert harness.controller.state.phase is S.Phase.IDLE
        assert not screen.building()
        qtbot.wait(50)  # turns of the event loop in which the build would have gone on
        assert screen.dispute_buttons == {} and "明码标价" not in _everything_shown(win)
