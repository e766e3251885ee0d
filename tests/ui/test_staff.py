"""Staff mode: the PIN hash and lock-out, the STAFF phase, and the staff screen with qtbot."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kiosk import config as kiosk_config
from kiosk import errors
from kiosk.flow import controller as session_controller
from kiosk.flow import runtime, session
from kiosk.offline import audit
from kiosk.staff import diagnostics
from kiosk.staff import mode as staff
from kiosk.staff import pin as staff_pin
from tests.support import fakes
from tests.support.kiosk import dispose_window, kiosk_window
from ui import main_window, qt_runtime
from ui.screens import idle
from ui.screens import staff as staff_screen
from ui.widgets import check_row

PIN = "135790"
# n=1024 keeps the tests quick; production hashes use the default n=16384.
PIN_HASH = staff_pin.hash_pin(PIN, n=1024).encode()
S = session


# ---------------------------------------------------------------- PIN hash and guard


def test_pin_hash_round_trips_through_its_config_string() -> None:
    parsed = staff_pin.parse_pin_hash(PIN_HASH)
    assert PIN_HASH.startswith("scrypt$n=1024,r=8,p=1$")
    assert staff_pin.verify_pin(PIN, parsed)
    assert not staff_pin.verify_pin("135791", parsed)
    assert not staff_pin.verify_pin("13579", parsed)  # not a PIN shape at all
    assert staff_pin.hash_pin(PIN, n=1024).encode() != PIN_HASH  # a new salt every time


@pytest.mark.parametrize(
    "text", ["", "scrypt$n=1000,r=8,p=1$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA==", "md5$abc", "x"]
)
def test_a_bad_pin_hash_is_a_config_error(text: str) -> None:
    with pytest.raises(staff_pin.BadPinHash):
        staff_pin.parse_pin_hash(text)
    if text:
        with pytest.raises(errors.ConfigError, match=r"staff\.pin_hash"):
            kiosk_config.parse_config({"staff": {"pin_hash": text}})


def test_five_wrong_pins_lock_for_five_minutes_even_across_a_restart(tmp_path: Path) -> None:
    now = [1000.0]
    stored = staff_pin.parse_pin_hash(PIN_HASH)
    state = tmp_path / "pin.json"
    guard = staff_pin.PinGuard(state, max_failures=5, lockout_s=300, now=lambda: now[0])
    left = [guard.check("000000", stored).failures_left for _ in range(4)]
    assert left == [4, 3, 2, 1]
    assert guard.check("000000", stored).locked_for_s == 300
    restarted = staff_pin.PinGuard(state, max_failures=5, lockout_s=300, now=lambda: now[0])
    attempt = restarted.check(PIN, stored)
    assert not attempt.accepted
    assert attempt.locked_for_s == 300  # the right PIN is not even checked while locked
    now[0] += 301
    assert restarted.check(PIN, stored).accepted


@pytest.mark.expect_log("kiosk.staff.pin")
def test_a_damaged_state_file_locks_rather_than_opens(tmp_path: Path) -> None:
    state = tmp_path / "pin.json"
    state.write_text("{not json", encoding="utf-8")
    guard = staff_pin.PinGuard(state, lockout_s=300, now=lambda: 0.0)
    assert guard.locked_for_s() == 300


def test_without_a_configured_hash_every_pin_is_refused() -> None:
    guard = staff_pin.PinGuard(None)
    assert not guard.check(PIN, None).accepted


# ---------------------------------------------------------------- the STAFF phase


def test_staff_mode_opens_only_from_idle() -> None:
    rules = S.Rules(staff=60)
    state, effects = S.transition(S.SessionState(), S.StaffModeRequested(), rules)
    assert state.phase is S.Phase.STAFF
    assert S.StartTimer(60, state.timer) in effects
    consent, _ = S.transition(S.SessionState(), S.CardInserted(), rules)
    assert S.transition(consent, S.StaffModeRequested(), rules)[0] is consent


def test_in_staff_mode_cards_and_failures_change_nothing() -> None:
    rules = S.Rules()
    state, _ = S.transition(S.SessionState(), S.StaffModeRequested(), rules)
    for event in (S.CardInserted(), S.CardRemoved(), S.Failed(RuntimeError("self-test"))):
        assert S.transition(state, event, rules)[0] is state
    idle_state, _ = S.transition(state, S.StaffModeLeft(), rules)
    assert idle_state.phase is S.Phase.IDLE


def test_out_of_service_ignores_cards_and_outlives_staff_mode() -> None:
    rules = S.Rules()
    state, _ = S.transition(S.SessionState(), S.StaffModeRequested(), rules)
    state, _ = S.transition(state, S.OutOfServiceSet(on=True), rules)
    state, _ = S.transition(state, S.TimedOut(state.timer), rules)
    assert (state.phase, state.hall.out_of_service) == (S.Phase.IDLE, True)
    assert S.transition(state, S.CardInserted(), rules) == (state, [])
    state, _ = S.transition(state, S.OutOfServiceSet(on=False), rules)
    assert S.transition(state, S.CardInserted(), rules)[0].phase is S.Phase.CONSENT


# ---------------------------------------------------------------- the screen, with qtbot


def _no_platform(*_: object) -> NoReturn:
    raise AssertionError("these tests run canned checks: no platform client")


HEALTHY = [
    diagnostics.Check("card reader", diagnostics.GREEN, "using Virtual PCD 00 00"),
    diagnostics.Check("printer", diagnostics.GREEN, "ready"),
    diagnostics.Check(
        "offline queue", diagnostics.AMBER, "1 waiting, oldest 2.0 h; last sync never", {}
    ),
]


@dataclasses.dataclass
class Kiosk:
    window: main_window.KioskWindow
    controller: session_controller.SessionController
    staff: staff.StaffMode
    clock: runtime.ManualClock
    audit: audit.LoggingAuditLog
    now: list[float]
    restarts: list[bool]
    cfg: kiosk_config.KioskConfig

    @property
    def screen(self) -> staff_screen.StaffScreen:
        return self.window.staff_screen

    def type_pin(self, qtbot: QtBot, pin: str) -> None:
        for digit in pin:
            qtbot.mouseClick(self.screen.keypad.buttons[digit], Qt.MouseButton.LeftButton)
        qtbot.mouseClick(self.screen.pin_ok, Qt.MouseButton.LeftButton)
        qtbot.wait_until(lambda: not self.staff.view.pin_busy)


def build_kiosk(qtbot: QtBot, tmp_path: Path) -> Kiosk:
    cfg = kiosk_config.parse_config(
        {
            "staff": {"pin_hash": PIN_HASH, "max_failures": 3, "lockout_s": 300.0},
            "paths": {"data_dir": str(tmp_path / "data"), "log_dir": str(tmp_path / "logs")},
        }
    )
    dispatcher = qt_runtime.QtDispatcher()
    clock = runtime.ManualClock()
    runner = runtime.TaskRunner(dispatcher)
    services = fakes.services()
    ctl = session_controller.SessionController(
        services, rules=S.Rules(staff=60), dispatcher=dispatcher, clock=clock, runner=runner
    )
    now = [1000.0]
    restarts: list[bool] = []
    audit_log = audit.LoggingAuditLog()
    mode = staff.StaffMode(
        cfg,
        ctl,
        runner,
        audit_log,
        guard=staff_pin.PinGuard(
            Path(cfg.paths.data_dir) / staff.PIN_STATE_FILE,
            max_failures=3,
            lockout_s=300,
            now=lambda: now[0],
        ),
        terminal_id="T-TEST",
        request_restart=lambda: restarts.append(True),
        diagnosis=diagnostics.Targets(
            cfg, fakes.NoReader(), None, survey_readers=None, platform_client=_no_platform
        ),
        run_checks=lambda _targets: list(HEALTHY),
    )
    win = kiosk_window(ctl, mode, long_press_s=0.05)
    win.resize(1920, 1080)
    win.show()
    return Kiosk(win, ctl, mode, clock, audit_log, now, restarts, cfg)


@pytest.fixture
def kiosk(qtbot: QtBot, tmp_path: Path) -> Iterator[Kiosk]:
    k = build_kiosk(qtbot, tmp_path)
    yield k
    k.controller.stop()
    dispose_window(k.window)


def open_staff(kiosk: Kiosk, qtbot: QtBot) -> None:
    qtbot.keyClick(
        kiosk.window,
        Qt.Key.Key_S,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier,
    )
    assert kiosk.controller.state.phase is S.Phase.STAFF


def unlock(kiosk: Kiosk, qtbot: QtBot) -> None:
    open_staff(kiosk, qtbot)
    kiosk.type_pin(qtbot, PIN)
    qtbot.wait_until(lambda: bool(kiosk.staff.view.checks))


def test_a_long_press_in_the_corner_opens_the_pin_prompt(kiosk: Kiosk, qtbot: QtBot) -> None:
    qtbot.mousePress(kiosk.window.staff_corner, Qt.MouseButton.LeftButton)
    qtbot.wait_until(lambda: kiosk.controller.state.phase is S.Phase.STAFF)
    qtbot.mouseRelease(kiosk.window.staff_corner, Qt.MouseButton.LeftButton)
    assert kiosk.window.current_screen() is kiosk.screen
    assert kiosk.screen.pages.currentWidget() is kiosk.screen.pin_page


def test_a_short_tap_in_the_corner_does_nothing(kiosk: Kiosk, qtbot: QtBot) -> None:
    qtbot.mouseClick(kiosk.window.staff_corner, Qt.MouseButton.LeftButton)
    assert not kiosk.window.staff_corner.hold.isActive()
    assert kiosk.controller.state.phase is S.Phase.IDLE


def test_the_key_combination_is_refused_during_a_resident_session(
    kiosk: Kiosk, qtbot: QtBot
) -> None:
    kiosk.controller.handle(S.CardInserted())
    qtbot.keyClick(
        kiosk.window,
        Qt.Key.Key_S,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier,
    )
    assert kiosk.controller.state.phase is S.Phase.CONSENT


def test_the_right_pin_opens_the_checks(kiosk: Kiosk, qtbot: QtBot) -> None:
    unlock(kiosk, qtbot)
    assert kiosk.screen.pages.currentWidget() is kiosk.screen.panel_page
    rows = [r for r in kiosk.screen.findChildren(check_row.CheckRow) if r.isVisible()]
    assert [r.badge.text() for r in rows] == ["✔ 正常", "✔ 正常", "! 注意"]
    assert [r.title.text() for r in rows] == ["读卡器", "打印机", "离线队列"]
    actions = [e.action for e in kiosk.audit.entries]
    assert actions == ["staff_mode_opened", "diagnostics_run"]


def test_wrong_pins_lock_staff_mode_out(kiosk: Kiosk, qtbot: QtBot) -> None:
    open_staff(kiosk, qtbot)
    kiosk.type_pin(qtbot, "000000")
    assert kiosk.screen.pin_message.text() == "密码不对。还可以再试 2 次。"
    kiosk.type_pin(qtbot, "000000")
    kiosk.type_pin(qtbot, "000000")
    assert "已锁定" in kiosk.screen.pin_message.text()
    kiosk.type_pin(qtbot, PIN)  # right, but locked
    assert "已锁定" in kiosk.screen.pin_message.text()
    assert not kiosk.staff.view.unlocked
    kiosk.now[0] += 301
    kiosk.type_pin(qtbot, PIN)
    assert kiosk.staff.view.unlocked
    assert PIN not in repr(kiosk.audit.entries)
    assert [e.action for e in kiosk.audit.entries][:4] == [
        "staff_pin_refused",
        "staff_pin_refused",
        "staff_pin_locked",
        "staff_pin_locked",
    ]


def test_staff_mode_leaves_by_itself_after_a_minute_without_a_touch(
    kiosk: Kiosk, qtbot: QtBot
) -> None:
    unlock(kiosk, qtbot)
    kiosk.clock.advance(50)
    kiosk.controller.handle(S.UserActive())  # a touch restarts the minute
    kiosk.clock.advance(50)
    assert kiosk.controller.state.phase is S.Phase.STAFF
    kiosk.clock.advance(11)
    assert kiosk.controller.state.phase is S.Phase.IDLE
    assert not kiosk.staff.view.unlocked
    assert kiosk.window.current_screen() is kiosk.window.screens[idle.IdleScreen]
    assert kiosk.audit.entries[-1].action == "staff_mode_closed"
    open_staff(kiosk, qtbot)  # the next opening asks for the PIN again
    assert kiosk.screen.pages.currentWidget() is kiosk.screen.pin_page


def test_out_of_service_ignores_cards_says_so_and_survives_a_restart(
    kiosk: Kiosk, qtbot: QtBot, tmp_path: Path
) -> None:
    unlock(kiosk, qtbot)
    qtbot.mouseClick(kiosk.screen.out_of_service_button, Qt.MouseButton.LeftButton)
    assert kiosk.controller.state.hall.out_of_service
    assert kiosk.screen.out_of_service_button.isChecked()
    qtbot.mouseClick(kiosk.screen.leave_button, Qt.MouseButton.LeftButton)
    kiosk.controller.handle(S.CardInserted())
    assert kiosk.controller.state.phase is S.Phase.IDLE
    idle_screen = kiosk.window.screens[idle.IdleScreen]
    assert isinstance(idle_screen, idle.IdleScreen)
    assert idle_screen.instruction.text() == "本机暂停服务"
    assert "服务台" in idle_screen.hint.text()
    assert ("out_of_service_set", {"on": "true"}) in [
        (e.action, dict(e.details)) for e in kiosk.audit.entries
    ]
    kiosk.controller.stop()
    again = build_kiosk(qtbot, tmp_path)  # the same data dir: the flag file is read back
    try:
        assert again.controller.state.hall.out_of_service
    finally:
        again.controller.stop()
        dispose_window(again.window)


def test_restart_is_requested_and_audited(kiosk: Kiosk, qtbot: QtBot) -> None:
    unlock(kiosk, qtbot)
    qtbot.mouseClick(kiosk.screen.restart_button, Qt.MouseButton.LeftButton)
    assert kiosk.restarts == [True]
    assert kiosk.audit.entries[-1].action == "restart_requested"


def test_actions_need_the_pin(kiosk: Kiosk, qtbot: QtBot) -> None:
    open_staff(kiosk, qtbot)
    kiosk.staff.restart_app()
    kiosk.staff.set_out_of_service(True)
    assert kiosk.restarts == []
    assert not kiosk.controller.state.hall.out_of_service
