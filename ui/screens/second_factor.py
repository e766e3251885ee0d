"""Second factor: an SMS code typed on the keypad, or hall staff confirming in person."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QGridLayout,
    QHBoxLayout,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk import errors
from kiosk.flow import session
from kiosk.platform import staff_assist_format as staff_format
from kiosk.privacy import mask_name
from ui import theme
from ui.i18n import translate
from ui.screens import base
from ui.widgets import alnum_keypad, fit_button, keypad

CODE_LENGTH = 6
FIELD_WIDTH = 440  # room for six spaced digits in large text
FIELD_MAX_WIDTH = 760  # staff fields: sixteen characters in large text, not the whole panel
ACTIVE_MARK = "▶ "  # the caption of the field the keypad types into (besides its highlight)
ENTRY_GAP = 64  # between the fields and the keypad
# The staff form, landscape: the letter keypad takes the width ten keys of the theme's size
# need, leaving the fields' side at least room for the staff prompt ("已通知工作人员，请稍候。",
# twelve characters) on one line in heading type. In large text ten 150 px keys do not fit
# beside it: the keys get what is left (about 97 px, still a large-text touch target), and a
# smaller gap gives them a little more.
STAFF_PROMPT_CHARACTERS = 12
STAFF_PROMPT_SLACK = 12  # px beyond the characters' own width, so it never wraps by rounding
STAFF_ENTRY_GAP = 48
QWIDGETSIZE_MAX = (1 << 24) - 1  # Qt's "no maximum" (not exported by PySide6)

Factor = session.Factor


class SecondFactorScreen(base.Screen):
    """Lets the resident prove it is them a second way.

    Signals:
        sms_requested: "send me a code" pressed (also "use an SMS code instead" on the
            staff form).
        resend_requested: "send the code again" pressed, once its countdown ran out.
        staff_requested: "ask staff to confirm" pressed (the choice page, or "no SMS?" on the
            code page).
        code_entered(str): six digits confirmed.
        staff_confirmed(str, str): staff id and PIN confirmed.
    """

    sms_requested = Signal()
    resend_requested = Signal()
    staff_requested = Signal()
    code_entered = Signal(str)
    staff_confirmed = Signal(str, str)

    def __init__(self) -> None:
        super().__init__()
        self.title = base.label("", "Title")
        self.layout_.addWidget(self.title)
        self.subject = base.label("", "Muted")
        self.layout_.addWidget(self.subject)
        # A refused code or PIN: what went wrong in large red type, then how many tries remain.
        # Under the subject on the choice page; heading the fields' column on the entry page
        # (see _place_message).
        self.message_title = base.label("", "HeadingWarning")
        self.layout_.addWidget(self.message_title)
        self.message = base.label("", "Warning")
        self.layout_.addWidget(self.message)
        self._message_on_entry = False
        self.pages = QStackedWidget()
        self.layout_.addWidget(self.pages, 1)
        self.choice_page = self._build_choice_page()
        self.entry_page = self._build_entry_page()
        self._code = ""
        self._staff_id = ""
        self._pin = ""
        self._pin_active = False  # the keypad types the PIN (else the staff id)
        self._mode = Factor.CHOOSING
        self._elder = False  # large text: the staff form's keypad is sized from its tokens
        # The step last shown: what the kiosk waits for, whether a code went out and may
        # be sent again (the buttons' callbacks read it).
        self._step = session.Step()
        self._shown_message: errors.UserMessage | None = None
        # The resend countdown on the button: display only, restarted whenever another code
        # goes out; whether "send again" may be pressed is the state's ``resend_ready``.
        self._sends_counted: tuple[str, int] | None = None  # (session id, otp_sends) counted
        self.resend_left = 0
        self.resend_timer = QTimer(self)
        self.resend_timer.setInterval(1000)
        self.resend_timer.timeout.connect(self.tick_resend)
        self.retranslate()
        self._show_message(None)
        self._show_fields()

    # -------------------------------------------------------------- building
    def _build_choice_page(self) -> QWidget:
        page = QWidget()
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(32)
        self.sms_button = base.button("", primary=True)
        self.sms_button.clicked.connect(self.sms_requested)
        column.addWidget(self.sms_button)
        self.no_phone_note = base.label("", "Muted")
        column.addWidget(self.no_phone_note)
        self.staff_button = base.button("")
        self.staff_button.clicked.connect(self.staff_requested)
        column.addWidget(self.staff_button)
        column.addStretch(1)
        self.pages.addWidget(page)
        return page

    def _build_entry_page(self) -> QWidget:
        """What to do and the field(s) on one side, the keypad and "confirm" on the other.

        Side by side on a landscape panel; one above the other in portrait (see resizeEvent).
        """
        page = QWidget()
        self.entry = QBoxLayout(QBoxLayout.Direction.LeftToRight, page)
        self.entry.setContentsMargins(0, 0, 0, 0)
        self.entry.setSpacing(ENTRY_GAP)

        self.info_panel = QWidget()
        info = QVBoxLayout(self.info_panel)
        info.setContentsMargins(0, 0, 0, 0)
        info.setSpacing(20)
        self.info = info
        self.prompt = base.label("", "Heading")
        info.addWidget(self.prompt)
        self.detail = base.label("")
        info.addWidget(self.detail)
        info.addWidget(self._build_sms_box())
        info.addWidget(self._build_staff_box())
        info.addStretch(1)
        self.entry.addWidget(self.info_panel, 1)

        self.keypad_panel = QWidget()
        pad = QVBoxLayout(self.keypad_panel)
        pad.setContentsMargins(0, 0, 0, 0)
        pad.setSpacing(20)
        # Digits for the SMS code and the staff PIN, letters and digits for the staff id: one
        # in place of the other, so the confirm button below never moves.
        self.keypads = QStackedWidget()
        self.digits_page = QWidget()
        digits = QHBoxLayout(self.digits_page)
        digits.setContentsMargins(0, 0, 0, 0)
        self.keypad = keypad.Keypad()
        self.keypad.key_pressed.connect(self._on_key)
        digits.addWidget(self.keypad, 0, Qt.AlignmentFlag.AlignHCenter)
        self.keypads.addWidget(self.digits_page)
        # As tall as the digit keypad (the stack's height): its keys are a little taller.
        self.alnum_keypad = alnum_keypad.AlnumKeypad()
        self.alnum_keypad.key_pressed.connect(self._on_id_key)
        self.keypads.addWidget(self.alnum_keypad)
        pad.addWidget(self.keypads)
        # Right under the digits, as wide as the keypad: the last key of the entry.
        self.confirm_button = base.button("", primary=True)
        self.confirm_button.clicked.connect(self._on_confirm)
        pad.addWidget(self.confirm_button)
        self.entry.addWidget(
            self.keypad_panel, 0, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
        )
        self.pages.addWidget(page)
        return page

    def _build_sms_box(self) -> QWidget:
        self.sms_box = QWidget()
        column = QVBoxLayout(self.sms_box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(20)
        self.field_label = base.label("", "Muted")
        column.addWidget(self.field_label)
        self.field = base.label("", "Title", wrap=False)
        column.addWidget(self.field)
        left = Qt.AlignmentFlag.AlignLeft
        self.resend_button = base.button("")
        self.resend_button.clicked.connect(self._on_resend)
        column.addWidget(self.resend_button, 0, left)
        self.no_sms_button = base.button("")
        self.no_sms_button.clicked.connect(self.staff_requested)
        column.addWidget(self.no_sms_button, 0, left)
        return self.sms_box

    def _build_staff_box(self) -> QWidget:
        self.staff_box = QWidget()
        column = QVBoxLayout(self.staff_box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(20)
        grid = QGridLayout()
        grid.setHorizontalSpacing(24)
        grid.setVerticalSpacing(20)
        # Right-aligned next to their fields, so the active field's mark stands out to the left.
        self.staff_id_caption = base.label("", wrap=False, align=Qt.AlignmentFlag.AlignRight)
        self.pin_caption = base.label("", wrap=False, align=Qt.AlignmentFlag.AlignRight)
        # Fields are buttons: staff can tap one to type into it (to correct the id, say).
        self.staff_id_field = self._field_button(lambda: self._activate(pin=False))
        self.pin_field = self._field_button(lambda: self._activate(pin=True))
        grid.addWidget(self.staff_id_caption, 0, 0)
        grid.addWidget(self.staff_id_field, 0, 1)
        grid.addWidget(self.pin_caption, 1, 0)
        grid.addWidget(self.pin_field, 1, 1)
        # The fields widen with the room there is, up to FIELD_MAX_WIDTH (an id may have 16
        # characters); any width beyond goes right of them.
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 0)
        column.addLayout(grid)
        self.use_sms_button = base.button("")
        self.use_sms_button.clicked.connect(self.sms_requested)
        column.addWidget(self.use_sms_button, 0, Qt.AlignmentFlag.AlignLeft)
        return self.staff_box

    @staticmethod
    def _field_button(on_click: Callable[[], None]) -> QPushButton:
        # Its text shrinks rather than being cut off: a 16-character id of wide letters in
        # large text is wider than the room beside the letter keypad, and staff must see every
        # character before they confirm. Its size never follows the text (no jumping).
        field = fit_button.FitButton(hint_width=FIELD_WIDTH, align=Qt.AlignmentFlag.AlignLeft)
        field.setObjectName("Field")
        field.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        field.setMinimumWidth(FIELD_WIDTH)
        field.setMaximumWidth(FIELD_MAX_WIDTH)
        field.clicked.connect(on_click)
        return field

    def retranslate(self) -> None:
        """Fixed texts and accessible names; ``show_state`` sets the rest."""
        self.keypad.retranslate()
        self.alnum_keypad.retranslate()
        self.title.setText(translate("SecondFactorScreen", "确认是您本人"))
        self.staff_button.setText(translate("SecondFactorScreen", "请工作人员现场核验"))
        self.staff_button.setAccessibleName(translate("SecondFactorScreen", "请工作人员现场核验"))
        self.sms_button.setAccessibleName(translate("SecondFactorScreen", "发送短信验证码"))
        self.no_phone_note.setText(
            translate("SecondFactorScreen", "您没有预留手机号码，请工作人员现场为您核验身份。")
        )
        self.field_label.setText(translate("SecondFactorScreen", "请输入短信中的6位验证码"))
        self.field.setAccessibleName(translate("SecondFactorScreen", "已输入的验证码"))
        self.resend_button.setAccessibleName(translate("SecondFactorScreen", "重新发送验证码"))
        self.no_sms_button.setText(translate("SecondFactorScreen", "没有收到短信？请工作人员核验"))
        self.no_sms_button.setAccessibleName(
            translate("SecondFactorScreen", "没有收到短信？请工作人员核验")
        )
        self.staff_id_field.setAccessibleName(translate("SecondFactorScreen", "工号"))
        self.pin_field.setAccessibleName(translate("SecondFactorScreen", "密码"))
        self.use_sms_button.setText(translate("SecondFactorScreen", "改用短信验证码"))
        self.use_sms_button.setAccessibleName(translate("SecondFactorScreen", "改用短信验证码"))
        self.confirm_button.setAccessibleName(translate("SecondFactorScreen", "确认"))
        self._show_confirm()
        self._show_resend()
        self._show_fields()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Keypad beside the fields on a landscape panel, below them in portrait."""
        super().resizeEvent(event)
        self._place_keypad()

    def _place_keypad(self) -> None:
        portrait = self.width() < self.height()
        self.entry.setDirection(
            QBoxLayout.Direction.TopToBottom if portrait else QBoxLayout.Direction.LeftToRight
        )
        # Portrait: the keypad follows the fields directly; the spare height goes below it.
        self.entry.setStretchFactor(self.info_panel, 0 if portrait else 1)
        self.entry.setStretchFactor(self.keypad_panel, 1 if portrait else 0)
        if self._mode is not Factor.STAFF:
            self.entry.setSpacing(ENTRY_GAP)
            self.keypad_panel.setMinimumWidth(0)
            self.keypad_panel.setMaximumWidth(QWIDGETSIZE_MAX)
            return
        # The staff form's letter keypad shares out the width it is given (ten keys a row):
        # the whole page's in portrait, in landscape what the fields leave it.
        self.entry.setSpacing(STAFF_ENTRY_GAP)
        margins = self.layout_.contentsMargins()
        width = self.width() - margins.left() - margins.right()
        if not portrait:
            tokens = theme.ELDER if self._elder else theme.NORMAL
            ten_keys = 10 * tokens.key_size + 9 * alnum_keypad.KEY_SPACING
            fields = STAFF_PROMPT_CHARACTERS * tokens.heading + STAFF_PROMPT_SLACK
            width = min(ten_keys, width - STAFF_ENTRY_GAP - fields)
        self.keypad_panel.setFixedWidth(max(width, 0))

    # -------------------------------------------------------------- rendering
    def show_state(self, state: session.SessionState) -> None:
        """Show the choice, the SMS code entry, or the staff form."""
        identity = state.resident.identity
        if identity is None:
            self._forget()
            return
        self._step = state.step
        if state.resident.elder_mode != self._elder:
            self._elder = state.resident.elder_mode
            self._place_keypad()
        self.subject.setText(f"{mask_name(identity.name)}　{identity.id_masked}")
        self._place_message(on_entry=state.step.factor is not Factor.CHOOSING)
        self._show_message(state.step.message)
        if state.step.factor is not self._mode:
            self._clear_fields()
            self._mode = state.step.factor
            self._place_keypad()
        has_phone = bool("sms_otp" in identity.second_factors and identity.phone_masked)
        phone = identity.phone_masked or ""
        if state.step.factor is Factor.CHOOSING:
            self.pages.setCurrentWidget(self.choice_page)
            self.sms_button.setVisible(has_phone)
            self.sms_button.setText(
                translate("SecondFactorScreen", "发送短信验证码到 %1").replace("%1", phone)
            )
            self.no_phone_note.setVisible(not has_phone)
            self.sms_button.setEnabled(not state.step.busy)
            self.staff_button.setEnabled(not state.step.busy)
        elif state.step.factor is Factor.SMS:
            self.pages.setCurrentWidget(self.entry_page)
            self.sms_box.setVisible(True)
            self.staff_box.setVisible(False)
            if state.step.otp_sent:
                self.prompt.setText(
                    translate("SecondFactorScreen", "验证码已发送至 %1").replace("%1", phone)
                )
            else:
                self.prompt.setText(translate("SecondFactorScreen", "正在发送验证码…"))
            self.prompt.setVisible(True)
            self.detail.setVisible(False)
            self.resend_button.setVisible(state.step.otp_sent)
            self.no_sms_button.setEnabled(not state.step.busy)
        else:
            self.pages.setCurrentWidget(self.entry_page)
            self.sms_box.setVisible(False)
            self.staff_box.setVisible(True)
            self._show_staff_prompt(state.hall.staff_called, has_phone)
            # A refusal is the news now and takes the instructions' place: staff are at the
            # kiosk, and beside the letter keypad there is not room for both in large text.
            self.prompt.setVisible(state.step.message is None)
            self.detail.setVisible(state.step.message is None)
            self.use_sms_button.setVisible(has_phone)
            self.use_sms_button.setEnabled(not state.step.busy)
        self._follow_sends(state, identity.session_id)
        if state.step.message is not None and state.step.message is not self._shown_message:
            # A refused code or PIN: start the entry again, keep the staff id.
            self._code = ""
            self._pin = ""
            self._pin_active = staff_format.is_staff_id(self._staff_id)
        self._shown_message = state.step.message
        self._show_fields()

    def _show_staff_prompt(self, staff_called: bool, has_phone: bool) -> None:
        self.detail.setVisible(True)
        if staff_called:
            self.prompt.setText(translate("SecondFactorScreen", "已通知工作人员，请稍候。"))
            self.detail.setText(
                translate("SecondFactorScreen", "工作人员核对您本人与证件后，在此输入工号和密码。")
            )
            return
        # The call timed out (the header offers the button again), or was never made.
        if has_phone:
            self.prompt.setText(translate("SecondFactorScreen", "请工作人员核对本人与证件后输入"))
        else:
            self.prompt.setText(
                translate(
                    "SecondFactorScreen", "您没有预留手机号码，请工作人员核对本人与证件后输入"
                )
            )
        self.detail.setText(
            translate("SecondFactorScreen", "如需帮助，请按屏幕上方的“呼叫工作人员”。")
        )

    def _place_message(self, *, on_entry: bool) -> None:
        """Put the refusal above the fields on the entry page, under the subject elsewhere.

        Above both columns it would take its height from the keypad's too: in large text on a
        landscape panel the keypad's last row was then cut off.
        """
        if on_entry == self._message_on_entry:
            return
        self._message_on_entry = on_entry
        source, target = (self.layout_, self.info) if on_entry else (self.info, self.layout_)
        first = 0 if on_entry else self.layout_.indexOf(self.subject) + 1
        for offset, widget in enumerate((self.message_title, self.message)):
            source.removeWidget(widget)  # out of one layout first: Qt warns otherwise
            target.insertWidget(first + offset, widget)

    def _show_message(self, message: errors.UserMessage | None) -> None:
        title, body = base.message_texts(message)
        self.message_title.setText(title)
        self.message.setText(body)
        self.message_title.setVisible(bool(title))
        self.message.setVisible(bool(body))

    def _forget(self) -> None:
        """The session ended: nothing of it stays on this screen, not even the countdown."""
        self.subject.setText("")
        self.prompt.setText("")
        self.sms_button.setText("")
        self._place_message(on_entry=False)
        self._show_message(None)
        self._shown_message = None
        self._mode = Factor.CHOOSING
        self._place_keypad()
        self._step = session.Step()
        self._sends_counted = None
        self.resend_left = 0
        self.resend_timer.stop()
        self._clear_fields()
        self._show_resend()

    # -------------------------------------------------------------- resend countdown
    def _follow_sends(self, state: session.SessionState, session_id: str) -> None:
        """Restart the countdown when another code went out; run it only on the code page."""
        sends = (session_id, state.resident.otp_sends)
        if state.step.otp_sent and sends != self._sends_counted:
            self._sends_counted = sends
            self.resend_left = max(0, state.step.resend_after_s)
        on_code_page = (
            state.phase is session.Phase.SECOND_FACTOR and state.step.factor is Factor.SMS
        )
        if on_code_page and self.resend_left > 0:
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
            text = translate("SecondFactorScreen", "%1 秒后可重新发送").replace(
                "%1", str(max(1, self.resend_left))
            )
        else:
            text = translate("SecondFactorScreen", "重新发送验证码")
        self.resend_button.setText(text)
        self.resend_button.setAccessibleDescription(text)
        self.resend_button.setEnabled(self._step.resend_ready and not self._step.busy)

    def _on_resend(self) -> None:
        if self._step.resend_ready and not self._step.busy:
            self.resend_requested.emit()

    # -------------------------------------------------------------- fields
    def _clear_fields(self) -> None:
        self._code = self._staff_id = self._pin = ""
        self._pin_active = False
        self._show_fields()

    def _show_fields(self) -> None:
        self.field.setText(" ".join(self._code.ljust(CODE_LENGTH, "_")))
        # Ids have no fixed length: no placeholders, and no spaces (16 characters must fit).
        self.staff_id_field.setText(self._staff_id)
        self.pin_field.setText(" ".join("●" * len(self._pin)))
        typing_id = self._mode is Factor.STAFF and not self._pin_active
        self.keypads.setCurrentWidget(self.alnum_keypad if typing_id else self.digits_page)
        self.alnum_keypad.set_next_enabled(staff_format.is_staff_id(self._staff_id))
        # The field the keypad types into: highlighted (stylesheet) and marked in its caption.
        for field, caption, text, active in (
            (
                self.staff_id_field,
                self.staff_id_caption,
                translate("SecondFactorScreen", "工号"),
                not self._pin_active,
            ),
            (
                self.pin_field,
                self.pin_caption,
                translate("SecondFactorScreen", "密码"),
                self._pin_active,
            ),
        ):
            name = "FieldActive" if active else "Field"
            if field.objectName() != name:
                field.setObjectName(name)
                base.repolish(field)
            caption.setText(ACTIVE_MARK + text if active else text)
            field.setAccessibleDescription(
                translate("SecondFactorScreen", "正在输入") if active else ""
            )
        self._show_confirm()

    def _entry_complete(self) -> bool:
        if self._mode is Factor.STAFF:
            # Never anything the platform would refuse as out of format (spec v1.2 §3).
            return staff_format.is_sendable(self._staff_id, self._pin)
        return len(self._code) == CODE_LENGTH

    def _show_confirm(self) -> None:
        checking = self._step.pending in (session.Pending.OTP_CHECK, session.Pending.STAFF_CHECK)
        # Filled only when it can be pressed: a disabled Primary button looks the same as an
        # enabled one, and an outlined grey one clearly says "not yet".
        ready = not self._step.busy and self._entry_complete()
        name = "Primary" if ready else ""
        if self.confirm_button.objectName() != name:
            self.confirm_button.setObjectName(name)
            base.repolish(self.confirm_button)
        self.confirm_button.setText(
            translate("SecondFactorScreen", "正在核对…")
            if checking
            else translate("SecondFactorScreen", "确认")
        )
        self.confirm_button.setEnabled(ready)

    # -------------------------------------------------------------- input
    def _activate(self, *, pin: bool) -> None:
        """A field was tapped: the keypad types into it from now on."""
        self._pin_active = pin
        self._show_fields()

    def _on_key(self, key: str) -> None:
        """A key of the digit keypad: the SMS code, or the staff PIN."""
        if self._mode is not Factor.STAFF:
            self._code = keypad.apply_key(self._code, key, CODE_LENGTH)
        elif not self._pin_active:
            self._on_id_key(key)  # the letter keypad is the id's; its digits are the same keys
            return
        elif key == "clear":
            self._pin = ""  # the PIN only: the id above it is still right
        elif key == keypad.BACKSPACE:
            if self._pin:
                self._pin = self._pin[:-1]
            else:
                # Deleting past the PIN's start goes back into the staff id.
                self._pin_active = False
                self._staff_id = self._staff_id[:-1]
        else:
            self._pin = staff_format.type_into_pin(self._pin, key)
        self._show_fields()

    def _on_id_key(self, key: str) -> None:
        """A key of the letter keypad: the staff id, and "next" on to the PIN."""
        if key == alnum_keypad.NEXT:
            # The id's length says nothing any more: staff say when it is whole.
            self._pin_active = staff_format.is_staff_id(self._staff_id)
        elif key == alnum_keypad.CLEAR:
            self._staff_id = ""
        elif key == alnum_keypad.BACKSPACE:
            self._staff_id = self._staff_id[:-1]
        else:
            self._staff_id = staff_format.type_into_staff_id(self._staff_id, key)
        self._show_fields()

    def _on_confirm(self) -> None:
        if self._step.busy or not self._entry_complete():
            return
        if self._mode is Factor.STAFF:
            self.staff_confirmed.emit(staff_format.canonical_staff_id(self._staff_id), self._pin)
        else:
            self.code_entered.emit(self._code)
        self._show_confirm()
