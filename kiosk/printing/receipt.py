"""Lay out the printed credit-report receipt as a device-independent ``PrintJob``.

Pure and deterministic: the same report, terminal, URL and time always give the same job, so
the layout is tested without a printer. Widths are counted in printer columns: on an ESC/POS
printer in Chinese mode every double-byte (GBK) character takes two half-width cells, ASCII
one; at ``scale`` 2 every cell doubles, so only half the columns fit. Text is made printable
(``printable_text``: control characters dropped, characters outside GBK replaced) before it is
measured, so a replacement can never make a line wider than counted.
"""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata

from devices.receipt_printer import (
    Align,
    Cut,
    Feed,
    PrintElement,
    PrintJob,
    QrCode,
    Rule,
    TextLine,
    cell_width,
    printable_text,
)
from kiosk.platform.models import RepairGuide
from kiosk.platform.report import Record, Report, Section, shown_time
from kiosk.privacy import mask_name

TITLE = "个人公共信用报告"
# Placeholder until the hall's own hotline comes from configuration: 12345 is the national
# government-service hotline, valid in every city, so a receipt is never printed without one.
DEFAULT_HOTLINE = "12345"  # the national government-service hotline
FOOTER_TEXT = "本凭条仅供查阅，报告真伪以扫码核验结果为准"
# Thermal paper fades within months: where the hall has no A4 printer the receipt says how to
# get the full report again. The verification page behind the QR shows only validity and the
# masked subject (platform-api §6), so the line does not promise more than that.
FULL_REPORT_TEXT = (
    "热敏纸易褪色，请妥善保存。完整报告可凭身份证在本机再次查询；扫描上方二维码可核验本凭条真伪。"
)
SLIP_TITLE = "信用修复指引"

_WIDE = frozenset({"W", "F"})
_TIME_FORMAT = "%Y-%m-%d %H:%M"
_RECORD_INDENT = "   "  # width of "1. "


@functools.lru_cache(maxsize=8192)
def char_width(char: str) -> int:
    """Printer columns taken by one character.

    2 for East Asian Wide/Fullwidth and for every other non-ASCII character in GBK (a printer
    in Chinese mode prints "—" or "①" full-width), 1 for ASCII. Other characters are counted
    as what ``printable_text`` makes of them.
    """
    if unicodedata.east_asian_width(char) in _WIDE:
        return 2
    printable = printable_text(char)
    return sum(cell_width(c) for c in printable)


def text_width(text: str) -> int:
    """Printer columns taken by ``text`` at scale 1."""
    return sum(char_width(c) for c in text)


def wrap(text: str, width: int, *, indent: str = "") -> list[str]:
    """Split ``text`` into lines of at most ``width`` columns.

    Chinese breaks between any two characters; a run of half-width characters (a Latin word,
    a number, an ID) is kept whole when it fits on a line of its own, so an ID or a date is
    not split in the middle. Continuation lines start with ``indent``.

    Args:
        text: One logical line (no newlines).
        width: Usable columns, at least 2 so a wide character always fits.
        indent: Prefix of every line after the first.

    Returns:
        At least one line (``[""]`` for empty text).
    """
    if width < 2:
        raise ValueError("width must be at least 2 columns")
    if text_width(indent) > width // 2:
        indent = ""
    lines: list[str] = []
    line = ""
    used = 0
    for token in _tokens(text):
        token_width = text_width(token)
        if used + token_width > width and line.strip():
            # The token does not fit: start a new line, dropping the break's blank.
            lines.append(line.rstrip())
            line, used = indent, text_width(indent)
            if token.isspace():
                continue
        for char in token:
            w = char_width(char)
            if used + w > width:
                # A single token longer than a line (a long URL): hard break inside it.
                lines.append(line.rstrip())
                line, used = indent, text_width(indent)
            line += char
            used += w
    lines.append(line.rstrip())
    return lines


def _tokens(text: str) -> list[str]:
    """Break opportunities: each wide char alone, each run of narrow non-blanks, each blank."""
    tokens: list[str] = []
    run = ""
    for char in text:
        if char_width(char) == 2 or char.isspace():
            if run:
                tokens.append(run)
                run = ""
            tokens.append(char)
        else:
            run += char
    if run:
        tokens.append(run)
    return _keep_punctuation_attached(tokens)


