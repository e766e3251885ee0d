"""Staff mode behind the PIN: diagnostics, self-tests, out-of-service and restart, all audited.

``StaffMode`` is the Qt-free half of the staff screen. The session controller owns *whether*
staff mode is open (``Phase.STAFF``: only reachable from IDLE, closed by its inactivity timer
or by staff); this class owns what happens inside: the PIN (``kiosk.staff.pin``), the checks
and the actions. Everything slow runs on the controller's ``TaskRunner`` lanes (checks and the
PIN hash on ``net``, the test card on ``card``, paper on ``print``); results come back on the
core's thread and are dropped if staff mode was closed meanwhile. Call every method on the
core's thread. Nothing here reads, keeps or shows resident data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from devices import errors as device_errors
from devices import receipt_printer
from kiosk import config as kiosk_config
from kiosk import errors
from kiosk.flow import controller as session_controller
from kiosk.flow import runtime, session
from kiosk.flow.runtime import Lane
from kiosk.offline import audit
from kiosk.offline import sender as outbox_sender
from kiosk.staff import diagnostics
from kiosk.staff import pin as staff_pin

log = logging.getLogger(__name__)

T = TypeVar("T")
OUT_OF_SERVICE_FILE = "out-of-service"
PIN_STATE_FILE = "staff-pin-state.json"


@dataclasses.dataclass(frozen=True, kw_only=True)
class StaffView:
    """What the staff screen shows. Holds no resident data."""

    unlocked: bool = False
    pin_busy: bool = False
    pin_message: str = ""
    checks: tuple[diagnostics.Check, ...] = ()
    checking: bool = False
    tested_at: dt.datetime | None = None
    log_lines: tuple[str, ...] = ()
    busy_action: str = ""  # the action running now ("" when none)
    action_level: diagnostics.Level | None = None  # outcome of the last action
    action_message: str = ""
    last_errors: tuple[tuple[str, str], ...] = ()  # (device, "HH:MM:SS kind") from sessions
    terminal_id: str = ""


Listener = Callable[[StaffView], None]

_LANE_DEVICE = {
    Lane.CARD: "读卡器",
    Lane.PRINT: "打印机",
    Lane.NET: "平台",
}


class StaffMode:
    """Staff mode's logic; the UI renders ``view`` and calls the methods below.

    Args:
        cfg: The kiosk configuration (``[staff]``, paths, devices, platform).
        controller: The session controller (opens and closes ``Phase.STAFF``).
        runner: The controller's task runner.
        audit_log: Where staff actions are recorded.
        guard: Counts wrong PINs and locks.
        terminal_id: This terminal's id (printed on test pages).
        request_restart: Asks the process to exit with the restart code.
        diagnosis: What the checks test: the kiosk's own reader, printer and platform.
        run_checks: The checks to run (tests pass canned ones).
        sync_outbox: The outbox sender's ``sync_now(timeout)`` (None: no outbox).
        refresh_trust_anchors: Fetches the card issuer CAs again and returns them; run on
            the ``net`` lane with every "重新检测" (None: not offered).
    """

    def __init__(
        self,
        cfg: kiosk_config.KioskConfig,
        controller: session_controller.SessionController,
        runner: runtime.Runner,
        audit_log: audit.AuditLog,
        *,
        guard: staff_pin.PinGuard,
        terminal_id: str,
        request_restart: Callable[[], None],
        diagnosis: diagnostics.Targets,
        run_checks: Callable[[diagnostics.Targets], list[diagnostics.Check]] = (
            diagnostics.run_checks
        ),
        sync_outbox: Callable[[float], outbox_sender.RunResult | None] | None = None,
        refresh_trust_anchors: Callable[[], list[bytes]] | None = None,
    ) -> None:
        self._cfg = cfg
        self._diagnosis = diagnosis
        self._controller = controller
        self._runner = runner
        self._audit = audit_log
        self._guard = guard
        self._terminal_id = terminal_id
        self._request_restart = request_restart
        self._run_checks = run_checks
        self._sync_outbox = sync_outbox
        self._refresh_trust_anchors = refresh_trust_anchors
        self._pin_hash = (
            staff_pin.parse_pin_hash(cfg.staff.pin_hash) if cfg.staff.pin_hash else None
        )
        self._view = StaffView(terminal_id=terminal_id)
        self._listeners: list[Listener] = []
        self._generation = 0  # bumped when staff mode closes; late results are dropped
        self._was_open = False
        controller.add_listener(self._on_session)
        if self._flag_file.exists():
            controller.handle(session.OutOfServiceSet(on=True))

    @property
    def view(self) -> StaffView:
        """What to show now."""
        return self._view

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(view)`` after every change, on the core's thread."""
        self._listeners.append(listener)

    # ---------------------------------------------------------------- entering and leaving

    def request(self) -> None:
        """The hidden gesture or the key combination: open the PIN prompt (IDLE only)."""
        self._controller.handle(session.StaffModeRequested())

    def leave(self) -> None:
        """Staff pressed "exit"."""
        self._controller.handle(session.StaffModeLeft())

    def _on_session(self, state: session.SessionState) -> None:
        is_open = state.phase is session.Phase.STAFF
        if is_open == self._was_open:
            return
        self._was_open = is_open
        if not is_open:
            self._generation += 1
            if self._view.unlocked:
                self._audit.record(audit.entry("staff_mode_closed"))
        self._set(StaffView(terminal_id=self._terminal_id))  # a fresh PIN prompt

    # ---------------------------------------------------------------- PIN

    def submit_pin(self, pin: str) -> None:
        """Check ``pin`` off the GUI thread; unlocks, or says how many tries are left."""
        if not self._is_open() or self._view.unlocked or self._view.pin_busy:
            return
        self._set(dataclasses.replace(self._view, pin_busy=True, pin_message=""))
        guard, stored = self._guard, self._pin_hash
        self._submit(Lane.NET, lambda: guard.check(pin, stored), self._on_pin_checked)

    def _on_pin_checked(self, attempt: staff_pin.Attempt) -> None:
        if attempt.accepted:
            self._audit.record(audit.entry("staff_mode_opened"))
            self._set(dataclasses.replace(self._view, unlocked=True, pin_busy=False))
            self.refresh()
            return
        if attempt.locked_for_s > 0:
            minutes = max(1, round(attempt.locked_for_s / 60))
            message = f"错误次数过多，已锁定。请 {minutes} 分钟后再试。"
            self._audit.record(audit.entry("staff_pin_locked", actor="unknown"))
        elif self._pin_hash is None:
            message = "本机未设置工作人员密码（staff.pin_hash），请联系技术支持。"
        else:
            message = f"密码不对。还可以再试 {attempt.failures_left} 次。"
            self._audit.record(audit.entry("staff_pin_refused", actor="unknown"))
        self._set(dataclasses.replace(self._view, pin_busy=False, pin_message=message))

    # ---------------------------------------------------------------- checks and actions

    def refresh(self) -> None:
        """Run every check again (bounded by ``staff.check_deadline_s``)."""
        if not self._unlocked() or self._view.checking:
            return
        self._set(dataclasses.replace(self._view, checking=True))
        cfg, run_checks, refresh_anchors = self._cfg, self._run_checks, self._refresh_trust_anchors
        diagnosis = self._diagnosis

        def work() -> tuple[list[diagnostics.Check], list[str]]:
            checks = run_checks(diagnosis)
            if refresh_anchors is not None:
                checks.append(_trust_anchors_check(refresh_anchors))
            return checks, diagnostics.recent_log_lines(cfg.paths.log_dir, 12)

        self._submit(Lane.NET, work, self._on_checked)

    def _on_checked(self, result: tuple[list[diagnostics.Check], list[str]]) -> None:
        checks, lines = result
        self._audit.record(audit.entry("diagnostics_run", **diagnostics.summary_details(checks)))
        self._set(
            dataclasses.replace(
                self._view,
                checks=tuple(checks),
                checking=False,
                tested_at=dt.datetime.now(dt.UTC),
                log_lines=tuple(lines),
                last_errors=self._last_errors(),
            )
        )

    def _last_errors(self) -> tuple[tuple[str, str], ...]:
        return tuple(
            (_LANE_DEVICE.get(lane, lane), f"{at.astimezone():%m-%d %H:%M:%S} {kind}")
            for lane, (at, kind) in sorted(self._controller.last_errors.items())
        )

    def read_test_card(self) -> None:
        """Ask the card in the reader whether it is an ID card (reads none of its files)."""
        diagnosis = self._diagnosis
        self._action("read_test_card", Lane.CARD, lambda: diagnostics.read_test_card(diagnosis))

    def print_test_page(self) -> None:
        """Print a test page with a QR code and the terminal id."""
        cfg, terminal, diagnosis = self._cfg, self._terminal_id, self._diagnosis

        def work() -> diagnostics.Check:
            now = dt.datetime.now(dt.UTC)
            job = diagnostics.build_test_page(terminal, now, cfg.printer.columns)
            return _printed(diagnosis, job, "测试页已打印。")

        self._action("print_test_page", Lane.PRINT, work)

    def print_readiness_report(self) -> None:
        """Print every check's state, the terminal id and the time of the last test."""
        if not self._view.checks or self._view.tested_at is None:
            return
        cfg, terminal, diagnosis = self._cfg, self._terminal_id, self._diagnosis
        checks, tested_at = list(self._view.checks), self._view.tested_at

        def work() -> diagnostics.Check:
            now = dt.datetime.now(dt.UTC)
            job = diagnostics.readiness_job(checks, terminal, now, tested_at, cfg.printer.columns)
            return _printed(diagnosis, job, "就绪报告已打印。")

        self._action("print_readiness_report", Lane.PRINT, work)

    def export_support_bundle(self, dest_dir: Path | None = None) -> None:
        """Zip the diagnosis and the masked logs into ``dest_dir`` (default the data dir)."""
        cfg, terminal = self._cfg, self._terminal_id
        checks = list(self._view.checks)
        target = dest_dir or Path(cfg.paths.data_dir) / "support"

        def work() -> diagnostics.Check:
            try:
                path = diagnostics.export_support_bundle(
                    checks, cfg.paths.log_dir, target, dt.datetime.now(dt.UTC), terminal
                )
            except OSError as exc:
                return diagnostics.Check("support bundle", diagnostics.RED, f"not written: {exc}")
            return diagnostics.Check("support bundle", diagnostics.GREEN, f"支持包已保存：{path}")

        self._action("export_support_bundle", Lane.NET, work)

    def sync_now(self) -> None:
        """Send the offline queue now (the back-off is dropped), then check again."""
        sync, deadline = self._sync_outbox, self._cfg.staff.check_deadline_s
        if sync is None or not self._unlocked() or self._view.busy_action:
            return

        def work() -> diagnostics.Check:
            result = sync(deadline)
            if result is None:
                return diagnostics.Check(
                    "sync",
                    diagnostics.AMBER,
                    "still sending",
                    {},
                    "仍在同步，稍后点“重新检测”查看。",
                )
            if result.failed:
                return diagnostics.Check(
                    "sync",
                    diagnostics.RED,
                    "platform not taking items",
                    {},
                    "平台仍无法接收，队列会自动重试；请检查网络。",
                )
            return diagnostics.Check(
                "sync",
                diagnostics.GREEN,
                f"{result.delivered} sent",
                {},
                f"同步完成：已送出 {result.delivered} 条。",
            )

        self._action("sync_outbox", Lane.NET, work, then=self.refresh)

    def set_out_of_service(self, on: bool) -> None:
        """Switch out-of-service mode; it is kept across restarts (a flag file)."""
        if not self._unlocked():
            return
        try:
            if on:
                self._flag_file.parent.mkdir(parents=True, exist_ok=True)
                self._flag_file.touch()
            else:
                self._flag_file.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("out-of-service flag not saved (%s): it lasts until a restart", exc)
        self._audit.record(audit.entry("out_of_service_set", on=str(on).lower()))
        self._controller.handle(session.OutOfServiceSet(on=on))

    def restart_app(self) -> None:
        """Ask for a restart (the process exits with the code systemd restarts)."""
        if not self._unlocked():
            return
        self._audit.record(audit.entry("restart_requested"))
        self._request_restart()

    # ---------------------------------------------------------------- internals

    @property
    def _flag_file(self) -> Path:
        return Path(self._cfg.paths.data_dir) / OUT_OF_SERVICE_FILE

    def _is_open(self) -> bool:
        return self._controller.state.phase is session.Phase.STAFF

    def _unlocked(self) -> bool:
        return self._is_open() and self._view.unlocked

    def _action(
        self,
        name: str,
        lane: Lane,
        work: Callable[[], diagnostics.Check],
        then: Callable[[], None] | None = None,
    ) -> None:
        if not self._unlocked() or self._view.busy_action:
            return
        self._set(dataclasses.replace(self._view, busy_action=name, action_message=""))

        def done(check: diagnostics.Check) -> None:
            self._audit.record(audit.entry(name, level=check.level))
            message = check.advice or check.summary
            self._set(
                dataclasses.replace(
                    self._view,
                    busy_action="",
                    action_level=check.level,
                    action_message=message,
                    last_errors=self._last_errors(),
                )
            )
            if then is not None:
                then()

        self._submit(lane, work, done)

    def _submit(self, lane: Lane, work: Callable[[], T], on_done: Callable[[T], None]) -> None:
        generation = self._generation

        def done(result: T) -> None:
            if generation == self._generation:
                on_done(result)

        def failed(exc: BaseException) -> None:
            if isinstance(exc, errors.KioskError | device_errors.DeviceError):
                log.warning("staff %s work failed: %s", lane, exc)
            else:  # a bug: keep the traceback
                log.error("unexpected error in staff %s work", lane, exc_info=exc)
            if generation == self._generation:
                self._set(
                    dataclasses.replace(
                        self._view,
                        pin_busy=False,
                        checking=False,
                        busy_action="",
                        action_level=diagnostics.RED,
                        action_message="操作没有完成，请再试一次；仍不行请联系技术支持。",
                    )
                )

        self._runner.submit(lane, work, done, failed)

    def _set(self, view: StaffView) -> None:
        self._view = view
        for listener in list(self._listeners):
            listener(view)


def _printed(
    diagnosis: diagnostics.Targets, job: receipt_printer.PrintJob, ok: str
) -> diagnostics.Check:
    try:
        diagnostics.print_job(diagnosis, job)
    except device_errors.PrinterError as exc:
        check = diagnostics.check_printer(diagnosis)  # says what to do: paper, cover, power
        advice = check.advice or "打印失败，请检查打印机。"
        return diagnostics.Check("print", diagnostics.RED, f"{type(exc).__name__}", {}, advice)
    return diagnostics.Check("print", diagnostics.GREEN, ok)


def _trust_anchors_check(refresh: Callable[[], list[bytes]]) -> diagnostics.Check:
    """The card issuer CAs fetched again: how many are in force, or why not fetched."""
    try:
        anchors = refresh()
    except errors.PlatformError as exc:
        return diagnostics.Check(
            "trust anchors",
            diagnostics.RED,
            f"not fetched: {exc}",
            {},
            "无法从信用平台获取证件签发机构证书，新发证件可能被拒。请检查网络后点“重新检测”。",
        )
    return diagnostics.Check(
        "trust anchors",
        diagnostics.GREEN,
        f"{len(anchors)} card issuer CA(s) in force",
        {"issuer_cas": len(anchors)},
    )
