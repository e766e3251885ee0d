"""The repair guide of one negative record: what to do, where, and what to bring."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QVBoxLayout, QWidget

from kiosk import privacy
from kiosk.flow import session
from kiosk.platform import models
from kiosk.platform import report as report_model
from ui.i18n import translate
from ui.screens import base
from ui.widgets import paged_scroll


class RepairGuidePage(QWidget):
    """A page of the report screen (``ReportView.GUIDE``).

    Signals:
        slip_requested(str): "打印修复指引" for the record shown.
        dispute_requested(str): "提出异议" for the record shown.
        back_requested: "返回报告".
    """

    slip_requested = Signal(str)
    dispute_requested = Signal(str)
    back_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._record_id: str | None = None
        self._shown_guide: models.RepairGuide | None = None
        column, self.heading, self.record = base.record_page(self)
        card = QFrame()
        card.setObjectName("Card")
        inner = QVBoxLayout(card)
        inner.setContentsMargins(28, 20, 28, 20)
        inner.setSpacing(12)
        self.steps_title = base.label("", "Heading")
        self.steps = base.label("")
        self.where_title = base.label("", "Heading")
        self.where = base.label("")
        self.documents_title = base.label("", "Heading")
        self.documents = base.label("")
        for widget in (
            self.steps_title,
            self.steps,
            self.where_title,
            self.where,
            self.documents_title,
            self.documents,
        ):
            inner.addWidget(widget)
        inner.addStretch(1)
        # Long guides (and every guide in large text) go over more than one page.
        self.paged = paged_scroll.PagedScroll(card)
        column.addWidget(self.paged, 1)
        self.loading = base.label("", "Muted")
        column.addWidget(self.loading)
        self.back_button = base.button("")
        self.dispute_button = base.button("")
        self.slip_button = base.button("", primary=True)
        self.back_button.clicked.connect(self.back_requested)
        self.dispute_button.clicked.connect(self._dispute)
        self.slip_button.clicked.connect(self._slip)
        column.addLayout(base.button_row(self.back_button, self.dispute_button, self.slip_button))
        self.retranslate()

    def retranslate(self) -> None:
        """Fixed texts in the current language (the guide itself is the platform's)."""
        self.paged.retranslate()
        self.steps_title.setText(translate("RepairGuidePage", "怎么做"))
        self.where_title.setText(translate("RepairGuidePage", "到哪里办"))
        self.documents_title.setText(translate("RepairGuidePage", "带什么材料"))
        self.loading.setText(translate("RepairGuidePage", "正在获取修复指引…"))
        self.back_button.setText(translate("RepairGuidePage", "返回报告"))
        self.dispute_button.setText(translate("RepairGuidePage", "提出异议"))
        self.slip_button.setText(translate("RepairGuidePage", "打印修复指引"))
        self.slip_button.setAccessibleName(
            translate("RepairGuidePage", "打印修复指引，带回家按步骤办理")
        )

    def show_state(self, state: session.SessionState) -> None:
        """The guide of ``state.view_record``; empty while it loads and after the session."""
        self._record_id = state.step.view_record
        record = _find(state)
        self.record.setText(f"{record.date.isoformat()}　{record.title}" if record else "")
        guide = state.step.guide
        if guide is not self._shown_guide:
            self._shown_guide = guide
            self.paged.to_top()  # a new guide starts at its first page
        self.loading.setVisible(guide is None and state.step.busy)
        if guide is not None and state.resident.report is not None:
            # The hall can see the screen: the guide's texts with the resident's name and
            # any ID or mobile number masked.
            guide = privacy.masked_guide(guide, name=state.resident.report.subject.name)
        if guide is None:
            self.heading.setText("")
            for label in (self.steps, self.where, self.documents):
                label.setText("")
        else:
            self.heading.setText(guide.title)
            self.steps.setText(
                "\n".join(f"{number}. {step}" for number, step in enumerate(guide.steps, 1))
            )
            where = [guide.where]
            if guide.hall_window:
                where.append(
                    translate("RepairGuidePage", "窗口：%1").replace("%1", guide.hall_window)
                )
            if guide.hours:
                where.append(
                    translate("RepairGuidePage", "办理时间：%1").replace("%1", guide.hours)
                )
            self.where.setText("\n".join(where))
            self.documents.setText("\n".join(f"· {item}" for item in guide.documents))
        disputed = state.step.view_record in state.resident.disputed
        self.dispute_button.setEnabled(not state.step.busy and not disputed and record is not None)
        self.slip_button.setEnabled(not state.step.busy and guide is not None)

    def _slip(self) -> None:
        if self._record_id:
            self.slip_requested.emit(self._record_id)

    def _dispute(self) -> None:
        if self._record_id:
            self.dispute_requested.emit(self._record_id)


def _find(state: session.SessionState) -> report_model.Record | None:
    """The record the page is about, from the report in ``state``, masked for the screen."""
    if state.resident.report is None or state.step.view_record is None:
        return None
    for section in state.resident.report.sections:
        for record in section.records:
            if record.record_id == state.step.view_record:
                return privacy.masked_record(record, name=state.resident.report.subject.name)
    return None
