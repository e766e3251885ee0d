"""Idle screen: what the kiosk does and how to start (put the ID card on the reader)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from kiosk import session
from ui.screens import base

CENTER = Qt.AlignmentFlag.AlignHCenter
INSTRUCTION = "请将本人居民身份证放在下方读卡区"
HINT = "没有手机或看不清屏幕？点右上角“大字模式”，或请工作人员协助。"
OUT_OF_SERVICE = "本机暂停服务"
OUT_OF_SERVICE_HINT = "请到服务台办理，或使用大厅里的其他自助终端。给您带来不便，敬请谅解。"


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
        self.instruction = base.label(INSTRUCTION, "Heading", align=CENTER)
        self.layout_.addWidget(self.instruction)
        self.arrow = base.label("↓", "Title", align=CENTER)
        self.layout_.addWidget(self.arrow)
        self.layout_.addStretch(2)
        self.hint = base.label(HINT, "Muted", align=CENTER)
        self.layout_.addWidget(self.hint)

    def show_state(self, state: session.SessionState) -> None:
        """The same for everyone; out of service, it sends residents to the desk instead."""
        out = state.out_of_service
        self.instruction.setObjectName("HeadingWarning" if out else "Heading")
        self.instruction.setText(OUT_OF_SERVICE if out else INSTRUCTION)
        base.repolish(self.instruction)
        self.arrow.setVisible(not out)
        self.hint.setText(OUT_OF_SERVICE_HINT if out else HINT)
