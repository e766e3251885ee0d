"""One resident session through every real layer: the UI, the state machine, pcscd with the
virtual card in the vpcd reader, the platform simulator over HTTPS and the virtual printer
over raw ESC/POS on TCP."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kiosk import config as kiosk_config
from kiosk.flow import session
from simulators.platform_server import PlatformSimulator
from simulators.residents import ZHANG_WEI
from simulators.virtual_card import VirtualCardClient
from simulators.virtual_printer import VirtualPrinter
from tests.support.kiosk import running_kiosk
from ui import app as ui_app
from ui.screens import consent, done, report, second_factor

Phase = session.Phase
WAIT_MS = 20_000  # card reads through pcscd and TLS handshakes on a loaded CI machine


@pytest.fixture
def kiosk_app(
    simulator_cfg: kiosk_config.KioskConfig, platform_sim: PlatformSimulator
) -> Iterator[ui_app.KioskApp]:
    """The kiosk as `kiosk run` builds it, configured for the simulators."""
    with running_kiosk(simulator_cfg, platform_sim) as app:
        yield app


def wait_phase(qtbot: QtBot, app: ui_app.KioskApp, phase: Phase) -> None:
    def reached() -> None:
        state = app.controller.state
        assert state.phase is phase, f"still {state.phase} ({state.step.message})"

    qtbot.wait_until(reached, timeout=WAIT_MS)


def click(qtbot: QtBot, button: object) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_a_resident_gets_their_report_printed_and_is_forgotten(
    qtbot: QtBot,
    kiosk_app: ui_app.KioskApp,
    virtual_card: Callable[..., VirtualCardClient],
    platform_sim: PlatformSimulator,
    virtual_printer: VirtualPrinter,
) -> None:
    window = kiosk_app.window
    consent_screen = window.screen_of(consent.ConsentScreen)
    factor_screen = window.screen_of(second_factor.SecondFactorScreen)
    report_screen = window.screen_of(report.ReportScreen)
    assert isinstance(consent_screen, consent.ConsentScreen)
    assert isinstance(factor_screen, second_factor.SecondFactorScreen)
    assert isinstance(report_screen, report.ReportScreen)

    card = virtual_card("zhang_wei")
    wait_phase(qtbot, kiosk_app, Phase.CONSENT)
    assert window.current_screen() is consent_screen
    click(qtbot, consent_screen.agree_button)

    wait_phase(qtbot, kiosk_app, Phase.SECOND_FACTOR)
    assert factor_screen.subject.text() == "张*　" + ZHANG_WEI.id_masked
    assert "138****1234" in factor_screen.choice_page.sms_button.text()
    click(qtbot, factor_screen.choice_page.sms_button)
    qtbot.wait_until(lambda: kiosk_app.controller.state.step.otp_sent, timeout=WAIT_MS)
    assert factor_screen.code_page.prompt.text() == "验证码已发送至 138****1234"
    for digit in platform_sim.sent_codes[0]:
        click(qtbot, factor_screen.code_page.keypad.buttons[digit])
    click(qtbot, factor_screen.code_page.confirm_button)

    wait_phase(qtbot, kiosk_app, Phase.REPORT)
    shown = kiosk_app.controller.state.resident.report
    assert shown is not None
    assert "有 2 条失信记录" in report_screen.summary.text()
    texts = [label.text() for label in report_screen.body.findChildren(type(report_screen.meta))]
    assert any("未按规定明码标价" in text for text in texts)
    assert any("可申请信用修复（2025-05-02起）" in text for text in texts)
    assert any(text.startswith("查询记录") for text in texts)
    # The repair guide of the penalty on screen, then on paper, without leaving the report.
    click(qtbot, report_screen.guide_buttons["P-1"])
    guide_page = report_screen.guide_page
    qtbot.wait_until(lambda: guide_page.slip_button.isEnabled(), timeout=WAIT_MS)
    assert guide_page.heading.text() == "行政处罚信息信用修复"
    assert "罚款缴纳凭证" in guide_page.documents.text()
    click(qtbot, guide_page.slip_button)
    qtbot.wait_until(lambda: kiosk_app.controller.state.step.slip_printed == "P-1", timeout=WAIT_MS)
    assert kiosk_app.controller.state.phase is Phase.REPORT
    (slip,) = virtual_printer.wait_for_jobs(1, timeout=10)
    assert "信用修复指引" in "\n".join(slip.lines)
    assert ZHANG_WEI.name not in "\n".join(slip.lines)
    assert report_screen.notice.text() == "修复指引已打印，请从出纸口取走。"
    # A dispute of the same record: the screen says it was received once the platform has it.
    click(qtbot, guide_page.dispute_button)
    dispute_page = report_screen.dispute_page
    assert report_screen.pages.currentWidget() is dispute_page
    click(qtbot, dispute_page.reason_buttons["already_done"])
    click(qtbot, dispute_page.submit_button)
    qtbot.wait_until(
        lambda: report_screen.pages.currentWidget() is report_screen.report_page,
        timeout=WAIT_MS,
    )
    assert "异议已提交" in report_screen.notice.text()
    (objection,) = platform_sim.objections
    assert objection.record_id == "P-1" and objection.report_id == shown.report_id
    # The report on the phone: a one-time link shown as a QR code, never printed.
    click(qtbot, report_screen.share_button)
    share_page = report_screen.share_page
    qtbot.wait_until(lambda: share_page.qr.has_code(), timeout=WAIT_MS)
    assert 0 < share_page.seconds_left() <= 600
    click(qtbot, share_page.back_button)
    assert not share_page.qr.has_code()
    click(qtbot, report_screen.print_button)

    wait_phase(qtbot, kiosk_app, Phase.DONE)
    done_screen = window.screen_of(done.DoneScreen)
    assert isinstance(done_screen, done.DoneScreen)
    assert done_screen.title.text() == "请取走凭条"
    _slip, job = virtual_printer.wait_for_jobs(2, timeout=10)
    printed = "\n".join(job.lines)
    assert job.cut
    assert shown.report_id in printed
    assert "未按规定明码标价" in printed
    assert ZHANG_WEI.name not in printed  # the receipt carries the masked name only
    assert job.qr_payloads == [f"{platform_sim.base_url}/v1/verify/{shown.verification_code}"]
    # The print record reaches the platform through the outbox (queued, then sent).
    qtbot.wait_until(lambda: len(platform_sim.prints) == 1, timeout=WAIT_MS)
    offline = kiosk_app.offline
    assert offline is not None
    qtbot.wait_until(lambda: offline.stats().last_delivery_at is not None, timeout=WAIT_MS)
    assert platform_sim.prints[0].report_id == shown.report_id

    card.remove()
    wait_phase(qtbot, kiosk_app, Phase.IDLE)
    state = kiosk_app.controller.state
    assert state.resident.identity is None
    assert state.resident.report is None
    assert factor_screen.subject.text() == ""
    assert report_screen.body_layout.count() == 0
    assert report_screen.subject.text() == ""
