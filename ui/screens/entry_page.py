"""The layout both second-factor forms share: what to do and the fields on one side, the
keypad and "confirm" on the other.

Side by side on a landscape panel, one above the other in portrait. A refused code or PIN
heads the fields' column: above both columns it would take its height from the keypad's too,
and in large text on a landscape panel the keypad's last row was then cut off.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QBoxLayout, QVBoxLayout, QWidget

from kiosk import errors
from ui.i18n import translate
from ui.screens import base

ENTRY_GAP = 64  # between the fields and the keypad


class EntryPage(QWidget):
    """A page of the second-factor screen with a keypad: subclasses fill ``fields`` and
    ``keys`` and say what "confirm" does (``confirm``)."""

    def __init__(self) -> None:
        super().__init__()
        self.entry = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self.entry.setContentsMargins(0, 0, 0, 0)
        self.entry.setSpacing(ENTRY_GAP)

        self.info_panel = QWidget()
        info = QVBoxLayout(self.info_panel)
        info.setContentsMargins(0, 0, 0, 0)
        info.setSpacing(20)
        # A refusal: what went wrong in large red type, then how many tries remain.
        self.message_title = base.label("", "HeadingWarning")
        info.addWidget(self.message_title)
        self.message = base.label("", "Warning")
        info.addWidget(self.message)
        self.prompt = base.label("", "Heading")
        info.addWidget(self.prompt)
        self.detail = base.label("")
        info.addWidget(self.detail)
        self.fields = QVBoxLayout()
        self.fields.setSpacing(20)
        info.addLayout(self.fields)
        info.addStretch(1)
        self.entry.addWidget(self.info_panel, 1)

        self.keypad_panel = QWidget()
        pad = QVBoxLayout(self.keypad_panel)
        pad.setContentsMargins(0, 0, 0, 0)
        pad.setSpacing(20)
        self.keys = QVBoxLayout()
        self.keys.setContentsMargins(0, 0, 0, 0)
        pad.addLayout(self.keys)
        # Right under the keys, as wide as the keypad: the last key of the entry.
        self.confirm_button = base.button("", primary=True)
        self.confirm_button.clicked.connect(self.confirm)
        pad.addWidget(self.confirm_button)
        self.entry.addWidget(
            self.keypad_panel, 0, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
        )
        self.show_message(None)

    def confirm(self) -> None:
        """ "Confirm" was pressed."""
        raise NotImplementedError

    def retranslate(self) -> None:
        self.confirm_button.setAccessibleName(translate("SecondFactorScreen", "确认"))

    # -------------------------------------------------------------- layout
    def portrait(self) -> bool:
        return self.width() < self.height()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Keypad beside the fields on a landscape panel, below them in portrait."""
        super().resizeEvent(event)
        self.place_keypad()

    def place_keypad(self) -> None:
        portrait = self.portrait()
        self.entry.setDirection(
            QBoxLayout.Direction.TopToBottom if portrait else QBoxLayout.Direction.LeftToRight
        )
        # Portrait: the keypad follows the fields directly; the spare height goes below it.
        self.entry.setStretchFactor(self.info_panel, 0 if portrait else 1)
        self.entry.setStretchFactor(self.keypad_panel, 1 if portrait else 0)

    # -------------------------------------------------------------- rendering
    def show_message(self, message: errors.UserMessage | None) -> None:
        base.show_message(self.message_title, self.message, message)

    def show_confirm(self, *, ready: bool, checking: bool) -> None:
        """``ready``: a whole entry and nothing pending; ``checking``: the platform has it."""
        # Filled only when it can be pressed: a disabled Primary button looks the same as an
        # enabled one, and an outlined grey one clearly says "not yet".
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
