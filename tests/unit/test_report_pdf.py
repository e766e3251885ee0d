"""The A4 report PDF (kiosk.printing.report_pdf): text read back with pypdf, pages, QR codes."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader

from kiosk.platform.report import parse_report
from kiosk.printing.report_pdf import render_pdf
from tests.support.paper import PRINTED_AT, VERIFY_URL, receipt_payload


def _many_records(n: int) -> dict[str, Any]:
    payload = receipt_payload()
    payload["sections"].append(
        {
            "code": "admin_penalty",
            "title": "行政处罚信息（续）",
            "records": [
                {
                    "record_id": f"X-{i}",
                    "date": "2024-05-02",
                    "authority": "镇江市市场监督管理局",
                    "title": f"第{i}项处罚：未按规定公示年度报告",
                    "status": "in_effect",
                    "repair": {"eligible": True},
                }
                for i in range(n)
            ],
        }
    )
    payload["sections"].append({"code": "tax", "title": "纳税信用", "records": []})
    return payload


def _pdf(payload: dict[str, Any]) -> bytes:
    return render_pdf(
        parse_report(payload), terminal_id="ZJ-JK-0007", verify_url=VERIFY_URL, now=PRINTED_AT
    )


def test_title_page_sections_and_every_page_footer() -> None:
    reader = PdfReader(io.BytesIO(_pdf(_many_records(80))))
    pages = [page.extract_text() for page in reader.pages]
    total = len(pages)
    assert total >= 3  # title page, then the sections over more than one page
    title = pages[0]
    assert "个人公共信用报告" in title
    assert "欧***" in title and "欧阳娜娜" not in "".join(pages)  # masked everywhere
    assert "K7Q2-9XMP" in title
    assert "信息类别" in title and "纳税信用" in title  # the summary table names every section
    assert "行政处罚信息（1 条）" not in title  # sections start on the next page
    body = "".join(pages[1:])
    for heading in ("表彰奖励（1 条）", "行政处罚信息（1 条）", "行政处罚信息（续）（80 条）"):
        assert heading in body
    assert "纳税信用（0 条）" in body and "无记录" in body
    assert "第79项处罚" in body
    for number, text in enumerate(pages, start=1):
        assert f"第 {number} 页 / 共 {total} 页" in text
        assert "报告编号 R2026112400001" in text
    assert reader.metadata is not None and "R2026112400001" in str(reader.metadata.title)


def test_font_is_embedded_as_a_subset() -> None:
    reader = PdfReader(io.BytesIO(_pdf(receipt_payload())))
    resources: Any = reader.pages[0]["/Resources"]
    fonts = resources["/Font"]
    names = [str(font.get_object()["/BaseFont"]) for font in fonts.values()]
    assert any("+" in name for name in names)  # SUBSET+Name: embedded, subsetted


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils (pdftoppm)")
def test_every_page_carries_a_readable_verification_qr(tmp_path: Path) -> None:
    import zxingcpp

    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(_pdf(_many_records(80)))
    subprocess.run(
        ["pdftoppm", "-r", "150", "-gray", "-png", str(pdf), str(tmp_path / "p")], check=True
    )
    pngs = sorted(tmp_path.glob("p-*.png"))
    assert len(pngs) == len(PdfReader(str(pdf)).pages)
    for png in pngs:
        with Image.open(png) as image:
            found = [r.text for r in zxingcpp.read_barcodes(image)]
        assert found == [VERIFY_URL], png.name
