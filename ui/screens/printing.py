"""Printing: the receipt is on its way out of the slot below the screen.

The print lane says when the printer answered that it is ready and the receipt starts going
out, and when the A4 report follows (``SessionState.print_stage``); the printer says nothing
about how far a job got, so the bar is a busy bar, never a percentage.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QProgressBar

from kiosk.flow import session
from ui.i18n import translate
from ui.screens import base

CENTER = Qt.AlignmentFlag.AlignHCenter


class PrintingScreen(base.Screen):
    """Tells the resident their receipt is printing and where it will come out."""

    def __init__(self) -> None:
        super().__init__()
        self.layout_.addStretch(2)
        self.title = base.label("", "Title", align=CENTER)
        self.layout_.addWidget(self.title)
        self.hint = base.label("", "Heading", align=CENTER)
        self.layout_.addWidget(self.hint)
        self.stage = base.label("", "Muted", align=CENTER)
        self.layout_.addWidget(self.stage)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: the printer does not say how far it got
        self.progress.setTextVisible(False)
        # Two thirds of the width: a bar across the whole panel reads as a divider.
        bar_row = QHBoxLayout()
        bar_row.addStretch(1)
        bar_row.addWidget(self.progress, 4)
        bar_row.addStretch(1)
        self.layout_.addLayout(bar_row)
        # Taking the card out ends the session at once: the receipt would come out unseen,
        # with no "take your receipt" screen after it.
        self.keep_card = base.label("", "Muted", align=CENTER)
        self.layout_.addWidget(self.keep_card)
        self.layout_.addStretch(3)
        # At the bottom edge, pointing down at the slot under the screen.
        self.slot = base.label("", "Muted", align=CENTER)
        self.layout_.addWidget(self.slot)
        self.arrow = base.label("↓", "Title", align=CENTER)
        self.layout_.addWidget(self.arrow)
        self.retranslate()

    def retranslate(self) -> None:
        """Fixed texts."""
        self.hint.setText(translate("PrintingScreen", "凭条将从下方出纸口送出，请稍候。"))
        self.keep_card.setText(translate("PrintingScreen", "打印完成前，请不要取走身份证。"))
        self.progress.setAccessibleName(translate("PrintingScreen", "正在打印"))
        self.slot.setText(translate("PrintingScreen", "出纸口"))
        self.arrow.setAccessibleName(translate("PrintingScreen", "出纸口在屏幕下方"))

    def show_state(self, state: session.SessionState) -> None:
        """Where printing is: checking the printer, the receipt going out, the A4 report."""
        stage = state.step.print_stage
        if stage is session.PrintStage.CHECKING:
            self.title.setText(translate("PrintingScreen", "正在准备打印…"))
            self.stage.setText(translate("PrintingScreen", "正在检查打印机的纸张和状态"))
        elif stage is session.PrintStage.RECORDING:
            self.title.setText(translate("PrintingScreen", "正在准备打印…"))
            self.stage.setText(translate("PrintingScreen", "正在向信用平台登记本次打印"))
        elif stage is session.PrintStage.RECEIPT:
            self.title.setText(translate("PrintingScreen", "正在打印…"))
            self.stage.setText(translate("PrintingScreen", "打印机正常，凭条正在送出"))
        else:
            self.title.setText(translate("PrintingScreen", "凭条已打印"))
            self.stage.setText(
                translate("PrintingScreen", "请取走凭条。完整报告正在大厅的A4打印机上打印。")
            )
