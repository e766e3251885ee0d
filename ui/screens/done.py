"""Done: take the receipt and the card; the kiosk then forgets the resident."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal

from kiosk import session
from ui.screens import base

CENTER = Qt.AlignmentFlag.AlignHCenter


class DoneScreen(base.Screen):
    """The last screen of a session.

    Signals:
        finish_requested: "完成" pressed.
    """

    finish_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.layout_.addStretch(2)
        self.title = base.label("", "Title", align=CENTER)
        self.layout_.addWidget(self.title)
        self.layout_.addWidget(
            base.label(
                "请取走您的身份证。取出后，本机将清除您的全部信息。", "Heading", align=CENTER
            )
        )
        self.layout_.addWidget(
            base.label(
                "凭条上的二维码和验证码可供他人核验报告真伪。如需修复信用记录，请到信用修复窗口咨询。",
                "Muted",
                align=CENTER,
            )
        )
        self.layout_.addStretch(2)
        self.finish_button = base.button("完成", primary=True)
        self.finish_button.clicked.connect(self.finish_requested)
        self.layout_.addLayout(base.button_row(self.finish_button))

    def show_state(self, state: session.SessionState) -> None:
        """Mention the receipt only when one was printed."""
        self.title.setText("请取走凭条" if state.printed else "查询结束")
