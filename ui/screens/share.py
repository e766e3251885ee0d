"""The report on the resident's phone: a one-time download link as a QR code, on screen only.

The link is a bearer secret for ten minutes: it is never printed, never logged, and leaves the
screen when the page closes, when it expires, or when the session ends.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from kiosk.flow import session
from kiosk.platform import models
from ui.i18n import translate
from ui.screens import base
from ui.widgets import qr_view


class SharePage(QWidget):
    """A page of the report screen (``ReportView.SHARE``).

    Signals:
        back_requested: "返回报告".
    """

    back_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._link: models.ShareLink | None = None
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(48)
        self.qr = qr_view.QrView()
        self.qr.setMinimumSize(360, 360)
        row.addWidget(self.qr, 1)
        column = QVBoxLayout()
        column.setSpacing(20)
        self.heading = base.label("", "Heading")
        column.addWidget(self.heading)
        self.steps = base.label("")
        column.addWidget(self.steps)
        self.expiry = base.label("", "Warning")
        column.addWidget(self.expiry)
        self.privacy = base.label("", "Muted")
        column.addWidget(self.privacy)
        column.addStretch(1)
        self.back_button = base.button("", primary=True)
        self.back_button.clicked.connect(self.back_requested)
        column.addLayout(base.button_row(self.back_button))
        row.addLayout(column, 1)
        self.ticker = QTimer(self)
        self.ticker.setInterval(1000)
        self.ticker.timeout.connect(self._tick)
        self.retranslate()

    def retranslate(self) -> None:
        """Fixed texts in the current language."""
        self.heading.setText(translate("SharePage", "用手机扫码，下载电子版报告"))
        self.steps.setText(
            translate(
                "SharePage",
                "1. 打开手机相机或微信“扫一扫”\n2. 对准左边的二维码\n"
                "3. 在手机上打开并保存报告（PDF）",
            )
        )
        self.privacy.setText(
            translate("SharePage", "二维码只显示在屏幕上，不会打印；只能下载一次，请勿让他人扫描。")
        )
        self.back_button.setText(translate("SharePage", "返回报告"))
        self._tick()

    def show_state(self, state: session.SessionState) -> None:
        """Show the link of ``state.share``; nothing once it is gone from state."""
        link = state.step.share if state.step.view is session.ReportView.SHARE else None
        if link is not self._link:
            self._link = link
            self.qr.set_url(link.url if link else None)
        if link is None:
            self.ticker.stop()
        elif not self.ticker.isActive():
            self.ticker.start()
        self._tick()

    def seconds_left(self, now: dt.datetime | None = None) -> int:
        """Whole seconds until the link expires (0 when none or expired)."""
        if self._link is None:
            return 0
        now = now or dt.datetime.now(dt.UTC)
        return max(0, int((self._link.expires_at - now).total_seconds()))

    def _tick(self) -> None:
        left = self.seconds_left()
        if self._link is None:
            self.expiry.setText("")
            return
        if left == 0:
            # An expired link is useless and still a secret of sorts: take it off the screen.
            self.qr.set_url(None)
            self.ticker.stop()
            self.expiry.setText(
                translate("SharePage", "二维码已过期。如仍需要，请返回报告后重新获取。")
            )
            return
        minutes, seconds = divmod(left, 60)
        self.expiry.setText(
            translate("SharePage", "%1 分 %2 秒内有效")
            .replace("%1", str(minutes))
            .replace("%2", f"{seconds:02d}")
        )
