"""Privacy notice and consent: nothing is read from the card before the resident agrees."""

from __future__ import annotations

from PySide6.QtCore import Signal

from kiosk import session
from ui.screens import base

NOTICE = (
    "为核验您的身份，本机将读取身份证芯片中的姓名、证件号码、有效期等信息，"
    "并发送至信用信息平台核验。证件照片不会被读取。\n\n"
    "查询结束后，本机不保存您的任何个人信息；本次查询会记入您报告的“查询记录”。\n\n"
    "取出身份证即可随时结束查询。"
)


class ConsentScreen(base.Screen):
    """Asks the resident to agree before anything personal is read.

    Signals:
        agree_requested: "同意并继续" pressed.
        decline_requested: "不同意" pressed.
    """

    agree_requested = Signal()
    decline_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.layout_.addWidget(base.label("查询前请阅读", "Title"))
        self.layout_.addWidget(base.label(NOTICE))
        self.layout_.addStretch(1)
        self.decline_button = base.button("不同意")
        self.agree_button = base.button("同意并继续", primary=True)
        self.decline_button.clicked.connect(self.decline_requested)
        self.agree_button.clicked.connect(self.agree_requested)
        self.layout_.addLayout(base.button_row(self.decline_button, self.agree_button))

    def show_state(self, state: session.SessionState) -> None:
        """The notice is fixed text."""