# Simple kinsoku (Chinese line-breaking rule): no line starts with closing punctuation and
# none ends with an opening bracket, so "（" is kept with the date that follows it.
_NO_LINE_START = frozenset("，。、；：！？）》」』】〕”’,.;:!?)")
_NO_LINE_END = frozenset("（《「『【〔“‘(")


def _keep_punctuation_attached(tokens: list[str]) -> list[str]:
    merged: list[str] = []
    glue_next = False
    for token in tokens:
        if merged and (glue_next or token[0] in _NO_LINE_START):
            merged[-1] += token
        else:
            merged.append(token)
        glue_next = token[-1] in _NO_LINE_END
    return merged


def _repair_text(record: Record) -> str:
    repair = record.repair
    if repair is None:
        return "信用修复：无修复信息"
    if not repair.eligible:
        return "信用修复：不可申请"
    if repair.earliest_date is None:
        return "信用修复：可申请"
    return f"信用修复：可申请（{repair.earliest_date.isoformat()}起）"


def _record_lines(index: int, section: Section, record: Record) -> list[str]:
    """Logical lines of one negative record (its numbered title first), before wrapping."""
    return [
        f"{index}. {record.title}",
        f"类别：{section.title}",
        f"记录编号：{record.record_id}",
        f"日期：{record.date.isoformat()}",
        f"机关：{record.authority}",
        f"状态：{record.status_text}",
        _repair_text(record),
    ]


class _Builder:
    """Accumulates elements, wrapping every text line to the usable width."""

    def __init__(self, columns: int, scale: int) -> None:
        self.scale = scale
        self.width = columns // scale
        self.elements: list[PrintElement] = []

    def text(
        self,
        text: str,
        *,
        align: Align = Align.LEFT,
        bold: bool = False,
        indent: str = "",
        scale: int | None = None,
    ) -> None:
        line_scale = self.scale if scale is None else scale
        width = self.width * self.scale // line_scale
        for line in wrap(printable_text(text), width, indent=indent):
            self.elements.append(TextLine(line, align=align, bold=bold, scale=line_scale))

    def add(self, element: PrintElement) -> None:
        self.elements.append(element)


def build_receipt(
    report: Report,
    *,
    terminal_id: str,
    verify_url: str,
    columns: int = 48,
    large_print: bool = False,
    printed_at: dt.datetime,
    hotline: str = DEFAULT_HOTLINE,
    a4_available: bool = False,
) -> PrintJob:
    """Lay out the receipt of ``report``.

    Args:
        report: A verified report.
        terminal_id: This kiosk's id, printed so staff can trace a receipt to a machine.
        verify_url: URL the QR code carries (the platform's public verification page).
        columns: Printer columns at normal size (48 on 80 mm paper with font A).
        large_print: Elder mode: every text line at scale 2, so half as many columns fit.
        printed_at: Time printed on the receipt (passed in so the layout is deterministic).
        hotline: The dispute and credit-repair hotline (``terminal.hotline`` in config).
        a4_available: The hall prints the full report on A4; otherwise the receipt says
            where the full report can be read.

    Returns:
        The job; its ``job_id`` holds the report id and print time, never personal data.
    """
    scale = 2 if large_print else 1
    b = _Builder(columns, scale)
    # The title is always large: 8 CJK characters at scale 2 need 32 columns, which fits.
    b.text(TITLE, align=Align.CENTER, bold=True, scale=2)
    b.add(Rule("="))
    b.text(f"报告编号：{report.report_id}")
    b.text(f"生成时间：{shown_time(report.generated_at, _TIME_FORMAT)}")
    b.text(f"有效期至：{shown_time(report.valid_until, _TIME_FORMAT)}")
    b.text(f"姓名：{mask_name(report.subject.name)}")
    b.text(f"证件号码：{report.subject.id_masked}")
    b.add(Rule("-"))
    b.text("信用概况", bold=True)
    b.text(f"不良记录：{report.summary.negative_count} 条")
    b.text(f"良好记录：{report.summary.positive_count} 条")
    b.add(Rule("-"))
    negatives = report.negative_records()
    if negatives:
        b.text("不良记录明细", bold=True)
        for i, (section, record) in enumerate(negatives, start=1):
            if i > 1:
                b.add(Feed(1))
            title, *details = _record_lines(i, section, record)
            b.text(title, bold=True, indent=_RECORD_INDENT)
            for text in details:
                # Details sit under the title's text, so records stand apart at a glance.
                b.text(_RECORD_INDENT + text, indent=_RECORD_INDENT + "  ")
    else:
        b.text("无不良记录", bold=True)
    b.add(Rule("-"))
    b.text(f"异议及信用修复咨询电话：{hotline}")
    b.add(Feed(1))
    b.text("扫码核验报告真伪", align=Align.CENTER)
    b.add(QrCode(verify_url, module_size=8 if large_print else 6))
    b.text(f"核验码：{report.verification_code}", align=Align.CENTER, bold=True)
    if not a4_available:
        b.text(FULL_REPORT_TEXT)
    b.add(Rule("-"))
    b.text(f"终端编号：{terminal_id}")
    b.text(f"打印时间：{shown_time(printed_at, _TIME_FORMAT)}")
    b.text(FOOTER_TEXT)
    b.add(Cut())
    job_id = f"receipt-{report.report_id}-{printed_at.strftime('%Y%m%dT%H%M%S')}"
    return PrintJob(job_id=job_id, elements=tuple(b.elements), columns=columns)


