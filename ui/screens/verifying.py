"""Verifying the card: the terminal's own checks, then the platform's."""

from __future__ import annotations

from PySide6.QtCore import Qt

from ui.i18n import translate
from ui.screens import base


class VerifyingScreen(base.ProgressScreen):
    """Shown while the card is checked for genuineness and matched by the platform."""

    def __init__(self) -> None:
        super().__init__("", "")
        # Taking the card away ends the session: the resident would have to start again.
        self.keep_card = base.label("", "Warning", align=Qt.AlignmentFlag.AlignHCenter)
        # Under the busy bar: before the bottom stretch, the progress layout's last item.
        self.layout_.insertWidget(self.layout_.count() - 1, self.keep_card)
        self.retranslate()

    def retranslate(self) -> None:
        """Fixed texts."""
        self.title.setText(translate("VerifyingScreen", "正在核验身份…"))
        self.hint.setText(
            translate("VerifyingScreen", "正在检查证件真伪并与信用平台核对，请稍候。")
        )
        self.keep_card.setText(translate("VerifyingScreen", "核验期间请不要移动身份证"))
