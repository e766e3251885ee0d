"""Done: take the receipt and the card; the kiosk then forgets the resident."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, QTimer, Signal

from kiosk.flow import session
from ui.i18n import translate
from ui.screens import base

CENTER = Qt.AlignmentFlag.AlignHCenter


class DoneScreen(base.Screen):
    """The last screen of a session, with the seconds left before it returns to the start.

    The core ends the session when its inactivity limit for this phase (``state.limit_s``)
    runs out; this screen only counts those seconds down for the eye, from the moment the
    limit (re)started (``state.timer`` changes: entering the screen, or a touch on it).

    Signals:
        finish_requested: "完成" pressed.
    """

    finish_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.layout_.addStretch(2)
        self.title = base.label("", "Title", align=CENTER)
        self.layout_.addWidget(self.title)
        self.take_card = base.label("", "Heading", align=CENTER)
        self.layout_.addWidget(self.take_card)
        self.verify_note = base.label("", "Muted", align=CENTER)
        self.layout_.addWidget(self.verify_note)
        self.repair_note = base.label("", "Muted", align=CENTER)
        self.layout_.addWidget(self.repair_note)
        self.layout_.addStretch(2)
        self.countdown = base.label("", "Muted", wrap=False)
        self.finish_button = base.button("", primary=True)
        self.finish_button.clicked.connect(self.finish_requested)
        row = base.button_row(self.finish_button)
        row.insertWidget(1, self.countdown)  # after the row's leading stretch, by the button
        self.layout_.addLayout(row)
        self.remaining = 0
        self._counted_timer: int | None = None  # the inactivity timer being counted down
        self.ticker = QTimer(self)
        self.ticker.setInterval(1000)
        self.ticker.timeout.connect(self.tick)
        self.retranslate()

    def retranslate(self) -> None:
        """Fixed texts."""
        self.take_card.setText(
            translate("DoneScreen", "请取走您的身份证。取出后，本机将清除您的全部信息。")
        )
        self.repair_note.setText(
            translate("DoneScreen", "如需修复信用记录，请到信用修复窗口咨询。")
        )
        self.verify_note.setText(
            translate("DoneScreen", "凭条上的二维码和验证码可供他人核验报告真伪。")
        )
        self.finish_button.setText(translate("DoneScreen", "完成"))
        self.finish_button.setAccessibleName(translate("DoneScreen", "完成"))
        self._show_remaining()

    def show_state(self, state: session.SessionState) -> None:
        """Mention the receipt only when one was printed; count down while on this screen."""
        if state.phase is not session.Phase.DONE:
            self.ticker.stop()
            self._counted_timer = None
            return
        self.title.setText(
            translate("DoneScreen", "请取走凭条")
            if state.resident.printed
            else translate("DoneScreen", "查询结束")
        )
        self.verify_note.setVisible(state.resident.printed)
        if state.timer != self._counted_timer:
            self._counted_timer = state.timer
            self.remaining = math.ceil(state.step.limit_s)
            self.ticker.start()
        self._show_remaining()

    def tick(self) -> None:
        """One second passed (display only: the core's timer ends the session)."""
        self.remaining = max(0, self.remaining - 1)
        if self.remaining == 0:
            self.ticker.stop()
        self._show_remaining()

    def _show_remaining(self) -> None:
        text = translate("DoneScreen", "%1 秒后返回首页").replace("%1", str(self.remaining))
        self.countdown.setText(text)
        self.countdown.setVisible(self.remaining > 0)
