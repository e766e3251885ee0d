"""Idle screen: what the kiosk does and how to start (put the ID card on the reader)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from kiosk import session
from ui.screens import base

CENTER = Qt.AlignmentFlag.AlignHCenter


class IdleScreen(base.Screen):
    """Invites a resident to start by placing their ID card."""

    def __init__(self) -> None:
        super().__init__()
        self.layout_.addStretch(2)
        self.layout_.addWidget(base.label("个人公共信用报告 自助查询", "Title", align=CENTER))
        self.layout_.addWidget(
            base.label(
                "查看本人的公共信用记录，了解如何修复失信记录，并打印带验证码的报告。",
                "Muted",
                align=CENTER,
            )
        )
        self.layout_.addStretch(1)
        self.instruction = base.label("请将本人居民身份证放在下方读卡区", "Heading", align=CENTER)
        self.layout_.addWidget(self.instruction)
        self.layout_.addWidget(base.label("↓", "Title", align=CENTER))
        self.layout_.addStretch(2)
        self.layout_.addWidget(
            base.label(
                "没有手机或看不清屏幕？点右上角“大字模式”，或请工作人员协助。",
                "Muted",
                align=CENTER,
            )
        )

    def show_state(self, state: session.SessionState) -> None:
        """Nothing personal here; the screen is the same for everyone."""
