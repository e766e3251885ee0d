"""Large on-screen numeric keypad: the kiosk has no physical keyboard."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QPushButton, QWidget

from ui.i18n import translate

BACKSPACE = "⌫"


class Keypad(QWidget):
    """Digits 0-9, backspace and clear.

    Signals:
        key_pressed: a digit ("0".."9"), ``BACKSPACE`` or "clear".
    """

    key_pressed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setSpacing(16)
        self.buttons: dict[str, QPushButton] = {}
        keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", BACKSPACE]
        for index, key in enumerate(keys):
            widget = QPushButton(key)
            widget.setObjectName("Key")
            widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            widget.setAccessibleName(key)
            widget.clicked.connect(lambda _=False, k=key: self.key_pressed.emit(k))
            grid.addWidget(widget, index // 3, index % 3)
            self.buttons[key] = widget
        self.retranslate()

    def retranslate(self) -> None:
        """The word keys in the current language."""
        self.buttons["clear"].setText(translate("Keypad", "清空"))
        self.buttons["clear"].setAccessibleName(translate("Keypad", "清空"))
        self.buttons[BACKSPACE].setAccessibleName(translate("Keypad", "删除"))


def apply_key(text: str, key: str, max_length: int) -> str:
    """The field's text after ``key``."""
    if key == BACKSPACE:
        return text[:-1]
    if key == "clear":
        return ""
    return text + key if len(text) < max_length else text
