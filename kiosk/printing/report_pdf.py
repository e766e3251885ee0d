"""The report as an A4 PDF (reportlab), with the bundled CJK font embedded as a subset.

reportlab is imported only when a PDF is made: it costs about 0.1 s to import, which start-up
does not pay. Every page carries the report id, the verification QR code, "第 N 页 / 共 M 页"
and a light watermark with the terminal and the time.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from kiosk import assets
from kiosk.platform import report as report_model
from kiosk.privacy import mask_name

FONT_NAME = "KioskCJK"
_registered = False


def _register_font() -> None:
    global _registered
    if _registered:
        return
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(FONT_NAME, str(assets.CJK_FONT), subfontIndex=0))
    _registered = True


def _table_style(colors: Any) -> Any:
    from reportlab.platypus import TableStyle

    return TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef6")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )


def render_pdf(
    report: report_model.Report, *, terminal_id: str, verify_url: str, now: dt.datetime
) -> bytes:
    """The whole report as PDF bytes."""
    _register_font()
    from reportlab.graphics.barcode import qr
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas as rl_canvas
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table

    base = ParagraphStyle("base", fontName=FONT_NAME, fontSize=10.5, leading=15, wordWrap="CJK")
    title = ParagraphStyle("title", parent=base, fontSize=22, leading=30, spaceAfter=6)
    heading = ParagraphStyle(
        "heading", parent=base, fontSize=14, leading=20, spaceBefore=10, spaceAfter=4
    )
    cell = ParagraphStyle("cell", parent=base, fontSize=9, leading=12)

    def para(text: str, style: ParagraphStyle = base) -> Paragraph:
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return Paragraph(escaped, style)

    summary = report.summary
    # Title page: who, which report, the summary and how to verify; the sections follow on
    # their own pages, so the first page alone answers "is there anything against me?".
    overview = [[para(h, cell) for h in ("信息类别", "记录数", "其中不良")]]
    for section in report.sections:
        negatives = sum(1 for r in section.records if section.is_negative(r))
        overview.append(
            [
                para(section.title, cell),
                para(str(len(section.records)), cell),
                para(str(negatives), cell),
            ]
        )
    overview_table = Table(overview, colWidths=[80 * mm, 35 * mm, 35 * mm], repeatRows=1)
    overview_table.setStyle(_table_style(colors))
    story: list[Any] = [
        Spacer(1, 20 * mm),
        para("个人公共信用报告", title),
        Spacer(1, 6 * mm),
        para(f"姓名：{mask_name(report.subject.name)}　证件号码：{report.subject.id_masked}"),
        para(f"报告编号：{report.report_id}　验证码：{report.verification_code}"),
        para(
            f"生成时间：{report_model.shown_time(report.generated_at)}　"
            f"有效期至：{report_model.shown_time(report.valid_until, '%Y-%m-%d')}"
        ),
        Spacer(1, 4 * mm),
        para(
            (f"概要：失信记录 {summary.negative_count} 条，守信记录 {summary.positive_count} 条。")
            + ("" if summary.has_negative else "无失信记录。"),
            heading,
        ),
        overview_table,
        Spacer(1, 6 * mm),
        para(f"核验方式：扫描页脚二维码，或访问 {verify_url}"),
        PageBreak(),
    ]
    widths = [22 * mm, 40 * mm, 58 * mm, 20 * mm, 34 * mm]
    for section in report.sections:
        story.append(para(f"{section.title}（{len(section.records)} 条）", heading))
        if not section.records:
            story.append(para("无记录"))
            continue
        rows = [[para(h, cell) for h in ("日期", "机构", "事项", "状态", "信用修复")]]
        for record in section.records:
            repair = ""
            if record.repair is not None and section.is_negative(record):
                since = record.repair.earliest_date
                repair = (
                    "可修复" + (f"（{since.isoformat()}起）" if since else "")
                    if record.repair.eligible
                    else "暂不可修复"
                )
            text = record.title + (f"\n{record.detail}" if record.detail else "")
            rows.append(
                [
                    para(v, cell)
                    for v in (
                        record.date.isoformat(),
                        record.authority,
                        text,
                        record.status_text,
                        repair,
                    )
                ]
            )
        table = Table(rows, colWidths=widths, repeatRows=1)
        table.setStyle(_table_style(colors))
        story.append(table)

    watermark = f"终端 {terminal_id}　{report_model.shown_time(now)}"

    class NumberedCanvas(rl_canvas.Canvas):  # type: ignore[misc]  # reportlab has no types
        """Holds pages back until the end so each can say how many there are."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, page in enumerate(self._pages, start=1):
                self.__dict__.update(page)
                self._decorate(number, total)
                super().showPage()
            super().save()

        def _decorate(self, number: int, total: int) -> None:
            width, height = A4
            self.saveState()
            self.setFillColor(colors.Color(0.6, 0.6, 0.6, alpha=0.18))
            self.setFont(FONT_NAME, 28)
            self.translate(width / 2, height / 2)
            self.rotate(35)
            self.drawCentredString(0, 0, watermark)
            self.restoreState()
            self.setFont(FONT_NAME, 9)
            self.drawString(18 * mm, 12 * mm, f"报告编号 {report.report_id}")
            self.drawCentredString(width / 2, 12 * mm, f"第 {number} 页 / 共 {total} 页")
            code = qr.QrCodeWidget(verify_url)
            x0, y0, x1, y1 = code.getBounds()
            size = 20 * mm
            drawing = Drawing(
                size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0]
            )
            drawing.add(code)
            drawing.drawOn(self, width - 18 * mm - size, 6 * mm)

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=30 * mm,
        title=f"个人公共信用报告 {report.report_id}",
        author="信用服务自助终端",
        invariant=1,
    )
    doc.build(story, canvasmaker=NumberedCanvas)
    return buffer.getvalue()
