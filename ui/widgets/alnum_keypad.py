"""On-screen keypad with letters, for hall staff's ids (1..16 letters or digits).

Four rows, as on a phone held sideways: the digits, then the three QWERTY letter rows, with
backspace at the end of the second letter row and "clear" and "next" either side of the
last. Staff know QWERTY from their desk; four rows are as tall as the digit keypad, so the
staff form keeps its height (and fits a 1080-high panel in large text) whichever keypad it
shows. Letters are labelled upper-case (ids are shown upper-case) and named lower-case.

Key widths come from the width the keypad is given (units per row), as in
``ui.widgets.text_keyboard``; heights from the theme's ``#Key``, like the digit keypad's.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from ui.i18n import translate
from ui.widgets.fit_button import FitButton

BACKSPACE = "⌫"  # the same key name as the digit keypad's
CLEAR = "clear"
NEXT = "next"

DIGITS = "1234567890"
LETTER_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
KEY_SPACING = 6
# Widths in units; a character key is 2 units and every row is 20 units wide.
CHARACTER_UNITS = 2
ROW_UNITS = 20
WORD_KEY_UNITS = 3  # "清空" and "下一项" in the last row: wider, their labels are words
# The theme gives every #Key a minimum width for the digit keypad's 3 columns; ten keys in a
# row would then need more than a portrait panel has. Here the layout shares out the width.
KEY_WIDTH_STYLE = "QPushButton#Key { min-width: 0px; }"


class AlnumKeypad(QWidget):
    """Digits, letters a-z, backspace, clear and next.

    Signals:
        key_pressed: a digit ("0".."9"), a lower-case letter ("a".."z"), ``BACKSPACE``,
            ``CLEAR`` or ``NEXT``.
    """

    key_pressed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("AlnumKeypad")
        self.setStyleSheet(KEY_WIDTH_STYLE)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.buttons: dict[str, QPushButton] = {}
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(KEY_SPACING)
        column.addLayout(self._row([*DIGITS]), 1)
        column.addLayout(self._row([*LETTER_ROWS[0]]), 1)
        column.addLayout(self._row([*LETTER_ROWS[1], BACKSPACE]), 1)
        column.addLayout(self._row([CLEAR, *LETTER_ROWS[2], NEXT]), 1)
        self.buttons[BACKSPACE].setAutoRepeat(True)  # held down, it keeps deleting
        self.retranslate()

    def retranslate(self) -> None:
        """Labels and accessible names in the current language."""
        for key, widget in self.buttons.items():
            widget.setText(key.upper())
            widget.setAccessibleName(key.upper())
        self.buttons[BACKSPACE].setAccessibleName(translate("AlnumKeypad", "删除"))
        self.buttons[CLEAR].setText(translate("AlnumKeypad", "清空"))
        self.buttons[CLEAR].setAccessibleName(translate("AlnumKeypad", "清空"))
        self.buttons[NEXT].setText(translate("AlnumKeypad", "下一项"))
        self.buttons[NEXT].setAccessibleName(translate("AlnumKeypad", "下一项：输入密码"))
        self.setAccessibleName(translate("AlnumKeypad", "字母数字键盘"))

    def set_next_enabled(self, enabled: bool) -> None:
        """Offer "next" only when what is typed can be moved on from."""
        self.buttons[NEXT].setEnabled(enabled)

    def _row(self, keys: list[str]) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(KEY_SPACING)
        units = {CLEAR: WORD_KEY_UNITS, NEXT: WORD_KEY_UNITS}
        for key in keys:
            # Words ("下一项" in large text) can be wider than their share of a portrait row:
            # their text shrinks to fit. One character always fits.
            widget = FitButton() if key in units else QPushButton()
            widget.setObjectName("Key")
            widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            # The width is the row's share (stretch), whatever the label's own size; the
            # height grows with the room the form gives the keypad, never below the theme's.
            widget.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            widget.clicked.connect(lambda _=False, k=key: self.key_pressed.emit(k))
            row.addWidget(widget, units.get(key, CHARACTER_UNITS))
            self.buttons[key] = widget
        return row
