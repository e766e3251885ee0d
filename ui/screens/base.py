"""Shared pieces of every screen: the base class and small layout helpers."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from kiosk import session


class Screen(QWidget):
    """One screen of the journey. ``show_state`` shows a state; intents leave as signals."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(96, 48, 96, 48)
        self.layout_.setSpacing(28)

    def show_state(self, state: session.SessionState) -> None:
        """Show ``state``. Screens must clear anything personal when it is gone from state."""
        raise NotImplementedError


def label(
    text: str = "",
    role: str = "",
    *,
    wrap: bool = True,
    align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft,
) -> QLabel:
    """A label with a style role (Title, Heading, Muted, Warning, Good)."""
    widget = QLabel(text)
    if role:
        widget.setObjectName(role)
    widget.setWordWrap(wrap)
    widget.setAlignment(align | Qt.AlignmentFlag.AlignVCenter)
    widget.setTextFormat(Qt.TextFormat.PlainText)
    return widget


def button(text: str, *, primary: bool = False) -> QPushButton:
    """A touch-sized button."""
    widget = QPushButton(text)
    if primary:
        widget.setObjectName("Primary")
    widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return widget


def button_row(*buttons: QPushButton) -> QHBoxLayout:
    """Buttons side by side, right-aligned, with room between them."""
    row = QHBoxLayout()
    row.setSpacing(32)
    row.addStretch(1)
    for widget in buttons:
        row.addWidget(widget)
    return row
