"""Property tests: any report gives a valid receipt (native and raster) and a PDF that opens.

Reports are drawn at random: many or no records, empty sections, unknown section codes, long
names, mixed scripts, emoji, characters outside GBK, control characters.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from devices.escpos_printer import render_job
from devices.receipt_printer import Cut, PrintJob, Rule, TextLine
from kiosk.assets import CJK_FONT
from kiosk.platform.report import Report, parse_report
from kiosk.printing.receipt import build_receipt, text_width
from kiosk.printing.report_pdf import render_pdf
from tests.support.paper import PRINTED_AT, VERIFY_URL, decode_escpos

# Chinese, Latin, digits, full-width punctuation, emoji, CJK Extension B (outside GBK),
# combining marks, Arabic, control characters: whatever a record might carry.
_ALPHABET = st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5),
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    st.sampled_from(list("，。：；（）——①②·€é\u0301\u200b\t\x1b\x1d\x00😀🧧𠀀𪚥ال")),
    st.characters(codec="utf-8", exclude_categories=["Cs"]),
)
_TEXT = st.text(_ALPHABET, min_size=0, max_size=60)
_CODES = st.sampled_from(["admin_penalty", "dishonest_debtor", "honors", "tax", "x_unknown"])
_STATUS = st.sampled_from(["in_effect", "repaired", "expired", "under_objection"])


@st.composite
def _records(draw: st.DrawFn, prefix: str) -> list[dict[str, Any]]:
    count = draw(st.integers(min_value=0, max_value=6))
    records = []
    for i in range(count):
        record: dict[str, Any] = {
            "record_id": f"{prefix}-{i}" + draw(st.text("ABC-0123", max_size=20)),
            "date": draw(st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31))).isoformat(),
            "authority": draw(_TEXT),
            "title": draw(_TEXT),
            "status": draw(_STATUS),
        }
        if draw(st.booleans()):
            record["detail"] = draw(_TEXT)
        if draw(st.booleans()):
            record["repair"] = {"eligible": draw(st.booleans())}
        records.append(record)
    return records


@st.composite
def _reports(draw: st.DrawFn) -> Report:
    sections = [
        {"code": draw(_CODES), "title": draw(_TEXT) or "栏目", "records": draw(_records(str(i)))}
        for i in range(draw(st.integers(min_value=0, max_value=5)))
    ]
    payload = {
        "report_id": "R2026112400001",
        "verification_code": "K7Q2-9XMP",
        "generated_at": "2026-11-24T10:00:00+08:00",
        "valid_until": "2026-12-24T10:00:00+08:00",
        "subject": {
            "name": draw(st.text(_ALPHABET, min_size=1, max_size=40)),
            "id_masked": "3211**********123X",
        },
        "summary": {
            "negative_count": draw(st.integers(0, 10_000)),
            "positive_count": draw(st.integers(0, 10_000)),
            "status": draw(st.sampled_from(["has_negative", "no_negative"])),
        },
        "sections": sections,
    }
    return parse_report(payload)


def _assert_valid_receipt(job: PrintJob) -> None:
    assert isinstance(job.elements[-1], Cut)
    for element in job.elements:
        if isinstance(element, TextLine):
            assert text_width(element.text) * element.scale <= job.columns, element.text
            assert element.text.isprintable() or not element.text, repr(element.text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    report=_reports(),
    columns=st.sampled_from([32, 48]),
    large=st.booleans(),
    terminal=st.text(_ALPHABET, max_size=30),
)
def test_any_report_gives_a_valid_receipt(
    report: Report, columns: int, large: bool, terminal: str
) -> None:
    job = build_receipt(
        report,
        terminal_id=terminal,
        verify_url=VERIFY_URL,
        columns=columns,
        large_print=large,
        printed_at=PRINTED_AT,
    )
    _assert_valid_receipt(job)
    lines, qrs, cut = decode_escpos(render_job(job))
    assert cut and qrs == [VERIFY_URL]
    expected = [e for e in job.elements if isinstance(e, TextLine | Rule)]
    assert len(lines) == len(expected)
    for size, _, text in lines:  # what the printer gets fits the paper, byte by byte
        scale = (size & 0x0F) + 1
        assert sum(1 if c.isascii() else 2 for c in text) * scale <= columns, text
    raster = render_job(job, text_mode="raster", font_path=CJK_FONT)
    r_lines, r_qrs, r_cut = decode_escpos(raster)
    assert r_cut and r_qrs == [VERIFY_URL] and len(r_lines) == len(expected)
    for _, _, text in r_lines:
        if text.startswith("<raster "):
            assert int(text.split()[1].split("x")[0]) <= columns * 12


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(report=_reports())
def test_any_report_gives_a_pdf_that_opens(report: Report) -> None:
    pdf = render_pdf(report, terminal_id="T1", verify_url=VERIFY_URL, now=PRINTED_AT)
    reader = PdfReader(io.BytesIO(pdf))
    total = len(reader.pages)
    assert total >= (2 if report.sections else 1)  # the title page, then the sections
    assert f"第 {total} 页 / 共 {total} 页" in reader.pages[-1].extract_text()
