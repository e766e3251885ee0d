"""Idle screen: what the kiosk does and how to start (put the ID card on the reader)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt

from kiosk import offline, session
from kiosk.report import CHINA_TZ
from ui.screens import base

CENTER = Qt.AlignmentFlag.AlignHCenter
INSTRUCTION = "请将本人居民身份证放在下方读卡区"
HINT = "没有手机或看不清屏幕？点右上角“大字模式”，或请工作人员协助。"
OUT_OF_SERVICE = "本机暂停服务"
OUT_OF_SERVICE_HINT = "请到服务台办理，或使用大厅里的其他自助终端。给您带来不便，敬请谅解。"
OFFLINE = "信用平台暂时无法连接"
OFFLINE_HINT = (
    "现在不能查询和打印个人信用报告，网络恢复后本机会自动恢复。"
    "下方的办事时间、公告和信用修复指南仍可查看；急需办理请到大厅服务台。"
)


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
        # Public content (kiosk.offline.PublicInfo): from the platform, or the kept copy.
        self.public = base.label("", "Small", align=CENTER)
        self.public.setVisible(False)
        self.layout_.addWidget(self.public)

    def show_state(self, state: session.SessionState) -> None:
        """The same for everyone; out of service or offline, it says so and what still works."""
        out = state.out_of_service
        down = not out and not state.online
        self.instruction.setObjectName("HeadingWarning" if out or down else "Heading")
        self.instruction.setText(OUT_OF_SERVICE if out else OFFLINE if down else INSTRUCTION)
        base.repolish(self.instruction)
        self.arrow.setVisible(not out and not down)
        self.hint.setText(OUT_OF_SERVICE_HINT if out else OFFLINE_HINT if down else HINT)

    def show_public(self, info: offline.PublicInfo | None) -> None:
        """Service hours, current notices and the repair guides kept (nothing personal)."""
        if info is None:
            self.public.setVisible(False)
            return
        lines = [f"{info.hall}　办事时间：{info.service_hours}"]
        lines += [f"【公告】{title}：{body}" for title, body in info.announcements]
        if info.repair_guides:
            lines.append("信用修复指南：" + "、".join(info.repair_guides))
        confirmed = dt.datetime.fromtimestamp(info.fetched_at, dt.UTC).astimezone(CHINA_TZ)
        lines.append(f"（信息更新于 {confirmed:%m-%d %H:%M}）")
        self.public.setText("\n".join(lines))
        self.public.setVisible(True)
