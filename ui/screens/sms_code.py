"""The SMS code page of the second-factor screen: six digits on the keypad, a way to have the
code sent again once its countdown ran out, and a way to staff for a resident without it."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal

from kiosk import errors
from kiosk.flow import session
from ui.i18n import translate
from ui.screens import entry_page
from ui.screens.base import button, label
from ui.widgets import keypad

CODE_LENGTH = 6


class SmsCodePage(entry_page.EntryPage):
    """Shown while ``state.step.factor`` is ``Factor.SMS``.

    Signals:
        resend_requested: "send the code again" pressed, once its countdown ran out.
        staff_requested: "no SMS? ask staff" pressed.
        code_entered(str): six digits confirmed.
    """

    resend_requested = Signal()
    staff_requested = Signal()
    code_entered = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.field_label = label("", "Muted")
        self.fields.addWidget(self.field_label)
        self.field = label("", "Title", wrap=False)
        self.fields.addWidget(self.field)
        left = Qt.AlignmentFlag.AlignLeft
        self.resend_button = button("")
        self.resend_button.clicked.connect(self._on_resend)
        self.fields.addWidget(self.resend_button, 0, left)
        self.no_sms_button = button("")
        self.no_sms_button.clicked.connect(self.staff_requested)
        self.fields.addWidget(self.no_sms_button, 0, left)
        self.keypad = keypad.Keypad()
        self.keypad.key_pressed.connect(self._on_key)
        self.keys.addWidget(self.keypad, 0, Qt.AlignmentFlag.AlignHCenter)
        self.detail.setVisible(False)

        self._code = ""
        # The step last shown: what the kiosk waits for, whether a code went out and may be
        # sent again (the buttons read it).
        self._step = session.Step()
        self._shown_message: errors.UserMessage | None = None
        # The countdown on the resend button: display only, restarted whenever another wait
        # begins; whether "send again" may be pressed is the state's ``resend_ready``.
        self._wait_counted: tuple[str, int] | None = None  # (session id, resend_waits) counted
        self.resend_left = 0
        self.resend_timer = QTimer(self)
        self.resend_timer.setInterval(1000)
        self.resend_timer.timeout.connect(self.tick_resend)
        self.retranslate()

    def retranslate(self) -> None:
        super().retranslate()
        self.keypad.retranslate()
        self.field_label.setText(translate("SecondFactorScreen", "请输入短信中的6位验证码"))
        self.field.setAccessibleName(translate("SecondFactorScreen", "已输入的验证码"))
        self.resend_button.setAccessibleName(translate("SecondFactorScreen", "重新发送验证码"))
        self.no_sms_button.setText(translate("SecondFactorScreen", "没有收到短信？请工作人员核验"))
        self.no_sms_button.setAccessibleName(
            translate("SecondFactorScreen", "没有收到短信？请工作人员核验")
        )
        self._show_resend()
        self._show_entry()

    # -------------------------------------------------------------- rendering
    def show_state(self, state: session.SessionState) -> None:
        """Show the code entry; anything typed goes when the resident leaves the page."""
        identity = state.resident.identity
        if identity is None:
            self._forget()
            return
        self._step = state.step
        on_page = state.phase is session.Phase.SECOND_FACTOR and (
            state.step.factor is session.Factor.SMS
        )
        if not on_page:
            self._code = ""
        phone = identity.phone_masked or ""
        if state.step.otp_sent:
            self.prompt.setText(
                translate("SecondFactorScreen", "验证码已发送至 %1").replace("%1", phone)
            )
        elif state.step.code_waits:  # "too soon": counted down, then sent by itself
            self.prompt.setText(
                translate("SecondFactorScreen", "稍后将自动发送验证码至 %1").replace("%1", phone)
            )
        else:
            self.prompt.setText(translate("SecondFactorScreen", "正在发送验证码…"))
        self.resend_button.setVisible(state.step.otp_sent or state.step.code_waits)
        self.no_sms_button.setEnabled(not state.step.busy)
        message = state.step.message if on_page else None
        if message is not None and message is not self._shown_message:
            self._code = ""  # a refused code: type it again
        self._shown_message = message
        self.show_message(message)
        self._follow_waits(state, identity.session_id, on_page)
        self._show_entry()

    def _forget(self) -> None:
        """The session ended: nothing of it stays on this page, not even the countdown."""
        self._code = ""
        self._step = session.Step()
        self._shown_message = None
        self.prompt.setText("")
        self.show_message(None)
        self._wait_counted = None
        self.resend_left = 0
        self.resend_timer.stop()
        self._show_resend()
        self._show_entry()

    def _show_entry(self) -> None:
        self.field.setText(" ".join(self._code.ljust(CODE_LENGTH, "_")))
        self.show_confirm(
            ready=not self._step.busy and len(self._code) == CODE_LENGTH,
            checking=self._step.pending is session.Pending.OTP_CHECK,
        )

    # -------------------------------------------------------------- resend countdown
    def _follow_waits(self, state: session.SessionState, session_id: str, on_page: bool) -> None:
        """Restart the countdown when another wait began (a code went out, or the platform
        said "too soon"); run it only on this page."""
        wait = (session_id, state.resident.resend_waits)
        if wait != self._wait_counted:
            self._wait_counted = wait
            self.resend_left = max(0, state.step.resend_after_s)
        if on_page and self.resend_left > 0:
            if not self.resend_timer.isActive():
                self.resend_timer.start()
        else:
            self.resend_timer.stop()
        self._show_resend()

    def tick_resend(self) -> None:
        """One second of the resend countdown passed."""
        self.resend_left = max(0, self.resend_left - 1)
        if self.resend_left == 0:
            self.resend_timer.stop()
        self._show_resend()

    def _show_resend(self) -> None:
        if self._step.pending is session.Pending.OTP_SEND and self._step.otp_sent:
            text = translate("SecondFactorScreen", "正在重新发送…")
        elif not self._step.resend_ready:
            # The display may run a moment ahead of the state's timer: never "0 seconds".
            seconds = str(max(1, self.resend_left))
            if self._step.otp_sent:
                text = translate("SecondFactorScreen", "%1 秒后可重新发送").replace("%1", seconds)
            else:
                text = translate("SecondFactorScreen", "%1 秒后自动发送").replace("%1", seconds)
        else:
            text = translate("SecondFactorScreen", "重新发送验证码")
        self.resend_button.setText(text)
        self.resend_button.setAccessibleDescription(text)
        self.resend_button.setEnabled(self._step.resend_ready and not self._step.busy)

    def _on_resend(self) -> None:
        if self._step.resend_ready and not self._step.busy:
            self.resend_requested.emit()

    # -------------------------------------------------------------- input
    def _on_key(self, key: str) -> None:
        self._code = keypad.apply_key(self._code, key, CODE_LENGTH)
        self._show_entry()

    def confirm(self) -> None:
        if self._step.busy or len(self._code) != CODE_LENGTH:
            return
        self.code_entered.emit(self._code)
        self._show_entry()
