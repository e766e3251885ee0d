"""A button whose text shrinks to its width instead of being cut off or widening it.

For buttons whose width the layout decides: a key whose share of a row is narrower than its
word in large text, or a field whose text staff type (up to 16 characters) and that must
not grow or jump with every key.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFont, QFontInfo, QFontMetrics, QPaintEvent, QPalette
from PySide6.QtWidgets import QPushButton, QStyle, QStyleOptionButton, QStylePainter, QWidget

MIN_FONT_PX = 12  # below this nobody reads it anyway; the text is then cut off at the edge
TEXT_MARGIN = 8  # px of air each side of a shrunk text, so it never touches the border


def fitted_font(font: QFont, text: str, width: int) -> QFont:
    """``font``, or a smaller copy of it, in which ``text`` is at most ``width`` px wide."""
    fitted = QFont(font)
    size = QFontInfo(font).pixelSize()
    while size > MIN_FONT_PX and QFontMetrics(fitted).horizontalAdvance(text) > width:
        size -= 1
        fitted.setPixelSize(size)
    return fitted


class FitButton(QPushButton):
    """A push button drawn by the theme, its text in the theme's font or smaller, never cut.

    ``hint_width`` is the width it asks for, whatever its text (0: whatever it is given).
    """

    def __init__(
        self,
        text: str = "",
        parent: QWidget | None = None,
        *,
        hint_width: int = 0,
        align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignCenter,
    ) -> None:
        super().__init__(text, parent)
        self._hint_width = hint_width
        self._align = align

    def sizeHint(self) -> QSize:
        """``hint_width`` wide, as high as the theme makes the button."""
        return QSize(self._hint_width, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """The same as ``sizeHint``: any text fits by shrinking."""
        return self.sizeHint()

    def paintEvent(self, event: QPaintEvent) -> None:
        """The frame as the theme draws it (state, border, background), then the text."""
        option = QStyleOptionButton()
        self.initStyleOption(option)
        text, option.text = option.text, ""
        painter = QStylePainter(self)
        painter.drawControl(QStyle.ControlElement.CE_PushButton, option)
        if not text:
            return
        area = self.style().subElementRect(QStyle.SubElement.SE_PushButtonContents, option, self)
        painter.setFont(fitted_font(self.font(), text, area.width() - 2 * TEXT_MARGIN))
        # The theme's colour for the button's state (a disabled key's text is muted).
        group = QPalette.ColorGroup.Active if self.isEnabled() else QPalette.ColorGroup.Disabled
        painter.setPen(option.palette.color(group, QPalette.ColorRole.ButtonText))
        painter.drawText(area, self._align | Qt.AlignmentFlag.AlignVCenter, text)
