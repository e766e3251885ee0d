"""The kiosk as its systemd unit runs it: ready after the first paint, watchdog pings from the
GUI thread (a frozen event loop stops them), a clean stop on SIGTERM, credentials from
systemd, and no key or menu that leaves or covers the kiosk."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QToolTip
from pytestqt.qtbot import QtBot

from kiosk import config as kiosk_config
from kiosk.app import sd_notify
from kiosk.flow import session
from simulators.platform_server import PlatformSimulator
from tests.support.kiosk import running_kiosk
from tests.support.kiosk_process import KioskProcess, NotifyListener, prepare_unit

WAIT_MS = 20_000


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[NotifyListener]:
    notify = NotifyListener(tmp_path / "notify")
    yield notify
    notify.close()


PING_USEC = 200_000  # WatchdogSec=0.2: a ping every 0.1 s


def test_ready_after_the_first_paint_and_pings_stop_while_the_gui_thread_is_frozen(
    qtbot: QtBot,
    simulator_cfg: kiosk_config.KioskConfig,
    platform_sim: PlatformSimulator,
    listener: NotifyListener,
) -> None:
    notifier = sd_notify.Notifier({"NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": str(PING_USEC)})
    with running_kiosk(simulator_cfg, platform_sim, notifier) as app:
        qtbot.wait_until(lambda: app.systemd.ready, timeout=WAIT_MS)
        listener.wait_for("READY=1")  # the datagram is read on the listener's own thread
        assert listener.texts()[0] == "READY=1\nSTATUS=idle"
        qtbot.wait(600)
        assert len(listener.ping_times()) >= 3

        # What a slot that never returns does to the event loop, for one second.
        frozen_from = time.monotonic()
        time.sleep(1.0)
        frozen_until = time.monotonic()
        qtbot.wait(500)

        pings = listener.ping_times()
        during = [t for t in pings if frozen_from + 0.15 < t < frozen_until]
        assert during == [], "a ping came while the GUI thread was frozen"
        assert any(t > frozen_until for t in pings), "the pings did not come back"

        app.controller.handle(session.StaffModeRequested())
        listener.wait_for("STATUS=staff mode")
    listener.wait_for("STOPPING=1")


@pytest.mark.usefixtures("memory_keyring")
def test_kiosk_run_under_systemd_takes_its_credential_and_stops_cleanly_on_sigterm(
    tmp_path: Path, simulator_cfg: kiosk_config.KioskConfig, platform_sim: PlatformSimulator
) -> None:
    """`kiosk run` as the unit starts it: the terminal secret and the cache keys from
    $CREDENTIALS_DIRECTORY (the keyring pinned to `fail`), READY, pings, and SIGTERM
    (systemctl stop) ends it with status 0."""
    unit = prepare_unit(tmp_path / "unit", simulator_cfg, platform_sim, keyring="unit")
    kiosk = KioskProcess(unit)
    try:
        kiosk.wait_ready(60)
        started = time.monotonic()
        deadline = started + 10
        while kiosk.pings_after(started) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert kiosk.pings_after(started) >= 3
        # Card photos and camera frames pass through this process: a crash leaves no core.
        limits = Path(f"/proc/{kiosk.pid}/limits").read_text(encoding="utf-8")
        core_limit = next(line for line in limits.splitlines() if "core file" in line)
        assert core_limit.split()[4:6] == ["0", "0"], core_limit
        assert kiosk.terminate() == 0, kiosk.stderr()
        assert "Traceback" not in kiosk.stderr()
        assert kiosk.listener.texts()[-1] == "STOPPING=1"
    finally:
        kiosk.close()


def test_no_key_menu_or_tooltip_leaves_or_covers_the_kiosk(
    qtbot: QtBot, simulator_cfg: kiosk_config.KioskConfig, platform_sim: PlatformSimulator
) -> None:
    """Keys, clicks and hovers arrive as a real keyboard and mouse send them: at the window's
    QWindow (QTest's widget overloads would hand them to the widget directly)."""
    with running_kiosk(simulator_cfg, platform_sim) as app:
        window = app.window
        qtbot.wait_exposed(window)
        screen = window.windowHandle()
        for key, modifiers in [
            (Qt.Key.Key_F4, Qt.KeyboardModifier.AltModifier),
            (Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier),
            (Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier),
            (
                Qt.Key.Key_Backspace,
                Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier,
            ),
        ]:
            QTest.keyClick(screen, key, modifiers)
        assert window.isVisible()
        assert window.close() is False  # what a window manager's close button asks
        assert window.isVisible()

        # A text field's own menu (cut, copy, paste, select all) never opens: not from a
        # right click, not from the menu key.
        field = window.findChildren(QLineEdit)[0]
        app.controller.handle(session.StaffModeRequested())  # the PIN field shows
        qtbot.wait_until(field.isVisible)
        at = field.mapTo(window, QPoint(5, 5))
        QTest.mouseClick(screen, Qt.MouseButton.RightButton, pos=at)
        field.setFocus()
        QTest.keyClick(screen, Qt.Key.Key_Menu)
        qtbot.wait(100)
        assert QApplication.activePopupWidget() is None
        # A touch still presses a key: the lockdown takes only what it must.
        seven = app.window.staff_screen.keypad.buttons["7"]
        QTest.mouseClick(screen, Qt.MouseButton.LeftButton, pos=seven.mapTo(window, QPoint(9, 9)))
        assert field.text() == "7"
        field.clear()

        # No tooltip comes up over the screen, whatever a widget carries: a mouse resting on
        # it hovers, and the kiosk takes no hover (a touch panel has none).
        field.setToolTip("should never show")
        QTest.mouseMove(screen, at)
        QTest.mouseMove(screen, at + QPoint(3, 3))
        qtbot.wait(1500)  # longer than the tooltip's wake-up delay
        assert not QToolTip.isVisible()
        app.controller.handle(session.StaffModeLeft())
        qtbot.wait_until(lambda: app.controller.state.phase is session.Phase.IDLE)

        # The service keyboard's staff combination still works: staff mode is the way out.
        QTest.keyClick(
            screen,
            Qt.Key.Key_S,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier,
        )
        assert app.controller.state.phase is session.Phase.STAFF
