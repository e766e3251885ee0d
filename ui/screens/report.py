"""The report: summary first, then every section in the platform's order, paged by buttons."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QPushButton,
    QScrollArea,
    QScroller,
    QScrollerProperties,
    QVBoxLayout,
    QWidget,
)

from kiosk import report as report_model
from kiosk import session
from kiosk.logging_setup import mask_name
from ui.screens import base


def record_lines(section: report_model.Section, record: report_model.Record) -> list[str]:
    """The text of one record as shown on screen, one string per line."""
    first = f"{record.date.isoformat()}　{record.title}"
    second = f"{record.authority}　状态：{record.status_text}"
    lines = [first, second]
    if record.detail:
        lines.append(record.detail)
    if section.is_negative(record) and record.repair is not None:
        if record.repair.eligible:
            since = record.repair.earliest_date
            lines.append("可申请信用修复" + (f"（{since.isoformat()}起）" if since else ""))
        else:
            lines.append("暂不可申请信用修复")
    return lines


class ReportScreen(base.Screen):
    """Shows the verified report.

    Signals:
        print_requested: "打印报告" pressed.
        finish_requested: "结束查询" pressed.
        repair_slip_requested(str): "打印修复指引" pressed for the record with this id.
    """

    print_requested = Signal()
    finish_requested = Signal()
    repair_slip_requested = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self._shown: report_model.Report | None = None
        header = QHBoxLayout()
        header.addWidget(base.label("个人公共信用报告", "Title"), 1)
        self.subject = base.label("", "Muted", wrap=False)
        header.addWidget(self.subject)
        self.layout_.addLayout(header)
        self.summary = base.label("", "Heading")
        self.layout_.addWidget(self.summary)
        self.meta = base.label("", "Muted")
        self.layout_.addWidget(self.meta)

        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        # No thin scroll bars on a touch kiosk: page buttons and finger drags instead.
        self.scroll_area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        QScroller.grabGesture(
            self.scroll_area.viewport(), QScroller.ScrollerGestureType.LeftMouseButtonGesture
        )
        # A tap on a button inside the list must press it at once: by default the scroller
        # holds a press back (to see whether it starts a drag) and a quick tap got lost.
        scroller = QScroller.scroller(self.scroll_area.viewport())
        properties = scroller.scrollerProperties()
        properties.setScrollMetric(QScrollerProperties.ScrollMetric.MousePressEventDelay, 0)
        scroller.setScrollerProperties(properties)
        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setSpacing(20)
        self.scroll_area.setWidget(self.body)
        self.layout_.addWidget(self.scroll_area, 1)

        self.message = base.label("", "Warning")
        self.layout_.addWidget(self.message)
        self.notice = base.label("", "Good")
        self.layout_.addWidget(self.notice)
        self.slip_buttons: dict[str, QPushButton] = {}
        self.up_button = base.button("上一页")
        self.down_button = base.button("下一页")
        self.finish_button = base.button("结束查询")
        self.print_button = base.button("打印报告", primary=True)
        self.up_button.clicked.connect(lambda: self.page(-1))
        self.down_button.clicked.connect(lambda: self.page(1))
        self.finish_button.clicked.connect(self.finish_requested)
        self.print_button.clicked.connect(self.print_requested)
        row = base.button_row(
            self.up_button, self.down_button, self.finish_button, self.print_button
        )
        self.layout_.addLayout(row)

    def page(self, direction: int) -> None:
        """Scroll one screenful up (-1) or down (+1)."""
        bar = self.scroll_area.verticalScrollBar()
        bar.setValue(bar.value() + direction * int(self.scroll_area.viewport().height() * 0.9))

    def show_state(self, state: session.SessionState) -> None:
        """Show the report; rebuild only when a different report arrives."""
        self.message.setText(state.message.body if state.message else "")
        self.message.setVisible(state.message is not None)
        self.print_button.setText("重新打印" if state.message else "打印报告")
        self.notice.setText("修复指引已打印，请从出纸口取走。" if state.slip_printed else "")
        self.notice.setVisible(state.slip_printed is not None and state.message is None)
        for button in self.slip_buttons.values():
            button.setEnabled(not state.busy)
        if state.report is self._shown:
            return
        self._shown = state.report
        self._clear_body()
        if state.report is None:
            self.subject.setText("")
            self.summary.setText("")
            self.meta.setText("")
            return
        self._fill(state.report)

    def _clear_body(self) -> None:
        self.slip_buttons.clear()
        while self.body_layout.count():
            item = self.body_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()

    def _fill(self, report: report_model.Report) -> None:
        summary = report.summary
        self.subject.setText(f"{mask_name(report.subject.name)}　{report.subject.id_masked}")
        if summary.has_negative:
            self.summary.setText(
                f"有 {summary.negative_count} 条失信记录　{summary.positive_count} 条守信记录"
            )
            self.summary.setObjectName("HeadingWarning")
        else:
            self.summary.setText(f"无失信记录　{summary.positive_count} 条守信记录")
            self.summary.setObjectName("HeadingGood")
        self.summary.style().polish(self.summary)
        self.meta.setText(
            f"报告编号 {report.report_id}　生成时间 "
            f"{report_model.shown_time(report.generated_at)}　"
            f"验证码 {report.verification_code}"
        )
        for section in report.sections:
            self.body_layout.addWidget(self._section_card(section))
        self.body_layout.addStretch(1)
        self.scroll_area.verticalScrollBar().setValue(0)

    def _section_card(self, section: report_model.Section) -> QFrame:
        card = QFrame()
        card.setObjectName("Card")
        column = QVBoxLayout(card)
        column.setContentsMargins(28, 20, 28, 20)
        count = len(section.records)
        column.addWidget(base.label(f"{section.title}（{count}条）", "Heading"))
        if not section.records:
            column.addWidget(base.label("无记录", "Muted"))
        for index, record in enumerate(section.records):
            if index:
                column.addSpacing(14)  # keeps one record's lines apart from the next's
            negative = section.is_negative(record) and record.status == "in_effect"
            for line_no, line in enumerate(record_lines(section, record)):
                role = "Warning" if negative and line_no == 0 else ("" if line_no == 0 else "Muted")
                column.addWidget(base.label(line, role))
            repair = record.repair
            if section.is_negative(record) and repair is not None and repair.guide_id:
                button = base.button("打印修复指引")
                button.clicked.connect(
                    lambda _=False, rid=record.record_id: self.repair_slip_requested.emit(rid)
                )
                self.slip_buttons[record.record_id] = button
                column.addLayout(base.button_row(button))
        return card
