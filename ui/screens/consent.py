"""Privacy notice and consent: nothing is read from the card before the resident agrees.

The full notice says what is read, why, what is kept and how to stop. In large-text mode a
plain three-sentence version replaces it, so it fits the panel at the large sizes without
scrolling (a resident who wants the details can switch large text off).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from kiosk.flow import session
from ui.i18n import translate
from ui.screens import base


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
        self.title = base.label("", "Title")
        self.layout_.addWidget(self.title)
        self.layout_.addStretch(1)
        # One card holds whichever version shows; it sits a little above the middle.
        card = QFrame()
        card.setObjectName("Card")
        card_layout = QVBoxLayout(card)
        card_layout.setContentsMargins(48, 40, 48, 40)
        self.full_notice = self._build_full_notice()
        card_layout.addWidget(self.full_notice)
        self.short_notice = self._build_short_notice()
        card_layout.addWidget(self.short_notice)
        self.short_notice.hide()
        self.layout_.addWidget(card)
        self.layout_.addStretch(2)
        self.decline_button = base.button("")
        self.agree_button = base.button("", primary=True)
        self.decline_button.clicked.connect(self.decline_requested)
        self.agree_button.clicked.connect(self.agree_requested)
        self.layout_.addLayout(base.button_row(self.decline_button, self.agree_button))
        self.retranslate()

    def _build_full_notice(self) -> QWidget:
        """One row per question a resident may have: a short caption, then the answer."""
        notice = QWidget()
        grid = QGridLayout(notice)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(40)
        grid.setVerticalSpacing(24)
        grid.setColumnStretch(1, 1)
        self.captions: list[QLabel] = []
        self.answers: list[QLabel] = []
        for row in range(5):
            caption = base.label("", "Advice", wrap=False)
            caption.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            answer = base.label("")
            answer.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            grid.addWidget(caption, row, 0)
            grid.addWidget(answer, row, 1)
            self.captions.append(caption)
            self.answers.append(answer)
        return notice

    def _build_short_notice(self) -> QWidget:
        notice = QWidget()
        column = QVBoxLayout(notice)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(32)
        self.short_lines = [base.label("", "Heading") for _ in range(3)]
        for line in self.short_lines:
            column.addWidget(line)
        return notice

    def retranslate(self) -> None:
        """Fixed texts: both versions of the notice, the buttons."""
        rows = (
            (
                translate("ConsentScreen", "读取什么"),
                translate(
                    "ConsentScreen", "身份证芯片中的姓名、证件号码和有效期。不读取证件照片。"
                ),
            ),
            (
                translate("ConsentScreen", "做什么用"),
                translate("ConsentScreen", "发送至信用信息平台，核验是您本人在查询。"),
            ),
            (
                translate("ConsentScreen", "是否保存"),
                translate("ConsentScreen", "查询结束后，本机不保存您的任何个人信息。"),
            ),
            (
                translate("ConsentScreen", "查询记录"),
                translate("ConsentScreen", "本次查询会记入您信用报告的“查询记录”。"),
            ),
            (
                translate("ConsentScreen", "随时结束"),
                translate("ConsentScreen", "取出身份证，即可随时结束查询。"),
            ),
        )
        for caption, answer, (caption_text, answer_text) in zip(
            self.captions, self.answers, rows, strict=True
        ):
            caption.setText(caption_text)
            answer.setText(answer_text)
        short = (
            translate("ConsentScreen", "本机读取身份证上的姓名和号码，只用来核对身份。"),
            translate("ConsentScreen", "查完不保存您的信息，本次查询会记入您的报告。"),
            translate("ConsentScreen", "取出身份证，随时可以结束。"),
        )
        for line, text in zip(self.short_lines, short, strict=True):
            line.setText(text)
        self.title.setText(translate("ConsentScreen", "查询前请阅读"))
        self.decline_button.setText(translate("ConsentScreen", "不同意"))
        self.decline_button.setAccessibleName(translate("ConsentScreen", "不同意，结束查询"))
        self.agree_button.setText(translate("ConsentScreen", "同意并继续"))
        self.agree_button.setAccessibleName(translate("ConsentScreen", "同意并继续"))

    def show_state(self, state: session.SessionState) -> None:
        """The plain short notice in large-text mode, the full one otherwise."""
        self.full_notice.setVisible(not state.resident.elder_mode)
        self.short_notice.setVisible(state.resident.elder_mode)
