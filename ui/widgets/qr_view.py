"""A QR code on screen: the link a resident scans with a phone to download the report.

The link is personal, so the widget keeps nothing once cleared: ``set_url(None)`` drops the
URL and the code's modules and repaints blank.
"""

from __future__ import annotations

import qrcode
from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from ui.i18n import translate

QUIET_ZONE = 4  # modules of white around the code: the QR standard's minimum for readers
MIN_MODULE_PX = 3  # smaller modules are hard for a phone camera to resolve off a screen


class QrView(QWidget):
    """A square QR code of one URL, black on white in every theme, in whole-pixel modules."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Not height-for-width: the code is drawn in the largest centred square whatever the
        # shape, and a Python height-for-width answer is asked for dozens of times in every
        # change of screen (each waiting for the GIL while a worker thread runs).
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        # Rows of dark (True) and light modules, quiet zone included; empty when cleared.
        self._modules: list[list[bool]] = []
        self.retranslate()

    def retranslate(self) -> None:
        """Set the accessible name in the current language (never the URL itself)."""
        self.setAccessibleName(translate("QrView", "二维码"))

    def set_url(self, url: str | None) -> None:
        """Show the code of ``url``; ``None`` (or empty) clears it and forgets it."""
        self._modules = []
        if url:
            code = qrcode.QRCode(
                error_correction=qrcode.constants.ERROR_CORRECT_M, border=QUIET_ZONE
            )
            code.add_data(url)
            code.make(fit=True)
            self._modules = [[bool(dark) for dark in row] for row in code.get_matrix()]
        self.updateGeometry()
        self.update()

    def has_code(self) -> bool:
        """Whether a code is shown."""
        return bool(self._modules)

    def sizeHint(self) -> QSize:
        """Large enough to scan from arm's length."""
        return QSize(360, 360)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """The smallest size a phone still reads reliably."""
        side = len(self._modules) * MIN_MODULE_PX
        return QSize(side, side)

    def paintEvent(self, event: QPaintEvent) -> None:
        """A white square filling the widget's largest centred square, the code centred in it.

        Every module is the same whole number of device pixels, and nothing is antialiased:
        blurred or uneven module edges are what make screen QR codes hard to scan.
        """
        count = len(self._modules)
        if not count:
            return
        ratio = self.devicePixelRatioF()
        width, height = round(self.width() * ratio), round(self.height() * ratio)
        side = min(width, height)
        module = side // count
        if module < 1:
            return  # too small to draw a single module per pixel: a wrong code is worse
        painter = QPainter(self)
        painter.scale(1 / ratio, 1 / ratio)  # draw in device pixels
        tile = QRect((width - side) // 2, (height - side) // 2, side, side)
        painter.fillRect(tile, QColor("white"))
        origin_x = tile.x() + (side - module * count) // 2
        origin_y = tile.y() + (side - module * count) // 2
        black = QColor("black")
        for row_index, row in enumerate(self._modules):
            y = origin_y + row_index * module
            column = 0
            while column < count:  # one rectangle per run of dark modules
                if not row[column]:
                    column += 1
                    continue
                start = column
                while column < count and row[column]:
                    column += 1
                painter.fillRect(
                    origin_x + start * module, y, (column - start) * module, module, black
                )
        painter.end()
