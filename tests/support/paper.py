"""Paper: the sample report the receipt and PDF tests lay out, and an independent ESC/POS
reader to check the printed bytes with."""

from __future__ import annotations

import datetime as dt
from typing import Any

CST = dt.timezone(dt.timedelta(hours=8))


PRINTED_AT = dt.datetime(2026, 11, 25, 9, 30, tzinfo=CST)


VERIFY_URL = "https://credit.example.gov.cn/v1/verify/K7Q2-9XMP"


def receipt_payload() -> dict[str, Any]:
    """A report with long titles, a repair date and a four-character name (made up)."""
    long_title = "未按规定公示年度报告被处以罚款人民币二千元整——已缴纳（编号ZJ-2024-000123）"
    return {
        "report_id": "R2026112400001",
        "verification_code": "K7Q2-9XMP",
        "generated_at": "2026-11-24T10:00:00+08:00",
        "valid_until": "2026-12-24T10:00:00+08:00",
        "subject": {"name": "欧阳娜娜", "id_masked": "3211**********123X"},
        "summary": {"negative_count": 2, "positive_count": 1, "status": "has_negative"},
        "sections": [
            {
                "code": "honors",
                "title": "表彰奖励",
                "records": [
                    {
                        "record_id": "H-1",
                        "date": "2023-01-01",
                        "authority": "镇江市人民政府",
                        "title": "优秀志愿者",
                        "status": "in_effect",
                    }
                ],
            },
            {
                "code": "admin_penalty",
                "title": "行政处罚信息",
                "records": [
                    {
                        "record_id": "P-1",
                        "date": "2024-05-02",
                        "authority": "镇江市市场监督管理局",
                        "title": long_title,
                        "status": "in_effect",
                        "repair": {"eligible": True, "earliest_date": "2025-05-02"},
                    }
                ],
            },
            {
                "code": "dishonest_debtor",
                "title": "失信被执行人",
                "records": [
                    {
                        "record_id": "D-7",
                        "date": "2022-03-15",
                        "authority": "镇江市京口区人民法院",
                        "title": "未履行生效判决",
                        "status": "under_objection",
                        "repair": {"eligible": False},
                    }
                ],
            },
        ],
    }


# ------------------------------------------------------------------ an independent decoder
def decode_escpos(data: bytes) -> tuple[list[tuple[int, bool, str]], list[str], bool]:
    """A second, deliberately small ESC/POS reader written for this test only.

    Returns (size byte of GS !, bold, text) per printed line, the QR payloads and whether the
    job ends with a cut. It knows only what our receipts may contain and fails on anything
    else, so a command slipped into the stream is noticed.
    """
    lines: list[tuple[int, bool, str]] = []
    qrs: list[str] = []
    size, bold, chinese, text, cut = 0, False, False, bytearray(), False
    i = 0
    while i < len(data):
        chunk = data[i : i + 3]
        if data.startswith(b"\x1b@", i):
            i += 2
        elif data.startswith(b"\x1c&", i) or data.startswith(b"\x1c.", i):
            chinese = data[i + 1] == ord("&")
            i += 2
        elif chunk[:2] in (b"\x1ba", b"\x1bd"):
            i += 3
        elif chunk[:2] == b"\x1bE":
            bold = bool(data[i + 2])
            i += 3
        elif chunk[:2] == b"\x1d!":
            size = data[i + 2]
            i += 3
        elif data.startswith(b"\x1d(k", i):
            n = data[i + 3] | data[i + 4] << 8
            body = data[i + 5 : i + 5 + n]
            if body[:2] == b"1P":
                qrs.append(body[3:].decode())
            i += 5 + n
        elif data.startswith(b"\x1dV", i):
            cut = True
            i += 3
        elif data.startswith(b"\x1dv0", i):
            x, y = data[i + 4] | data[i + 5] << 8, data[i + 6] | data[i + 7] << 8
            lines.append((size, bold, f"<raster {x * 8}x{y}>"))
            i += 8 + x * y
        elif data[i] == 0x0A:
            lines.append((size, bold, bytes(text).decode("gb18030" if chinese else "ascii")))
            text.clear()
            i += 1
        elif data[i] >= 0x20:
            text.append(data[i])
            i += 1
        else:
            raise AssertionError(f"unexpected byte {data[i]:#04x} at {i}")
    return lines, qrs, cut
