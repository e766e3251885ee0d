"""Printing benchmark: time to make the receipt bytes and the A4 PDF, and the receipt's size.

For reports of 5, 50 and 500 negative records (every record with a repair note), it prints
the median and spread of
- ``receipt native``: ``build_receipt`` + ``render_job`` in GB18030 text mode;
- ``receipt raster``: the same with every non-ASCII line drawn as a ``GS v 0`` image;
- ``pdf``: ``render_pdf`` (the font is registered once before timing, as the kiosk does);
and the receipt's byte size in both modes. Not a test: it reports, it does not fail.

    .venv/bin/python tools/bench_print.py [--runs 7] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from devices.escpos_printer import render_job
from kiosk.assets import CJK_FONT
from kiosk.platform.report import Report, parse_report
from kiosk.printing.receipt import build_receipt
from kiosk.printing.report_pdf import render_pdf

CST = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 11, 25, 9, 30, tzinfo=CST)
VERIFY_URL = "https://credit.example.gov.cn/v1/verify/K7Q2-9XMP"


def make_report(records: int) -> Report:
    """A report with ``records`` negative records of realistic length, in two sections."""
    return parse_report(report_payload(records))


def report_payload(records: int) -> dict[str, Any]:
    """``make_report``'s payload as the platform signs it."""
    half = records // 2
    sections: list[dict[str, Any]] = []
    for code, title, count in (
        ("admin_penalty", "行政处罚信息", half),
        ("dishonest_debtor", "失信被执行人", records - half),
    ):
        sections.append(
            {
                "code": code,
                "title": title,
                "records": [
                    {
                        "record_id": f"{code[:1].upper()}-{i:05d}",
                        "date": "2024-05-02",
                        "authority": "镇江市市场监督管理局",
                        "title": f"未按规定公示年度报告被处以罚款人民币二千元整（第{i}项）",
                        "detail": "当事人未按照规定的期限公示年度报告，已责令改正并处罚款。",
                        "status": "in_effect",
                        "repair": {"eligible": True, "earliest_date": "2025-05-02"},
                    }
                    for i in range(count)
                ],
            }
        )
    return {
        "report_id": "R2026112400001",
        "verification_code": "K7Q2-9XMP",
        "generated_at": "2026-11-24T10:00:00+08:00",
        "valid_until": "2026-12-24T10:00:00+08:00",
        "subject": {"name": "欧阳娜娜", "id_masked": "3211**********123X"},
        "summary": {"negative_count": records, "positive_count": 0, "status": "has_negative"},
        "sections": sections,
    }


def _time(fn: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    result = fn()  # warm-up (font caches, imports)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return times, result


def measure(records: int, runs: int) -> dict[str, Any]:
    """The receipt (native and raster text) and the PDF of a report of ``records`` records:
    each one's times in ms (``*_times``), medians, and sizes in bytes."""
    report = make_report(records)

    def receipt() -> Any:
        return build_receipt(
            report, terminal_id="ZJ-JK-0007", verify_url=VERIFY_URL, printed_at=NOW
        )

    native_t, native = _time(lambda: render_job(receipt()), runs)
    raster_t, raster = _time(
        lambda: render_job(receipt(), text_mode="raster", font_path=CJK_FONT), runs
    )
    pdf_t, pdf = _time(
        lambda: render_pdf(report, terminal_id="ZJ-JK-0007", verify_url=VERIFY_URL, now=NOW), runs
    )
    return {
        "records": records,
        "native_times": native_t,
        "raster_times": raster_t,
        "pdf_times": pdf_t,
        "native_ms": statistics.median(native_t),
        "raster_ms": statistics.median(raster_t),
        "pdf_ms": statistics.median(pdf_t),
        "pdf_ms_range": [min(pdf_t), max(pdf_t)],
        "native_bytes": len(native),
        "raster_bytes": len(raster),
        "pdf_bytes": len(pdf),
    }


def main() -> None:
    """Run and print the table (or JSON lines)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = [measure(records, args.runs) for records in (5, 50, 500)]
    if args.json:
        for row in rows:
            print(json.dumps({k: v for k, v in row.items() if not k.endswith("_times")}))
        return
    print("| records | receipt native | receipt raster | PDF | native B | raster B | PDF B |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['records']} | {r['native_ms']:.1f} ms | {r['raster_ms']:.1f} ms | "
            f"{r['pdf_ms']:.0f} ms ({r['pdf_ms_range'][0]:.0f}..{r['pdf_ms_range'][1]:.0f}) | "
            f"{r['native_bytes']:,} | {r['raster_bytes']:,} | {r['pdf_bytes']:,} |"
        )


if __name__ == "__main__":
    main()
