"""Staff mode as `kiosk run` builds it, against the simulators: healthy, then broken.

Renders 1920x1080 screenshots into the test's folder; with ``KIOSK_UPDATE_SCREENSHOTS=1`` they
also replace ``docs/images/staff-healthy.png`` and ``docs/images/staff-broken.png``.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kiosk import config as kiosk_config
from kiosk.app import logging_setup
from kiosk.flow import session
from kiosk.staff import diagnostics
from kiosk.staff import pin as staff_pin
from simulators.platform_server import PlatformSimulator
from simulators.virtual_printer import VirtualPrinter
from tests.support.kiosk import running_kiosk
from ui import app as ui_app
from ui.widgets import check_row

PIN = "246813"
WAIT_MS = 20_000
DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


@pytest.fixture
def kiosk_app(
    simulator_cfg: kiosk_config.KioskConfig,
    platform_sim: PlatformSimulator,
    restore_logging: None,
) -> Iterator[ui_app.KioskApp]:
    cfg = dataclasses.replace(
        simulator_cfg,
        staff=kiosk_config.StaffConfig(pin_hash=staff_pin.hash_pin(PIN, n=1024).encode()),
    )
    logging_setup.setup_logging(Path(cfg.paths.log_dir))  # recent log lines to show
    with running_kiosk(cfg, platform_sim) as app:
        yield app


def unlock(app: ui_app.KioskApp, qtbot: QtBot) -> None:
    app.staff.request()
    assert app.controller.state.phase is session.Phase.STAFF
    keypad = app.window.staff_screen.keypad
    for digit in PIN:
        qtbot.mouseClick(keypad.buttons[digit], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(app.window.staff_screen.pin_ok, Qt.MouseButton.LeftButton)
    qtbot.wait_until(lambda: bool(app.staff.view.checks), timeout=WAIT_MS)


def badges(app: ui_app.KioskApp) -> dict[str, str]:
    rows = app.window.staff_screen.findChildren(check_row.CheckRow)
    return {r.title.text(): r.badge.text() for r in rows if r.isVisibleTo(app.window)}


def save(app: ui_app.KioskApp, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    assert app.window.grab().save(str(path))
    if os.environ.get("KIOSK_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(path, DOCS_IMAGES / name)
    return path


def test_staff_mode_healthy_then_broken(
    kiosk_app: ui_app.KioskApp,
    qtbot: QtBot,
    tmp_path: Path,
    platform_sim: PlatformSimulator,
    virtual_printer: VirtualPrinter,
    issuer_ca_certs: list[bytes],
) -> None:
    app = kiosk_app
    unlock(app, qtbot)
    assert badges(app) == {
        "读卡器": "✔ 正常",
        "打印机": "✔ 正常",
        "终端注册": "✔ 正常",
        "信用平台": "✔ 正常",
        "平台批准": "✔ 正常",
        "时钟": "✔ 正常",
        "离线队列": "✔ 正常",
        "证件签发机构证书": "✔ 正常",
        "磁盘与程序": "✔ 正常",
    }
    screen = app.window.staff_screen
    qtbot.mouseClick(screen.print_test_button, Qt.MouseButton.LeftButton)
    qtbot.wait_until(lambda: not app.staff.view.busy_action, timeout=WAIT_MS)
    assert app.staff.view.action_level == "green"
    assert b"\x1d(k" in virtual_printer.wait_for_jobs(1)[0].raw  # the test page has its QR
    app.window.repaint()
    save(app, tmp_path, "staff-healthy.png")

    virtual_printer.set_state(paper="end")
    port = int(platform_sim.base_url.rsplit(":", 1)[1])
    platform_sim.stop()
    qtbot.mouseClick(screen.refresh_button, Qt.MouseButton.LeftButton)
    qtbot.wait_until(lambda: not app.staff.view.checking, timeout=WAIT_MS)
    qtbot.mouseClick(screen.print_test_button, Qt.MouseButton.LeftButton)
    qtbot.wait_until(lambda: not app.staff.view.busy_action, timeout=WAIT_MS)
    found = badges(app)
    assert found["打印机"] == "✖ 故障"
    assert found["信用平台"] == "✖ 故障"
    assert found["证件签发机构证书"] == "✖ 故障"  # not fetched again: staff must know
    assert "纸" in screen.action_message.text()  # what to do: load paper
    texts = "\n".join(label.text() for label in screen.findChildren(type(screen.summary)))
    assert not re.search(r"\d{17}[\dX]", texts)  # no ID number anywhere on the staff screen
    app.window.repaint()
    save(app, tmp_path, "staff-broken.png")

    # The offline queue row has real numbers: staff actions audited while the platform was
    # away wait in the outbox. Back on the same data dir and port, "sync now" delivers them.
    qtbot.mouseClick(screen.refresh_button, Qt.MouseButton.LeftButton)
    qtbot.wait_until(lambda: not app.staff.view.checking, timeout=WAIT_MS)
    queue = queue_check(app)
    assert queue.details["size"] >= 2 and queue.summary.startswith(f"{queue.details['size']} ")
    assert queue.details["last_sync"] is not None  # delivered earlier, while online
    with PlatformSimulator(tmp_path / "platform", issuer_ca_certs=issuer_ca_certs, port=port):
        qtbot.mouseClick(screen.sync_button, Qt.MouseButton.LeftButton)
        qtbot.wait_until(lambda: app.staff.view.action_level == "green", timeout=WAIT_MS)
        # Checked again at once: at most the audit entry of "sync now" itself is still waiting.
        qtbot.wait_until(lambda: not app.staff.view.checking, timeout=WAIT_MS)
        assert queue_check(app).details["size"] <= 1
        assert "同步完成" in screen.action_message.text()


def queue_check(app: ui_app.KioskApp) -> diagnostics.Check:
    return next(c for c in app.staff.view.checks if c.name == "offline queue")
