"""The report: summary first, then every section in the platform's order, paged by buttons.

The screen holds four pages (``session.ReportView``): the report itself, one record's repair
guide, the dispute form of one record, and the phone-download QR code. They are pages of this
screen, never dialogs, so the inactivity timeout and card removal clear them like the rest.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk import privacy
from kiosk.flow import session
from kiosk.platform import report as report_model
from ui.i18n import translate, translated
from ui.screens import base, dispute, repair_guide, share
from ui.widgets import column_layout, paged_scroll

View = session.ReportView

# The report is built record by record: this many before the screen first shows (more than
# a page in any mode), the rest a slice of the event loop at a time, so a report of hundreds of
# records neither keeps the resident waiting nor freezes the window while it is built.
FIRST_RECORDS = 12
BUILD_SLICE_S = 0.005
LINE_GAP = 6  # px between the lines of one record
RECORD_GAP = 20  # px between one record and the next


def section_title(section: report_model.Section) -> str:
    """The platform's title in Chinese; the kiosk's own name for a known code otherwise."""
    name = report_model.SECTION_NAMES.get(section.code)
    if name is None:
        return section.title
    shown = translated("Sections", name)
    return section.title if shown == name else shown


def status_text(record: report_model.Record) -> str:
    """A record's status in the current language (an unknown status as sent)."""
    return translated("Status", record.status_text)


def record_lines(
    section: report_model.Section, record: report_model.Record, *, brief: bool = False
) -> list[str]:
    """The text of one record as shown on screen, one string per line.

    ``brief`` (large-text mode) leaves out the detail: fewer lines, so more of each record
    fits a page; the repair guide page has the rest.
    """
    lines = [f"{record.date.isoformat()}　{record.title}"]
    status = translate("ReportScreen", "状态：%1").replace("%1", status_text(record))
    lines.append(f"{record.authority}　{status}")
    if record.detail and not brief:
        lines.append(record.detail)
    if section.is_negative(record) and record.repair is not None:
        if record.repair.eligible:
            since = record.repair.earliest_date
            if since:
                lines.append(
                    translate("ReportScreen", "可申请信用修复（%1起）").replace(
                        "%1", since.isoformat()
                    )
                )
            else:
                lines.append(translate("ReportScreen", "可申请信用修复"))
        else:
            lines.append(translate("ReportScreen", "暂不可申请信用修复"))
    return lines


def summary_text(report: report_model.Report, elder_mode: bool) -> str:
    """The summary line; in large-text mode a plain sentence."""
    summary = report.summary
    negative, positive = str(summary.negative_count), str(summary.positive_count)
    if elder_mode:
        if summary.has_negative:
            text = translate(
                "ReportScreen",
                "您有 %1 条失信记录。点每条记录下的“怎样修复”，看看怎么办。",
            )
        else:
            text = translate("ReportScreen", "您没有失信记录，信用状况良好。")
        return text.replace("%1", negative)
    if summary.has_negative:
        text = translate("ReportScreen", "有 %1 条失信记录　%2 条守信记录")
    else:
        text = translate("ReportScreen", "无失信记录　%2 条守信记录")
    return text.replace("%1", negative).replace("%2", positive)


