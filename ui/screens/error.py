"""Error: a plain explanation of what went wrong and what to do; never a traceback."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal

from kiosk.flow import session
from ui.i18n import translate
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
        self.hint = base.label("", "Muted", align=CENTER)
        self.layout_.addWidget(self.hint)
        self.layout_.addStretch(2)
        self.back_button = base.button("", primary=True)
        self.back_button.clicked.connect(self.finish_requested)
        self.layout_.addLayout(base.button_row(self.back_button))
        self._can_retry = False
        self.retranslate()

    def retranslate(self) -> None:
        """Fixed texts."""
        self.back_button.setText(translate("ErrorScreen", "返回首页"))
        self.back_button.setAccessibleName(translate("ErrorScreen", "返回首页"))
        self._show_hint()

    def show_state(self, state: session.SessionState) -> None:
        """Show the message, and whether trying again can help."""
        title, body = base.message_texts(state.step.message)
        self.title.setText(title)
        self.body.setText(body)
        self._can_retry = state.step.message is not None and state.step.message.can_retry
        self._show_hint()

    def _show_hint(self) -> None:
        # The session is over either way; the card still lies on the reader, and putting it
        # down again starts a new one.
        if self._can_retry:
            self.hint.setText(
                translate(
                    "ErrorScreen",
                    "请取出身份证，再重新放到读卡区重试。需要帮助请联系大厅工作人员。",
                )
            )
        else:
            self.hint.setText(
                translate("ErrorScreen", "请取出身份证。需要帮助请联系大厅工作人员。")
            )
