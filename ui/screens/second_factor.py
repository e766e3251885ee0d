"""Second factor: an SMS code typed on the keypad, or hall staff confirming in person."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget

from kiosk import errors, session
from kiosk.logging_setup import mask_name
from ui.screens import base
from ui.widgets import keypad

CODE_LENGTH = 6
STAFF_ID_LENGTH = 6  # hall staff ids are six digits
PIN_MAX = 8


class SecondFactorScreen(base.Screen):
    """Lets the resident prove it is them a second way.

    Signals:
        sms_requested: "send me a code" pressed.
        staff_requested: "ask staff to confirm" pressed.
        code_entered(str): six digits confirmed.
        staff_confirmed(str, str): staff id and PIN confirmed.
    """

    sms_requested = Signal()
    staff_requested = Signal()
    code_entered = Signal(str)
    staff_confirmed = Signal(str, str)

    def __init__(self) -> None:
        super().__init__()
        self.layout_.addWidget(base.label("确认是您本人", "Title"))
        self.subject = base.label("", "Muted")
        self.layout_.addWidget(self.subject)
        self.message = base.label("", "Warning")
        self.layout_.addWidget(self.message)
        self.pages = QStackedWidget()
        self.layout_.addWidget(self.pages, 1)
        self._build_choice_page()
        self._build_entry_page()
        self._code = ""
        self._staff_id = ""
        self._pin = ""
        self._mode = session.Factor.CHOOSING
        self._shown_message: errors.UserMessage | None = None

    def _build_choice_page(self) -> None:
        page = QWidget()
        column = QVBoxLayout(page)
        column.setSpacing(32)
        self.sms_button = base.button("", primary=True)
        self.staff_button = base.button("请工作人员现场核验")
        self.no_phone_note = base.label("您没有预留手机号码，请工作人员现场为您核验身份。", "Muted")
        self.sms_button.clicked.connect(self.sms_requested)
        self.staff_button.clicked.connect(self.staff_requested)
        column.addWidget(self.sms_button)
        column.addWidget(self.no_phone_note)
        column.addWidget(self.staff_button)
        column.addStretch(1)
        self.pages.addWidget(page)

    def _build_entry_page(self) -> None:
        page = QWidget()
        row = QHBoxLayout(page)
        row.setSpacing(64)
        left = QVBoxLayout()
        self.prompt = base.label("", "Heading")
        left.addWidget(self.prompt)
        self.field_label = base.label("", "Muted")
        left.addWidget(self.field_label)
        self.field = QLabel()
        self.field.setObjectName("Title")
        self.field.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        left.addWidget(self.field)
        self.second_label = base.label("", "Muted")
        left.addWidget(self.second_label)
        self.second_field = QLabel()
        self.second_field.setObjectName("Title")
        left.addWidget(self.second_field)
        left.addStretch(1)
        self.confirm_button = base.button("确认", primary=True)
        self.confirm_button.clicked.connect(self._on_confirm)
        left.addWidget(self.confirm_button)
        row.addLayout(left, 1)
        self.keypad = keypad.Keypad()
        self.keypad.key_pressed.connect(self._on_key)
        row.addWidget(self.keypad)
        self.pages.addWidget(page)

    # -------------------------------------------------------------- rendering
    def show_state(self, state: session.SessionState) -> None:
        """Show the choice, the SMS code entry, or the staff form."""
        identity = state.identity
        if identity is None:
            self.subject.setText("")
            self._clear_fields()
            return
        self.subject.setText(f"{mask_name(identity.name)}　{identity.id_masked}")
        self.message.setText(state.message.body if state.message else "")
        self.message.setVisible(state.message is not None)
        if state.factor is not self._mode:
            self._clear_fields()
            self._mode = state.factor
        has_phone = "sms_otp" in identity.second_factors and identity.phone_masked
        if state.factor is session.Factor.CHOOSING:
            self.pages.setCurrentIndex(0)
            self.sms_button.setVisible(bool(has_phone))
            self.sms_button.setText(f"发送短信验证码到 {identity.phone_masked}")
            self.no_phone_note.setVisible(not has_phone)
        elif state.factor is session.Factor.SMS:
            self.pages.setCurrentIndex(1)
            self.prompt.setText(
                f"验证码已发送至 {identity.phone_masked}" if state.otp_sent else "正在发送验证码…"
            )
            self.field_label.setText("请输入短信中的6位验证码")
            self.second_label.setVisible(False)
            self.second_field.setVisible(False)
        else:
            self.pages.setCurrentIndex(1)
            self.prompt.setText(
                "请工作人员核对本人与证件后输入"
                if has_phone
                else "您没有预留手机号码，请工作人员核对本人与证件后输入"
            )
            self.field_label.setText("工号")
            self.second_label.setText("密码")
            self.second_label.setVisible(True)
            self.second_field.setVisible(True)
        if state.message is not None and state.message is not self._shown_message:
            # A refused code or PIN: start the entry again, keep the staff id.
            self._code = ""
            self._pin = ""
        self._shown_message = state.message
        self.confirm_button.setEnabled(not state.busy)
        self._show_fields()

    def _clear_fields(self) -> None:
        self._code = self._staff_id = self._pin = ""
        self._show_fields()

    def _show_fields(self) -> None:
        if self._mode is session.Factor.STAFF:
            self.field.setText(self._staff_id or "—")
            self.second_field.setText("●" * len(self._pin) or "—")
        else:
            self.field.setText(" ".join(self._code.ljust(CODE_LENGTH, "_")))

    # -------------------------------------------------------------- input
    def _on_key(self, key: str) -> None:
        if self._mode is not session.Factor.STAFF:
            self._code = keypad.apply_key(self._code, key, CODE_LENGTH)
        elif key == "clear":
            self._staff_id = self._pin = ""
        elif key == keypad.BACKSPACE:
            if self._pin:
                self._pin = self._pin[:-1]
            else:
                self._staff_id = self._staff_id[:-1]
        elif len(self._staff_id) < STAFF_ID_LENGTH:
            self._staff_id += key  # the keypad moves on to the PIN after six digits
        else:
            self._pin = keypad.apply_key(self._pin, key, PIN_MAX)
        self._show_fields()

    def _on_confirm(self) -> None:
        if self._mode is session.Factor.STAFF:
            if len(self._staff_id) == STAFF_ID_LENGTH and self._pin:
                self.staff_confirmed.emit(self._staff_id, self._pin)
        elif len(self._code) == CODE_LENGTH:
            self.code_entered.emit(self._code)
