"""Idle screen: what the kiosk does and how to start (put the ID card on the reader)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal

from kiosk.flow import session
from kiosk.platform.report import CHINA_TZ
from ui import theme
from ui.i18n import translate
from ui.screens import base
from ui.widgets import attract

if TYPE_CHECKING:
    # The idle screen paints before the platform client is loaded (docs/decisions.md
    # "Start-up: the idle screen first"); its public content only passes through here.
    from kiosk.offline import public_content

CENTER = Qt.AlignmentFlag.AlignHCenter


class IdleScreen(base.Screen):
    """Invites a resident to start by placing their ID card.

    Signals:
        elder_requested: the large "大字和语音" button (one touch; for this session only).
    """

    elder_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._state = session.SessionState()
        self._info: public_content.PublicInfo | None = None
        self.layout_.addStretch(1)
        self.heading = base.label("", "Title", align=CENTER)
        self.layout_.addWidget(self.heading)
        self.purpose = base.label("", "Muted", align=CENTER)
        self.layout_.addWidget(self.purpose)
        self.layout_.addStretch(1)
        self.instruction = base.label("", "Heading", align=CENTER)
        self.layout_.addWidget(self.instruction)
        self.animation = attract.InsertCardAnimation()
        self.animation.setMinimumHeight(220)
        self.layout_.addWidget(self.animation, 3)
        self.elder_button = base.button("")
        self.elder_button.setObjectName("BigChoice")
        self.elder_button.clicked.connect(self.elder_requested)
        self.layout_.addWidget(self.elder_button, 0, CENTER)
        self.layout_.addStretch(1)
        self.hint = base.label("", "Muted", align=CENTER)
        self.layout_.addWidget(self.hint)
        # Public content (kiosk.public_content.PublicInfo): from the platform, or the kept copy.
        self.public = base.label("", "Small", align=CENTER)
        self.public.setVisible(False)
        self.layout_.addWidget(self.public)
        self.retranslate()

    def retranslate(self) -> None:
        """Fixed texts in the current language."""
        self.heading.setText(translate("IdleScreen", "个人公共信用报告 自助查询"))
        self.purpose.setText(
            translate(
                "IdleScreen",
                "查看本人的公共信用记录，了解如何修复失信记录，并打印带验证码的报告。",
            )
        )
        self.animation.retranslate()
        self.show_state(self._state)
        self.show_public(self._info)

    def show_state(self, state: session.SessionState) -> None:
        """The same for everyone; out of service or offline, it says so and what still works."""
        self._state = state
        out = state.hall.out_of_service
        down = not out and not state.hall.online
        no_reader = not out and not down and not state.hall.reader_ready
        self.instruction.setObjectName("HeadingWarning" if out or down or no_reader else "Heading")
        if out:
            self.instruction.setText(translate("IdleScreen", "本机暂停服务"))
            self.hint.setText(
                translate(
                    "IdleScreen",
                    "请到服务台办理，或使用大厅里的其他自助终端。给您带来不便，敬请谅解。",
                )
            )
        elif down:
            self.instruction.setText(translate("IdleScreen", "信用平台暂时无法连接"))
            self.hint.setText(
                translate(
                    "IdleScreen",
                    "现在不能查询和打印个人信用报告，网络恢复后本机会自动恢复。"
                    "下方的办事时间、公告和信用修复指南仍可查看；急需办理请到大厅服务台。",
                )
            )
        elif no_reader:
            self.instruction.setText(translate("IdleScreen", "读卡器暂时不能使用"))
            self.hint.setText(
                translate(
                    "IdleScreen",
                    "本机恢复后会自动继续服务。急需办理请到大厅服务台，或使用其他自助终端。",
                )
            )
        else:
            self.instruction.setText(translate("IdleScreen", "请将本人居民身份证放在下方读卡区"))
            self.hint.setText(
                translate(
                    "IdleScreen",
                    "没有手机也能查询：工作人员可以现场为您核验身份。需要帮助请按“呼叫工作人员”。",
                )
            )
        base.repolish(self.instruction)
        self.animation.setVisible(not out and not down and not no_reader)
        tokens = theme.ELDER if state.resident.elder_mode else theme.NORMAL
        self.animation.set_colors(tokens.accent, tokens.surface, tokens.text)
        self.elder_button.setVisible(not out and not down and not no_reader)
        self.elder_button.setText(
            translate("IdleScreen", "已切换到大字和语音模式，请放置身份证")
            if state.resident.elder_mode
            else translate("IdleScreen", "看不清？点这里：大字 + 语音提示")
        )
        self.elder_button.setAccessibleName(self.elder_button.text())
        self.elder_button.setEnabled(not state.resident.elder_mode)

    def show_public(self, info: public_content.PublicInfo | None) -> None:
        """Service hours, current notices and the repair guides kept (nothing personal)."""
        self._info = info
        if info is None:
            self.public.setVisible(False)
            return
        lines = [
            translate("IdleScreen", "%1　办事时间：%2")
            .replace("%1", info.hall)
            .replace("%2", info.service_hours)
        ]
        notice = translate("IdleScreen", "【公告】%1：%2")
        lines += [
            notice.replace("%1", title).replace("%2", body) for title, body in info.announcements
        ]
        if info.repair_guides:
            lines.append(
                translate("IdleScreen", "信用修复指南：%1").replace(
                    "%1", "、".join(info.repair_guides)
                )
            )
        confirmed = dt.datetime.fromtimestamp(info.fetched_at, dt.UTC).astimezone(CHINA_TZ)
        lines.append(
            translate("IdleScreen", "（信息更新于 %1）").replace("%1", f"{confirmed:%m-%d %H:%M}")
        )
        self.public.setText("\n".join(lines))
        self.public.setVisible(True)