class ReportScreen(base.Screen):
    """Shows the verified report and its pages.

    Signals:
        print_requested: "打印报告" pressed.
        finish_requested: "结束查询" pressed.
        share_requested: "存到手机" pressed.
        guide_requested(str): "怎样修复" pressed for the record with this id.
        dispute_requested(str): "提出异议" pressed for the record with this id.
        repair_slip_requested(str): "打印修复指引" pressed on the guide page.
        dispute_submitted(str, str): the dispute form sent (reason code, own words).
        page_closed: back from a page to the report.
    """

    print_requested = Signal()
    finish_requested = Signal()
    share_requested = Signal()
    guide_requested = Signal(str)
    dispute_requested = Signal(str)
    repair_slip_requested = Signal(str)
    dispute_submitted = Signal(str, str)
    page_closed = Signal()
    staff_call_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._shown: report_model.Report | None = None
        self._shown_brief = False
        self._state = session.SessionState()
        self._building: Iterator[bool] | None = None
        self._slice: column_layout.ColumnLayout | None = None  # where the records of this slice go
        self._build_more = QTimer(self)
        self._build_more.setSingleShot(True)
        self._build_more.setInterval(0)
        self._build_more.timeout.connect(self._build_slice)
        # The title row, one widget: a page hides it to make room (large text needs it), and
        # hiding or showing one widget lays the screen out once.
        self.header = QWidget()
        header = QHBoxLayout(self.header)
        header.setContentsMargins(0, 0, 0, 0)
        self.title = base.label("", "Title")
        header.addWidget(self.title, 1)
        self.subject = base.label("", "Muted", wrap=False)
        header.addWidget(self.subject)
        self.layout_.addWidget(self.header)
        message_row = QHBoxLayout()
        self.message = base.label("", "Warning")
        self.message.setVisible(False)
        message_row.addWidget(self.message, 1)
        # A printer problem needs a person (paper, cover): staff are one touch away here too.
        self.staff_button = base.button("")
        self.staff_button.setVisible(False)
        self.staff_button.clicked.connect(self.staff_call_requested)
        message_row.addWidget(self.staff_button)
        self.layout_.addLayout(message_row)
        self.notice = base.label("", "Good")
        self.notice.setVisible(False)
        self.layout_.addWidget(self.notice)

        self.pages = QStackedWidget()
        self.layout_.addWidget(self.pages, 1)
        self.pages.addWidget(self._build_report_page())
        self.guide_page = repair_guide.RepairGuidePage()
        self.guide_page.slip_requested.connect(self.repair_slip_requested)
        self.guide_page.dispute_requested.connect(self.dispute_requested)
        self.guide_page.back_requested.connect(self.page_closed)
        self.pages.addWidget(self.guide_page)
        self.dispute_page = dispute.DisputePage()
        self.dispute_page.submitted.connect(self.dispute_submitted)
        self.dispute_page.back_requested.connect(self.page_closed)
        self.pages.addWidget(self.dispute_page)
        self.share_page = share.SharePage()
        self.share_page.back_requested.connect(self.page_closed)
        self.pages.addWidget(self.share_page)
        self._page_for = {
            View.REPORT: self.report_page,
            View.GUIDE: self.guide_page,
            View.DISPUTE: self.dispute_page,
            View.SHARE: self.share_page,
        }
        self.retranslate()

    def _build_report_page(self) -> QWidget:
        self.report_page = QWidget()
        column = QVBoxLayout(self.report_page)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(16)
        self.summary = base.label("", "Heading")
        column.addWidget(self.summary)
        self.meta = base.label("", "Muted")
        column.addWidget(self.meta)

        self.body = QWidget()
        self.body_layout = column_layout.ColumnLayout(self.body, spacing=20)
        self.paged = paged_scroll.PagedScroll(self.body)
        self.scroll_area = self.paged.scroll_area
        self.up_button = self.paged.up_button
        self.down_button = self.paged.down_button
        self.position = self.paged.position
        column.addWidget(self.paged, 1)

        self.finish_button = base.button("")
        self.share_button = base.button("")
        self.print_button = base.button("", primary=True)
        self.finish_button.clicked.connect(self.finish_requested)
        self.share_button.clicked.connect(self.share_requested)
        self.print_button.clicked.connect(self.print_requested)
        column.addLayout(base.button_row(self.finish_button, self.share_button, self.print_button))
        self.guide_buttons: dict[str, QPushButton] = {}
        self.dispute_buttons: dict[str, QPushButton] = {}
        return self.report_page

    def retranslate(self) -> None:
        """Fixed texts in the current language."""
        self.title.setText(translate("ReportScreen", "个人公共信用报告"))
        self.paged.retranslate()
        self.finish_button.setText(translate("ReportScreen", "结束查询"))
        self.staff_button.setText(translate("ReportScreen", "请工作人员处理"))
        self.share_button.setText(translate("ReportScreen", "存到手机"))
        self.share_button.setAccessibleName(translate("ReportScreen", "存到手机：扫码下载报告"))
        for page in (self.guide_page, self.dispute_page, self.share_page):
            page.retranslate()
        self._shown = None  # record texts are rebuilt in the new language by show_state

    def page(self, direction: int) -> None:
        """Scroll one screenful up (-1) or down (+1)."""
        self.paged.page(direction)

    def show_state(self, state: session.SessionState) -> None:
        """Show the report or one of its pages; rebuild the list only when it changes."""
        self._state = state
        _title, body = base.message_texts(state.step.message)
        self.message.setText(body)
        self.message.setVisible(state.step.message is not None)
        printer_problem = state.step.message is not None and state.step.message.key in _PRINTER_KEYS
        self.staff_button.setVisible(printer_problem and not state.hall.staff_called)
        self.print_button.setText(
            translate("ReportScreen", "重新打印")
            if state.step.message and state.step.message.key in _PRINTER_KEYS
            else translate("ReportScreen", "打印报告")
        )
        notice = ""
        if state.step.slip_printed:
            notice = translate("ReportScreen", "修复指引已打印，请从出纸口取走。")
        elif state.step.dispute_sent:
            notice = translate(
                "ReportScreen", "异议已提交，信用平台将核查处理；进度可到服务窗口查询。"
            )
        self.notice.setText(notice)
        self.notice.setVisible(bool(notice) and state.step.message is None)
        for button in (self.finish_button, self.share_button, self.print_button):
            button.setEnabled(not state.step.busy)
        self.share_button.setVisible(state.resident.report is not None)
        # A page has its own heading: the report's title row makes room for it (large text
        # in landscape needs every line). The title row changes while the lighter page shows,
        # so the report's long list is laid out once, not for each change.
        page = self._page_for[state.step.view]
        if state.step.view is View.REPORT:
            self.header.setVisible(True)
            self.pages.setCurrentWidget(page)
        else:
            self.pages.setCurrentWidget(page)
            self.header.setVisible(False)
        self.guide_page.show_state(state)
        self.dispute_page.show_state(state)
        self.share_page.show_state(state)
        brief = state.resident.elder_mode
        if state.resident.report is not self._shown or brief != self._shown_brief:
            self._shown = state.resident.report
            self._shown_brief = brief
            self._clear_body()
            if state.resident.report is None:
                self.subject.setText("")
                self.summary.setText("")
                self.meta.setText("")
            else:
                self._fill(state.resident.report, brief)
        for record_id, button in self.dispute_buttons.items():
            self._show_dispute_button(record_id, button)
        for button in self.guide_buttons.values():
            button.setEnabled(not state.step.busy)

    def _show_dispute_button(self, record_id: str, button: QPushButton) -> None:
        disputed = record_id in self._state.resident.disputed
        button.setEnabled(not self._state.step.busy and not disputed)
        button.setText(
            translate("ReportScreen", "已提出异议")
            if disputed
            else translate("ReportScreen", "提出异议")
        )

    def building(self) -> bool:
        """Records of the report are still being added (a slice per event-loop turn)."""
        return self._building is not None

    def _clear_body(self) -> None:
        self._building = None
        self._slice = None
        self._build_more.stop()
        self.guide_buttons.clear()
        self.dispute_buttons.clear()
        while self.body_layout.count():
            item = self.body_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                # Out of the widget tree now (deleteLater alone keeps it until the event
                # loop turns), so nothing of a past resident can be found or shown.
                widget.setParent(None)
                widget.deleteLater()

    def _fill(self, report: report_model.Report, brief: bool) -> None:
        # Everything below comes from the masked copy: the platform's texts may hold the
        # resident's full name or an ID number, and the hall can see the screen.
        report = privacy.masked_report(report)
        self.subject.setText(f"{report.subject.name}　{report.subject.id_masked}")
        self.summary.setText(summary_text(report, brief))
        self.summary.setObjectName(
            "HeadingWarning" if report.summary.has_negative else "HeadingGood"
        )
        base.repolish(self.summary)
        self.meta.setText(
            translate("ReportScreen", "报告编号 %1　生成时间 %2　验证码 %3")
            .replace("%1", report.report_id)
            .replace("%2", report_model.shown_time(report.generated_at))
            .replace("%3", report.verification_code)
        )
        self.paged.to_top()
        self._building = self._build(report, brief)
        for _ in range(FIRST_RECORDS):
            if not self._build_step():
                return
        self._build_more.start()

    def _build_step(self) -> bool:
        """Add the next section or record; False once the whole report is there."""
        if self._building is None:
            return False
        if next(self._building, False):
            return True
        self._building = None
        return False

    def _build_slice(self) -> None:
        self._slice = None  # this slice's records in a widget of their own
        deadline = time.perf_counter() + BUILD_SLICE_S
        while self._build_step():
            if time.perf_counter() >= deadline:
                self._build_more.start()  # the rest after the event loop has turned
                return

    def _build(self, report: report_model.Report, brief: bool) -> Iterator[bool]:
        """Add the sections, each record a step."""
        for section in report.sections:
            card = QFrame()
            card.setObjectName("Card")
            column = column_layout.ColumnLayout(card, spacing=LINE_GAP)
            self.body_layout.addWidget(card)
            if not section.records:
                # An empty section takes one line: the resident reads on to the ones that count.
                column.setContentsMargins(28, 8, 28, 8)
                empty = translate("ReportScreen", "%1：无记录").replace(
                    "%1", section_title(section)
                )
                column.addWidget(base.label(empty, "Muted"))
                yield True
                continue
            column.setContentsMargins(28, 20, 28, 20)
            heading = translate("ReportScreen", "%1（%2条）")
            count = str(len(section.records))
            column.addWidget(
                base.label(
                    heading.replace("%1", section_title(section)).replace("%2", count), "Heading"
                )
            )
            for record in section.records:
                self._add_record(column, section, record, brief)
                yield True

    def _add_record(
        self,
        column: column_layout.ColumnLayout,
        section: report_model.Section,
        record: report_model.Record,
        brief: bool,
    ) -> None:
        # One widget per record: its own layout keeps its height for the width, so adding
        # the next record does not measure every wrapped line of the card again.
        block = QWidget()
        lines = QVBoxLayout(block)
        lines.setContentsMargins(0, 0, 0, 0)
        lines.setSpacing(LINE_GAP)
        negative = section.is_negative(record) and record.status == "in_effect"
        for line_no, line in enumerate(record_lines(section, record, brief=brief)):
            role = "Warning" if negative and line_no == 0 else ("" if line_no == 0 else "Muted")
            lines.addWidget(base.label(line, role))
        buttons = self._record_buttons(section, record)
        if buttons:
            lines.addLayout(base.button_row(*buttons))
        self._slice_in(column).addWidget(block)

    def _slice_in(self, column: column_layout.ColumnLayout) -> column_layout.ColumnLayout:
        """Where this slice's records go in the card of ``column``: one widget per slice,
        shown once. (Showing a widget lays out the card it is in at once: a record shown on
        its own would lay out the whole card again for each record.)"""
        card = column.parentWidget()
        holder = self._slice.parentWidget() if self._slice is not None else None
        if self._slice is None or holder is None or holder.parentWidget() is not card:
            first = column.count() == 1  # only the heading so far
            holder = QWidget(card)
            self._slice = column_layout.ColumnLayout(holder, spacing=RECORD_GAP)
            self._slice.setContentsMargins(0, 0 if first else RECORD_GAP - LINE_GAP, 0, 0)
            column.addWidget(holder)
        return self._slice

    def _record_buttons(
        self, section: report_model.Section, record: report_model.Record
    ) -> list[QPushButton]:
        """ "怎样修复" for a negative record with a guide; "提出异议" for any record of the
        resident's own (not the identity section, which the card itself proved)."""
        buttons: list[QPushButton] = []
        repair = record.repair
        rid = record.record_id
        if section.is_negative(record) and repair is not None and repair.guide_id:
            guide = _record_button(
                translate("ReportScreen", "怎样修复"),
                translate("ReportScreen", "怎样修复：%1").replace("%1", record.title),
            )
            guide.clicked.connect(lambda: self.guide_requested.emit(rid))
            guide.setEnabled(not self._state.step.busy)
            self.guide_buttons[rid] = guide
            buttons.append(guide)
        if section.code != "identity" and record.status != "under_objection":
            disputing = _record_button(
                translate("ReportScreen", "提出异议"),
                translate("ReportScreen", "对这条记录提出异议：%1").replace("%1", record.title),
            )
            disputing.clicked.connect(lambda: self.dispute_requested.emit(rid))
            self._show_dispute_button(rid, disputing)
            self.dispute_buttons[rid] = disputing
            buttons.append(disputing)
        return buttons


def _record_button(text: str, name: str) -> QPushButton:
    """A button under one record; its accessible name says which record it acts on."""
    widget = base.button(text)
    widget.setAccessibleName(name)
    return widget


# Messages after which the print button offers to print again.
_PRINTER_KEYS = frozenset({"paper_out", "cover_open", "printer_error"})
