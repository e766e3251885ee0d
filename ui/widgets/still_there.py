""" "Are you still there?": an overlay over the whole window before a quiet session ends.

The core decides (``SessionState.still_there_s`` appears, and the session ends when its timer
fires); this widget only shows it and counts the seconds down once a second for the eye. It is
a child of the window, not a modal dialog: nothing can keep it, or what is under it, on screen
after the session ended.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QFrame, QVBoxLayout, QWidget

from kiosk.flow import session
from ui.i18n import translate
from ui.screens import base

CENTER = Qt.AlignmentFlag.AlignHCenter


class StillThereOverlay(QWidget):
    """Dims everything and asks whether the resident is still there, with a countdown.

    Signals:
        continue_requested: "继续" pressed, or a touch anywhere on the overlay.
    """

    continue_requested = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("StillThere")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 24, 24, 24)
        outer.addStretch(1)
        card = QFrame()
        card.setObjectName("OverlayCard")
        card.setMaximumWidth(1280)  # wide in landscape; a portrait panel wraps the sentences
        column = QVBoxLayout(card)
        column.setContentsMargins(64, 48, 64, 48)
        column.setSpacing(24)
        self.title = base.label("", "Title", align=CENTER)
        column.addWidget(self.title)
        self.seconds = base.label("", "Countdown", align=CENTER)
        column.addWidget(self.seconds)
        self.body = base.label("", "Heading", align=CENTER)
        column.addWidget(self.body)
        self.hint = base.label("", "Muted", align=CENTER)
        column.addWidget(self.hint)
        self.continue_button = base.button("", primary=True)
        self.continue_button.setObjectName("OverlayButton")
        self.continue_button.clicked.connect(self.continue_requested)
        column.addWidget(self.continue_button, 0, CENTER)
        outer.addWidget(card, 0, CENTER)
        outer.addStretch(1)
        self.remaining = 0
        self.ticker = QTimer(self)
        self.ticker.setInterval(1000)
        self.ticker.timeout.connect(self.tick)
        self.retranslate()
        self.hide()

    def retranslate(self) -> None:
        """Fixed texts in the current language."""
        self.setAccessibleName(translate("StillThereOverlay", "您还在吗"))
        self.title.setText(translate("StillThereOverlay", "您还在吗？"))
        self.seconds.setAccessibleName(translate("StillThereOverlay", "剩余秒数"))
        self.hint.setText(
            translate("StillThereOverlay", "触摸屏幕任意位置或按“继续”，即可继续查询。")
        )
        self.continue_button.setText(translate("StillThereOverlay", "继续"))
        self.continue_button.setAccessibleName(translate("StillThereOverlay", "继续"))
        self._show_remaining()

    def show_state(self, state: session.SessionState) -> None:
        """Show the warning while the core has one; start the countdown when it appears."""
        if not state.step.still_there_s:
            self.ticker.stop()
            self.remaining = 0
            self.hide()
            return
        if self.isHidden():
            self.remaining = state.step.still_there_s
            self._show_remaining()
            self.ticker.start()
            parent = self.parentWidget()
            if parent is not None:
                self.setGeometry(parent.rect())
            self.show()
            self.raise_()

    def tick(self) -> None:
        """One second passed (display only: the core ends the session, not this timer)."""
        self.remaining = max(0, self.remaining - 1)
        self._show_remaining()

    def _show_remaining(self) -> None:
        self.seconds.setText(str(self.remaining))
        self.body.setText(
            translate("StillThereOverlay", "%1 秒后将结束本次查询，并清除您的全部信息").replace(
                "%1", str(self.remaining)
            )
        )

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """A touch anywhere continues (and never reaches the screen underneath)."""
        self.continue_requested.emit()
        event.accept()
