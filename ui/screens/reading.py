"""Reading the card: the resident keeps the card still and waits."""

from __future__ import annotations

from PySide6.QtCore import Qt

from ui.i18n import translate
from ui.screens import base


class ReadingScreen(base.ProgressScreen):
    """Shown while the card's files are read and it signs the platform's challenge."""

    def __init__(self) -> None:
        super().__init__("", "")
        # Moving the card breaks the chip's connection: the read fails and the session ends.
        self.keep_card = base.label("", "Warning", align=Qt.AlignmentFlag.AlignHCenter)
        # Under the busy bar: before the bottom stretch, the progress layout's last item.
        self.layout_.insertWidget(self.layout_.count() - 1, self.keep_card)
        self.retranslate()

    def retranslate(self) -> None:
        """Fixed texts."""
        self.title.setText(translate("ReadingScreen", "正在读取证件…"))
        self.hint.setText(translate("ReadingScreen", "正在读取身份证芯片中的信息，请稍候。"))
        self.keep_card.setText(translate("ReadingScreen", "读卡期间请不要移动身份证"))
