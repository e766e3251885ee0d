"""Layout of the printed receipt (kiosk.printing.receipt): widths, content, masking, large print."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from devices.receipt_printer import Cut, QrCode, TextLine
from kiosk.platform.models import RepairGuide
from kiosk.platform.report import Report, parse_report
from kiosk.printing.receipt import (
    build_receipt,
    build_repair_slip,
    guide_link,
    text_width,
    wrap,
)
from tests.support.paper import PRINTED_AT, VERIFY_URL, receipt_payload


@pytest.fixture
def report() -> Report:
    return parse_report(receipt_payload())


def _texts(elements: tuple[object, ...]) -> list[str]:
    return [e.text for e in elements if isinstance(e, TextLine)]


@pytest.mark.parametrize(("large", "columns"), [(False, 48), (True, 48), (False, 32), (True, 32)])
def test_no_line_is_wider_than_the_paper(report: Report, large: bool, columns: int) -> None:
    job = build_receipt(
        report,
        terminal_id="ZJ-JK-0007",
        verify_url=VERIFY_URL,
        columns=columns,
        large_print=large,
        printed_at=PRINTED_AT,
    )
    lines = [e for e in job.elements if isinstance(e, TextLine)]
    assert lines
    for line in lines:
        assert text_width(line.text) * line.scale <= columns, line.text


def test_large_print_doubles_every_line_and_halves_the_columns(report: Report) -> None:
    job = build_receipt(
        report, terminal_id="T1", verify_url=VERIFY_URL, large_print=True, printed_at=PRINTED_AT
    )
    lines = [e for e in job.elements if isinstance(e, TextLine)]
    assert {line.scale for line in lines} == {2}
    assert max(text_width(line.text) for line in lines) <= 24
    # The long record title needed more lines than at normal size.
    normal = build_receipt(report, terminal_id="T1", verify_url=VERIFY_URL, printed_at=PRINTED_AT)
    assert len(lines) > len([e for e in normal.elements if isinstance(e, TextLine)])


def test_every_negative_record_is_printed(report: Report) -> None:
    job = build_receipt(report, terminal_id="T1", verify_url=VERIFY_URL, printed_at=PRINTED_AT)
    text = "\n".join(_texts(job.elements))
    flat = text.replace("\n", "").replace(" ", "")
    for section, record in report.negative_records():
        assert f"记录编号：{record.record_id}" in text
        assert record.title.replace(" ", "") in flat  # wrapped over several lines
        assert record.authority in text
        assert section.title in text
    assert "H-1" not in text  # an honour is not a negative record
    assert "信用修复：可申请（2025-05-02起）" in text
    assert "信用修复：不可申请" in text
    assert "状态：异议处理中" in text
    assert "不良记录：2 条" in text
    assert "咨询电话：12345" in text


def test_name_is_masked_and_id_printed_as_given(report: Report) -> None:
    job = build_receipt(report, terminal_id="T1", verify_url=VERIFY_URL, printed_at=PRINTED_AT)
    text = "\n".join(_texts(job.elements))
    assert "姓名：欧***" in text
    assert "欧阳" not in text
    assert "证件号码：3211**********123X" in text
    assert "欧阳" not in job.job_id


def test_qr_carries_the_verify_url_with_the_code_under_it(report: Report) -> None:
    job = build_receipt(report, terminal_id="T1", verify_url=VERIFY_URL, printed_at=PRINTED_AT)
    qr_at = [i for i, e in enumerate(job.elements) if isinstance(e, QrCode)]
    assert len(qr_at) == 1
    qr = job.elements[qr_at[0]]
    assert isinstance(qr, QrCode)
    assert qr.data == VERIFY_URL
    below = job.elements[qr_at[0] + 1]
    assert isinstance(below, TextLine)
    assert below.text == "核验码：K7Q2-9XMP"


def test_ends_with_cut_and_is_deterministic(report: Report) -> None:
    kwargs: dict[str, Any] = {
        "terminal_id": "ZJ-JK-0007",
        "verify_url": VERIFY_URL,
        "printed_at": PRINTED_AT,
    }
    job = build_receipt(report, **kwargs)
    assert isinstance(job.elements[-1], Cut)
    assert sum(isinstance(e, Cut) for e in job.elements) == 1
    assert build_receipt(report, **kwargs) == job
    text = _texts(job.elements)
    assert "终端编号：ZJ-JK-0007" in text
    assert "打印时间：2026-11-25 09:30" in text


def test_report_without_negatives_says_so() -> None:
    payload = receipt_payload()
    payload["sections"] = payload["sections"][:1]
    job = build_receipt(
        parse_report(payload), terminal_id="T1", verify_url=VERIFY_URL, printed_at=PRINTED_AT
    )
    assert "无不良记录" in _texts(job.elements)


def test_a_one_character_name_is_printed_fully_masked() -> None:
    # kiosk.privacy's one rule (tests/unit/test_privacy.py): the first character would be the
    # whole name, so a one-character name is "*" (it printed unmasked before).
    payload = receipt_payload()
    payload["subject"]["name"] = "张"
    job = build_receipt(
        parse_report(payload), terminal_id="T1", verify_url=VERIFY_URL, printed_at=PRINTED_AT
    )
    assert "姓名：*" in _texts(job.elements)


def test_wrap_counts_cjk_as_two_columns_and_keeps_ids_whole() -> None:
    assert wrap("一二三四五", 4) == ["一二", "三四", "五"]
    assert wrap("ab一二三", 5) == ["ab一", "二三"]
    assert wrap("日期：2024-05-02", 12) == ["日期：", "2024-05-02"]
    assert wrap("可申请（2025-05-02起）", 12) == ["可申请", "（2025-05-02", "起）"]
    assert all(text_width(line) <= 6 for line in wrap("x" * 20, 6))


def test_gbk_punctuation_counts_two_columns_and_unprintable_is_replaced_first() -> None:
    assert text_width("——①é") == 8  # a printer in Chinese mode prints each full-width
    assert text_width("A1-") == 3
    job = build_receipt(
        parse_report(receipt_payload()),
        terminal_id="T\x1b@1",  # a control character never reaches the printer
        verify_url=VERIFY_URL,
        printed_at=PRINTED_AT,
    )
    texts = [e.text for e in job.elements if isinstance(e, TextLine)]
    assert "终端编号：T@1" in texts


def test_receipt_says_how_to_get_the_full_report_without_an_a4_printer(report: Report) -> None:
    def texts(a4: bool) -> str:
        job = build_receipt(
            report,
            terminal_id="T1",
            verify_url=VERIFY_URL,
            printed_at=PRINTED_AT,
            a4_available=a4,
        )
        return "".join(e.text for e in job.elements if isinstance(e, TextLine))

    assert "完整报告可凭身份证在本机再次查询" in texts(False)
    assert "完整报告" not in texts(True)


GUIDE = RepairGuide(
    guide_id="repair-admin-penalty",
    title="行政处罚信息信用修复",
    steps=("提交信用修复申请", "提交已履行行政处罚决定的证明材料", "作出信用承诺，等待审核"),
    where="镇江市政务服务中心三楼",
    documents=("身份证原件", "行政处罚决定书", "罚款缴纳凭证"),
    hall_window="信用修复综合窗口（C区12号）",
    hours="工作日 9:00-12:00，13:30-17:00",
)


@pytest.mark.parametrize("large", [False, True])
@pytest.mark.parametrize("columns", [32, 48])
def test_repair_slip(report: Report, large: bool, columns: int) -> None:
    _section, record = report.negative_records()[0]
    url = guide_link(VERIFY_URL, GUIDE.guide_id)
    job = build_repair_slip(
        report,
        record,
        GUIDE,
        terminal_id="ZJ-JK-0007",
        guide_url=url,
        columns=columns,
        large_print=large,
        printed_at=PRINTED_AT,
    )
    lines = [e for e in job.elements if isinstance(e, TextLine)]
    text = "".join(line.text for line in lines)
    for part in (*GUIDE.steps, *GUIDE.documents, GUIDE.where, GUIDE.hall_window, GUIDE.hours):
        assert part.replace(" ", "") in text.replace(" ", "")
    assert "□ 身份证原件" in text  # a checklist
    assert record.record_id in text and report.report_id in text
    assert "欧" not in text and report.subject.id_masked not in text  # nothing personal
    assert all(text_width(line.text) * line.scale <= columns for line in lines)
    if large:
        assert all(line.scale == 2 for line in lines)
    assert [e.data for e in job.elements if isinstance(e, QrCode)] == [url]
    assert isinstance(job.elements[-1], Cut)
    assert url == "https://credit.example.gov.cn/repair-guides/repair-admin-penalty"


def test_times_are_printed_in_china_standard_time(report: Report) -> None:
    utc_evening = dt.datetime(2026, 11, 25, 17, 42, tzinfo=dt.UTC)
    job = build_receipt(report, terminal_id="T1", verify_url=VERIFY_URL, printed_at=utc_evening)
    assert "打印时间：2026-11-26 01:42" in _texts(job.elements)


def test_unprintable_characters_never_reach_the_paper() -> None:
    from devices.receipt_printer import MISSING_GLYPH, printable_text

    # private use, zero-width space, line separator, a control character
    assert printable_text("张\ue000\u200b伟\u2028\x1b") == f"张{MISSING_GLYPH}伟"
