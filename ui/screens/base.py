"""Shared pieces of every screen: the base class and small layout helpers."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from kiosk import errors
from kiosk.flow import session
from ui.i18n import translate, translated


class Screen(QWidget):
    """One screen of the journey. ``show_state`` shows a state; intents leave as signals."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # The panel's size is fixed: a screen takes the space the window has and never makes
        # the full-screen window taller than the display (word-wrapped labels report
        # generous minimum heights, and large text would push the bottom buttons off-screen).
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(96, 40, 96, 40)
        self.layout_.setSpacing(24)

    def show_state(self, state: session.SessionState) -> None:
        """Show ``state``. Screens must clear anything personal when it is gone from state."""
        raise NotImplementedError

    def retranslate(self) -> None:
        """Set the fixed texts in the current language (``ui.i18n.translate``).

        Screens call it at the end of ``__init__``; the window calls it after a language
        switch and then ``show_state`` again, which redoes the texts that depend on state.
        """


class ProgressScreen(Screen):
    """A screen where the resident only waits: a title, a hint and a busy bar."""

    def __init__(self, title: str, hint: str) -> None:
        super().__init__()
        center = Qt.AlignmentFlag.AlignHCenter
        self.layout_.addStretch(2)
        self.title = label(title, "Title", align=center)
        self.layout_.addWidget(self.title)
        self.hint = label(hint, "Muted", align=center)
        self.layout_.addWidget(self.hint)
        progress = QProgressBar()
        progress.setRange(0, 0)  # busy indicator: the step has no measurable length
        progress.setTextVisible(False)
        self.layout_.addWidget(progress)
        self.layout_.addStretch(3)

    def show_state(self, state: session.SessionState) -> None:
        """Fixed text."""


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


def repolish(widget: QWidget) -> None:
    """Apply the stylesheet again after ``widget``'s object name (its style role) changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


class TouchButton(QPushButton):
    """A button whose accessible name follows its text, unless a name of its own is set
    (screen readers then announce what the resident sees, in the current language)."""

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self._own_name = False
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        """Show ``text`` (and announce it, unless the button has a name of its own)."""
        super().setText(text)
        if not self._own_name:
            super().setAccessibleName(text)

    def setAccessibleName(self, name: str) -> None:  # noqa: N802 - Qt's name
        """A name of its own ("" goes back to following the text)."""
        self._own_name = bool(name)
        super().setAccessibleName(name or self.text())


def button(text: str, *, primary: bool = False) -> QPushButton:
    """A touch-sized button."""
    widget = TouchButton(text)
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


def show_message(
    title_label: QLabel, body_label: QLabel, message: errors.UserMessage | None
) -> None:
    """``message`` in two labels (title in large red type, then the body), hidden when empty."""
    title, body = message_texts(message)
    title_label.setText(title)
    body_label.setText(body)
    title_label.setVisible(bool(title))
    body_label.setVisible(bool(body))


def message_texts(message: errors.UserMessage | None) -> tuple[str, str]:
    """A core message's title and body in the current language ("", "" for none); the tries
    left, where the platform said, end the body."""
    if message is None:
        return "", ""
    title = translated("Errors", message.title)
    body = translated("Errors", message.body)
    if message.attempts_left is not None:
        tries = translate("Errors", "还可以尝试 %n 次。").replace("%n", str(message.attempts_left))
        body += tries if _is_chinese(body) else " " + tries  # sentences are spaced in English
    return title, body


def record_page(page: QWidget) -> tuple[QVBoxLayout, QLabel, QLabel]:
    """The column of a page about one record (repair guide, dispute), with its heading and a
    line naming the record."""
    column = QVBoxLayout(page)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(16)
    heading = label("", "Heading")
    column.addWidget(heading)
    record = label("", "Muted")
    column.addWidget(record)
    return column, heading, record


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)
