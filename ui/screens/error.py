"""Error: a plain explanation of what went wrong and what to do; never a traceback."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal

from kiosk import session
from ui.screens import base

CENTER = Qt.AlignmentFlag.AlignHCenter


class ErrorScreen(base.Screen):
    """Shows the session's ``UserMessage``.

    Signals:
        finish_requested: "返回首页" pressed.
    """

    finish_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.layout_.addStretch(2)
        self.title = base.label("", "Title", align=CENTER)
        self.layout_.addWidget(self.title)
        self.body = base.label("", "Heading", align=CENTER)
        self.layout_.addWidget(self.body)
        self.layout_.addWidget(
            base.label("请取出身份证。需要帮助请联系大厅工作人员。", "Muted", align=CENTER)
        )
        self.layout_.addStretch(2)
        self.back_button = base.button("返回首页", primary=True)
        self.back_button.clicked.connect(self.finish_requested)
        self.layout_.addLayout(base.button_row(self.back_button))

    def show_state(self, state: session.SessionState) -> None:
        """Show the message."""
        message = state.message
        self.title.setText(message.title if message else "")
        self.body.setText(message.body if message else "")
