"""The dispute form of one record: a reason from a list and, if wanted, the resident's words.

The words are typed on the kiosk's own on-screen keyboard (pinyin or letters), shown inside
this page rather than in a dialog, so a timeout or the card's removal clears it with the rest.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QButtonGroup, QGridLayout, QPushButton, QWidget

from kiosk import privacy
from kiosk.flow import session
from ui.i18n import translate, translated
from ui.screens import base
from ui.widgets import text_keyboard

_TWO_COLUMNS_FROM = 1500  # px of page width: below it (portrait) the reasons stack


class DisputePage(QWidget):
    """A page of the report screen (``ReportView.DISPUTE``).

    Signals:
        submitted(str, str): "提交异议" with the chosen reason code and the typed words.
        back_requested: "取消".
    """

    submitted = Signal(str, str)
    back_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._record_id: str | None = None
        self._busy = False  # sending: the form waits for the outbox
        column, self.heading, self.record = base.record_page(self)
        self.reasons_box = QWidget()
        self.reasons_grid = QGridLayout(self.reasons_box)
        self.reasons_grid.setContentsMargins(0, 0, 0, 0)
        self.reasons_grid.setSpacing(16)
        self.reason_group = QButtonGroup(self)
        self.reason_group.setExclusive(True)
        self.reason_buttons: dict[str, QPushButton] = {}
        for code, _text in session.DISPUTE_REASONS:
            button = base.button("")
            button.setObjectName("Choice")
            button.setCheckable(True)
            self.reason_group.addButton(button)
            self.reason_buttons[code] = button
        self._columns = 0
        self._arrange_reasons(2)
        self.reason_group.buttonToggled.connect(lambda *_: self._update_buttons())
        column.addWidget(self.reasons_box)
        self.words_label = base.label("", "Muted")
        column.addWidget(self.words_label)
        self.words = base.label("", "Field")
        column.addWidget(self.words)
        self.keyboard = text_keyboard.TextKeyboard(max_length=session.DISPUTE_TEXT_MAX)
        self.keyboard.text_changed.connect(self._show_words)
        self.keyboard.done_pressed.connect(lambda: self._show_keyboard(False))
        self.keyboard.setVisible(False)
        column.addWidget(self.keyboard, 1)
        self.after = base.label("", "Small")
        column.addWidget(self.after)
        column.addStretch(0)
        self.cancel_button = base.button("")
        self.words_button = base.button("")
        self.submit_button = base.button("", primary=True)
        self.cancel_button.clicked.connect(self.back_requested)
        self.words_button.clicked.connect(lambda: self._show_keyboard(True))
        self.submit_button.clicked.connect(self._submit)
        column.addLayout(base.button_row(self.cancel_button, self.words_button, self.submit_button))
        self.retranslate()

    def _arrange_reasons(self, columns: int) -> None:
        """Reasons in two columns on a wide panel, one on a narrow (portrait) one."""
        if columns == self._columns:
            return
        self._columns = columns
        for button in self.reason_buttons.values():
            self.reasons_grid.removeWidget(button)
        for index, button in enumerate(self.reason_buttons.values()):
            self.reasons_grid.addWidget(button, index // columns, index % columns)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Pick the reasons' columns for the width the page has."""
        super().resizeEvent(event)
        self._arrange_reasons(2 if event.size().width() >= _TWO_COLUMNS_FROM else 1)

    def retranslate(self) -> None:
        """Fixed texts in the current language."""
        self.keyboard.retranslate()
        self.heading.setText(translate("DisputePage", "对这条记录提出异议"))
        for code, text in session.DISPUTE_REASONS:
            self.reason_buttons[code].setText(translated("Dispute", text))
            self.reason_buttons[code].setAccessibleName(translated("Dispute", text))
        self.words_label.setText(translate("DisputePage", "补充说明（可不填）："))
        self.after.setText(
            translate(
                "DisputePage",
                "提交后，信用平台将核查这条记录，核查期间记录标注为“异议处理中”。"
                "处理结果以平台通知为准，进度可到服务窗口查询。",
            )
        )
        self.cancel_button.setText(translate("DisputePage", "取消"))
        self.words_button.setText(translate("DisputePage", "填写说明"))
        self.submit_button.setText(translate("DisputePage", "提交异议"))
        self._show_words(self.keyboard.text())

    def show_state(self, state: session.SessionState) -> None:
        """The form for ``state.view_record``; a new record (or none) starts a blank form."""
        record_id = (
            state.step.view_record if state.step.view is session.ReportView.DISPUTE else None
        )
        if record_id != self._record_id:
            self._record_id = record_id
            self._clear()
        record = _title(state)
        self.record.setText(record)
        self._busy = state.step.busy
        self._update_buttons()

    def _clear(self) -> None:
        """Forget the reason and the words (another record, or the session ended)."""
        self.reason_group.setExclusive(False)
        for button in self.reason_buttons.values():
            button.setChecked(False)
        self.reason_group.setExclusive(True)
        self.keyboard.clear()
        self._show_keyboard(False)

    def _show_keyboard(self, shown: bool) -> None:
        # The reasons make room for the keyboard while the resident types.
        self.keyboard.setVisible(shown)
        self.reasons_box.setVisible(not shown)
        self.after.setVisible(not shown)
        self.words_button.setVisible(not shown)

    def _show_words(self, text: str) -> None:
        self.words.setText(text or translate("DisputePage", "（未填写）"))

    def _chosen(self) -> str | None:
        for code, button in self.reason_buttons.items():
            if button.isChecked():
                return code
        return None

    def _update_buttons(self) -> None:
        self.submit_button.setEnabled(self._chosen() is not None and not self._busy)

    def _submit(self) -> None:
        reason = self._chosen()
        if reason is not None:
            self.submitted.emit(reason, self.keyboard.text())


def _title(state: session.SessionState) -> str:
    if state.resident.report is None or state.step.view_record is None:
        return ""
    for section in state.resident.report.sections:
        for record in section.records:
            if record.record_id == state.step.view_record:
                shown = privacy.masked_record(record, name=state.resident.report.subject.name)
                return f"{shown.date.isoformat()}　{shown.title}　{shown.authority}"
    return ""
