"""Printing: progress while the receipt prints."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressBar

from kiosk import session
from ui.screens import base

CENTER = Qt.AlignmentFlag.AlignHCenter


class PrintingScreen(base.Screen):
    """Tells the resident their receipt is printing."""

    def __init__(self) -> None:
        super().__init__()
        self.layout_.addStretch(2)
        self.layout_.addWidget(base.label("正在打印…", "Title", align=CENTER))
        self.layout_.addWidget(
            base.label("凭条将从下方出纸口送出，请稍候。", "Muted", align=CENTER)
        )
        progress = QProgressBar()
        progress.setRange(0, 0)
        progress.setTextVisible(False)
        self.layout_.addWidget(progress)
        self.layout_.addStretch(3)

    def show_state(self, state: session.SessionState) -> None:
        """Fixed text."""
