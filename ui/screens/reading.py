"""Reading and checking the card: progress only, the resident just waits."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressBar

from kiosk import session
from ui.screens import base

CENTER = Qt.AlignmentFlag.AlignHCenter


class ReadingScreen(base.Screen):
    """Shown while the card is read (READING_CARD) and verified (VERIFYING)."""

    def __init__(self) -> None:
        super().__init__()
        self.layout_.addStretch(2)
        self.title = base.label("", "Title", align=CENTER)
        self.layout_.addWidget(self.title)
        self.hint = base.label("", "Muted", align=CENTER)
        self.layout_.addWidget(self.hint)
        progress = QProgressBar()
        progress.setRange(0, 0)  # busy indicator: the steps have no measurable length
        progress.setTextVisible(False)
        self.layout_.addWidget(progress)
        self.layout_.addStretch(3)

    def show_state(self, state: session.SessionState) -> None:
        """Say which step is running."""
        if state.phase is session.Phase.VERIFYING:
            self.title.setText("正在核验身份…")
            self.hint.setText("正在检查证件真伪并与信用平台核对，请稍候。")
        else:
            self.title.setText("正在读取证件…")
            self.hint.setText("请不要移动身份证。")
