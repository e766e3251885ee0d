"""Staff screen: the PIN prompt, then every check, the self-tests and the service switches.

Renders ``kiosk.staff.mode.StaffView`` (no resident data ever reaches it) and emits intents; the
window wires them to ``kiosk.staff.mode.StaffMode``. Nothing here blocks or touches a device.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.flow import session
from kiosk.staff import diagnostics
from kiosk.staff import mode as staff
from kiosk.staff import pin as staff_pin
from ui.screens import base
from ui.widgets import check_row, keypad

CENTER = Qt.AlignmentFlag.AlignHCenter
_ACTION_BUSY = {
    "read_test_card": "正在试读测试卡……",
    "print_test_page": "正在打印测试页……",
    "print_readiness_report": "正在打印就绪报告……",
    "export_support_bundle": "正在导出支持包……",
    "sync_outbox": "正在同步离线队列……",
}


class StaffScreen(base.Screen):
    """Staff mode.

    Signals:
        pin_entered: the PIN typed on the keypad.
        leave_requested: "exit staff mode".
        refresh_requested: "check again".
        read_card_requested: "read a test card".
        print_test_requested: "print a test page".
        print_report_requested: "print the readiness report".
        export_requested: "export a support bundle".
        out_of_service_toggled: the out-of-service switch (True: out of service).
        restart_requested: "restart the app".
        sync_requested: "sync the offline queue now".
    """

    pin_entered = Signal(str)
    leave_requested = Signal()
    refresh_requested = Signal()
    read_card_requested = Signal()
    print_test_requested = Signal()
    print_report_requested = Signal()
    export_requested = Signal()
    out_of_service_toggled = Signal(bool)
    restart_requested = Signal()
    sync_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.layout_.setContentsMargins(48, 24, 48, 24)
        self.pages = QStackedWidget()
        self.layout_.addWidget(self.pages)
        self.pin_page = self._build_pin_page()
        self.panel_page = self._build_panel_page()
        self.pages.addWidget(self.pin_page)
        self.pages.addWidget(self.panel_page)
        self._rows: list[check_row.CheckRow] = []

    # ---------------------------------------------------------------- PIN page

    def _build_pin_page(self) -> QWidget:
        page = QWidget()
        column = QVBoxLayout(page)
        column.setSpacing(20)
        column.addStretch(1)
        column.addWidget(base.label("工作人员模式", "Title", align=CENTER))
        column.addWidget(
            base.label("请输入工作人员密码。一分钟内无操作将自动退出。", "Muted", align=CENTER)
        )
        self.pin_field = QLineEdit()
        self.pin_field.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin_field.setReadOnly(True)
        self.pin_field.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pin_field.setFixedWidth(520)
        self.pin_field.setAccessibleName("工作人员密码")
        column.addWidget(self.pin_field, 0, CENTER)
        self.pin_message = base.label("", "Warning", align=CENTER)
        column.addWidget(self.pin_message)
        self.keypad = keypad.Keypad()
        self.keypad.key_pressed.connect(self._on_keypad_key_pressed)
        column.addWidget(self.keypad, 0, CENTER)
        self.pin_ok = base.button("确定", primary=True)
        self.pin_ok.clicked.connect(self._on_pin_ok_clicked)
        self.pin_leave = base.button("退出")
        self.pin_leave.clicked.connect(self.leave_requested)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.pin_leave)
        row.addSpacing(32)
        row.addWidget(self.pin_ok)
        row.addStretch(1)
        column.addLayout(row)
        column.addStretch(1)
        return page

    def _on_keypad_key_pressed(self, key: str) -> None:
        self.pin_field.setText(
            keypad.apply_key(self.pin_field.text(), key, staff_pin.MAX_PIN_LENGTH)
        )

    def _on_pin_ok_clicked(self) -> None:
        pin = self.pin_field.text()
        self.pin_field.clear()  # never kept on screen or in the widget longer than needed
        self.pin_entered.emit(pin)

    # ---------------------------------------------------------------- panel page

    def _build_panel_page(self) -> QWidget:
        page = QWidget()
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(16)
        top = QHBoxLayout()
        top.setSpacing(24)
        top.addWidget(base.label("工作人员模式", "Heading", wrap=False))
        self.summary = base.label("", "Muted")
        top.addWidget(self.summary, 1)
        self.refresh_button = base.button("重新检测")
        self.refresh_button.clicked.connect(self.refresh_requested)
        top.addWidget(self.refresh_button)
        self.leave_button = base.button("退出", primary=True)
        self.leave_button.clicked.connect(self.leave_requested)
        top.addWidget(self.leave_button)
        column.addLayout(top)

        body = QHBoxLayout()
        body.setSpacing(32)
        checks = QWidget()
        self.checks_column = QVBoxLayout(checks)
        self.checks_column.setContentsMargins(0, 0, 0, 0)
        self.checks_column.setSpacing(10)
        self.checks_column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(checks)
        body.addWidget(scroll, 5)
        body.addLayout(self._build_actions(), 2)
        column.addLayout(body, 1)

        self.log_title = base.label("最近日志（已隐去个人信息）", "Small")
        column.addWidget(self.log_title)
        self.log_lines = base.label("", "Mono")
        self.log_lines.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        column.addWidget(self.log_lines)
        return page

    def _build_actions(self) -> QVBoxLayout:
        actions = QVBoxLayout()
        actions.setSpacing(14)
        grid = QGridLayout()
        grid.setSpacing(14)
        self.read_card_button = base.button("试读测试卡")
        self.read_card_button.clicked.connect(self.read_card_requested)
        self.print_test_button = base.button("打印测试页")
        self.print_test_button.clicked.connect(self.print_test_requested)
        self.print_report_button = base.button("打印就绪报告")
        self.print_report_button.clicked.connect(self.print_report_requested)
        self.export_button = base.button("导出支持包")
        self.export_button.clicked.connect(self.export_requested)
        self.out_of_service_button = base.button("暂停服务")
        self.out_of_service_button.setObjectName("Toggle")
        self.out_of_service_button.setCheckable(True)
        self.out_of_service_button.clicked.connect(self._on_out_of_service_clicked)
        self.restart_button = base.button("重启程序")
        self.restart_button.clicked.connect(self.restart_requested)
        self.sync_button = base.button("立即同步离线队列")
        self.sync_button.clicked.connect(self.sync_requested)
        buttons = (
            self.read_card_button,
            self.print_test_button,
            self.print_report_button,
            self.export_button,
            self.out_of_service_button,
            self.restart_button,
            self.sync_button,
        )
        for index, widget in enumerate(buttons):
            grid.addWidget(widget, index // 2, index % 2)
        actions.addLayout(grid)
        self.action_message = base.label("", "Muted")
        self.action_message.setMinimumHeight(110)  # two wrapped lines without squeezing
        self.action_message.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        actions.addWidget(self.action_message)
        self.last_errors = base.label("", "Small")
        actions.addWidget(self.last_errors)
        actions.addStretch(1)
        return actions

    def _on_out_of_service_clicked(self, checked: bool) -> None:
        self.out_of_service_toggled.emit(checked)

    # ---------------------------------------------------------------- rendering

    def show_state(self, state: session.SessionState) -> None:
        """Only the out-of-service switch follows the session state (nothing personal)."""
        out = state.hall.out_of_service
        self.out_of_service_button.setChecked(out)
        self.out_of_service_button.setText("恢复服务（现已暂停）" if out else "暂停服务")
        if state.phase is not session.Phase.STAFF:
            self.pin_field.clear()

    def show_staff(self, view: staff.StaffView) -> None:
        """Show the PIN prompt or the panel of ``view``."""
        self.pages.setCurrentWidget(self.panel_page if view.unlocked else self.pin_page)
        self.pin_message.setText("正在核对……" if view.pin_busy else view.pin_message)
        self.pin_ok.setEnabled(not view.pin_busy)
        self._show_checks(view)
        busy = bool(view.busy_action)
        for widget in (
            self.read_card_button,
            self.print_test_button,
            self.print_report_button,
            self.export_button,
            self.sync_button,
        ):
            widget.setEnabled(not busy)
        self.print_report_button.setEnabled(not busy and bool(view.checks))
        self.refresh_button.setEnabled(not view.checking)
        if busy:
            self.action_message.setObjectName("Muted")
            self.action_message.setText(_ACTION_BUSY.get(view.busy_action, "正在处理……"))
        else:
            roles = {diagnostics.GREEN: "Good", diagnostics.RED: "Warning"}
            role = roles.get(view.action_level, "Muted") if view.action_level else "Muted"
            self.action_message.setObjectName(role)
            prefix = check_row.badge_text(view.action_level) + "  " if view.action_level else ""
            self.action_message.setText(prefix + view.action_message)
        base.repolish(self.action_message)
        errors_text = "；".join(f"{device} {what}" for device, what in view.last_errors)
        self.last_errors.setText(f"居民使用中最近的设备故障：{errors_text or '无'}")
        self.log_lines.setText("\n".join(line[:150] for line in view.log_lines[-8:]))

    def _show_checks(self, view: staff.StaffView) -> None:
        while len(self._rows) < len(view.checks):
            row = check_row.CheckRow()
            self.checks_column.insertWidget(len(self._rows), row)
            self._rows.append(row)
        for index, row in enumerate(self._rows):
            row.setVisible(index < len(view.checks))
            if index < len(view.checks):
                row.show_check(view.checks[index])
        counts = {level: sum(c.level == level for c in view.checks) for level in check_row.BADGES}
        tested = view.tested_at.astimezone().strftime("%H:%M:%S") if view.tested_at else "—"
        state = "正在检测……" if view.checking else f"上次检测 {tested}"
        self.summary.setText(
            f"终端 {view.terminal_id or '未注册'}  ·  {state}  ·  "
            f"正常 {counts[diagnostics.GREEN]}  注意 {counts[diagnostics.AMBER]}  "
            f"故障 {counts[diagnostics.RED]}"
        )
