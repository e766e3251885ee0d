"""The face check's notice, a page of the second-factor screen: the platform's own notice
(``face_policy.notice``, which the resident must see before agreeing: platform-api §2, §3b)
beside the kiosk's plain summary of what happens, then "agree" or "another way".

Declining costs nothing: the resident goes back to the choice of SMS code or staff. The
notice comes from the platform in Chinese and is shown as it came, in either language; a long
one scrolls (a finger drag, and a scroll bar that says there is more) rather than being cut.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QFrame,
    QLabel,
    QScrollArea,
    QScroller,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from kiosk.flow import session
from ui.i18n import translate
from ui.screens import base

SUMMARY_LINES = 4
MARK = "●  "  # heads each line of the kiosk's summary


class NoticeArea(QScrollArea):
    """A scroll area that asks for the height its content needs at its width: a short notice
    sits in a box of its own size, a long one gets the room there is and scrolls (a finger
    drag; the scroll bar says there is more)."""

    def __init__(self, content: QWidget) -> None:
        super().__init__()
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # As tall as asked, no taller: the room to spare goes below it.
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setWidget(content)
        QScroller.grabGesture(self.viewport(), QScroller.ScrollerGestureType.LeftMouseButtonGesture)

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        content = self.widget()
        if content is None:
            return hint
        content.ensurePolished()
        return QSize(hint.width(), content.heightForWidth(self.width()) + 2 * self.frameWidth())

    def resizeEvent(self, event: QResizeEvent) -> None:
        """The height asked for follows the width: a new width, a new hint."""
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.updateGeometry()


class FaceConsentPage(QWidget):
    """Shown while ``state.step.factor`` is ``Factor.FACE`` at ``FaceStage.CONSENT``.

    Signals:
        agreed: "同意，开始刷脸" pressed (the window stamps the time of consent).
        declined: "不同意，用其他方式" pressed.
    """

    agreed = Signal()
    declined = Signal()

    def __init__(self) -> None:
        super().__init__()
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(24)
        # Landscape: the platform's notice and the kiosk's summary side by side; portrait:
        # one above the other. The buttons stay under both.
        self.texts = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.texts.setSpacing(48)
        column.addLayout(self.texts, 1)

        self.notice_source = base.label("", "Muted")
        self.notice_card = QFrame()
        self.notice_card.setObjectName("Card")
        self.notice = QVBoxLayout(self.notice_card)
        self.notice.setContentsMargins(32, 24, 32, 24)
        self.notice.setSpacing(12)
        self.notice_title = base.label("", "Heading")
        self.notice.addWidget(self.notice_title)
        # One label per paragraph of the body (the platform separates them with "\n").
        self.notice_paragraphs: list[QLabel] = []
        self.notice_scroll = NoticeArea(self.notice_card)
        self.notice_panel = QWidget()
        notice_column = QVBoxLayout(self.notice_panel)
        notice_column.setContentsMargins(0, 0, 0, 0)
        notice_column.setSpacing(8)
        notice_column.addWidget(self.notice_source)
        notice_column.addWidget(self.notice_scroll)
        notice_column.addStretch(1)
        self.texts.addWidget(self.notice_panel, 1)

        self.summary_panel = QWidget()
        summary = QVBoxLayout(self.summary_panel)
        summary.setContentsMargins(0, 0, 0, 0)
        summary.setSpacing(16)
        self.summary_heading = base.label("", "Advice")
        summary.addWidget(self.summary_heading)
        self.summary_lines = [base.label("") for _ in range(SUMMARY_LINES)]
        for line in self.summary_lines:
            summary.addWidget(line)
        summary.addStretch(1)
        self.texts.addWidget(self.summary_panel, 1)

        self.decline_button = base.button("")
        self.decline_button.clicked.connect(self.declined)
        self.agree_button = base.button("", primary=True)
        self.agree_button.clicked.connect(self.agreed)
        column.addLayout(base.button_row(self.decline_button, self.agree_button))
        self.retranslate()

    def retranslate(self) -> None:
        """The kiosk's own texts (the platform's notice is shown as it came)."""
        self.notice_source.setText(translate("FaceConsentPage", "信用平台的说明："))
        self.summary_heading.setText(translate("FaceConsentPage", "简单地说："))
        lines = (
            translate("FaceConsentPage", "比对的是您现在的脸和身份证里的照片。"),
            translate("FaceConsentPage", "只在这台机器上比对。"),
            translate(
                "FaceConsentPage", "照片和脸部图像不保存，也不发送；只把核验结果告诉信用平台。"
            ),
            translate("FaceConsentPage", "不想刷脸也没关系，可以用短信验证码，或请工作人员核验。"),
        )
        for line, text in zip(self.summary_lines, lines, strict=True):
            line.setText(MARK + text)
        self.decline_button.setText(translate("FaceConsentPage", "不同意，用其他方式"))
        self.agree_button.setText(translate("FaceConsentPage", "同意，开始刷脸"))

    def notice_body(self) -> str:
        """The platform's notice body as shown, its paragraphs joined by "\n" again."""
        return "\n".join(paragraph.text() for paragraph in self.notice_paragraphs)

    def _show_body(self, body: str) -> None:
        for paragraph in self.notice_paragraphs:
            paragraph.deleteLater()  # the old notice's text goes with its labels
            paragraph.setText("")
            paragraph.hide()
        self.notice_paragraphs = []
        for text in body.split("\n") if body else []:
            paragraph = base.label(text)
            paragraph.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            self.notice.addWidget(paragraph)
            self.notice_paragraphs.append(paragraph)
        self.notice_scroll.verticalScrollBar().setValue(0)  # a new notice starts at its top
        self.notice_scroll.updateGeometry()

    # -------------------------------------------------------------- layout
    def resizeEvent(self, event: QResizeEvent) -> None:
        """The notice beside the summary on a landscape panel, above it in portrait."""
        super().resizeEvent(event)
        portrait = self.width() < self.height()
        self.texts.setDirection(
            QBoxLayout.Direction.TopToBottom if portrait else QBoxLayout.Direction.LeftToRight
        )
        # Portrait: the notice as tall as its text (up to what the summary leaves), then the
        # summary right under it; the room to spare goes below both.
        self.texts.setStretchFactor(self.notice_panel, 0 if portrait else 1)

    def changeEvent(self, event: QEvent) -> None:
        """Large text on or off changes the height the notice needs."""
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self.notice_scroll.updateGeometry()

    # -------------------------------------------------------------- rendering
    def show_state(self, state: session.SessionState) -> None:
        """The platform's notice of this session; nothing once the session is gone."""
        identity = state.resident.identity
        policy = identity.face_policy if identity is not None else None
        title, body = (policy.notice.title, policy.notice.body) if policy is not None else ("", "")
        self.notice_title.setText(title)
        if body != self.notice_body():
            self._show_body(body)
        enabled = policy is not None and not state.step.busy
        self.agree_button.setEnabled(enabled)
        self.decline_button.setEnabled(not state.step.busy)
