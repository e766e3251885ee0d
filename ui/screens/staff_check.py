"""The staff page of the second-factor screen: hall staff, having checked the resident against
the card in person, type their id (letters and digits) and PIN (digits)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QPushButton, QStackedWidget, QWidget

from kiosk import errors
from kiosk.flow import session
from kiosk.platform import staff_assist_format as staff_format
from ui import theme
from ui.i18n import translate
from ui.screens import entry_page
from ui.screens.base import button, label, repolish
from ui.widgets import alnum_keypad, fit_button, keypad

FIELD_WIDTH = 440  # the fields' least width
FIELD_MAX_WIDTH = 760  # sixteen characters in large text, not the whole panel
ACTIVE_MARK = "▶ "  # the caption of the field the keypad types into (besides its highlight)
# Landscape: the letter keypad takes the width ten keys of the theme's size need, leaving the
# fields' side at least room for the staff prompt ("已通知工作人员，请稍候。", twelve
# characters) on one line in heading type. In large text ten 150 px keys do not fit beside it:
# the keys get what is left (about 97 px, still a large-text touch target), and a smaller gap
# gives them a little more.
STAFF_PROMPT_CHARACTERS = 12
STAFF_PROMPT_SLACK = 12  # px beyond the characters' own width, so it never wraps by rounding
STAFF_ENTRY_GAP = 48


class StaffCheckPage(entry_page.EntryPage):
    """Shown while ``state.step.factor`` is ``Factor.STAFF``.

    Signals:
        sms_requested: "use an SMS code instead" pressed.
        staff_confirmed(str, str): staff id and PIN confirmed.
    """

    sms_requested = Signal()
    staff_confirmed = Signal(str, str)

    def __init__(self) -> None:
        super().__init__()
        self.entry.setSpacing(STAFF_ENTRY_GAP)
        grid = QGridLayout()
        grid.setHorizontalSpacing(24)
        grid.setVerticalSpacing(20)
        # Right-aligned next to their fields, so the active field's mark stands out to the left.
        self.staff_id_caption = label("", wrap=False, align=Qt.AlignmentFlag.AlignRight)
        self.pin_caption = label("", wrap=False, align=Qt.AlignmentFlag.AlignRight)
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
        self.fields.addLayout(grid)
        self.use_sms_button = button("")
        self.use_sms_button.clicked.connect(self.sms_requested)
        self.fields.addWidget(self.use_sms_button, 0, Qt.AlignmentFlag.AlignLeft)

        # Letters and digits for the id, digits for the PIN: one in place of the other, so
        # "confirm" below never moves. The letter keypad is as tall as the digit keypad (the
        # stack's height): its keys are a little taller.
        self.keypads = QStackedWidget()
        self.alnum_keypad = alnum_keypad.AlnumKeypad()
        self.alnum_keypad.key_pressed.connect(self._on_id_key)
        self.keypads.addWidget(self.alnum_keypad)
        self.digits_page = QWidget()
        digits = QHBoxLayout(self.digits_page)
        digits.setContentsMargins(0, 0, 0, 0)
        self.keypad = keypad.Keypad()
        self.keypad.key_pressed.connect(self._on_pin_key)
        digits.addWidget(self.keypad, 0, Qt.AlignmentFlag.AlignHCenter)
        self.keypads.addWidget(self.digits_page)
        self.keys.addWidget(self.keypads)

        self._staff_id = ""
        self._pin = ""
        self._pin_active = False  # the keypad types the PIN (else the staff id)
        self._elder = False  # large text: the letter keypad is sized from its tokens
        self._step = session.Step()
        self._shown_message: errors.UserMessage | None = None
        self.retranslate()

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
        super().retranslate()
        self.keypad.retranslate()
        self.alnum_keypad.retranslate()
        self.staff_id_field.setAccessibleName(translate("SecondFactorScreen", "工号"))
        self.pin_field.setAccessibleName(translate("SecondFactorScreen", "密码"))
        self.use_sms_button.setText(translate("SecondFactorScreen", "改用短信验证码"))
        self.use_sms_button.setAccessibleName(translate("SecondFactorScreen", "改用短信验证码"))
        self._show_entry()

    def place_keypad(self) -> None:
        """The letter keypad shares out the width it is given (ten keys a row): the whole
        page's in portrait, in landscape what the fields leave it."""
        super().place_keypad()
        width = self.width()
        if not self.portrait():
            tokens = theme.ELDER if self._elder else theme.NORMAL
            ten_keys = 10 * tokens.key_size + 9 * alnum_keypad.KEY_SPACING
            fields = STAFF_PROMPT_CHARACTERS * tokens.heading + STAFF_PROMPT_SLACK
            width = min(ten_keys, width - STAFF_ENTRY_GAP - fields)
        self.keypad_panel.setFixedWidth(max(width, 0))

    # -------------------------------------------------------------- rendering
    def show_state(self, state: session.SessionState) -> None:
        """Show the form; what was typed goes when the resident leaves the page or the
        session ends, and a refused PIN is typed again (the id stays)."""
        identity = state.resident.identity
        self._step = state.step
        on_page = (
            identity is not None
            and state.phase is session.Phase.SECOND_FACTOR
            and state.step.factor is session.Factor.STAFF
        )
        if not on_page:
            self._staff_id = self._pin = ""
            self._pin_active = False
        if state.resident.elder_mode != self._elder:
            self._elder = state.resident.elder_mode
            self.place_keypad()
        has_phone = identity is not None and bool(
            "sms_otp" in identity.second_factors and identity.phone_masked
        )
        message = state.step.message if on_page else None
        self._show_prompt(state.hall.staff_called, has_phone)
        # A refusal is the news now and takes the instructions' place: staff are at the
        # kiosk, and beside the letter keypad there is not room for both in large text.
        self.prompt.setVisible(message is None)
        self.detail.setVisible(message is None)
        self.use_sms_button.setVisible(has_phone)
        self.use_sms_button.setEnabled(not state.step.busy)
        if message is not None and message is not self._shown_message:
            self._pin = ""
            self._pin_active = staff_format.is_staff_id(self._staff_id)
        self._shown_message = message
        self.show_message(message)
        self._show_entry()

    def _show_prompt(self, staff_called: bool, has_phone: bool) -> None:
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

    def _show_entry(self) -> None:
        # Ids have no fixed length: no placeholders, and no spaces (16 characters must fit).
        self.staff_id_field.setText(self._staff_id)
        self.pin_field.setText(" ".join("●" * len(self._pin)))
        self.keypads.setCurrentWidget(self.digits_page if self._pin_active else self.alnum_keypad)
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
                repolish(field)
            caption.setText(ACTIVE_MARK + text if active else text)
            field.setAccessibleDescription(
                translate("SecondFactorScreen", "正在输入") if active else ""
            )
        self.show_confirm(
            # Never anything the platform would refuse as out of format (spec v1.2 §3).
            ready=not self._step.busy and staff_format.is_sendable(self._staff_id, self._pin),
            checking=self._step.pending is session.Pending.STAFF_CHECK,
        )

    # -------------------------------------------------------------- input
    def _activate(self, *, pin: bool) -> None:
        """A field was tapped: the keypad types into it from now on."""
        self._pin_active = pin
        self._show_entry()

    def _on_pin_key(self, key: str) -> None:
        """A key of the digit keypad: the PIN."""
        if not self._pin_active:
            self._on_id_key(key)  # the letter keypad is the id's; its digits are the same keys
            return
        if key == "clear":
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
        self._show_entry()

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
        self._show_entry()

    def confirm(self) -> None:
        if self._step.busy or not staff_format.is_sendable(self._staff_id, self._pin):
            return
        self.staff_confirmed.emit(staff_format.canonical_staff_id(self._staff_id), self._pin)
        self._show_entry()