def guide_link(verify_base: str, guide_id: str) -> str:
    """Public URL of a repair guide, for the slip's QR code.

    ``GET /v1/repair-guides/{id}`` needs terminal credentials, so a resident's phone cannot
    open it; the QR points at the public site that serves the verification page instead:
    ``<origin of the verification URL>/repair-guides/<guide_id>``. The spec names no public
    guide page yet: this is the kiosk's proposal (docs/decisions.md, Printing).
    """
    from urllib.parse import quote, urlsplit

    parts = urlsplit(verify_base)
    return f"{parts.scheme}://{parts.netloc}/repair-guides/{quote(guide_id, safe='')}"


def build_repair_slip(
    report: Report,
    record: Record,
    guide: RepairGuide,
    *,
    terminal_id: str,
    guide_url: str,
    columns: int = 48,
    large_print: bool = False,
    printed_at: dt.datetime,
    hotline: str = DEFAULT_HOTLINE,
) -> PrintJob:
    """Lay out a repair slip: how to repair one negative record, to take home.

    Holds no name and no ID number (only the report and record ids): the slip is about the
    procedure, and may be left lying on the counter.

    Args:
        report: The verified report ``record`` belongs to.
        record: The negative record the resident asked about.
        guide: The platform's repair guide for it.
        terminal_id: This kiosk's id.
        guide_url: URL the QR code carries (``guide_link``).
        columns: Printer columns at normal size (32 or 48).
        large_print: Elder mode: every text line at scale 2.
        printed_at: Time printed on the slip.
        hotline: The dispute and credit-repair hotline.

    Returns:
        The job; its ``job_id`` holds the report and record ids and the time.
    """
    scale = 2 if large_print else 1
    b = _Builder(columns, scale)
    b.text(SLIP_TITLE, align=Align.CENTER, bold=True, scale=2)
    b.add(Rule("="))
    b.text(f"报告编号：{report.report_id}")
    b.text(f"记录编号：{record.record_id}")
    b.text(f"事项：{record.title}", indent="  ")
    b.text(f"机关：{record.authority}", indent="  ")
    b.text(f"日期：{record.date.isoformat()}")
    b.text(_repair_text(record), indent="  ")
    b.add(Rule("-"))
    b.text(guide.title, bold=True)
    b.text("办理步骤", bold=True)
    for i, step in enumerate(guide.steps, start=1):
        b.text(f"{i}. {step}", indent=_RECORD_INDENT)
    if guide.documents:
        b.add(Feed(1))
        b.text("材料清单（备齐后打勾）", bold=True)
        for document in guide.documents:
            b.text(f"□ {document}", indent="  ")
    b.add(Rule("-"))
    b.text(f"办理地点：{guide.where}", indent="  ")
    b.text(f"修复窗口：{guide.hall_window}", indent="  ")
    b.text(f"办理时间：{guide.hours}", indent="  ")
    b.text(f"咨询电话：{hotline}")
    b.add(Feed(1))
    b.text("扫码查看修复指引", align=Align.CENTER)
    b.add(QrCode(guide_url, module_size=8 if large_print else 6))
    b.add(Rule("-"))
    b.text(f"终端编号：{terminal_id}")
    b.text(f"打印时间：{shown_time(printed_at, _TIME_FORMAT)}")
    b.add(Cut())
    job_id = f"slip-{report.report_id}-{printed_at.strftime('%Y%m%dT%H%M%S')}"
    return PrintJob(job_id=job_id, elements=tuple(b.elements), columns=columns)
